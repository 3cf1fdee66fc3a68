//! Friends, friend requests, blocks and who may message a user directly.

use std::collections::HashMap;
use std::sync::Arc;

use tidings_domain::UserId;
use tidings_domain::account::User;
use tidings_domain::ports::{SocialStore, UserRepository};
use tidings_domain::social::{DmPolicy, Friend, FriendRequest, RequestStatus};

use crate::clock::now_ms;
use crate::error::AppError;

/// What a friend request led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOutcome {
    /// A new request is waiting for the other user.
    Sent(FriendRequest),
    /// The same request was already waiting; nothing changed.
    AlreadyPending(FriendRequest),
    /// The other user had already asked: both are friends now.
    BecameFriends(FriendRequest),
}

/// Friend and block use cases.
pub struct SocialService {
    users: Arc<dyn UserRepository>,
    social: Arc<dyn SocialStore>,
    default_policy: DmPolicy,
    max_page: u32,
}

impl SocialService {
    /// Wires the service; `default_policy` applies to users who never chose one.
    pub fn new(
        users: Arc<dyn UserRepository>,
        social: Arc<dyn SocialStore>,
        default_policy: DmPolicy,
        max_page: u32,
    ) -> Self {
        Self { users, social, default_policy, max_page }
    }

    /// Asks `to` to be friends. A crossing request (they already asked `from`) makes the two
    /// friends at once; repeating a pending request changes nothing.
    pub async fn send_request(
        &self,
        from: &UserId,
        to: &UserId,
        message: Option<String>,
    ) -> Result<RequestOutcome, AppError> {
        if from == to {
            return Err(AppError::InvalidField("cannot befriend yourself".into()));
        }
        self.existing_person(to).await?;
        if self.social.is_blocked(to, from).await? {
            return Err(AppError::Blocked);
        }
        if self.social.is_blocked(from, to).await? {
            return Err(AppError::Forbidden("you have blocked this user; unblock them first".into()));
        }
        if self.social.are_friends(from, to).await? {
            return Err(AppError::Conflict("already friends".into()));
        }
        let now = now_ms();
        if let Some(crossing) = self.social.pending_request(to, from).await? {
            self.social.answer_request(&crossing.id, RequestStatus::Accepted, now).await?;
            let settled = self.social.request(&crossing.id).await?.unwrap_or(crossing);
            return Ok(RequestOutcome::BecameFriends(settled));
        }
        if let Some(pending) = self.social.pending_request(from, to).await? {
            return Ok(RequestOutcome::AlreadyPending(pending));
        }
        let request = FriendRequest {
            id: FriendRequest::generate_id(),
            from: from.clone(),
            to: to.clone(),
            message,
            status: RequestStatus::Pending,
            created_at: now,
            updated_at: now,
        };
        self.social.insert_request(&request).await?;
        Ok(RequestOutcome::Sent(request))
    }

    /// Requests to (`incoming`) or from the user, newest first.
    pub async fn requests(
        &self,
        user: &UserId,
        incoming: bool,
        status: Option<RequestStatus>,
        before: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<FriendRequest>, AppError> {
        let limit = self.page(limit)?;
        Ok(self.social.requests(user, incoming, status, before, limit).await?)
    }

    /// Accepts or rejects a request made to `user`. Only its recipient may answer; to anyone
    /// else it does not exist.
    pub async fn answer(&self, user: &UserId, id: &str, accept: bool) -> Result<FriendRequest, AppError> {
        let request =
            self.social.request(id).await?.filter(|r| &r.to == user).ok_or(AppError::NotFound("friend request"))?;
        if request.status != RequestStatus::Pending {
            return Err(AppError::Conflict(format!("the request was already {}", request.status.as_str())));
        }
        if accept && self.social.is_blocked(&request.from, user).await? {
            // The asker has blocked the recipient since asking: the request no longer stands.
            return Err(AppError::Blocked);
        }
        let status = if accept { RequestStatus::Accepted } else { RequestStatus::Rejected };
        if !self.social.answer_request(id, status, now_ms()).await? {
            return Err(AppError::Conflict("the request was answered meanwhile".into()));
        }
        Ok(self.social.request(id).await?.unwrap_or(request))
    }

    /// The user's friends, ordered by id, each with their account (read in one batch).
    pub async fn friends(
        &self,
        user: &UserId,
        after: Option<&UserId>,
        limit: Option<u32>,
    ) -> Result<Vec<(Friend, User)>, AppError> {
        let limit = self.page(limit)?;
        let friends = self.social.friends(user, after, limit).await?;
        let ids: Vec<UserId> = friends.iter().map(|f| f.user.clone()).collect();
        let mut accounts: HashMap<UserId, User> =
            self.users.by_ids(&ids).await?.into_iter().map(|u| (u.id.clone(), u)).collect();
        Ok(friends.into_iter().filter_map(|f| accounts.remove(&f.user).map(|u| (f, u))).collect())
    }

    /// One friend, or `not_found` if the two are not friends.
    pub async fn friend(&self, user: &UserId, other: &UserId) -> Result<Friend, AppError> {
        self.social.friend(user, other).await?.ok_or(AppError::NotFound("friend"))
    }

    /// Ends a friendship, for both sides.
    pub async fn remove_friend(&self, user: &UserId, other: &UserId) -> Result<(), AppError> {
        if self.social.remove_friend(user, other).await? { Ok(()) } else { Err(AppError::NotFound("friend")) }
    }

    /// Sets (or clears) the user's private remark about a friend.
    pub async fn set_remark(&self, user: &UserId, other: &UserId, remark: Option<&str>) -> Result<Friend, AppError> {
        self.friend(user, other).await?;
        self.social.set_remark(user, other, remark).await?;
        self.friend(user, other).await
    }

    /// Blocks a user: they can no longer message the blocker or send them friend requests.
    pub async fn block(&self, user: &UserId, target: &UserId) -> Result<(), AppError> {
        if user == target {
            return Err(AppError::InvalidField("cannot block yourself".into()));
        }
        self.existing_person(target).await?;
        Ok(self.social.block(user, target, now_ms()).await?)
    }

    /// Lifts a block.
    pub async fn unblock(&self, user: &UserId, target: &UserId) -> Result<(), AppError> {
        if self.social.unblock(user, target).await? { Ok(()) } else { Err(AppError::NotFound("block")) }
    }

    /// Whom the user blocks, ordered by id, with when.
    pub async fn blocks(
        &self,
        user: &UserId,
        after: Option<&UserId>,
        limit: Option<u32>,
    ) -> Result<Vec<(UserId, i64)>, AppError> {
        let limit = self.page(limit)?;
        Ok(self.social.blocks(user, after, limit).await?)
    }

    /// Who may message the user directly (their choice, else the server default).
    pub async fn dm_policy(&self, user: &UserId) -> Result<DmPolicy, AppError> {
        Ok(self.social.dm_policy(user).await?.unwrap_or(self.default_policy))
    }

    /// Sets who may message the user directly.
    pub async fn set_dm_policy(&self, user: &UserId, policy: DmPolicy) -> Result<DmPolicy, AppError> {
        self.social.set_dm_policy(user, policy).await?;
        Ok(policy)
    }

    /// A real user (not the built-in system account), or `not_found`.
    async fn existing_person(&self, user: &UserId) -> Result<(), AppError> {
        if user.is_system() || self.users.by_id(user).await?.is_none() {
            return Err(AppError::NotFound("user"));
        }
        Ok(())
    }

    fn page(&self, limit: Option<u32>) -> Result<u64, AppError> {
        page_size(limit, self.max_page)
    }
}

/// A page size: the maximum when none is given, at least 1, at most `max`.
pub(crate) fn page_size(limit: Option<u32>, max: u32) -> Result<u64, AppError> {
    match limit {
        Some(0) => Err(AppError::InvalidField("limit must be at least 1".into())),
        Some(n) => Ok(u64::from(n.min(max))),
        None => Ok(u64::from(max)),
    }
}
