//! The one error enum of the bindings. Its variants are the SDK's, one to one, plus `Internal`
//! for a failure of the binding layer itself; a server refusal keeps the server's stable `code`.
//! Field names avoid `message`, which the generated Kotlin exception already defines.

use tidings_sdk::SdkError;

/// Everything a binding call can fail with (a Kotlin/Swift/Python exception type).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TidingsError {
    /// The server refused; `code` is the stable code of docs/protocol.md (e.g. `not_member`).
    #[error("server refused ({code}): {detail}")]
    Server {
        /// Stable error code.
        code: String,
        /// The server's explanation.
        detail: String,
    },
    /// No server could be reached, or the connection broke mid-request.
    #[error("network: {detail}")]
    Network {
        /// What went wrong.
        detail: String,
    },
    /// No answer came in time.
    #[error("timed out")]
    Timeout,
    /// The call needs a live connection and there is none right now.
    #[error("not connected")]
    NotConnected,
    /// The call needs a logged-in session.
    #[error("not logged in")]
    NotLoggedIn,
    /// The session can no longer be refreshed: log in again.
    #[error("session expired: log in again")]
    SessionExpired,
    /// An argument was refused before anything was sent.
    #[error("invalid input: {detail}")]
    InvalidInput {
        /// Which argument and why.
        detail: String,
    },
    /// A search query has nothing to search for (empty, only punctuation or one-letter words) or
    /// is too long (over 100 characters or 32 terms).
    #[error("invalid query: {detail}")]
    InvalidQuery {
        /// Why, for the user.
        detail: String,
    },
    /// The local store failed.
    #[error("local store: {detail}")]
    Store {
        /// The database error.
        detail: String,
    },
    /// The server answered something the SDK cannot read.
    #[error("unexpected answer: {detail}")]
    Protocol {
        /// What was wrong with it.
        detail: String,
    },
    /// The client was shut down.
    #[error("client is shut down")]
    Shutdown,
    /// The binding layer itself failed (its runtime could not start, a task died).
    #[error("internal: {detail}")]
    Internal {
        /// What failed.
        detail: String,
    },
}

impl From<SdkError> for TidingsError {
    fn from(e: SdkError) -> Self {
        match e {
            SdkError::Server { code, message } => Self::Server { code, detail: message },
            SdkError::Network { message } => Self::Network { detail: message },
            SdkError::Timeout => Self::Timeout,
            SdkError::NotConnected => Self::NotConnected,
            SdkError::NotLoggedIn => Self::NotLoggedIn,
            SdkError::SessionExpired => Self::SessionExpired,
            SdkError::InvalidInput { message } => Self::InvalidInput { detail: message },
            SdkError::InvalidQuery { message } => Self::InvalidQuery { detail: message },
            SdkError::Store { message } => Self::Store { detail: message },
            SdkError::Protocol { message } => Self::Protocol { detail: message },
            SdkError::Shutdown => Self::Shutdown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_refusals_keep_their_code() {
        let e = TidingsError::from(SdkError::Server { code: "not_member".into(), message: "no".into() });
        assert_eq!(e, TidingsError::Server { code: "not_member".into(), detail: "no".into() });
        assert_eq!(TidingsError::from(SdkError::NotLoggedIn), TidingsError::NotLoggedIn);
        assert_eq!(
            TidingsError::from(SdkError::InvalidInput { message: "limit".into() }),
            TidingsError::InvalidInput { detail: "limit".into() }
        );
        assert_eq!(
            TidingsError::from(SdkError::InvalidQuery { message: "empty".into() }),
            TidingsError::InvalidQuery { detail: "empty".into() }
        );
    }
}
