//! Cluster tests in phases: a [`Cluster`] (the `sibyl-cluster` library) whose
//! nodes all see each other through gossip, and Python scripts run against
//! all of them phase by phase, so a test can kill, pause, partition or
//! restart nodes between phases.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use sibyl_tools::cluster::{Cluster, Topology};

use crate::python::workspace_root;

/// Longest wait for every node to see every other node up.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings every test cluster gets: a quicker failure detector than
/// Cassandra's default (tests wait for convictions).
pub const TEST_SETTINGS: [(&str, i64); 1] = [("phi_convict_threshold", 5)];

/// A setting for [`TestCluster::start`] (`("hinted_handoff_enabled", false.into())`).
pub type Setting<'a> = (&'a str, toml::Value);

/// A started cluster whose nodes have all joined.
pub struct TestCluster {
    /// The cluster (nodes `node1`..).
    pub cluster: Cluster,
}

impl TestCluster {
    /// Starts `topology` with [`TEST_SETTINGS`] plus `settings`, and waits
    /// until every node sees every node up.
    ///
    /// # Errors
    /// A node does not start, or the nodes do not all see each other in time.
    pub fn start(mut topology: Topology, settings: &[Setting<'_>]) -> Result<Self> {
        for (key, value) in TEST_SETTINGS {
            topology
                .config
                .insert(key.to_owned(), toml::Value::Integer(value));
        }
        for (key, value) in settings {
            topology.config.insert((*key).to_owned(), value.clone());
        }
        let cluster = crate::local_cluster::start(topology)?;
        let this = Self { cluster };
        this.wait_all_up(JOIN_TIMEOUT)?;
        Ok(this)
    }

    /// Node names in order.
    pub fn names(&self) -> Vec<String> {
        self.cluster.node_names()
    }

    /// The nodes' addresses, in order.
    pub fn addresses(&self) -> Vec<String> {
        self.cluster
            .native_addresses()
            .iter()
            .map(|a| a.ip().to_string())
            .collect()
    }

    /// Waits until every running node's gossip shows every node `UN`.
    ///
    /// # Errors
    /// Not so within `timeout`.
    pub fn wait_all_up(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let want = self.names().len();
        loop {
            let all_up = self.names().iter().all(|name| {
                self.cluster.admin_status(name).is_ok_and(|view| {
                    view.get("nodes")
                        .and_then(|n| n.as_array())
                        .is_some_and(|nodes| {
                            nodes.len() == want
                                && nodes
                                    .iter()
                                    .all(|n| n.get("state").and_then(|s| s.as_str()) == Some("UN"))
                        })
                })
            });
            if all_up {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the nodes did not all see each other up within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs `tests/python/<script> <phase> <address>...`; the script prints `OK` last.
    ///
    /// # Errors
    /// A report with the script's output and every node's log tail.
    pub fn run_phase(&self, script: &str, phase: &str) -> std::result::Result<(), String> {
        self.run_phase_with_env(script, phase, &[])
    }

    /// [`TestCluster::run_phase`] with environment variables for the script.
    ///
    /// # Errors
    /// As [`TestCluster::run_phase`].
    pub fn run_phase_with_env(
        &self,
        script: &str,
        phase: &str,
        env: &[(String, String)],
    ) -> std::result::Result<(), String> {
        let output = python_phase(script, phase, &self.addresses(), env)?;
        self.judge(script, phase, &output)
    }

    /// Judges the output of a phase run with [`python_phase`] (on another thread).
    ///
    /// # Errors
    /// A report with the script's output and every node's log tail.
    pub fn judge(
        &self,
        script: &str,
        phase: &str,
        output: &std::process::Output,
    ) -> std::result::Result<(), String> {
        let stdout = String::from_utf8_lossy(&output.stdout);
        if output.status.success() && stdout.trim_end().ends_with("OK") {
            return Ok(());
        }
        let logs: String = self
            .names()
            .iter()
            .map(|n| format!("--- {n} ---\n{}", tail(&self.cluster.log_text(n), 40)))
            .collect();
        Err(format!(
            "{script} {phase} failed\nstdout:\n{stdout}\nstderr:\n{}\nlogs:\n{logs}",
            String::from_utf8_lossy(&output.stderr),
        ))
    }

    /// Runs a phase and panics with the report when it fails.
    pub fn phase(&self, script: &str, phase: &str) {
        if let Err(report) = self.run_phase(script, phase) {
            panic!("{report}");
        }
    }
}

/// Runs `tests/python/<script> <phase> <address>...` and returns its output
/// (for phases run on their own thread while the test changes the cluster).
///
/// # Errors
/// Python cannot be installed or started.
pub fn python_phase(
    script: &str,
    phase: &str,
    addresses: &[String],
    env: &[(String, String)],
) -> std::result::Result<std::process::Output, String> {
    let clients = crate::python::clients()
        .map_err(|e| format!("the pinned Python driver installs: {e:#}"))?;
    Command::new(&clients.python)
        .arg(workspace_root().join("tests/python").join(script))
        .arg(phase)
        .args(addresses)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .map_err(|e| format!("python runs: {e}"))
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n") + "\n"
}
