//! Group use cases: lifecycle, membership, roles, mutes and join requests. Every change that
//! members should learn of is also written to the group's log as a notice (a system message),
//! so every device learns it through the normal push and sync path.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Value, json};
use tidings_domain::content::ContentSubject;
use tidings_domain::group::{Group, GroupMember, GroupPatch, JoinPolicy, JoinRequest, MemberPatch, Role};
use tidings_domain::group_policy::GroupPolicies;
use tidings_domain::ports::{AddMembersError, GroupPorts, SocialStore, UserRepository};
use tidings_domain::social::RequestStatus;
use tidings_domain::{Clock, ConvId, GroupId, UserId};

use crate::error::AppError;
use crate::messaging::MessagingService;
use crate::social::page_size;

mod admin;
mod membership;

pub use membership::check_kick_target;

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
    groups: GroupPorts,
    social: Arc<dyn SocialStore>,
    messaging: Arc<MessagingService>,
    limits: GroupLimits,
    /// Mute expiry and timestamps.
    clock: Arc<dyn Clock>,
}

impl GroupService {
    /// Wires the service.
    pub fn new(
        users: Arc<dyn UserRepository>,
        groups: GroupPorts,
        social: Arc<dyn SocialStore>,
        messaging: Arc<MessagingService>,
        limits: GroupLimits,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { users, groups, social, messaging, limits, clock }
    }

    /// `text` as stored: refused, masked or flagged by the word lists.
    fn screened(&self, subject: ContentSubject, author: &UserId, text: String) -> Result<String, AppError> {
        Ok(self.messaging.content().screen_text(subject, author, &text)?.unwrap_or(text))
    }

    /// A patch's name and announcement through the word lists.
    pub(crate) fn screen_patch(&self, author: &UserId, patch: &mut GroupPatch) -> Result<(), AppError> {
        if let Some(name) = patch.name.take() {
            patch.name = Some(self.screened(ContentSubject::GroupName, author, name)?);
        }
        if let Some(Some(text)) = patch.announcement.take() {
            patch.announcement = Some(Some(self.screened(ContentSubject::Announcement, author, text)?));
        }
        Ok(())
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
        let name = self.screened(ContentSubject::GroupName, owner, new.name)?;
        let now = self.clock.now_ms();
        let group = Group {
            id: GroupId::generate(),
            name,
            avatar: new.avatar,
            introduction: new.introduction,
            announcement: None,
            owner: owner.clone(),
            join_policy: new.join_policy,
            mute_all: false,
            history_visible: new.history_visible,
            policies: GroupPolicies::default(),
            member_count: u32::try_from(others.len() + 1).unwrap_or(u32::MAX),
            version: 1,
            created_at: now,
            updated_at: now,
            dissolved_at: None,
        };
        let mut members = vec![GroupMember::new(owner.clone(), Role::Owner, now)];
        members.extend(others.iter().map(|u| GroupMember::new(u.clone(), Role::Member, now)));
        self.groups.writes.create(&group, &members).await?;
        let everyone: Vec<UserId> = members.iter().map(|m| m.user.clone()).collect();
        self.notice(&group.id, owner, json!({"event": "created", "name": group.name, "users": ids(&everyone)}), &[])
            .await?;
        Ok(group)
    }

    /// The group and the caller's membership. Outsiders get it too (to decide whether to join);
    /// the interface shows them only the public card.
    pub async fn view(&self, user: &UserId, id: &GroupId) -> Result<GroupView, AppError> {
        let (group, me) = self.groups.gate.gate(id, user).await?.ok_or(AppError::NotFound("group"))?;
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
        let rows = self.groups.directory.groups_of(user, after, limit).await?;
        Ok(rows.into_iter().map(|(group, me)| GroupView { group, me: Some(me) }).collect())
    }

    /// Changes settings (owners and admins). Each kind of change is announced in the log.
    pub async fn update(&self, user: &UserId, id: &GroupId, mut patch: GroupPatch) -> Result<Group, AppError> {
        let (before, _) = self.manager(user, id).await?;
        self.screen_patch(user, &mut patch)?;
        if !patch.policy_changes.is_empty() {
            let next = before.policies.with_changes(&patch.policy_changes);
            patch.policies = Some(next.map_err(|e| AppError::InvalidField(e.to_string()))?);
        }
        let after =
            self.groups.writes.update(id, &patch, self.clock.now_ms()).await?.ok_or(AppError::NotFound("group"))?;
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
        if after.policies != before.policies {
            changed.insert("policies".into(), json!(after.policies.view()));
        }
        if !changed.is_empty() {
            self.notice(id, user, json!({"event": "info_updated", "changes": changed}), &[]).await?;
        }
        Ok(after)
    }

    /// Dissolves the group (owner only). Its history stays readable by its members.
    pub async fn dissolve(&self, user: &UserId, id: &GroupId) -> Result<(), AppError> {
        let (_, me) = self.active_member(user, id).await?;
        if me.role != Role::Owner {
            return Err(AppError::Forbidden("only the owner may dissolve the group".into()));
        }
        if !self.groups.writes.dissolve(id, self.clock.now_ms()).await? {
            return Err(AppError::GroupDissolved);
        }
        self.notice(id, user, json!({"event": "dissolved"}), &[]).await?;
        Ok(())
    }
}

impl GroupService {
    /// A group that exists and is not dissolved.
    async fn alive(&self, id: &GroupId) -> Result<Group, AppError> {
        let group = self.admin_get(id).await?;
        if group.dissolved_at.is_some() {
            return Err(AppError::GroupDissolved);
        }
        Ok(group)
    }

    /// The caller must be a member (dissolved groups included, for reading).
    async fn member_of(&self, user: &UserId, id: &GroupId) -> Result<(Group, GroupMember), AppError> {
        let (group, me) = self.groups.gate.gate(id, user).await?.ok_or(AppError::NotFound("group"))?;
        let me = me.ok_or(AppError::NotMember)?;
        Ok((group, me))
    }

    /// The caller must be a member of a group that is not dissolved.
    async fn active_member(&self, user: &UserId, id: &GroupId) -> Result<(Group, GroupMember), AppError> {
        let (group, me) = self.member_of(user, id).await?;
        if group.dissolved_at.is_some() {
            return Err(AppError::GroupDissolved);
        }
        Ok((group, me))
    }

    /// The caller must be an owner or admin of a group that is not dissolved.
    async fn manager(&self, user: &UserId, id: &GroupId) -> Result<(Group, GroupMember), AppError> {
        let (group, me) = self.active_member(user, id).await?;
        if !me.role.manages() {
            return Err(AppError::Forbidden("only the owner and admins may do this".into()));
        }
        Ok((group, me))
    }

    /// Another member the caller acts on.
    async fn target(&self, id: &GroupId, target: &UserId) -> Result<GroupMember, AppError> {
        self.groups.directory.member(id, target).await?.ok_or(AppError::NotFound("member"))
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
        let now = self.clock.now_ms();
        let members: Vec<GroupMember> = users.iter().map(|u| GroupMember::new(u.clone(), Role::Member, now)).collect();
        let reached = self.messaging.max_seq(&ConvId::Group(group.id.clone())).await?;
        let visible_from = if group.history_visible { 0 } else { reached };
        match self.groups.writes.add_members(&group.id, &members, self.limits.max_members, visible_from, reached).await
        {
            Ok(added) => Ok(added),
            Err(AddMembersError::Full(cap)) => Err(AppError::GroupFull(cap)),
            Err(AddMembersError::Gone) => Err(AppError::GroupDissolved),
            Err(AddMembersError::Store(e)) => Err(e.into()),
        }
    }

    /// Removes a member: they keep read access up to the notice of their removal, which they
    /// receive too.
    async fn remove(&self, id: &GroupId, actor: &UserId, target: &UserId, event: &str) -> Result<(), AppError> {
        if !self.groups.writes.remove_member(id, target).await? {
            return Err(AppError::NotFound("member"));
        }
        let ack = self
            .notice(id, actor, json!({"event": event, "users": [target.as_str()]}), std::slice::from_ref(target))
            .await?;
        self.groups.writes.extend_visible_until(id, target, ack.seq).await?;
        Ok(())
    }

    async fn notice(
        &self,
        id: &GroupId,
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
