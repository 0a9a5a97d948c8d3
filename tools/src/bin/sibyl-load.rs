//! `sibyl-load`: bulk loading of CSV / JSON lines, and the time-series generator.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};
use sibyl_protocol::client::Session;
use sibyl_tools::common;
use sibyl_tools::generate::{GenConfig, generate, parse_start};
use sibyl_tools::load::row::{Format, TimestampFormat};
use sibyl_tools::load::schema::TableSchema;
use sibyl_tools::load::unload::{self, ScanConfig};
use sibyl_tools::load::{self, LoadConfig, LoadSummary, MaxErrors};

#[derive(Parser)]
#[command(name = "sibyl-load", about = "Sibyl bulk loader")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load CSV or JSON lines into a table.
    Load(Box<LoadArgs>),
    /// Generate a time-series CSV.
    Gen(GenArgs),
    /// Write a table to CSV or JSON lines (token-range parallel).
    Unload(UnloadArgs),
    /// Count a table's rows (token-range parallel).
    Count(ScanArgs),
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Hosts, comma-separated.
    #[arg(long, default_value = "127.0.0.1")]
    hosts: String,
    /// Default port.
    #[arg(long, default_value_t = 9042)]
    port: u16,
    /// Keyspace.
    #[arg(long)]
    keyspace: String,
    /// Table.
    #[arg(long)]
    table: String,
    /// The table's columns, instead of reading `system_schema`.
    #[arg(long)]
    schema: Option<String>,
    /// Token ranges.
    #[arg(long, default_value_t = 64)]
    splits: u64,
    /// Ranges scanned at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Consistency level.
    #[arg(long, default_value = "LOCAL_ONE")]
    consistency: String,
}

#[derive(clap::Args)]
struct UnloadArgs {
    #[command(flatten)]
    scan: ScanArgs,
    /// Output file; stdout when absent.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Rows per page.
    #[arg(long, default_value_t = 5000)]
    page_size: i32,
}

#[derive(clap::Args)]
struct GenArgs {
    /// Sensors (partitions).
    #[arg(long, default_value_t = 1000)]
    sensors: u64,
    /// Points per sensor.
    #[arg(long, default_value_t = 1000)]
    points: u64,
    /// First timestamp (RFC 3339).
    #[arg(long, default_value = "2024-01-01T00:00:00Z")]
    start: String,
    /// Time between points (`1s`, `500ms`).
    #[arg(long, default_value = "1s")]
    interval: String,
    /// Data seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output file (`.gz`/`.zst` compress); stdout when absent.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(clap::Args)]
struct LoadArgs {
    /// Hosts, comma-separated.
    #[arg(long, default_value = "127.0.0.1")]
    hosts: String,
    /// Default port.
    #[arg(long, default_value_t = 9042)]
    port: u16,
    /// Keyspace.
    #[arg(long)]
    keyspace: String,
    /// Table.
    #[arg(long)]
    table: String,
    /// Input file (`-` for stdin; `.gz` / `.zst` decompressed).
    #[arg(long)]
    file: String,
    /// Input format.
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// The first line is a header.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    header: bool,
    /// CSV delimiter (one byte).
    #[arg(long, default_value = ",")]
    delimiter: String,
    /// `0=sensor,1=ts,2=value` or `sensor,ts,value`.
    #[arg(long)]
    mapping: Option<String>,
    /// The table's columns (`sensor text pk, ts timestamp ck, value double`),
    /// instead of reading `system_schema`.
    #[arg(long)]
    schema: Option<String>,
    /// iso8601, epoch_s, epoch_ms, epoch_us or a strftime pattern.
    #[arg(long, default_value = "iso8601")]
    timestamp_format: String,
    /// Text meaning null.
    #[arg(long, default_value = "")]
    null_string: String,
    /// Consistency level.
    #[arg(long, default_value = "LOCAL_QUORUM")]
    consistency: String,
    /// Requests in flight.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Rows per batch (same partition only).
    #[arg(long, default_value_t = 32)]
    batch_rows: usize,
    /// Rows per second.
    #[arg(long)]
    rate: Option<f64>,
    /// TTL in seconds.
    #[arg(long)]
    ttl: Option<u32>,
    /// Stop past N rejected records or P% (`100`, `1%`, `-1` unlimited).
    #[arg(long, default_value = "100", allow_hyphen_values = true)]
    max_errors: String,
    /// Rejected records go here.
    #[arg(long)]
    bad_file: Option<PathBuf>,
    /// Save progress here.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Continue from the checkpoint.
    #[arg(long)]
    resume: bool,
    /// Largest serialized value in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    max_value_bytes: usize,
    /// Parser threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Records per parse chunk.
    #[arg(long, default_value_t = 2000)]
    chunk_rows: usize,
    /// Request timeout.
    #[arg(long, default_value = "12s")]
    timeout: String,
}

fn config(a: LoadArgs) -> Result<LoadConfig> {
    let &[delimiter] = a.delimiter.as_bytes() else {
        bail!("--delimiter must be one byte");
    };
    let max_errors = if a.max_errors.trim() == "-1" {
        MaxErrors::Count(u64::MAX)
    } else {
        MaxErrors::parse(&a.max_errors)?
    };
    Ok(LoadConfig {
        hosts: common::parse_hosts(&a.hosts, a.port),
        keyspace: a.keyspace,
        table: a.table,
        file: a.file,
        format: a.format,
        header: a.header,
        delimiter,
        mapping: a.mapping,
        schema: a.schema,
        timestamps: TimestampFormat::parse(&a.timestamp_format),
        null_string: a.null_string,
        consistency: common::parse_consistency(&a.consistency)?,
        concurrency: a.concurrency,
        batch_rows: a.batch_rows,
        rate: a.rate,
        ttl: a.ttl,
        max_errors,
        bad_file: a.bad_file,
        checkpoint: a.checkpoint,
        resume: a.resume,
        max_value_bytes: a.max_value_bytes,
        chunk_rows: a.chunk_rows,
        threads: a
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from)),
        timeout: common::parse_duration(&a.timeout)?,
        progress: Some(std::sync::Arc::new(|line: &str| eprintln!("{line}"))),
    })
}

#[expect(clippy::print_stdout, reason = "the summary is the program's output")]
fn print_summary(s: &LoadSummary) -> Result<()> {
    println!(
        "read {} = loaded {} + rejected {} + not attempted {}{}\n\
         skipped (checkpoint) {}; total loaded {}, total rejected {}\n\
         {:.1} s, {:.0} rows/s, {:.1} MB/s{}",
        s.read,
        s.loaded,
        s.rejected,
        s.not_attempted,
        if s.reconciles() {
            ""
        } else {
            " (DOES NOT RECONCILE)"
        },
        s.skipped,
        s.total_loaded,
        s.total_rejected,
        s.seconds,
        s.rows_per_sec,
        s.mb_per_sec,
        if s.max_errors_exceeded {
            "\nstopped: --max-errors exceeded"
        } else {
            ""
        },
    );
    println!("SUMMARY {}", serde_json::to_string(s)?);
    Ok(())
}

fn gen_command(a: &GenArgs) -> Result<()> {
    let config = GenConfig {
        sensors: a.sensors,
        points: a.points,
        start_ms: parse_start(&a.start)?,
        interval_ms: i64::try_from(common::parse_duration(&a.interval)?.as_millis())?,
        seed: a.seed,
        header: true,
    };
    let mut out: Box<dyn Write> = match &a.out {
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
        Some(path) => {
            let file = std::io::BufWriter::new(std::fs::File::create(path)?);
            match path.extension().and_then(|e| e.to_str()) {
                Some("gz") => Box::new(flate2::write::GzEncoder::new(
                    file,
                    flate2::Compression::fast(),
                )),
                Some("zst" | "zstd") => Box::new(zstd::Encoder::new(file, 3)?.auto_finish()),
                _ => Box::new(file),
            }
        }
    };
    generate(&config, &mut out)?;
    Ok(())
}

async fn scan_setup(a: &ScanArgs, page_size: i32) -> Result<(Session, ScanConfig)> {
    let hosts = common::parse_hosts(&a.hosts, a.port);
    let sessions = common::connect_all(&hosts, std::time::Duration::from_secs(30)).await?;
    let session = sessions
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no hosts"))?;
    let schema = match &a.schema {
        Some(text) => TableSchema::parse(text)?,
        None => TableSchema::fetch(&session, &a.keyspace, &a.table).await?,
    };
    let config = ScanConfig {
        keyspace: a.keyspace.clone(),
        table: a.table.clone(),
        schema,
        splits: a.splits,
        concurrency: a.concurrency,
        consistency: common::parse_consistency(&a.consistency)?,
        page_size,
    };
    Ok((session, config))
}

#[expect(clippy::print_stdout, reason = "the count is the program's output")]
async fn count_command(a: &ScanArgs) -> Result<()> {
    let (session, config) = scan_setup(a, 5000).await?;
    println!("{}", unload::count(&session, &config).await?);
    Ok(())
}

async fn unload_command(a: &UnloadArgs) -> Result<()> {
    let (session, config) = scan_setup(&a.scan, a.page_size).await?;
    let mut out: Box<dyn Write + Send> = match &a.out {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let rows = unload::unload(&session, &config, a.format, &mut *out).await?;
    eprintln!("unloaded {rows} rows");
    Ok(())
}

fn main() -> Result<ExitCode> {
    sibyl_protocol::logging::init()?;
    match Cli::parse().command {
        Command::Gen(a) => gen_command(&a).map(|()| ExitCode::SUCCESS),
        Command::Count(a) => {
            tokio::runtime::Runtime::new()?.block_on(count_command(&a))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Unload(a) => {
            tokio::runtime::Runtime::new()?.block_on(unload_command(&a))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Load(a) => {
            let config = config(*a)?;
            let runtime = tokio::runtime::Runtime::new()?;
            let summary = runtime.block_on(load::run(config))?;
            print_summary(&summary)?;
            Ok(if summary.max_errors_exceeded || !summary.reconciles() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
