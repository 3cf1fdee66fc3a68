//! The edge's parsers: a frame's or a path's text becomes the typed values the use cases take,
//! once, with the errors these inputs have always been refused with.

use tidings_domain::message::InvalidClientMsgId;
use tidings_domain::{ClientMsgId, ConvId, MessageKind};

use super::body::trim;
use crate::error::AppError;

/// A send's target and identity, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendParts {
    /// The conversation.
    pub conv: ConvId,
    /// The sender's id for the message.
    pub client_msg_id: ClientMsgId,
    /// Its kind.
    pub kind: MessageKind,
}

impl SendParts {
    /// Parses a send's conversation, `client_msg_id` and kind, in that order (the first fault
    /// is the one reported): `UnknownConversation`, `InvalidField`, `UnsupportedKind`.
    pub fn parse<S: AsRef<str> + Into<String>>(conv: &str, client_msg_id: S, kind: &str) -> Result<Self, AppError> {
        let conv = parse_conv(conv)?;
        let client_msg_id = ClientMsgId::parse(client_msg_id)?;
        let kind = parse_kind(kind)?;
        Ok(Self { conv, client_msg_id, kind })
    }
}

/// A conversation id; a malformed one is `UnknownConversation` (it names nothing).
pub fn parse_conv(raw: &str) -> Result<ConvId, AppError> {
    ConvId::parse(raw).ok_or(AppError::UnknownConversation)
}

/// A kind a client may send; any other is `UnsupportedKind` with its first 32 characters.
pub fn parse_kind(raw: &str) -> Result<MessageKind, AppError> {
    MessageKind::parse(raw).ok_or_else(|| AppError::UnsupportedKind(trim(raw)))
}

impl From<InvalidClientMsgId> for AppError {
    fn from(e: InvalidClientMsgId) -> Self {
        AppError::InvalidField(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_reported_in_order() {
        let err = |c: &str, id: &str, k: &str| SendParts::parse(c, id, k).err().map(|e| e.to_string());
        assert_eq!(err("x", "", "nope"), Some("unknown conversation".into()));
        assert_eq!(err("g:team", "", "nope"), Some("client_msg_id must be 1-64 printable ASCII characters".into()));
        assert_eq!(err("g:team", "c1", "nope"), Some("kind `nope` is not supported".into()));
        assert_eq!(err("g:team", "c1", "text"), None);
    }
}
