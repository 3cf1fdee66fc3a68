//! Forwarding messages of one conversation to others.

use serde::{Deserialize, Serialize};

use crate::rest::{ErrorDetail, SendMessageResponse};

/// `POST /api/v1/conversations/{conv}/forward`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForwardRequest {
    /// Seqs of the messages to forward (1-50, each once), in the order they are to appear.
    pub seqs: Vec<u64>,
    /// Conversation ids to forward to (1-10, each once).
    pub to: Vec<String>,
    /// One message of kind `forward` per target, carrying every original, instead of one copy
    /// per message.
    #[serde(default)]
    pub merged: bool,
    /// The caller's id for this forward (1-48 printable ASCII characters): each copy's
    /// `client_msg_id` is made from it (`{id}.{target}` merged, `{id}.{target}.{item}` else), so a
    /// retry stores nothing twice.
    pub client_msg_id: String,
}

/// What happened in one target conversation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForwardResult {
    /// The target conversation.
    pub conv: String,
    /// The acks of what was stored there, in order (empty when refused).
    pub acks: Vec<SendMessageResponse>,
    /// Why the target was refused (the code a send there would get).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// The answer: one result per target, in the request's order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForwardResponse {
    /// Per target.
    pub results: Vec<ForwardResult>,
}
