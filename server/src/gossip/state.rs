//! What gossip carries: per endpoint a generation, a heartbeat and versioned
//! application states (Cassandra's `EndpointState`, `HeartBeatState`,
//! `VersionedValue`), and the one message both GOSSIP_SYN and GOSSIP_ACK carry.
//!
//! Invariants: a message that crossed the network is checked by
//! [`GossipMessage::validate`] before anything of it is merged: at most
//! [`MESSAGE_ENDPOINTS_MAX`] endpoints, each state value at most
//! [`STATE_VALUE_BYTES_MAX`] bytes. Versions and heartbeats only grow within
//! one generation; a new generation (a restart) replaces the whole state.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Most endpoints one gossip message may carry (clusters are small; this
/// bounds what a hostile or broken peer can make us hold).
pub const MESSAGE_ENDPOINTS_MAX: usize = 1_000;
/// Largest application-state value accepted (16 vnodes take ~350 bytes).
pub const STATE_VALUE_BYTES_MAX: usize = 64 * 1024;
/// Largest cluster name accepted in a message.
pub const CLUSTER_NAME_BYTES_MAX: usize = 1_024;
/// Largest encoded message [`GossipMessage::decode`] accepts.
pub const MESSAGE_BYTES_MAX: usize = 16 * 1024 * 1024;

/// STATUS of a node serving its tokens.
pub const STATUS_NORMAL: &str = "NORMAL";
/// STATUS of a node that left the ring (decommissioned).
pub const STATUS_LEFT: &str = "LEFT";
/// STATUS a node announces just before it stops gracefully (Cassandra's spelling).
pub const STATUS_SHUTDOWN: &str = "shutdown";
/// STATUS of a node removed by an operator.
pub const STATUS_REMOVED: &str = "removed";

/// Keys of application state (Cassandra's ApplicationState subset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AppStateKey {
    /// `NORMAL`, `LEFT`, `shutdown`, ... optionally followed by `,` and details.
    Status,
    /// The node's tokens, as [`encode_tokens`] writes them.
    Tokens,
    /// Data center.
    Dc,
    /// Rack.
    Rack,
    /// Stable host id (a UUID), which recognises a node across address changes.
    HostId,
    /// The node's schema version (a UUID).
    SchemaVersion,
    /// The address clients connect to (native protocol).
    NativeAddress,
    /// The native protocol port.
    NativePort,
    /// The Cassandra release version the node presents.
    ReleaseVersion,
}

/// One application state value with the version that orders its updates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionedValue {
    /// Grows with every change the owner makes within one generation.
    pub version: u64,
    /// The value, as text.
    pub value: String,
}

/// Everything gossip knows about one endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointState {
    /// The owner's start time in seconds; a higher one means it restarted.
    pub generation: i32,
    /// Bumped by the owner every gossip round.
    pub heartbeat: u64,
    /// Application states.
    pub states: BTreeMap<AppStateKey, VersionedValue>,
}

impl EndpointState {
    /// A state with the given generation, heartbeat 0 and no application state.
    pub fn new(generation: i32) -> Self {
        Self {
            generation,
            heartbeat: 0,
            states: BTreeMap::new(),
        }
    }

    /// The value of one application state.
    pub fn get(&self, key: AppStateKey) -> Option<&str> {
        self.states.get(&key).map(|v| v.value.as_str())
    }

    /// The STATUS word (`NORMAL`, `LEFT`, `shutdown`, ...) without details.
    pub fn status(&self) -> Option<&str> {
        self.get(AppStateKey::Status)
            .map(|s| s.split(',').next().unwrap_or(s).trim())
    }

    /// True when the status says the node must not be considered alive even
    /// while its heartbeat moves (Cassandra's dead states plus `shutdown`).
    pub fn is_dead_state(&self) -> bool {
        self.status().is_some_and(is_dead_status)
    }

    /// True when the status says the node is no longer a member of the ring.
    pub fn has_left(&self) -> bool {
        self.status().is_some_and(|s| {
            s.eq_ignore_ascii_case(STATUS_LEFT) || s.eq_ignore_ascii_case(STATUS_REMOVED)
        })
    }

    /// The largest version of any application state (0 when none).
    pub fn max_version(&self) -> u64 {
        self.states.values().map(|v| v.version).max().unwrap_or(0)
    }
}

/// True for statuses under which a node is down whatever its heartbeat does.
pub fn is_dead_status(status: &str) -> bool {
    ["shutdown", "LEFT", "removed", "removing", "hibernate"]
        .iter()
        .any(|dead| status.eq_ignore_ascii_case(dead))
}

/// One gossip message (both GOSSIP_SYN and GOSSIP_ACK carry this; serde_json on the wire).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GossipMessage {
    /// The sender's address.
    pub from: IpAddr,
    /// The sender's cluster; messages from another cluster are ignored.
    pub cluster_name: String,
    /// The sender's view of every endpoint it knows (itself included).
    pub endpoints: BTreeMap<IpAddr, EndpointState>,
}

/// Why a received gossip message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GossipMessageError {
    /// The encoded message is larger than [`MESSAGE_BYTES_MAX`].
    #[error("gossip message of {got} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Bytes received.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// The message is not valid JSON of the expected shape.
    #[error("malformed gossip message: {0}")]
    Malformed(String),
    /// More endpoints than [`MESSAGE_ENDPOINTS_MAX`].
    #[error("gossip message carries {got} endpoints, more than {max}")]
    TooManyEndpoints {
        /// Endpoints in the message.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// The cluster name is longer than [`CLUSTER_NAME_BYTES_MAX`].
    #[error("gossip message cluster name of {got} bytes exceeds {max}")]
    ClusterNameTooLong {
        /// Bytes of the name.
        got: usize,
        /// The limit.
        max: usize,
    },
}

impl GossipMessage {
    /// The message as JSON bytes.
    pub fn encode(&self) -> Vec<u8> {
        // Serialising plain data (strings, numbers, maps with string-like keys) cannot fail.
        serde_json::to_vec(self).expect("gossip messages serialise to JSON")
    }

    /// Decodes and validates a message received from a peer.
    ///
    /// # Errors
    /// Too many bytes, bad JSON, or a message [`GossipMessage::validate`] refuses.
    pub fn decode(bytes: &[u8]) -> Result<Self, GossipMessageError> {
        if bytes.len() > MESSAGE_BYTES_MAX {
            return Err(GossipMessageError::TooLarge {
                got: bytes.len(),
                max: MESSAGE_BYTES_MAX,
            });
        }
        let message: Self = serde_json::from_slice(bytes)
            .map_err(|e| GossipMessageError::Malformed(e.to_string()))?;
        message.validate()?;
        Ok(message)
    }

    /// Checks the message-wide limits. Oversized single states are dropped
    /// endpoint by endpoint when merging (see [`EndpointState::oversized_value`]).
    ///
    /// # Errors
    /// Too many endpoints or a too long cluster name.
    pub fn validate(&self) -> Result<(), GossipMessageError> {
        if self.endpoints.len() > MESSAGE_ENDPOINTS_MAX {
            return Err(GossipMessageError::TooManyEndpoints {
                got: self.endpoints.len(),
                max: MESSAGE_ENDPOINTS_MAX,
            });
        }
        if self.cluster_name.len() > CLUSTER_NAME_BYTES_MAX {
            return Err(GossipMessageError::ClusterNameTooLong {
                got: self.cluster_name.len(),
                max: CLUSTER_NAME_BYTES_MAX,
            });
        }
        Ok(())
    }

    /// True when the message carries no endpoint (an ACK refusing a foreign cluster).
    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty()
    }
}

impl EndpointState {
    /// The first application state whose value exceeds [`STATE_VALUE_BYTES_MAX`].
    pub fn oversized_value(&self) -> Option<AppStateKey> {
        self.states
            .iter()
            .find(|(_, v)| v.value.len() > STATE_VALUE_BYTES_MAX)
            .map(|(k, _)| *k)
    }
}

/// The TOKENS value: decimal tokens separated by commas (`-5,7`).
pub fn encode_tokens(tokens: &[i64]) -> String {
    tokens
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads a TOKENS value; `None` when any token is not a decimal `i64`.
pub fn decode_tokens(value: &str) -> Option<Vec<i64>> {
    if value.trim().is_empty() {
        return Some(Vec::new());
    }
    value.split(',').map(|t| t.trim().parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(endpoints: usize) -> GossipMessage {
        let mut state = EndpointState::new(7);
        state.heartbeat = 3;
        state.states.insert(
            AppStateKey::Tokens,
            VersionedValue {
                version: 2,
                value: encode_tokens(&[-5, 7]),
            },
        );
        GossipMessage {
            from: "127.0.0.1".parse().unwrap(),
            cluster_name: "Test Cluster".into(),
            endpoints: (0..endpoints)
                .map(|i| {
                    let ip = IpAddr::from(std::net::Ipv4Addr::from(
                        0x0a00_0000 + u32::try_from(i).unwrap(),
                    ));
                    (ip, state.clone())
                })
                .collect(),
        }
    }

    #[test]
    fn messages_round_trip_as_json() {
        let mut original = message(3);
        let v6: IpAddr = "::1".parse().unwrap();
        original.endpoints.insert(v6, EndpointState::new(-1));
        let bytes = original.encode();
        assert!(std::str::from_utf8(&bytes).unwrap().contains("\"Tokens\""));
        assert_eq!(GossipMessage::decode(&bytes).unwrap(), original);
    }

    #[test]
    fn bad_messages_are_refused() {
        let too_many = message(MESSAGE_ENDPOINTS_MAX + 1).encode();
        assert!(matches!(
            GossipMessage::decode(&too_many),
            Err(GossipMessageError::TooManyEndpoints { got: 1001, .. })
        ));
        assert!(matches!(
            GossipMessage::decode(b"{\"from\": 1}"),
            Err(GossipMessageError::Malformed(_))
        ));
        let huge = vec![b' '; MESSAGE_BYTES_MAX + 1];
        assert!(matches!(
            GossipMessage::decode(&huge),
            Err(GossipMessageError::TooLarge { .. })
        ));
        let mut long_name = message(1);
        long_name.cluster_name = "x".repeat(CLUSTER_NAME_BYTES_MAX + 1);
        assert!(long_name.validate().is_err());
    }

    #[test]
    fn corrupted_messages_never_panic() {
        let bytes = message(4).encode();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let len = u64::try_from(bytes.len()).unwrap();
        for _ in 0..2_000 {
            let mut corrupt = bytes.clone();
            for _ in 0..=next() % 4 {
                let at = usize::try_from(next() % len).unwrap();
                corrupt[at] = corrupt[at].wrapping_add(u8::try_from(next() % 255).unwrap() + 1);
            }
            let cut = usize::try_from(next() % (len + 1)).unwrap();
            for candidate in [&corrupt[..], &corrupt[..cut]] {
                if let Ok(decoded) = GossipMessage::decode(candidate) {
                    assert!(decoded.endpoints.len() <= MESSAGE_ENDPOINTS_MAX);
                }
            }
        }
    }

    #[test]
    fn tokens_and_statuses_parse() {
        let cases: &[(&str, Option<Vec<i64>>)] = &[
            ("", Some(vec![])),
            ("0", Some(vec![0])),
            ("-9223372036854775808,5", Some(vec![i64::MIN, 5])),
            ("1,x", None),
            ("99999999999999999999", None),
        ];
        for (value, expected) in cases {
            assert_eq!(&decode_tokens(value), expected, "{value}");
        }
        assert_eq!(decode_tokens(&encode_tokens(&[3, -4])), Some(vec![3, -4]));
        let mut state = EndpointState::new(1);
        for (status, dead, left) in [
            ("NORMAL", false, false),
            ("shutdown,true", true, false),
            ("LEFT,123,456", true, true),
            ("removed,abc", true, true),
        ] {
            state.states.insert(
                AppStateKey::Status,
                VersionedValue {
                    version: 1,
                    value: status.into(),
                },
            );
            assert_eq!(state.is_dead_state(), dead, "{status}");
            assert_eq!(state.has_left(), left, "{status}");
        }
        assert_eq!(state.status(), Some("removed"));
    }
}
