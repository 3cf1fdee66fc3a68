//! The OpenAPI 3 document of the REST API, served at `GET /api/openapi.json`.
//!
//! Each REST handler documents its own route (`#[utoipa::path]` over its actix route macro);
//! [`crate::rest::operations`] collects them with the schemas they use, as registering the
//! routes does. This module adds what is global (info, servers, security schemes, tags) and the
//! error responses of every operation ([`error_responses`]).

mod error_responses;

use std::sync::OnceLock;

use tidings_protocol::integration::WebhookPayload;
use tidings_protocol::rest::ErrorBody;
use utoipa::Modify as _;
use utoipa::OpenApi as _;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{Components, InfoBuilder, LicenseBuilder, OpenApi, OpenApiBuilder, Paths, Server};

use crate::rest::doc;

/// Name of the security scheme of user routes: an access token from `/api/v1/auth/login`.
pub const BEARER: &str = "bearer";

/// Name of the security scheme of `/integration/v1` routes: an API key sent as a bearer token.
pub const API_KEY: &str = "api_key";

/// Tags, in the order a reader meets them: `(name, description)`.
const TAGS: &[(&str, &str)] = &[
    ("auth", "Accounts and device sessions: register, login, token refresh, logout."),
    ("users", "The caller's profile and other users' profiles."),
    ("conversations", "Conversations, message history, sending over HTTP, read positions."),
    ("media", "Uploads (images, files, voice, video) and their downloads, thumbnails and byte ranges."),
    ("friends", "Friends and friend requests: ask, accept or reject, remarks, unfriending."),
    ("blocks", "Blocked users: they can neither message the caller directly nor send friend requests."),
    ("privacy", "Who may message the caller directly: anyone, or friends only."),
    ("groups", "Groups: lifecycle, members, roles, mutes, invitations, join requests, ownership transfer."),
    ("admin", "Enterprise administration (`/admin/v1`): accounts, groups, API keys, figures. Needs the admin role."),
    (
        "integration",
        "Business systems (`/integration/v1`), authenticated by API key: provisioning, sends, webhooks. See docs/admin.md.",
    ),
    ("discovery", "Which instances a client should connect to (no authentication)."),
    ("health", "Liveness and readiness probes."),
    ("meta", "This document."),
];

/// Schemas that collecting the operations does not reach: the error body (the error responses
/// that refer to it are written afterwards) and the payload webhooks are sent (no operation
/// answers it).
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(ErrorBody, WebhookPayload)))]
struct Unreferenced;

/// The whole document: every operation and the schemas they use, their error responses, plus
/// info, servers, security and tags.
pub fn document() -> OpenApi {
    let mut doc = base();
    doc.merge(crate::rest::operations());
    doc.merge(Unreferenced::openapi());
    error_responses::ErrorResponses.modify(&mut doc);
    doc
}

/// The document as JSON, built on first use and kept; `None` if it could not be serialized.
pub fn json() -> Option<&'static [u8]> {
    static JSON: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut doc = serde_json::to_value(document())
            .inspect_err(|e| tracing::error!(error = %e, "serializing the OpenAPI document"))
            .ok()?;
        cross_field_rules(&mut doc);
        serde_json::to_vec(&doc).ok()
    })
    .as_deref()
}

/// Rules that tie one field to another, which the schema derives cannot state: written into
/// the document as JSON Schema `if`/`then`/`else` (OpenAPI 3.1), each next to its schema.
fn cross_field_rules(doc: &mut serde_json::Value) {
    // `POST /admin/v1/users`: a bot has no password; users and admins need one.
    if let Some(create_user) = doc.pointer_mut("/components/schemas/CreateUserRequest").and_then(|s| s.as_object_mut())
    {
        create_user
            .insert("if".into(), serde_json::json!({"properties": {"role": {"const": "bot"}}, "required": ["role"]}));
        create_user.insert("then".into(), serde_json::json!({"properties": {"password": {"type": "null"}}}));
        create_user.insert(
            "else".into(),
            serde_json::json!({"properties": {"password": {"type": "string"}}, "required": ["password"]}),
        );
    }
}

fn base() -> OpenApi {
    let mut components = Components::new();
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some("Access token from `POST /api/v1/auth/login` or `/api/v1/auth/refresh`."))
                .build(),
        ),
    );
    components.add_security_scheme(
        API_KEY,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("API key")
                .description(Some("An integration API key (`/integration/v1`), as `Authorization: Bearer <key>`."))
                .build(),
        ),
    );
    let tags: Vec<_> =
        TAGS.iter().map(|(name, what)| TagBuilder::new().name(*name).description(Some(*what)).build()).collect();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Tidings")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(description()))
                .license(Some(LicenseBuilder::new().name("Apache-2.0").identifier(Some("Apache-2.0")).build())),
        )
        .servers(Some(vec![Server::new("/")]))
        .paths(Paths::new())
        .components(Some(components))
        .tags(Some(tags))
        .build()
}

/// The document's introduction: the error envelope and every stable code.
fn description() -> String {
    let codes: Vec<String> = doc::ALL_CODES.iter().map(|&c| format!("| `{c}` | {} |", doc::meaning(c))).collect();
    format!(
        "The Tidings REST API. The wire contract, WebSocket included, is `docs/protocol.md`.\n\n\
         Every failed call answers `{{\"error\": {{\"code\": \"...\", \"message\": \"...\"}}}}` (`ErrorBody`) \
         with a fitting HTTP status. Codes are stable; messages are for people. Each operation lists \
         the codes it can answer.\n\n| code | meaning |\n|---|---|\n{}",
        codes.join("\n")
    )
}
