//! `/api/v1/conversations`: list, history, send over HTTP, read.

use crate::rest::extract::Json;
use actix_web::{HttpResponse, get, patch, post, web};
use serde::{Deserialize, Serialize};
use tidings_app::messaging::{SendParts, parse_conv};
use tidings_domain::conversation::{ListCursor, PrefsPatch};
use tidings_protocol::ErrorCode as C;
use tidings_protocol::rest::{
    ConversationList, ConversationPrefsRequest, MessagePage, ReadAllResponse, ReadRequest, SendMessageRequest,
    SendMessageResponse,
};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::extract::Authed;
use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list).service(read_all).service(set_prefs).service(history).service(send).service(read);
}

/// `?limit=&since_version=` of the list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Most rows to return (at least 1; capped at `limits.max_conversations`).
    #[param(minimum = 1, maximum = 4294967295_u64, format = Int64)]
    limit: Option<u32>,
    /// Only rows changed after this `version` of an earlier answer (rows changed within a second
    /// before it may come again).
    since_version: Option<i64>,
    /// The rows after this cursor: the `next_before` of the previous page.
    #[param(max_length = 200)]
    before: Option<String>,
}

/// The caller's settings of a conversation after a change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct PrefsResponse {
    /// Conversation.
    conv: String,
    /// Muted now: for good, or until `muted_until`.
    muted: bool,
    /// When a timed mute ends (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    muted_until: Option<i64>,
    /// Pinned.
    pinned: bool,
    /// Unsent text.
    #[serde(skip_serializing_if = "Option::is_none")]
    draft: Option<String>,
    /// The row's new version.
    version: i64,
}

/// `?after_seq=&before_seq=&limit=` of the history.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// The first `limit` messages with a seq above this (default 0). With `before_seq` too, the
    /// first `limit` messages between the two (both excluded).
    after_seq: Option<u64>,
    /// The newest `limit` messages with a seq below this, for scrolling back (without `after_seq`).
    before_seq: Option<u64>,
    /// Page size (at least 1; default `limits.default_page`, capped at `limits.max_page`).
    #[param(minimum = 1, maximum = 4294967295_u64, format = Int64)]
    limit: Option<u32>,
}

/// Answer to a read.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ReadResponse {
    /// Conversation.
    conv: String,
    /// The caller's read position now (it never moves back).
    read_seq: u64,
}

/// The path parameter of every conversation route.
const CONV: &str = "Conversation id: `d:{lo}:{hi}` (the two user ids in ascending order) or `g:{group_id}`.";

/// List the caller's conversations: profiles, unread counts, mentions, last messages, preferences.
///
/// Pinned rows first, then the most recently active. With `since_version`, only the rows that
/// changed since (a message, a read, a preference change).
#[utoipa::path(
    operation_id = "list_conversations",
    tag = "conversations",
    security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, description = "The caller's conversations, pinned first, then most recently active.", body = ConversationList)),
    extensions(("x-errors" = json!([C::InvalidField])))
)]
#[get("/api/v1/conversations")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn list(
    state: web::Data<AppState>,
    who: Authed,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let me = &who.0.user_id;
    let before = match q.before.as_deref() {
        None => None,
        Some(raw) => Some(
            ListCursor::parse(raw)
                .ok_or_else(|| ApiError::new(C::InvalidField, "before: the next_before of an earlier page"))?,
        ),
    };
    let page = state.messaging.conversations(me, q.since_version, before.as_ref(), q.limit).await?;
    Ok(HttpResponse::Ok().json(ConversationList {
        conversations: page
            .rows
            .iter()
            .map(|s| {
                let mut row = wire::summary(s, me);
                row.last_message = row.last_message.map(|m| wire::with_reactions(m, page.reactions.get(&s.view.conv)));
                row
            })
            .collect(),
        version: page.version,
        next_before: page.next_before.as_ref().map(ListCursor::encode),
    }))
}

/// Mark every conversation read.
///
/// Each conversation's read position moves to the newest message the caller may see; each move
/// is pushed as a `read` frame to the caller's other devices (and, in direct chats, to the peer).
#[utoipa::path(
    operation_id = "mark_all_read",
    tag = "conversations",
    security(("bearer" = [])),
    responses((status = 200, description = "How many conversations were marked read.", body = ReadAllResponse))
)]
#[post("/api/v1/conversations/read-all")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn read_all(state: web::Data<AppState>, who: Authed) -> Result<HttpResponse, ApiError> {
    let moved = state.messaging.read_all(&who.0.user_id, &who.0.device_id).await?;
    Ok(HttpResponse::Ok().json(ReadAllResponse { conversations: moved as u64 }))
}

/// Change the caller's own settings of a conversation: mute (for good or until a time), pin, draft.
///
/// Shared by all the caller's devices (they see the change in the list, whose row version moves).
#[utoipa::path(
    operation_id = "set_conversation_prefs",
    tag = "conversations",
    security(("bearer" = [])),
    params(("conv" = String, Path, description = CONV)),
    request_body = ConversationPrefsRequest,
    responses((status = 200, description = "The caller's settings now.", body = PrefsResponse)),
    extensions(("x-errors" = json!([C::NotMember, C::UnknownConversation])))
)]
#[patch("/api/v1/conversations/{conv}")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path))]
pub(super) async fn set_prefs(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: Json<ConversationPrefsRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let patch = PrefsPatch {
        muted: body.muted,
        muted_until: body.muted_until,
        pinned: body.pinned,
        draft: body.draft.map(|d| d.filter(|text| !text.is_empty())),
    };
    let view = state.messaging.set_prefs(&who.0.user_id, &parse_conv(&path)?, &patch).await?;
    let now = tidings_domain::Clock::now_ms(&tidings_domain::SystemClock);
    Ok(HttpResponse::Ok().json(PrefsResponse {
        conv: path.into_inner(),
        muted: view.prefs.is_muted(now),
        muted_until: view.prefs.muted_until.filter(|until| *until > now),
        pinned: view.prefs.pinned,
        draft: view.prefs.draft.clone(),
        version: view.version(),
    }))
}

/// Read a conversation's history, a page at a time.
///
/// With `after_seq`: the first `limit` messages after it; with `before_seq`: the newest `limit`
/// below it. Not both. A direct conversation with no messages yet answers an empty page.
#[utoipa::path(
    operation_id = "list_messages",
    tag = "conversations",
    security(("bearer" = [])),
    params(("conv" = String, Path, description = CONV), HistoryQuery),
    responses((status = 200, description = "A page of messages, ascending by seq.", body = MessagePage)),
    extensions(("x-errors" = json!([C::InvalidField, C::SeqOutOfRange, C::NotMember, C::UnknownConversation])))
)]
#[get("/api/v1/conversations/{conv}/messages")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path))]
pub(super) async fn history(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    q: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let conv = parse_conv(&path)?;
    let slice = state.messaging.history(&who.0.user_id, &conv, q.after_seq, q.before_seq, q.limit).await?;
    Ok(HttpResponse::Ok().json(MessagePage {
        messages: wire::page(&slice),
        has_more: slice.has_more,
        min_seq: slice.min_seq,
    }))
}

/// Send a message over HTTP.
///
/// 201 once the message is committed, or 200 with the original ack when the `client_msg_id` was
/// already stored. The message is pushed like a WebSocket send. Limited per user like every send.
#[utoipa::path(
    operation_id = "send_message",
    tag = "conversations",
    security(("bearer" = [])),
    params(("conv" = String, Path, description = CONV)),
    request_body = SendMessageRequest,
    responses(
        (status = 201, description = "The message is committed and pushed (`duplicate: false`).", body = SendMessageResponse),
        (status = 200, description = "A repeat of a stored `client_msg_id`: the original ack, `duplicate: true`.", body = SendMessageResponse),
    ),
    extensions(("x-errors" = json!([
        C::UnsupportedKind, C::NotMember, C::Blocked, C::NotFriends, C::Muted, C::Forbidden, C::UnknownConversation,
        C::GroupDissolved, C::BodyTooLarge, C::PayloadTooLarge, C::RateLimited, C::Busy, C::ContentRejected,
        C::ContentCheckUnavailable
    ])))
)]
#[post("/api/v1/conversations/{conv}/messages")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path))]
pub(super) async fn send(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: Json<SendMessageRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let c = &who.0;
    state.check_send_rate(&c.user_id).await?;
    let SendMessageRequest { client_msg_id, kind, body } = body.into_inner();
    let p = SendParts::parse(&path, client_msg_id, &kind)?;
    let pending = state.messaging.send(&c.user_id, &c.device_id, p.conv, p.client_msg_id, p.kind, &body).await?;
    let ack = pending.wait().await?;
    let mut resp = if ack.duplicate { HttpResponse::Ok() } else { HttpResponse::Created() };
    Ok(resp.json(wire::send_response(&ack)))
}

/// Mark the conversation read up to `seq`.
///
/// The read position only moves forward; the move is pushed to the caller's other devices and,
/// in a direct chat, to the peer.
#[utoipa::path(
    operation_id = "mark_read",
    tag = "conversations",
    security(("bearer" = [])),
    params(("conv" = String, Path, description = CONV)),
    request_body = ReadRequest,
    responses((status = 200, description = "The caller's read position, moved forward and pushed.", body = ReadResponse)),
    extensions(("x-errors" = json!([C::SeqOutOfRange, C::NotMember, C::UnknownConversation])))
)]
#[post("/api/v1/conversations/{conv}/read")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path))]
pub(super) async fn read(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: Json<ReadRequest>,
) -> Result<HttpResponse, ApiError> {
    let read_seq = state.messaging.read(&who.0.user_id, &who.0.device_id, &parse_conv(&path)?, body.seq).await?;
    Ok(HttpResponse::Ok().json(ReadResponse { conv: path.into_inner(), read_seq }))
}
