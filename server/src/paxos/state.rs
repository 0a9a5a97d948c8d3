//! A replica's Paxos state for one partition, and its byte form.
//!
//! ```text
//! u8 version (1) | u128 promised | u128 committed | u8 has accepted | [u128 ballot | u32 len | update]
//! ```

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::ballot::Ballot;

const VERSION: u8 = 1;

/// What one replica promised, accepted and committed for one partition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaxosState {
    /// The highest ballot promised.
    pub promised: Ballot,
    /// The proposal accepted and not yet known committed: its ballot and the
    /// encoded partition update.
    pub accepted: Option<(Ballot, Bytes)>,
    /// The ballot of the most recent commit applied here.
    pub committed: Ballot,
}

/// State bytes that do not decode.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("malformed paxos state")]
pub struct MalformedState;

impl PaxosState {
    /// The byte form.
    pub fn encode(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(40);
        out.put_u8(VERSION);
        out.put_u128(self.promised.0);
        out.put_u128(self.committed.0);
        put_accepted(&mut out, self.accepted.as_ref());
        out.freeze()
    }

    /// Decodes the byte form.
    ///
    /// # Errors
    /// Truncated, unknown version, or trailing bytes.
    pub fn decode(mut bytes: Bytes) -> Result<Self, MalformedState> {
        if bytes.remaining() < 1 + 16 + 16 || bytes.get_u8() != VERSION {
            return Err(MalformedState);
        }
        let promised = Ballot(bytes.get_u128());
        let committed = Ballot(bytes.get_u128());
        let accepted = get_accepted(&mut bytes).ok_or(MalformedState)?;
        if bytes.has_remaining() {
            return Err(MalformedState);
        }
        Ok(Self {
            promised,
            accepted,
            committed,
        })
    }
}

/// Appends an accepted proposal: `u8 0`, or `u8 1, u128 ballot, u32 len, update`.
pub(super) fn put_accepted(out: &mut BytesMut, accepted: Option<&(Ballot, Bytes)>) {
    match accepted {
        None => out.put_u8(0),
        Some((ballot, update)) => {
            out.put_u8(1);
            out.put_u128(ballot.0);
            out.put_u32(u32::try_from(update.len()).unwrap_or(u32::MAX));
            out.put_slice(update);
        }
    }
}

/// Reads what [`put_accepted`] wrote (`None`: malformed).
pub(super) fn get_accepted(body: &mut Bytes) -> Option<Option<(Ballot, Bytes)>> {
    if body.remaining() < 1 {
        return None;
    }
    match body.get_u8() {
        0 => Some(None),
        1 => {
            if body.remaining() < 20 {
                return None;
            }
            let ballot = Ballot(body.get_u128());
            let len = usize::try_from(body.get_u32()).ok()?;
            if body.remaining() < len {
                return None;
            }
            Some(Some((ballot, body.split_to(len))))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_truncations_fail() {
        let state = PaxosState {
            promised: Ballot(9 << 64),
            accepted: Some((Ballot(8 << 64), Bytes::from_static(b"update"))),
            committed: Ballot(7 << 64),
        };
        let bytes = state.encode();
        assert_eq!(PaxosState::decode(bytes.clone()).unwrap(), state);
        for cut in 0..bytes.len() {
            assert!(PaxosState::decode(bytes.slice(..cut)).is_err());
        }
        let empty = PaxosState::default();
        assert_eq!(PaxosState::decode(empty.encode()).unwrap(), empty);
    }
}
