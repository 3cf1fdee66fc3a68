//! The group ports (`GroupGate`, `GroupDirectory`, `GroupWrites`, `JoinRequestStore`) on
//! sea-orm: reads here, writes in `writes.rs`, join requests in `joins.rs`. Membership changes
//! and the member's visible range in the group conversation change in the same transaction, so
//! access checks never see one without the other.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use tidings_domain::group::{Group, GroupMember, JoinPolicy, JoinRequest, Role};
use tidings_domain::group_policy::GroupPolicies;
use tidings_domain::ports::{GroupDirectory, GroupGate};
use tidings_domain::social::RequestStatus;
use tidings_domain::{ConvId, GroupId, StoreError, UserId};

use super::entity::{
    chat_groups as groups, conversation_members as conv_members, group_join_requests as join_requests,
    group_members as members,
};
use super::{store_err, to_db};

/// Groups in `chat_groups`, members in `group_members`, visible ranges in `conversation_members`.
#[derive(Clone)]
pub struct SqlGroupStore {
    db: DatabaseConnection,
}

impl SqlGroupStore {
    /// Uses the given pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn conv_of(group: &GroupId) -> String {
    ConvId::Group(group.clone()).to_string()
}

fn user_id(raw: &str) -> Result<UserId, StoreError> {
    UserId::parse(raw).ok_or_else(|| StoreError::Other(format!("bad user id in storage: {raw}")))
}

fn group_id(raw: String) -> Result<GroupId, StoreError> {
    GroupId::parse(raw).ok_or_else(|| StoreError::Other("bad group id in storage".into()))
}

fn to_group(m: groups::Model) -> Result<Group, StoreError> {
    Ok(Group {
        id: group_id(m.group_id)?,
        name: m.name,
        avatar: m.avatar,
        introduction: m.introduction,
        announcement: m.announcement,
        owner: user_id(&m.owner_id)?,
        join_policy: JoinPolicy::parse(&m.join_policy).unwrap_or_default(),
        mute_all: m.mute_all,
        history_visible: m.history_visible,
        policies: GroupPolicies::from_storage(&m.policies),
        member_count: u32::try_from(m.member_count).unwrap_or(0),
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
        dissolved_at: m.dissolved_at,
    })
}

fn to_member(m: members::Model) -> Result<GroupMember, StoreError> {
    Ok(GroupMember {
        user: user_id(&m.user_id)?,
        role: Role::parse(&m.role).unwrap_or(Role::Member),
        nickname: m.nickname,
        remark: m.remark,
        muted_until: m.muted_until,
        joined_at: m.joined_at,
    })
}

fn to_join_request(m: join_requests::Model) -> Result<JoinRequest, StoreError> {
    Ok(JoinRequest {
        id: m.request_id,
        group_id: group_id(m.group_id)?,
        user: user_id(&m.user_id)?,
        message: m.message,
        status: RequestStatus::parse(&m.status).unwrap_or(RequestStatus::Rejected),
        handled_by: m.handled_by.as_deref().map(user_id).transpose()?,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn member_row(group: &GroupId, m: &GroupMember) -> members::ActiveModel {
    members::ActiveModel {
        group_id: Set(group.to_string()),
        user_id: Set(m.user.to_string()),
        role: Set(m.role.as_str().to_owned()),
        nickname: Set(m.nickname.clone()),
        remark: Set(m.remark.clone()),
        muted_until: Set(m.muted_until),
        joined_at: Set(m.joined_at),
    }
}

/// (Re)creates the member's row in the group conversation with a fresh visible range.
async fn open_range(
    txn: &DatabaseTransaction,
    conv: &str,
    user: &UserId,
    now_ms: i64,
    visible_from: u64,
    read_from: u64,
) -> Result<(), StoreError> {
    conv_members::Entity::delete_by_id((conv.to_owned(), user.to_string())).exec(txn).await.map_err(store_err)?;
    let row = conv_members::ActiveModel {
        conv_id: Set(conv.to_owned()),
        user_id: Set(user.to_string()),
        read_seq: Set(to_db(read_from)),
        joined_at: Set(now_ms),
        visible_from: Set(to_db(visible_from)),
        visible_until: Set(None),
    };
    conv_members::Entity::insert(row).exec_without_returning(txn).await.map_err(store_err)?;
    Ok(())
}

mod joins;
mod writes;

#[async_trait]
impl GroupGate for SqlGroupStore {
    async fn gate(&self, id: &GroupId, user: &UserId) -> Result<Option<(Group, Option<GroupMember>)>, StoreError> {
        let Some(group) = self.get(id).await? else {
            return Ok(None);
        };
        Ok(Some((group, self.member(id, user).await?)))
    }
}

#[async_trait]
impl GroupDirectory for SqlGroupStore {
    async fn get(&self, id: &GroupId) -> Result<Option<Group>, StoreError> {
        groups::Entity::find_by_id(id.to_string()).one(&self.db).await.map_err(store_err)?.map(to_group).transpose()
    }

    async fn get_many(&self, ids: &[GroupId]) -> Result<Vec<Group>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = groups::Entity::find()
            .filter(groups::Column::GroupId.is_in(ids.iter().map(GroupId::as_str)))
            .all(&self.db)
            .await
            .map_err(store_err)?;
        rows.into_iter().map(to_group).collect()
    }

    async fn member(&self, id: &GroupId, user: &UserId) -> Result<Option<GroupMember>, StoreError> {
        members::Entity::find_by_id((id.to_string(), user.to_string()))
            .one(&self.db)
            .await
            .map_err(store_err)?
            .map(to_member)
            .transpose()
    }

    async fn members(&self, id: &GroupId, after: Option<&UserId>, limit: u64) -> Result<Vec<GroupMember>, StoreError> {
        let mut q = members::Entity::find().filter(members::Column::GroupId.eq(id.as_str()));
        if let Some(after) = after {
            q = q.filter(members::Column::UserId.gt(after.to_string()));
        }
        let rows = q.order_by_asc(members::Column::UserId).limit(limit).all(&self.db).await.map_err(store_err)?;
        rows.into_iter().map(to_member).collect()
    }

    async fn member_ids(&self, id: &GroupId) -> Result<Vec<UserId>, StoreError> {
        let ids: Vec<String> = members::Entity::find()
            .select_only()
            .column(members::Column::UserId)
            .filter(members::Column::GroupId.eq(id.as_str()))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(store_err)?;
        ids.iter().map(|raw| user_id(raw)).collect()
    }

    async fn search(&self, query: Option<&str>, after: Option<&str>, limit: u64) -> Result<Vec<Group>, StoreError> {
        let mut q = groups::Entity::find();
        if let Some(text) = query.map(str::trim).filter(|t| !t.is_empty()) {
            let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            q = q.filter(
                sea_orm::Condition::any().add(groups::Column::GroupId.eq(text)).add(
                    Expr::expr(Func::lower(Expr::col(groups::Column::Name)))
                        .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
                ),
            );
        }
        if let Some(after) = after {
            q = q.filter(groups::Column::GroupId.gt(after));
        }
        let rows = q.order_by_asc(groups::Column::GroupId).limit(limit).all(&self.db).await.map_err(store_err)?;
        rows.into_iter().map(to_group).collect()
    }

    async fn groups_of(
        &self,
        user: &UserId,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<(Group, GroupMember)>, StoreError> {
        let mut q = members::Entity::find().filter(members::Column::UserId.eq(user.to_string()));
        if let Some(after) = after {
            q = q.filter(members::Column::GroupId.gt(after));
        }
        let memberships =
            q.order_by_asc(members::Column::GroupId).limit(limit).all(&self.db).await.map_err(store_err)?;
        if memberships.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = memberships.iter().map(|m| m.group_id.clone()).collect();
        let mut by_id: std::collections::HashMap<String, groups::Model> = groups::Entity::find()
            .filter(groups::Column::GroupId.is_in(ids))
            .all(&self.db)
            .await
            .map_err(store_err)?
            .into_iter()
            .map(|g| (g.group_id.clone(), g))
            .collect();
        let mut out = Vec::with_capacity(memberships.len());
        for m in memberships {
            if let Some(g) = by_id.remove(&m.group_id) {
                out.push((to_group(g)?, to_member(m)?));
            }
        }
        Ok(out)
    }
}
