//! Whole messages: a typed [`Request`] or [`Response`] plus the frame-level
//! extras the flags announce, turned into a [`RawFrame`] and back.
//!
//! Body layout (spec v4 §2.2, v5 §4): `[tracing id][warnings][custom payload]
//! <message>`, where the tracing id (a `[uuid]`) and warnings (`[string list]`)
//! appear only in responses. With compression negotiated (v3/v4) the whole body,
//! extras included, is LZ4-compressed; empty bodies are sent uncompressed. In v5
//! compression happens per segment instead, so it is never applied here.

use bytes::{Bytes, BytesMut};
use uuid::Uuid;

use crate::compression::{self, Compression};
use crate::error::{ProtocolError, Result};
use crate::frame::codec::RawFrame;
use crate::frame::header::{Direction, FrameFlags, FrameHeader, ProtocolVersion};
use crate::limits::Limits;
use crate::request::Request;
use crate::response::Response;
use crate::types::{self, BytesMap, Reader};

/// A request with its frame-level fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFrame {
    /// Protocol version of the connection.
    pub version: ProtocolVersion,
    /// Stream id (non-negative for requests).
    pub stream: i16,
    /// Ask the server to trace this request.
    pub tracing: bool,
    /// Opt in to a beta protocol version.
    pub use_beta: bool,
    /// Custom payload for a custom query handler.
    pub custom_payload: Option<BytesMap>,
    /// The message.
    pub request: Request,
}

/// A response with its frame-level fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseFrame {
    /// Protocol version of the connection.
    pub version: ProtocolVersion,
    /// Stream id of the request answered (-1 for events).
    pub stream: i16,
    /// Tracing session id when the request asked for tracing.
    pub tracing_id: Option<Uuid>,
    /// Server warnings (v4+); empty means none.
    pub warnings: Vec<String>,
    /// Custom payload.
    pub custom_payload: Option<BytesMap>,
    /// The message.
    pub response: Response,
}

fn finish(
    header: FrameHeader,
    body: BytesMut,
    compression: Option<Compression>,
) -> Result<RawFrame> {
    let mut header = header;
    let body = match compression {
        Some(Compression::Lz4) if header.version < ProtocolVersion::V5 && !body.is_empty() => {
            header.flags.set(FrameFlags::COMPRESSION, true);
            compression::compress_body(&body)?
        }
        _ => body.freeze(),
    };
    RawFrame::new(header, body)
}

fn open_body(raw: &RawFrame, compression: Option<Compression>, limits: &Limits) -> Result<Bytes> {
    if !raw.header.flags.contains(FrameFlags::COMPRESSION)
        || raw.header.version >= ProtocolVersion::V5
    {
        return Ok(raw.body.clone());
    }
    match compression {
        Some(Compression::Lz4) => {
            compression::decompress_body(&raw.body, limits.frame_body_bytes_max)
        }
        None => Err(ProtocolError::Invalid(
            "compressed frame but no compression negotiated".into(),
        )),
    }
}

impl RequestFrame {
    /// A plain request frame (no tracing, beta or payload).
    pub fn new(version: ProtocolVersion, stream: i16, request: Request) -> Self {
        RequestFrame {
            version,
            stream,
            tracing: false,
            use_beta: false,
            custom_payload: None,
            request,
        }
    }

    /// Encodes into a raw frame, compressing when `compression` is set (v3/v4).
    ///
    /// # Errors
    /// Any body encoding error.
    pub fn to_raw(&self, compression: Option<Compression>) -> Result<RawFrame> {
        let mut flags = FrameFlags::default();
        flags.set(FrameFlags::TRACING, self.tracing);
        flags.set(FrameFlags::USE_BETA, self.use_beta);
        flags.set(FrameFlags::CUSTOM_PAYLOAD, self.custom_payload.is_some());
        let mut body = BytesMut::new();
        if let Some(p) = &self.custom_payload {
            types::put_bytes_map(&mut body, p, "custom payload")?;
        }
        self.request.encode_body(self.version, &mut body)?;
        let header = FrameHeader {
            version: self.version,
            direction: Direction::Request,
            flags,
            stream: self.stream,
            opcode: self.request.opcode(),
            body_len: 0,
        };
        finish(header, body, compression)
    }

    /// Encodes and appends the frame bytes to `out`.
    ///
    /// # Errors
    /// Any body encoding error.
    pub fn encode(&self, compression: Option<Compression>, out: &mut BytesMut) -> Result<()> {
        self.to_raw(compression)?.encode(out);
        Ok(())
    }

    /// Cuts one request frame off `src` and decodes it; `Ok(None)` when `src`
    /// does not yet hold a whole frame.
    ///
    /// # Errors
    /// Any header, decompression or body error.
    pub fn decode(
        src: &mut BytesMut,
        compression: Option<Compression>,
        limits: &Limits,
    ) -> Result<Option<Self>> {
        match RawFrame::decode(src, limits.frame_body_bytes_max)? {
            Some(raw) => Self::from_raw(&raw, compression, limits).map(Some),
            None => Ok(None),
        }
    }

    /// Decodes a raw request frame.
    ///
    /// # Errors
    /// Wrong direction, undecompressable or malformed body.
    pub fn from_raw(
        raw: &RawFrame,
        compression: Option<Compression>,
        limits: &Limits,
    ) -> Result<Self> {
        let h = &raw.header;
        if h.direction != Direction::Request {
            return Err(ProtocolError::UnexpectedOpcode { opcode: h.opcode });
        }
        let body = open_body(raw, compression, limits)?;
        let mut r = Reader::new(&body, *limits);
        let custom_payload = if h.flags.contains(FrameFlags::CUSTOM_PAYLOAD) {
            Some(r.read_bytes_map("custom payload")?)
        } else {
            None
        };
        let request = Request::decode_body(h.opcode, h.version, &mut r)?;
        Ok(RequestFrame {
            version: h.version,
            stream: h.stream,
            tracing: h.flags.contains(FrameFlags::TRACING),
            use_beta: h.flags.contains(FrameFlags::USE_BETA),
            custom_payload,
            request,
        })
    }
}

impl ResponseFrame {
    /// A plain response frame (no tracing id, warnings or payload).
    pub fn new(version: ProtocolVersion, stream: i16, response: Response) -> Self {
        ResponseFrame {
            version,
            stream,
            tracing_id: None,
            warnings: Vec::new(),
            custom_payload: None,
            response,
        }
    }

    /// Encodes into a raw frame, compressing when `compression` is set (v3/v4).
    ///
    /// # Errors
    /// Warnings in v3, or any body encoding error.
    pub fn to_raw(&self, compression: Option<Compression>) -> Result<RawFrame> {
        if !self.warnings.is_empty() && self.version < ProtocolVersion::V4 {
            return Err(ProtocolError::NotInVersion {
                feature: "warnings",
                version: self.version,
            });
        }
        let mut flags = FrameFlags::default();
        flags.set(FrameFlags::TRACING, self.tracing_id.is_some());
        flags.set(FrameFlags::WARNING, !self.warnings.is_empty());
        flags.set(FrameFlags::CUSTOM_PAYLOAD, self.custom_payload.is_some());
        let mut body = BytesMut::new();
        if let Some(id) = &self.tracing_id {
            types::put_uuid(&mut body, id);
        }
        if !self.warnings.is_empty() {
            types::put_string_list(&mut body, &self.warnings, "warnings")?;
        }
        if let Some(p) = &self.custom_payload {
            types::put_bytes_map(&mut body, p, "custom payload")?;
        }
        self.response.encode_body(self.version, &mut body)?;
        let header = FrameHeader {
            version: self.version,
            direction: Direction::Response,
            flags,
            stream: self.stream,
            opcode: self.response.opcode(),
            body_len: 0,
        };
        finish(header, body, compression)
    }

    /// Encodes and appends the frame bytes to `out`.
    ///
    /// # Errors
    /// Any body encoding error.
    pub fn encode(&self, compression: Option<Compression>, out: &mut BytesMut) -> Result<()> {
        self.to_raw(compression)?.encode(out);
        Ok(())
    }

    /// Cuts one response frame off `src` and decodes it; `Ok(None)` when `src`
    /// does not yet hold a whole frame.
    ///
    /// # Errors
    /// Any header, decompression or body error.
    pub fn decode(
        src: &mut BytesMut,
        compression: Option<Compression>,
        limits: &Limits,
    ) -> Result<Option<Self>> {
        match RawFrame::decode(src, limits.frame_body_bytes_max)? {
            Some(raw) => Self::from_raw(&raw, compression, limits).map(Some),
            None => Ok(None),
        }
    }

    /// Decodes a raw response frame.
    ///
    /// # Errors
    /// Wrong direction, undecompressable or malformed body.
    pub fn from_raw(
        raw: &RawFrame,
        compression: Option<Compression>,
        limits: &Limits,
    ) -> Result<Self> {
        let h = &raw.header;
        if h.direction != Direction::Response {
            return Err(ProtocolError::UnexpectedOpcode { opcode: h.opcode });
        }
        let body = open_body(raw, compression, limits)?;
        let mut r = Reader::new(&body, *limits);
        let tracing_id = if h.flags.contains(FrameFlags::TRACING) {
            Some(r.read_uuid("tracing id")?)
        } else {
            None
        };
        let warnings = if h.flags.contains(FrameFlags::WARNING) {
            r.read_string_list("warnings")?
        } else {
            Vec::new()
        };
        let custom_payload = if h.flags.contains(FrameFlags::CUSTOM_PAYLOAD) {
            Some(r.read_bytes_map("custom payload")?)
        } else {
            None
        };
        let response = Response::decode_body(h.opcode, h.version, &mut r)?;
        Ok(ResponseFrame {
            version: h.version,
            stream: h.stream,
            tracing_id,
            warnings,
            custom_payload,
            response,
        })
    }
}
