//! Starting and signalling nodes: start (then wait for the `sibyld ready:`
//! line), stop (SIGTERM, then SIGKILL after the stop timeout), kill
//! (SIGKILL), pause and resume (SIGSTOP / SIGCONT).
//!
//! A node is running while the process this value started has not exited,
//! or, for a pid from the state file, while that pid is a live `sibyld` with
//! the node's data directory on its command line.

use std::time::{Duration, Instant};

use super::error::ClusterError;
use super::process;
use super::{Cluster, NodeInfo};

const POLL: Duration = Duration::from_millis(20);

impl Cluster {
    /// The pid of the node's running process, if it runs.
    ///
    /// # Errors
    /// [`ClusterError::UnknownNode`].
    pub fn running_pid(&mut self, name: &str) -> Result<Option<u32>, ClusterError> {
        let pid = self.node(name)?.pid;
        if let Some(child) = self.children.get_mut(name) {
            if matches!(child.try_wait(), Ok(None)) {
                return Ok(Some(child.id()));
            }
            self.children.remove(name);
            return Ok(None);
        }
        let data_dir = self.data_dir(name);
        Ok(pid.filter(|pid| process::alive(*pid) && process::is_node(*pid, &data_dir)))
    }

    /// True while the node's process runs (paused counts as running).
    ///
    /// # Errors
    /// [`ClusterError::UnknownNode`].
    pub fn is_running(&mut self, name: &str) -> Result<bool, ClusterError> {
        Ok(self.running_pid(name)?.is_some())
    }

    /// Starts every node that is not running: seeds first, then the others
    /// together; returns once all are ready.
    ///
    /// # Errors
    /// A node fails to start or is not ready in time.
    pub fn start_all(&mut self) -> Result<(), ClusterError> {
        for seeds in [true, false] {
            let names: Vec<String> = self
                .state
                .nodes
                .iter()
                .filter(|n| n.seed == seeds)
                .map(|n| n.name.clone())
                .collect();
            let mut launched = Vec::new();
            for name in names {
                if let Some(ready_before) = self.launch(&name)? {
                    launched.push((name, ready_before));
                }
            }
            for (name, ready_before) in launched {
                self.wait_ready(&name, ready_before)?;
            }
        }
        Ok(())
    }

    /// Starts one node (nothing if it runs) and waits until it is ready.
    ///
    /// # Errors
    /// The node fails to start or is not ready in time.
    pub fn start(&mut self, name: &str) -> Result<(), ClusterError> {
        if let Some(ready_before) = self.launch(name)? {
            self.wait_ready(name, ready_before)?;
        }
        Ok(())
    }

    /// The `sibyld` arguments of a node.
    pub fn node_args(&self, node: &NodeInfo) -> Vec<String> {
        let seeds: Vec<String> = self
            .state
            .nodes
            .iter()
            .filter(|n| n.seed)
            .map(|n| n.address.to_string())
            .collect();
        let mut args = vec![
            "--data-dir".to_owned(),
            self.data_dir(&node.name).display().to_string(),
            "--listen-address".to_owned(),
            node.address.to_string(),
            "--dc".to_owned(),
            node.dc.clone(),
            "--rack".to_owned(),
            node.rack.clone(),
            "--seeds".to_owned(),
            seeds.join(","),
            "--cluster-name".to_owned(),
            self.state.name.clone(),
            "--num-tokens".to_owned(),
            self.state.num_tokens.to_string(),
        ];
        for set in &self.state.overrides {
            args.push("--set".to_owned());
            args.push(set.clone());
        }
        args
    }

    /// Spawns the node unless it runs; returns how many ready lines its log
    /// held before (to wait for the next one), or `None` if it already ran.
    fn launch(&mut self, name: &str) -> Result<Option<usize>, ClusterError> {
        if self.is_running(name)? {
            return Ok(None);
        }
        let node = self.node(name)?.clone();
        let ready_before = self.ready_lines(&node);
        let log = self.log_path(name);
        let child =
            process::spawn(&self.state.sibyld, &self.node_args(&node), &log).map_err(|source| {
                ClusterError::Spawn {
                    node: name.to_owned(),
                    binary: self.state.sibyld.clone(),
                    source,
                }
            })?;
        self.set_pid(name, Some(child.id()))?;
        self.children.insert(name.to_owned(), child);
        Ok(Some(ready_before))
    }

    fn ready_lines(&self, node: &NodeInfo) -> usize {
        let marker = format!("sibyld ready: native={}:", node.address);
        self.log_text(&node.name).matches(&marker).count()
    }

    /// Waits until the node's log holds more than `ready_before` ready lines.
    fn wait_ready(&mut self, name: &str, ready_before: usize) -> Result<(), ClusterError> {
        let node = self.node(name)?.clone();
        let deadline = Instant::now() + self.ready_timeout;
        loop {
            if self.ready_lines(&node) > ready_before {
                return Ok(());
            }
            if !self.is_running(name)? {
                self.set_pid(name, None)?;
                return Err(ClusterError::Exited {
                    node: name.to_owned(),
                    log_tail: process::log_tail(&self.log_path(name), 20),
                });
            }
            if Instant::now() >= deadline {
                return Err(ClusterError::NotReady {
                    node: name.to_owned(),
                    waited: self.ready_timeout,
                    log_tail: process::log_tail(&self.log_path(name), 20),
                });
            }
            std::thread::sleep(POLL);
        }
    }

    /// Stops one node: SIGTERM (and SIGCONT, so a paused node can act on
    /// it), then SIGKILL if it has not exited within the stop timeout.
    ///
    /// # Errors
    /// Signalling failed or the process did not die.
    pub fn stop(&mut self, name: &str) -> Result<(), ClusterError> {
        self.stop_many(&[name.to_owned()])
    }

    /// Stops every running node (all signalled at once, then awaited).
    ///
    /// # Errors
    /// As [`Cluster::stop`].
    pub fn stop_all(&mut self) -> Result<(), ClusterError> {
        self.stop_many(&self.node_names())
    }

    fn stop_many(&mut self, names: &[String]) -> Result<(), ClusterError> {
        for name in names {
            if let Some(pid) = self.running_pid(name)? {
                self.signal(name, pid, "TERM")?;
                self.signal(name, pid, "CONT")?;
            }
        }
        let deadline = Instant::now() + self.stop_timeout;
        for name in names {
            if !self.wait_gone(name, deadline)? {
                tracing::warn!(node = %name, "no graceful stop in time; killing it");
                self.kill(name)?;
            }
            self.set_pid(name, None)?;
        }
        Ok(())
    }

    /// Stops the node gracefully, then starts it again on the same data.
    ///
    /// # Errors
    /// As [`Cluster::stop`] and [`Cluster::start`].
    pub fn restart(&mut self, name: &str) -> Result<(), ClusterError> {
        self.stop(name)?;
        self.start(name)
    }

    /// Kills one node with SIGKILL (no flush, no goodbye) and waits until it
    /// is gone. Nothing if it does not run.
    ///
    /// # Errors
    /// Signalling failed or the process did not die.
    pub fn kill(&mut self, name: &str) -> Result<(), ClusterError> {
        if let Some(pid) = self.running_pid(name)? {
            self.signal(name, pid, "KILL")?;
            let deadline = Instant::now() + self.stop_timeout;
            if !self.wait_gone(name, deadline)? {
                return Err(ClusterError::Process {
                    node: name.to_owned(),
                    reason: format!("pid {pid} is still alive after SIGKILL"),
                });
            }
        }
        self.set_pid(name, None)
    }

    /// Freezes the node with SIGSTOP: its sockets stay open but it answers nothing.
    ///
    /// # Errors
    /// The node does not run, or signalling failed.
    pub fn pause(&mut self, name: &str) -> Result<(), ClusterError> {
        let pid = self.require_pid(name)?;
        self.signal(name, pid, "STOP")
    }

    /// Wakes a paused node with SIGCONT.
    ///
    /// # Errors
    /// The node does not run, or signalling failed.
    pub fn resume(&mut self, name: &str) -> Result<(), ClusterError> {
        let pid = self.require_pid(name)?;
        self.signal(name, pid, "CONT")
    }

    fn require_pid(&mut self, name: &str) -> Result<u32, ClusterError> {
        self.running_pid(name)?
            .ok_or_else(|| ClusterError::Process {
                node: name.to_owned(),
                reason: "not running".to_owned(),
            })
    }

    fn signal(&self, name: &str, pid: u32, signal: &str) -> Result<(), ClusterError> {
        process::signal(pid, signal).map_err(|reason| ClusterError::Process {
            node: name.to_owned(),
            reason,
        })
    }

    /// Polls until the node's process is gone; false at the deadline.
    fn wait_gone(&mut self, name: &str, deadline: Instant) -> Result<bool, ClusterError> {
        loop {
            if !self.is_running(name)? {
                return Ok(true);
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            std::thread::sleep(POLL);
        }
    }

    fn set_pid(&mut self, name: &str, pid: Option<u32>) -> Result<(), ClusterError> {
        let changed = match self.state.nodes.iter_mut().find(|n| n.name == name) {
            Some(node) if node.pid != pid => {
                node.pid = pid;
                true
            }
            _ => false,
        };
        if changed && self.dir.exists() {
            self.state.save(&self.dir)?;
        }
        Ok(())
    }
}
