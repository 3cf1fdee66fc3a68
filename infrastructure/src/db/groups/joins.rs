//! Join requests.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tidings_domain::group::JoinRequest;
use tidings_domain::ports::JoinRequestStore;
use tidings_domain::social::RequestStatus;
use tidings_domain::{GroupId, StoreError, UserId};

use super::super::entity::group_join_requests as join_requests;
use super::super::store_err;
use super::{SqlGroupStore, to_join_request};

#[async_trait]
impl JoinRequestStore for SqlGroupStore {
    async fn insert_join_request(&self, r: &JoinRequest) -> Result<(), StoreError> {
        let row = join_requests::ActiveModel {
            request_id: Set(r.id.clone()),
            group_id: Set(r.group_id.to_string()),
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

    async fn pending_join_request(&self, group: &GroupId, user: &UserId) -> Result<Option<JoinRequest>, StoreError> {
        join_requests::Entity::find()
            .filter(join_requests::Column::GroupId.eq(group.as_str()))
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
        group: &GroupId,
        status: Option<RequestStatus>,
        before: Option<&str>,
        limit: u64,
    ) -> Result<Vec<JoinRequest>, StoreError> {
        let mut q = join_requests::Entity::find().filter(join_requests::Column::GroupId.eq(group.as_str()));
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
