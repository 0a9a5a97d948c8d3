//! Small helpers shared by the tools: parsing host lists, durations and
//! consistency names, connecting, and preparing with known bind types.
//!
//! Invariant: a statement prepared with [`prepare_typed`] encodes its values
//! with the types the tool knows (its own schema), not the server's, so the
//! tools work against the echo server (which types every marker as blob).

use std::sync::Arc;
use std::time::Duration;

use crate::bail;
use crate::error::{Context, Result};
use sibyl_protocol::client::{ConnectOptions, PreparedStatement, Session};
use sibyl_protocol::compression::Compression;
use sibyl_protocol::types::Consistency;
use sibyl_protocol::value::CqlType;

/// Parses `30s`, `2m`, `1h`, `500ms` or a plain number of seconds.
///
/// # Errors
/// Anything else.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let t = text.trim();
    let (num, unit) = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((t, ""), |i| t.split_at(i));
    let n: f64 = num
        .parse()
        .with_context(|| format!("bad duration '{text}'"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => bail!("bad duration unit in '{text}'"),
    };
    if !secs.is_finite() || secs < 0.0 {
        bail!("bad duration '{text}'");
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses a consistency name (`LOCAL_QUORUM`, `one`, ...).
///
/// # Errors
/// An unknown name.
pub fn parse_consistency(text: &str) -> Result<Consistency> {
    Consistency::ALL
        .iter()
        .copied()
        .find(|c| c.name().eq_ignore_ascii_case(text.trim()))
        .with_context(|| format!("unknown consistency '{text}'"))
}

/// Splits `h1,h2:9043` into socket addresses, defaulting the port.
pub fn parse_hosts(text: &str, port: u16) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|h| {
            if h.contains(':') {
                h.to_owned()
            } else {
                format!("{h}:{port}")
            }
        })
        .collect()
}

/// Connects one session per host (LZ4 when offered, version negotiated).
///
/// # Errors
/// A host that cannot be reached.
pub async fn connect_all(hosts: &[String], timeout: Duration) -> Result<Vec<Session>> {
    let mut sessions = Vec::with_capacity(hosts.len());
    for host in hosts {
        let options = ConnectOptions {
            compression: Some(Compression::Lz4),
            request_timeout: timeout,
            ..ConnectOptions::default()
        };
        let s = Session::connect(host.as_str(), options)
            .await
            .with_context(|| format!("connecting to {host}"))?;
        sessions.push(s);
    }
    if sessions.is_empty() {
        bail!("no hosts given");
    }
    Ok(sessions)
}

/// Prepares `cql` and types its bind markers with `types` when the counts
/// agree (see the module invariant).
///
/// # Errors
/// The server rejects the statement.
pub async fn prepare_typed(
    session: &Session,
    cql: &str,
    types: &[CqlType],
) -> Result<Arc<PreparedStatement>> {
    let prepared = session
        .prepare(cql)
        .await
        .with_context(|| format!("preparing {cql}"))?;
    if prepared.bind_columns.len() != types.len() {
        return Ok(prepared);
    }
    let mut typed = (*prepared).clone();
    for (column, ty) in typed.bind_columns.iter_mut().zip(types) {
        column.ty = ty.clone();
    }
    Ok(Arc::new(typed))
}

/// A small seeded generator (SplitMix64): reproducible data, no global state.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_names() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        assert!(parse_duration("5x").is_err());
        assert_eq!(
            parse_consistency("local_quorum").unwrap(),
            Consistency::LocalQuorum
        );
        assert_eq!(
            parse_hosts("a, b:1", 9042),
            vec!["a:9042".to_string(), "b:1".to_string()]
        );
    }

    #[test]
    fn rng_is_seeded() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.bytes(13), b.bytes(13));
        assert!(a.below(10) < 10);
    }
}
