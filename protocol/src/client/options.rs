//! [`ConnectOptions`]: how to open a connection. Every field has a documented
//! default; limits are checked by [`ConnectOptions::validate`] before connecting.

use std::time::Duration;

use crate::compression::Compression;
use crate::frame::ProtocolVersion;
use crate::limits::Limits;

/// Most requests in flight on one connection: the positive `i16` stream ids.
pub const IN_FLIGHT_MAX: usize = 32_768;

/// Options of [`crate::client::Connection::connect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// A fixed version, or `None` to negotiate: v5, then v4, then v3, stepping
    /// down (on a new TCP connection) whenever the server answers ERROR 0x000A
    /// "unsupported protocol version", as drivers do.
    pub protocol_version: Option<ProtocolVersion>,
    /// LZ4 when the server lists it in SUPPORTED (v4: per frame body; v5: per
    /// segment). Silently off when the server does not offer it.
    pub compression: Option<Compression>,
    /// `(user, password)` for SASL PLAIN when the server sends AUTHENTICATE.
    pub credentials: Option<(String, String)>,
    /// Keyspace to `USE` once connected.
    pub keyspace: Option<String>,
    /// Bound on TCP connect plus handshake, per attempted version. Default 5 s.
    pub connect_timeout: Duration,
    /// Default bound on each request. Default 12 s (the Python driver's).
    pub request_timeout: Duration,
    /// Frame size and element count limits for what the server sends.
    pub limits: Limits,
    /// Requests in flight at once, 1..=32768. Default 32768.
    pub in_flight_max: usize,
    /// Events buffered for the event receiver before new ones are dropped.
    /// Default 1024.
    pub event_capacity: usize,
    /// Speak TLS (the node's `client_encryption_options`). Default `None`.
    pub tls: Option<super::tls::TlsOptions>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            protocol_version: None,
            compression: None,
            credentials: None,
            keyspace: None,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(12),
            limits: Limits::default(),
            in_flight_max: IN_FLIGHT_MAX,
            event_capacity: 1024,
            tls: None,
        }
    }
}

impl ConnectOptions {
    /// Checks the options.
    ///
    /// # Errors
    /// A message naming the bad option.
    pub fn validate(&self) -> Result<(), String> {
        self.limits.validate()?;
        if !(1..=IN_FLIGHT_MAX).contains(&self.in_flight_max) {
            return Err(format!("in_flight_max must be in 1..={IN_FLIGHT_MAX}"));
        }
        if self.event_capacity == 0 {
            return Err("event_capacity must be at least 1".into());
        }
        if self.connect_timeout.is_zero() || self.request_timeout.is_zero() {
            return Err("timeouts must be positive".into());
        }
        Ok(())
    }

    /// The versions to try, highest first.
    pub fn versions_to_try(&self) -> Vec<ProtocolVersion> {
        match self.protocol_version {
            Some(v) => vec![v],
            None => vec![
                ProtocolVersion::V5,
                ProtocolVersion::V4,
                ProtocolVersion::V3,
            ],
        }
    }
}
