//! The store's tables. Every statement is idempotent, so opening an existing store is safe;
//! a future change adds statements here (and bumps `user_version`).

use sqlx::SqlitePool;

const STATEMENTS: &[&str] = &[
    // One row per conversation. `cursor`: every message with seq <= cursor that exists on the
    // server is in `messages` (from `base`, the read position when the conversation was first
    // seen; older history is paged in on demand). `read_seq`: this user's read position.
    "CREATE TABLE IF NOT EXISTS conversations (
        conv TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        peer TEXT,
        title TEXT NOT NULL DEFAULT '',
        cursor INTEGER NOT NULL DEFAULT 0,
        read_seq INTEGER NOT NULL DEFAULT 0,
        server_read_seq INTEGER NOT NULL DEFAULT 0,
        peer_read_seq INTEGER NOT NULL DEFAULT 0,
        max_seq INTEGER NOT NULL DEFAULT 0
    )",
    // Messages: received ones have a seq; own ones get it on ack. `(sender, client_msg_id)` is
    // the server's dedupe key, so a synced copy of an own message updates the local row.
    "CREATE TABLE IF NOT EXISTS messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conv TEXT NOT NULL,
        seq INTEGER,
        msg_id TEXT,
        sender TEXT NOT NULL,
        client_msg_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        ts INTEGER NOT NULL,
        status TEXT NOT NULL,
        UNIQUE (conv, seq),
        UNIQUE (sender, client_msg_id)
    )",
    "CREATE INDEX IF NOT EXISTS messages_unread ON messages (conv, seq, sender)",
    // Messages waiting for an ack, in the order they were written.
    "CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        client_msg_id TEXT NOT NULL UNIQUE,
        conv TEXT NOT NULL,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0
    )",
    // Pinned messages, as the log's `pin` entries and the server's list leave them.
    "CREATE TABLE IF NOT EXISTS pins (
        conv TEXT NOT NULL,
        seq INTEGER NOT NULL,
        pinned_by TEXT NOT NULL,
        pinned_at INTEGER NOT NULL,
        PRIMARY KEY (conv, seq)
    )",
    // Reactions: each user's emoji per message, from the `reaction` entries stored, with the
    // entry that set each (only a newer one moves it). Off rows stay, for that comparison.
    "CREATE TABLE IF NOT EXISTS reactions (
        conv TEXT NOT NULL,
        seq INTEGER NOT NULL,
        emoji TEXT NOT NULL,
        user TEXT NOT NULL,
        is_on INTEGER NOT NULL,
        entry_seq INTEGER NOT NULL,
        PRIMARY KEY (conv, seq, emoji, user)
    )",
    // Thread summaries as the server last gave them with a root (`thread` of a history, sync or
    // thread page); replies stored past `last_seq` are added to it when the root is read.
    "CREATE TABLE IF NOT EXISTS thread_baselines (
        conv TEXT NOT NULL,
        root INTEGER NOT NULL,
        replies INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        last_ts INTEGER NOT NULL,
        participants TEXT NOT NULL,
        PRIMARY KEY (conv, root)
    )",
    // The replies of each thread, found by the root their body names (a recalled reply's body is
    // `{}`, so it leaves the thread, as on the server).
    "CREATE INDEX IF NOT EXISTS messages_thread ON messages (conv, json_extract(body, '$.thread_root'))
        WHERE json_extract(body, '$.thread_root') IS NOT NULL",
    // Small values: the saved session.
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    // Local search (`search.rs`): the terms of each message's searchable text, in a contentless
    // FTS5 table keyed by the message's row id (terms only, no second copy of the text).
    "CREATE VIRTUAL TABLE IF NOT EXISTS message_terms USING fts5(terms, content='', contentless_delete=1,
        tokenize='unicode61 remove_diacritics 0')",
    // Messages whose terms are to be written. The triggers below keep it, and take a changed or
    // deleted message out of the index, in the very statement that changes the message, so no
    // write path can leave a stale match; `search::refresh` writes the new terms.
    "CREATE TABLE IF NOT EXISTS message_terms_stale (id INTEGER PRIMARY KEY)",
    "CREATE TRIGGER IF NOT EXISTS message_terms_on_insert AFTER INSERT ON messages BEGIN
        INSERT OR IGNORE INTO message_terms_stale (id) VALUES (new.id);
    END",
    "CREATE TRIGGER IF NOT EXISTS message_terms_on_update AFTER UPDATE OF kind, body ON messages
        WHEN old.kind IS NOT new.kind OR old.body IS NOT new.body BEGIN
        DELETE FROM message_terms WHERE rowid = old.id;
        INSERT OR IGNORE INTO message_terms_stale (id) VALUES (new.id);
    END",
    "CREATE TRIGGER IF NOT EXISTS message_terms_on_delete AFTER DELETE ON messages BEGIN
        DELETE FROM message_terms WHERE rowid = old.id;
        DELETE FROM message_terms_stale WHERE id = old.id;
    END",
    "PRAGMA user_version = 2",
];

/// Columns added after a table was first made: `(table, column, ALTER statement)`. SQLite has
/// no `ADD COLUMN IF NOT EXISTS`, so each is added only when the table lacks it.
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    // When the sender last edited a message (ms), NULL if never.
    ("messages", "edited_at", "ALTER TABLE messages ADD COLUMN edited_at INTEGER"),
    // The server's count of unread threads for this user (`threads` of its list).
    ("conversations", "threads", "ALTER TABLE conversations ADD COLUMN threads INTEGER NOT NULL DEFAULT 0"),
    // This user muted the conversation for good (1), as the server last said (`muted.rs`).
    ("conversations", "muted", "ALTER TABLE conversations ADD COLUMN muted INTEGER NOT NULL DEFAULT 0"),
    // When this user's timed mute of the conversation ends (ms), NULL if none.
    ("conversations", "muted_until", "ALTER TABLE conversations ADD COLUMN muted_until INTEGER"),
];

/// Creates the tables and columns that are missing; a search index new to this store is filled
/// from the messages it already holds.
pub(super) async fn migrate(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let indexed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'message_terms'").fetch_one(pool).await?;
    for sql in STATEMENTS {
        sqlx::query(*sql).execute(pool).await?;
    }
    for (table, column, alter) in ADDED_COLUMNS {
        let present: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?")
            .bind(table)
            .bind(column)
            .fetch_one(pool)
            .await?;
        if present == 0 {
            sqlx::query(*alter).execute(pool).await?;
        }
    }
    if indexed == 0 {
        super::search::backfill(pool).await?;
    }
    Ok(())
}
