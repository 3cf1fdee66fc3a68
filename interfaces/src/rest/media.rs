//! `POST /api/v1/media` (upload, streamed to a staging file and hashed on the way),
//! `GET /api/v1/media/{media_id}` and `GET /api/v1/media/{media_id}/thumbnail` (downloads with
//! single-range support, for the uploader or members of a conversation the media was sent in).

use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use tidings_app::media::{Staged, UploadMeta};
use tidings_domain::media::{Media, MediaKind};
use tidings_protocol::ErrorCode as C;
use tidings_protocol::media::MediaInfo;
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Authed, bearer};
use super::media_serve::{Blob, serve};
use super::media_stage::stage;
use crate::error::ApiError;
use crate::state::AppState;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(upload).service(download).service(thumbnail);
}

/// `?kind=&name=` of an upload.
#[derive(Debug, Deserialize, utoipa::IntoParams, validator::Validate)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct UploadQuery {
    /// `image`, `file`, `voice` or `video`.
    #[validate(length(min = 1, max = 16))]
    kind: String,
    /// File name (kept with the upload; 1-255 characters).
    #[validate(length(min = 1, max = 255))]
    name: Option<String>,
}

/// `?token=` of a download, for `<img src>` and players that cannot send a header.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct TokenQuery {
    /// Access token, when no `Authorization: Bearer` header is sent.
    token: Option<String>,
}

fn info(m: &Media) -> MediaInfo {
    MediaInfo {
        media_id: m.id.clone(),
        kind: m.kind.as_str().to_owned(),
        content_type: m.content_type.clone(),
        size: m.size,
        sha256: m.sha256.clone(),
        name: m.name.clone(),
        width: m.width,
        height: m.height,
        thumbnail: m.thumb_key.is_some(),
    }
}

/// Upload media.
///
/// The request body is the raw bytes (not multipart), streamed to disk and hashed on the way;
/// `Content-Type` declares their type. Reading stops as soon as the body passes the kind's limit
/// (`media.max_image_bytes`, `max_file_bytes`, `max_voice_bytes`, `max_video_bytes`). For
/// `image`, `voice` and `video` the type is sniffed from the bytes and must match the declared
/// one; `file` takes any bytes. Images get their width and height read (refused past
/// `limits.max_media_side` before decoding) and a PNG thumbnail. The same bytes are stored once,
/// however often they are uploaded; each upload gets its own `media_id`.
#[utoipa::path(
    operation_id = "upload_media",
    tag = "media",
    security(("bearer" = [])),
    params(UploadQuery),
    request_body(content = String, content_type = "application/octet-stream", description = "The raw bytes."),
    responses((status = 201, description = "Stored.", body = MediaInfo)),
    extensions(("x-errors" = json!([C::InvalidField, C::MediaTooLarge, C::MediaTypeMismatch, C::Busy])))
)]
#[post("/api/v1/media")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, kind = %q.kind))]
pub(super) async fn upload(
    state: web::Data<AppState>,
    who: Authed,
    req: HttpRequest,
    q: web::Query<UploadQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    validator::Validate::validate(&*q)?;
    let kind =
        MediaKind::parse(&q.kind).ok_or_else(|| ApiError::invalid("kind must be one of image, file, voice, video"))?;
    let max = state.media.limits().max_bytes(kind);
    let too_large = || ApiError::new(C::MediaTooLarge, format!("{} uploads are limited to {max} bytes", kind.as_str()));
    let declared_len = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared_len.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let declared_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let staged: Staged = stage(&state.media_staging, payload, max).await?.ok_or_else(too_large)?;
    let meta = UploadMeta { kind, declared_type, name: q.into_inner().name };
    let result = state.media.upload(&who.0.user_id, meta, &staged).await;
    // Moved into the store on success; removed here on failure.
    let _ = tokio::fs::remove_file(&staged.path).await;
    Ok(HttpResponse::Created().json(info(&result?)))
}

/// With `media.origin` set, the redirect of a media request that arrived on another host: to
/// the same path and query on the media origin (307 keeps the method). `None` when it is
/// already there, or no origin is set.
fn on_media_origin(state: &AppState, req: &HttpRequest) -> Option<HttpResponse> {
    let origin = state.config.media_origin.as_deref()?;
    let host = origin.split_once("://").map_or(origin, |(_, host)| host);
    if req.connection_info().host().eq_ignore_ascii_case(host) {
        return None;
    }
    let target = req.uri().path_and_query().map_or(req.path(), |p| p.as_str());
    Some(
        HttpResponse::TemporaryRedirect()
            .insert_header((actix_web::http::header::LOCATION, format!("{origin}{target}")))
            .finish(),
    )
}

/// The caller of a download: the bearer header, else `?token=`.
async fn caller(state: &AppState, req: &HttpRequest, q: &TokenQuery) -> Result<tidings_domain::UserId, ApiError> {
    let token = bearer(req)
        .or_else(|| q.token.clone())
        .ok_or_else(|| ApiError::new(C::Unauthorized, "missing bearer token"))?;
    Ok(state.accounts.authenticate(&token).await?.user_id)
}

/// Download media.
///
/// For the uploader, and for members of a conversation where a message carrying it was sent;
/// anyone else gets `media_not_found`, as for an unknown id. Authenticate with
/// `Authorization: Bearer` or `?token=`. A single `Range: bytes=a-b` (also `a-` and `-n`) is
/// answered with 206 and `Content-Range`; `ETag` is the SHA-256, so `If-None-Match` gets 304.
#[utoipa::path(
    operation_id = "download_media",
    tag = "media",
    security(("bearer" = [])),
    params(("media_id" = String, Path, description = "Media id from the upload."), TokenQuery),
    responses(
        (status = 200, description = "The bytes, with `Content-Type`, `ETag`, `Accept-Ranges: bytes`. (304 when `If-None-Match` matches the `ETag`.)"),
        (status = 206, description = "The asked range, with `Content-Range`."),
        (status = 307, description = "With `media.origin` set, a request on another host is sent there: same path and query."),
    ),
    extensions(("x-errors" = json!([C::InvalidField, C::MediaNotFound, C::RangeNotSatisfiable])))
)]
#[get("/api/v1/media/{media_id}")]
#[tracing::instrument(skip_all, fields(media = %path.as_str()))]
pub(super) async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    if let Some(redirect) = on_media_origin(&state, &req) {
        return Ok(redirect);
    }
    let user = caller(&state, &req, &q).await?;
    let media = state.media.authorize(&user, &path).await?;
    let blob = Blob {
        key: media.sha256.clone(),
        size: media.size,
        content_type: media.content_type.clone(),
        name: media.name.clone(),
    };
    serve(&state, &req, blob).await
}

/// Download an image's thumbnail.
///
/// A PNG whose longest side is at most `media.thumbnail_side`; same access rule and headers as
/// the media itself. `media_not_found` for media without a thumbnail.
#[utoipa::path(
    operation_id = "download_media_thumbnail",
    tag = "media",
    security(("bearer" = [])),
    params(("media_id" = String, Path, description = "Media id from the upload."), TokenQuery),
    responses(
        (status = 200, description = "The PNG thumbnail. (304 when `If-None-Match` matches the `ETag`.)"),
        (status = 206, description = "The asked range, with `Content-Range`."),
        (status = 307, description = "With `media.origin` set, a request on another host is sent there: same path and query."),
    ),
    extensions(("x-errors" = json!([C::InvalidField, C::MediaNotFound, C::RangeNotSatisfiable])))
)]
#[get("/api/v1/media/{media_id}/thumbnail")]
#[tracing::instrument(skip_all, fields(media = %path.as_str()))]
pub(super) async fn thumbnail(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    if let Some(redirect) = on_media_origin(&state, &req) {
        return Ok(redirect);
    }
    let user = caller(&state, &req, &q).await?;
    let media = state.media.authorize(&user, &path).await?;
    let key = media.thumb_key.ok_or_else(|| ApiError::from(tidings_app::AppError::MediaNotFound))?;
    let size = state.media.blob_size(&key).await?;
    serve(&state, &req, Blob { key, size, content_type: "image/png".into(), name: None }).await
}
