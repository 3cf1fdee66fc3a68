//! `/api/v1/conversations`: list, history, send over HTTP, read.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use tidings_protocol::rest::{ConversationList, MessagePage, ReadRequest, SendMessageRequest};
use validator::Validate;

use super::extract::Authed;
use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// `?limit=` of the list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<u32>,
}

/// `?after_seq=&before_seq=&limit=` of the history.
#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    after_seq: Option<u64>,
    before_seq: Option<u64>,
    limit: Option<u32>,
}

/// Answer to a read.
#[derive(Debug, Serialize)]
struct ReadResponse {
    conv: String,
    read_seq: u64,
}

/// `GET /conversations`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn list(state: web::Data<AppState>, who: Authed, q: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let me = &who.0.user_id;
    let rows = state.messaging.conversations(me, q.limit).await?;
    Ok(HttpResponse::Ok().json(ConversationList { conversations: rows.iter().map(|s| wire::summary(s, me)).collect() }))
}

/// `GET /conversations/{conv}/messages`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path))]
pub async fn history(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    q: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let (messages, has_more) =
        state.messaging.history(&who.0.user_id, &path, q.after_seq, q.before_seq, q.limit).await?;
    Ok(HttpResponse::Ok().json(MessagePage { messages: messages.iter().map(wire::message).collect(), has_more }))
}

/// `POST /conversations/{conv}/messages` -> 201 with the ack (200 when it was a duplicate).
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path))]
pub async fn send(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: web::Json<SendMessageRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let c = &who.0;
    state.check_send_rate(&c.user_id).await?;
    let pending =
        state.messaging.send(&c.user_id, &c.device_id, &path, &body.client_msg_id, &body.kind, &body.body).await?;
    let ack = pending.wait().await?;
    let mut resp = if ack.duplicate { HttpResponse::Ok() } else { HttpResponse::Created() };
    Ok(resp.json(wire::send_response(&ack)))
}

/// `POST /conversations/{conv}/read` {seq}.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path))]
pub async fn read(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: web::Json<ReadRequest>,
) -> Result<HttpResponse, ApiError> {
    let read_seq = state.messaging.read(&who.0.user_id, &who.0.device_id, &path, body.seq).await?;
    Ok(HttpResponse::Ok().json(ReadResponse { conv: path.into_inner(), read_seq }))
}
