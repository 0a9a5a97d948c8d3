//! The verbs of internode messaging: one byte on the wire per message kind,
//! with the name tests and the admin fault API use (`"MUTATION_REQ"`, ...).
//!
//! Requests and their responses are distinct verbs; a response carries the
//! request id it answers. Discriminants are explicit and never reused.

use std::fmt;

/// What an internode message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Verb {
    /// Gossip: the sender's view of every endpoint (push half of push-pull).
    GossipSyn = 1,
    /// Gossip: the receiver's view, answering a syn (pull half).
    GossipAck = 2,
    /// Apply a partition update on a replica.
    MutationReq = 3,
    /// A replica applied a mutation.
    MutationRsp = 4,
    /// Read one partition on a replica.
    ReadReq = 5,
    /// A replica's partition data.
    ReadRsp = 6,
    /// Scan a token range on a replica.
    RangeReq = 7,
    /// A replica's page of partitions.
    RangeRsp = 8,
    /// The sender's whole schema, after a change.
    SchemaPush = 9,
    /// Ask for the receiver's schema.
    SchemaPullReq = 10,
    /// The schema asked for.
    SchemaPullRsp = 11,
    /// Truncate a table on a replica.
    TruncateReq = 12,
    /// A replica truncated.
    TruncateRsp = 13,
    /// A request failed on the replica (the body says why).
    FailureRsp = 14,
    /// Paxos prepare (with the read of the current value).
    PaxosPrepareReq = 15,
    /// Paxos promise or refusal.
    PaxosPrepareRsp = 16,
    /// Paxos propose.
    PaxosProposeReq = 17,
    /// Paxos accept or refusal.
    PaxosProposeRsp = 18,
    /// Paxos commit.
    PaxosCommitReq = 19,
    /// Paxos commit applied.
    PaxosCommitRsp = 20,
}

impl Verb {
    /// Every verb, in discriminant order.
    pub const ALL: [Verb; 20] = [
        Verb::GossipSyn,
        Verb::GossipAck,
        Verb::MutationReq,
        Verb::MutationRsp,
        Verb::ReadReq,
        Verb::ReadRsp,
        Verb::RangeReq,
        Verb::RangeRsp,
        Verb::SchemaPush,
        Verb::SchemaPullReq,
        Verb::SchemaPullRsp,
        Verb::TruncateReq,
        Verb::TruncateRsp,
        Verb::FailureRsp,
        Verb::PaxosPrepareReq,
        Verb::PaxosPrepareRsp,
        Verb::PaxosProposeReq,
        Verb::PaxosProposeRsp,
        Verb::PaxosCommitReq,
        Verb::PaxosCommitRsp,
    ];

    /// The wire byte.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The verb of a wire byte.
    pub fn from_code(code: u8) -> Option<Verb> {
        Verb::ALL.into_iter().find(|v| v.code() == code)
    }

    /// True for verbs that answer a request (they carry its id).
    pub fn is_response(self) -> bool {
        matches!(
            self,
            Verb::GossipAck
                | Verb::MutationRsp
                | Verb::ReadRsp
                | Verb::RangeRsp
                | Verb::SchemaPullRsp
                | Verb::TruncateRsp
                | Verb::FailureRsp
                | Verb::PaxosPrepareRsp
                | Verb::PaxosProposeRsp
                | Verb::PaxosCommitRsp
        )
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        f.write_str(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        for verb in Verb::ALL {
            assert_eq!(Verb::from_code(verb.code()), Some(verb));
        }
        assert_eq!(Verb::from_code(0), None);
        assert_eq!(Verb::from_code(200), None);
        assert_eq!(Verb::MutationReq.to_string(), "MUTATION_REQ");
        let parsed: Verb = serde_json::from_str("\"READ_REQ\"").unwrap();
        assert_eq!(parsed, Verb::ReadReq);
    }
}
