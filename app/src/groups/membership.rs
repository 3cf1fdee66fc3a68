//! Membership: invitations, join requests, leaving, kicks, roles, ownership, mutes, a
//! member's own settings and the member list.

use super::*;

impl GroupService {
    /// Adds people to the group (any member may invite). Returns who was added (people who
    /// were members already are skipped).
    pub async fn invite(&self, user: &UserId, id: &GroupId, invitees: &[UserId]) -> Result<Vec<UserId>, AppError> {
        let (group, _) = self.active_member(user, id).await?;
        self.check_invitees(user, invitees).await?;
        let added = self.add(&group, invitees).await?;
        if !added.is_empty() {
            self.notice(id, user, json!({"event": "joined", "via": "invite", "users": ids(&added)}), &[]).await?;
        }
        Ok(added)
    }

    /// Joins by group id, as the join policy allows.
    pub async fn join(&self, user: &UserId, id: &GroupId, message: Option<String>) -> Result<JoinOutcome, AppError> {
        let (group, me) = self.groups.gate.gate(id, user).await?.ok_or(AppError::NotFound("group"))?;
        if group.dissolved_at.is_some() {
            return Err(AppError::GroupDissolved);
        }
        if me.is_some() {
            return Err(AppError::Conflict("already a member".into()));
        }
        match group.join_policy {
            JoinPolicy::InviteOnly => Err(AppError::Forbidden("this group takes members by invitation only".into())),
            JoinPolicy::Open => {
                let added = self.add(&group, std::slice::from_ref(user)).await?;
                if !added.is_empty() {
                    self.notice(id, user, json!({"event": "joined", "via": "join", "users": ids(&added)}), &[]).await?;
                }
                Ok(JoinOutcome::Joined)
            }
            JoinPolicy::Approval => {
                if let Some(pending) = self.groups.joins.pending_join_request(id, user).await? {
                    return Ok(JoinOutcome::Requested(pending));
                }
                let now = self.clock.now_ms();
                let request = JoinRequest {
                    id: JoinRequest::generate_id(),
                    group_id: id.clone(),
                    user: user.clone(),
                    message,
                    status: RequestStatus::Pending,
                    handled_by: None,
                    created_at: now,
                    updated_at: now,
                };
                self.groups.joins.insert_join_request(&request).await?;
                Ok(JoinOutcome::Requested(request))
            }
        }
    }

    /// The group's join requests (owners and admins).
    pub async fn join_requests(
        &self,
        user: &UserId,
        id: &GroupId,
        status: Option<RequestStatus>,
        before: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<JoinRequest>, AppError> {
        self.manager(user, id).await?;
        let limit = page_size(limit, self.limits.max_page)?;
        Ok(self.groups.joins.join_requests(id, status, before, limit).await?)
    }

    /// Approves or rejects a join request (owners and admins).
    pub async fn answer_join(
        &self,
        user: &UserId,
        id: &GroupId,
        request: &str,
        approve: bool,
    ) -> Result<JoinRequest, AppError> {
        let (group, _) = self.manager(user, id).await?;
        let found = self
            .groups
            .joins
            .join_request(request)
            .await?
            .filter(|r| &r.group_id == id)
            .ok_or(AppError::NotFound("join request"))?;
        if found.status != RequestStatus::Pending {
            return Err(AppError::Conflict(format!("the request was already {}", found.status.as_str())));
        }
        let added = if approve { self.add(&group, std::slice::from_ref(&found.user)).await? } else { Vec::new() };
        let status = if approve { RequestStatus::Accepted } else { RequestStatus::Rejected };
        if !self.groups.joins.answer_join_request(request, status, user, self.clock.now_ms()).await? && added.is_empty()
        {
            return Err(AppError::Conflict("the request was answered meanwhile".into()));
        }
        if !added.is_empty() {
            self.notice(id, user, json!({"event": "joined", "via": "approval", "users": ids(&added)}), &[]).await?;
        }
        Ok(self.groups.joins.join_request(request).await?.unwrap_or(found))
    }

    /// Leaves the group. The owner must hand over ownership (or dissolve) first.
    pub async fn leave(&self, user: &UserId, id: &GroupId) -> Result<(), AppError> {
        let (group, me) = self.member_of(user, id).await?;
        if group.dissolved_at.is_some() {
            // Nothing more can be posted, so no notice: the group just leaves the member's list.
            self.groups.writes.remove_member(id, user).await?;
            return Ok(());
        }
        if me.role == Role::Owner {
            return Err(AppError::Forbidden("the owner must transfer ownership or dissolve the group".into()));
        }
        self.remove(id, user, user, "left").await
    }

    /// Removes a member (owners remove anyone, admins remove ordinary members).
    pub async fn kick(&self, user: &UserId, id: &GroupId, target: &UserId) -> Result<(), AppError> {
        check_kick_target(user, target)?;
        let (_, me) = self.manager(user, id).await?;
        let them = self.target(id, target).await?;
        if them.role >= me.role {
            return Err(AppError::Forbidden("you can only remove members below your role".into()));
        }
        self.remove(id, user, target, "kicked").await
    }

    /// Makes a member an admin or an ordinary member again (owner only).
    pub async fn set_role(&self, user: &UserId, id: &GroupId, target: &UserId, role: Role) -> Result<(), AppError> {
        let (_, me) = self.active_member(user, id).await?;
        if me.role != Role::Owner {
            return Err(AppError::Forbidden("only the owner may change roles".into()));
        }
        if role == Role::Owner {
            return Err(AppError::InvalidField("use transfer to hand over ownership".into()));
        }
        let them = self.target(id, target).await?;
        if them.role == Role::Owner {
            return Err(AppError::Forbidden("the owner's role changes only by transfer".into()));
        }
        if them.role == role {
            return Ok(());
        }
        self.groups.writes.set_role(id, target, role).await?;
        self.notice(id, user, json!({"event": "role_changed", "users": [target.as_str()], "role": role.as_str()}), &[])
            .await?;
        Ok(())
    }

    /// Hands ownership to another member (owner only); the old owner becomes an admin.
    pub async fn transfer(&self, user: &UserId, id: &GroupId, target: &UserId) -> Result<(), AppError> {
        let (_, me) = self.active_member(user, id).await?;
        if me.role != Role::Owner {
            return Err(AppError::Forbidden("only the owner may transfer ownership".into()));
        }
        if user == target {
            return Err(AppError::InvalidField("you already own the group".into()));
        }
        self.target(id, target).await?;
        self.groups.writes.transfer_owner(id, user, target, self.clock.now_ms()).await?;
        self.notice(id, user, json!({"event": "owner_transferred", "users": [target.as_str()]}), &[]).await?;
        Ok(())
    }

    /// Mutes a member for `secs` seconds, or unmutes with 0 (owners and admins, over members
    /// below them).
    pub async fn mute(&self, user: &UserId, id: &GroupId, target: &UserId, secs: u64) -> Result<Option<i64>, AppError> {
        if secs > self.limits.max_mute_secs {
            return Err(AppError::InvalidField(format!("mute_secs must be at most {}", self.limits.max_mute_secs)));
        }
        let (_, me) = self.manager(user, id).await?;
        let them = self.target(id, target).await?;
        if them.role >= me.role {
            return Err(AppError::Forbidden("you can only mute members below your role".into()));
        }
        let until = (secs > 0).then(|| self.clock.now_ms() + i64::try_from(secs * 1000).unwrap_or(i64::MAX / 2));
        self.groups.writes.set_muted_until(id, target, until).await?;
        let body = match until {
            Some(until) => json!({"event": "muted", "users": [target.as_str()], "until": until}),
            None => json!({"event": "unmuted", "users": [target.as_str()]}),
        };
        self.notice(id, user, body, &[]).await?;
        Ok(until)
    }

    /// Changes the caller's own nickname or private remark for the group.
    pub async fn update_me(&self, user: &UserId, id: &GroupId, patch: MemberPatch) -> Result<GroupMember, AppError> {
        self.active_member(user, id).await?;
        self.groups.writes.update_member(id, user, &patch).await?;
        self.groups.directory.member(id, user).await?.ok_or(AppError::NotMember)
    }

    /// Members, ordered by user id (members only).
    pub async fn members(
        &self,
        user: &UserId,
        id: &GroupId,
        after: Option<&UserId>,
        limit: Option<u32>,
    ) -> Result<Vec<GroupMember>, AppError> {
        self.member_of(user, id).await?;
        let limit = page_size(limit, self.limits.max_page)?;
        Ok(self.groups.directory.members(id, after, limit).await?)
    }
}

/// Refuses a kick of oneself (leaving is `leave`). It comes before any look at the group, so an
/// interface that parses the group id first checks this first as well.
pub fn check_kick_target(user: &UserId, target: &UserId) -> Result<(), AppError> {
    if user == target {
        return Err(AppError::InvalidField("use leave to leave a group".into()));
    }
    Ok(())
}
