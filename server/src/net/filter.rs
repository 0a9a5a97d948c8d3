//! The message filter: rules that drop or delay internode messages by verb,
//! by peer and by direction, so tests and operators (`POST /admin/faults`)
//! can partition nodes without root.
//!
//! Rules are replaced as a whole (`set`); an empty list heals everything.
//! Senders consult the filter for outbound messages before they queue them,
//! receivers for inbound messages before they dispatch them. The first rule
//! that matches decides.
//!
//! The JSON form (the admin API's body) is
//! `{"rules": [{"peer": "127.0.0.2", "direction": "both", "verb": null, "action": "drop"},
//! {"peer": null, "direction": "outbound", "verb": "MUTATION_REQ", "action": {"delay_ms": 500}}]}`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;

use super::verb::Verb;

/// Which messages of a peer a rule covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Messages this node receives.
    Inbound,
    /// Messages this node sends.
    Outbound,
    /// Both.
    Both,
}

impl Direction {
    fn covers(self, direction: Direction) -> bool {
        self == Direction::Both || self == direction
    }
}

/// What happens to a matching message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterAction {
    /// The message is lost.
    Drop,
    /// The message is held back this many milliseconds, then goes on
    /// (JSON `{"delay_ms": 500}`).
    #[serde(rename = "delay_ms")]
    Delay(u64),
}

/// One filter rule; `None` fields match everything.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FilterRule {
    /// The other node (its listen address).
    #[serde(default)]
    pub peer: Option<IpAddr>,
    /// Which direction.
    pub direction: Direction,
    /// Which verb.
    #[serde(default)]
    pub verb: Option<Verb>,
    /// Drop or delay.
    pub action: FilterAction,
}

/// The admin API's body: the complete rule list.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FilterRules {
    /// The rules, first match wins.
    pub rules: Vec<FilterRule>,
}

/// The decision for one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Deliver now.
    Pass,
    /// Lose it.
    Drop,
    /// Deliver after this delay.
    Delay(Duration),
}

/// A node's current rules.
#[derive(Debug, Default)]
pub struct MessageFilter {
    rules: RwLock<Arc<FilterRules>>,
}

impl MessageFilter {
    /// Replaces every rule.
    pub fn set(&self, rules: FilterRules) {
        *self.rules.write() = Arc::new(rules);
    }

    /// The current rules.
    pub fn rules(&self) -> Arc<FilterRules> {
        Arc::clone(&self.rules.read())
    }

    /// What to do with a message of `verb` to or from `peer`.
    pub fn verdict(&self, peer: IpAddr, direction: Direction, verb: Verb) -> Verdict {
        let rules = self.rules();
        rules
            .rules
            .iter()
            .find(|r| {
                r.peer.is_none_or(|p| p == peer)
                    && r.direction.covers(direction)
                    && r.verb.is_none_or(|v| v == verb)
            })
            .map_or(Verdict::Pass, |r| match r.action {
                FilterAction::Drop => Verdict::Drop,
                FilterAction::Delay(delay_ms) => Verdict::Delay(Duration::from_millis(delay_ms)),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn first_matching_rule_decides_and_empty_heals() {
        let filter = MessageFilter::default();
        assert_eq!(
            filter.verdict(ip(2), Direction::Inbound, Verb::ReadReq),
            Verdict::Pass
        );
        let rules: FilterRules = serde_json::from_str(
            r#"{"rules": [
                {"peer": "127.0.0.2", "direction": "outbound", "verb": "MUTATION_REQ", "action": {"delay_ms": 500}},
                {"peer": "127.0.0.2", "direction": "both", "action": "drop"}
            ]}"#,
        )
        .unwrap();
        filter.set(rules);
        assert_eq!(
            filter.verdict(ip(2), Direction::Outbound, Verb::MutationReq),
            Verdict::Delay(Duration::from_millis(500))
        );
        assert_eq!(
            filter.verdict(ip(2), Direction::Inbound, Verb::MutationReq),
            Verdict::Drop
        );
        assert_eq!(
            filter.verdict(ip(3), Direction::Inbound, Verb::MutationReq),
            Verdict::Pass
        );
        filter.set(FilterRules::default());
        assert_eq!(
            filter.verdict(ip(2), Direction::Both, Verb::GossipSyn),
            Verdict::Pass
        );
    }
}
