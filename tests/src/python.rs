//! The pinned Python clients (`cassandra-driver`, `cqlsh`), installed by the
//! tests themselves into a virtualenv under the target directory.
//!
//! The first test that needs them creates the virtualenv and installs
//! `testdata/python-requirements.txt`; later tests (and later runs) reuse it.
//! An exclusive file lock serialises concurrent test binaries, and a marker
//! file holding the requirements text makes a changed pin reinstall. A failed
//! install is an error that fails the test, never a silent skip.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};

/// The installed Python clients.
#[derive(Debug, Clone)]
pub struct PythonClients {
    /// The virtualenv's root.
    pub venv: PathBuf,
    /// Its `python` interpreter.
    pub python: PathBuf,
    /// Its `cqlsh` entry point.
    pub cqlsh: PathBuf,
}

impl PythonClients {
    /// Runs a Python script with the virtualenv's interpreter.
    ///
    /// # Errors
    /// The interpreter could not be started.
    pub fn run_script(&self, script: &str, args: &[&str]) -> Result<Output> {
        Command::new(&self.python)
            .arg("-c")
            .arg(script)
            .args(args)
            .output()
            .with_context(|| format!("running {}", self.python.display()))
    }
}

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The cargo target directory tests run from.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The Python clients, installing them on first use in this process.
///
/// # Errors
/// The virtualenv could not be created or the pinned packages not installed;
/// the message carries pip's output.
pub fn clients() -> Result<PythonClients> {
    static INSTALLED: OnceLock<std::result::Result<PythonClients, String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            install(&target_dir().join("sibyl-python-venv")).map_err(|e| format!("{e:#}"))
        })
        .clone()
        .map_err(|e| anyhow::anyhow!(e))
}

fn install(venv: &Path) -> Result<PythonClients> {
    let requirements_path = workspace_root().join("testdata/python-requirements.txt");
    let requirements = fs::read_to_string(&requirements_path)
        .with_context(|| format!("reading {}", requirements_path.display()))?;
    let parent = venv.parent().context("venv path has no parent")?;
    fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let lock_path = parent.join("sibyl-python-venv.lock");
    let lock =
        File::create(&lock_path).with_context(|| format!("creating {}", lock_path.display()))?;
    lock.lock().context("locking the virtualenv")?;
    let clients = PythonClients {
        venv: venv.to_path_buf(),
        python: venv.join("bin/python"),
        cqlsh: venv.join("bin/cqlsh"),
    };
    let marker = venv.join(".sibyl-requirements");
    if fs::read_to_string(&marker).ok().as_deref() == Some(requirements.as_str())
        && clients.python.exists()
        && clients.cqlsh.exists()
    {
        return Ok(clients);
    }
    if venv.exists() {
        fs::remove_dir_all(venv).with_context(|| format!("removing stale {}", venv.display()))?;
    }
    run(
        Command::new("python3").args(["-m", "venv"]).arg(venv),
        "creating the virtualenv",
    )?;
    run(
        Command::new(&clients.python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
                "-r",
            ])
            .arg(&requirements_path)
            // Build the driver without Cython if a wheel is missing: slower, never broken.
            .env("CASS_DRIVER_NO_CYTHON", "1"),
        "installing the pinned Python driver and cqlsh",
    )?;
    fs::write(&marker, &requirements).context("writing the install marker")?;
    Ok(clients)
}

fn run(command: &mut Command, what: &str) -> Result<()> {
    let output = command
        .output()
        .with_context(|| format!("{what}: cannot start {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
