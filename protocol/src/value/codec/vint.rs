//! Cassandra's variable-length integers (`VIntCoding`), used by `duration`
//! values and by the element lengths of variable-size `vector` elements.
//!
//! Unsigned form: big-endian; the number of leading 1 bits of the first byte is
//! the number of extra bytes (0..=8); the rest of the first byte holds the top
//! bits of the value. With 8 extra bytes the first byte is `0xFF` and the value is
//! the following 8 bytes. Signed form: zigzag (`(n << 1) ^ (n >> 63)`) first.

/// Appends `value` in Cassandra's unsigned vint form.
pub fn write_unsigned(value: u64, out: &mut Vec<u8>) {
    // Bits needed (at least 1); every extra byte adds 7 usable bits in total.
    let bits = 64 - (value | 1).leading_zeros();
    let extra = if bits > 56 {
        8
    } else {
        (bits.saturating_sub(1)) / 7
    };
    let bytes = value.to_be_bytes();
    if extra == 8 {
        out.push(0xFF);
        out.extend_from_slice(&bytes);
        return;
    }
    let extra_usize = extra as usize;
    let start = 8 - (extra_usize + 1);
    let mut first = bytes.get(start).copied().unwrap_or(0);
    // `extra` leading ones: the mask of the top `extra` bits.
    let ones = !(0xFFu8 >> extra);
    first |= ones;
    out.push(first);
    out.extend_from_slice(bytes.get(start + 1..).unwrap_or(&[]));
}

/// Appends `value` zigzag-encoded in Cassandra's signed vint form.
pub fn write_signed(value: i64, out: &mut Vec<u8>) {
    let zigzag = (value << 1) ^ (value >> 63);
    write_unsigned(u64::from_ne_bytes(zigzag.to_ne_bytes()), out);
}

/// Reads an unsigned vint from the front of `input`; returns it and the rest,
/// or `None` when the input ends early.
pub fn read_unsigned(input: &[u8]) -> Option<(u64, &[u8])> {
    let (&first, rest) = input.split_first()?;
    let extra = first.leading_ones() as usize;
    let (tail, rest) = rest.split_at_checked(extra)?;
    let mask = if extra >= 8 { 0 } else { 0xFFu8 >> extra };
    let mut value = u64::from(first & mask);
    for &b in tail {
        value = (value << 8) | u64::from(b);
    }
    Some((value, rest))
}

/// Reads a zigzag signed vint from the front of `input`.
pub fn read_signed(input: &[u8]) -> Option<(i64, &[u8])> {
    let (raw, rest) = read_unsigned(input)?;
    let value =
        i64::from_ne_bytes((raw >> 1).to_ne_bytes()) ^ -i64::from_ne_bytes((raw & 1).to_ne_bytes());
    Some((value, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_encodings() {
        let cases: [(u64, &[u8]); 6] = [
            (0, &[0x00]),
            (127, &[0x7F]),
            (128, &[0x80, 0x80]),
            (16383, &[0xBF, 0xFF]),
            (16384, &[0xC0, 0x40, 0x00]),
            (
                u64::MAX,
                &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
            ),
        ];
        for (value, bytes) in cases {
            let mut out = Vec::new();
            write_unsigned(value, &mut out);
            assert_eq!(out, bytes, "{value}");
            assert_eq!(read_unsigned(bytes), Some((value, &[][..])));
        }
    }

    #[test]
    fn signed_zigzag() {
        let mut out = Vec::new();
        write_signed(-1, &mut out);
        assert_eq!(out, [0x01]);
        out.clear();
        write_signed(1, &mut out);
        assert_eq!(out, [0x02]);
        for v in [0, 1, -1, 63, -64, 64, i64::MAX, i64::MIN, 1_000_000_007] {
            out.clear();
            write_signed(v, &mut out);
            assert_eq!(read_signed(&out), Some((v, &[][..])));
        }
    }
}
