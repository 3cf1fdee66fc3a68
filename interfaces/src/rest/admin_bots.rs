//! `/admin/v1/bots`: AI assistant bots (create with their account, list, read, change, delete)
//! and their usage against their budgets. No route ever returns a bot's API key.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use tidings_app::bots::{BotInput, BotUsageView, NewBot};
use tidings_domain::account::User;
use tidings_domain::bots::{ApiKey, BotConfig, Budgets, Limits, Usage};
use tidings_protocol::ErrorCode as C;
use tidings_protocol::bots::{
    BotBudgets, BotPage, BotUsage, BotUsageParams, BotUsageReport, BotView, CreateBotRequest, UpdateBotRequest,
};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::admin::{ADMIN_ONLY, AdminAuthed};
use crate::error::ApiError;
use crate::rest::extract::Json;
use crate::state::AppState;

const BOT_ID: &str = "The bot's user id.";

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_bots)
        .service(create_bot)
        .service(get_bot)
        .service(update_bot)
        .service(delete_bot)
        .service(bot_usage);
}

/// List the AI bots.
///
/// Every bot with its model settings (never its key), budgets and today's usage, by id.
#[utoipa::path(
    operation_id = "admin_list_bots",
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "The bots.", body = BotPage)),
    extensions(("x-errors" = json!(ADMIN_ONLY)))
)]
#[get("/admin/v1/bots")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
async fn list_bots(state: web::Data<AppState>, who: AdminAuthed) -> Result<HttpResponse, ApiError> {
    let mut bots = Vec::new();
    for (user, config) in state.bots.list().await? {
        let usage = state.bots.usage(user.id.as_str(), None).await?;
        bots.push(view(&user, &config, &usage));
    }
    Ok(HttpResponse::Ok().json(BotPage { bots }))
}

/// Create an AI bot.
///
/// Creates its account (role `bot`, no password, direct messages from anyone) and binds it to
/// an OpenAI-compatible chat completions API. Users message it directly or mention it in a
/// group it is a member of. `invalid_field` for a bad URL, model, temperature (0 to 2) or
/// prompt; `username_taken` when the username is.
#[utoipa::path(
    operation_id = "admin_create_bot",
    tag = "admin",
    security(("bearer" = [])),
    request_body = CreateBotRequest,
    responses((status = 201, description = "The new bot.", body = BotView)),
    extensions(("x-errors" = json!([ADMIN_ONLY, &[C::InvalidField, C::UsernameTaken, C::ContentRejected]].concat())))
)]
#[post("/admin/v1/bots")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, username = %body.username))]
async fn create_bot(
    state: web::Data<AppState>,
    who: AdminAuthed,
    body: Json<CreateBotRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let b = body.into_inner();
    let input = BotInput {
        display_name: b.display_name,
        base_url: Some(b.base_url),
        model: Some(b.model),
        api_key: b.api_key.map(ApiKey::new),
        system_prompt: b.system_prompt,
        temperature: b.temperature,
        stream: b.stream,
        budgets: budgets(b.budgets),
    };
    let (user, config) = state.bots.create(NewBot { username: b.username, input }).await?;
    let usage = state.bots.usage(user.id.as_str(), None).await?;
    Ok(HttpResponse::Created().json(view(&user, &config, &usage)))
}

/// Read an AI bot.
#[utoipa::path(
    operation_id = "admin_get_bot",
    tag = "admin",
    security(("bearer" = [])),
    params(("bot_id" = String, Path, description = BOT_ID)),
    responses((status = 200, description = "The bot.", body = BotView)),
    extensions(("x-errors" = json!([ADMIN_ONLY, &[C::NotFound]].concat())))
)]
#[get("/admin/v1/bots/{bot_id}")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, bot = %path))]
async fn get_bot(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (user, config) = state.bots.get(&path).await?;
    let usage = state.bots.usage(&path, None).await?;
    Ok(HttpResponse::Ok().json(view(&user, &config, &usage)))
}

/// Change an AI bot.
///
/// What the body gives replaces, what it omits stays (a new `api_key` replaces the old one).
/// Applies on every instance within `bots.reload`.
#[utoipa::path(
    operation_id = "admin_update_bot",
    tag = "admin",
    security(("bearer" = [])),
    params(("bot_id" = String, Path, description = BOT_ID)),
    request_body = UpdateBotRequest,
    responses((status = 200, description = "The bot as it is now.", body = BotView)),
    extensions(("x-errors" = json!([ADMIN_ONLY, &[C::NotFound, C::InvalidField, C::ContentRejected]].concat())))
)]
#[patch("/admin/v1/bots/{bot_id}")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, bot = %path))]
async fn update_bot(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
    body: Json<UpdateBotRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let b = body.into_inner();
    let input = BotInput {
        display_name: b.display_name,
        base_url: b.base_url,
        model: b.model,
        api_key: b.api_key.map(ApiKey::new),
        system_prompt: b.system_prompt,
        temperature: b.temperature,
        stream: b.stream,
        budgets: budgets(b.budgets),
    };
    let (user, config) = state.bots.update(&path, input).await?;
    let usage = state.bots.usage(&path, None).await?;
    Ok(HttpResponse::Ok().json(view(&user, &config, &usage)))
}

/// Delete an AI bot.
///
/// Its configuration is removed and its account disabled: it answers no more, its messages
/// stay in their conversations.
#[utoipa::path(
    operation_id = "admin_delete_bot",
    tag = "admin",
    security(("bearer" = [])),
    params(("bot_id" = String, Path, description = BOT_ID)),
    responses((status = 204, description = "Deleted; its account is disabled.")),
    extensions(("x-errors" = json!([ADMIN_ONLY, &[C::NotFound]].concat())))
)]
#[delete("/admin/v1/bots/{bot_id}")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, bot = %path))]
async fn delete_bot(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.bots.delete(&who.0.id, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Read an AI bot's usage today.
///
/// Requests, tokens and errors of the current UTC day, in total and (with `user_id`) one
/// user's part, with the budgets in force.
#[utoipa::path(
    operation_id = "admin_bot_usage",
    tag = "admin",
    security(("bearer" = [])),
    params(("bot_id" = String, Path, description = BOT_ID), BotUsageParams),
    responses((status = 200, description = "Today's usage.", body = BotUsageReport)),
    extensions(("x-errors" = json!([ADMIN_ONLY, &[C::NotFound, C::InvalidField]].concat())))
)]
#[get("/admin/v1/bots/{bot_id}/usage")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, bot = %path))]
async fn bot_usage(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
    q: web::Query<BotUsageParams>,
) -> Result<HttpResponse, ApiError> {
    let u = state.bots.usage(&path, q.user_id.as_deref()).await?;
    Ok(HttpResponse::Ok().json(BotUsageReport {
        day: u.day,
        total: usage(u.total),
        user: u.user.map(usage),
        budgets: limits(&u.limits),
    }))
}

fn budgets(b: Option<BotBudgets>) -> Budgets {
    let b = b.unwrap_or_default();
    Budgets {
        requests_per_day: b.requests_per_day,
        tokens_per_day: b.tokens_per_day,
        user_requests_per_day: b.user_requests_per_day,
        user_tokens_per_day: b.user_tokens_per_day,
    }
}

fn limits(l: &Limits) -> BotBudgets {
    BotBudgets {
        requests_per_day: Some(l.requests_per_day),
        tokens_per_day: Some(l.tokens_per_day),
        user_requests_per_day: Some(l.user_requests_per_day),
        user_tokens_per_day: Some(l.user_tokens_per_day),
    }
}

fn usage(u: Usage) -> BotUsage {
    BotUsage { requests: u.requests, tokens_in: u.tokens_in, tokens_out: u.tokens_out, errors: u.errors }
}

fn view(user: &User, c: &BotConfig, u: &BotUsageView) -> BotView {
    BotView {
        bot_id: user.id.to_string(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        base_url: c.base_url.clone(),
        model: c.model.clone(),
        has_api_key: !c.api_key.is_empty(),
        system_prompt: c.system_prompt.clone(),
        temperature: c.temperature,
        stream: c.stream,
        budgets: limits(&u.limits),
        usage_today: usage(u.total),
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}
