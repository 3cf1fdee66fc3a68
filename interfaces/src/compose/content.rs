//! Content rules: the word lists (always on; empty until an administrator adds one) and the
//! before-send hook (when `[hooks]` names a URL).

use std::sync::Arc;

use anyhow::Context;
use sea_orm::DatabaseConnection;
use tidings_app::content::{HookFailMode, HookGate, HookMeter};
use tidings_app::{ContentGate, WordFilters};
use tidings_domain::Clock;
use tidings_infrastructure::db::SqlContentStore;
use tidings_infrastructure::hook::HttpSendHook;

use crate::settings::{HookFailure, HookSettings};

/// The gate sends pass, and the word lists for their administration.
pub(super) struct Content {
    /// Sends, edits, names and announcements pass it.
    pub(super) gate: Arc<ContentGate>,
    /// The lists and the review list, for `/admin/v1/filters`.
    pub(super) filters: Arc<WordFilters>,
}

/// Loads the word lists (and starts watching them) and connects the hook if one is set.
pub(super) async fn build(
    hooks: &HookSettings,
    db: &DatabaseConnection,
    clock: Arc<dyn Clock>,
    meter: Arc<dyn HookMeter>,
) -> anyhow::Result<Content> {
    let store = Arc::new(SqlContentStore::new(db.clone()));
    let filters = WordFilters::start(store.clone(), store, clock).await.context("loading the word lists")?;
    let hook = match (&hooks.before_send_url, &hooks.before_send_secret) {
        (Some(url), Some(secret)) => {
            let http = HttpSendHook::new(url.clone(), secret.expose().to_owned(), hooks.timeout)
                .context("building the before-send hook's client")?;
            let fail = match hooks.on_failure {
                HookFailure::Open => HookFailMode::Open,
                HookFailure::Closed => HookFailMode::Closed,
            };
            Some(HookGate::new(Arc::new(http), fail, meter))
        }
        _ => None,
    };
    Ok(Content { gate: Arc::new(ContentGate::new(Some(filters.clone()), hook)), filters })
}
