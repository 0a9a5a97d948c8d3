//! Goal: whatever the writer accepts reads back identical, by point reads, slices
//! (forward and reversed with limits) and token-range scans. Method: random partitions
//! from the model's strategies, written with tiny chunks and row-index blocks so every
//! partition spans chunks and blocks.

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;

use super::{normalise, write_and_open};
use crate::model::testing::{bound, update_of};
use crate::model::{Partition, PartitionKey, Slice, Slices};
use crate::sstable::reader::PartitionFilter;
use crate::sstable::rows::PartitionRows;
use crate::sstable::scanner::{ScanEnd, ScanStart, Scanner};
use crate::sstable::writer::WriterOptions;

fn small_options() -> WriterOptions {
    WriterOptions {
        chunk_bytes: 1024,
        row_index_block_bytes: 40,
        ..WriterOptions::default()
    }
}

fn partitions() -> impl Strategy<Value = Vec<Partition>> {
    let one = (0u32..48).prop_flat_map(|k| {
        update_of(PartitionKey::new(Bytes::from(format!("key-{k}"))))
            .prop_map(|u| Partition::from_update(&u))
    });
    vec(one, 0..24).prop_map(normalise)
}

fn slices() -> impl Strategy<Value = Slices> {
    vec((bound(true), bound(false)), 0..3).prop_map(|v| {
        Slices::new(
            v.into_iter()
                .map(|(start, end)| Slice { start, end })
                .collect(),
        )
    })
}

fn expected(p: &Partition, filter: &PartitionFilter) -> Partition {
    let mut out = p.clone();
    out.rows.retain(|r| filter.slices.contains(&r.clustering));
    if let Some(limit) = filter.row_limit {
        let n = out.rows.len();
        if filter.reversed {
            out.rows.drain(..n.saturating_sub(limit));
        } else {
            out.rows.truncate(limit);
        }
    }
    if !filter.slices.selects_all() {
        out.range_tombstones.retain(|rt| {
            filter
                .slices
                .as_slice()
                .iter()
                .any(|s| s.intersects(&rt.slice))
        });
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn point_and_slice_reads_round_trip(
        parts in partitions(),
        slices in slices(),
        reversed in any::<bool>(),
        limit in prop::option::of(0usize..4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let reader = write_and_open(dir.path(), &parts, small_options());
        prop_assert_eq!(reader.stats().partition_count, parts.len() as u64);
        reader.verify().unwrap();
        let filter = PartitionFilter { slices, reversed, row_limit: limit, columns: None };
        for p in &parts {
            let whole = reader.get(&p.key, &PartitionFilter::all()).unwrap();
            prop_assert_eq!(whole.as_ref(), Some(p));
            let got = reader.get(&p.key, &filter).unwrap().unwrap();
            prop_assert_eq!(got, expected(p, &filter));
        }
        let unlimited = PartitionFilter { row_limit: None, ..filter.clone() };
        let selected = parts.iter().map(|p| expected(p, &unlimited)).any(|e| !e.rows.is_empty() || !e.range_tombstones.is_empty());
        if selected {
            prop_assert!(reader.stats().clustering_may_intersect(&filter.slices), "stats would skip selected data");
        }
        for p in &parts {
            let entry = reader.find_entry(&p.key).unwrap().unwrap();
            let unlimited = PartitionFilter { row_limit: None, ..filter.clone() };
            let stream = PartitionRows::new(&reader, &entry, unlimited.clone()).unwrap();
            let want = expected(p, &unlimited);
            prop_assert_eq!(&stream.header().range_tombstones, &want.range_tombstones);
            prop_assert_eq!(stream.header().deletion, want.partition_deletion);
            let mut rows: Vec<_> = stream.collect::<Result<_, _>>().unwrap();
            if reversed {
                rows.reverse();
            }
            prop_assert_eq!(rows, want.rows);
        }
        for k in 48..52 {
            let absent = PartitionKey::new(Bytes::from(format!("key-{k}")));
            prop_assert_eq!(reader.get(&absent, &PartitionFilter::all()).unwrap(), None);
        }
    }

    #[test]
    fn token_range_scans_round_trip(parts in partitions(), pick in any::<prop::sample::Index>(), inclusive in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let reader = write_and_open(dir.path(), &parts, small_options());
        let all: Vec<Partition> = Scanner::new(reader.clone(), ScanStart::Unbounded, ScanEnd::Unbounded, PartitionFilter::all())
            .collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(&all, &parts);
        if parts.is_empty() {
            return Ok(());
        }
        let t = parts[pick.index(parts.len())].key.token().0;
        let tail: Vec<Partition> = Scanner::new(reader.clone(), ScanStart::Token { token: t, inclusive }, ScanEnd::Unbounded, PartitionFilter::all())
            .collect::<Result<_, _>>().unwrap();
        let want: Vec<&Partition> = parts.iter().filter(|p| p.key.token().0 > t || (inclusive && p.key.token().0 == t)).collect();
        prop_assert_eq!(tail.iter().collect::<Vec<_>>(), want);
        let head: Vec<Partition> = Scanner::new(reader.clone(), ScanStart::Unbounded, ScanEnd::Token { token: t, inclusive }, PartitionFilter::all())
            .collect::<Result<_, _>>().unwrap();
        let want: Vec<&Partition> = parts.iter().filter(|p| p.key.token().0 < t || (inclusive && p.key.token().0 == t)).collect();
        prop_assert_eq!(head.iter().collect::<Vec<_>>(), want);
        // Paging: two partitions at a time, resuming after the last key returned.
        let mut paged = Vec::new();
        let mut start = ScanStart::Unbounded;
        loop {
            let mut s = Scanner::new(reader.clone(), start.clone(), ScanEnd::Unbounded, PartitionFilter::all());
            let page: Vec<Partition> = s.by_ref().take(2).collect::<Result<_, _>>().unwrap();
            if page.is_empty() {
                break;
            }
            paged.extend(page);
            start = ScanStart::AfterKey(s.position().unwrap().clone());
        }
        prop_assert_eq!(paged, parts);
    }
}

#[test]
fn many_partitions_use_the_summary() {
    let parts = normalise(
        (0..2_000u32)
            .map(|i| super::wide(&format!("p{i}"), u64::from(i % 3), 10))
            .collect(),
    );
    let dir = tempfile::tempdir().unwrap();
    let reader = write_and_open(dir.path(), &parts, WriterOptions::default());
    assert!(reader.summary().samples.len() >= 2_000 / crate::sstable::format::SUMMARY_INTERVAL);
    for p in parts.iter().step_by(7) {
        assert_eq!(
            reader
                .get(&p.key, &PartitionFilter::all())
                .unwrap()
                .as_ref(),
            Some(p)
        );
    }
    let s = reader.stats();
    assert_eq!(s.min_token, Some(parts[0].key.token().0));
    assert_eq!(s.max_token, Some(parts.last().unwrap().key.token().0));
    assert_eq!(
        s.row_count,
        parts.iter().map(|p| p.rows.len() as u64).sum::<u64>()
    );
}

#[test]
fn writer_rejects_out_of_order_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let desc = crate::sstable::format::Descriptor::new(dir.path(), 3);
    let mut w = crate::sstable::writer::SsTableWriter::create(
        super::fs(),
        desc.clone(),
        WriterOptions::default(),
    )
    .unwrap();
    let parts = normalise(vec![super::wide("a", 1, 1), super::wide("b", 1, 1)]);
    w.append(&parts[1]).unwrap();
    assert!(w.append(&parts[0]).is_err());
    assert!(
        w.append(&parts[1]).is_err(),
        "duplicates are out of order too"
    );
    w.abort();
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "abort leaves no files"
    );
}

#[test]
fn column_filter_keeps_only_asked_columns() {
    let mut p = super::wide("c", 3, 4);
    for r in &mut p.rows {
        r.add_cell(crate::model::Cell::live(5, 1, Bytes::from_static(b"x")));
    }
    let dir = tempfile::tempdir().unwrap();
    let reader = write_and_open(
        dir.path(),
        std::slice::from_ref(&p),
        WriterOptions::default(),
    );
    let filter = PartitionFilter {
        columns: Some(vec![5]),
        ..PartitionFilter::all()
    };
    let got = reader.get(&p.key, &filter).unwrap().unwrap();
    assert!(
        got.rows
            .iter()
            .all(|r| r.cells.len() == 1 && r.cells[0].column == 5)
    );
    assert_eq!(got.rows.len(), 3);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn skipping_a_row_consumes_exactly_its_bytes(
        row in crate::model::testing::clustering().prop_flat_map(crate::model::testing::row_at),
        counter in crate::model::testing::counter_cell(),
        with_counter in any::<bool>(),
    ) {
        use crate::sstable::codec::ByteReader;
        use crate::sstable::serial::{get_clustering, get_row_body, put_row, skip_row_body};
        let mut row = row;
        if with_counter {
            row.add_cell(counter);
        }
        let mut bytes = Vec::new();
        put_row(&mut bytes, &row, 0, &mut crate::sstable::stats::Stats::default());
        bytes.push(0xee);
        let mut r = ByteReader::new(&bytes);
        let k = get_clustering(&mut r, &mut Vec::new()).unwrap();
        let mut skipped = r.clone();
        prop_assert_eq!(get_row_body(&mut r, k).unwrap(), row);
        skip_row_body(&mut skipped).unwrap();
        prop_assert_eq!(skipped.position(), r.position());
        prop_assert_eq!(r.remaining(), 1);
    }
}
