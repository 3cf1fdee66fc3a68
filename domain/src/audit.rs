//! The audit log: what an administrator did that a compliance officer must be able to trace
//! later (issue 22: "who searched what, when"). Entries are written before the action answers
//! and never changed or removed by the API.

use serde_json::Value;

use crate::ids::UserId;

/// The action of an admin's search across every conversation (`/admin/v1/search`).
pub const ACTION_SEARCH: &str = "search";

/// One audited action.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Position in the log: later entries have higher ids.
    pub id: u64,
    /// When, in Unix milliseconds.
    pub at: i64,
    /// Who.
    pub actor: UserId,
    /// What kind of action (`search`, …).
    pub action: String,
    /// What exactly: for a search, the query and every filter as asked.
    pub detail: Value,
}
