//! [`GroupStore`] on sea-orm. Membership changes and the member's visible range in the group
//! conversation change in the same transaction, so access checks never see one without the other.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use tidings_domain::group::{Group, GroupMember, GroupPatch, JoinPolicy, JoinRequest, MemberPatch, Role};
use tidings_domain::ports::{AddMembersError, GroupStore};
use tidings_domain::social::RequestStatus;
use tidings_domain::{ConvId, StoreError, UserId};

use super::entity::{
    chat_groups as groups, conversation_members as conv_members, conversations, group_join_requests as join_requests,
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

fn conv_of(group: &str) -> String {
    ConvId::Group(group.to_owned()).to_string()
}

fn user_id(raw: &str) -> Result<UserId, StoreError> {
    UserId::parse(raw).ok_or_else(|| StoreError::Other(format!("bad user id in storage: {raw}")))
}

fn to_group(m: groups::Model) -> Result<Group, StoreError> {
    Ok(Group {
        id: m.group_id,
        name: m.name,
        avatar: m.avatar,
        introduction: m.introduction,
        announcement: m.announcement,
        owner: user_id(&m.owner_id)?,
        join_policy: JoinPolicy::parse(&m.join_policy).unwrap_or_default(),
        mute_all: m.mute_all,
        history_visible: m.history_visible,
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
        group_id: m.group_id,
        user: user_id(&m.user_id)?,
        message: m.message,
        status: RequestStatus::parse(&m.status).unwrap_or(RequestStatus::Rejected),
        handled_by: m.handled_by.as_deref().map(user_id).transpose()?,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn member_row(group: &str, m: &GroupMember) -> members::ActiveModel {
    members::ActiveModel {
        group_id: Set(group.to_owned()),
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

#[async_trait]
impl GroupStore for SqlGroupStore {
    async fn create(&self, group: &Group, first: &[GroupMember]) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(store_err)?;
        let row = groups::ActiveModel {
            group_id: Set(group.id.clone()),
            name: Set(group.name.clone()),
            avatar: Set(group.avatar.clone()),
            introduction: Set(group.introduction.clone()),
            announcement: Set(group.announcement.clone()),
            owner_id: Set(group.owner.to_string()),
            join_policy: Set(group.join_policy.as_str().to_owned()),
            mute_all: Set(group.mute_all),
            history_visible: Set(group.history_visible),
            member_count: Set(i32::try_from(first.len()).unwrap_or(i32::MAX)),
            version: Set(1),
            created_at: Set(group.created_at),
            updated_at: Set(group.updated_at),
            dissolved_at: Set(None),
        };
        groups::Entity::insert(row).exec_without_returning(&txn).await.map_err(store_err)?;
        let conv = conv_of(&group.id);
        let conv_row = conversations::ActiveModel {
            conv_id: Set(conv.clone()),
            kind: Set("group".into()),
            max_seq: Set(0),
            created_at: Set(group.created_at),
            updated_at: Set(group.created_at),
        };
        conversations::Entity::insert(conv_row).exec_without_returning(&txn).await.map_err(store_err)?;
        if !first.is_empty() {
            members::Entity::insert_many(first.iter().map(|m| member_row(&group.id, m)))
                .exec_without_returning(&txn)
                .await
                .map_err(store_err)?;
        }
        for m in first {
            open_range(&txn, &conv, &m.user, group.created_at, 0, 0).await?;
        }
        txn.commit().await.map_err(store_err)
    }

    async fn get(&self, id: &str) -> Result<Option<Group>, StoreError> {
        groups::Entity::find_by_id(id.to_owned()).one(&self.db).await.map_err(store_err)?.map(to_group).transpose()
    }

    async fn get_many(&self, ids: &[String]) -> Result<Vec<Group>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = groups::Entity::find()
            .filter(groups::Column::GroupId.is_in(ids.iter().cloned()))
            .all(&self.db)
            .await
            .map_err(store_err)?;
        rows.into_iter().map(to_group).collect()
    }

    async fn gate(&self, id: &str, user: &UserId) -> Result<Option<(Group, Option<GroupMember>)>, StoreError> {
        let Some(group) = self.get(id).await? else {
            return Ok(None);
        };
        Ok(Some((group, self.member(id, user).await?)))
    }

    async fn update(&self, id: &str, patch: &GroupPatch, now_ms: i64) -> Result<Option<Group>, StoreError> {
        let Some(model) = groups::Entity::find_by_id(id.to_owned()).one(&self.db).await.map_err(store_err)? else {
            return Ok(None);
        };
        let mut row = model.into_active_model();
        if let Some(name) = &patch.name {
            row.name = Set(name.clone());
        }
        if let Some(avatar) = &patch.avatar {
            row.avatar = Set(avatar.clone());
        }
        if let Some(intro) = &patch.introduction {
            row.introduction = Set(intro.clone());
        }
        if let Some(announcement) = &patch.announcement {
            row.announcement = Set(announcement.clone());
        }
        if let Some(policy) = patch.join_policy {
            row.join_policy = Set(policy.as_str().to_owned());
        }
        if let Some(mute_all) = patch.mute_all {
            row.mute_all = Set(mute_all);
        }
        if let Some(visible) = patch.history_visible {
            row.history_visible = Set(visible);
        }
        row.updated_at = Set(now_ms);
        let saved = row.update(&self.db).await.map_err(store_err)?;
        to_group(saved).map(Some)
    }

    async fn dissolve(&self, id: &str, now_ms: i64) -> Result<bool, StoreError> {
        let changed = groups::Entity::update_many()
            .col_expr(groups::Column::DissolvedAt, Expr::value(now_ms))
            .col_expr(groups::Column::UpdatedAt, Expr::value(now_ms))
            .filter(groups::Column::GroupId.eq(id))
            .filter(groups::Column::DissolvedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(store_err)?
            .rows_affected;
        Ok(changed > 0)
    }

    async fn member(&self, id: &str, user: &UserId) -> Result<Option<GroupMember>, StoreError> {
        members::Entity::find_by_id((id.to_owned(), user.to_string()))
            .one(&self.db)
            .await
            .map_err(store_err)?
            .map(to_member)
            .transpose()
    }

    async fn members(&self, id: &str, after: Option<&UserId>, limit: u64) -> Result<Vec<GroupMember>, StoreError> {
        let mut q = members::Entity::find().filter(members::Column::GroupId.eq(id));
        if let Some(after) = after {
            q = q.filter(members::Column::UserId.gt(after.to_string()));
        }
        let rows = q.order_by_asc(members::Column::UserId).limit(limit).all(&self.db).await.map_err(store_err)?;
        rows.into_iter().map(to_member).collect()
    }

    async fn member_ids(&self, id: &str) -> Result<Vec<UserId>, StoreError> {
        let ids: Vec<String> = members::Entity::find()
            .select_only()
            .column(members::Column::UserId)
            .filter(members::Column::GroupId.eq(id))
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

    async fn add_members(
        &self,
        id: &str,
        candidates: &[GroupMember],
        cap: u32,
        visible_from: u64,
        read_from: u64,
    ) -> Result<Vec<UserId>, AddMembersError> {
        let txn = self.db.begin().await.map_err(store_err)?;
        let wanted: Vec<String> = candidates.iter().map(|m| m.user.to_string()).collect();
        let present: Vec<String> = members::Entity::find()
            .select_only()
            .column(members::Column::UserId)
            .filter(members::Column::GroupId.eq(id))
            .filter(members::Column::UserId.is_in(wanted))
            .into_tuple()
            .all(&txn)
            .await
            .map_err(store_err)?;
        let fresh: Vec<&GroupMember> =
            candidates.iter().filter(|m| !present.iter().any(|p| p == m.user.as_str())).collect();
        if fresh.is_empty() {
            return Ok(Vec::new());
        }
        let n = i32::try_from(fresh.len()).unwrap_or(i32::MAX);
        let cap = i32::try_from(cap).unwrap_or(i32::MAX);
        let grown = groups::Entity::update_many()
            .col_expr(groups::Column::MemberCount, Expr::col(groups::Column::MemberCount).add(n))
            .col_expr(groups::Column::Version, Expr::col(groups::Column::Version).add(1))
            .filter(groups::Column::GroupId.eq(id))
            .filter(groups::Column::DissolvedAt.is_null())
            .filter(Expr::col(groups::Column::MemberCount).add(n).lte(cap))
            .exec(&txn)
            .await
            .map_err(store_err)?
            .rows_affected;
        if grown == 0 {
            let alive = groups::Entity::find_by_id(id.to_owned())
                .one(&txn)
                .await
                .map_err(store_err)?
                .is_some_and(|g| g.dissolved_at.is_none());
            return Err(if alive {
                AddMembersError::Full(u32::try_from(cap).unwrap_or(0))
            } else {
                AddMembersError::Gone
            });
        }
        members::Entity::insert_many(fresh.iter().map(|m| member_row(id, m)))
            .exec_without_returning(&txn)
            .await
            .map_err(store_err)?;
        let conv = conv_of(id);
        for m in &fresh {
            open_range(&txn, &conv, &m.user, m.joined_at, visible_from, read_from).await?;
        }
        txn.commit().await.map_err(store_err)?;
        Ok(fresh.into_iter().map(|m| m.user.clone()).collect())
    }

    async fn remove_member(&self, id: &str, user: &UserId) -> Result<bool, StoreError> {
        let txn = self.db.begin().await.map_err(store_err)?;
        let removed = members::Entity::delete_by_id((id.to_owned(), user.to_string()))
            .exec(&txn)
            .await
            .map_err(store_err)?
            .rows_affected;
        if removed == 0 {
            return Ok(false);
        }
        groups::Entity::update_many()
            .col_expr(groups::Column::MemberCount, Expr::col(groups::Column::MemberCount).sub(1))
            .col_expr(groups::Column::Version, Expr::col(groups::Column::Version).add(1))
            .filter(groups::Column::GroupId.eq(id))
            .exec(&txn)
            .await
            .map_err(store_err)?;
        let conv = conv_of(id);
        let reached = conversations::Entity::find_by_id(conv.clone())
            .one(&txn)
            .await
            .map_err(store_err)?
            .map_or(0, |c| c.max_seq);
        conv_members::Entity::update_many()
            .col_expr(conv_members::Column::VisibleUntil, Expr::value(reached))
            .filter(conv_members::Column::ConvId.eq(conv))
            .filter(conv_members::Column::UserId.eq(user.to_string()))
            .exec(&txn)
            .await
            .map_err(store_err)?;
        txn.commit().await.map_err(store_err)?;
        Ok(true)
    }

    async fn extend_visible_until(&self, id: &str, user: &UserId, seq: u64) -> Result<(), StoreError> {
        let seq = to_db(seq);
        conv_members::Entity::update_many()
            .col_expr(conv_members::Column::VisibleUntil, Expr::value(seq))
            .filter(conv_members::Column::ConvId.eq(conv_of(id)))
            .filter(conv_members::Column::UserId.eq(user.to_string()))
            .filter(conv_members::Column::VisibleUntil.is_not_null())
            .filter(conv_members::Column::VisibleUntil.lt(seq))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn set_role(&self, id: &str, user: &UserId, role: Role) -> Result<(), StoreError> {
        members::Entity::update_many()
            .col_expr(members::Column::Role, Expr::value(role.as_str()))
            .filter(members::Column::GroupId.eq(id))
            .filter(members::Column::UserId.eq(user.to_string()))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn transfer_owner(&self, id: &str, from: &UserId, to: &UserId, now_ms: i64) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(store_err)?;
        for (user, role) in [(from, Role::Admin), (to, Role::Owner)] {
            members::Entity::update_many()
                .col_expr(members::Column::Role, Expr::value(role.as_str()))
                .filter(members::Column::GroupId.eq(id))
                .filter(members::Column::UserId.eq(user.to_string()))
                .exec(&txn)
                .await
                .map_err(store_err)?;
        }
        groups::Entity::update_many()
            .col_expr(groups::Column::OwnerId, Expr::value(to.to_string()))
            .col_expr(groups::Column::UpdatedAt, Expr::value(now_ms))
            .filter(groups::Column::GroupId.eq(id))
            .exec(&txn)
            .await
            .map_err(store_err)?;
        txn.commit().await.map_err(store_err)
    }

    async fn set_muted_until(&self, id: &str, user: &UserId, until: Option<i64>) -> Result<(), StoreError> {
        members::Entity::update_many()
            .col_expr(members::Column::MutedUntil, Expr::value(until))
            .filter(members::Column::GroupId.eq(id))
            .filter(members::Column::UserId.eq(user.to_string()))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn update_member(&self, id: &str, user: &UserId, patch: &MemberPatch) -> Result<(), StoreError> {
        let mut update = members::Entity::update_many()
            .filter(members::Column::GroupId.eq(id))
            .filter(members::Column::UserId.eq(user.to_string()));
        let mut any = false;
        if let Some(nickname) = &patch.nickname {
            update = update.col_expr(members::Column::Nickname, Expr::value(nickname.clone()));
            any = true;
        }
        if let Some(remark) = &patch.remark {
            update = update.col_expr(members::Column::Remark, Expr::value(remark.clone()));
            any = true;
        }
        if any {
            update.exec(&self.db).await.map_err(store_err)?;
        }
        Ok(())
    }

    async fn insert_join_request(&self, r: &JoinRequest) -> Result<(), StoreError> {
        let row = join_requests::ActiveModel {
            request_id: Set(r.id.clone()),
            group_id: Set(r.group_id.clone()),
            user_id: Set(r.user.to_string()),
            message: Set(r.message.clone()),
            status: Set(r.status.as_str().to_owned()),
            handled_by: Set(r.handled_by.as_ref().map(ToString::to_string)),
            created_at: Set(r.created_at),
            updated_at: Set(r.updated_at),
        };
        join_requests::Entity::insert(row).exec_without_returning(&self.db).await.map_err(store_err)?;
        Ok(())
    }

    async fn join_request(&self, id: &str) -> Result<Option<JoinRequest>, StoreError> {
        join_requests::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await
            .map_err(store_err)?
            .map(to_join_request)
            .transpose()
    }

    async fn pending_join_request(&self, group: &str, user: &UserId) -> Result<Option<JoinRequest>, StoreError> {
        join_requests::Entity::find()
            .filter(join_requests::Column::GroupId.eq(group))
            .filter(join_requests::Column::UserId.eq(user.to_string()))
            .filter(join_requests::Column::Status.eq(RequestStatus::Pending.as_str()))
            .one(&self.db)
            .await
            .map_err(store_err)?
            .map(to_join_request)
            .transpose()
    }

    async fn join_requests(
        &self,
        group: &str,
        status: Option<RequestStatus>,
        before: Option<&str>,
        limit: u64,
    ) -> Result<Vec<JoinRequest>, StoreError> {
        let mut q = join_requests::Entity::find().filter(join_requests::Column::GroupId.eq(group));
        if let Some(status) = status {
            q = q.filter(join_requests::Column::Status.eq(status.as_str()));
        }
        if let Some(before) = before {
            q = q.filter(join_requests::Column::RequestId.lt(before));
        }
        let rows =
            q.order_by_desc(join_requests::Column::RequestId).limit(limit).all(&self.db).await.map_err(store_err)?;
        rows.into_iter().map(to_join_request).collect()
    }

    async fn answer_join_request(
        &self,
        id: &str,
        status: RequestStatus,
        by: &UserId,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let changed = join_requests::Entity::update_many()
            .col_expr(join_requests::Column::Status, Expr::value(status.as_str()))
            .col_expr(join_requests::Column::HandledBy, Expr::value(by.to_string()))
            .col_expr(join_requests::Column::UpdatedAt, Expr::value(now_ms))
            .filter(join_requests::Column::RequestId.eq(id))
            .filter(join_requests::Column::Status.eq(RequestStatus::Pending.as_str()))
            .exec(&self.db)
            .await
            .map_err(store_err)?
            .rows_affected;
        Ok(changed > 0)
    }
}
