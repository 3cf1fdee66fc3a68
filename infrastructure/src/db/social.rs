//! [`SocialStore`] on sea-orm: friend requests, friendships (one row per side), blocks and
//! direct-message policies.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, TransactionTrait,
};
use tidings_domain::ports::{DirectGates, SocialStore};
use tidings_domain::social::{DirectGate, DmPolicy, Friend, FriendRequest, RequestStatus};
use tidings_domain::{StoreError, UserId};

use super::entity::{blocks, friend_requests as requests, friendships, user_settings};
use super::sqlite_reads::SqliteReads;
use super::store_err;

/// Friends, requests, blocks and policies in their own tables.
#[derive(Clone)]
pub struct SqlSocialStore {
    db: DatabaseConnection,
    /// The calling thread's own reads of a SQLite file, for the direct-chat gate.
    reads: Option<SqliteReads>,
}

impl SqlSocialStore {
    /// Uses the given pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, reads: None }
    }

    /// Reads the direct-chat gate on the calling thread when `reads` is given (a SQLite file):
    /// it is the first read of every chat, and a thousand chats opening at once queued a
    /// thousand of them on the pool.
    pub fn with_direct_reads(mut self, reads: Option<SqliteReads>) -> Self {
        self.reads = reads;
        self
    }
}

/// Everything a direct message's gate needs, in one statement; `?` placeholders suit SQLite and
/// MySQL, and the table names are not reserved words. Bound: peer, sender, peer, sender, peer,
/// peer.
const DIRECT_GATE: &str = "SELECT \
    (SELECT COUNT(*) FROM blocks WHERE user_id = ? AND blocked_id = ?) AS blocked, \
    (SELECT COUNT(*) FROM friendships WHERE user_id = ? AND friend_id = ?) AS friends, \
    (SELECT dm_policy FROM user_settings WHERE user_id = ?) AS policy, \
    (SELECT COUNT(*) FROM users WHERE id = ?) AS peer_exists";

fn user_id(raw: &str) -> Result<UserId, StoreError> {
    UserId::parse(raw).ok_or_else(|| StoreError::Other(format!("bad user id in storage: {raw}")))
}

fn to_request(m: requests::Model) -> Result<FriendRequest, StoreError> {
    Ok(FriendRequest {
        id: m.request_id,
        from: user_id(&m.from_id)?,
        to: user_id(&m.to_id)?,
        message: m.message,
        status: RequestStatus::parse(&m.status).unwrap_or(RequestStatus::Rejected),
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn to_friend(m: friendships::Model) -> Result<Friend, StoreError> {
    Ok(Friend { user: user_id(&m.friend_id)?, remark: m.remark, since: m.created_at })
}

/// The two rows of a friendship, inserted if missing.
async fn befriend<C: ConnectionTrait>(db: &C, a: &UserId, b: &UserId, now_ms: i64) -> Result<(), StoreError> {
    let side = |user: &UserId, friend: &UserId| friendships::ActiveModel {
        user_id: Set(user.to_string()),
        friend_id: Set(friend.to_string()),
        remark: Set(None),
        created_at: Set(now_ms),
    };
    friendships::Entity::insert_many([side(a, b), side(b, a)])
        .on_conflict(
            OnConflict::columns([friendships::Column::UserId, friendships::Column::FriendId])
                .do_nothing_on([friendships::Column::UserId, friendships::Column::FriendId])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(store_err)?;
    Ok(())
}

#[async_trait]
impl SocialStore for SqlSocialStore {
    async fn insert_request(&self, r: &FriendRequest) -> Result<(), StoreError> {
        let row = requests::ActiveModel {
            request_id: Set(r.id.clone()),
            from_id: Set(r.from.to_string()),
            to_id: Set(r.to.to_string()),
            message: Set(r.message.clone()),
            status: Set(r.status.as_str().to_owned()),
            created_at: Set(r.created_at),
            updated_at: Set(r.updated_at),
        };
        requests::Entity::insert(row).exec_without_returning(&self.db).await.map_err(store_err)?;
        Ok(())
    }

    async fn request(&self, id: &str) -> Result<Option<FriendRequest>, StoreError> {
        requests::Entity::find_by_id(id.to_owned()).one(&self.db).await.map_err(store_err)?.map(to_request).transpose()
    }

    async fn pending_request(&self, from: &UserId, to: &UserId) -> Result<Option<FriendRequest>, StoreError> {
        requests::Entity::find()
            .filter(requests::Column::FromId.eq(from.to_string()))
            .filter(requests::Column::ToId.eq(to.to_string()))
            .filter(requests::Column::Status.eq(RequestStatus::Pending.as_str()))
            .order_by_desc(requests::Column::RequestId)
            .one(&self.db)
            .await
            .map_err(store_err)?
            .map(to_request)
            .transpose()
    }

    async fn requests(
        &self,
        user: &UserId,
        incoming: bool,
        status: Option<RequestStatus>,
        before: Option<&str>,
        limit: u64,
    ) -> Result<Vec<FriendRequest>, StoreError> {
        let side = if incoming { requests::Column::ToId } else { requests::Column::FromId };
        let mut q = requests::Entity::find().filter(side.eq(user.to_string()));
        if let Some(status) = status {
            q = q.filter(requests::Column::Status.eq(status.as_str()));
        }
        if let Some(before) = before {
            q = q.filter(requests::Column::RequestId.lt(before));
        }
        let rows = q.order_by_desc(requests::Column::RequestId).limit(limit).all(&self.db).await.map_err(store_err)?;
        rows.into_iter().map(to_request).collect()
    }

    async fn answer_request(&self, id: &str, status: RequestStatus, now_ms: i64) -> Result<bool, StoreError> {
        let txn = self.db.begin().await.map_err(store_err)?;
        let changed = requests::Entity::update_many()
            .col_expr(requests::Column::Status, Expr::value(status.as_str()))
            .col_expr(requests::Column::UpdatedAt, Expr::value(now_ms))
            .filter(requests::Column::RequestId.eq(id))
            .filter(requests::Column::Status.eq(RequestStatus::Pending.as_str()))
            .exec(&txn)
            .await
            .map_err(store_err)?
            .rows_affected;
        if changed == 0 {
            return Ok(false);
        }
        if status == RequestStatus::Accepted {
            let Some(r) = requests::Entity::find_by_id(id.to_owned()).one(&txn).await.map_err(store_err)? else {
                return Ok(false);
            };
            let (from, to) = (user_id(&r.from_id)?, user_id(&r.to_id)?);
            befriend(&txn, &from, &to, now_ms).await?;
            // A crossing request the other way is settled by the same answer.
            requests::Entity::update_many()
                .col_expr(requests::Column::Status, Expr::value(RequestStatus::Accepted.as_str()))
                .col_expr(requests::Column::UpdatedAt, Expr::value(now_ms))
                .filter(requests::Column::FromId.eq(to.to_string()))
                .filter(requests::Column::ToId.eq(from.to_string()))
                .filter(requests::Column::Status.eq(RequestStatus::Pending.as_str()))
                .exec(&txn)
                .await
                .map_err(store_err)?;
        }
        txn.commit().await.map_err(store_err)?;
        Ok(true)
    }

    async fn are_friends(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError> {
        Ok(self.friend(a, b).await?.is_some())
    }

    async fn friends(&self, user: &UserId, after: Option<&UserId>, limit: u64) -> Result<Vec<Friend>, StoreError> {
        let mut q = friendships::Entity::find().filter(friendships::Column::UserId.eq(user.to_string()));
        if let Some(after) = after {
            q = q.filter(friendships::Column::FriendId.gt(after.to_string()));
        }
        let rows = q.order_by_asc(friendships::Column::FriendId).limit(limit).all(&self.db).await.map_err(store_err)?;
        rows.into_iter().map(to_friend).collect()
    }

    async fn friend(&self, user: &UserId, friend: &UserId) -> Result<Option<Friend>, StoreError> {
        friendships::Entity::find_by_id((user.to_string(), friend.to_string()))
            .one(&self.db)
            .await
            .map_err(store_err)?
            .map(to_friend)
            .transpose()
    }

    async fn remove_friend(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError> {
        let (a, b) = (a.to_string(), b.to_string());
        let removed = friendships::Entity::delete_many()
            .filter(
                sea_orm::Condition::any()
                    .add(friendships::Column::UserId.eq(a.clone()).and(friendships::Column::FriendId.eq(b.clone())))
                    .add(friendships::Column::UserId.eq(b).and(friendships::Column::FriendId.eq(a))),
            )
            .exec(&self.db)
            .await
            .map_err(store_err)?
            .rows_affected;
        Ok(removed > 0)
    }

    async fn set_remark(&self, user: &UserId, friend: &UserId, remark: Option<&str>) -> Result<(), StoreError> {
        friendships::Entity::update_many()
            .col_expr(friendships::Column::Remark, Expr::value(remark.map(str::to_owned)))
            .filter(friendships::Column::UserId.eq(user.to_string()))
            .filter(friendships::Column::FriendId.eq(friend.to_string()))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn block(&self, user: &UserId, target: &UserId, now_ms: i64) -> Result<(), StoreError> {
        let row = blocks::ActiveModel {
            user_id: Set(user.to_string()),
            blocked_id: Set(target.to_string()),
            created_at: Set(now_ms),
        };
        blocks::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([blocks::Column::UserId, blocks::Column::BlockedId])
                    .do_nothing_on([blocks::Column::UserId, blocks::Column::BlockedId])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn unblock(&self, user: &UserId, target: &UserId) -> Result<bool, StoreError> {
        let removed = blocks::Entity::delete_by_id((user.to_string(), target.to_string()))
            .exec(&self.db)
            .await
            .map_err(store_err)?
            .rows_affected;
        Ok(removed > 0)
    }

    async fn blocks(
        &self,
        user: &UserId,
        after: Option<&UserId>,
        limit: u64,
    ) -> Result<Vec<(UserId, i64)>, StoreError> {
        let mut q = blocks::Entity::find().filter(blocks::Column::UserId.eq(user.to_string()));
        if let Some(after) = after {
            q = q.filter(blocks::Column::BlockedId.gt(after.to_string()));
        }
        let rows = q.order_by_asc(blocks::Column::BlockedId).limit(limit).all(&self.db).await.map_err(store_err)?;
        rows.into_iter().map(|m| Ok((user_id(&m.blocked_id)?, m.created_at))).collect()
    }

    async fn is_blocked(&self, by: &UserId, whom: &UserId) -> Result<bool, StoreError> {
        let row =
            blocks::Entity::find_by_id((by.to_string(), whom.to_string())).one(&self.db).await.map_err(store_err)?;
        Ok(row.is_some())
    }

    async fn dm_policy(&self, user: &UserId) -> Result<Option<DmPolicy>, StoreError> {
        let row = user_settings::Entity::find_by_id(user.to_string()).one(&self.db).await.map_err(store_err)?;
        Ok(row.and_then(|m| DmPolicy::parse(&m.dm_policy)))
    }

    async fn set_dm_policy(&self, user: &UserId, policy: DmPolicy) -> Result<(), StoreError> {
        let row =
            user_settings::ActiveModel { user_id: Set(user.to_string()), dm_policy: Set(policy.as_str().to_owned()) };
        user_settings::Entity::insert(row)
            .on_conflict(
                OnConflict::column(user_settings::Column::UserId)
                    .update_column(user_settings::Column::DmPolicy)
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }
}

#[async_trait]
impl DirectGates for SqlSocialStore {
    async fn direct_gate(&self, sender: &UserId, peer: &UserId) -> Result<DirectGate, StoreError> {
        let (s, p) = (sender.to_string(), peer.to_string());
        if let Some(reads) = &self.reads {
            let values = [p.clone(), s.clone(), p.clone(), s, p.clone(), p].map(rusqlite::types::Value::from);
            let row = reads.query_all(DIRECT_GATE, &values, |row| {
                Ok(DirectGate {
                    blocked: row.get::<_, i64>("blocked")? > 0,
                    friends: row.get::<_, i64>("friends")? > 0,
                    policy: row.get::<_, Option<String>>("policy")?.as_deref().and_then(DmPolicy::parse),
                    peer_exists: row.get::<_, i64>("peer_exists")? > 0,
                })
            })?;
            return row.into_iter().next().ok_or_else(|| StoreError::Other("direct gate query returned no row".into()));
        }
        let stmt = Statement::from_sql_and_values(
            self.db.get_database_backend(),
            DIRECT_GATE,
            [p.clone().into(), s.clone().into(), p.clone().into(), s.into(), p.clone().into(), p.into()],
        );
        let row = self
            .db
            .query_one_raw(stmt)
            .await
            .map_err(store_err)?
            .ok_or_else(|| StoreError::Other("direct gate query returned no row".into()))?;
        let blocked: i64 = row.try_get("", "blocked").map_err(store_err)?;
        let friends: i64 = row.try_get("", "friends").map_err(store_err)?;
        let policy: Option<String> = row.try_get("", "policy").map_err(store_err)?;
        let peer_exists: i64 = row.try_get("", "peer_exists").map_err(store_err)?;
        Ok(DirectGate {
            blocked: blocked > 0,
            friends: friends > 0,
            policy: policy.as_deref().and_then(DmPolicy::parse),
            peer_exists: peer_exists > 0,
        })
    }
}
