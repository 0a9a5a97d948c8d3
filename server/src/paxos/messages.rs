//! Bodies of the Paxos verbs, sans IO.
//!
//! ```text
//! PAXOS_PREPARE_REQ  u128 ballot | READ_REQ body (the read merged into the prepare)
//! PAXOS_PREPARE_RSP  u8 0, u128 promised (refused)
//!                  | u8 1, u128 committed, u8 0 | u8 1, u128 ballot, u32 len, update ; READ_RSP body
//! PAXOS_PROPOSE_REQ  u128 ballot | update       PAXOS_PROPOSE_RSP  u8 accepted | u128 promised
//! PAXOS_COMMIT_REQ   u128 ballot | update       PAXOS_COMMIT_RSP   (empty)
//! ```

use bytes::{Buf, BufMut, Bytes, BytesMut};
use sibyl_storage::model::Partition;

use super::ballot::Ballot;
use super::state::{get_accepted, put_accepted};
use super::store::PrepareOutcome;
use crate::coordinator::messages::{
    MalformedMessage, ReadCommand, decode_read_response, encode_read_response,
};

/// A prepare with its read.
#[derive(Clone, Debug, PartialEq)]
pub struct PrepareRequest {
    /// The ballot.
    pub ballot: Ballot,
    /// The read of the partition's current rows.
    pub read: ReadCommand,
}

impl PrepareRequest {
    /// The body.
    pub fn encode(&self) -> Bytes {
        let read = self.read.encode();
        let mut out = BytesMut::with_capacity(16 + read.len());
        out.put_u128(self.ballot.0);
        out.put_slice(&read);
        out.freeze()
    }

    /// Decodes a body.
    ///
    /// # Errors
    /// Malformed bytes.
    pub fn decode(mut body: Bytes) -> Result<Self, MalformedMessage> {
        if body.remaining() < 16 {
            return Err(MalformedMessage("PAXOS_PREPARE_REQ"));
        }
        let ballot = Ballot(body.get_u128());
        Ok(Self {
            ballot,
            read: ReadCommand::decode(body)?,
        })
    }
}

/// A replica's answer to a prepare: its outcome and, when promised, its data.
#[derive(Clone, Debug, PartialEq)]
pub struct PrepareResponse {
    /// Promise or refusal.
    pub outcome: PrepareOutcome,
    /// The partition's rows (promises only).
    pub data: Option<Partition>,
}

impl PrepareResponse {
    /// The body.
    pub fn encode(&self, table: sibyl_storage::model::TableId) -> Bytes {
        let mut out = BytesMut::new();
        match &self.outcome {
            PrepareOutcome::Reject { promised } => {
                out.put_u8(0);
                out.put_u128(promised.0);
            }
            PrepareOutcome::Promise {
                accepted,
                committed,
            } => {
                out.put_u8(1);
                out.put_u128(committed.0);
                put_accepted(&mut out, accepted.as_ref());
                out.put_slice(&encode_read_response(table, self.data.as_ref()));
            }
        }
        out.freeze()
    }

    /// Decodes a body.
    ///
    /// # Errors
    /// Malformed bytes.
    pub fn decode(mut body: Bytes) -> Result<Self, MalformedMessage> {
        let bad = || MalformedMessage("PAXOS_PREPARE_RSP");
        if body.remaining() < 17 {
            return Err(bad());
        }
        let kind = body.get_u8();
        let ballot = Ballot(body.get_u128());
        if kind == 0 {
            return Ok(Self {
                outcome: PrepareOutcome::Reject { promised: ballot },
                data: None,
            });
        }
        let accepted = get_accepted(&mut body).ok_or_else(bad)?;
        let data = decode_read_response(body)?;
        Ok(Self {
            outcome: PrepareOutcome::Promise {
                accepted,
                committed: ballot,
            },
            data,
        })
    }
}

/// A ballot and an encoded update (PROPOSE and COMMIT requests).
pub fn encode_proposal(ballot: Ballot, update: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(16 + update.len());
    out.put_u128(ballot.0);
    out.put_slice(update);
    out.freeze()
}

/// Decodes a PROPOSE or COMMIT request.
///
/// # Errors
/// Fewer than 16 bytes.
pub fn decode_proposal(mut body: Bytes) -> Result<(Ballot, Bytes), MalformedMessage> {
    if body.remaining() < 16 {
        return Err(MalformedMessage("PAXOS proposal"));
    }
    let ballot = Ballot(body.get_u128());
    Ok((ballot, body))
}

/// The PROPOSE response.
pub fn encode_propose_response(accepted: bool, promised: Ballot) -> Bytes {
    let mut out = BytesMut::with_capacity(17);
    out.put_u8(u8::from(accepted));
    out.put_u128(promised.0);
    out.freeze()
}

/// Decodes a PROPOSE response.
///
/// # Errors
/// Not 17 bytes.
pub fn decode_propose_response(mut body: Bytes) -> Result<(bool, Ballot), MalformedMessage> {
    if body.remaining() != 17 {
        return Err(MalformedMessage("PAXOS_PROPOSE_RSP"));
    }
    let accepted = body.get_u8() != 0;
    Ok((accepted, Ballot(body.get_u128())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sibyl_storage::model::{PartitionKey, Slices, TableId};

    #[test]
    fn paxos_messages_round_trip() {
        let read = ReadCommand {
            table: TableId(3),
            key: PartitionKey::new(Bytes::from_static(b"k")),
            slices: Slices::all(),
            now_s: 1,
            digest: false,
        };
        let prepare = PrepareRequest {
            ballot: Ballot(5 << 64),
            read,
        };
        assert_eq!(PrepareRequest::decode(prepare.encode()).unwrap(), prepare);
        let promise = PrepareResponse {
            outcome: PrepareOutcome::Promise {
                accepted: Some((Ballot(4 << 64), Bytes::from_static(b"u"))),
                committed: Ballot(3 << 64),
            },
            data: Some(Partition::new(PartitionKey::new(Bytes::from_static(b"k")))),
        };
        let bytes = promise.encode(TableId(3));
        assert_eq!(PrepareResponse::decode(bytes.clone()).unwrap(), promise);
        for cut in 0..bytes.len() {
            assert!(PrepareResponse::decode(bytes.slice(..cut)).is_err());
        }
        let reject = PrepareResponse {
            outcome: PrepareOutcome::Reject {
                promised: Ballot(9),
            },
            data: None,
        };
        assert_eq!(
            PrepareResponse::decode(reject.encode(TableId(3))).unwrap(),
            reject
        );
        let (b, u) = decode_proposal(encode_proposal(Ballot(7), b"xyz")).unwrap();
        assert_eq!((b, &u[..]), (Ballot(7), &b"xyz"[..]));
        assert_eq!(
            decode_propose_response(encode_propose_response(true, Ballot(2))).unwrap(),
            (true, Ballot(2))
        );
    }
}
