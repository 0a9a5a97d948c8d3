//! What the sibylsh tests share: the built `sibylsh` binary.

use std::path::PathBuf;
use std::process::Command;

use sibyl_tests::python::{target_dir, workspace_root};

/// The `sibylsh` binary, built if missing (as `node::sibyld_binary` does;
/// `cargo test --workspace` builds it before any test runs).
pub fn sibylsh_binary() -> PathBuf {
    let binary = target_dir().join("debug").join("sibylsh");
    if !binary.exists() {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "-p", "sibyl-shell", "--bin", "sibylsh"])
            .current_dir(workspace_root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building sibylsh failed");
    }
    binary
}
