//! Real `sibyld` processes for tests: each on its own loopback address
//! (127.0.0.N, default ports, as ccm does) with a temporary data directory;
//! started, awaited until its `sibyld ready:` line, and stopped on drop.

use std::fs::File;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::python::{target_dir, workspace_root};

/// Longest wait for a node to become ready.
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for a graceful stop before SIGKILL.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Next loopback address to try, as an offset into 127.0.0.10..=127.0.0.249
/// (`None` until first use: it starts at a per-process offset so test
/// processes running side by side rarely collide).
static NEXT_ADDRESS: Mutex<Option<u32>> = Mutex::new(None);

const ADDRESS_FIRST: u32 = 10;
const ADDRESS_COUNT: u32 = 240;

/// A fresh loopback address for a node of this test process: one nobody
/// listens on at the native, internode or admin port.
///
/// # Errors
/// No free address among the 240 tried.
pub fn next_address() -> Result<IpAddr> {
    let mut next = NEXT_ADDRESS
        .lock()
        .map_err(|_| anyhow::anyhow!("address counter poisoned"))?;
    let offset = next.get_or_insert_with(|| std::process::id() % ADDRESS_COUNT);
    for _ in 0..ADDRESS_COUNT {
        let last = u8::try_from(ADDRESS_FIRST + *offset % ADDRESS_COUNT).unwrap_or(10);
        *offset += 1;
        let address = IpAddr::V4(Ipv4Addr::new(127, 0, 0, last));
        let free = [9042, 7000, 9180]
            .into_iter()
            .all(|port| std::net::TcpListener::bind(SocketAddr::new(address, port)).is_ok());
        if free {
            return Ok(address);
        }
    }
    bail!("no free loopback address among 127.0.0.10..=127.0.0.249")
}

/// The `sibyld` binary, built if missing.
///
/// # Errors
/// The build fails.
pub fn sibyld_binary() -> Result<PathBuf> {
    let binary = target_dir().join("debug").join("sibyld");
    if !binary.exists() {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "-p", "sibyl-server", "--bin", "sibyld"])
            .current_dir(workspace_root())
            .status()
            .context("running cargo build for sibyld")?;
        if !status.success() {
            bail!("building sibyld failed");
        }
    }
    Ok(binary)
}

/// The `sibyl-load` binary, built if missing.
///
/// # Errors
/// The build fails.
pub fn sibyl_load_binary() -> Result<PathBuf> {
    let binary = target_dir().join("debug").join("sibyl-load");
    if !binary.exists() {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "-p", "sibyl-tools", "--bin", "sibyl-load"])
            .current_dir(workspace_root())
            .status()
            .context("running cargo build for sibyl-load")?;
        if !status.success() {
            bail!("building sibyl-load failed");
        }
    }
    Ok(binary)
}

/// A running node.
pub struct Node {
    /// The node's address.
    pub address: IpAddr,
    /// Its data directory.
    pub data_dir: PathBuf,
    log: PathBuf,
    extra_args: Vec<String>,
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

impl Node {
    /// Starts a node with extra flags (e.g. `--commitlog-sync batch`).
    ///
    /// # Errors
    /// The binary is missing, the process fails, or it is not ready in time.
    pub fn start(extra_args: &[&str]) -> Result<Self> {
        let dir = tempfile::tempdir().context("creating the node directory")?;
        let mut node = Node {
            address: next_address()?,
            data_dir: dir.path().join("data"),
            log: dir.path().join("sibyld.log"),
            extra_args: extra_args.iter().map(|s| (*s).to_owned()).collect(),
            child: None,
            _dir: Some(dir),
        };
        node.launch()?;
        Ok(node)
    }

    /// The native protocol address.
    pub fn native(&self) -> SocketAddr {
        SocketAddr::new(self.address, 9042)
    }

    /// The node's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn launch(&mut self) -> Result<()> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .context("opening the node log")?;
        let child = Command::new(sibyld_binary()?)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--listen-address")
            .arg(self.address.to_string())
            .args(&self.extra_args)
            .env("SIBYL_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting sibyld")?;
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let marker = format!("sibyld ready: native={}", self.native());
        let ready_before = self.log_text().matches(&marker).count();
        while Instant::now() < deadline {
            if self.log_text().matches(&marker).count() > ready_before {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!(
                    "sibyld exited with {status} before it was ready:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        bail!(
            "sibyld was not ready within {READY_TIMEOUT:?}:\n{}",
            self.log_text()
        )
    }

    /// Stops the node with SIGTERM (SIGKILL after [`STOP_TIMEOUT`]).
    ///
    /// # Errors
    /// Signalling or waiting failed.
    pub fn stop(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        signal(&child, "-TERM");
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill()?;
        child.wait()?;
        Ok(())
    }

    /// Kills the node with SIGKILL (no flush, no goodbye).
    ///
    /// # Errors
    /// Killing or waiting failed.
    pub fn kill9(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// Starts the stopped or killed node again on the same address and data.
    ///
    /// # Errors
    /// As [`Node::start`].
    pub fn restart(&mut self) -> Result<()> {
        self.stop()?;
        self.launch()
    }

    /// Freezes the process (SIGSTOP): a paused replica, alive to the OS.
    pub fn pause(&self) {
        if let Some(child) = &self.child {
            signal(child, "-STOP");
        }
    }

    /// Thaws a paused process (SIGCONT).
    pub fn resume(&self) {
        if let Some(child) = &self.child {
            signal(child, "-CONT");
        }
    }

    /// The data directory path.
    pub fn data_path(&self) -> &Path {
        &self.data_dir
    }
}

fn signal(child: &Child, which: &str) {
    let _ = Command::new("kill")
        .arg(which)
        .arg(child.id().to_string())
        .status();
}

impl Drop for Node {
    fn drop(&mut self) {
        self.resume();
        let _ = self.stop();
    }
}

/// Runs `tests/python/<script> <node address>` with the pinned Python driver;
/// the script asserts and prints `OK` last.
///
/// # Errors
/// A message with the script's stdout, stderr and the node's log when the
/// script fails or does not end with `OK`.
pub fn run_python_checks(script: &str, node: &Node) -> std::result::Result<(), String> {
    let clients = crate::python::clients()
        .map_err(|e| format!("the pinned Python driver installs: {e:#}"))?;
    let output = Command::new(&clients.python)
        .arg(workspace_root().join("tests/python").join(script))
        .arg(node.address.to_string())
        .output()
        .map_err(|e| format!("python runs: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if output.status.success() && stdout.trim_end().ends_with("OK") {
        return Ok(());
    }
    Err(format!(
        "{script} failed\nstdout:\n{stdout}\nstderr:\n{}\nnode log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        node.log_text()
    ))
}
