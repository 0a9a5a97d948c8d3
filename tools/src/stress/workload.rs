//! The workloads: their schema, prepared statements and one operation each.
//!
//! Tables (created IF NOT EXISTS in the run's keyspace):
//! - `kv (key bigint PRIMARY KEY, value blob)`: write, read, mixed, lwt;
//! - `ts (sensor bigint, ts timestamp, value double, PRIMARY KEY (sensor, ts))`:
//!   timeseries (appends per sensor, reads of the 10 most recent points);
//! - `counters (key bigint PRIMARY KEY, c counter)`: counter.

use std::sync::Arc;

use crate::bail;
use crate::error::Result;
use sibyl_protocol::client::{PreparedStatement, QueryOptions, Session};
use sibyl_protocol::types::Consistency;
use sibyl_protocol::value::{CqlType, CqlValue};

use super::StressConfig;
use crate::common::{Rng, prepare_typed};

/// A workload name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// Inserts of random keys.
    Write,
    /// Point reads of random keys.
    Read,
    /// Reads and writes by `--ratio`.
    Mixed,
    /// Appends per sensor and recent-slice reads (by `--ratio`, default 1:4).
    Timeseries,
    /// Compare-and-set updates.
    Lwt,
    /// Counter increments.
    Counter,
}

impl Workload {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Write => "write",
            Workload::Read => "read",
            Workload::Mixed => "mixed",
            Workload::Timeseries => "timeseries",
            Workload::Lwt => "lwt",
            Workload::Counter => "counter",
        }
    }
}

/// The prepared statements of a run.
#[derive(Debug, Clone)]
pub struct Statements {
    write: Arc<PreparedStatement>,
    read: Arc<PreparedStatement>,
}

/// Parses `read=3,write=1`.
///
/// # Errors
/// Another shape, or both zero.
pub fn parse_ratio(text: &str) -> Result<(u32, u32)> {
    let (mut read, mut write) = (0, 0);
    for part in text.split(',') {
        let Some((k, v)) = part.split_once('=') else {
            bail!("bad ratio part '{part}' (want read=N,write=M)");
        };
        let n: u32 = v.trim().parse()?;
        match k.trim() {
            "read" => read = n,
            "write" => write = n,
            other => bail!("unknown ratio key '{other}'"),
        }
    }
    if read + write == 0 {
        bail!("ratio {text} is all zero");
    }
    Ok((read, write))
}

/// Creates the keyspace and table and prepares the statements.
///
/// # Errors
/// The server rejects a statement.
pub async fn setup(session: &Session, config: &StressConfig) -> Result<Statements> {
    let ks = &config.keyspace;
    let ddl = QueryOptions::default();
    session
        .query(
            &format!(
                "CREATE KEYSPACE IF NOT EXISTS {ks} WITH replication = \
                 {{'class': 'SimpleStrategy', 'replication_factor': {}}}",
                config.rf
            ),
            &[],
            &ddl,
        )
        .await?;
    let (table, write, read, write_types) = match config.workload {
        Workload::Write | Workload::Read | Workload::Mixed | Workload::Lwt => (
            "CREATE TABLE IF NOT EXISTS {ks}.kv (key bigint PRIMARY KEY, value blob)",
            if config.workload == Workload::Lwt {
                "UPDATE {ks}.kv SET value = ? WHERE key = ? IF EXISTS"
            } else {
                "INSERT INTO {ks}.kv (key, value) VALUES (?, ?)"
            },
            "SELECT key, value FROM {ks}.kv WHERE key = ?",
            if config.workload == Workload::Lwt {
                vec![CqlType::Blob, CqlType::Bigint]
            } else {
                vec![CqlType::Bigint, CqlType::Blob]
            },
        ),
        Workload::Timeseries => (
            "CREATE TABLE IF NOT EXISTS {ks}.ts (sensor bigint, ts timestamp, value double, \
             PRIMARY KEY (sensor, ts)) WITH CLUSTERING ORDER BY (ts DESC)",
            "INSERT INTO {ks}.ts (sensor, ts, value) VALUES (?, ?, ?)",
            "SELECT ts, value FROM {ks}.ts WHERE sensor = ? LIMIT 10",
            vec![CqlType::Bigint, CqlType::Timestamp, CqlType::Double],
        ),
        Workload::Counter => (
            "CREATE TABLE IF NOT EXISTS {ks}.counters (key bigint PRIMARY KEY, c counter)",
            "UPDATE {ks}.counters SET c = c + 1 WHERE key = ?",
            "SELECT c FROM {ks}.counters WHERE key = ?",
            vec![CqlType::Bigint],
        ),
    };
    let fill = |s: &str| s.replace("{ks}", ks);
    session.query(&fill(table), &[], &ddl).await?;
    Ok(Statements {
        write: prepare_typed(session, &fill(write), &write_types).await?,
        read: prepare_typed(session, &fill(read), &[CqlType::Bigint]).await?,
    })
}

fn is_read(config: &StressConfig, rng: &mut Rng) -> bool {
    match config.workload {
        Workload::Read => true,
        Workload::Write | Workload::Lwt | Workload::Counter => false,
        Workload::Mixed | Workload::Timeseries => {
            let (r, w) = config.ratio;
            rng.below(u64::from(r + w)) < u64::from(r)
        }
    }
}

/// Runs one operation of the workload.
///
/// # Errors
/// The request failed.
pub async fn one_op(
    st: &Statements,
    config: &StressConfig,
    (sessions, router): (&[Session], &crate::ring::TokenRouter),
    rng: &mut Rng,
    sequence: u64,
) -> Result<()> {
    let k = i64::try_from(rng.below(config.partitions)).unwrap_or(0);
    // Every table's partition key is this bigint: route to its owner.
    let token = sibyl_storage::model::partitioner::murmur3_token(&k.to_be_bytes()).0;
    let Some(session) = sessions.get(router.route(token, sessions.len())) else {
        return Err(crate::error::ToolError::Invalid("no session".into()));
    };
    let key = CqlValue::Bigint(k);
    let mut options = QueryOptions {
        consistency: config.consistency,
        ..QueryOptions::default()
    };
    if is_read(config, rng) {
        session.execute(&st.read, &[key], &options).await?;
        return Ok(());
    }
    let values = match config.workload {
        Workload::Timeseries => vec![
            key,
            CqlValue::Timestamp(i64::try_from(sequence).unwrap_or(0)),
            CqlValue::Double(rng.below(1_000_000) as f64 / 100.0),
        ],
        Workload::Counter => vec![key],
        Workload::Lwt => {
            options.serial_consistency = Some(Consistency::Serial);
            vec![CqlValue::Blob(rng.bytes(config.value_size)), key]
        }
        _ => vec![key, CqlValue::Blob(rng.bytes(config.value_size))],
    };
    session.execute(&st.write, &values, &options).await?;
    Ok(())
}
