//! `sibyl-stress`: workloads against a node, and the echo server.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use sibyl_tools::stress::{StressConfig, Workload, workload::parse_ratio};
use sibyl_tools::{common, echo, report};

#[derive(Parser)]
#[command(name = "sibyl-stress", about = "Sibyl load generator and echo server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A native-protocol server that answers everything at once (the floor).
    EchoServer {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        listen_address: IpAddr,
        /// Port (0 picks one; the chosen address is printed).
        #[arg(long, default_value_t = 9042)]
        port: u16,
    },
    /// Merge `--json` files into an HTML report.
    Html {
        /// The page to create or append to.
        #[arg(long)]
        out: PathBuf,
        /// JSON results.
        inputs: Vec<PathBuf>,
    },
    /// Run a workload.
    #[command(flatten)]
    Run(Box<RunCommand>),
}

#[derive(Subcommand)]
enum RunCommand {
    /// Inserts.
    Write(RunArgs),
    /// Point reads.
    Read(RunArgs),
    /// Reads and writes by `--ratio`.
    Mixed(RunArgs),
    /// Appends per sensor and recent-slice reads.
    Timeseries(RunArgs),
    /// Compare-and-set updates.
    Lwt(RunArgs),
    /// Counter increments.
    Counter(RunArgs),
}

#[derive(clap::Args, Clone)]
struct RunArgs {
    /// Hosts, comma-separated (`host[:port]`).
    #[arg(long, default_value = "127.0.0.1")]
    hosts: String,
    /// Default port.
    #[arg(long, default_value_t = 9042)]
    port: u16,
    /// Stop after N operations.
    #[arg(long, conflicts_with = "duration")]
    ops: Option<u64>,
    /// Stop after a duration (`30s`, `2m`).
    #[arg(long)]
    duration: Option<String>,
    /// Operations in flight.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Connections per host (workers are spread over all of them).
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Fixed rate (ops/s), latency measured from each op's intended start.
    #[arg(long)]
    rate: Option<f64>,
    /// Consistency level.
    #[arg(long, default_value = "LOCAL_ONE")]
    consistency: String,
    /// Replication factor of the created keyspace.
    #[arg(long, default_value_t = 1)]
    rf: u32,
    /// Distinct partitions.
    #[arg(long, default_value_t = 1_000_000)]
    partitions: u64,
    /// Value size in bytes.
    #[arg(long, default_value_t = 100)]
    value_size: usize,
    /// Unmeasured warmup (`5s`).
    #[arg(long, default_value = "0s")]
    warmup: String,
    /// Mixed ratio, e.g. `read=3,write=1`.
    #[arg(long)]
    ratio: Option<String>,
    /// Data seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Keyspace.
    #[arg(long, default_value = "sibyl_stress")]
    keyspace: String,
    /// Interval between progress lines (`1s`).
    #[arg(long, default_value = "1s")]
    interval: String,
    /// Write results as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Append results to an HTML report.
    #[arg(long)]
    html: Option<PathBuf>,
    /// A label for the run in reports.
    #[arg(long, default_value = "")]
    label: String,
}

fn config(workload: Workload, a: &RunArgs) -> Result<StressConfig> {
    let default_ratio = if workload == Workload::Timeseries {
        (1, 4)
    } else {
        (1, 1)
    };
    let duration = match (&a.duration, a.ops) {
        (Some(d), _) => Some(common::parse_duration(d)?),
        (None, None) => Some(std::time::Duration::from_secs(10)),
        (None, Some(_)) => None,
    };
    Ok(StressConfig {
        workload,
        ratio: a
            .ratio
            .as_deref()
            .map(parse_ratio)
            .transpose()?
            .unwrap_or(default_ratio),
        ops: a.ops,
        duration,
        concurrency: a.concurrency.max(1),
        rate: a.rate,
        consistency: common::parse_consistency(&a.consistency)?,
        rf: a.rf,
        partitions: a.partitions.max(1),
        value_size: a.value_size,
        warmup: common::parse_duration(&a.warmup)?,
        seed: a.seed,
        keyspace: a.keyspace.clone(),
        interval: common::parse_duration(&a.interval)?,
    })
}

#[expect(clippy::print_stdout, reason = "the report is the program's output")]
async fn run(workload: Workload, a: RunArgs) -> Result<()> {
    let cfg = config(workload, &a)?;
    let hosts: Vec<String> = common::parse_hosts(&a.hosts, a.port)
        .into_iter()
        .flat_map(|h| std::iter::repeat_n(h, a.connections.max(1)))
        .collect();
    let sessions = common::connect_all(&hosts, std::time::Duration::from_secs(12)).await?;
    println!("{}", report::INTERVAL_HEADER);
    let mut result = sibyl_tools::stress::run(cfg, sessions, |l| {
        println!("{}", report::format_interval(l));
    })
    .await?;
    result.command = std::env::args().collect::<Vec<_>>().join(" ");
    result.label = a.label.clone();
    println!("{}", report::format_summary(&result));
    if let Some(path) = &a.json {
        report::write_json(&result, path)?;
    }
    if let Some(path) = &a.html {
        report::append_html(path, std::slice::from_ref(&result))?;
    }
    Ok(())
}

#[expect(
    clippy::print_stdout,
    reason = "tests read the bound address from stdout"
)]
async fn echo_server(ip: IpAddr, port: u16) -> Result<()> {
    let (listener, addr) = echo::bind(SocketAddr::new(ip, port)).await?;
    println!("echo server listening on {addr}");
    echo::serve(listener).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    sibyl_protocol::logging::init()?;
    let cli = Cli::parse();
    match cli.command {
        Command::EchoServer {
            listen_address,
            port,
        } => echo_server(listen_address, port).await,
        Command::Html { out, inputs } => {
            let runs = inputs
                .iter()
                .map(|p| report::read_json(p))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(report::append_html(&out, &runs)?)
        }
        Command::Run(r) => match *r {
            RunCommand::Write(a) => run(Workload::Write, a).await,
            RunCommand::Read(a) => run(Workload::Read, a).await,
            RunCommand::Mixed(a) => run(Workload::Mixed, a).await,
            RunCommand::Timeseries(a) => run(Workload::Timeseries, a).await,
            RunCommand::Lwt(a) => run(Workload::Lwt, a).await,
            RunCommand::Counter(a) => run(Workload::Counter, a).await,
        },
    }
}
