//! OpenAPI schemas of fields whose rules a derive cannot state: the same rule as the field's
//! validation, written once here and named by each field (`schema(schema_with = …)`), so the
//! document promises exactly what the server enforces.

use utoipa::openapi::schema::{ArrayBuilder, Object, ObjectBuilder, Type};

/// [`crate::social::rules::user_id_ok`] as a pattern.
pub const USER_ID_PATTERN: &str = "^[A-Za-z0-9_]{1,40}$";

/// A new account's username: 3–32 lowercase letters, digits, `_`, `.`, `-`, starting with a
/// letter or digit ([`crate::rest::rules::username_chars_ok`]).
pub fn username() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(3))
        .max_length(Some(32))
        .pattern(Some("^[a-z0-9][a-z0-9_.-]*$"))
        .build()
}

pub(crate) fn optional_one_of(values: &[&str]) -> Object {
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(values.iter().map(|v| Some(*v)).chain([None])))
        .build()
}

/// A role an admin gives: `user`, `admin` or `bot` ([`crate::admin::ASSIGNABLE_ROLES`]).
pub fn assignable_role() -> Object {
    one_of(crate::admin::ASSIGNABLE_ROLES)
}

/// [`assignable_role`], when given.
pub fn optional_assignable_role() -> Object {
    optional_one_of(crate::admin::ASSIGNABLE_ROLES)
}

/// The role of a provisioned account, when given: `user` or `bot`.
pub fn optional_provision_role() -> Object {
    optional_one_of(&["user", "bot"])
}

/// A user id.
pub fn user_id() -> Object {
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(USER_ID_PATTERN)).build()
}

fn user_ids(min: usize, max: usize) -> utoipa::openapi::schema::Array {
    ArrayBuilder::new().items(user_id()).min_items(Some(min)).max_items(Some(max)).build()
}

/// Up to 1,000 user ids (a group's first members).
pub fn user_ids_up_to_1000() -> utoipa::openapi::schema::Array {
    user_ids(0, 1000)
}

/// 1–100 user ids (members added at once).
pub fn user_ids_1_to_100() -> utoipa::openapi::schema::Array {
    user_ids(1, 100)
}

pub(crate) fn one_of(values: &[&str]) -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values.iter().copied())).build()
}

/// A role given in a group by an administrator: `owner`, `admin` or `member`.
pub fn group_role() -> Object {
    one_of(&["owner", "admin", "member"])
}

/// A role given in a group by its owner: `admin` or `member`.
pub fn member_role() -> Object {
    one_of(&["admin", "member"])
}

/// How a group takes new members, when given: `open`, `approval` or `invite_only`.
pub fn optional_join_policy() -> Object {
    optional_one_of(&["open", "approval", "invite_only"])
}

/// 1–4 API-key scopes, each one of [`crate::admin::SCOPES`].
pub fn scopes() -> utoipa::openapi::schema::Array {
    ArrayBuilder::new().items(one_of(crate::admin::SCOPES)).min_items(Some(1)).max_items(Some(4)).build()
}

/// A word list's words: strings of at most 64 characters without line breaks (the rule of
/// `tidings_wordfilter::MAX_WORD_CHARS` and the list's storage, one word per line).
pub fn filter_words() -> utoipa::openapi::schema::Array {
    let word = ObjectBuilder::new().schema_type(Type::String).max_length(Some(64)).pattern(Some("^[^\\r\\n]*$"));
    ArrayBuilder::new().items(word.build()).build()
}

/// A webhook receiver's address ([`crate::integration`]'s `webhook_url`): `http://`, then a host
/// of printable ASCII without `@` (no credentials) ending at `/`, `?`, `#` or the end, anything
/// after it; 8–2048 characters.
pub fn webhook_url() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(8))
        .max_length(Some(2048))
        .pattern(Some("^http://[!\"$-.0-9:->A-~]+([/?#][\\s\\S]*)?$"))
        .build()
}

/// A webhook's events: one to four of [`crate::integration::WEBHOOK_EVENTS`].
pub fn webhook_events() -> utoipa::openapi::schema::Array {
    ArrayBuilder::new().items(one_of(crate::integration::WEBHOOK_EVENTS)).min_items(Some(1)).max_items(Some(4)).build()
}
