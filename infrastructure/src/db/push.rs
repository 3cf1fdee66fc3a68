//! [`PushStore`] on sea-orm: `push_tokens`, `push_prefs`, and the badge count read from the
//! member rows and the message log in one grouped query per batch of users.

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, TransactionTrait};
use sha2::{Digest, Sha256};
use tidings_domain::device_push::{PushPlatform, PushPrefs, PushPrivacy, PushToken, QuietHours};
use tidings_domain::message::NOT_UNREAD_KINDS;
use tidings_domain::ports::PushStore;
use tidings_domain::{DeviceId, StoreError, UserId};

use super::entity::{conversation_members as members, conversations, device_sessions as sessions, messages};
use super::store_err;

/// Users per query.
const USER_CHUNK: usize = 500;

#[derive(Clone, Copy, sea_orm::DeriveIden)]
enum PushTokens {
    Table,
    UserId,
    DeviceId,
    Platform,
    Token,
    TokenHash,
    UpdatedAt,
}

#[derive(Clone, Copy, sea_orm::DeriveIden)]
enum PushPrefsTable {
    #[sea_orm(iden = "push_prefs")]
    Table,
    UserId,
    Privacy,
    QuietStart,
    QuietEnd,
    QuietTz,
    UpdatedAt,
}

/// Push tokens, preferences and badges in the shared database.
#[derive(Clone)]
pub struct SqlPushStore {
    db: DatabaseConnection,
}

impl SqlPushStore {
    /// Uses the given pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn select_tokens(&self, stmt: sea_orm::sea_query::SelectStatement) -> Result<Vec<PushToken>, StoreError> {
        let rows = self.db.query_all(&stmt).await.map_err(store_err)?;
        rows.iter().filter_map(|r| to_token(r).transpose()).collect()
    }
}

/// A token's key in the unique index (tokens may be longer than an index allows).
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn token_columns() -> [PushTokens; 5] {
    [PushTokens::UserId, PushTokens::DeviceId, PushTokens::Platform, PushTokens::Token, PushTokens::UpdatedAt]
}

fn to_token(row: &QueryResult) -> Result<Option<PushToken>, StoreError> {
    let user: String = row.try_get("", "user_id").map_err(store_err)?;
    let platform: String = row.try_get("", "platform").map_err(store_err)?;
    let (Some(user_id), Some(platform)) = (UserId::parse(&user), PushPlatform::parse(&platform)) else {
        tracing::warn!(user, platform, "skipping a malformed push token row");
        return Ok(None);
    };
    Ok(Some(PushToken {
        user_id,
        device_id: DeviceId::new(row.try_get::<String>("", "device_id").map_err(store_err)?),
        platform,
        token: row.try_get("", "token").map_err(store_err)?,
        updated_at: row.try_get("", "updated_at").map_err(store_err)?,
    }))
}

fn to_prefs(row: &QueryResult) -> Result<PushPrefs, StoreError> {
    let privacy: String = row.try_get("", "privacy").map_err(store_err)?;
    let start: Option<i16> = row.try_get("", "quiet_start").map_err(store_err)?;
    let end: Option<i16> = row.try_get("", "quiet_end").map_err(store_err)?;
    let tz: Option<String> = row.try_get("", "quiet_tz").map_err(store_err)?;
    let quiet_hours = match (start, end, tz) {
        (Some(s), Some(e), Some(tz)) => {
            Some(QuietHours { start_min: u16::try_from(s).unwrap_or(0), end_min: u16::try_from(e).unwrap_or(0), tz })
        }
        _ => None,
    };
    Ok(PushPrefs { privacy: PushPrivacy::parse(&privacy).unwrap_or_default(), quiet_hours })
}

#[async_trait]
impl PushStore for SqlPushStore {
    async fn put_token(&self, token: &PushToken) -> Result<(), StoreError> {
        let hash = token_hash(&token.token);
        let tx = self.db.begin().await.map_err(store_err)?;
        // The token may belong to another device (a reinstall, another account on the phone).
        let moved = Query::delete()
            .from_table(PushTokens::Table)
            .and_where(Expr::col(PushTokens::TokenHash).eq(hash.clone()))
            .and_where(
                Expr::col(PushTokens::UserId)
                    .ne(token.user_id.to_string())
                    .or(Expr::col(PushTokens::DeviceId).ne(token.device_id.as_str())),
            )
            .to_owned();
        tx.execute(&moved).await.map_err(store_err)?;
        let upsert = Query::insert()
            .into_table(PushTokens::Table)
            .columns([
                PushTokens::UserId,
                PushTokens::DeviceId,
                PushTokens::Platform,
                PushTokens::Token,
                PushTokens::TokenHash,
                PushTokens::UpdatedAt,
            ])
            .values_panic([
                token.user_id.to_string().into(),
                token.device_id.as_str().into(),
                token.platform.as_str().into(),
                token.token.clone().into(),
                hash.into(),
                token.updated_at.into(),
            ])
            .on_conflict(
                OnConflict::columns([PushTokens::UserId, PushTokens::DeviceId])
                    .update_columns([
                        PushTokens::Platform,
                        PushTokens::Token,
                        PushTokens::TokenHash,
                        PushTokens::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .to_owned();
        tx.execute(&upsert).await.map_err(store_err)?;
        tx.commit().await.map_err(store_err)
    }

    async fn delete_token(&self, user: &UserId, device: &DeviceId) -> Result<bool, StoreError> {
        let stmt = Query::delete()
            .from_table(PushTokens::Table)
            .and_where(Expr::col(PushTokens::UserId).eq(user.to_string()))
            .and_where(Expr::col(PushTokens::DeviceId).eq(device.as_str()))
            .to_owned();
        Ok(self.db.execute(&stmt).await.map_err(store_err)?.rows_affected() > 0)
    }

    async fn live_tokens(&self, users: &[UserId], now_ms: i64) -> Result<Vec<PushToken>, StoreError> {
        let mut out = Vec::new();
        for chunk in users.chunks(USER_CHUNK) {
            let live = Query::select()
                .expr(Expr::val(1))
                .from(sessions::Entity)
                .and_where(
                    Expr::col((sessions::Entity, sessions::Column::UserId))
                        .equals((PushTokens::Table, PushTokens::UserId)),
                )
                .and_where(
                    Expr::col((sessions::Entity, sessions::Column::DeviceId))
                        .equals((PushTokens::Table, PushTokens::DeviceId)),
                )
                .and_where(Expr::col((sessions::Entity, sessions::Column::RevokedAt)).is_null())
                .and_where(Expr::col((sessions::Entity, sessions::Column::ExpiresAt)).gt(now_ms))
                .to_owned();
            let stmt = Query::select()
                .columns(token_columns().map(|c| (PushTokens::Table, c)))
                .from(PushTokens::Table)
                .and_where(
                    Expr::col((PushTokens::Table, PushTokens::UserId)).is_in(chunk.iter().map(|u| u.to_string())),
                )
                .and_where(Expr::exists(live))
                .to_owned();
            out.extend(self.select_tokens(stmt).await?);
        }
        Ok(out)
    }

    async fn tokens_of(&self, user: &UserId) -> Result<Vec<PushToken>, StoreError> {
        let stmt = Query::select()
            .columns(token_columns())
            .from(PushTokens::Table)
            .and_where(Expr::col(PushTokens::UserId).eq(user.to_string()))
            .order_by(PushTokens::DeviceId, sea_orm::sea_query::Order::Asc)
            .to_owned();
        self.select_tokens(stmt).await
    }

    async fn remove_invalid(&self, tokens: &[(PushPlatform, String)]) -> Result<u64, StoreError> {
        let mut removed = 0;
        for chunk in tokens.chunks(USER_CHUNK) {
            let mut any = sea_orm::sea_query::Condition::any();
            for (platform, token) in chunk {
                any = any.add(
                    Expr::col(PushTokens::TokenHash)
                        .eq(token_hash(token))
                        .and(Expr::col(PushTokens::Platform).eq(platform.as_str())),
                );
            }
            let stmt = Query::delete().from_table(PushTokens::Table).cond_where(any).to_owned();
            removed += self.db.execute(&stmt).await.map_err(store_err)?.rows_affected();
        }
        Ok(removed)
    }

    async fn prefs_of(&self, users: &[UserId]) -> Result<Vec<PushPrefs>, StoreError> {
        let mut found: HashMap<String, PushPrefs> = HashMap::new();
        for chunk in users.chunks(USER_CHUNK) {
            let stmt = Query::select()
                .columns([
                    PushPrefsTable::UserId,
                    PushPrefsTable::Privacy,
                    PushPrefsTable::QuietStart,
                    PushPrefsTable::QuietEnd,
                    PushPrefsTable::QuietTz,
                ])
                .from(PushPrefsTable::Table)
                .and_where(Expr::col(PushPrefsTable::UserId).is_in(chunk.iter().map(|u| u.to_string())))
                .to_owned();
            for row in self.db.query_all(&stmt).await.map_err(store_err)? {
                let user: String = row.try_get("", "user_id").map_err(store_err)?;
                found.insert(user, to_prefs(&row)?);
            }
        }
        Ok(users.iter().map(|u| found.remove(u.as_str()).unwrap_or_default()).collect())
    }

    async fn set_prefs(&self, user: &UserId, prefs: &PushPrefs, now_ms: i64) -> Result<(), StoreError> {
        let quiet = prefs.quiet_hours.as_ref();
        let minutes = |m: u16| i16::try_from(m).unwrap_or(0);
        let stmt = Query::insert()
            .into_table(PushPrefsTable::Table)
            .columns([
                PushPrefsTable::UserId,
                PushPrefsTable::Privacy,
                PushPrefsTable::QuietStart,
                PushPrefsTable::QuietEnd,
                PushPrefsTable::QuietTz,
                PushPrefsTable::UpdatedAt,
            ])
            .values_panic([
                user.to_string().into(),
                prefs.privacy.as_str().into(),
                quiet.map(|q| minutes(q.start_min)).into(),
                quiet.map(|q| minutes(q.end_min)).into(),
                quiet.map(|q| q.tz.clone()).into(),
                now_ms.into(),
            ])
            .on_conflict(
                OnConflict::column(PushPrefsTable::UserId)
                    .update_columns([
                        PushPrefsTable::Privacy,
                        PushPrefsTable::QuietStart,
                        PushPrefsTable::QuietEnd,
                        PushPrefsTable::QuietTz,
                        PushPrefsTable::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .to_owned();
        self.db.execute(&stmt).await.map_err(store_err)?;
        Ok(())
    }

    async fn badges(&self, users: &[UserId]) -> Result<Vec<u64>, StoreError> {
        let mut counts: HashMap<String, u64> = HashMap::new();
        for chunk in users.chunks(USER_CHUNK) {
            let stmt = badge_query(chunk);
            for row in self.db.query_all(&stmt).await.map_err(store_err)? {
                let user: String = row.try_get("", "user_id").map_err(store_err)?;
                let n: i64 = row.try_get("", "n").map_err(store_err)?;
                counts.insert(user, u64::try_from(n).unwrap_or(0));
            }
        }
        Ok(users.iter().map(|u| counts.get(u.as_str()).copied().unwrap_or(0)).collect())
    }
}

/// Unread messages per user over all their conversations, counted exactly as the conversation
/// list counts each row: after the read position and what was hidden when they joined, up to
/// the conversation's last seq and their removal, not their own, not recalls or action entries.
fn badge_query(users: &[UserId]) -> sea_orm::sea_query::SelectStatement {
    let m = |c: messages::Column| Expr::col((messages::Entity, c));
    let cm = |c: members::Column| (members::Entity, c);
    Query::select()
        .column(cm(members::Column::UserId))
        .expr_as(Expr::col((messages::Entity, messages::Column::Seq)).count(), "n")
        .from(members::Entity)
        .inner_join(
            conversations::Entity,
            Expr::col((conversations::Entity, conversations::Column::ConvId)).equals(cm(members::Column::ConvId)),
        )
        .inner_join(messages::Entity, m(messages::Column::ConvId).equals(cm(members::Column::ConvId)))
        .and_where(Expr::col(cm(members::Column::UserId)).is_in(users.iter().map(|u| u.to_string())))
        .and_where(m(messages::Column::Seq).gt(Expr::col(cm(members::Column::ReadSeq))))
        .and_where(m(messages::Column::Seq).gt(Expr::col(cm(members::Column::VisibleFrom))))
        .and_where(m(messages::Column::Seq).lte(Expr::col((conversations::Entity, conversations::Column::MaxSeq))))
        .and_where(
            Expr::col(cm(members::Column::VisibleUntil))
                .is_null()
                .or(m(messages::Column::Seq).lte(Expr::col(cm(members::Column::VisibleUntil)))),
        )
        .and_where(m(messages::Column::SenderId).ne(Expr::col(cm(members::Column::UserId))))
        .and_where(m(messages::Column::Kind).is_not_in(NOT_UNREAD_KINDS.iter().copied()))
        .group_by_col(cm(members::Column::UserId))
        .to_owned()
}
