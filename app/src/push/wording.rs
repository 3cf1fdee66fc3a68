//! The two lines of a notification, as the user's privacy setting allows.

use tidings_domain::device_push::PushPrivacy;
use tidings_domain::push::PushNotice;

/// The words a notification uses, set by the operator (`push.words.*`) so a deployment can
/// speak its users' language; English by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindLabels {
    /// Title of a hidden notification (the app's name).
    pub app_name: String,
    /// Body of a hidden notification, and of a sender-only one in a direct chat.
    pub new_message: String,
    /// Stands for an image, file, voice, video, custom and forwarded message, in that order.
    pub kinds: [String; 6],
}

impl Default for KindLabels {
    fn default() -> Self {
        Self {
            app_name: "Tidings".into(),
            new_message: "New message".into(),
            kinds: ["[Image]", "[File]", "[Voice]", "[Video]", "[Message]", "[Forwarded messages]"].map(String::from),
        }
    }
}

impl KindLabels {
    /// What stands for a message of `kind` whose text is not shown.
    fn of(&self, kind: &str) -> &str {
        let i = match kind {
            "image" => 0,
            "file" => 1,
            "voice" => 2,
            "video" => 3,
            "forward" => 5,
            _ => 4,
        };
        &self.kinds[i]
    }
}

/// Title and body of the notification for `n`.
///
/// - `full`: the group's name or the sender's as title; the text (or a label for media), after
///   the sender's name in a group;
/// - `sender`: the same title; the body says only that the sender wrote (in a direct chat, the
///   title already says who);
/// - `hidden`: the app's name and a neutral line, nothing about who or where.
pub fn word(n: &PushNotice, labels: &KindLabels) -> (String, String) {
    let title = n.group_name.clone().unwrap_or_else(|| n.sender_name.clone());
    let what = n.preview.clone().unwrap_or_else(|| labels.of(&n.kind).to_owned());
    let in_group = n.group_name.is_some();
    match n.privacy {
        PushPrivacy::Hidden => (labels.app_name.clone(), labels.new_message.clone()),
        PushPrivacy::SenderOnly if in_group => (title, format!("{}: {}", n.sender_name, labels.new_message)),
        PushPrivacy::SenderOnly => (title, labels.new_message.clone()),
        PushPrivacy::Full if in_group => (title, format!("{}: {what}", n.sender_name)),
        PushPrivacy::Full => (title, what),
    }
}

#[cfg(test)]
mod tests {
    use tidings_domain::{ConvId, GroupId, UserId};

    use super::*;

    fn notice(privacy: PushPrivacy, group: Option<&str>, preview: Option<&str>, kind: &str) -> PushNotice {
        let (a, b) = (UserId::generate(), UserId::generate());
        let conv = match group {
            Some(_) => ConvId::Group(GroupId::generate()),
            None => ConvId::direct(&a, &b).unwrap_or_else(|| ConvId::Group(GroupId::generate())),
        };
        PushNotice {
            user_id: b,
            conv,
            seq: 1,
            msg_id: "m_1".into(),
            sender: a,
            kind: kind.into(),
            preview: preview.map(String::from),
            mentioned: false,
            badge: 3,
            privacy,
            sender_name: "Ann".into(),
            group_name: group.map(String::from),
        }
    }

    #[test]
    fn each_privacy_shows_what_it_promises() {
        let l = KindLabels::default();
        let full = notice(PushPrivacy::Full, None, Some("see you at 5"), "text");
        assert_eq!(word(&full, &l), ("Ann".into(), "see you at 5".into()));
        let group = notice(PushPrivacy::Full, Some("Ops"), Some("deploy done"), "text");
        assert_eq!(word(&group, &l), ("Ops".into(), "Ann: deploy done".into()));
        let image = notice(PushPrivacy::Full, Some("Ops"), None, "image");
        assert_eq!(word(&image, &l), ("Ops".into(), "Ann: [Image]".into()));
        let sender = notice(PushPrivacy::SenderOnly, Some("Ops"), None, "text");
        assert_eq!(word(&sender, &l), ("Ops".into(), "Ann: New message".into()));
        let direct = notice(PushPrivacy::SenderOnly, None, None, "text");
        assert_eq!(word(&direct, &l), ("Ann".into(), "New message".into()));
        let hidden = notice(PushPrivacy::Hidden, Some("Ops"), Some("secret"), "text");
        assert_eq!(word(&hidden, &l), ("Tidings".into(), "New message".into()));
    }
}
