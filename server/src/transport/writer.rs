//! A connection's writer task: the only code that writes to the socket.
//!
//! Messages arrive on a bounded channel (so a client that stops reading
//! slows its own request tasks, never the node's memory); the writer drains
//! what is queued, encodes it (v4 body compression, or v5 segments once the
//! handshake switched the connection) and writes it in one go.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use sibyl_protocol::ResponseFrame;
use sibyl_protocol::compression::Compression;
use sibyl_protocol::limits::SEGMENT_PAYLOAD_BYTES_MAX;
use sibyl_protocol::response::{ErrorKind, ErrorResponse, Response};
use sibyl_protocol::segment::SegmentCodec;
use tokio::io::AsyncWriteExt;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

/// Messages queued per write, at most.
const WRITE_BATCH_MESSAGES_MAX: usize = 128;

/// The connection's request permits: fewer available than `max` means
/// requests are being served, and their answers will follow.
#[derive(Clone, Debug)]
pub struct InFlight {
    /// The connection's request permits.
    pub permits: Arc<Semaphore>,
    /// How many there are when none is taken.
    pub max: usize,
}

impl InFlight {
    fn any(&self) -> bool {
        self.permits.available_permits() < self.max
    }
}

/// What the writer is asked to do.
#[derive(Debug)]
pub enum Outgoing {
    /// Encode and send a response frame.
    Frame(Box<ResponseFrame>),
    /// Send bytes as they are (the version-negotiation reply).
    Raw(Bytes),
    /// From now on use this compression, and v5 segments when `segments`.
    Mode {
        /// Negotiated compression.
        compression: Option<Compression>,
        /// Wrap frames in v5 segments.
        segments: bool,
    },
}

/// The write half of a client connection: TCP, or TCP under TLS.
pub type BoxedWrite = Box<dyn tokio::io::AsyncWrite + Send + Unpin>;

/// The connection's handle on its writer task.
#[derive(Debug)]
pub struct WriterHandle {
    sender: Option<mpsc::Sender<Outgoing>>,
    task: Option<JoinHandle<()>>,
}

impl WriterHandle {
    /// Starts the writer task on the socket's write half; `in_flight` tells
    /// whether more answers are on their way (requests being served).
    pub fn spawn(socket: BoxedWrite, queue_max: usize, in_flight: InFlight) -> Self {
        let (sender, receiver) = mpsc::channel(queue_max.max(1));
        let task = tokio::spawn(write_loop(socket, receiver, in_flight));
        Self {
            sender: Some(sender),
            task: Some(task),
        }
    }

    /// A sender for request tasks.
    pub fn sender(&self) -> mpsc::Sender<Outgoing> {
        match &self.sender {
            Some(sender) => sender.clone(),
            // After close nobody may send; a closed channel makes sends fail quietly.
            None => mpsc::channel(1).0,
        }
    }

    /// Queues a message, waiting while the queue is full.
    pub async fn send(&self, message: Outgoing) {
        if let Some(sender) = &self.sender {
            let _ = sender.send(message).await;
        }
    }

    /// Queues raw bytes without waiting (used before anything else was queued).
    pub fn send_raw(&self, bytes: Bytes) {
        if let Some(sender) = &self.sender {
            let _ = sender.try_send(Outgoing::Raw(bytes));
        }
    }

    /// Lets the writer send what is queued, then waits for it to close the socket.
    pub async fn close(&mut self) {
        self.sender = None;
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for WriterHandle {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Encoding state of the write direction.
struct Encoder {
    compression: Option<Compression>,
    segments: Option<SegmentCodec>,
    /// Encoded frames waiting to be wrapped into one self-contained segment.
    pending_frames: BytesMut,
}

impl Encoder {
    fn push(&mut self, message: Outgoing, out: &mut BytesMut) {
        match message {
            Outgoing::Raw(bytes) => out.extend_from_slice(&bytes),
            Outgoing::Mode {
                compression,
                segments,
            } => {
                self.flush_segment(out);
                self.compression = compression;
                self.segments = segments.then(|| SegmentCodec::new(compression));
            }
            Outgoing::Frame(frame) => {
                let mut encoded = BytesMut::new();
                // In v5 compression is per segment, so frames themselves go uncompressed.
                let frame_compression = if self.segments.is_some() {
                    None
                } else {
                    self.compression
                };
                if let Err(e) = frame.encode(frame_compression, &mut encoded) {
                    tracing::error!(stream = frame.stream, error = %e, "response could not be encoded");
                    encoded.clear();
                    let error = ErrorResponse {
                        kind: ErrorKind::Server,
                        message: format!("response could not be encoded: {e}"),
                    };
                    let fallback =
                        ResponseFrame::new(frame.version, frame.stream, Response::Error(error));
                    if fallback.encode(frame_compression, &mut encoded).is_err() {
                        return;
                    }
                }
                self.push_encoded(&encoded, out);
            }
        }
    }

    fn push_encoded(&mut self, encoded: &[u8], out: &mut BytesMut) {
        let Some(codec) = self.segments else {
            out.extend_from_slice(encoded);
            return;
        };
        if self.pending_frames.len() + encoded.len() > SEGMENT_PAYLOAD_BYTES_MAX {
            self.flush_segment(out);
        }
        if encoded.len() > SEGMENT_PAYLOAD_BYTES_MAX {
            // A large frame travels alone in non-self-contained segments.
            if let Err(e) = codec.encode(encoded, out) {
                tracing::error!(error = %e, "segment encoding failed");
            }
        } else {
            self.pending_frames.extend_from_slice(encoded);
        }
    }

    fn flush_segment(&mut self, out: &mut BytesMut) {
        if self.pending_frames.is_empty() {
            return;
        }
        if let Some(codec) = self.segments
            && let Err(e) = codec.encode(&self.pending_frames, out)
        {
            tracing::error!(error = %e, "segment encoding failed");
        }
        self.pending_frames.clear();
    }
}

async fn write_loop(
    mut socket: BoxedWrite,
    mut receiver: mpsc::Receiver<Outgoing>,
    in_flight: InFlight,
) {
    let mut encoder = Encoder {
        compression: None,
        segments: None,
        pending_frames: BytesMut::new(),
    };
    let mut out = BytesMut::with_capacity(16 * 1024);
    while let Some(first) = receiver.recv().await {
        encoder.push(first, &mut out);
        if receiver.is_empty() && in_flight.any() {
            // Other requests are being served: let them finish first, so that
            // their answers share this write. Woken by the first answer, the
            // writer otherwise ran right after it (the runtime runs next the
            // task a worker wakes) and sent about one answer per system call.
            // A lone request is answered at once.
            tokio::task::yield_now().await;
        }
        for _ in 1..WRITE_BATCH_MESSAGES_MAX {
            match receiver.try_recv() {
                Ok(message) => encoder.push(message, &mut out),
                Err(_) => break,
            }
        }
        encoder.flush_segment(&mut out);
        // flush: a TLS stream may hold encrypted bytes until flushed (a no-op on TCP).
        if socket.write_all(&out).await.is_err() || socket.flush().await.is_err() {
            return;
        }
        out.clear();
    }
    let _ = socket.shutdown().await;
}
