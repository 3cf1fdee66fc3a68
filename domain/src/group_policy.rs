//! A group's "who may" rules: which members may do a thing that is not everyone's right, such as
//! pinning messages. Each rule is one variant of [`Rule`] with its name and default; storage
//! (one JSON column), the REST views, the update request and the checks all go through
//! [`GroupPolicies`], so a new rule is written in one place.

use std::collections::BTreeMap;

/// Who a rule lets act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Owners and admins.
    Managers,
    /// Every member.
    Members,
}

impl Who {
    /// Storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Managers => "managers",
            Self::Members => "members",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "managers" => Some(Self::Managers),
            "members" => Some(Self::Members),
            _ => None,
        }
    }
}

/// The rules a group sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// Pinning and unpinning messages (default: managers).
    Pin,
}

impl Rule {
    /// Every rule, in the order views list them.
    pub const ALL: [Rule; 1] = [Rule::Pin];

    /// Storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pin => "pin",
        }
    }

    /// Who the rule lets act in a group that never set it.
    pub fn default_who(self) -> Who {
        match self {
            Self::Pin => Who::Managers,
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// A group's rules: the ones it set; every other rule has its default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupPolicies {
    set: BTreeMap<Rule, Who>,
}

/// Why a change of rules was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// No rule has this name.
    #[error("unknown group rule {0:?}: the rules are {known}", known = known_rules())]
    UnknownRule(String),
    /// The value is not one of [`Who`]'s names.
    #[error("group rule {rule:?} takes \"managers\" or \"members\", not {value}")]
    BadValue {
        /// The rule.
        rule: String,
        /// What was given, as JSON.
        value: String,
    },
}

fn known_rules() -> String {
    Rule::ALL.iter().map(|r| format!("{:?}", r.as_str())).collect::<Vec<_>>().join(", ")
}

impl GroupPolicies {
    /// Who `rule` lets act.
    pub fn who(&self, rule: Rule) -> Who {
        self.set.get(&rule).copied().unwrap_or(rule.default_who())
    }

    /// Whether a member who manages the group (`manages`) or not may do what `rule` governs.
    pub fn allows(&self, rule: Rule, manages: bool) -> bool {
        manages || self.who(rule) == Who::Members
    }

    /// Every rule with its value, defaults included: what members see.
    pub fn view(&self) -> BTreeMap<String, String> {
        Rule::ALL.into_iter().map(|r| (r.as_str().to_owned(), self.who(r).as_str().to_owned())).collect()
    }

    /// These rules with `changes` (rule name to value) applied; an unknown rule or value refuses
    /// the whole change.
    pub fn with_changes(&self, changes: &BTreeMap<String, serde_json::Value>) -> Result<Self, PolicyError> {
        let mut next = self.clone();
        for (name, value) in changes {
            let rule = Rule::parse(name).ok_or_else(|| PolicyError::UnknownRule(name.clone()))?;
            let who = value
                .as_str()
                .and_then(Who::parse)
                .ok_or_else(|| PolicyError::BadValue { rule: name.clone(), value: value.to_string() })?;
            next.set.insert(rule, who);
        }
        Ok(next)
    }

    /// The stored form: a JSON object of the rules set.
    pub fn to_storage(&self) -> String {
        let set: BTreeMap<&str, &str> = self.set.iter().map(|(r, w)| (r.as_str(), w.as_str())).collect();
        serde_json::to_string(&set).unwrap_or_else(|_| "{}".into())
    }

    /// Reads [`Self::to_storage`]. What is not understood (a rule a newer version wrote, a
    /// damaged value) is left at its default rather than failing the group's every read.
    pub fn from_storage(raw: &str) -> Self {
        let stored: BTreeMap<String, String> = serde_json::from_str(raw).unwrap_or_default();
        let set = stored.iter().filter_map(|(r, w)| Some((Rule::parse(r)?, Who::parse(w)?))).collect();
        Self { set }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn changes(v: serde_json::Value) -> BTreeMap<String, serde_json::Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_group_that_set_nothing_has_the_defaults() {
        let p = GroupPolicies::default();
        assert_eq!(p.who(Rule::Pin), Who::Managers);
        assert!(p.allows(Rule::Pin, true));
        assert!(!p.allows(Rule::Pin, false));
        assert_eq!(p.view(), BTreeMap::from([("pin".to_owned(), "managers".to_owned())]));
    }

    #[test]
    fn changes_apply_and_survive_storage() {
        let p = GroupPolicies::default().with_changes(&changes(json!({"pin": "members"}))).unwrap();
        assert!(p.allows(Rule::Pin, false));
        let stored = p.to_storage();
        assert_eq!(stored, r#"{"pin":"members"}"#);
        assert_eq!(GroupPolicies::from_storage(&stored), p);
        let back = p.with_changes(&changes(json!({"pin": "managers"}))).unwrap();
        assert!(!back.allows(Rule::Pin, false));
    }

    #[test]
    fn unknown_rules_and_values_refuse_the_whole_change() {
        let p = GroupPolicies::default();
        let e = p.with_changes(&changes(json!({"pin": "members", "kick": "members"}))).unwrap_err();
        assert_eq!(e, PolicyError::UnknownRule("kick".into()));
        assert!(e.to_string().contains("\"pin\""), "{e}");
        for bad in [json!("everyone"), json!(true), json!(null)] {
            let e = p.with_changes(&changes(json!({ "pin": bad }))).unwrap_err();
            assert!(matches!(e, PolicyError::BadValue { .. }), "{e}");
        }
    }

    #[test]
    fn storage_it_does_not_understand_reads_as_defaults() {
        assert_eq!(GroupPolicies::from_storage(""), GroupPolicies::default());
        assert_eq!(GroupPolicies::from_storage("not json"), GroupPolicies::default());
        let p = GroupPolicies::from_storage(r#"{"pin":"members","future_rule":"members","x":"y"}"#);
        assert_eq!(p.who(Rule::Pin), Who::Members);
        assert_eq!(GroupPolicies::from_storage(r#"{"pin":"everyone"}"#), GroupPolicies::default());
    }
}
