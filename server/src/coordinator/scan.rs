//! Range reads: the requested token range is cut along the ring into
//! segments `(previous token, token]`, neighbouring segments asked of the
//! same replicas are joined, and each piece is asked of the level's replicas
//! in token order until the page is full. Replicas' pages are merged by
//! partition; a replica whose page was full is exact only up to its last
//! partition, so the merged page stops there.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::Instant;

use sibyl_storage::model::reconcile::merge_partitions;
use sibyl_storage::model::{Partition, PartitionKey};
use sibyl_storage::sstable::scanner::{ScanEnd, ScanStart};
use sibyl_storage::{ScanPage, ScanRange};

use super::messages::{RangeCommand, decode_range_response};
use super::plan::{Replica, check_alive, read_targets, requirement};
use super::{Coordinator, RequestScope, read_failure, read_timeout, unavailable};
use crate::error::RequestError;
use crate::net::Verb;
use crate::schema::TableMetadata;
use crate::storage::{engine_id, request_error};

/// The lowest token a start admits (`None`: nothing).
fn start_token(start: &ScanStart) -> Option<i64> {
    match start {
        ScanStart::Unbounded => Some(i64::MIN),
        ScanStart::Token { token, inclusive } => {
            if *inclusive {
                Some(*token)
            } else {
                token.checked_add(1)
            }
        }
        ScanStart::AfterKey(key) => Some(key.token().0),
    }
}

/// The highest token an end admits (`None`: nothing).
fn end_token(end: &ScanEnd) -> Option<i64> {
    match end {
        ScanEnd::Unbounded => Some(i64::MAX),
        ScanEnd::Token { token, inclusive } => {
            if *inclusive {
                Some(*token)
            } else {
                token.checked_sub(1)
            }
        }
    }
}

/// One piece of the request and who is asked for it.
struct Piece {
    range: ScanRange,
    targets: Vec<Replica>,
}

impl Coordinator {
    /// Up to `partitions_max` partitions of `range` in token order, at `now_s`.
    ///
    /// # Errors
    /// Unavailable, ReadTimeout, ReadFailure, or storage errors.
    pub fn scan(
        &self,
        table: &TableMetadata,
        range: &ScanRange,
        now_s: u32,
        partitions_max: usize,
        scope: RequestScope,
    ) -> Result<ScanPage, RequestError> {
        if matches!(
            scope.consistency,
            sibyl_protocol::types::Consistency::Serial
                | sibyl_protocol::types::Consistency::LocalSerial
        ) {
            return Err(RequestError::invalid(
                "SERIAL/LOCAL_SERIAL consistency may only be requested for one partition at a time",
            ));
        }
        let pieces = self.pieces(table, range, scope)?;
        let mut out: Vec<Partition> = Vec::new();
        for piece in pieces {
            let want = partitions_max.saturating_sub(out.len());
            if want == 0 {
                break;
            }
            let page = self.scan_piece(table, &piece, now_s, want, scope)?;
            let full = page.next.is_some();
            out.extend(page.partitions);
            if full || out.len() >= partitions_max {
                let next = out.last().map(|p| p.key.clone());
                return Ok(ScanPage {
                    partitions: out,
                    next,
                });
            }
        }
        Ok(ScanPage {
            partitions: out,
            next: None,
        })
    }

    /// The request cut along the ring, joined where the targets agree.
    fn pieces(
        &self,
        table: &TableMetadata,
        range: &ScanRange,
        scope: RequestScope,
    ) -> Result<Vec<Piece>, RequestError> {
        let view = self.topology.current();
        let replication = self.replication(table);
        let req = requirement(
            scope.consistency,
            &replication,
            &view.local_dc,
            view.node_count(),
            false,
        )?;
        let (Some(lo), Some(hi)) = (start_token(&range.start), end_token(&range.end)) else {
            return Ok(Vec::new());
        };
        let ring: Vec<i64> = view.ring.tokens().iter().map(|(t, _)| *t).collect();
        let first = ring.first().copied().unwrap_or(i64::MAX);
        // Segments (previous, token], then the wrap-around tail (last, MAX].
        let mut bounds: Vec<(Option<i64>, Option<i64>, i64)> = Vec::new();
        let mut previous = None;
        for t in &ring {
            bounds.push((previous, Some(*t), *t));
            previous = Some(*t);
        }
        bounds.push((previous, None, first));
        let mut pieces: Vec<Piece> = Vec::new();
        for (seg_lo, seg_hi, owner_token) in bounds {
            let seg_first = seg_lo.map_or(Some(i64::MIN), |l| l.checked_add(1));
            let Some(seg_first) = seg_first else { continue };
            let seg_last = seg_hi.unwrap_or(i64::MAX);
            if seg_last < lo || seg_first > hi {
                continue;
            }
            let start = if lo >= seg_first {
                range.start.clone()
            } else {
                seg_lo.map_or(ScanStart::Unbounded, |token| ScanStart::Token {
                    token,
                    inclusive: false,
                })
            };
            let end = if hi <= seg_last {
                range.end.clone()
            } else {
                seg_hi.map_or(ScanEnd::Unbounded, |token| ScanEnd::Token {
                    token,
                    inclusive: true,
                })
            };
            let replicas = view.replicas(&replication, owner_token);
            if let Err(u) = check_alive(&req, &replicas, &view.local_dc) {
                return Err(unavailable(scope.consistency, u.required, u.alive));
            }
            let targets = read_targets(&req, &replicas, &view.local_dc);
            let hosts = |t: &[Replica]| t.iter().map(|r| r.host).collect::<Vec<_>>();
            if let Some(last) = pieces.last_mut()
                && hosts(&last.targets) == hosts(&targets)
            {
                last.range.end = end;
                continue;
            }
            pieces.push(Piece {
                range: ScanRange { start, end },
                targets,
            });
        }
        Ok(pieces)
    }

    /// Sends the piece's range request to its remote targets.
    fn send_range(
        &self,
        table: &TableMetadata,
        piece: &Piece,
        now_s: u32,
        want: usize,
        scope: RequestScope,
    ) -> Result<mpsc::Receiver<(usize, Option<ScanPage>)>, RequestError> {
        let (tx, rx) = mpsc::channel();
        let body = RangeCommand {
            table: engine_id(table),
            range: piece.range.clone(),
            now_s,
            partitions_max: u32::try_from(want).unwrap_or(u32::MAX),
        }
        .encode();
        let timeout = scope.deadline.saturating_duration_since(Instant::now());
        for (j, replica) in piece.targets.iter().enumerate() {
            if replica.is_local {
                continue;
            }
            let tx = tx.clone();
            self.messaging()?.request(
                replica.address,
                Verb::RangeReq,
                body.clone(),
                timeout,
                Box::new(move |result| {
                    let page = match result {
                        Ok(frame) if frame.verb == Verb::RangeRsp => {
                            decode_range_response(frame.body).ok()
                        }
                        Ok(_) => None,
                        Err(_) => return,
                    };
                    let _ = tx.send((j, page));
                }),
            );
        }
        Ok(rx)
    }
}

impl Coordinator {
    fn scan_piece(
        &self,
        table: &TableMetadata,
        piece: &Piece,
        now_s: u32,
        want: usize,
        scope: RequestScope,
    ) -> Result<ScanPage, RequestError> {
        let local_scan = || {
            self.store
                .table(table)?
                .scan(&piece.range, now_s, want)
                .map_err(|e| request_error(&e))
        };
        if let [only] = piece.targets.as_slice()
            && only.is_local
        {
            let page = local_scan()?;
            // An answer that comes after the deadline is no answer.
            if Instant::now() > scope.deadline {
                return Err(read_timeout(scope.consistency, 0, 1));
            }
            return Ok(page);
        }
        let rx = self.send_range(table, piece, now_s, want, scope)?;
        let mut pages: Vec<ScanPage> = Vec::new();
        if piece.targets.iter().any(|r| r.is_local) {
            pages.push(local_scan()?);
        }
        let mut failed = Vec::new();
        while pages.len() + failed.len() < piece.targets.len() {
            let left = scope.deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok((_, Some(page))) => pages.push(page),
                Ok((j, None)) => failed.extend(piece.targets.get(j).map(|r| r.address)),
                Err(_) => {
                    return Err(read_timeout(
                        scope.consistency,
                        pages.len(),
                        piece.targets.len(),
                    ));
                }
            }
        }
        if !failed.is_empty() {
            return Err(read_failure(
                scope.consistency,
                pages.len(),
                piece.targets.len(),
                &failed,
            ));
        }
        Ok(merge_pages(pages))
    }
}

/// Merges replicas' pages of one range: exact up to the smallest last key
/// of the full pages.
fn merge_pages(pages: Vec<ScanPage>) -> ScanPage {
    let cut: Option<PartitionKey> = pages
        .iter()
        .filter(|p| p.next.is_some())
        .filter_map(|p| p.partitions.last().map(|x| x.key.clone()))
        .min();
    let mut merged: BTreeMap<PartitionKey, Partition> = BTreeMap::new();
    for page in pages {
        for p in page.partitions {
            if cut.as_ref().is_some_and(|c| p.key > *c) {
                continue;
            }
            match merged.remove(&p.key) {
                Some(existing) => {
                    merged.insert(p.key.clone(), merge_partitions(&existing, &p));
                }
                None => {
                    merged.insert(p.key.clone(), p);
                }
            }
        }
    }
    ScanPage {
        partitions: merged.into_values().collect(),
        next: cut,
    }
}
