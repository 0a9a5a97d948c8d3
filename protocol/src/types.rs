//! Primitive notations of the native protocol (spec §3): `[short]`, `[int]`,
//! `[long]`, `[string]`, `[long string]`, `[bytes]`, `[short bytes]`, `[value]`,
//! `[string list]`, `[string map]`, `[string multimap]`, `[bytes map]`, `[uuid]`,
//! `[inet]`, `[inetaddr]` and `[consistency]`.
//!
//! Reading goes through [`Reader`], a cursor over a borrowed slice that checks
//! every length against the bytes left (and counts against [`Limits`]) before it
//! allocates. Writing appends to a `BytesMut` and fails only when a value does not
//! fit its length prefix. All integers are big-endian.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::{BufMut, Bytes, BytesMut};
use uuid::Uuid;

use crate::error::{ProtocolError, Result};
use crate::limits::{Limits, STRING_BYTES_MAX};

/// `[string map]`: ordered by key so that encoding is deterministic.
pub type StringMap = BTreeMap<String, String>;
/// `[string multimap]`.
pub type StringMultimap = BTreeMap<String, Vec<String>>;
/// `[bytes map]` (custom payloads); a value may be null.
pub type BytesMap = BTreeMap<String, Option<Bytes>>;

/// A bound value as QUERY/EXECUTE/BATCH carry it (`[value]`): raw bytes, or one
/// of the two markers. Turning bytes into typed CQL values is `crate::value`'s job.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// Length -1: CQL `null`.
    Null,
    /// Length -2: "not set", leaves the column unchanged (v4+).
    Unset,
    /// The serialized value.
    Bytes(Bytes),
}

/// A consistency level (`[consistency]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum Consistency {
    /// ANY.
    Any = 0x0000,
    /// ONE.
    One = 0x0001,
    /// TWO.
    Two = 0x0002,
    /// THREE.
    Three = 0x0003,
    /// QUORUM.
    Quorum = 0x0004,
    /// ALL.
    All = 0x0005,
    /// LOCAL_QUORUM.
    LocalQuorum = 0x0006,
    /// EACH_QUORUM.
    EachQuorum = 0x0007,
    /// SERIAL.
    Serial = 0x0008,
    /// LOCAL_SERIAL.
    LocalSerial = 0x0009,
    /// LOCAL_ONE.
    LocalOne = 0x000A,
}

impl Consistency {
    /// Every level, in code order.
    pub const ALL: [Consistency; 11] = [
        Consistency::Any,
        Consistency::One,
        Consistency::Two,
        Consistency::Three,
        Consistency::Quorum,
        Consistency::All,
        Consistency::LocalQuorum,
        Consistency::EachQuorum,
        Consistency::Serial,
        Consistency::LocalSerial,
        Consistency::LocalOne,
    ];

    /// The level for a wire code.
    ///
    /// # Errors
    /// [`ProtocolError::UnknownConsistency`] for a code above 0x000A.
    pub fn from_code(code: u16) -> Result<Self> {
        Self::ALL
            .get(usize::from(code))
            .copied()
            .ok_or(ProtocolError::UnknownConsistency(code))
    }

    /// The wire code.
    pub fn code(self) -> u16 {
        self as u16
    }

    /// The name Cassandra prints (`LOCAL_QUORUM`).
    pub fn name(self) -> &'static str {
        match self {
            Consistency::Any => "ANY",
            Consistency::One => "ONE",
            Consistency::Two => "TWO",
            Consistency::Three => "THREE",
            Consistency::Quorum => "QUORUM",
            Consistency::All => "ALL",
            Consistency::LocalQuorum => "LOCAL_QUORUM",
            Consistency::EachQuorum => "EACH_QUORUM",
            Consistency::Serial => "SERIAL",
            Consistency::LocalSerial => "LOCAL_SERIAL",
            Consistency::LocalOne => "LOCAL_ONE",
        }
    }
}

/// A cursor over a message body. Every read checks the bytes left first.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    limits: Limits,
}

impl<'a> Reader<'a> {
    /// A reader over `buf` enforcing `limits`.
    pub fn new(buf: &'a [u8], limits: Limits) -> Self {
        Reader { buf, limits }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// The unread bytes.
    pub fn rest(&self) -> &'a [u8] {
        self.buf
    }

    /// Takes the next `n` bytes.
    ///
    /// # Errors
    /// [`ProtocolError::Truncated`] when fewer are left.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        let (head, tail) = self
            .buf
            .split_at_checked(n)
            .ok_or(ProtocolError::Truncated {
                what,
                needed: n,
                available: self.buf.len(),
            })?;
        self.buf = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let bytes = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// `[byte]`.
    pub fn read_u8(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }

    /// `[short]` (unsigned).
    pub fn read_short(&mut self, what: &'static str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    /// `[int]`.
    pub fn read_int(&mut self, what: &'static str) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array(what)?))
    }

    /// `[long]`.
    pub fn read_long(&mut self, what: &'static str) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array(what)?))
    }

    /// `[uuid]`.
    pub fn read_uuid(&mut self, what: &'static str) -> Result<Uuid> {
        Ok(Uuid::from_bytes(self.array(what)?))
    }

    /// A count read as `[short]` or `[int]`, checked against the collection limit
    /// and against the bytes left (each element takes at least `min_element_bytes`).
    ///
    /// # Errors
    /// [`ProtocolError::TooManyElements`] or [`ProtocolError::NegativeLength`].
    pub fn check_count(
        &self,
        count: i64,
        min_element_bytes: usize,
        what: &'static str,
    ) -> Result<usize> {
        let count = usize::try_from(count).map_err(|_| ProtocolError::NegativeLength {
            what,
            length: i32::try_from(count).unwrap_or(i32::MIN),
        })?;
        let fits = count.saturating_mul(min_element_bytes) <= self.buf.len();
        let max = self.limits.collection_elements_max;
        if count > max || !fits {
            return Err(ProtocolError::TooManyElements { what, count, max });
        }
        Ok(count)
    }

    fn utf8(bytes: &'a [u8], what: &'static str) -> Result<&'a str> {
        std::str::from_utf8(bytes).map_err(|_| ProtocolError::InvalidUtf8 { what })
    }

    /// `[string]`.
    pub fn read_string(&mut self, what: &'static str) -> Result<&'a str> {
        let len = self.read_short(what)?;
        let bytes = self.take(usize::from(len), what)?;
        Self::utf8(bytes, what)
    }

    /// `[long string]`.
    pub fn read_long_string(&mut self, what: &'static str) -> Result<&'a str> {
        let len = self.read_int(what)?;
        let len = usize::try_from(len)
            .map_err(|_| ProtocolError::NegativeLength { what, length: len })?;
        let bytes = self.take(len, what)?;
        Self::utf8(bytes, what)
    }

    /// `[bytes]`: `None` for a negative length (null).
    pub fn read_bytes(&mut self, what: &'static str) -> Result<Option<&'a [u8]>> {
        let len = self.read_int(what)?;
        match usize::try_from(len) {
            Ok(len) => self.take(len, what).map(Some),
            Err(_) => Ok(None),
        }
    }

    /// `[bytes]` copied into an owned buffer.
    pub fn read_bytes_owned(&mut self, what: &'static str) -> Result<Option<Bytes>> {
        Ok(self.read_bytes(what)?.map(Bytes::copy_from_slice))
    }

    /// `[short bytes]`.
    pub fn read_short_bytes(&mut self, what: &'static str) -> Result<Bytes> {
        let len = self.read_short(what)?;
        Ok(Bytes::copy_from_slice(self.take(usize::from(len), what)?))
    }

    /// `[value]`.
    ///
    /// # Errors
    /// [`ProtocolError::InvalidValueLength`] for a length below -2.
    pub fn read_value(&mut self, what: &'static str) -> Result<Value> {
        let len = self.read_int(what)?;
        match len {
            -1 => Ok(Value::Null),
            -2 => Ok(Value::Unset),
            n if n < 0 => Err(ProtocolError::InvalidValueLength(n)),
            n => {
                let n = usize::try_from(n).map_err(|_| ProtocolError::InvalidValueLength(n))?;
                Ok(Value::Bytes(Bytes::copy_from_slice(self.take(n, what)?)))
            }
        }
    }

    /// `[string list]`.
    pub fn read_string_list(&mut self, what: &'static str) -> Result<Vec<String>> {
        let n = self.read_short(what)?;
        let n = self.check_count(i64::from(n), 2, what)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.read_string(what)?.to_owned());
        }
        Ok(out)
    }

    /// `[string map]`.
    pub fn read_string_map(&mut self, what: &'static str) -> Result<StringMap> {
        let n = self.read_short(what)?;
        let n = self.check_count(i64::from(n), 4, what)?;
        let mut out = StringMap::new();
        for _ in 0..n {
            let k = self.read_string(what)?.to_owned();
            let v = self.read_string(what)?.to_owned();
            out.insert(k, v);
        }
        Ok(out)
    }

    /// `[string multimap]`.
    pub fn read_string_multimap(&mut self, what: &'static str) -> Result<StringMultimap> {
        let n = self.read_short(what)?;
        let n = self.check_count(i64::from(n), 4, what)?;
        let mut out = StringMultimap::new();
        for _ in 0..n {
            let k = self.read_string(what)?.to_owned();
            let v = self.read_string_list(what)?;
            out.insert(k, v);
        }
        Ok(out)
    }

    /// `[bytes map]`.
    pub fn read_bytes_map(&mut self, what: &'static str) -> Result<BytesMap> {
        let n = self.read_short(what)?;
        let n = self.check_count(i64::from(n), 6, what)?;
        let mut out = BytesMap::new();
        for _ in 0..n {
            let k = self.read_string(what)?.to_owned();
            let v = self.read_bytes_owned(what)?;
            out.insert(k, v);
        }
        Ok(out)
    }

    /// `[inetaddr]`: a length byte (4 or 16) and the address.
    pub fn read_inetaddr(&mut self, what: &'static str) -> Result<IpAddr> {
        let len = self.read_u8(what)?;
        match len {
            4 => Ok(IpAddr::V4(Ipv4Addr::from(self.array::<4>(what)?))),
            16 => Ok(IpAddr::V6(Ipv6Addr::from(self.array::<16>(what)?))),
            other => Err(ProtocolError::InvalidInetLength(other)),
        }
    }

    /// `[inet]`: an `[inetaddr]` and an `[int]` port.
    pub fn read_inet(&mut self, what: &'static str) -> Result<SocketAddr> {
        let ip = self.read_inetaddr(what)?;
        let port = self.read_int(what)?;
        let port = u16::try_from(port).map_err(|_| ProtocolError::InvalidPort(port))?;
        Ok(SocketAddr::new(ip, port))
    }

    /// `[consistency]`.
    pub fn read_consistency(&mut self, what: &'static str) -> Result<Consistency> {
        Consistency::from_code(self.read_short(what)?)
    }
}

fn prefix_len<T: TryFrom<usize>>(len: usize, what: &'static str, max: usize) -> Result<T> {
    T::try_from(len).map_err(|_| ProtocolError::TooLong {
        what,
        length: len,
        max,
    })
}

/// Writes `[short]`.
pub fn put_short(buf: &mut BytesMut, v: u16) {
    buf.put_u16(v);
}

/// Writes `[int]`.
pub fn put_int(buf: &mut BytesMut, v: i32) {
    buf.put_i32(v);
}

/// Writes `[long]`.
pub fn put_long(buf: &mut BytesMut, v: i64) {
    buf.put_i64(v);
}

/// Writes a count as `[short]`.
///
/// # Errors
/// [`ProtocolError::TooLong`] above 65535.
pub fn put_short_count(buf: &mut BytesMut, n: usize, what: &'static str) -> Result<()> {
    buf.put_u16(prefix_len(n, what, STRING_BYTES_MAX)?);
    Ok(())
}

/// Writes a count as `[int]`.
///
/// # Errors
/// [`ProtocolError::TooLong`] above `i32::MAX`.
pub fn put_int_count(buf: &mut BytesMut, n: usize, what: &'static str) -> Result<()> {
    buf.put_i32(prefix_len(n, what, i32::MAX as usize)?);
    Ok(())
}

/// Writes `[string]`.
///
/// # Errors
/// [`ProtocolError::TooLong`] when longer than 65535 bytes.
pub fn put_string(buf: &mut BytesMut, s: &str, what: &'static str) -> Result<()> {
    put_short_count(buf, s.len(), what)?;
    buf.put_slice(s.as_bytes());
    Ok(())
}

/// Writes `[long string]`.
///
/// # Errors
/// [`ProtocolError::TooLong`] when longer than `i32::MAX` bytes.
pub fn put_long_string(buf: &mut BytesMut, s: &str, what: &'static str) -> Result<()> {
    put_int_count(buf, s.len(), what)?;
    buf.put_slice(s.as_bytes());
    Ok(())
}

/// Writes `[bytes]`; `None` is null (length -1).
///
/// # Errors
/// [`ProtocolError::TooLong`] when longer than `i32::MAX` bytes.
pub fn put_bytes(buf: &mut BytesMut, b: Option<&[u8]>, what: &'static str) -> Result<()> {
    match b {
        None => buf.put_i32(-1),
        Some(b) => {
            put_int_count(buf, b.len(), what)?;
            buf.put_slice(b);
        }
    }
    Ok(())
}

/// Writes `[short bytes]`.
///
/// # Errors
/// [`ProtocolError::TooLong`] when longer than 65535 bytes.
pub fn put_short_bytes(buf: &mut BytesMut, b: &[u8], what: &'static str) -> Result<()> {
    put_short_count(buf, b.len(), what)?;
    buf.put_slice(b);
    Ok(())
}

/// Writes `[value]`.
///
/// # Errors
/// [`ProtocolError::TooLong`] when longer than `i32::MAX` bytes.
pub fn put_value(buf: &mut BytesMut, v: &Value, what: &'static str) -> Result<()> {
    match v {
        Value::Null => buf.put_i32(-1),
        Value::Unset => buf.put_i32(-2),
        Value::Bytes(b) => put_bytes(buf, Some(b), what)?,
    }
    Ok(())
}

/// Writes `[string list]`.
///
/// # Errors
/// [`ProtocolError::TooLong`] for too many or too long strings.
pub fn put_string_list(buf: &mut BytesMut, list: &[String], what: &'static str) -> Result<()> {
    put_short_count(buf, list.len(), what)?;
    for s in list {
        put_string(buf, s, what)?;
    }
    Ok(())
}

/// Writes `[string map]`.
///
/// # Errors
/// [`ProtocolError::TooLong`] for too many or too long strings.
pub fn put_string_map(buf: &mut BytesMut, map: &StringMap, what: &'static str) -> Result<()> {
    put_short_count(buf, map.len(), what)?;
    for (k, v) in map {
        put_string(buf, k, what)?;
        put_string(buf, v, what)?;
    }
    Ok(())
}

/// Writes `[string multimap]`.
///
/// # Errors
/// [`ProtocolError::TooLong`] for too many or too long strings.
pub fn put_string_multimap(
    buf: &mut BytesMut,
    map: &StringMultimap,
    what: &'static str,
) -> Result<()> {
    put_short_count(buf, map.len(), what)?;
    for (k, v) in map {
        put_string(buf, k, what)?;
        put_string_list(buf, v, what)?;
    }
    Ok(())
}

/// Writes `[bytes map]`.
///
/// # Errors
/// [`ProtocolError::TooLong`] for too many entries or too long keys.
pub fn put_bytes_map(buf: &mut BytesMut, map: &BytesMap, what: &'static str) -> Result<()> {
    put_short_count(buf, map.len(), what)?;
    for (k, v) in map {
        put_string(buf, k, what)?;
        put_bytes(buf, v.as_deref(), what)?;
    }
    Ok(())
}

/// Writes `[uuid]`.
pub fn put_uuid(buf: &mut BytesMut, id: &Uuid) {
    buf.put_slice(id.as_bytes());
}

/// Writes `[inetaddr]`.
pub fn put_inetaddr(buf: &mut BytesMut, ip: &IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            buf.put_u8(4);
            buf.put_slice(&v4.octets());
        }
        IpAddr::V6(v6) => {
            buf.put_u8(16);
            buf.put_slice(&v6.octets());
        }
    }
}

/// Writes `[inet]`.
pub fn put_inet(buf: &mut BytesMut, addr: &SocketAddr) {
    put_inetaddr(buf, &addr.ip());
    buf.put_i32(i32::from(addr.port()));
}

/// Writes `[consistency]`.
pub fn put_consistency(buf: &mut BytesMut, c: Consistency) {
    buf.put_u16(c.code());
}

#[cfg(test)]
#[path = "types_tests.rs"]
mod tests;
