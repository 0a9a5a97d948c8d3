//! The node's local table store: the storage engine, with one engine table
//! per CQL table (DESIGN §3, the `replica -> storage-engine` arrow).
//!
//! Engine tables follow the schema: created when a table is created (or at
//! start-up for tables the engine does not know yet), dropped with it. The
//! engine API is synchronous; callers on async tasks accept a short block
//! (a write in `batch` mode waits for its fsync).

use std::path::Path;
use std::sync::Arc;

use sibyl_storage::config::CommitlogSync as EngineSync;
use sibyl_storage::fs::StdFs;
use sibyl_storage::model::TableId;
use sibyl_storage::{Engine, EngineOptions, Table, TableOptions};

use crate::config::{CommitlogSync, NodeConfig};
use crate::error::RequestError;
use crate::schema::system_keyspaces::is_system_keyspace;
use crate::schema::{Schema, TableMetadata};

/// The engine table holding replicas' Paxos state (never a CQL table).
pub const PAXOS_TABLE: TableId = TableId(0x5349_4259_4c00_5041_584f_5300_0000_0001);

/// The engine id of a CQL table.
pub fn engine_id(table: &TableMetadata) -> TableId {
    TableId(table.id.as_u128())
}

fn engine_error(e: &sibyl_storage::Error) -> RequestError {
    RequestError::Server(format!("storage: {e}"))
}

/// The node's tables on disk.
pub struct LocalStore {
    engine: Engine,
    /// Each table's memtable flush threshold: a quarter of
    /// `memtable_space_mb`, as Cassandra flushes the largest memtable only
    /// once memtables fill a share of their space (a small fixed threshold
    /// re-flushes the same partitions over and over under overwrites).
    flush_threshold_bytes: u64,
}

impl LocalStore {
    /// Opens the engine under `<data_dir>/storage` with the node's durability settings.
    ///
    /// # Errors
    /// The engine cannot open (unreadable files, corrupt commitlog).
    pub fn open(data_dir: &Path, config: &NodeConfig) -> Result<Self, sibyl_storage::Error> {
        let mut options = EngineOptions::new(data_dir.join("storage"), Arc::new(StdFs));
        options.commitlog_sync = match config.commitlog_sync {
            CommitlogSync::Periodic => EngineSync::Periodic {
                period_ms: config.commitlog_sync_period_ms,
            },
            CommitlogSync::Batch => EngineSync::Batch,
            CommitlogSync::Group => EngineSync::Group {
                window_ms: config.commitlog_sync_group_window_ms,
            },
        };
        options.commitlog_segment_size_bytes =
            u64::from(config.commitlog_segment_size_mb) * 1024 * 1024;
        options.memtable_budget_bytes = u64::from(config.memtable_space_mb) * 1024 * 1024;
        options.compaction_throughput_mb_per_sec =
            u64::from(config.compaction_throughput_mb_per_sec);
        let flush_threshold_bytes = (options.memtable_budget_bytes / 4).max(1024 * 1024);
        options.chunk_cache_bytes = u64::from(config.file_cache_size_mb) * 1024 * 1024;
        let engine = Engine::open(options)?;
        if !engine.table_ids().contains(&PAXOS_TABLE) {
            engine.create_table(PAXOS_TABLE, TableOptions::default())?;
        }
        Ok(Self {
            engine,
            flush_threshold_bytes,
        })
    }

    fn options(&self, table: &TableMetadata) -> TableOptions {
        let params = &table.params;
        TableOptions {
            flush_threshold_bytes: self.flush_threshold_bytes,
            gc_grace_seconds: params.gc_grace_seconds,
            default_ttl_s: (params.default_time_to_live > 0).then_some(params.default_time_to_live),
            bloom_fp_chance: params.bloom_filter_fp_chance,
            compaction: params.compaction.clone(),
            chunk_bytes: params
                .compression
                .get("chunk_length_in_kb")
                .and_then(|kb| kb.parse::<u32>().ok())
                .and_then(|kb| kb.checked_mul(1024))
                .unwrap_or(sibyl_storage::sstable::format::CHUNK_BYTES_DEFAULT),
        }
    }

    /// Creates engine tables for every user table of `schema` that has none.
    ///
    /// # Errors
    /// An engine error.
    pub fn sync_with(&self, schema: &Schema) -> Result<(), RequestError> {
        let known = self.engine.table_ids();
        for ks in schema
            .keyspaces
            .values()
            .filter(|k| !is_system_keyspace(&k.name))
        {
            for table in ks.tables.values() {
                if !known.contains(&engine_id(table)) {
                    self.engine
                        .create_table(engine_id(table), self.options(table))
                        .map_err(|e| engine_error(&e))?;
                }
            }
        }
        Ok(())
    }

    /// Drops engine tables that `schema` no longer has.
    ///
    /// # Errors
    /// An engine error.
    pub fn drop_missing(&self, schema: &Schema) -> Result<(), RequestError> {
        let wanted: Vec<TableId> = schema
            .keyspaces
            .values()
            .flat_map(|k| k.tables.values().map(|t| engine_id(t)))
            .collect();
        for id in self.engine.table_ids() {
            if id != PAXOS_TABLE && !wanted.contains(&id) {
                self.engine.drop_table(id).map_err(|e| engine_error(&e))?;
            }
        }
        Ok(())
    }

    /// The engine table of a CQL table.
    ///
    /// # Errors
    /// The table has no engine table (a bug: tables are created with the schema).
    pub fn table(&self, table: &TableMetadata) -> Result<Table, RequestError> {
        self.engine
            .table(engine_id(table))
            .map_err(|e| engine_error(&e))
    }

    /// The engine table with engine id `id` (a replica serving a peer).
    ///
    /// # Errors
    /// No such table here (the schema change has not arrived yet).
    pub fn table_by_id(&self, id: TableId) -> Result<Table, RequestError> {
        self.engine.table(id).map_err(|e| engine_error(&e))
    }

    /// Removes all data of the table with engine id `id`.
    ///
    /// # Errors
    /// An engine error.
    pub fn truncate_id(&self, id: TableId) -> Result<(), RequestError> {
        self.engine.truncate(id).map_err(|e| engine_error(&e))
    }

    /// Removes all data of a table.
    ///
    /// # Errors
    /// An engine error.
    pub fn truncate(&self, table: &TableMetadata) -> Result<(), RequestError> {
        self.engine
            .truncate(engine_id(table))
            .map_err(|e| engine_error(&e))
    }

    /// Flushes everything and stops the engine.
    ///
    /// # Errors
    /// An engine error.
    pub fn close(&self) -> Result<(), sibyl_storage::Error> {
        self.engine.close()
    }
}

/// Maps an engine error on a request path.
pub fn request_error(e: &sibyl_storage::Error) -> RequestError {
    engine_error(e)
}
