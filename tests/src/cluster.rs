//! Multi-node clusters of real `sibyld` processes for tests: nodes on their
//! own loopback addresses with the default ports, the first node the seed,
//! and Python scripts run in phases against all of them, so a test can kill,
//! pause or restart nodes between phases.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::node::Node;
use crate::python::workspace_root;

/// Longest wait for every node to see every other node up.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Flags for test clusters: a quicker failure detector than Cassandra's
/// default (tests wait for convictions).
pub const TEST_FLAGS: [&str; 2] = ["--set", "phi_convict_threshold=5"];

/// A running cluster.
pub struct TestCluster {
    /// The nodes, seed first.
    pub nodes: Vec<Node>,
}

impl TestCluster {
    /// Starts `count` nodes in one data center (`datacenter1`, one rack each).
    ///
    /// # Errors
    /// A node does not start, or the nodes do not all see each other in time.
    pub fn start(count: usize, extra: &[&str]) -> Result<Self> {
        let dcs = vec![("datacenter1", count)];
        Self::start_dcs(&dcs, extra)
    }

    /// Starts nodes per data center (`(name, nodes)`), each node on its own rack.
    ///
    /// # Errors
    /// As [`TestCluster::start`].
    pub fn start_dcs(dcs: &[(&str, usize)], extra: &[&str]) -> Result<Self> {
        let mut nodes: Vec<Node> = Vec::new();
        let mut seeds = String::new();
        for (dc, count) in dcs {
            for i in 0..*count {
                let rack = format!("rack{}", i + 1);
                let mut args: Vec<&str> = vec!["--dc", dc, "--rack", &rack];
                if !seeds.is_empty() {
                    args.extend(["--seeds", &seeds]);
                }
                args.extend(TEST_FLAGS);
                args.extend(extra);
                let node = Node::start(&args)?;
                if seeds.is_empty() {
                    seeds = node.address.to_string();
                }
                nodes.push(node);
            }
        }
        let cluster = Self { nodes };
        cluster.wait_joined()?;
        Ok(cluster)
    }

    /// The nodes' addresses, in order.
    pub fn addresses(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.address.to_string()).collect()
    }

    /// Waits until every node's log says it saw every other node join.
    ///
    /// # Errors
    /// Not all joined within [`JOIN_TIMEOUT`].
    pub fn wait_joined(&self) -> Result<()> {
        let deadline = Instant::now() + JOIN_TIMEOUT;
        let want = self.nodes.len().saturating_sub(1);
        loop {
            let joined = self
                .nodes
                .iter()
                .all(|n| n.log_text().matches("new node joined").count() >= want);
            if joined {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the nodes did not all see each other within {JOIN_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs `tests/python/<script> <phase> <address>...`; the script prints `OK` last.
    ///
    /// # Errors
    /// A report with the script's output and every node's log.
    pub fn run_phase(&self, script: &str, phase: &str) -> std::result::Result<(), String> {
        let clients = crate::python::clients()
            .map_err(|e| format!("the pinned Python driver installs: {e:#}"))?;
        let output = Command::new(&clients.python)
            .arg(workspace_root().join("tests/python").join(script))
            .arg(phase)
            .args(self.addresses())
            .output()
            .map_err(|e| format!("python runs: {e}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if output.status.success() && stdout.trim_end().ends_with("OK") {
            return Ok(());
        }
        let logs: String = self
            .nodes
            .iter()
            .map(|n| format!("--- {} ---\n{}", n.address, tail(&n.log_text(), 60)))
            .collect();
        Err(format!(
            "{script} {phase} failed\nstdout:\n{stdout}\nstderr:\n{}\nlogs:\n{logs}",
            String::from_utf8_lossy(&output.stderr),
        ))
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n") + "\n"
}
