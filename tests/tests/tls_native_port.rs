//! Goal: with `client_encryption_options` enabled, sibyld's native port speaks
//! TLS to real clients (the Python driver, cqlsh 6.2.2 `--ssl`, `sibylsh --ssl`)
//! and refuses plain-text clients without going down; a bad certificate file
//! stops start-up with a message naming it. Method: a self-signed certificate
//! made by rcgen for every loopback address the harness hands out, one node
//! started with a config file, each client run as a real process.

mod sibylsh_common;

use std::path::{Path, PathBuf};
use std::process::Command;

use sibyl_tests::node::Node;
use sibyl_tests::python::clients;

/// A self-signed certificate valid for 127.0.0.1 and every node address the
/// harness uses (127.0.0.10..=127.0.0.249), written as PEM files.
struct Certificate {
    dir: tempfile::TempDir,
}

impl Certificate {
    fn new() -> Self {
        let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        names.extend((10..=249).map(|last| format!("127.0.0.{last}")));
        let certified =
            rcgen::generate_simple_self_signed(names).expect("rcgen makes a certificate");
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("node.crt"), certified.cert.pem()).expect("write cert");
        std::fs::write(
            dir.path().join("node.key"),
            certified.key_pair.serialize_pem(),
        )
        .expect("write key");
        Self { dir }
    }

    fn cert(&self) -> PathBuf {
        self.dir.path().join("node.crt")
    }

    fn key(&self) -> PathBuf {
        self.dir.path().join("node.key")
    }

    /// A sibyld config file enabling TLS with these files.
    fn config(&self, cert: &Path, optional: bool) -> PathBuf {
        let path = self.dir.path().join(format!("sibyld-{optional}.toml"));
        let text = format!(
            "[client_encryption_options]\nenabled = true\noptional = {optional}\ncertificate = {:?}\nprivate_key = {:?}\n",
            cert.display().to_string(),
            self.key().display().to_string()
        );
        std::fs::write(&path, text).expect("write config");
        path
    }
}

fn start_tls_node(certificate: &Certificate, optional: bool) -> Node {
    let config = certificate.config(&certificate.cert(), optional);
    let config = config.to_str().expect("utf-8 temp path");
    Node::start(&["--config", config]).expect("sibyld starts with TLS")
}

const PYTHON_TLS: &str = r#"
import ssl, sys
from cassandra.cluster import Cluster
host, ca = sys.argv[1], sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
if ca == "none":
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
else:
    ctx.load_verify_locations(ca)
    ctx.check_hostname = False
cluster = Cluster([host], ssl_context=ctx)
s = cluster.connect()
s.execute("CREATE KEYSPACE IF NOT EXISTS tls WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
s.execute("CREATE TABLE IF NOT EXISTS tls.kv (k int PRIMARY KEY, v text)")
s.execute("INSERT INTO tls.kv (k, v) VALUES (%s, %s)", (1, "secret"))
row = s.execute("SELECT v FROM tls.kv WHERE k = 1").one()
assert row.v == "secret", row
cluster.shutdown()
print("OK")
"#;

const PYTHON_PLAIN: &str = r#"
import sys
from cassandra.cluster import Cluster
try:
    Cluster([sys.argv[1]], connect_timeout=3).connect()
    print("CONNECTED")
except Exception as e:
    print("REFUSED", type(e).__name__)
"#;

fn python(script: &str, args: &[&str]) -> String {
    let clients = clients().expect("the pinned Python driver installs");
    let output = clients.run_script(script, args).expect("python runs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn cqlsh_ssl(node: &Node, env: &[(&str, &str)]) -> (bool, String) {
    let clients = clients().expect("the pinned cqlsh installs");
    let home = tempfile::tempdir().expect("home");
    let output = Command::new(&clients.cqlsh)
        .arg(node.address.to_string())
        .arg("--ssl")
        .arg("-e")
        .arg("SELECT release_version FROM system.local")
        .env("CQLSH_NO_BUNDLED", "TRUE")
        .env("HOME", home.path())
        .envs(env.iter().copied())
        .output()
        .expect("cqlsh runs");
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// `sibylsh --ssl -e ...` with an rc file and environment, as cqlsh is run.
fn sibylsh_ssl(node: &Node, rc: &str, env: &[(&str, &str)]) -> (bool, String) {
    let home = tempfile::tempdir().expect("home");
    std::fs::write(home.path().join(".sibylshrc"), rc).expect("write rc");
    let output = Command::new(sibylsh_common::sibylsh_binary())
        .arg(node.address.to_string())
        .arg("--ssl")
        .arg("-e")
        .arg("SELECT release_version FROM system.local")
        .env("HOME", home.path())
        .env_remove("SSL_CERTFILE")
        .env_remove("SSL_VALIDATE")
        .envs(env.iter().copied())
        .output()
        .expect("sibylsh runs");
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[test]
fn sibylsh_ssl_speaks_tls_like_cqlsh() {
    let certificate = Certificate::new();
    let node = start_tls_node(&certificate, false);
    let ca = certificate.cert().display().to_string();
    let (ok, out) = sibylsh_ssl(&node, "", &[("SSL_VALIDATE", "false")]);
    assert!(
        ok && out.contains("release_version") && out.contains("(1 rows)"),
        "SSL_VALIDATE=false: {out}"
    );
    let (ok, out) = sibylsh_ssl(
        &node,
        &format!("[ssl]\ncertfile = {ca}\nvalidate = true\n"),
        &[],
    );
    assert!(ok && out.contains("(1 rows)"), "[ssl] certfile: {out}");
    let (ok, out) = sibylsh_ssl(&node, "", &[("SSL_CERTFILE", &ca)]);
    assert!(ok && out.contains("(1 rows)"), "SSL_CERTFILE: {out}");
    // A certificate the node's does not chain to is refused.
    let stranger = Certificate::new();
    let (ok, out) = sibylsh_ssl(
        &node,
        "",
        &[("SSL_CERTFILE", &stranger.cert().display().to_string())],
    );
    assert!(
        !ok && out.contains("Connection error"),
        "an untrusted node must be refused: {out}"
    );
    // Without --ssl sibylsh is a plain client, and the node refuses it.
    let output = Command::new(sibylsh_common::sibylsh_binary())
        .arg(node.address.to_string())
        .args([
            "--connect-timeout",
            "3",
            "-e",
            "SELECT release_version FROM system.local",
        ])
        .env("HOME", certificate.dir.path())
        .output()
        .expect("sibylsh runs");
    assert!(
        !output.status.success(),
        "plain sibylsh must fail against a TLS-only node"
    );
}

#[test]
fn tls_clients_work_and_plain_clients_are_refused() {
    let certificate = Certificate::new();
    let node = start_tls_node(&certificate, false);
    let host = node.address.to_string();

    let out = python(PYTHON_TLS, &[&host, "none"]);
    assert!(
        out.trim_end().ends_with("OK"),
        "driver, CERT_NONE: {out}\n{}",
        node.log_text()
    );
    let ca = certificate.cert().display().to_string();
    let out = python(PYTHON_TLS, &[&host, &ca]);
    assert!(out.trim_end().ends_with("OK"), "driver, cert as CA: {out}");

    let (ok, out) = cqlsh_ssl(&node, &[("SSL_VALIDATE", "false")]);
    assert!(
        ok && out.contains("release_version") && out.contains("(1 rows)"),
        "cqlsh --ssl, no validation: {out}"
    );
    let (ok, out) = cqlsh_ssl(&node, &[("SSL_CERTFILE", &ca)]);
    assert!(
        ok && out.contains("(1 rows)"),
        "cqlsh --ssl with SSL_CERTFILE: {out}"
    );

    let out = python(PYTHON_PLAIN, &[&host]);
    assert!(
        out.contains("REFUSED"),
        "a plain client must not get in: {out}"
    );

    // The node is still serving TLS clients after the plain attempt.
    let out = python(PYTHON_TLS, &[&host, "none"]);
    assert!(
        out.trim_end().ends_with("OK"),
        "after a plain attempt: {out}"
    );
}

#[test]
fn optional_mode_serves_both_tls_and_plain_clients() {
    let certificate = Certificate::new();
    let node = start_tls_node(&certificate, true);
    let host = node.address.to_string();
    let out = python(PYTHON_TLS, &[&host, "none"]);
    assert!(out.trim_end().ends_with("OK"), "TLS client: {out}");
    let out = python(PYTHON_PLAIN, &[&host]);
    assert!(
        out.contains("CONNECTED"),
        "plain client in optional mode: {out}"
    );
}

#[test]
fn a_bad_certificate_file_stops_start_up_naming_it() {
    let certificate = Certificate::new();
    let garbage = certificate.dir.path().join("garbage.crt");
    std::fs::write(&garbage, "not a certificate\n").expect("write");
    let config = certificate.config(&garbage, false);
    let Err(error) = Node::start(&["--config", config.to_str().expect("utf-8")]) else {
        panic!("sibyld must refuse a certificate file without a certificate");
    };
    let message = format!("{error:#}");
    assert!(message.contains("garbage.crt"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    // A certificate whose key is not the configured one: both files named.
    let stranger = Certificate::new();
    let config = certificate.config(&stranger.cert(), false);
    let Err(error) = Node::start(&["--config", config.to_str().expect("utf-8")]) else {
        panic!("sibyld must refuse a key that does not match the certificate");
    };
    let message = format!("{error:#}");
    assert!(
        message.contains("node.crt") && message.contains("node.key"),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
}
