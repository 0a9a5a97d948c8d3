//! Named maxima for everything the wire layer reads from outside.
//!
//! Every length or count a peer sends is checked against one of these before
//! anything is allocated for it. Units are last in every name. [`Limits`] is the
//! runtime-configurable set (the server reads it from its config); the constants
//! are the defaults and the fixed bounds the protocol itself imposes.

/// Default maximum frame body size in bytes: 16 MiB.
///
/// Cassandra's `native_transport_max_frame_size` defaults to 16 MiB as well (the
/// protocol allows 256 MiB).
pub const FRAME_BODY_BYTES_MAX_DEFAULT: u32 = 16 * 1024 * 1024;

/// The protocol's own ceiling on a frame body: 256 MiB (spec §2.5).
pub const FRAME_BODY_BYTES_MAX_PROTOCOL: u32 = 256 * 1024 * 1024;

/// Maximum `[string]` length in bytes: its length prefix is a `[short]`.
pub const STRING_BYTES_MAX: usize = u16::MAX as usize;

/// Default maximum number of elements in a list, map, set, batch or values list
/// read from the wire.
pub const COLLECTION_ELEMENTS_MAX_DEFAULT: usize = 65_535;

/// Maximum nesting of type options (`list<map<text, frozen<tuple<...>>>>`).
pub const TYPE_NESTING_DEPTH_MAX: usize = 32;

/// Maximum payload of one v5 segment in bytes: 128 KiB - 1 (17-bit length).
pub const SEGMENT_PAYLOAD_BYTES_MAX: usize = 128 * 1024 - 1;

/// Length of a frame header for protocol v3 and later, in bytes.
pub const FRAME_HEADER_BYTES: usize = 9;

const _: () = assert!(FRAME_BODY_BYTES_MAX_DEFAULT <= FRAME_BODY_BYTES_MAX_PROTOCOL);
const _: () = assert!(SEGMENT_PAYLOAD_BYTES_MAX < (1 << 17));
const _: () = assert!(COLLECTION_ELEMENTS_MAX_DEFAULT <= u16::MAX as usize);
const _: () = assert!(TYPE_NESTING_DEPTH_MAX >= 4);

/// The configurable limits a decoder enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest frame body accepted, in bytes (compressed or not).
    pub frame_body_bytes_max: u32,
    /// Largest number of elements in any list-like structure.
    pub collection_elements_max: usize,
    /// Deepest type option nesting accepted.
    pub type_nesting_depth_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            frame_body_bytes_max: FRAME_BODY_BYTES_MAX_DEFAULT,
            collection_elements_max: COLLECTION_ELEMENTS_MAX_DEFAULT,
            type_nesting_depth_max: TYPE_NESTING_DEPTH_MAX,
        }
    }
}

impl Limits {
    /// Checks the limits are internally consistent.
    ///
    /// # Errors
    /// A message naming the offending limit.
    pub fn validate(&self) -> Result<(), String> {
        if self.frame_body_bytes_max == 0
            || self.frame_body_bytes_max > FRAME_BODY_BYTES_MAX_PROTOCOL
        {
            return Err(format!(
                "frame_body_bytes_max must be in 1..={FRAME_BODY_BYTES_MAX_PROTOCOL}"
            ));
        }
        if self.type_nesting_depth_max == 0 || self.type_nesting_depth_max > TYPE_NESTING_DEPTH_MAX
        {
            return Err(format!(
                "type_nesting_depth_max must be in 1..={TYPE_NESTING_DEPTH_MAX}"
            ));
        }
        Ok(())
    }
}
