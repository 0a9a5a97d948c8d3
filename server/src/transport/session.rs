//! Per-connection session state: negotiated version and compression, the
//! current keyspace (`USE`), the authenticated user, registered events.
//!
//! Requests of one connection run concurrently, so the mutable parts sit
//! behind short locks that are never held across an `.await`.

use std::collections::HashSet;
use std::net::SocketAddr;

use parking_lot::Mutex;
use sibyl_protocol::compression::Compression;
use sibyl_protocol::frame::ProtocolVersion;
use sibyl_protocol::request::EventType;

/// One client connection's state, shared by its request tasks.
#[derive(Debug)]
pub struct ClientSession {
    /// The client's address.
    pub peer: SocketAddr,
    /// The address the client connected to (what system.local reports as rpc_address).
    pub local: SocketAddr,
    /// Protocol version of the connection.
    pub version: ProtocolVersion,
    /// Compression negotiated in STARTUP.
    pub compression: Option<Compression>,
    keyspace: Mutex<Option<String>>,
    user: Mutex<Option<String>>,
    events: Mutex<HashSet<EventType>>,
}

impl ClientSession {
    /// A fresh session after STARTUP.
    pub fn new(
        peer: SocketAddr,
        local: SocketAddr,
        version: ProtocolVersion,
        compression: Option<Compression>,
    ) -> Self {
        Self {
            peer,
            local,
            version,
            compression,
            keyspace: Mutex::new(None),
            user: Mutex::new(None),
            events: Mutex::new(HashSet::new()),
        }
    }

    /// The keyspace set by `USE`, if any.
    pub fn keyspace(&self) -> Option<String> {
        self.keyspace.lock().clone()
    }

    /// Sets the keyspace (after a successful `USE`).
    pub fn set_keyspace(&self, keyspace: &str) {
        *self.keyspace.lock() = Some(keyspace.to_owned());
    }

    /// The authenticated user, if authentication is on.
    pub fn user(&self) -> Option<String> {
        self.user.lock().clone()
    }

    /// Records the authenticated user.
    pub fn set_user(&self, user: &str) {
        *self.user.lock() = Some(user.to_owned());
    }

    /// Adds event types this connection wants pushed.
    pub fn register(&self, types: &[EventType]) {
        self.events.lock().extend(types.iter().copied());
    }

    /// True when the connection registered for `event_type`.
    pub fn is_registered(&self, event_type: EventType) -> bool {
        self.events.lock().contains(&event_type)
    }
}
