//! The two checksums of v5 segments, as Cassandra's `Crc.java` and the Python
//! driver's `segment.py` compute them.
//!
//! - CRC24 over the 3- or 5-byte header taken as a little-endian integer,
//!   bytes fed low first: init 0x875060, polynomial 0x1974F0B, no reflection,
//!   no final xor.
//! - CRC32 (IEEE, as zlib) over the payload, seeded by first feeding the four
//!   bytes FA 2D 55 CA.

/// CRC24 initial value.
pub const CRC24_INIT: u32 = 0x0087_5060;
/// CRC24 polynomial (with the x^24 bit).
pub const CRC24_POLY: u32 = 0x0197_4F0B;
/// Bytes fed to the CRC32 before the payload.
pub const CRC32_INITIAL_BYTES: [u8; 4] = [0xFA, 0x2D, 0x55, 0xCA];

/// CRC24 of the low `len` bytes of `data` (little-endian order).
pub fn crc24(mut data: u64, len: usize) -> u32 {
    let mut crc = CRC24_INIT;
    for _ in 0..len {
        let byte = u32::from(data.to_le_bytes()[0]);
        crc ^= byte << 16;
        data >>= 8;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x0100_0000 != 0 {
                crc ^= CRC24_POLY;
            }
        }
    }
    crc
}

/// CRC32 of a segment payload.
pub fn crc32(payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&CRC32_INITIAL_BYTES);
    h.update(payload);
    h.finalize()
}
