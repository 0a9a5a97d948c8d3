//! The async client against an in-process fake server (tokio, 127.0.0.1 only)
//! that answers with the crate's own codecs: version negotiation, SASL PLAIN,
//! concurrent streams answered out of order, timeouts, a dying socket, paging,
//! prepared statements, batches, events, v4 LZ4 and v5 segment framing.
//! Every wait is bounded.

#[cfg(test)]
mod client {
    pub mod basics;
    pub mod framing;
    pub mod server;
    pub mod session;
}
