//! The one error type of the SDK. Its variants are stable (bindings map them one to one), and a
//! server refusal keeps the server's stable `code` so apps can match on it.

/// Everything an SDK call can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdkError {
    /// The server refused the request; `code` is the stable code of docs/protocol.md.
    #[error("server refused ({code}): {message}")]
    Server {
        /// Stable error code, e.g. `not_member`.
        code: String,
        /// Human-readable explanation from the server.
        message: String,
    },
    /// No server could be reached, or the connection broke mid-request.
    #[error("network: {message}")]
    Network {
        /// What went wrong.
        message: String,
    },
    /// No answer came in time.
    #[error("timed out")]
    Timeout,
    /// The call needs a live WebSocket and there is none right now.
    #[error("not connected")]
    NotConnected,
    /// The call needs a logged-in session.
    #[error("not logged in")]
    NotLoggedIn,
    /// The session can no longer be refreshed (revoked, kicked or expired): log in again.
    #[error("session expired: log in again")]
    SessionExpired,
    /// An argument was refused before anything was sent.
    #[error("invalid input: {message}")]
    InvalidInput {
        /// Which argument and why.
        message: String,
    },
    /// A search query was refused before anything was searched: nothing searchable in it (empty,
    /// only punctuation, only one-letter words) or too long (over 100 characters or 32 terms).
    #[error("invalid query: {message}")]
    InvalidQuery {
        /// Why, for the user.
        message: String,
    },
    /// The local store failed.
    #[error("local store: {message}")]
    Store {
        /// The database error.
        message: String,
    },
    /// The server answered something the SDK cannot read.
    #[error("unexpected answer: {message}")]
    Protocol {
        /// What was wrong with it.
        message: String,
    },
    /// The client was shut down.
    #[error("client is shut down")]
    Shutdown,
}

impl SdkError {
    /// The server's code, when the server refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Server { code, .. } => Some(code),
            _ => None,
        }
    }

    pub(crate) fn network(e: impl std::fmt::Display) -> Self {
        Self::Network { message: e.to_string() }
    }

    pub(crate) fn protocol(e: impl std::fmt::Display) -> Self {
        Self::Protocol { message: e.to_string() }
    }
}

impl From<sqlx::Error> for SdkError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store { message: e.to_string() }
    }
}

impl From<serde_json::Error> for SdkError {
    fn from(e: serde_json::Error) -> Self {
        Self::protocol(e)
    }
}
