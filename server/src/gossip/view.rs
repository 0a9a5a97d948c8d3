//! The typed reading of one endpoint's gossip state, for the ring,
//! `system.peers`, client events and `sibyltool status`.
//!
//! Values that do not parse (a peer on another version, a corrupt state) read
//! as absent rather than failing: gossip carries text, consumers get types.

use std::net::IpAddr;

use super::state::{AppStateKey, EndpointState, decode_tokens};

/// Every known endpoint (the local one included, flagged), typed.
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointView {
    /// The endpoint's (listen) address.
    pub address: IpAddr,
    /// True for this node.
    pub is_local: bool,
    /// True when the failure detector considers it up (always for the local node).
    pub alive: bool,
    /// Stable host id.
    pub host_id: Option<uuid::Uuid>,
    /// Data center.
    pub dc: Option<String>,
    /// Rack.
    pub rack: Option<String>,
    /// Tokens owned (empty until known, or when the value does not parse).
    pub tokens: Vec<i64>,
    /// The STATUS word (`NORMAL`, `LEFT`, `shutdown`, ...).
    pub status: Option<String>,
    /// Schema version.
    pub schema_version: Option<uuid::Uuid>,
    /// Address for clients (native protocol).
    pub native_address: Option<IpAddr>,
    /// Port for clients.
    pub native_port: Option<u16>,
    /// Release version the node presents.
    pub release_version: Option<String>,
    /// The endpoint's generation (its start time in seconds).
    pub generation: i32,
}

impl EndpointView {
    /// Reads `state` of the endpoint at `address`.
    pub fn from_state(address: IpAddr, state: &EndpointState, is_local: bool, alive: bool) -> Self {
        let text = |key| state.get(key).map(str::to_owned);
        let tokens = match state.get(AppStateKey::Tokens).map(decode_tokens) {
            Some(Some(tokens)) => tokens,
            Some(None) => {
                tracing::warn!(%address, "ignoring a TOKENS gossip state that does not parse");
                Vec::new()
            }
            None => Vec::new(),
        };
        Self {
            address,
            is_local,
            alive,
            host_id: state
                .get(AppStateKey::HostId)
                .and_then(|v| uuid::Uuid::parse_str(v.trim()).ok()),
            dc: text(AppStateKey::Dc),
            rack: text(AppStateKey::Rack),
            tokens,
            status: state.status().map(str::to_owned),
            schema_version: state
                .get(AppStateKey::SchemaVersion)
                .and_then(|v| uuid::Uuid::parse_str(v.trim()).ok()),
            native_address: parsed(state, AppStateKey::NativeAddress),
            native_port: parsed(state, AppStateKey::NativePort),
            release_version: text(AppStateKey::ReleaseVersion),
            generation: state.generation,
        }
    }

    /// True when the endpoint owns tokens in the ring: it announced tokens and
    /// has not left (a node that is down or shut down still owns its ranges).
    pub fn in_ring(&self) -> bool {
        let left = self.status.as_deref().is_some_and(|s| {
            s.eq_ignore_ascii_case(super::state::STATUS_LEFT)
                || s.eq_ignore_ascii_case(super::state::STATUS_REMOVED)
        });
        !left && !self.tokens.is_empty()
    }
}

fn parsed<T: std::str::FromStr>(state: &EndpointState, key: AppStateKey) -> Option<T> {
    state.get(key).and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gossip::state::VersionedValue;

    #[test]
    fn states_read_as_types_and_garbage_reads_as_absent() {
        let mut state = EndpointState::new(12);
        let values = [
            (AppStateKey::Status, "NORMAL,-5"),
            (AppStateKey::Tokens, "-5,7"),
            (AppStateKey::Dc, "dc1"),
            (AppStateKey::HostId, "00000000-0000-0000-0000-00000000002a"),
            (AppStateKey::SchemaVersion, "not a uuid"),
            (AppStateKey::NativeAddress, "127.0.0.2"),
            (AppStateKey::NativePort, "70000"),
        ];
        for (key, value) in values {
            let value = VersionedValue {
                version: 1,
                value: value.into(),
            };
            state.states.insert(key, value);
        }
        let address: IpAddr = "127.0.0.2".parse().unwrap();
        let view = EndpointView::from_state(address, &state, false, true);
        assert_eq!(view.status.as_deref(), Some("NORMAL"));
        assert_eq!(view.tokens, vec![-5, 7]);
        assert_eq!(view.dc.as_deref(), Some("dc1"));
        assert_eq!(view.rack, None);
        assert_eq!(view.host_id, Some(uuid::Uuid::from_u128(42)));
        assert_eq!(view.schema_version, None);
        assert_eq!(view.native_address, Some(address));
        assert_eq!(view.native_port, None, "70000 is not a port");
        assert_eq!(view.generation, 12);
        assert!(view.in_ring());
        state.states.insert(
            AppStateKey::Status,
            VersionedValue {
                version: 2,
                value: "LEFT,-5,99".into(),
            },
        );
        assert!(!EndpointView::from_state(address, &state, false, false).in_ring());
    }
}
