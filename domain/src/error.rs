//! Errors the ports report. Adapters translate their own errors into these.

/// What a storage or routing adapter can report.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key was violated (username taken, seq or client_msg_id already stored).
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// The backend cannot be reached or is overloaded; the caller may retry.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Anything else; logged, reported as an internal error.
    #[error("storage failure: {0}")]
    Other(String),
}
