//! `/api/v1/me/devices`: the caller's logged-in devices and remote logout.

use actix_web::{HttpResponse, delete, get, web};
use tidings_domain::DeviceId;
use tidings_protocol::ErrorCode as C;
use tidings_protocol::rest::{DeviceInfo, DeviceList};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::Authed;
use crate::error::ApiError;
use crate::state::AppState;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list).service(logout);
}

/// List the caller's logged-in devices, with whether each is connected now.
#[utoipa::path(
    operation_id = "list_devices",
    tag = "users",
    security(("bearer" = [])),
    responses((status = 200, description = "Device sessions still live, oldest first.", body = DeviceList))
)]
#[get("/api/v1/me/devices")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn list(state: web::Data<AppState>, who: Authed) -> Result<HttpResponse, ApiError> {
    let me = &who.0;
    let sessions = state.accounts.devices(&me.user_id).await?;
    let online = match state.presence.online_devices(&me.user_id).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "presence lookup failed; listing devices as offline");
            Vec::new()
        }
    };
    let devices = sessions
        .into_iter()
        .map(|s| DeviceInfo {
            online: online.contains(&s.device_id),
            current: s.device_id == me.device_id,
            device_id: s.device_id.as_str().to_owned(),
            platform: s.platform,
            created_at: s.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(DeviceList { devices }))
}

/// Log one of the caller's devices out: its tokens stop working and its sockets get `kicked`
/// (`remote_logout`) and close.
#[utoipa::path(
    operation_id = "logout_device",
    tag = "users",
    security(("bearer" = [])),
    params(("device_id" = String, Path, description = "The device id given at its login.")),
    responses((status = 204, description = "The device is logged out.")),
    extensions(("x-errors" = json!([C::NotFound])))
)]
#[delete("/api/v1/me/devices/{device_id}")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, device = %path))]
pub(super) async fn logout(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.accounts.logout_device(&who.0.user_id, &DeviceId::new(path.into_inner())).await?;
    Ok(HttpResponse::NoContent().finish())
}
