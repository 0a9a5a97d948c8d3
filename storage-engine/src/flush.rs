//! Flush: a switched-out memtable -> SSTable -> manifest edit -> new
//! [`Version`] -> commitlog release.
//!
//! Memtables of one table flush oldest first under the table's flush lock,
//! so the flushed commitlog position recorded in the manifest only grows.
//! Crash safety: the SSTable is published (TOC renamed last) before the
//! manifest record "SSTable added + flushed up to P" is fsynced; a crash in
//! between leaves an SSTable the manifest does not know, which start-up
//! deletes while the commitlog still holds its data. The commitlog is
//! released only after the manifest record is durable.

use std::sync::Arc;

use crate::engine::Shared;
use crate::error::Result;
use crate::manifest::Edit;
use crate::memtable::Memtable;
use crate::sstable::{Descriptor, SsTableReader, SsTableWriter, WriterOptions};
use crate::table::{SsTableMeta, TableState};
use crate::version::{LiveSsTable, Version};

/// Flushes every switched-out memtable of `state`, oldest first.
///
/// # Errors
/// I/O errors writing the SSTable or the manifest; the memtable then stays
/// in the version (readable) and a later flush retries it.
pub(crate) fn flush_table(shared: &Shared, state: &TableState) -> Result<()> {
    let _flush = state.flush_lock.lock();
    loop {
        let version = state.version.current();
        let Some(oldest) = version.flushing.last().cloned() else {
            return Ok(());
        };
        flush_one(shared, state, &oldest)?;
        shared.notify_flushed();
        shared.compaction.wake();
    }
}

fn write_sstable(
    shared: &Shared,
    state: &TableState,
    memtable: &Memtable,
) -> Result<Arc<LiveSsTable>> {
    let generation = state
        .next_generation
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let descriptor = Descriptor::new(&state.dir, generation);
    let options = WriterOptions {
        bloom_fp_chance: state.options.bloom_fp_chance,
        chunk_bytes: state.options.chunk_bytes,
        ..WriterOptions::default()
    };
    let mut writer = SsTableWriter::create(Arc::clone(&shared.fs), descriptor, options)?;
    if let Err(e) = memtable.for_each_partition(|p| writer.append_view(p)) {
        writer.abort();
        return Err(e.into());
    }
    let written = writer.finish()?;
    let reader = SsTableReader::open(shared.fs.as_ref(), written.descriptor)?;
    let reader = crate::engine::with_cache(reader, shared.chunk_cache.as_ref());
    Ok(Arc::new(LiveSsTable::new(reader, Arc::clone(&shared.fs))))
}

fn flush_one(shared: &Shared, state: &TableState, memtable: &Arc<Memtable>) -> Result<()> {
    let range = memtable.commitlog_range();
    let added = if memtable.is_empty() {
        None
    } else {
        Some(write_sstable(shared, state, memtable)?)
    };
    let mut edits = Vec::new();
    if let Some(t) = &added {
        let (generation, created_at_s) = (t.generation(), shared.options.clock.now_s());
        edits.push(Edit::AddSsTable(state.id, generation));
        edits.push(Edit::SsTableMeta {
            table: state.id,
            generation,
            level: 0,
            created_at_s,
        });
        let meta = SsTableMeta {
            created_at_s,
            level: 0,
        };
        state.sstable_meta.lock().insert(generation, meta);
    }
    if let Some((_, last)) = range {
        edits.push(Edit::Flushed(state.id, last));
    }
    if !edits.is_empty()
        && let Err(e) = shared.manifest.append(&edits)
    {
        if let Some(t) = &added {
            t.mark_obsolete();
        }
        return Err(e);
    }
    state.version.update(|v| {
        let flushing = v
            .flushing
            .iter()
            .filter(|m| !Arc::ptr_eq(m, memtable))
            .cloned()
            .collect();
        let mut sstables = Vec::with_capacity(v.sstables.len() + 1);
        sstables.extend(added.clone());
        sstables.extend(v.sstables.iter().cloned());
        Version {
            active: Arc::clone(&v.active),
            flushing,
            sstables,
        }
    });
    if let Some((_, last)) = range {
        shared.commitlog.discard_completed(state.id, last)?;
    }
    tracing::debug!(table = %state.id, generation = added.as_ref().map(|t| t.generation()),
        "memtable flushed");
    Ok(())
}
