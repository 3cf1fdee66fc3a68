//! What enterprise admins do to any group (`/admin/v1/groups`): no membership needed.

use super::*;

impl GroupService {
    /// All groups, for enterprise admins: by id, or by a part of the name.
    pub async fn admin_search(
        &self,
        query: Option<&str>,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<Group>, AppError> {
        let limit = page_size(limit, self.limits.max_page)?;
        Ok(self.groups.directory.search(query, after, limit).await?)
    }

    /// One group, for enterprise admins (no membership needed).
    pub async fn admin_get(&self, id: &GroupId) -> Result<Group, AppError> {
        self.groups.directory.get(id).await?.ok_or(AppError::NotFound("group"))
    }

    /// Members of any group, for enterprise admins.
    pub async fn admin_members(
        &self,
        id: &GroupId,
        after: Option<&UserId>,
        limit: Option<u32>,
    ) -> Result<Vec<GroupMember>, AppError> {
        self.admin_get(id).await?;
        let limit = page_size(limit, self.limits.max_page)?;
        Ok(self.groups.directory.members(id, after, limit).await?)
    }

    /// One member of any group, for enterprise admins.
    pub async fn admin_member(&self, id: &GroupId, user: &UserId) -> Result<GroupMember, AppError> {
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
    pub async fn admin_dissolve(&self, admin: &UserId, id: &GroupId) -> Result<(), AppError> {
        self.admin_get(id).await?;
        if !self.groups.writes.dissolve(id, self.clock.now_ms()).await? {
            return Err(AppError::GroupDissolved);
        }
        self.notice(id, admin, json!({"event": "dissolved"}), &[]).await?;
        Ok(())
    }

    /// Adds members to any group, within the member cap; returns who was added.
    pub async fn admin_add_members(
        &self,
        admin: &UserId,
        id: &GroupId,
        users: &[UserId],
    ) -> Result<Vec<UserId>, AppError> {
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
    pub async fn admin_remove_member(&self, admin: &UserId, id: &GroupId, user: &UserId) -> Result<(), AppError> {
        self.alive(id).await?;
        if self.target(id, user).await?.role == Role::Owner {
            return Err(AppError::Forbidden("the owner cannot be removed; make another member owner first".into()));
        }
        self.remove(id, admin, user, "kicked").await
    }

    /// Sets a member's role in any group; `owner` hands the ownership over (the old owner
    /// becomes an admin).
    pub async fn admin_set_role(
        &self,
        admin: &UserId,
        id: &GroupId,
        user: &UserId,
        role: Role,
    ) -> Result<(), AppError> {
        let group = self.alive(id).await?;
        let them = self.target(id, user).await?;
        if them.role == role {
            return Ok(());
        }
        if role == Role::Owner {
            self.groups.writes.transfer_owner(id, &group.owner, user, self.clock.now_ms()).await?;
            self.notice(id, admin, json!({"event": "owner_transferred", "users": [user.as_str()]}), &[]).await?;
            return Ok(());
        }
        if them.role == Role::Owner {
            return Err(AppError::Forbidden("the owner's role changes only by making another member owner".into()));
        }
        self.groups.writes.set_role(id, user, role).await?;
        self.notice(id, admin, json!({"event": "role_changed", "users": [user.as_str()], "role": role.as_str()}), &[])
            .await?;
        Ok(())
    }

    /// Posts (or clears, with `None`) the announcement of any group.
    pub async fn admin_announce(&self, admin: &UserId, id: &GroupId, text: Option<String>) -> Result<Group, AppError> {
        self.alive(id).await?;
        let mut patch = GroupPatch { announcement: Some(text), ..GroupPatch::default() };
        self.screen_patch(admin, &mut patch)?;
        let group =
            self.groups.writes.update(id, &patch, self.clock.now_ms()).await?.ok_or(AppError::NotFound("group"))?;
        self.notice(id, admin, json!({"event": "announcement", "announcement": group.announcement}), &[]).await?;
        Ok(group)
    }
}
