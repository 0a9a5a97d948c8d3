//! Commitlog segments written through a memory map on the real file system:
//! full-size files, closed segments cut to their last record, a crash's
//! zero tail replayed cleanly and cut off, and the next replay (with newer
//! segments) still clean.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use super::CommitLog;
use super::segment::segment_file_name;
use crate::config::{CommitlogConfig, CommitlogSync};
use crate::error::Error;
use crate::fs::{FileSystem, StdFs};
use crate::model::{Cell, ClusteringKey, PartitionKey, PartitionUpdate, Row, TableId};

const SEGMENT: u64 = 8192;

fn config(dir: &Path) -> CommitlogConfig {
    let mut c = CommitlogConfig::new(dir.to_path_buf());
    c.segment_size_bytes = SEGMENT;
    c.record_bytes_max = SEGMENT / 2;
    c.sync = CommitlogSync::Periodic { period_ms: 60_000 };
    c
}

fn update(n: u64) -> PartitionUpdate {
    let key = PartitionKey::new(Bytes::from(format!("key{n}")));
    let row = Row::new(ClusteringKey::new(n.to_be_bytes().to_vec())).with_cell(Cell::live(
        0,
        i64::try_from(n).unwrap(),
        Bytes::from(vec![3u8; 150]),
    ));
    PartitionUpdate::new(TableId(1), key).with_row(row)
}

fn open(dir: &Path) -> crate::Result<(CommitLog, Vec<PartitionUpdate>)> {
    let mut seen = Vec::new();
    let fs: Arc<dyn FileSystem> = Arc::new(StdFs);
    let (log, _) = CommitLog::open(fs, config(dir), 0, |_, u| {
        seen.push(u);
        Ok(())
    })?;
    Ok((log, seen))
}

fn len_of(dir: &Path, id: u64) -> u64 {
    std::fs::metadata(dir.join(segment_file_name(id)))
        .unwrap()
        .len()
}

#[test]
fn mapped_segments_survive_a_process_crash_and_a_second_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (log, seen) = open(dir).unwrap();
    assert!(seen.is_empty());
    let mut last = None;
    for n in 0..200 {
        last = Some(log.append(&update(n)).unwrap());
    }
    let ids = log.segment_ids();
    assert!(ids.len() > 3, "small segments roll over: {ids:?}");
    let (closed, active) = ids.split_at(ids.len() - 1);
    assert_eq!(
        len_of(dir, active[0]),
        SEGMENT,
        "the active segment is full size"
    );
    assert!(
        closed.iter().all(|&id| len_of(dir, id) < SEGMENT),
        "closed segments end at their last record"
    );
    let last = last.unwrap();
    assert_eq!(last.segment, active[0]);
    // Dropped without close or sync: a process crash. The bytes are in the
    // page cache, so nothing appended is lost.
    drop(log);
    let (log, seen) = open(dir).unwrap();
    assert_eq!(seen, (0..200).map(update).collect::<Vec<_>>());
    assert_eq!(
        len_of(dir, active[0]),
        last.offset,
        "the crashed segment's zero tail is cut off at open"
    );
    for n in 200..250 {
        log.append(&update(n)).unwrap();
    }
    drop(log);
    // Now newer segments with records exist after the crashed one: it must
    // still replay cleanly.
    let (_log, seen) = open(dir).unwrap();
    assert_eq!(seen, (0..250).map(update).collect::<Vec<_>>());
}

#[test]
fn zeroed_bytes_inside_an_older_segment_are_still_corruption() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (log, _) = open(dir).unwrap();
    for n in 0..100 {
        log.append(&update(n)).unwrap();
    }
    let first = log.segment_ids()[0];
    log.close().unwrap();
    drop(log);
    // Zero the end of a closed segment: records lost from the middle of the
    // log, which no crash explains.
    let path = dir.join(segment_file_name(first));
    let mut bytes = std::fs::read(&path).unwrap();
    let cut = bytes.len() - 100;
    bytes[cut..].fill(0);
    std::fs::write(&path, bytes).unwrap();
    match open(dir) {
        Err(Error::Corruption { .. }) => {}
        other => panic!("expected corruption, got {:?}", other.map(|(_, s)| s.len())),
    }
}
