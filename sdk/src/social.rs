//! Thin calls for friends and groups: REST requests with the session's token, answers mapped to
//! the SDK's owned types. The server holds this state; the SDK keeps no copy.

use reqwest::Method;
use serde_json::Value;
use tidings_protocol::social::{
    CreateGroupRequest, FriendList, FriendRequestBody, FriendRequestList, FriendRequestResult, FriendRequestView,
    GroupInfo, GroupList, GroupMemberList, InviteRequest, InviteResult,
};

use crate::SdkError;
use crate::client::Client;
use crate::types::{Friend, FriendRequest, Group, GroupMember};

fn request(v: FriendRequestView) -> FriendRequest {
    FriendRequest { request_id: v.request_id, from: v.from, to: v.to, message: v.message, status: v.status }
}

fn group(g: GroupInfo) -> Group {
    Group { group_id: g.group_id, conv: g.conv, name: g.name, member_count: g.member_count }
}

/// Ids go into URL paths: refuse anything that could change the path.
pub(crate) fn path_id(id: &str) -> Result<&str, SdkError> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || "_-".contains(c)) {
        return Err(SdkError::InvalidInput { message: format!("bad id {id:?}") });
    }
    Ok(id)
}

impl Client {
    /// The user's friends (first page of up to 200).
    pub async fn friends(&self) -> Result<Vec<Friend>, SdkError> {
        let list: FriendList = self.inner().rest.call(Method::GET, "/api/v1/friends?limit=200", None).await?;
        Ok(list
            .friends
            .into_iter()
            .map(|f| Friend { user_id: f.user.user_id, display_name: f.user.display_name, remark: f.remark })
            .collect())
    }

    /// Asks `user_id` to be friends; a crossing request makes friends at once.
    pub async fn send_friend_request(
        &self,
        user_id: String,
        message: Option<String>,
    ) -> Result<FriendRequest, SdkError> {
        let body = serde_json::to_value(FriendRequestBody { user_id, message })?;
        let r: FriendRequestResult =
            self.inner().rest.call(Method::POST, "/api/v1/friends/requests", Some(body)).await?;
        Ok(request(r.request))
    }

    /// Friend requests to the user (`incoming`) or from the user, newest first.
    pub async fn friend_requests(&self, incoming: bool) -> Result<Vec<FriendRequest>, SdkError> {
        let direction = if incoming { "incoming" } else { "outgoing" };
        let path = format!("/api/v1/friends/requests?direction={direction}");
        let list: FriendRequestList = self.inner().rest.call(Method::GET, &path, None).await?;
        Ok(list.requests.into_iter().map(request).collect())
    }

    /// Accepts (`true`) or rejects a request made to the user.
    pub async fn answer_friend_request(&self, request_id: String, accept: bool) -> Result<FriendRequest, SdkError> {
        let verb = if accept { "accept" } else { "reject" };
        let path = format!("/api/v1/friends/requests/{}/{verb}", path_id(&request_id)?);
        let v: FriendRequestView = self.inner().rest.call(Method::POST, &path, None).await?;
        Ok(request(v))
    }

    /// The user's groups (first page of up to 200).
    pub async fn groups(&self) -> Result<Vec<Group>, SdkError> {
        let list: GroupList = self.inner().rest.call(Method::GET, "/api/v1/groups?limit=200", None).await?;
        Ok(list.groups.into_iter().map(group).collect())
    }

    /// Creates a group with the user as owner and `members` as its first members.
    pub async fn create_group(&self, name: String, members: Vec<String>) -> Result<Group, SdkError> {
        let body = serde_json::to_value(CreateGroupRequest {
            name,
            avatar: None,
            introduction: None,
            members,
            join_policy: None,
            history_visible: false,
        })?;
        let g: GroupInfo = self.inner().rest.call(Method::POST, "/api/v1/groups", Some(body)).await?;
        Ok(group(g))
    }

    /// Members of a group (first page of up to 200).
    pub async fn group_members(&self, group_id: String) -> Result<Vec<GroupMember>, SdkError> {
        let path = format!("/api/v1/groups/{}/members?limit=200", path_id(&group_id)?);
        let list: GroupMemberList = self.inner().rest.call(Method::GET, &path, None).await?;
        Ok(list.members.into_iter().map(|m| GroupMember { user_id: m.user_id, role: m.role }).collect())
    }

    /// Invites users into a group; returns those who were added.
    pub async fn invite_to_group(&self, group_id: String, user_ids: Vec<String>) -> Result<Vec<String>, SdkError> {
        let path = format!("/api/v1/groups/{}/members", path_id(&group_id)?);
        let body = serde_json::to_value(InviteRequest { user_ids })?;
        let r: InviteResult = self.inner().rest.call(Method::POST, &path, Some(body)).await?;
        Ok(r.added)
    }

    /// Leaves a group (not for its owner).
    pub async fn leave_group(&self, group_id: String) -> Result<(), SdkError> {
        let path = format!("/api/v1/groups/{}/leave", path_id(&group_id)?);
        self.inner().rest.call::<Value>(Method::POST, &path, None).await.map(|_| ())
    }
}
