//! The messages the transport answers itself, before and beside the CQL
//! layer: OPTIONS (SUPPORTED), STARTUP, SASL PLAIN credentials, REGISTER.
//!
//! Pure functions over the message and the transport configuration; the
//! connection applies their outcome.

use sibyl_protocol::compression::Compression;
use sibyl_protocol::request::{STARTUP_COMPRESSION, STARTUP_CQL_VERSION};
use sibyl_protocol::response::{ErrorKind, ErrorResponse, Response};
use sibyl_protocol::types::{StringMap, StringMultimap};

use super::TransportConfig;

/// Where a connection is in its handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Only OPTIONS and STARTUP are accepted.
    AwaitingStartup,
    /// STARTUP answered AUTHENTICATE; only OPTIONS and AUTH_RESPONSE are accepted.
    Authenticating,
    /// Statements are served.
    Ready,
}

/// The SUPPORTED answer: `CQL_VERSION` and `COMPRESSION` must both be present
/// (Python indexes them directly), and only what we implement is announced.
pub fn supported(config: &TransportConfig) -> Response {
    let mut options = StringMultimap::new();
    options.insert("CQL_VERSION".into(), vec![config.cql_version.clone()]);
    options.insert(
        "COMPRESSION".into(),
        vec![Compression::Lz4.name().to_owned()],
    );
    let mut versions = config.versions.clone();
    versions.sort();
    options.insert(
        "PROTOCOL_VERSIONS".into(),
        versions.iter().map(|v| v.label()).collect(),
    );
    Response::Supported(options)
}

fn protocol_error(message: impl Into<String>) -> ErrorResponse {
    ErrorResponse {
        kind: ErrorKind::Protocol,
        message: message.into(),
    }
}

/// Checks STARTUP options and returns the negotiated compression.
///
/// # Errors
/// A ProtocolError response for a missing or unsupported CQL version or an
/// unknown compression algorithm (Cassandra's wording).
pub fn startup(options: &StringMap) -> Result<Option<Compression>, ErrorResponse> {
    let cql_version = options
        .get(STARTUP_CQL_VERSION)
        .ok_or_else(|| protocol_error("Missing value CQL_VERSION in STARTUP message"))?;
    let major = cql_version
        .split('.')
        .next()
        .and_then(|m| m.trim().parse::<u32>().ok());
    if major.is_none_or(|m| m < 3) {
        return Err(protocol_error(format!(
            "Invalid or unsupported CQL version {cql_version}; supported versions are 3.0.0 and above"
        )));
    }
    match options
        .get(STARTUP_COMPRESSION)
        .map(|c| c.to_ascii_lowercase())
    {
        None => Ok(None),
        Some(name) if name.is_empty() => Ok(None),
        Some(name) => Compression::from_name(&name)
            .map(Some)
            .ok_or_else(|| protocol_error(format!("Unknown compression algorithm: {name}"))),
    }
}

/// Splits a SASL PLAIN token (`[authzid] NUL authcid NUL password`) into user and password.
///
/// # Errors
/// A message for a token without the two separators, an empty user or
/// password, or non-UTF-8 text.
pub fn parse_plain_token(token: &[u8]) -> Result<(String, String), String> {
    let mut parts = token.rsplitn(3, |b| *b == 0);
    let password = parts.next().unwrap_or_default();
    let user = parts.next().ok_or("Password must not be null")?;
    if parts.next().is_none() {
        return Err("Authentication ID must not be null".into());
    }
    if user.is_empty() {
        return Err("Authentication ID must not be null".into());
    }
    if password.is_empty() {
        return Err("Password must not be null".into());
    }
    let text = |b: &[u8]| {
        String::from_utf8(b.to_vec()).map_err(|_| "credentials are not UTF-8".to_owned())
    };
    Ok((text(user)?, text(password)?))
}

/// The error for a message not allowed in the current phase.
pub fn unexpected(phase: Phase, opcode_name: &str) -> ErrorResponse {
    let expected = match phase {
        Phase::AwaitingStartup => "expecting STARTUP or OPTIONS".to_owned(),
        Phase::Authenticating => "expecting SASL response".to_owned(),
        Phase::Ready => "the connection is already initialized".to_owned(),
    };
    protocol_error(format!("Unexpected message {opcode_name}, {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> StringMap {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn supported_always_has_cql_version_and_compression() {
        let Response::Supported(options) = supported(&TransportConfig::default()) else {
            panic!()
        };
        assert_eq!(options["CQL_VERSION"], ["3.4.7"]);
        assert_eq!(options["COMPRESSION"], ["lz4"]);
        assert_eq!(options["PROTOCOL_VERSIONS"], ["3/v3", "4/v4", "5/v5"]);
    }

    #[test]
    fn startup_accepts_what_drivers_send() {
        assert_eq!(startup(&map(&[("CQL_VERSION", "3.0.0")])).unwrap(), None);
        assert_eq!(
            startup(&map(&[("CQL_VERSION", "4.0.0"), ("COMPRESSION", "lz4")])).unwrap(),
            Some(Compression::Lz4)
        );
        let with_driver_info = map(&[
            ("CQL_VERSION", "3.4.7"),
            ("DRIVER_NAME", "x"),
            ("NO_COMPACT", "true"),
        ]);
        assert_eq!(startup(&with_driver_info).unwrap(), None);
    }

    #[test]
    fn startup_rejects_with_cassandras_messages() {
        assert!(
            startup(&map(&[]))
                .unwrap_err()
                .message
                .contains("Missing value CQL_VERSION")
        );
        assert!(startup(&map(&[("CQL_VERSION", "2.0.0")])).is_err());
        let err =
            startup(&map(&[("CQL_VERSION", "3.0.0"), ("COMPRESSION", "snappy")])).unwrap_err();
        assert_eq!(err.message, "Unknown compression algorithm: snappy");
        assert!(matches!(err.kind, ErrorKind::Protocol));
    }

    #[test]
    fn plain_tokens() {
        assert_eq!(
            parse_plain_token(b"\0cassandra\0secret").unwrap(),
            ("cassandra".into(), "secret".into())
        );
        assert_eq!(
            parse_plain_token(b"authz\0bob\0pw").unwrap(),
            ("bob".into(), "pw".into())
        );
        assert!(parse_plain_token(b"bob\0pw").is_err());
        assert!(parse_plain_token(b"\0\0pw").is_err());
        assert!(parse_plain_token(b"\0bob\0").is_err());
        assert!(parse_plain_token(b"").is_err());
        assert!(parse_plain_token(b"\0\xff\0pw").is_err());
    }
}
