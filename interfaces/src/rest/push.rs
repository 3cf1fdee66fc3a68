//! `/api/v1/me/devices/{device_id}/push`, `/api/v1/me/push` and `/api/v1/me/badge`: the
//! caller's push tokens, notification settings and badge count.

use actix_web::{HttpResponse, delete, get, patch, put, web};
use tidings_app::PushSettingsView;
use tidings_domain::DeviceId;
use tidings_domain::device_push::{PushPrefs, PushPrivacy, QuietHours, clock_text, parse_clock};
use tidings_protocol::ErrorCode as C;
use tidings_protocol::push::{self as wire, Badge, PushSettingsPatch, PushTokenRequest};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Authed, Json};
use crate::error::ApiError;
use crate::state::AppState;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(register).service(unregister).service(settings).service(change).service(badge);
}

/// Register the push token of one of the caller's logged-in devices (replacing its earlier one).
///
/// Notifications for messages that arrive while none of the caller's devices is connected go to
/// every registered device whose login is still valid. A token registered by another device
/// before moves to this one.
#[utoipa::path(
    operation_id = "register_push_token",
    tag = "users",
    security(("bearer" = [])),
    params(("device_id" = String, Path, description = "The device id given at its login.")),
    request_body = PushTokenRequest,
    responses((status = 204, description = "The token is registered.")),
    extensions(("x-errors" = json!([C::InvalidField, C::NotFound])))
)]
#[put("/api/v1/me/devices/{device_id}/push")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, device = %path))]
pub(super) async fn register(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: Json<PushTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let device = DeviceId::new(path.into_inner());
    state.push_settings.register(&who.0.user_id, &device, &body.platform, &body.token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Forget a device's push token: it gets no more notifications. Idempotent.
#[utoipa::path(
    operation_id = "unregister_push_token",
    tag = "users",
    security(("bearer" = [])),
    params(("device_id" = String, Path, description = "The device id given at its login.")),
    responses((status = 204, description = "The device has no push token now."))
)]
#[delete("/api/v1/me/devices/{device_id}/push")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, device = %path))]
pub(super) async fn unregister(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.push_settings.unregister(&who.0.user_id, &DeviceId::new(path.into_inner())).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's notification settings and the devices with a push token.
#[utoipa::path(
    operation_id = "get_push_settings",
    tag = "users",
    security(("bearer" = [])),
    responses((status = 200, description = "Privacy, quiet hours and push devices.", body = wire::PushSettings))
)]
#[get("/api/v1/me/push")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn settings(state: web::Data<AppState>, who: Authed) -> Result<HttpResponse, ApiError> {
    let view = state.push_settings.view(&who.0.user_id).await?;
    Ok(HttpResponse::Ok().json(to_wire(&view)))
}

/// Change the caller's notification settings: privacy of the text, quiet hours.
///
/// Shared by all the caller's devices. In quiet hours nothing is pushed, except messages that
/// mention the caller by name; unread counts are kept as always.
#[utoipa::path(
    operation_id = "set_push_settings",
    tag = "users",
    security(("bearer" = [])),
    request_body = PushSettingsPatch,
    responses((status = 200, description = "The settings now.", body = wire::PushSettings)),
    extensions(("x-errors" = json!([C::InvalidField])))
)]
#[patch("/api/v1/me/push")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn change(
    state: web::Data<AppState>,
    who: Authed,
    body: Json<PushSettingsPatch>,
) -> Result<HttpResponse, ApiError> {
    let mut prefs = state.push_settings.prefs(&who.0.user_id).await?;
    apply(&mut prefs, &body)?;
    let view = state.push_settings.set_prefs(&who.0.user_id, &prefs).await?;
    Ok(HttpResponse::Ok().json(to_wire(&view)))
}

/// The caller's unread count over all conversations: what the app icon shows, and what native
/// pushes carry as their badge.
#[utoipa::path(
    operation_id = "get_badge",
    tag = "users",
    security(("bearer" = [])),
    responses((status = 200, description = "The unread count.", body = Badge))
)]
#[get("/api/v1/me/badge")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn badge(state: web::Data<AppState>, who: Authed) -> Result<HttpResponse, ApiError> {
    let unread = state.push_settings.badge(&who.0.user_id).await?;
    Ok(HttpResponse::Ok().json(Badge { unread }))
}

/// The patch applied to `prefs`, or the field it got wrong.
fn apply(prefs: &mut PushPrefs, patch: &PushSettingsPatch) -> Result<(), ApiError> {
    let invalid = |m: &str| ApiError::new(C::InvalidField, m);
    if let Some(privacy) = &patch.privacy {
        prefs.privacy = PushPrivacy::parse(privacy).ok_or_else(|| invalid("privacy: one of full, sender, hidden"))?;
    }
    if let Some(quiet) = &patch.quiet_hours {
        prefs.quiet_hours = match quiet {
            None => None,
            Some(q) => {
                let (Some(start), Some(end)) = (parse_clock(&q.start), parse_clock(&q.end)) else {
                    return Err(invalid("quiet_hours: start and end are HH:MM (00:00 to 23:59)"));
                };
                Some(QuietHours::new(start, end, &q.tz).ok_or_else(|| {
                    invalid("quiet_hours: start and end differ, and tz is an IANA time zone (e.g. Asia/Shanghai)")
                })?)
            }
        };
    }
    Ok(())
}

fn to_wire(view: &PushSettingsView) -> wire::PushSettings {
    wire::PushSettings {
        privacy: view.prefs.privacy.as_str().to_owned(),
        quiet_hours: view.prefs.quiet_hours.as_ref().map(|q| wire::QuietHours {
            start: clock_text(q.start_min),
            end: clock_text(q.end_min),
            tz: q.tz.clone(),
        }),
        devices: view
            .tokens
            .iter()
            .map(|t| wire::PushDevice {
                device_id: t.device_id.as_str().to_owned(),
                platform: t.platform.as_str().to_owned(),
                updated_at: t.updated_at,
            })
            .collect(),
    }
}
