//! The three engines behind one small interface: time-series rows (series, timestamp)
//! and plain key/value rows. Sibyl stores them as CQL would (a partition per series
//! with timestamp clustering; a partition per key with one row and one cell); RocksDB
//! and fjall store `series BE ++ ts BE` and `key` in one key space each, values as is.
//!
//! Settings chosen to be comparable: write-ahead log on and never synced per write
//! (Sibyl: periodic commitlog; RocksDB: WAL, `sync = false`; fjall: journal, default
//! persist mode); LZ4 compression everywhere; a 256 MiB read cache everywhere (Sibyl's
//! chunk cache default, RocksDB's block cache, fjall's cache). Sibyl's key/value table
//! uses 4 KiB chunks (`chunk_length_in_kb = 4`, ScyllaDB's default, RocksDB's default
//! block size); its time-series table keeps the 16 KiB default.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use bytes::Bytes;
use sibyl_storage::fs::StdFs;
use sibyl_storage::model::{
    Cell, ClusteringBound, ClusteringKey, LivenessInfo, PartitionKey, PartitionUpdate, Row, Slice,
    Slices, TableId,
};
use sibyl_storage::{Engine, EngineOptions, ReadLimits, Table, TableOptions};

/// Read cache of every engine (bytes).
pub const CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// What a workload needs of an engine.
pub trait Store {
    /// Writes one time-series row.
    fn ts_write(&self, series: u64, ts: u64, value: &[u8]) -> Result<()>;
    /// Writes one key/value row.
    fn kv_write(&self, key: &[u8], value: &[u8]) -> Result<()>;
    /// Reads one key; returns the value's length (an error when missing).
    fn kv_read(&self, key: &[u8]) -> Result<usize>;
    /// Reads `n` consecutive rows of `series` from `from_ts`; returns the rows found.
    fn ts_slice(&self, series: u64, from_ts: u64, n: usize) -> Result<usize>;
    /// Flushes memtables to disk (not a sync of the log).
    fn flush(&self) -> Result<()>;
}

fn ts_key(series: u64, ts: u64) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = b't';
    k[1..9].copy_from_slice(&series.to_be_bytes());
    k[9..].copy_from_slice(&ts.to_be_bytes());
    k
}

fn kv_key(key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.push(b'k');
    k.extend_from_slice(key);
    k
}

/// Sibyl's engine with two tables.
pub struct Sibyl {
    engine: Engine,
    ts: Table,
    kv: Table,
}

const TS: TableId = TableId(1);
const KV: TableId = TableId(2);

impl Sibyl {
    /// Opens the engine in `dir` with default options.
    pub fn open(dir: &Path) -> Result<Self> {
        let mut o = EngineOptions::new(dir, Arc::new(StdFs));
        o.chunk_cache_bytes = CACHE_BYTES;
        let engine = Engine::open(o)?;
        let ts = engine.create_table(TS, TableOptions::default())?;
        // The key/value table is read by point lookups: 4 KiB chunks, as a
        // user sets `chunk_length_in_kb = 4` on such a table (ScyllaDB's
        // default; RocksDB's default block is 4 KiB too). With the 16 KiB
        // default each lookup decompresses four times the bytes (random_read
        // 0.78x RocksDB at full scale against 1.25x).
        let kv = engine.create_table(
            KV,
            TableOptions {
                chunk_bytes: 4096,
                ..TableOptions::default()
            },
        )?;
        Ok(Self { engine, ts, kv })
    }

    /// Flushes and closes.
    pub fn close(self) -> Result<()> {
        self.engine.close()?;
        Ok(())
    }
}

impl Store for Sibyl {
    fn ts_write(&self, series: u64, ts: u64, value: &[u8]) -> Result<()> {
        let stamp = i64::try_from(ts)?;
        let row = Row::new(ClusteringKey::new(Bytes::copy_from_slice(
            &ts.to_be_bytes(),
        )))
        .with_liveness(LivenessInfo::new(stamp))
        .with_cell(Cell::live(1, stamp, Bytes::copy_from_slice(value)));
        let key = PartitionKey::new(Bytes::copy_from_slice(&series.to_be_bytes()));
        self.ts
            .apply(&PartitionUpdate::new(TS, key).with_row(row))?;
        Ok(())
    }

    fn kv_write(&self, key: &[u8], value: &[u8]) -> Result<()> {
        let row = Row::new(ClusteringKey::new(Bytes::new()))
            .with_liveness(LivenessInfo::new(1))
            .with_cell(Cell::live(1, 1, Bytes::copy_from_slice(value)));
        let key = PartitionKey::new(Bytes::copy_from_slice(key));
        self.kv
            .apply(&PartitionUpdate::new(KV, key).with_row(row))?;
        Ok(())
    }

    fn kv_read(&self, key: &[u8]) -> Result<usize> {
        let key = PartitionKey::new(Bytes::copy_from_slice(key));
        let read = self
            .kv
            .read_partition(&key, &Slices::all(), false, 0, ReadLimits::default())?;
        let p = read.partition.context("sibyl: key missing")?;
        Ok(p.rows
            .iter()
            .flat_map(|r| r.cells.iter())
            .map(|c| c.value().len())
            .sum())
    }

    fn ts_slice(&self, series: u64, from_ts: u64, n: usize) -> Result<usize> {
        let to = from_ts + u64::try_from(n)? - 1;
        let slice = Slice::new(
            ClusteringBound::inclusive_start(Bytes::copy_from_slice(&from_ts.to_be_bytes())),
            ClusteringBound::inclusive_end(Bytes::copy_from_slice(&to.to_be_bytes())),
        )?;
        let key = PartitionKey::new(Bytes::copy_from_slice(&series.to_be_bytes()));
        let limits = ReadLimits {
            row_limit: Some(n),
            first_pass_rows: None,
        };
        let read = self
            .ts
            .read_partition(&key, &Slices::new(vec![slice]), false, 0, limits)?;
        Ok(read.partition.map_or(0, |p| p.rows.len()))
    }

    fn flush(&self) -> Result<()> {
        self.ts.flush()?;
        self.kv.flush()?;
        Ok(())
    }
}

/// RocksDB with default options plus LZ4 and a 256 MiB block cache.
pub struct Rocks {
    db: rocksdb::DB,
    write: rocksdb::WriteOptions,
}

impl Rocks {
    /// Opens (creates) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        opts.increase_parallelism(2);
        let cache = rocksdb::Cache::new_lru_cache(usize::try_from(CACHE_BYTES)?);
        let mut table = rocksdb::BlockBasedOptions::default();
        table.set_block_cache(&cache);
        opts.set_block_based_table_factory(&table);
        let db = rocksdb::DB::open(&opts, dir)?;
        let mut write = rocksdb::WriteOptions::default();
        write.set_sync(false);
        write.disable_wal(false);
        Ok(Self { db, write })
    }
}

impl Store for Rocks {
    fn ts_write(&self, series: u64, ts: u64, value: &[u8]) -> Result<()> {
        Ok(self.db.put_opt(ts_key(series, ts), value, &self.write)?)
    }

    fn kv_write(&self, key: &[u8], value: &[u8]) -> Result<()> {
        Ok(self.db.put_opt(kv_key(key), value, &self.write)?)
    }

    fn kv_read(&self, key: &[u8]) -> Result<usize> {
        let v = self
            .db
            .get_pinned(kv_key(key))?
            .context("rocksdb: key missing")?;
        Ok(v.len())
    }

    fn ts_slice(&self, series: u64, from_ts: u64, n: usize) -> Result<usize> {
        let end = ts_key(series, from_ts + u64::try_from(n)?);
        let mut it = self.db.raw_iterator();
        it.seek(ts_key(series, from_ts));
        let mut rows = 0;
        while rows < n && it.valid() {
            match it.key() {
                Some(k) if k < end.as_slice() => {}
                _ => break,
            }
            rows += usize::from(it.value().is_some());
            it.next();
        }
        it.status()?;
        Ok(rows)
    }

    fn flush(&self) -> Result<()> {
        Ok(self.db.flush()?)
    }
}

/// fjall with default options plus a 256 MiB cache.
pub struct Fjall {
    _db: fjall::Database,
    items: fjall::Keyspace,
}

impl Fjall {
    /// Opens (creates) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        let db = fjall::Database::builder(dir)
            .cache_size(CACHE_BYTES)
            .open()?;
        let items = db.keyspace("items", fjall::KeyspaceCreateOptions::default)?;
        Ok(Self { _db: db, items })
    }
}

impl Store for Fjall {
    fn ts_write(&self, series: u64, ts: u64, value: &[u8]) -> Result<()> {
        Ok(self
            .items
            .insert(ts_key(series, ts).to_vec(), value.to_vec())?)
    }

    fn kv_write(&self, key: &[u8], value: &[u8]) -> Result<()> {
        Ok(self.items.insert(kv_key(key), value.to_vec())?)
    }

    fn kv_read(&self, key: &[u8]) -> Result<usize> {
        let v = self.items.get(kv_key(key))?.context("fjall: key missing")?;
        Ok(v.len())
    }

    fn ts_slice(&self, series: u64, from_ts: u64, n: usize) -> Result<usize> {
        let start = ts_key(series, from_ts);
        let end = ts_key(series, from_ts + u64::try_from(n)?);
        let mut rows = 0;
        for guard in self.items.range(start..end).take(n) {
            guard.into_inner()?;
            rows += 1;
        }
        Ok(rows)
    }

    fn flush(&self) -> Result<()> {
        Ok(self.items.rotate_memtable_and_wait()?)
    }
}
