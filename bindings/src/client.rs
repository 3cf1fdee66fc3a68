//! [`TidingsClient`]: the SDK's `Client` as a UniFFI object. Every async method runs the SDK
//! call on the library's own runtime (`runtime.rs`) and converts its errors; its values are the
//! SDK's own records. Nothing else happens here.

use std::sync::Arc;

use tidings_sdk::{
    self as sdk, ClientConfig, Conversation, ForwardOutcome, Friend, FriendRequest, Group, GroupMember,
    LocalSearchPage, Message, PinnedMessage, ServerCandidate, ThreadPage, UploadedMedia,
};

use crate::TidingsError;
use crate::events::{EventListener, Forward, Subscription};
use crate::runtime::run;

/// The Tidings client: build it with `create`, log in, `connect`, add a listener, send.
#[derive(uniffi::Object)]
pub struct TidingsClient {
    pub(crate) inner: Arc<sdk::Client>,
}

/// Runs an SDK call on the owned runtime with its own handle to the client, converting its error.
pub(crate) async fn call<T, F, Fut>(client: &Arc<sdk::Client>, f: F) -> Result<T, TidingsError>
where
    F: FnOnce(Arc<sdk::Client>) -> Fut,
    Fut: Future<Output = Result<T, sdk::SdkError>> + Send + 'static,
    T: Send + 'static,
{
    let fut = f(client.clone());
    run(async move { fut.await.map_err(TidingsError::from) }).await
}

#[uniffi::export]
impl TidingsClient {
    /// Opens the local store in `config.data_dir` and restores a saved session, if any.
    #[uniffi::constructor]
    pub async fn create(config: ClientConfig) -> Result<Arc<Self>, TidingsError> {
        let inner = run(async move { sdk::Client::new(config).await.map_err(TidingsError::from) }).await?;
        Ok(Arc::new(Self { inner }))
    }

    /// Registers a listener for every event; `Subscription.cancel()` removes it.
    pub fn add_listener(&self, listener: Arc<dyn EventListener>) -> Arc<Subscription> {
        let id = self.inner.add_listener(Arc::new(Forward(listener)));
        Arc::new(Subscription::new(&self.inner, id))
    }

    /// The logged-in user (also after a restart with a saved session).
    pub fn user_id(&self) -> Option<String> {
        self.inner.user_id()
    }

    /// The server of the current connection, or of the last one; `None` before the first.
    pub fn chosen_server(&self) -> Option<String> {
        self.inner.chosen_server()
    }

    /// The servers the connection tries, in order: discovery's instances (id, zone, load, probed
    /// round trip), then the configured servers it did not name.
    pub fn server_candidates(&self) -> Vec<ServerCandidate> {
        self.inner.server_candidates()
    }

    /// The direct conversation id with `peer` (needs a session).
    pub fn direct_conversation(&self, peer: String) -> Result<String, TidingsError> {
        Ok(self.inner.direct_conversation(peer)?)
    }

    /// Creates an account; returns its user id.
    pub async fn register(
        &self,
        username: String,
        password: String,
        display_name: Option<String>,
    ) -> Result<String, TidingsError> {
        call(&self.inner, |c| async move { c.register(username, password, display_name).await }).await
    }

    /// Logs this device in and saves the session; returns the user id.
    pub async fn login(&self, username: String, password: String) -> Result<String, TidingsError> {
        call(&self.inner, |c| async move { c.login(username, password).await }).await
    }

    /// Logs this device out on the server and forgets the session.
    pub async fn logout(&self) -> Result<(), TidingsError> {
        call(&self.inner, |c| async move { c.logout().await }).await
    }

    /// Starts the connection and keeps it up in the background.
    pub async fn connect(&self) -> Result<(), TidingsError> {
        call(&self.inner, |c| async move { c.connect().await }).await
    }

    /// Closes the connection and stops reconnecting; unsent messages stay in the outbox.
    pub async fn disconnect(&self) -> Result<(), TidingsError> {
        call(&self.inner, |c| async move {
            c.disconnect().await;
            Ok::<(), sdk::SdkError>(())
        })
        .await
    }

    /// Disconnects and closes the store; build a new client to go on.
    pub async fn shutdown(&self) -> Result<(), TidingsError> {
        call(&self.inner, |c| async move {
            c.shutdown().await;
            Ok::<(), sdk::SdkError>(())
        })
        .await
    }

    /// Sends a text message: returned at once with status `Sending`.
    pub async fn send_text(&self, conv: String, text: String) -> Result<Message, TidingsError> {
        call(&self.inner, |c| async move { c.send_text(conv, text).await }).await
    }

    /// Queues a message of any kind (body as a JSON object text); returned with status `Sending`.
    pub async fn send_message(&self, conv: String, kind: String, body_json: String) -> Result<Message, TidingsError> {
        call(&self.inner, |c| async move { c.send_message(conv, kind, body_json).await }).await
    }

    /// Puts a failed message back in the outbox (same client_msg_id).
    pub async fn retry(&self, client_msg_id: String) -> Result<(), TidingsError> {
        call(&self.inner, |c| async move { c.retry(client_msg_id).await }).await
    }

    /// An own message by client id, with its current status.
    pub async fn message_by_client_id(&self, client_msg_id: String) -> Result<Option<Message>, TidingsError> {
        call(&self.inner, |c| async move { c.message_by_client_id(client_msg_id).await }).await
    }

    /// How many messages wait in the outbox.
    pub async fn outbox_len(&self) -> Result<u64, TidingsError> {
        call(&self.inner, |c| async move { c.outbox_len().await }).await
    }

    /// The conversation list from the local store, most recent first, with unread counts.
    pub async fn conversations(&self) -> Result<Vec<Conversation>, TidingsError> {
        call(&self.inner, |c| async move { c.conversations().await }).await
    }

    /// One conversation from the local store.
    pub async fn conversation(&self, conv: String) -> Result<Option<Conversation>, TidingsError> {
        call(&self.inner, |c| async move { c.conversation(conv).await }).await
    }

    /// The sum of unread counts.
    pub async fn total_unread(&self) -> Result<u64, TidingsError> {
        call(&self.inner, |c| async move { c.total_unread().await }).await
    }

    /// The sync cursor of a conversation: every message up to it is in the local store.
    pub async fn cursor(&self, conv: String) -> Result<u64, TidingsError> {
        call(&self.inner, |c| async move { c.cursor(conv).await }).await
    }

    /// Up to `limit` (1–200) messages below `before_seq` (the newest when absent), ascending;
    /// from the store, or from the server where the store has a hole.
    pub async fn history(
        &self,
        conv: String,
        before_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Message>, TidingsError> {
        call(&self.inner, |c| async move { c.history(conv, before_seq, limit).await }).await
    }

    /// The stored messages matching `query`, newest first, in every conversation or only `conv`:
    /// offline, over this device's store, with the server's rules (a Chinese, Japanese or Korean
    /// run as a substring, a word by prefix, typed syntax as text). `limit` 1–50 (20 when
    /// absent); `cursor` is the previous page's `next_cursor`. `InvalidQuery` when there is
    /// nothing to search for or too much.
    #[uniffi::method(default(conv = None, limit = None, cursor = None))]
    pub async fn search_local(
        &self,
        query: String,
        conv: Option<String>,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> Result<LocalSearchPage, TidingsError> {
        call(&self.inner, |c| async move { c.search_local(query, conv, limit, cursor).await }).await
    }

    /// Marks everything up to `seq` read (locally at once, then on the server).
    pub async fn mark_read(&self, conv: String, seq: u64) -> Result<(), TidingsError> {
        call(&self.inner, |c| async move { c.mark_read(conv, seq).await }).await
    }

    /// Recalls message `seq`.
    pub async fn recall(&self, conv: String, seq: u64) -> Result<(), TidingsError> {
        call(&self.inner, |c| async move { c.recall(conv, seq).await }).await
    }

    /// Forwards messages `seqs` of `from` to each of `to` (merged into one `forward` message,
    /// or one copy each); one outcome per target.
    pub async fn forward(
        &self,
        from: String,
        seqs: Vec<u64>,
        to: Vec<String>,
        merged: bool,
        client_msg_id: String,
    ) -> Result<Vec<ForwardOutcome>, TidingsError> {
        call(&self.inner, |c| async move { c.forward(from, seqs, to, merged, client_msg_id).await }).await
    }

    /// Pins message `seq` of `conv` for everyone; returns the seq of the `pin` entry.
    pub async fn pin(&self, conv: String, seq: u64) -> Result<u64, TidingsError> {
        call(&self.inner, |c| async move { c.pin(conv, seq).await }).await
    }

    /// Unpins message `seq` of `conv`; returns the seq of the `pin` entry.
    pub async fn unpin(&self, conv: String, seq: u64) -> Result<u64, TidingsError> {
        call(&self.inner, |c| async move { c.unpin(conv, seq).await }).await
    }

    /// The pinned messages of `conv`, the most recently pinned first (the store's when offline).
    pub async fn pins(&self, conv: String) -> Result<Vec<PinnedMessage>, TidingsError> {
        call(&self.inner, |c| async move { c.pins(conv).await }).await
    }

    /// Replaces the text of own text message `seq` (within the server's edit window).
    pub async fn edit(&self, conv: String, seq: u64, text: String) -> Result<(), TidingsError> {
        call(&self.inner, |c| async move { c.edit(conv, seq, text).await }).await
    }

    /// Like `edit`, with a whole text body as JSON (mentions, `mention_all`).
    pub async fn edit_message(&self, conv: String, seq: u64, body_json: String) -> Result<(), TidingsError> {
        call(&self.inner, |c| async move { c.edit_message(conv, seq, body_json).await }).await
    }

    /// Turns `emoji` on or off on message `seq`; repeating what is done changes nothing.
    pub async fn react(&self, conv: String, seq: u64, emoji: String, on: bool) -> Result<(), TidingsError> {
        call(&self.inner, |c| async move { c.react(conv, seq, emoji, on).await }).await
    }

    /// Sends `text` as a reply in the thread of message `root` (through the outbox).
    pub async fn send_thread_reply(&self, conv: String, root: u64, text: String) -> Result<Message, TidingsError> {
        call(&self.inner, |c| async move { c.send_thread_reply(conv, root, text).await }).await
    }

    /// The root of thread `root` and a page of its replies below `before_seq`, ascending.
    pub async fn thread(
        &self,
        conv: String,
        root: u64,
        before_seq: Option<u64>,
        limit: u32,
    ) -> Result<ThreadPage, TidingsError> {
        call(&self.inner, |c| async move { c.thread(conv, root, before_seq, limit).await }).await
    }

    /// Marks the thread of `root` read up to `seq`; returns the position (0 if not following).
    pub async fn read_thread(&self, conv: String, root: u64, seq: u64) -> Result<u64, TidingsError> {
        call(&self.inner, |c| async move { c.read_thread(conv, root, seq).await }).await
    }

    /// Uploads `bytes` as `kind` (`image`, `file`, `voice`, `video`) of `content_type`; `name`
    /// for files.
    pub async fn upload_media(
        &self,
        kind: String,
        content_type: String,
        bytes: Vec<u8>,
        name: Option<String>,
    ) -> Result<UploadedMedia, TidingsError> {
        call(&self.inner, |c| async move { c.upload_media(kind, content_type, bytes, name).await }).await
    }

    /// The bytes of an upload the user may see.
    pub async fn download_media(&self, media_id: String) -> Result<Vec<u8>, TidingsError> {
        call(&self.inner, |c| async move { c.download_media(media_id).await }).await
    }

    /// An image upload's thumbnail (PNG).
    pub async fn download_thumbnail(&self, media_id: String) -> Result<Vec<u8>, TidingsError> {
        call(&self.inner, |c| async move { c.download_thumbnail(media_id).await }).await
    }

    /// Sends a message carrying `media`; voice and video need `duration_ms`.
    pub async fn send_media(
        &self,
        conv: String,
        media: UploadedMedia,
        duration_ms: Option<u64>,
    ) -> Result<Message, TidingsError> {
        call(&self.inner, |c| async move { c.send_media(conv, media, duration_ms).await }).await
    }

    /// The user's friends.
    pub async fn friends(&self) -> Result<Vec<Friend>, TidingsError> {
        call(&self.inner, |c| async move { c.friends().await }).await
    }

    /// Asks `user_id` to be friends, with an optional note.
    pub async fn send_friend_request(
        &self,
        user_id: String,
        note: Option<String>,
    ) -> Result<FriendRequest, TidingsError> {
        call(&self.inner, |c| async move { c.send_friend_request(user_id, note).await }).await
    }

    /// Friend requests to the user (`incoming`) or from the user, newest first.
    pub async fn friend_requests(&self, incoming: bool) -> Result<Vec<FriendRequest>, TidingsError> {
        call(&self.inner, |c| async move { c.friend_requests(incoming).await }).await
    }

    /// Accepts (`true`) or rejects a request made to the user.
    pub async fn answer_friend_request(&self, request_id: String, accept: bool) -> Result<FriendRequest, TidingsError> {
        call(&self.inner, |c| async move { c.answer_friend_request(request_id, accept).await }).await
    }

    /// The user's groups.
    pub async fn groups(&self) -> Result<Vec<Group>, TidingsError> {
        call(&self.inner, |c| async move { c.groups().await }).await
    }

    /// Creates a group with the user as owner and `members` as its first members.
    pub async fn create_group(&self, name: String, members: Vec<String>) -> Result<Group, TidingsError> {
        call(&self.inner, |c| async move { c.create_group(name, members).await }).await
    }

    /// Members of a group.
    pub async fn group_members(&self, group_id: String) -> Result<Vec<GroupMember>, TidingsError> {
        call(&self.inner, |c| async move { c.group_members(group_id).await }).await
    }

    /// Invites users into a group; returns those who were added.
    pub async fn invite_to_group(&self, group_id: String, user_ids: Vec<String>) -> Result<Vec<String>, TidingsError> {
        call(&self.inner, |c| async move { c.invite_to_group(group_id, user_ids).await }).await
    }

    /// Leaves a group (not for its owner).
    pub async fn leave_group(&self, group_id: String) -> Result<(), TidingsError> {
        call(&self.inner, |c| async move { c.leave_group(group_id).await }).await
    }
}
