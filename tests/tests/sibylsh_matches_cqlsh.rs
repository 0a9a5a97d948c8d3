//! Goal: `sibylsh -f` prints exactly what cqlsh 6.2.2 prints for the same
//! 60-statement script on a real node: stdout byte for byte equal to
//! `testdata/cqlsh/script.out`, stderr to `script.err`, and the same exit code
//! (2: the script has failing statements). The golden files are cqlsh's own
//! output on our node (`cqlsh_script_golden.rs` checks them against cqlsh).
//! Method: start a fresh `sibyld`, run the built `sibylsh` binary with the
//! same arguments the cqlsh test uses, compare.
//!
//! Documented exceptions (docs/shell.md, "Differences from cqlsh"): none.
//! cqlsh's first stdout line (`WARNING: cqlsh was built against 5.0.0 ...`
//! would be one) is not in the golden file because our node reports 5.0.0.

use std::path::PathBuf;
use std::process::Command;

use sibyl_tests::node::Node;
use sibyl_tests::python::{target_dir, workspace_root};

/// The `sibylsh` binary, built if missing (as `node::sibyld_binary` does).
fn sibylsh_binary() -> PathBuf {
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

#[test]
fn sibylsh_script_output_is_byte_identical_to_cqlsh() {
    let sibylsh = sibylsh_binary();
    let node = Node::start(&[]).expect("sibyld starts");
    let root = workspace_root();
    let output = Command::new(&sibylsh)
        .arg(node.address.to_string())
        .args(["-f", "testdata/cqlsh/script.cql"])
        .current_dir(&root)
        .env("HOME", "/nonexistent-sibylsh-home")
        .env_remove("SIBYLSH_HOST")
        .env_remove("SIBYLSH_PORT")
        .output()
        .expect("sibylsh runs");
    let expected_out =
        std::fs::read_to_string(root.join("testdata/cqlsh/script.out")).expect("golden stdout");
    let expected_err =
        std::fs::read_to_string(root.join("testdata/cqlsh/script.err")).expect("golden stderr");
    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        err, expected_err,
        "stderr differs from testdata/cqlsh/script.err"
    );
    assert_eq!(
        out, expected_out,
        "stdout differs from testdata/cqlsh/script.out"
    );
    assert_eq!(
        output.status.code(),
        Some(2),
        "the script has failing statements, so sibylsh exits 2 as cqlsh does"
    );
}
