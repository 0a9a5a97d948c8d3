//! Frames: the unit of the native protocol (spec §1–2).
//!
//! - [`header`]: [`FrameHeader`], [`ProtocolVersion`], [`Opcode`], [`FrameFlags`].
//! - [`codec`]: [`RawFrame`] and the incremental decoder over a read buffer.
//! - [`message`]: [`RequestFrame`] / [`ResponseFrame`], typed messages with
//!   tracing, warnings, custom payload and v4 compression.
//! - [`negotiation`]: the reply to a version we do not speak.
//!
//! Data path: socket bytes → `RawFrame::decode` (header checked, length bounded)
//! → `RequestFrame::from_raw` (decompress, body) → server dispatch; responses go
//! the other way. In v5 the raw frames travel inside [`crate::segment`]s.

pub mod codec;
pub mod header;
pub mod message;
pub mod negotiation;

pub use codec::RawFrame;
pub use header::{Direction, FrameFlags, FrameHeader, Opcode, ProtocolVersion};
pub use message::{RequestFrame, ResponseFrame};
pub use negotiation::{VersionCheck, VersionPolicy};
