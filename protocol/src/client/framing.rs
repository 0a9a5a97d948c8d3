//! Sans-IO framing of one connection: cutting [`RawFrame`]s out of the bytes
//! read, and turning encoded frames into the bytes to write, either plainly
//! (v3/v4, and v5 before the handshake ends) or inside v5 segments.
//!
//! Both sides switch to segments at the same point: right after READY or
//! AUTHENTICATE has been sent/received (COMPAT §3.8). Bytes already buffered
//! when the switch happens are read as segments. Whole frames written together
//! share self-contained segments of at most 128 KiB - 1; a larger frame is cut
//! into non-self-contained segments holding nothing else. Used by the client and
//! by test servers; no tokio here.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::compression::Compression;
use crate::error::Result;
use crate::frame::RawFrame;
use crate::limits::{Limits, SEGMENT_PAYLOAD_BYTES_MAX};
use crate::segment::{FrameAssembler, SegmentCodec};

/// Reads raw frames from a connection's incoming bytes.
#[derive(Debug, Clone)]
pub struct FrameReader {
    limits: Limits,
    segments: Option<(SegmentCodec, FrameAssembler)>,
    ready: VecDeque<RawFrame>,
}

impl FrameReader {
    /// A reader of plain frames bounded by `limits`.
    pub fn new(limits: Limits) -> Self {
        FrameReader {
            limits,
            segments: None,
            ready: VecDeque::new(),
        }
    }

    /// From now on, incoming bytes are v5 segments (LZ4 when `compression`).
    pub fn enable_segments(&mut self, compression: Option<Compression>) {
        self.segments = Some((
            SegmentCodec::new(compression),
            FrameAssembler::new(self.limits.frame_body_bytes_max),
        ));
    }

    /// True once segment framing is on.
    pub fn segmented(&self) -> bool {
        self.segments.is_some()
    }

    /// The next complete frame from `buf` (consuming its bytes), or `Ok(None)`
    /// when more bytes are needed.
    ///
    /// # Errors
    /// A malformed header or segment, or a frame over the size limit.
    pub fn next_frame(&mut self, buf: &mut BytesMut) -> Result<Option<RawFrame>> {
        if let Some(frame) = self.ready.pop_front() {
            return Ok(Some(frame));
        }
        let max = self.limits.frame_body_bytes_max;
        let Some((codec, assembler)) = &mut self.segments else {
            return RawFrame::decode(buf, max);
        };
        while let Some(segment) = codec.decode(buf)? {
            self.ready.extend(assembler.push(segment)?);
            if let Some(frame) = self.ready.pop_front() {
                return Ok(Some(frame));
            }
        }
        Ok(None)
    }
}

/// Writes encoded frames as connection bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameWriter {
    segments: Option<SegmentCodec>,
}

impl FrameWriter {
    /// A writer of plain frames.
    pub fn new() -> Self {
        FrameWriter { segments: None }
    }

    /// From now on, frames go inside v5 segments (LZ4 when `compression`).
    pub fn enable_segments(&mut self, compression: Option<Compression>) {
        self.segments = Some(SegmentCodec::new(compression));
    }

    /// True once segment framing is on.
    pub fn segmented(&self) -> bool {
        self.segments.is_some()
    }

    /// Appends `frames` (each one complete encoded frame) to `out`.
    ///
    /// # Errors
    /// A segment encoding failure.
    pub fn write_frames(&self, frames: &[Bytes], out: &mut BytesMut) -> Result<()> {
        let Some(codec) = &self.segments else {
            for f in frames {
                out.extend_from_slice(f);
            }
            return Ok(());
        };
        let mut group = BytesMut::new();
        for f in frames {
            if f.len() > SEGMENT_PAYLOAD_BYTES_MAX {
                if !group.is_empty() {
                    codec.encode(&group, out)?;
                    group.clear();
                }
                codec.encode(f, out)?;
                continue;
            }
            if group.len() + f.len() > SEGMENT_PAYLOAD_BYTES_MAX {
                codec.encode(&group, out)?;
                group.clear();
            }
            group.extend_from_slice(f);
        }
        if !group.is_empty() {
            codec.encode(&group, out)?;
        }
        Ok(())
    }
}
