//! Bodies of the Paxos verbs, sans IO.
//!
//! ```text
//! PAXOS_PREPARE_REQ  u128 ballot | READ_REQ body (the read merged into the prepare)
//! PAXOS_PREPARE_RSP  u8 0, u128 promised (refused)
//!                  | u8 1, u128 committed, u8 0 | u8 1, u128 ballot, u32 len, update ; READ_RSP body
//! PAXOS_PROPOSE_REQ  u128 ballot | u8 flags | update
//!                    (flags bit 0: commit on accept; other bits must be 0)
//! PAXOS_PROPOSE_RSP  u8 0, u128 promised (refused) | u8 1 (accepted) | u8 2 (accepted, committed)
//! PAXOS_COMMIT_REQ   u128 ballot | update       PAXOS_COMMIT_RSP   (empty)
//! ```
//!
//! "Commit on accept" is the proposer telling the replica that the proposal
//! is chosen as soon as this replica accepts it: the proposer (itself a
//! participant) accepted it first at the same ballot, and two accepts make
//! a quorum of the round's participants (`docs/paxos.md`, "Learning the
//! choice on accept"). Every decoder checks lengths and refuses unknown
//! flags and kinds with [`MalformedMessage`].

use bytes::{Buf, BufMut, Bytes, BytesMut};
use sibyl_storage::model::Partition;

use super::ballot::Ballot;
use super::state::{get_accepted, put_accepted};
use super::store::{PrepareOutcome, ProposeOutcome};
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

/// Flag bit of a PROPOSE request: the proposal is chosen once accepted here.
const COMMIT_ON_ACCEPT: u8 = 1;

/// A proposal (PAXOS_PROPOSE_REQ).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposeRequest {
    /// The ballot.
    pub ballot: Ballot,
    /// Whether accepting it makes it chosen, so the replica commits it at
    /// once (the proposer accepted it already and two accepts are a quorum).
    pub commit_on_accept: bool,
    /// The encoded partition update.
    pub update: Bytes,
}

impl ProposeRequest {
    /// The body.
    pub fn encode(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(17 + self.update.len());
        out.put_u128(self.ballot.0);
        out.put_u8(if self.commit_on_accept {
            COMMIT_ON_ACCEPT
        } else {
            0
        });
        out.put_slice(&self.update);
        out.freeze()
    }

    /// Decodes a body.
    ///
    /// # Errors
    /// Fewer than 17 bytes, or unknown flag bits.
    pub fn decode(mut body: Bytes) -> Result<Self, MalformedMessage> {
        if body.remaining() < 17 {
            return Err(MalformedMessage("PAXOS_PROPOSE_REQ"));
        }
        let ballot = Ballot(body.get_u128());
        let flags = body.get_u8();
        if flags & !COMMIT_ON_ACCEPT != 0 {
            return Err(MalformedMessage("PAXOS_PROPOSE_REQ flags"));
        }
        Ok(Self {
            ballot,
            commit_on_accept: flags & COMMIT_ON_ACCEPT != 0,
            update: body,
        })
    }
}

/// A ballot and an encoded update (COMMIT requests).
pub fn encode_commit(ballot: Ballot, update: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(16 + update.len());
    out.put_u128(ballot.0);
    out.put_slice(update);
    out.freeze()
}

/// Decodes a COMMIT request.
///
/// # Errors
/// Fewer than 16 bytes.
pub fn decode_commit(mut body: Bytes) -> Result<(Ballot, Bytes), MalformedMessage> {
    if body.remaining() < 16 {
        return Err(MalformedMessage("PAXOS_COMMIT_REQ"));
    }
    let ballot = Ballot(body.get_u128());
    Ok((ballot, body))
}

/// The PROPOSE response.
pub fn encode_propose_response(outcome: ProposeOutcome) -> Bytes {
    let mut out = BytesMut::with_capacity(17);
    match outcome {
        ProposeOutcome::Refused { promised } => {
            out.put_u8(0);
            out.put_u128(promised.0);
        }
        ProposeOutcome::Accepted => out.put_u8(1),
        ProposeOutcome::Committed => out.put_u8(2),
    }
    out.freeze()
}

/// Decodes a PROPOSE response.
///
/// # Errors
/// An unknown kind, or a length other than the kind's.
pub fn decode_propose_response(mut body: Bytes) -> Result<ProposeOutcome, MalformedMessage> {
    let bad = || MalformedMessage("PAXOS_PROPOSE_RSP");
    if !body.has_remaining() {
        return Err(bad());
    }
    let outcome = match body.get_u8() {
        0 if body.remaining() == 16 => ProposeOutcome::Refused {
            promised: Ballot(body.get_u128()),
        },
        1 if !body.has_remaining() => ProposeOutcome::Accepted,
        2 if !body.has_remaining() => ProposeOutcome::Committed,
        _ => return Err(bad()),
    };
    Ok(outcome)
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
        let (b, u) = decode_commit(encode_commit(Ballot(7), b"xyz")).unwrap();
        assert_eq!((b, &u[..]), (Ballot(7), &b"xyz"[..]));
        assert!(decode_commit(Bytes::from_static(&[0; 15])).is_err());
    }

    #[test]
    fn proposals_round_trip_with_their_flag_and_truncations_fail() {
        for commit_on_accept in [false, true] {
            for update in [&b""[..], b"update"] {
                let propose = ProposeRequest {
                    ballot: Ballot((6 << 64) | 3),
                    commit_on_accept,
                    update: Bytes::copy_from_slice(update),
                };
                let bytes = propose.encode();
                assert_eq!(bytes.len(), 17 + update.len());
                assert_eq!(ProposeRequest::decode(bytes.clone()).unwrap(), propose);
                for cut in 0..17 {
                    assert_eq!(
                        ProposeRequest::decode(bytes.slice(..cut)),
                        Err(MalformedMessage("PAXOS_PROPOSE_REQ"))
                    );
                }
            }
        }
        let mut unknown_flag = BytesMut::new();
        unknown_flag.put_u128(1);
        unknown_flag.put_u8(2);
        assert_eq!(
            ProposeRequest::decode(unknown_flag.freeze()),
            Err(MalformedMessage("PAXOS_PROPOSE_REQ flags"))
        );
    }

    #[test]
    fn propose_outcomes_round_trip_and_bad_lengths_or_kinds_fail() {
        let outcomes = [
            ProposeOutcome::Refused {
                promised: Ballot((9 << 64) | 1),
            },
            ProposeOutcome::Accepted,
            ProposeOutcome::Committed,
        ];
        for outcome in outcomes {
            let bytes = encode_propose_response(outcome);
            assert_eq!(decode_propose_response(bytes.clone()).unwrap(), outcome);
            for cut in 0..bytes.len() {
                assert!(decode_propose_response(bytes.slice(..cut)).is_err());
            }
            let mut longer = BytesMut::from(&bytes[..]);
            longer.put_u8(0);
            assert!(decode_propose_response(longer.freeze()).is_err());
        }
        assert!(decode_propose_response(Bytes::from_static(&[3])).is_err());
    }
}
