//! `/admin/v1/bots`: AI assistant bots bound to an OpenAI-compatible chat completions API. The
//! API key is written, never read back: no view carries it.

use serde::{Deserialize, Serialize};
#[cfg(feature = "validate")]
use validator::Validate;

/// A bot to create. Its account is made with it (role `bot`, no password, direct messages
/// from anyone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "validate", derive(Validate))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateBotRequest {
    /// The account's username: 3–32 characters, lowercase letters, digits, `_`, `.`, `-`.
    #[cfg_attr(
        feature = "validate",
        validate(length(min = 3, max = 32), custom(function = "crate::rest::rules::username"))
    )]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::username))]
    pub username: String,
    /// 1–64 characters; defaults to the username.
    #[serde(default)]
    #[cfg_attr(
        feature = "validate",
        validate(length(min = 1, max = 64), custom(function = "crate::rest::rules::shown_name"))
    )]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::text::optional_shown_name_schema))]
    pub display_name: Option<String>,
    /// The API's base URL (`http://` or `https://`), e.g. `https://api.openai.com/v1`;
    /// requests go to `{base_url}/chat/completions`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^https?://", max_length = 512))]
    pub base_url: String,
    /// The model name sent with each request.
    #[cfg_attr(feature = "openapi", schema(pattern = "\\S", min_length = 1, max_length = 128))]
    pub model: String,
    /// Sent as `Authorization: Bearer <key>`; never returned. Omitted: no header.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 512))]
    pub api_key: Option<String>,
    /// Sent first, as the `system` message (at most 4000 characters).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub system_prompt: Option<String>,
    /// 0 to 2; default 0.7.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 2))]
    pub temperature: Option<f32>,
    /// Ask for a streamed answer (server-sent events); default true.
    #[serde(default)]
    pub stream: Option<bool>,
    /// Budgets; each omitted one takes the server's default (`[bots]`), 0 = no limit.
    #[serde(default, deserialize_with = "budgets_object")]
    #[cfg_attr(feature = "validate", validate(nested))]
    pub budgets: Option<BotBudgets>,
}

/// A change of a bot: what is given replaces, what is omitted stays.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "validate", derive(Validate))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateBotRequest {
    /// 1–64 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "validate",
        validate(length(min = 1, max = 64), custom(function = "crate::rest::rules::shown_name"))
    )]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::text::optional_shown_name_schema))]
    pub display_name: Option<String>,
    /// See [`CreateBotRequest::base_url`].
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^https?://", max_length = 512))]
    pub base_url: Option<String>,
    /// See [`CreateBotRequest::model`].
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "\\S", min_length = 1, max_length = 128))]
    pub model: Option<String>,
    /// A new key (never returned).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 512))]
    pub api_key: Option<String>,
    /// See [`CreateBotRequest::system_prompt`].
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub system_prompt: Option<String>,
    /// 0 to 2.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 2))]
    pub temperature: Option<f32>,
    /// See [`CreateBotRequest::stream`].
    #[serde(default)]
    pub stream: Option<bool>,
    /// Budgets to set (the ones given replace).
    #[serde(default, deserialize_with = "budgets_object")]
    #[cfg_attr(feature = "validate", validate(nested))]
    pub budgets: Option<BotBudgets>,
}

/// What a bot may spend per UTC day; 0 = no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "validate", derive(Validate))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BotBudgets {
    /// Model requests of the bot, all users together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "validate", validate(range(max = 9_223_372_036_854_775_807u64)))]
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807u64))]
    pub requests_per_day: Option<u64>,
    /// Tokens (prompt and answer) of the bot, all users together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "validate", validate(range(max = 9_223_372_036_854_775_807u64)))]
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807u64))]
    pub tokens_per_day: Option<u64>,
    /// Model requests one user may cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "validate", validate(range(max = 9_223_372_036_854_775_807u64)))]
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807u64))]
    pub user_requests_per_day: Option<u64>,
    /// Tokens one user may cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "validate", validate(range(max = 9_223_372_036_854_775_807u64)))]
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807u64))]
    pub user_tokens_per_day: Option<u64>,
}

/// A bot as administrators see it (never its key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BotView {
    /// The bot's user id: what users message and mention.
    pub bot_id: String,
    /// The account's username.
    pub username: String,
    /// Shown name.
    pub display_name: String,
    /// The API's base URL.
    #[cfg_attr(feature = "openapi", schema(pattern = "^https?://", max_length = 512))]
    pub base_url: String,
    /// Model name.
    #[cfg_attr(feature = "openapi", schema(pattern = "\\S", min_length = 1, max_length = 128))]
    pub model: String,
    /// Whether a key is set (the key itself is never shown).
    pub has_api_key: bool,
    /// The system prompt.
    pub system_prompt: String,
    /// Sampling temperature.
    pub temperature: f32,
    /// Streamed answers.
    pub stream: bool,
    /// The budgets in force (defaults filled in; 0 = no limit).
    pub budgets: BotBudgets,
    /// Today's (UTC) usage, all users together.
    pub usage_today: BotUsage,
    /// Creation, Unix milliseconds.
    pub created_at: i64,
    /// Last change, Unix milliseconds.
    pub updated_at: i64,
}

/// Every bot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BotPage {
    /// The bots, by id.
    pub bots: Vec<BotView>,
}

/// What was spent in one UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BotUsage {
    /// Model requests.
    pub requests: u64,
    /// Prompt tokens (reported by the API, else estimated).
    pub tokens_in: u64,
    /// Answer tokens (reported by the API, else estimated).
    pub tokens_out: u64,
    /// Requests that failed (error status, garbage, timeout).
    pub errors: u64,
}

/// `GET /admin/v1/bots/{bot_id}/usage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BotUsageReport {
    /// The UTC day counted (days since the Unix epoch).
    pub day: i64,
    /// The bot's total.
    pub total: BotUsage,
    /// The asked user's part (`?user_id=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<BotUsage>,
    /// The budgets in force.
    pub budgets: BotBudgets,
}

/// Query of `GET /admin/v1/bots/{bot_id}/usage`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct BotUsageParams {
    /// Also report this user's part.
    #[serde(default)]
    pub user_id: Option<String>,
}

/// `budgets` as the document states it: an object (or null). serde would also take a struct
/// from a JSON array (`[]` → every budget unset), which the schema does not allow.
fn budgets_object<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<BotBudgets>, D::Error> {
    use serde::de::Error as _;
    match Option::<serde_json::Map<String, serde_json::Value>>::deserialize(d)? {
        None => Ok(None),
        Some(map) => serde_json::from_value(serde_json::Value::Object(map)).map(Some).map_err(D::Error::custom),
    }
}
