//! Group use cases: lifecycle, membership, roles, mutes and join requests. Every change that
//! members should learn of is also written to the group's log as a notice (a system message),
//! so every device learns it through the normal push and sync path.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Value, json};
use tidings_domain::group::{Group, GroupMember, GroupPatch, JoinPolicy, JoinRequest, MemberPatch, Role};
use tidings_domain::ports::{AddMembersError, GroupStore, SocialStore, UserRepository};
use tidings_domain::social::RequestStatus;
use tidings_domain::{ConvId, UserId};

use crate::clock::now_ms;
use crate::error::AppError;
use crate::messaging::MessagingService;
use crate::social::page_size;

/// Bounds of group operations.
#[derive(Debug, Clone, Copy)]
pub struct GroupLimits {
    /// Most members a group may have.
    pub max_members: u32,
    /// Largest page of members, groups or requests.
    pub max_page: u32,
    /// Longest mute, in seconds.
    pub max_mute_secs: u64,
}

/// What a new group starts with.
#[derive(Debug, Clone, Default)]
pub struct NewGroup {
    /// Name.
    pub name: String,
    /// Avatar.
    pub avatar: Option<String>,
    /// Introduction.
    pub introduction: Option<String>,
    /// Members besides the owner.
    pub members: Vec<UserId>,
    /// How outsiders get in.
    pub join_policy: JoinPolicy,
    /// Whether newcomers see earlier history.
    pub history_visible: bool,
}

/// A group as one user sees it: the group and their own membership, if any.
#[derive(Debug, Clone)]
pub struct GroupView {
    /// The group.
    pub group: Group,
    /// The caller's membership (`None` for outsiders, who see the public card only).
    pub me: Option<GroupMember>,
}

/// What asking to join led to.
#[derive(Debug, Clone)]
pub enum JoinOutcome {
    /// Member now.
    Joined,
    /// A request waits for an owner or admin.
    Requested(JoinRequest),
}

/// Group use cases.
pub struct GroupService {
    users: Arc<dyn UserRepository>,
    groups: Arc<dyn GroupStore>,
    social: Arc<dyn SocialStore>,
    messaging: Arc<MessagingService>,
    limits: GroupLimits,
}

impl GroupService {
    /// Wires the service.
    pub fn new(
        users: Arc<dyn UserRepository>,
        groups: Arc<dyn GroupStore>,
        social: Arc<dyn SocialStore>,
        messaging: Arc<MessagingService>,
        limits: GroupLimits,
    ) -> Self {
        Self { users, groups, social, messaging, limits }
    }

    /// Creates a group owned by `owner` with the given first members.
    pub async fn create(&self, owner: &UserId, new: NewGroup) -> Result<Group, AppError> {
        let mut others: Vec<UserId> = Vec::new();
        for user in new.members {
            if &user != owner && !others.contains(&user) {
                others.push(user);
            }
        }
        if others.len() + 1 > self.limits.max_members as usize {
            return Err(AppError::GroupFull(self.limits.max_members));
        }
        self.check_invitees(owner, &others).await?;
        let now = now_ms();
        let group = Group {
            id: Group::generate_id(),
            name: new.name,
            avatar: new.avatar,
            introduction: new.introduction,
            announcement: None,
            owner: owner.clone(),
            join_policy: new.join_policy,
            mute_all: false,
            history_visible: new.history_visible,
            member_count: u32::try_from(others.len() + 1).unwrap_or(u32::MAX),
            version: 1,
            created_at: now,
            updated_at: now,
            dissolved_at: None,
        };
        let mut members = vec![GroupMember::new(owner.clone(), Role::Owner, now)];
        members.extend(others.iter().map(|u| GroupMember::new(u.clone(), Role::Member, now)));
        self.groups.create(&group, &members).await?;
        let everyone: Vec<UserId> = members.iter().map(|m| m.user.clone()).collect();
        self.notice(&group.id, owner, json!({"event": "created", "name": group.name, "users": ids(&everyone)}), &[])
            .await?;
        Ok(group)
    }

    /// The group and the caller's membership. Outsiders get it too (to decide whether to join);
    /// the interface shows them only the public card.
    pub async fn view(&self, user: &UserId, id: &str) -> Result<GroupView, AppError> {
        let (group, me) = self.groups.gate(id, user).await?.ok_or(AppError::NotFound("group"))?;
        Ok(GroupView { group, me })
    }

    /// The caller's groups with their membership of each, ordered by group id.
    pub async fn mine(
        &self,
        user: &UserId,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<GroupView>, AppError> {
        let limit = page_size(limit, self.limits.max_page)?;
        let rows = self.groups.groups_of(user, after, limit).await?;
        Ok(rows.into_iter().map(|(group, me)| GroupView { group, me: Some(me) }).collect())
    }

    /// Changes settings (owners and admins). Each kind of change is announced in the log.
    pub async fn update(&self, user: &UserId, id: &str, patch: GroupPatch) -> Result<Group, AppError> {
        let (before, _) = self.manager(user, id).await?;
        let after = self.groups.update(id, &patch, now_ms()).await?.ok_or(AppError::NotFound("group"))?;
        if patch.announcement.is_some() && after.announcement != before.announcement {
            self.notice(id, user, json!({"event": "announcement", "announcement": after.announcement}), &[]).await?;
        }
        if patch.mute_all.is_some() && after.mute_all != before.mute_all {
            self.notice(id, user, json!({"event": "mute_all", "enabled": after.mute_all}), &[]).await?;
        }
        let mut changed = serde_json::Map::new();
        if after.name != before.name {
            changed.insert("name".into(), json!(after.name));
        }
        if after.avatar != before.avatar {
            changed.insert("avatar".into(), json!(after.avatar));
        }
        if after.introduction != before.introduction {
            changed.insert("introduction".into(), json!(after.introduction));
        }
        if after.join_policy != before.join_policy {
            changed.insert("join_policy".into(), json!(after.join_policy.as_str()));
        }
        if after.history_visible != before.history_visible {
            changed.insert("history_visible".into(), json!(after.history_visible));
        }
        if !changed.is_empty() {
            self.notice(id, user, json!({"event": "info_updated", "changes": changed}), &[]).await?;
        }
        Ok(after)
    }

    /// Dissolves the group (owner only). Its history stays readable by its members.
    pub async fn dissolve(&self, user: &UserId, id: &str) -> Result<(), AppError> {
        let (_, me) = self.active_member(user, id).await?;
        if me.role != Role::Owner {
            return Err(AppError::Forbidden("only the owner may dissolve the group".into()));
        }
        if !self.groups.dissolve(id, now_ms()).await? {
            return Err(AppError::GroupDissolved);
        }
        self.notice(id, user, json!({"event": "dissolved"}), &[]).await?;
        Ok(())
    }

    /// Adds people to the group (any member may invite). Returns who was added (people who
    /// were members already are skipped).
    pub async fn invite(&self, user: &UserId, id: &str, invitees: &[UserId]) -> Result<Vec<UserId>, AppError> {
        let (group, _) = self.active_member(user, id).await?;
        self.check_invitees(user, invitees).await?;
        let added = self.add(&group, invitees).await?;
        if !added.is_empty() {
            self.notice(id, user, json!({"event": "joined", "via": "invite", "users": ids(&added)}), &[]).await?;
        }
        Ok(added)
    }

    /// Joins by group id, as the join policy allows.
    pub async fn join(&self, user: &UserId, id: &str, message: Option<String>) -> Result<JoinOutcome, AppError> {
        let (group, me) = self.groups.gate(id, user).await?.ok_or(AppError::NotFound("group"))?;
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
                if let Some(pending) = self.groups.pending_join_request(id, user).await? {
                    return Ok(JoinOutcome::Requested(pending));
                }
                let now = now_ms();
                let request = JoinRequest {
                    id: JoinRequest::generate_id(),
                    group_id: id.to_owned(),
                    user: user.clone(),
                    message,
                    status: RequestStatus::Pending,
                    handled_by: None,
                    created_at: now,
                    updated_at: now,
                };
                self.groups.insert_join_request(&request).await?;
                Ok(JoinOutcome::Requested(request))
            }
        }
    }

    /// The group's join requests (owners and admins).
    pub async fn join_requests(
        &self,
        user: &UserId,
        id: &str,
        status: Option<RequestStatus>,
        before: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<JoinRequest>, AppError> {
        self.manager(user, id).await?;
        let limit = page_size(limit, self.limits.max_page)?;
        Ok(self.groups.join_requests(id, status, before, limit).await?)
    }

    /// Approves or rejects a join request (owners and admins).
    pub async fn answer_join(
        &self,
        user: &UserId,
        id: &str,
        request: &str,
        approve: bool,
    ) -> Result<JoinRequest, AppError> {
        let (group, _) = self.manager(user, id).await?;
        let found = self
            .groups
            .join_request(request)
            .await?
            .filter(|r| r.group_id == id)
            .ok_or(AppError::NotFound("join request"))?;
        if found.status != RequestStatus::Pending {
            return Err(AppError::Conflict(format!("the request was already {}", found.status.as_str())));
        }
        let added = if approve { self.add(&group, std::slice::from_ref(&found.user)).await? } else { Vec::new() };
        let status = if approve { RequestStatus::Accepted } else { RequestStatus::Rejected };
        if !self.groups.answer_join_request(request, status, user, now_ms()).await? && added.is_empty() {
            return Err(AppError::Conflict("the request was answered meanwhile".into()));
        }
        if !added.is_empty() {
            self.notice(id, user, json!({"event": "joined", "via": "approval", "users": ids(&added)}), &[]).await?;
        }
        Ok(self.groups.join_request(request).await?.unwrap_or(found))
    }

    /// Leaves the group. The owner must hand over ownership (or dissolve) first.
    pub async fn leave(&self, user: &UserId, id: &str) -> Result<(), AppError> {
        let (group, me) = self.member_of(user, id).await?;
        if group.dissolved_at.is_some() {
            // Nothing more can be posted, so no notice: the group just leaves the member's list.
            self.groups.remove_member(id, user).await?;
            return Ok(());
        }
        if me.role == Role::Owner {
            return Err(AppError::Forbidden("the owner must transfer ownership or dissolve the group".into()));
        }
        self.remove(id, user, user, "left").await
    }

    /// Removes a member (owners remove anyone, admins remove ordinary members).
    pub async fn kick(&self, user: &UserId, id: &str, target: &UserId) -> Result<(), AppError> {
        if user == target {
            return Err(AppError::InvalidField("use leave to leave a group".into()));
        }
        let (_, me) = self.manager(user, id).await?;
        let them = self.target(id, target).await?;
        if them.role >= me.role {
            return Err(AppError::Forbidden("you can only remove members below your role".into()));
        }
        self.remove(id, user, target, "kicked").await
    }

    /// Makes a member an admin or an ordinary member again (owner only).
    pub async fn set_role(&self, user: &UserId, id: &str, target: &UserId, role: Role) -> Result<(), AppError> {
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
        self.groups.set_role(id, target, role).await?;
        self.notice(id, user, json!({"event": "role_changed", "users": [target.as_str()], "role": role.as_str()}), &[])
            .await?;
        Ok(())
    }

    /// Hands ownership to another member (owner only); the old owner becomes an admin.
    pub async fn transfer(&self, user: &UserId, id: &str, target: &UserId) -> Result<(), AppError> {
        let (_, me) = self.active_member(user, id).await?;
        if me.role != Role::Owner {
            return Err(AppError::Forbidden("only the owner may transfer ownership".into()));
        }
        if user == target {
            return Err(AppError::InvalidField("you already own the group".into()));
        }
        self.target(id, target).await?;
        self.groups.transfer_owner(id, user, target, now_ms()).await?;
        self.notice(id, user, json!({"event": "owner_transferred", "users": [target.as_str()]}), &[]).await?;
        Ok(())
    }

    /// Mutes a member for `secs` seconds, or unmutes with 0 (owners and admins, over members
    /// below them).
    pub async fn mute(&self, user: &UserId, id: &str, target: &UserId, secs: u64) -> Result<Option<i64>, AppError> {
        if secs > self.limits.max_mute_secs {
            return Err(AppError::InvalidField(format!("mute_secs must be at most {}", self.limits.max_mute_secs)));
        }
        let (_, me) = self.manager(user, id).await?;
        let them = self.target(id, target).await?;
        if them.role >= me.role {
            return Err(AppError::Forbidden("you can only mute members below your role".into()));
        }
        let until = (secs > 0).then(|| now_ms() + i64::try_from(secs * 1000).unwrap_or(i64::MAX / 2));
        self.groups.set_muted_until(id, target, until).await?;
        let body = match until {
            Some(until) => json!({"event": "muted", "users": [target.as_str()], "until": until}),
            None => json!({"event": "unmuted", "users": [target.as_str()]}),
        };
        self.notice(id, user, body, &[]).await?;
        Ok(until)
    }

    /// Changes the caller's own nickname or private remark for the group.
    pub async fn update_me(&self, user: &UserId, id: &str, patch: MemberPatch) -> Result<GroupMember, AppError> {
        self.active_member(user, id).await?;
        self.groups.update_member(id, user, &patch).await?;
        self.groups.member(id, user).await?.ok_or(AppError::NotMember)
    }

    /// Members, ordered by user id (members only).
    pub async fn members(
        &self,
        user: &UserId,
        id: &str,
        after: Option<&UserId>,
        limit: Option<u32>,
    ) -> Result<Vec<GroupMember>, AppError> {
        self.member_of(user, id).await?;
        let limit = page_size(limit, self.limits.max_page)?;
        Ok(self.groups.members(id, after, limit).await?)
    }

    /// All groups, for enterprise admins: by id, or by a part of the name.
    pub async fn admin_search(
        &self,
        query: Option<&str>,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<Group>, AppError> {
        let limit = page_size(limit, self.limits.max_page)?;
        Ok(self.groups.search(query, after, limit).await?)
    }

    /// One group, for enterprise admins (no membership needed).
    pub async fn admin_get(&self, id: &str) -> Result<Group, AppError> {
        self.groups.get(id).await?.ok_or(AppError::NotFound("group"))
    }

    /// Members of any group, for enterprise admins.
    pub async fn admin_members(
        &self,
        id: &str,
        after: Option<&UserId>,
        limit: Option<u32>,
    ) -> Result<Vec<GroupMember>, AppError> {
        self.admin_get(id).await?;
        let limit = page_size(limit, self.limits.max_page)?;
        Ok(self.groups.members(id, after, limit).await?)
    }

    /// One member of any group, for enterprise admins.
    pub async fn admin_member(&self, id: &str, user: &UserId) -> Result<GroupMember, AppError> {
        self.admin_get(id).await?;
        self.target(id, user).await
    }

    /// Creates a group on behalf of `owner` (an enterprise admin provisioning a team).
    pub async fn admin_create(&self, owner: &UserId, new: NewGroup) -> Result<Group, AppError> {
        if owner.is_system() || self.users.by_id(owner).await?.is_none() {
            return Err(AppError::NotFound("user"));
        }
        self.create(owner, new).await
    }

    /// Dissolves any group; `admin` is recorded as the actor.
    pub async fn admin_dissolve(&self, admin: &UserId, id: &str) -> Result<(), AppError> {
        self.admin_get(id).await?;
        if !self.groups.dissolve(id, now_ms()).await? {
            return Err(AppError::GroupDissolved);
        }
        self.notice(id, admin, json!({"event": "dissolved"}), &[]).await?;
        Ok(())
    }

    /// Adds members to any group, within the member cap; returns who was added.
    pub async fn admin_add_members(&self, admin: &UserId, id: &str, users: &[UserId]) -> Result<Vec<UserId>, AppError> {
        let group = self.alive(id).await?;
        let people = self.people(users).await?;
        if users.iter().any(|u| !people.contains(u)) {
            return Err(AppError::NotFound("user"));
        }
        let added = self.add(&group, users).await?;
        if !added.is_empty() {
            self.notice(id, admin, json!({"event": "joined", "via": "admin", "users": ids(&added)}), &[]).await?;
        }
        Ok(added)
    }

    /// Removes a member from any group (not the owner: hand ownership over first).
    pub async fn admin_remove_member(&self, admin: &UserId, id: &str, user: &UserId) -> Result<(), AppError> {
        self.alive(id).await?;
        if self.target(id, user).await?.role == Role::Owner {
            return Err(AppError::Forbidden("the owner cannot be removed; make another member owner first".into()));
        }
        self.remove(id, admin, user, "kicked").await
    }

    /// Sets a member's role in any group; `owner` hands the ownership over (the old owner
    /// becomes an admin).
    pub async fn admin_set_role(&self, admin: &UserId, id: &str, user: &UserId, role: Role) -> Result<(), AppError> {
        let group = self.alive(id).await?;
        let them = self.target(id, user).await?;
        if them.role == role {
            return Ok(());
        }
        if role == Role::Owner {
            self.groups.transfer_owner(id, &group.owner, user, now_ms()).await?;
            self.notice(id, admin, json!({"event": "owner_transferred", "users": [user.as_str()]}), &[]).await?;
            return Ok(());
        }
        if them.role == Role::Owner {
            return Err(AppError::Forbidden("the owner's role changes only by making another member owner".into()));
        }
        self.groups.set_role(id, user, role).await?;
        self.notice(id, admin, json!({"event": "role_changed", "users": [user.as_str()], "role": role.as_str()}), &[])
            .await?;
        Ok(())
    }

    /// Posts (or clears, with `None`) the announcement of any group.
    pub async fn admin_announce(&self, admin: &UserId, id: &str, text: Option<String>) -> Result<Group, AppError> {
        self.alive(id).await?;
        let patch = GroupPatch { announcement: Some(text), ..GroupPatch::default() };
        let group = self.groups.update(id, &patch, now_ms()).await?.ok_or(AppError::NotFound("group"))?;
        self.notice(id, admin, json!({"event": "announcement", "announcement": group.announcement}), &[]).await?;
        Ok(group)
    }

    /// A group that exists and is not dissolved.
    async fn alive(&self, id: &str) -> Result<Group, AppError> {
        let group = self.admin_get(id).await?;
        if group.dissolved_at.is_some() {
            return Err(AppError::GroupDissolved);
        }
        Ok(group)
    }

    /// The caller must be a member (dissolved groups included, for reading).
    async fn member_of(&self, user: &UserId, id: &str) -> Result<(Group, GroupMember), AppError> {
        let (group, me) = self.groups.gate(id, user).await?.ok_or(AppError::NotFound("group"))?;
        let me = me.ok_or(AppError::NotMember)?;
        Ok((group, me))
    }

    /// The caller must be a member of a group that is not dissolved.
    async fn active_member(&self, user: &UserId, id: &str) -> Result<(Group, GroupMember), AppError> {
        let (group, me) = self.member_of(user, id).await?;
        if group.dissolved_at.is_some() {
            return Err(AppError::GroupDissolved);
        }
        Ok((group, me))
    }

    /// The caller must be an owner or admin of a group that is not dissolved.
    async fn manager(&self, user: &UserId, id: &str) -> Result<(Group, GroupMember), AppError> {
        let (group, me) = self.active_member(user, id).await?;
        if !me.role.manages() {
            return Err(AppError::Forbidden("only the owner and admins may do this".into()));
        }
        Ok((group, me))
    }

    /// Another member the caller acts on.
    async fn target(&self, id: &str, target: &UserId) -> Result<GroupMember, AppError> {
        self.groups.member(id, target).await?.ok_or(AppError::NotFound("member"))
    }

    /// Invitees must exist, and must not have blocked the inviter.
    async fn check_invitees(&self, inviter: &UserId, invitees: &[UserId]) -> Result<(), AppError> {
        let people = self.people(invitees).await?;
        for user in invitees {
            if !people.contains(user) {
                return Err(AppError::NotFound("user"));
            }
            if self.social.is_blocked(user, inviter).await? {
                return Err(AppError::Blocked);
            }
        }
        Ok(())
    }

    /// Which of `users` are real people (existing accounts, not the system account), read in
    /// one query.
    async fn people(&self, users: &[UserId]) -> Result<HashSet<UserId>, AppError> {
        let found = self.users.by_ids(users).await?;
        Ok(found.into_iter().map(|u| u.id).filter(|id| !id.is_system()).collect())
    }

    /// Adds members under the cap; newcomers see history from now on unless the group shows it.
    async fn add(&self, group: &Group, users: &[UserId]) -> Result<Vec<UserId>, AppError> {
        let now = now_ms();
        let members: Vec<GroupMember> = users.iter().map(|u| GroupMember::new(u.clone(), Role::Member, now)).collect();
        let reached = self.messaging.max_seq(&ConvId::Group(group.id.clone())).await?;
        let visible_from = if group.history_visible { 0 } else { reached };
        match self.groups.add_members(&group.id, &members, self.limits.max_members, visible_from, reached).await {
            Ok(added) => Ok(added),
            Err(AddMembersError::Full(cap)) => Err(AppError::GroupFull(cap)),
            Err(AddMembersError::Gone) => Err(AppError::GroupDissolved),
            Err(AddMembersError::Store(e)) => Err(e.into()),
        }
    }

    /// Removes a member: they keep read access up to the notice of their removal, which they
    /// receive too.
    async fn remove(&self, id: &str, actor: &UserId, target: &UserId, event: &str) -> Result<(), AppError> {
        if !self.groups.remove_member(id, target).await? {
            return Err(AppError::NotFound("member"));
        }
        let ack = self
            .notice(id, actor, json!({"event": event, "users": [target.as_str()]}), std::slice::from_ref(target))
            .await?;
        self.groups.extend_visible_until(id, target, ack.seq).await?;
        Ok(())
    }

    async fn notice(
        &self,
        id: &str,
        actor: &UserId,
        mut body: Value,
        also: &[UserId],
    ) -> Result<tidings_domain::message::Ack, AppError> {
        if let Some(map) = body.as_object_mut() {
            map.insert("actor".into(), json!(actor.as_str()));
        }
        self.messaging.post_notice(id, actor, &body, also).await
    }
}

/// User ids as JSON strings.
fn ids(users: &[UserId]) -> Vec<&str> {
    users.iter().map(UserId::as_str).collect()
}
