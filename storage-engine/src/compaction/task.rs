//! Executing a merge: inputs -> k-way merge -> reconcile -> purge -> new SSTable(s).
//!
//! Every input is scanned over the whole ring in `(token, key)` order; partitions with
//! the same key are merged with [`merge_partitions`], then purged with
//! [`purge_partition`] under a [`Purger`] whose `gc_before_s` is `now - gc_grace` and
//! whose `max_purgeable_timestamp` comes from an [`OverlapOracle`]: the smallest
//! timestamp of any data *outside* the compaction that may hold the partition (other
//! SSTables whose bloom filter admits the key, memtables). A tombstone is dropped only
//! when it is past gc grace and strictly older than all of that data, so it can shadow
//! nothing outside (no resurrection). Outputs are cut when one reaches
//! `max_output_bytes` of Data and written through [`SsTableWriter`]; the work is paced by
//! a [`Throttle`].
//!
//! The task neither deletes its inputs nor publishes a version: the caller swaps inputs
//! for outputs and removes the input files once no reader uses them. On error the
//! outputs written so far are removed and the inputs are untouched.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::PathBuf;
use std::sync::Arc;

use super::throttle::{Throttle, ThrottleClock};
use crate::fs::FileSystem;
use crate::model::purge::purge_partition;
use crate::model::reconcile::merge_partitions;
use crate::model::{Partition, PartitionKey, Purger};
use crate::sstable::directory;
use crate::sstable::error::{Result, SsTableError};
use crate::sstable::format::Descriptor;
use crate::sstable::reader::{PartitionFilter, SsTableReader};
use crate::sstable::scanner::{ScanEnd, ScanStart, Scanner};
use crate::sstable::writer::{SsTableWriter, WriterOptions, WrittenSsTable};

/// Answers, per partition, below which timestamp compaction may purge.
pub trait OverlapOracle {
    /// Tombstones and expired data of `key` may be purged only when their timestamp is
    /// strictly below the returned value (`i64::MAX`: nothing outside holds `key`).
    fn max_purgeable_timestamp(&self, key: &PartitionKey) -> i64;
}

/// Nothing outside the compaction (a major compaction with empty memtables).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoOverlap;

impl OverlapOracle for NoOverlap {
    fn max_purgeable_timestamp(&self, _key: &PartitionKey) -> i64 {
        i64::MAX
    }
}

/// The live SSTables not in the compaction, and the memtables' smallest timestamp.
#[derive(Debug, Clone, Default)]
pub struct OutsideData {
    /// Every live SSTable of the table that is not an input.
    pub sstables: Vec<Arc<SsTableReader>>,
    /// The smallest timestamp in the table's memtables (`None` when empty). Memtables
    /// have no bloom filter here, so this bounds every partition.
    pub memtable_min_timestamp: Option<i64>,
}

impl OverlapOracle for OutsideData {
    fn max_purgeable_timestamp(&self, key: &PartitionKey) -> i64 {
        self.sstables
            .iter()
            .filter(|r| r.may_contain(key))
            .filter_map(|r| r.stats().min_timestamp)
            .chain(self.memtable_min_timestamp)
            .min()
            .unwrap_or(i64::MAX)
    }
}

/// A function of the key is an oracle too (tests, callers with their own index).
impl<F: Fn(&PartitionKey) -> i64> OverlapOracle for F {
    fn max_purgeable_timestamp(&self, key: &PartitionKey) -> i64 {
        self(key)
    }
}

/// Splits a table's open SSTables into a choice's inputs and the [`OutsideData`] that
/// bounds its purging (every other SSTable, plus the memtables' smallest timestamp).
///
/// # Errors
/// `InvalidInput` when a chosen generation is not among `all`.
pub fn split_for_choice(
    all: &[Arc<SsTableReader>],
    inputs: &[u64],
    memtable_min_timestamp: Option<i64>,
) -> Result<(Vec<Arc<SsTableReader>>, OutsideData)> {
    let mut chosen = Vec::with_capacity(inputs.len());
    for generation in inputs {
        let reader = all
            .iter()
            .find(|r| r.descriptor().generation == *generation)
            .ok_or_else(|| {
                SsTableError::InvalidInput(format!("chosen generation {generation} is not live"))
            })?;
        chosen.push(Arc::clone(reader));
    }
    let sstables = all
        .iter()
        .filter(|r| !inputs.contains(&r.descriptor().generation))
        .cloned()
        .collect();
    let outside = OutsideData {
        sstables,
        memtable_min_timestamp,
    };
    Ok((chosen, outside))
}

/// Where and how a merge writes.
#[derive(Debug, Clone)]
pub struct MergeSpec {
    /// The file system outputs are written to (the inputs' readers carry their own).
    pub fs: Arc<dyn FileSystem>,
    /// The table directory outputs go to.
    pub output_dir: PathBuf,
    /// Writer knobs.
    pub writer: WriterOptions,
    /// Cut a new output once one holds this many Data bytes; `None` for one output.
    pub max_output_bytes: Option<u64>,
    /// Now, seconds (expiry and gc grace).
    pub now_s: u32,
    /// The table's `gc_grace_seconds`.
    pub gc_grace_s: u32,
}

/// What a merge produced.
#[derive(Debug, Clone, Default)]
pub struct CompactionOutput {
    /// The published outputs, in token order (possibly none: everything purged).
    pub outputs: Vec<WrittenSsTable>,
    /// Partitions read from the inputs (a key present in two inputs counts twice).
    pub partitions_read: u64,
    /// Partitions written.
    pub partitions_written: u64,
}

/// Runs one merge of `inputs` (distinct SSTables of one table).
///
/// `next_generation` names each output; `oracle` bounds purging (see the module docs).
///
/// # Errors
/// `InvalidInput` when `inputs` is empty or repeats a generation; any read error of an input (corruption names
/// the input file) or write error. Outputs already written are then removed.
pub fn run_compaction<C: ThrottleClock>(
    inputs: &[Arc<SsTableReader>],
    spec: &MergeSpec,
    next_generation: &mut dyn FnMut() -> u64,
    oracle: &dyn OverlapOracle,
    throttle: &mut Throttle<C>,
) -> Result<CompactionOutput> {
    if inputs.is_empty() {
        return Err(SsTableError::InvalidInput(
            "compaction without inputs".into(),
        ));
    }
    let mut generations: Vec<u64> = inputs.iter().map(|r| r.descriptor().generation).collect();
    generations.sort_unstable();
    if generations.windows(2).any(|w| w.first() == w.get(1)) {
        return Err(SsTableError::InvalidInput(format!(
            "compaction inputs repeat a generation: {generations:?}"
        )));
    }
    let mut out = OutputSink {
        spec,
        next_generation,
        current: None,
        done: CompactionOutput::default(),
    };
    match merge_into(inputs, spec, oracle, throttle, &mut out) {
        Ok(()) => out.finish(),
        Err(e) => {
            out.abort();
            Err(e)
        }
    }
}

fn merge_into<C: ThrottleClock>(
    inputs: &[Arc<SsTableReader>],
    spec: &MergeSpec,
    oracle: &dyn OverlapOracle,
    throttle: &mut Throttle<C>,
    out: &mut OutputSink<'_>,
) -> Result<()> {
    let mut merge = MergeIterator::new(inputs)?;
    let base = Purger::new(spec.now_s, spec.gc_grace_s);
    while let Some((partition, versions)) = merge.next_merged()? {
        out.done.partitions_read += versions;
        let purger = Purger {
            max_purgeable_timestamp: oracle.max_purgeable_timestamp(&partition.key),
            ..base
        };
        if let Some(p) = purge_partition(partition, &purger) {
            let written = out.append(&p)?;
            throttle.acquire(written);
        }
    }
    Ok(())
}

/// Writes merged partitions into one or more outputs.
struct OutputSink<'a> {
    spec: &'a MergeSpec,
    next_generation: &'a mut dyn FnMut() -> u64,
    current: Option<SsTableWriter>,
    done: CompactionOutput,
}

impl OutputSink<'_> {
    /// Appends `p`, returning the Data bytes it took.
    fn append(&mut self, p: &Partition) -> Result<u64> {
        let writer = match &mut self.current {
            Some(w) => w,
            None => {
                let generation = (self.next_generation)();
                let desc = Descriptor::new(self.spec.output_dir.clone(), generation);
                self.current.insert(SsTableWriter::create(
                    Arc::clone(&self.spec.fs),
                    desc,
                    self.spec.writer.clone(),
                )?)
            }
        };
        let before = writer.data_position();
        writer.append(p)?;
        let written = writer.data_position().saturating_sub(before);
        self.done.partitions_written += 1;
        let full = self
            .spec
            .max_output_bytes
            .is_some_and(|max| writer.data_position() >= max);
        if full && let Some(w) = self.current.take() {
            self.done.outputs.push(w.finish()?);
        }
        Ok(written)
    }

    fn finish(mut self) -> Result<CompactionOutput> {
        if let Some(w) = self.current.take() {
            match w.finish() {
                Ok(written) => self.done.outputs.push(written),
                Err(e) => {
                    self.abort();
                    return Err(e);
                }
            }
        }
        Ok(self.done)
    }

    fn abort(&mut self) {
        if let Some(w) = self.current.take() {
            w.abort();
        }
        for written in self.done.outputs.drain(..) {
            // TOC first (crash-safe); a failure leaves an orphan that start-up cleans.
            if let Err(e) = directory::delete(self.spec.fs.as_ref(), &written.descriptor) {
                tracing::warn!(
                    generation = written.descriptor.generation,
                    error = %e,
                    "could not remove a partial compaction output"
                );
            }
        }
    }
}

/// K-way merge of whole-ring scans, yielding each key once with its versions merged.
struct MergeIterator {
    scanners: Vec<Scanner>,
    heads: Vec<Option<Partition>>,
    heap: BinaryHeap<Reverse<(PartitionKey, usize)>>,
}

impl MergeIterator {
    fn new(inputs: &[Arc<SsTableReader>]) -> Result<Self> {
        let mut it = Self {
            scanners: inputs
                .iter()
                .map(|r| {
                    Scanner::new(
                        Arc::clone(r),
                        ScanStart::Unbounded,
                        ScanEnd::Unbounded,
                        PartitionFilter::all(),
                    )
                })
                .collect(),
            heads: inputs.iter().map(|_| None).collect(),
            heap: BinaryHeap::with_capacity(inputs.len()),
        };
        for i in 0..inputs.len() {
            it.refill(i)?;
        }
        Ok(it)
    }

    fn refill(&mut self, i: usize) -> Result<()> {
        let Some(scanner) = self.scanners.get_mut(i) else {
            return Ok(());
        };
        if let Some(p) = scanner.next().transpose()? {
            self.heap.push(Reverse((p.key.clone(), i)));
            if let Some(slot) = self.heads.get_mut(i) {
                *slot = Some(p);
            }
        }
        Ok(())
    }

    fn take(&mut self, i: usize) -> Result<Option<Partition>> {
        let p = self.heads.get_mut(i).and_then(Option::take);
        self.refill(i)?;
        Ok(p)
    }

    /// The next key's merged partition and how many inputs held it.
    fn next_merged(&mut self) -> Result<Option<(Partition, u64)>> {
        let Some(Reverse((key, i))) = self.heap.pop() else {
            return Ok(None);
        };
        let mut merged = self.take(i)?;
        let mut versions = 1;
        while let Some(Reverse((next, _))) = self.heap.peek() {
            if *next != key {
                break;
            }
            let Some(Reverse((_, j))) = self.heap.pop() else {
                break;
            };
            let other = self.take(j)?;
            versions += 1;
            merged = match (merged, other) {
                (Some(a), Some(b)) => Some(merge_partitions(&a, &b)),
                (a, b) => a.or(b),
            };
        }
        match merged {
            Some(p) => Ok(Some((p, versions))),
            None => Err(SsTableError::InvalidInput(
                "merge heap and heads disagree".into(),
            )),
        }
    }
}
