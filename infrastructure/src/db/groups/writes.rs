//! Writes to groups and memberships.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
    TransactionTrait,
};
use tidings_domain::group::{Group, GroupMember, GroupPatch, MemberPatch, Role};
use tidings_domain::ports::{AddMembersError, GroupWrites};
use tidings_domain::{GroupId, StoreError, UserId};

use super::super::entity::{
    chat_groups as groups, conversation_members as conv_members, conversations, group_members as members,
};
use super::super::{store_err, to_db};
use super::{SqlGroupStore, conv_of, member_row, open_range, to_group};

#[async_trait]
impl GroupWrites for SqlGroupStore {
    async fn create(&self, group: &Group, first: &[GroupMember]) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(store_err)?;
        let row = groups::ActiveModel {
            group_id: Set(group.id.to_string()),
            name: Set(group.name.clone()),
            avatar: Set(group.avatar.clone()),
            introduction: Set(group.introduction.clone()),
            announcement: Set(group.announcement.clone()),
            owner_id: Set(group.owner.to_string()),
            join_policy: Set(group.join_policy.as_str().to_owned()),
            mute_all: Set(group.mute_all),
            history_visible: Set(group.history_visible),
            policies: Set(group.policies.to_storage()),
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

    async fn update(&self, id: &GroupId, patch: &GroupPatch, now_ms: i64) -> Result<Option<Group>, StoreError> {
        let Some(model) = groups::Entity::find_by_id(id.to_string()).one(&self.db).await.map_err(store_err)? else {
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
        if let Some(policies) = &patch.policies {
            row.policies = Set(policies.to_storage());
        }
        row.updated_at = Set(now_ms);
        let saved = row.update(&self.db).await.map_err(store_err)?;
        to_group(saved).map(Some)
    }

    async fn dissolve(&self, id: &GroupId, now_ms: i64) -> Result<bool, StoreError> {
        let changed = groups::Entity::update_many()
            .col_expr(groups::Column::DissolvedAt, Expr::value(now_ms))
            .col_expr(groups::Column::UpdatedAt, Expr::value(now_ms))
            .filter(groups::Column::GroupId.eq(id.as_str()))
            .filter(groups::Column::DissolvedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(store_err)?
            .rows_affected;
        Ok(changed > 0)
    }

    async fn add_members(
        &self,
        id: &GroupId,
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
            .filter(members::Column::GroupId.eq(id.as_str()))
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
            .filter(groups::Column::GroupId.eq(id.as_str()))
            .filter(groups::Column::DissolvedAt.is_null())
            .filter(Expr::col(groups::Column::MemberCount).add(n).lte(cap))
            .exec(&txn)
            .await
            .map_err(store_err)?
            .rows_affected;
        if grown == 0 {
            let alive = groups::Entity::find_by_id(id.to_string())
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

    async fn remove_member(&self, id: &GroupId, user: &UserId) -> Result<bool, StoreError> {
        let txn = self.db.begin().await.map_err(store_err)?;
        let removed = members::Entity::delete_by_id((id.to_string(), user.to_string()))
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
            .filter(groups::Column::GroupId.eq(id.as_str()))
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

    async fn extend_visible_until(&self, id: &GroupId, user: &UserId, seq: u64) -> Result<(), StoreError> {
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

    async fn set_role(&self, id: &GroupId, user: &UserId, role: Role) -> Result<(), StoreError> {
        set_member_column(&self.db, id, user, members::Column::Role, role.as_str()).await
    }

    async fn transfer_owner(&self, id: &GroupId, from: &UserId, to: &UserId, now_ms: i64) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(store_err)?;
        for (user, role) in [(from, Role::Admin), (to, Role::Owner)] {
            set_member_column(&txn, id, user, members::Column::Role, role.as_str()).await?;
        }
        groups::Entity::update_many()
            .col_expr(groups::Column::OwnerId, Expr::value(to.to_string()))
            .col_expr(groups::Column::UpdatedAt, Expr::value(now_ms))
            .filter(groups::Column::GroupId.eq(id.as_str()))
            .exec(&txn)
            .await
            .map_err(store_err)?;
        txn.commit().await.map_err(store_err)
    }

    async fn set_muted_until(&self, id: &GroupId, user: &UserId, until: Option<i64>) -> Result<(), StoreError> {
        set_member_column(&self.db, id, user, members::Column::MutedUntil, until).await
    }

    async fn update_member(&self, id: &GroupId, user: &UserId, patch: &MemberPatch) -> Result<(), StoreError> {
        let mut update = members::Entity::update_many()
            .filter(members::Column::GroupId.eq(id.as_str()))
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
}

/// Sets one column of one membership row (a role, a mute).
async fn set_member_column<C: sea_orm::ConnectionTrait>(
    db: &C,
    id: &GroupId,
    user: &UserId,
    column: members::Column,
    value: impl Into<sea_orm::Value>,
) -> Result<(), StoreError> {
    members::Entity::update_many()
        .col_expr(column, Expr::value(value))
        .filter(members::Column::GroupId.eq(id.as_str()))
        .filter(members::Column::UserId.eq(user.to_string()))
        .exec(db)
        .await
        .map_err(store_err)?;
    Ok(())
}
