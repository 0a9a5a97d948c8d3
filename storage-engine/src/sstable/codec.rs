//! Byte-level helpers shared by every SSTable component codec.
//!
//! Fixed-width integers are little-endian; variable-length integers are unsigned
//! LEB128 (at most 10 bytes), signed ones zigzag-encoded first. `ByteReader` never
//! indexes out of bounds: every read is checked and fails with the offset it stopped at,
//! so a decoder of outside bytes cannot panic.

use std::path::Path;

use super::error::SsTableError;

/// A decode failure inside one buffer: where (relative to the buffer) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Offset inside the decoded buffer.
    pub offset: usize,
    /// What was expected.
    pub what: &'static str,
}

impl DecodeError {
    /// Turns this into a `SsTableError::Corruption` for `file`, where the buffer starts at `base`.
    pub fn at(self, file: &Path, base: u64) -> SsTableError {
        let offset = base.saturating_add(u64::try_from(self.offset).unwrap_or(u64::MAX));
        SsTableError::corruption(file, offset, self.what)
    }
}

/// Result of a buffer decode.
pub type DecodeResult<T> = Result<T, DecodeError>;

/// Appends `v` as unsigned LEB128.
#[expect(
    clippy::cast_possible_truncation,
    reason = "each byte is masked to 7 bits first"
)]
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v & 0x7f) as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends `v` zigzag-encoded as LEB128.
pub fn put_varint_signed(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Appends a varint length then the bytes.
pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A checked cursor over a borrowed buffer.
#[derive(Debug, Clone)]
pub struct ByteReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> ByteReader<'a> {
    /// A reader at the start of `buf`.
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Current offset in the buffer.
    #[must_use]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left to read.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// True when every byte was consumed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    fn err(&self, what: &'static str) -> DecodeError {
        DecodeError {
            offset: self.pos,
            what,
        }
    }

    /// Takes the next `len` bytes.
    ///
    /// # Errors
    /// When fewer than `len` bytes remain.
    pub fn take(&mut self, len: usize, what: &'static str) -> DecodeResult<&'a [u8]> {
        let end = self.pos.checked_add(len).ok_or_else(|| self.err(what))?;
        let out = self.buf.get(self.pos..end).ok_or_else(|| self.err(what))?;
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> DecodeResult<[u8; N]> {
        let bytes = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// Reads one byte.
    ///
    /// # Errors
    /// At the end of the buffer.
    pub fn u8(&mut self, what: &'static str) -> DecodeResult<u8> {
        Ok(self.array::<1>(what)?[0])
    }

    /// Reads a little-endian `u16`.
    ///
    /// # Errors
    /// At the end of the buffer.
    pub fn u16(&mut self, what: &'static str) -> DecodeResult<u16> {
        self.array(what).map(u16::from_le_bytes)
    }

    /// Reads a little-endian `u32`.
    ///
    /// # Errors
    /// At the end of the buffer.
    pub fn u32(&mut self, what: &'static str) -> DecodeResult<u32> {
        self.array(what).map(u32::from_le_bytes)
    }

    /// Reads a little-endian `u64`.
    ///
    /// # Errors
    /// At the end of the buffer.
    pub fn u64(&mut self, what: &'static str) -> DecodeResult<u64> {
        self.array(what).map(u64::from_le_bytes)
    }

    /// Reads a little-endian `i64`.
    ///
    /// # Errors
    /// At the end of the buffer.
    pub fn i64(&mut self, what: &'static str) -> DecodeResult<i64> {
        self.array(what).map(i64::from_le_bytes)
    }

    /// Reads an unsigned LEB128 varint (at most 10 bytes, no overflow).
    ///
    /// # Errors
    /// When truncated, longer than 10 bytes or overflowing `u64`.
    #[inline]
    pub fn varint(&mut self, what: &'static str) -> DecodeResult<u64> {
        // One-byte values (lengths, deltas, ids) are the common case.
        if let Some(&byte) = self.buf.get(self.pos)
            && byte < 0x80
        {
            self.pos += 1;
            return Ok(u64::from(byte));
        }
        self.varint_long(what)
    }

    fn varint_long(&mut self, what: &'static str) -> DecodeResult<u64> {
        let mut value = 0u64;
        for i in 0..10u32 {
            let byte = self.u8(what)?;
            let bits = u64::from(byte & 0x7f);
            if i == 9 && bits > 1 {
                return Err(self.err(what));
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.err(what))
    }

    /// Reads a zigzag varint.
    ///
    /// # Errors
    /// As [`ByteReader::varint`].
    pub fn varint_signed(&mut self, what: &'static str) -> DecodeResult<i64> {
        let v = self.varint(what)?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    /// Reads a varint length (checked against `max`) and that many bytes.
    ///
    /// # Errors
    /// When the length exceeds `max` or the buffer.
    pub fn bytes(&mut self, max: usize, what: &'static str) -> DecodeResult<&'a [u8]> {
        let len = self.varint(what)?;
        let len = usize::try_from(len).map_err(|_| self.err(what))?;
        if len > max {
            return Err(self.err(what));
        }
        self.take(len, what)
    }

    /// Reads a varint count checked against `max`.
    ///
    /// # Errors
    /// When the count exceeds `max`.
    pub fn count(&mut self, max: usize, what: &'static str) -> DecodeResult<usize> {
        let n = self.varint(what)?;
        match usize::try_from(n) {
            Ok(n) if n <= max => Ok(n),
            _ => Err(self.err(what)),
        }
    }
}

/// CRC-32 (IEEE) of `bytes`.
#[must_use]
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// Length as `u64` (lossless on every supported target).
#[must_use]
pub fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn varints_round_trip(u in any::<u64>(), s in any::<i64>()) {
            let mut out = Vec::new();
            put_varint(&mut out, u);
            put_varint_signed(&mut out, s);
            let mut r = ByteReader::new(&out);
            prop_assert_eq!(r.varint("u").unwrap(), u);
            prop_assert_eq!(r.varint_signed("s").unwrap(), s);
            prop_assert!(r.is_empty());
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..32)) {
            let mut r = ByteReader::new(&bytes);
            let _ = r.varint("v");
            let _ = r.bytes(16, "b");
            let _ = r.u64("x");
        }
    }

    #[test]
    fn overlong_varint_is_an_error() {
        let bytes = [0xffu8; 11];
        assert!(ByteReader::new(&bytes).varint("v").is_err());
        let too_big = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(ByteReader::new(&too_big).varint("v").is_err());
    }
}
