//! This user's mute of each conversation, as the server last said it (its list rows and the
//! answers to a change): muted for good, and when a timed mute ends. Kept so the app shows the
//! mute offline; whether a timed mute still holds is read against the clock.

use super::Store;
use crate::SdkError;

/// A conversation's mute, stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Mute {
    /// Muted for good.
    pub forever: bool,
    /// When a timed mute ends (ms).
    pub until: Option<i64>,
}

impl Mute {
    /// What the server's `muted` (muted now, for good or until `muted_until`) and `muted_until`
    /// (present only while a timed mute runs) mean: the server never holds both kinds at once
    /// (a timed mute replaces a mute for good), so `muted` without an end is a mute for good.
    pub(crate) fn from_server(muted: bool, muted_until: Option<i64>) -> Self {
        Self { forever: muted && muted_until.is_none(), until: muted_until }
    }

    /// Muted at `now_ms`: for good, or until a time still ahead.
    pub(crate) fn holds(self, now_ms: i64) -> bool {
        self.forever || self.until.is_some_and(|until| until > now_ms)
    }
}

impl Store {
    /// Stores the mute of `conv` (a row that exists); true if it changed.
    pub(crate) async fn set_mute(&self, conv: &str, mute: Mute) -> Result<bool, SdkError> {
        let done = sqlx::query(
            "UPDATE conversations SET muted = ?1, muted_until = ?2
             WHERE conv = ?3 AND (muted IS NOT ?1 OR muted_until IS NOT ?2)",
        )
        .bind(mute.forever)
        .bind(mute.until)
        .bind(conv)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The stored mute of `conv` (none for an unknown conversation).
    #[cfg(test)]
    pub(crate) async fn mute(&self, conv: &str) -> Result<Mute, SdkError> {
        let row: Option<(bool, Option<i64>)> =
            sqlx::query_as("SELECT muted, muted_until FROM conversations WHERE conv = ?")
                .bind(conv)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(forever, until)| Mute { forever, until }).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use tidings_protocol::rest::ConversationSummary;

    use super::*;
    use crate::session::now_ms;
    use crate::store::ConvFacts;

    const CONV: &str = "d:u_a:u_b";

    fn summary(muted: bool, muted_until: Option<i64>) -> ConversationSummary {
        serde_json::from_value(serde_json::json!({
            "conv": CONV, "kind": "direct", "peer": "u_b", "max_seq": 0, "read_seq": 0, "unread": 0,
            "muted": muted, "muted_until": muted_until,
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn the_list_sets_the_mute_and_a_reopened_store_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        store.ensure_conversation(&ConvFacts::from_id(CONV, "u_a")).await.unwrap();
        let row = store.conversation(CONV, "u_a").await.unwrap().unwrap();
        assert_eq!((row.muted, row.muted_until), (false, None));

        let until = now_ms() + 60_000;
        assert!(store.merge_summary(&summary(true, Some(until))).await.unwrap().mute_changed);
        assert!(!store.merge_summary(&summary(true, Some(until))).await.unwrap().mute_changed, "the same again");
        let row = store.conversation(CONV, "u_a").await.unwrap().unwrap();
        assert_eq!((row.muted, row.muted_until), (true, Some(until)));
        store.close().await;

        let store = Store::open(dir.path()).await.unwrap();
        assert_eq!(store.mute(CONV).await.unwrap(), Mute { forever: false, until: Some(until) });
        // A timed mute that has ended reads as not muted, with its end still shown.
        assert!(store.set_mute(CONV, Mute { forever: false, until: Some(now_ms() - 1) }).await.unwrap());
        let row = store.conversation(CONV, "u_a").await.unwrap().unwrap();
        assert!(!row.muted && row.muted_until.is_some());
        assert!(store.merge_summary(&summary(true, None)).await.unwrap().mute_changed);
        assert_eq!(store.mute(CONV).await.unwrap(), Mute { forever: true, until: None });
        assert!(store.merge_summary(&summary(false, None)).await.unwrap().mute_changed);
        assert!(!store.conversation(CONV, "u_a").await.unwrap().unwrap().muted);
    }
}
