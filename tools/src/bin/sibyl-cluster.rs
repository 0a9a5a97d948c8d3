//! `sibyl-cluster`: a local Sibyl cluster on loopback addresses (Cassandra's
//! `ccm`): create, start, stop, kill, pause, partition, status, logs, remove.
//!
//! Clusters live under `--dir` (default `./clusters`), one directory each;
//! `create` makes the new cluster the current one (`clusters/CURRENT`), which
//! every other command acts on unless `--cluster NAME` says otherwise.
//! Errors are one line plus a hint, exit status 1.

use std::io::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use sibyl_tools::cluster::{
    Cluster, ClusterError, CreateOptions, NodeStatus, Topology, format_status,
};

#[derive(Parser)]
#[command(
    name = "sibyl-cluster",
    version,
    about = "Local Sibyl clusters on loopback addresses"
)]
struct Cli {
    /// Directory holding the clusters.
    #[arg(long, global = true, default_value = "clusters", value_name = "PATH")]
    dir: PathBuf,
    /// The cluster to act on (default: the current one, set by create and switch).
    #[arg(long, short = 'c', global = true, value_name = "NAME")]
    cluster: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a cluster (not started unless --start) and make it current.
    Create(CreateArgs),
    /// Start every node, or one; waits until ready.
    Start {
        /// The node (default: all).
        node: Option<String>,
    },
    /// Stop every node, or one (SIGTERM, SIGKILL after 15 s).
    Stop {
        /// The node (default: all).
        node: Option<String>,
    },
    /// Kill a node with SIGKILL.
    Kill {
        /// The node.
        node: String,
    },
    /// Freeze a node with SIGSTOP.
    Pause {
        /// The node.
        node: String,
    },
    /// Wake a paused node with SIGCONT.
    Resume {
        /// The node.
        node: String,
    },
    /// Drop all messages between NODE... and the --from nodes, both ways.
    Partition {
        /// One side.
        #[arg(required = true)]
        nodes: Vec<String>,
        /// The other side.
        #[arg(long, required = true, num_args = 1..)]
        from: Vec<String>,
    },
    /// Remove every fault rule on every running node.
    Heal,
    /// Each node's state, load, tokens, host id and rack, like nodetool status.
    Status {
        /// One JSON object per node instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Show a node's fault rules, or replace them with --set '{"rules": [...]}'.
    Faults {
        /// The node.
        node: String,
        /// The new rules (the admin API's JSON).
        #[arg(long, value_name = "JSON")]
        set: Option<String>,
    },
    /// Print a node's log.
    Logs {
        /// The node.
        node: String,
        /// Only the last N lines.
        #[arg(long, value_name = "N")]
        tail: Option<usize>,
    },
    /// Kill every node and delete the cluster's directory.
    Remove,
    /// List the clusters (the current one marked with *).
    List,
    /// Make another cluster current.
    Switch {
        /// The cluster.
        name: String,
    },
}

#[derive(clap::Args)]
struct CreateArgs {
    /// The cluster name.
    name: String,
    /// Nodes of a single data center (`datacenter1`).
    #[arg(long, conflicts_with_all = ["dcs", "topology"])]
    nodes: Option<usize>,
    /// Data centers `dc1`, `dc2`, ... (with --nodes-per-dc).
    #[arg(long, requires = "nodes_per_dc", conflicts_with = "topology")]
    dcs: Option<usize>,
    /// Nodes in each data center.
    #[arg(long, requires = "dcs")]
    nodes_per_dc: Option<usize>,
    /// Racks per data center (nodes assigned round-robin).
    #[arg(long, default_value_t = 1)]
    racks: usize,
    /// A topology file (see testdata/topologies/).
    #[arg(long, value_name = "FILE")]
    topology: Option<PathBuf>,
    /// The first node's address; the others follow.
    #[arg(long, default_value = "127.0.0.1", value_name = "IP")]
    base_address: Ipv4Addr,
    /// Virtual nodes per node.
    #[arg(long, default_value_t = sibyl_tools::cluster::NUM_TOKENS)]
    num_tokens: u32,
    /// A config key for every node, `KEY=VALUE` (repeatable).
    #[arg(long = "config-override", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// The sibyld binary (default: $SIBYLD, else next to this program, else on PATH).
    #[arg(long, value_name = "PATH")]
    sibyld: Option<PathBuf>,
    /// Start the nodes right away.
    #[arg(long)]
    start: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = sibyl_protocol::logging::init() {
        eprintln!("sibyl-cluster: {e}");
        return ExitCode::FAILURE;
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sibyl-cluster: {e:#}");
            if let Some(cluster) = e.downcast_ref::<ClusterError>() {
                eprintln!("hint: {}", cluster.hint());
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let dir = cli.dir;
    match cli.command {
        Command::Create(args) => create(&dir, args),
        Command::List => list(&dir),
        Command::Switch { name } => {
            Cluster::open(&dir.join(&name))?;
            set_current(&dir, &name)
        }
        Command::Remove => {
            let name = current(&dir, cli.cluster)?;
            Cluster::open(&dir.join(&name))?.remove()?;
            if std::fs::read_to_string(dir.join("CURRENT")).is_ok_and(|c| c.trim() == name) {
                let _ = std::fs::remove_file(dir.join("CURRENT"));
            }
            Ok(())
        }
        command => {
            let name = current(&dir, cli.cluster)?;
            let cluster = Cluster::open(&dir.join(name))?;
            act(cluster, command)
        }
    }
}

fn act(mut cluster: Cluster, command: Command) -> Result<()> {
    match command {
        Command::Start { node } => {
            let names = match node {
                Some(node) => vec![node],
                None => cluster.node_names(),
            };
            if let [one] = names.as_slice() {
                cluster.start(one)?;
            } else {
                cluster.start_all()?;
            }
            out(&ready_lines(&cluster, &names)?)?;
        }
        Command::Stop { node: None } => cluster.stop_all()?,
        Command::Stop { node: Some(node) } => cluster.stop(&node)?,
        Command::Kill { node } => cluster.kill(&node)?,
        Command::Pause { node } => cluster.pause(&node)?,
        Command::Resume { node } => cluster.resume(&node)?,
        Command::Partition { nodes, from } => {
            let side: Vec<&str> = nodes.iter().map(String::as_str).collect();
            let other: Vec<&str> = from.iter().map(String::as_str).collect();
            cluster.partition(&side, &other)?;
        }
        Command::Heal => cluster.heal()?,
        Command::Status { json: false } => out(&format_status(&cluster.status()))?,
        Command::Status { json: true } => {
            let lines: String = cluster
                .status()
                .iter()
                .map(|s| format!("{}\n", status_json(s)))
                .collect();
            out(&lines)?;
        }
        Command::Faults { node, set } => {
            if let Some(rules) = set {
                let rules: serde_json::Value =
                    serde_json::from_str(&rules).context("--set takes JSON")?;
                cluster.set_faults(&node, &rules)?;
            }
            out(&format!("{}\n", cluster.faults(&node)?))?;
        }
        Command::Logs { node, tail } => {
            cluster.node(&node)?;
            let text = cluster.log_text(&node);
            let lines: Vec<&str> = text.lines().collect();
            let from = tail.map_or(0, |n| lines.len().saturating_sub(n));
            let mut shown = lines.get(from..).unwrap_or_default().join("\n");
            shown.push('\n');
            out(&shown)?;
        }
        Command::Create(_) | Command::Remove | Command::List | Command::Switch { .. } => {
            bail!("internal: command dispatched twice")
        }
    }
    Ok(())
}

fn create(dir: &Path, args: CreateArgs) -> Result<()> {
    let topology = match (&args.topology, args.dcs, args.nodes_per_dc, args.nodes) {
        (Some(file), ..) => Topology::load(file)?,
        (None, Some(dcs), Some(per_dc), _) => Topology::multi_dc(dcs, per_dc, args.racks),
        (None, _, _, nodes) => Topology::single_dc(nodes.unwrap_or(3), args.racks),
    };
    let sibyld = args.sibyld.map_or_else(default_sibyld, Ok)?;
    let mut options = CreateOptions::new(&args.name, dir, topology, &sibyld);
    options.base_address = args.base_address;
    options.num_tokens = args.num_tokens;
    options.overrides = args.overrides;
    let mut cluster = Cluster::create(options)?;
    set_current(dir, &args.name)?;
    let summary: Vec<String> = cluster
        .nodes()
        .iter()
        .map(|n| format!("{} {} {}/{}", n.name, n.address, n.dc, n.rack))
        .collect();
    out(&format!(
        "created {} in {}: {}\n",
        cluster.name(),
        cluster.dir().display(),
        summary.join(", ")
    ))?;
    if args.start {
        cluster.start_all()?;
        out(&ready_lines(&cluster, &cluster.node_names())?)?;
    }
    Ok(())
}

/// `node1 ready: native=127.0.0.1:9042 admin=127.0.0.1:9180`, one per node.
fn ready_lines(cluster: &Cluster, names: &[String]) -> Result<String> {
    let mut text = String::new();
    for name in names {
        text.push_str(&format!(
            "{name} ready: native={} admin={}\n",
            cluster.native_address(name)?,
            cluster.admin_address(name)?
        ));
    }
    Ok(text)
}

fn status_json(status: &NodeStatus) -> serde_json::Value {
    serde_json::json!({
        "name": status.name,
        "address": status.address.to_string(),
        "dc": status.dc,
        "rack": status.rack,
        "state": status.state,
        "load_bytes": status.load_bytes,
        "tokens": status.tokens,
        "host_id": status.host_id,
    })
}

fn default_sibyld() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("SIBYLD") {
        return Ok(PathBuf::from(path));
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("sibyld")))
        .filter(|p| p.exists());
    Ok(beside.unwrap_or_else(|| PathBuf::from("sibyld")))
}

fn current(dir: &Path, chosen: Option<String>) -> Result<String> {
    if let Some(name) = chosen {
        return Ok(name);
    }
    let path = dir.join("CURRENT");
    let name = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "no current cluster ({}); create one or pass --cluster",
            path.display()
        )
    })?;
    Ok(name.trim().to_owned())
}

fn set_current(dir: &Path, name: &str) -> Result<()> {
    let path = dir.join("CURRENT");
    std::fs::write(&path, format!("{name}\n"))
        .with_context(|| format!("writing {}", path.display()))
}

fn list(dir: &Path) -> Result<()> {
    let current = current(dir, None).unwrap_or_default();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .flatten()
        .filter(|e| e.path().join("cluster.json").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let lines: String = names
        .iter()
        .map(|n| format!("{} {n}\n", if *n == current { "*" } else { " " }))
        .collect();
    out(&lines)
}

fn out(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}
