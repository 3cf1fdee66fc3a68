//! Identifiers. User ids are `u_` + ULID so that string order is creation order; conversation
//! ids name their kind: `d:{lo}:{hi}` for two users, `g:{group_id}` for a group. Each is parsed
//! once where it enters (a frame, a path, a token, a row) and travels typed from there.

use std::fmt;

/// Id of the built-in system account (the zero ULID, so it sorts before every real user).
pub const SYSTEM_USER_ID: &str = "u_00000000000000000000000000";

/// A user's id (`u_01J…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

/// Whether `raw` may be a user or group id: 1-40 ASCII letters, digits or `_`, so that it can
/// never break a conversation id.
fn is_plain_id(raw: &str) -> bool {
    !raw.is_empty() && raw.len() <= 40 && raw.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

impl UserId {
    /// A fresh id for a new user.
    pub fn generate() -> Self {
        Self(format!("u_{}", ulid::Ulid::new()))
    }

    /// The built-in system account: the author of messages that business systems send "as the
    /// system". It exists in every database (created by a migration) and cannot log in.
    pub fn system() -> Self {
        Self(SYSTEM_USER_ID.to_owned())
    }

    /// Whether this is the built-in system account.
    pub fn is_system(&self) -> bool {
        self.0 == SYSTEM_USER_ID
    }

    /// Wraps an id read from storage or a token; rejects strings that could break a conversation id.
    pub fn parse(raw: &str) -> Option<Self> {
        is_plain_id(raw).then(|| Self(raw.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A group's id (`g_01J…`), also the tail of its conversation id (`g:g_01J…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(String);

impl GroupId {
    /// A fresh id for a new group.
    pub fn generate() -> Self {
        Self(format!("g_{}", ulid::Ulid::new()))
    }

    /// Wraps an id from a path, a frame or storage (an owned string is taken without a copy);
    /// `None` for anything that could not be a group id (the rule of user ids: 1-40 ASCII
    /// letters, digits or `_`).
    pub fn parse<S: AsRef<str> + Into<String>>(raw: S) -> Option<Self> {
        is_plain_id(raw.as_ref()).then(|| Self(raw.into()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A device's id, chosen by the client at login and stable across its sessions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceId(String);

impl DeviceId {
    /// Wraps a validated device id.
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A device session: one login of one device, which its tokens belong to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// A fresh session id.
    pub fn generate() -> Self {
        Self(format!("s_{}", ulid::Ulid::new()))
    }

    /// Wraps a session id read from storage or a token.
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A conversation: a direct chat between two users or a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConvId {
    /// Two users; `lo < hi` in string order, so each pair has exactly one id.
    Direct {
        /// The smaller id.
        lo: UserId,
        /// The larger id.
        hi: UserId,
    },
    /// A group chat.
    Group(GroupId),
}

impl ConvId {
    /// The direct conversation of two distinct users, in canonical order.
    pub fn direct(a: &UserId, b: &UserId) -> Option<Self> {
        match a.cmp(b) {
            std::cmp::Ordering::Less => Some(Self::Direct { lo: a.clone(), hi: b.clone() }),
            std::cmp::Ordering::Greater => Some(Self::Direct { lo: b.clone(), hi: a.clone() }),
            std::cmp::Ordering::Equal => None,
        }
    }

    /// Parses the wire form; `None` for anything malformed or non-canonical.
    pub fn parse(raw: &str) -> Option<Self> {
        if let Some(rest) = raw.strip_prefix("d:") {
            let (lo, hi) = rest.split_once(':')?;
            let (lo, hi) = (UserId::parse(lo)?, UserId::parse(hi)?);
            (lo < hi).then_some(Self::Direct { lo, hi })
        } else if let Some(group) = raw.strip_prefix("g:") {
            GroupId::parse(group).map(Self::Group)
        } else {
            None
        }
    }

    /// `direct` or `group`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Direct { .. } => "direct",
            Self::Group(_) => "group",
        }
    }

    /// For a direct chat that `user` is part of, the other user.
    pub fn peer_of(&self, user: &UserId) -> Option<&UserId> {
        match self {
            Self::Direct { lo, hi } if lo == user => Some(hi),
            Self::Direct { lo, hi } if hi == user => Some(lo),
            _ => None,
        }
    }
}

impl fmt::Display for ConvId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Direct { lo, hi } => write!(f, "d:{lo}:{hi}"),
            Self::Group(g) => write!(f, "g:{g}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_ids_are_canonical() {
        let a = UserId::parse("u_a").unwrap();
        let b = UserId::parse("u_b").unwrap();
        let conv = ConvId::direct(&b, &a).unwrap();
        assert_eq!(conv.to_string(), "d:u_a:u_b");
        assert_eq!(ConvId::parse("d:u_a:u_b"), Some(conv.clone()));
        assert_eq!(ConvId::parse("d:u_b:u_a"), None, "non-canonical order is rejected");
        assert_eq!(ConvId::parse("d:u_a:u_a"), None);
        assert_eq!(ConvId::direct(&a, &a), None);
        assert_eq!(conv.peer_of(&a), Some(&b));
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for raw in ["", "x:1", "d:", "d:u_a", "d:u_a:u_b:u_c", "g:", "g:a b", "d:u-a:u_b"] {
            assert_eq!(ConvId::parse(raw), None, "{raw}");
        }
        assert_eq!(ConvId::parse("g:team1"), Some(ConvId::Group(GroupId::parse("team1").unwrap())));
    }
}
