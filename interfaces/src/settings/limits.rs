//! `[limits]`: bounds on input (message sizes and kinds, frames, bodies, pages) and the per-user
//! send rate.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration::millis;
use super::{Key, SettingsError};

/// Input bounds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// Most characters in a text message.
    pub max_text_chars: usize,
    /// Most bytes of a message body's JSON.
    pub max_body_bytes: usize,
    /// Most user ids in a text's `mentions`.
    pub max_mentions: usize,
    /// Most characters of a file name in a `file` message.
    pub max_file_name_chars: usize,
    /// Largest `size` a `file` message may declare (bytes). Not an upload limit: uploads are
    /// bounded by `media.max_file_bytes`; this bounds what a message may say about a file.
    pub max_declared_file_bytes: u64,
    /// Largest width or height of an `image` or `video` (pixels).
    pub max_media_side: u32,
    /// Longest `voice` clip.
    #[serde(with = "millis")]
    pub max_voice_duration: Duration,
    /// Longest `video`.
    #[serde(with = "millis")]
    pub max_video_duration: Duration,
    /// How long after sending the sender may recall a message; group owners and admins recall
    /// at any time.
    #[serde(with = "millis")]
    pub recall_window: Duration,
    /// How long after sending the sender may edit a text message.
    #[serde(with = "millis")]
    pub edit_window: Duration,
    /// Largest group (members) whose per-message read lists are served.
    pub receipts_max_members: usize,
    /// Most distinct emoji on one message; a new one past it is refused (`conflict`), the
    /// ones already there still toggle.
    pub max_reaction_kinds: usize,
    /// Most bytes of one WebSocket frame; bigger frames close the socket with 1009.
    pub max_frame_bytes: usize,
    /// Most bytes of a REST request body.
    pub max_http_body_bytes: usize,
    /// Frames queued for one connection before it counts as a slow consumer and is closed.
    pub outbound_queue: usize,
    /// Sends one connection may have awaiting their ack; past this the server stops reading it.
    pub max_inflight_sends: usize,
    /// Page size when a request names none.
    pub default_page: u32,
    /// Largest page a request may ask for.
    pub max_page: u32,
    /// Largest conversation-list page.
    pub max_conversations: u32,
    /// Messages a user may send per second, sustained, over all their devices and instances.
    pub send_per_sec: f64,
    /// Messages a user may send back to back before the sustained rate applies.
    pub send_burst: u32,
    /// Searches a user may make per second, sustained (`GET /api/v1/search`).
    pub search_per_sec: f64,
    /// Searches a user may make back to back.
    pub search_burst: u32,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            max_text_chars: 4000,
            max_body_bytes: 16 * 1024,
            max_mentions: 50,
            max_file_name_chars: 255,
            max_declared_file_bytes: 2 * 1024 * 1024 * 1024,
            max_media_side: 16_384,
            max_voice_duration: Duration::from_secs(5 * 60),
            max_video_duration: Duration::from_secs(60 * 60),
            recall_window: Duration::from_secs(2 * 60),
            edit_window: Duration::from_secs(24 * 60 * 60),
            receipts_max_members: 200,
            max_reaction_kinds: 20,
            max_frame_bytes: 64 * 1024,
            max_http_body_bytes: 64 * 1024,
            outbound_queue: 1024,
            max_inflight_sends: 256,
            default_page: 50,
            max_page: 200,
            max_conversations: 200,
            send_per_sec: 3.0,
            send_burst: 30,
            search_per_sec: 2.0,
            search_burst: 10,
        }
    }
}

impl LimitSettings {
    /// Frames and bodies leave room for a protocol message; counts and lengths are positive.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        if self.max_frame_bytes < 1024 || self.max_http_body_bytes < 1024 {
            return Err(SettingsError::new(
                "limits.max_frame_bytes and limits.max_http_body_bytes must be at least 1024",
            ));
        }
        if self.outbound_queue == 0
            || self.max_inflight_sends == 0
            || self.default_page == 0
            || self.max_page == 0
            || self.max_conversations == 0
            || self.max_file_name_chars == 0
            || self.max_media_side == 0
            || self.max_voice_duration.is_zero()
            || self.max_video_duration.is_zero()
            || self.max_reaction_kinds == 0
        {
            return Err(SettingsError::new("limits must be positive"));
        }
        Ok(())
    }
}

/// `[limits]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("max_text_chars", "characters in a text message"),
    Key::new("max_body_bytes", "bytes of a message body's JSON"),
    Key::new("max_mentions", "user ids in a text's mentions"),
    Key::new("max_file_name_chars", "characters of a file message's name"),
    Key::new("max_declared_file_bytes", "largest size a file message may declare (uploads: media.max_file_bytes)")
        .was("max_file_bytes"),
    Key::new("max_media_side", "largest width or height of an image or video (pixels)"),
    Key::new("max_voice_duration", "longest voice clip").was("max_voice_ms"),
    Key::new("max_video_duration", "longest video").was("max_video_ms"),
    Key::new("recall_window", "how long after sending the sender may recall a message").was("recall_window_ms"),
    Key::new("edit_window", "how long after sending the sender may edit a text message"),
    Key::new("receipts_max_members", "largest group whose per-message read lists are served"),
    Key::new("max_reaction_kinds", "distinct emoji on one message (a new one past it is refused)"),
    Key::new("max_frame_bytes", "bytes of one WebSocket frame (larger closes with 1009)"),
    Key::new("max_http_body_bytes", "bytes of a REST JSON body (larger is 413)"),
    Key::new("outbound_queue", "pushes queued per connection before it is closed as a slow consumer"),
    Key::new("max_inflight_sends", "sends awaiting their ack per connection before it is not read"),
    Key::new("default_page", "history/sync page size when none is given"),
    Key::new("max_page", "largest history/sync page"),
    Key::new("max_conversations", "largest conversation-list page"),
    Key::new("send_per_sec", "messages a user may send per second, sustained"),
    Key::new("send_burst", "messages a user may send back to back"),
    Key::new("search_per_sec", "searches a user may make per second, sustained"),
    Key::new("search_burst", "searches a user may make back to back"),
];
