//! The start of a connection, one request at a time on the bare socket:
//! OPTIONS → SUPPORTED, STARTUP → READY or AUTHENTICATE → AUTH_RESPONSE (SASL
//! PLAIN) → AUTH_SUCCESS. The framing switches exactly where COMPAT §1.3/§3.8
//! say: v4 requests are compressed after READY/AUTHENTICATE (responses may be
//! from READY on); v5 moves both directions to segments on READY/AUTHENTICATE.

use super::tls::ClientStream;
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::client::error::{ClientError, Result};
use crate::client::framing::{FrameReader, FrameWriter};
use crate::client::options::ConnectOptions;
use crate::compression::Compression;
use crate::frame::{ProtocolVersion, RequestFrame, ResponseFrame};
use crate::limits::Limits;
use crate::request::{Request, STARTUP_COMPRESSION, STARTUP_CQL_VERSION};
use crate::response::Response;
use crate::types::{StringMap, StringMultimap};

/// The driver name we send in STARTUP.
pub(crate) const DRIVER_NAME: &str = "Sibyl Rust client";

/// A socket that finished its handshake, with whatever was read past it.
pub(crate) struct Established {
    pub stream: ClientStream,
    pub read_buf: BytesMut,
    pub reader: FrameReader,
    pub writer: FrameWriter,
    pub version: ProtocolVersion,
    pub compression: Option<Compression>,
    pub supported: StringMultimap,
}

struct Handshake {
    stream: ClientStream,
    buf: BytesMut,
    reader: FrameReader,
    writer: FrameWriter,
    version: ProtocolVersion,
    limits: Limits,
    compress_out: Option<Compression>,
    compress_in: Option<Compression>,
}

/// Wraps an error response into [`ClientError::Server`].
pub(crate) fn server_error(response: Response) -> ClientError {
    match response {
        Response::Error(e) => ClientError::Server {
            code: e.kind.code(),
            message: e.message,
            details: e.kind,
        },
        other => unexpected("request", &other),
    }
}

/// [`ClientError::UnexpectedResponse`] with a shortened debug form.
pub(crate) fn unexpected(request: &'static str, response: &Response) -> ClientError {
    let mut text = format!("{response:?}");
    text.truncate(200);
    ClientError::UnexpectedResponse {
        request,
        response: text,
    }
}

impl Handshake {
    async fn round_trip(&mut self, request: Request) -> Result<Response> {
        let raw = RequestFrame::new(self.version, 0, request).to_raw(self.compress_out)?;
        let mut out = BytesMut::new();
        self.writer.write_frames(&[raw.to_bytes()], &mut out)?;
        self.stream.write_all(&out).await?;
        self.stream.flush().await?;
        loop {
            if let Some(raw) = self.reader.next_frame(&mut self.buf)? {
                let frame = ResponseFrame::from_raw(&raw, self.compress_in, &self.limits)?;
                return Ok(frame.response);
            }
            self.buf.reserve(4096);
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(ClientError::Closed(
                    "server closed the connection during the handshake".into(),
                ));
            }
        }
    }

    /// After READY or AUTHENTICATE: compress (v4) or segment (v5) from now on.
    fn switch_framing(&mut self, compression: Option<Compression>) {
        if self.version >= ProtocolVersion::V5 {
            self.reader.enable_segments(compression);
            self.writer.enable_segments(compression);
        } else {
            self.compress_out = compression;
        }
    }

    async fn authenticate(&mut self, options: &ConnectOptions, class: &str) -> Result<()> {
        let Some((user, password)) = &options.credentials else {
            return Err(ClientError::Authentication(format!(
                "remote end requires authentication ({class}) and no credentials were given"
            )));
        };
        let mut token = Vec::with_capacity(user.len() + password.len() + 2);
        token.push(0);
        token.extend_from_slice(user.as_bytes());
        token.push(0);
        token.extend_from_slice(password.as_bytes());
        match self
            .round_trip(Request::AuthResponse(Some(Bytes::from(token))))
            .await?
        {
            Response::AuthSuccess(_) => Ok(()),
            Response::Error(e) => Err(ClientError::Authentication(e.message)),
            other => Err(unexpected("AUTH_RESPONSE", &other)),
        }
    }
}

fn startup_options(supported: &StringMultimap, compression: Option<Compression>) -> StringMap {
    let cql = supported
        .get(STARTUP_CQL_VERSION)
        .and_then(|v| v.first())
        .cloned()
        .unwrap_or_else(|| "3.0.0".into());
    let mut options = StringMap::new();
    options.insert(STARTUP_CQL_VERSION.into(), cql);
    options.insert("DRIVER_NAME".into(), DRIVER_NAME.into());
    options.insert("DRIVER_VERSION".into(), env!("CARGO_PKG_VERSION").into());
    if let Some(c) = compression {
        options.insert(STARTUP_COMPRESSION.into(), c.name().into());
    }
    options
}

fn offered(supported: &StringMultimap, wanted: Option<Compression>) -> Option<Compression> {
    let c = wanted?;
    let listed = supported
        .get(STARTUP_COMPRESSION)
        .is_some_and(|names| names.iter().any(|n| Compression::from_name(n) == Some(c)));
    if !listed {
        tracing::warn!(
            compression = c.name(),
            "server does not offer it; uncompressed"
        );
    }
    listed.then_some(c)
}

/// Runs the handshake at `version` on a fresh socket.
pub(crate) async fn handshake(
    stream: ClientStream,
    version: ProtocolVersion,
    options: &ConnectOptions,
) -> Result<Established> {
    let mut h = Handshake {
        stream,
        buf: BytesMut::new(),
        reader: FrameReader::new(options.limits),
        writer: FrameWriter::new(),
        version,
        limits: options.limits,
        compress_out: None,
        compress_in: None,
    };
    let supported = match h.round_trip(Request::Options).await? {
        Response::Supported(s) => s,
        other @ Response::Error(_) => return Err(server_error(other)),
        other => return Err(unexpected("OPTIONS", &other)),
    };
    let compression = offered(&supported, options.compression);
    // The server may compress v4 responses from READY on.
    if version < ProtocolVersion::V5 {
        h.compress_in = compression;
    }
    let startup = startup_options(&supported, compression);
    match h.round_trip(Request::Startup(startup)).await? {
        Response::Ready => h.switch_framing(compression),
        Response::Authenticate(class) => {
            h.switch_framing(compression);
            h.authenticate(options, &class).await?;
        }
        other @ Response::Error(_) => return Err(server_error(other)),
        other => return Err(unexpected("STARTUP", &other)),
    }
    Ok(Established {
        stream: h.stream,
        read_buf: h.buf,
        reader: h.reader,
        writer: h.writer,
        version,
        compression,
        supported,
    })
}
