//! Goal: with `--commitlog-sync batch`, a node killed with SIGKILL while a real
//! driver writes loses no write it acknowledged (DESIGN §7). Method: several
//! rounds of: a Python writer prints each acknowledged key; the node is killed
//! mid-stream; after restart every printed key reads back.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sibyl_tests::node::Node;
use sibyl_tests::python::{clients, workspace_root};

const ROUNDS: usize = 3;

#[test]
fn acknowledged_writes_survive_kill_9() {
    let clients = clients().expect("the pinned Python driver installs");
    let mut node = Node::start(&["--commitlog-sync", "batch"]).expect("sibyld starts");
    let mut acknowledged: Vec<u32> = Vec::new();
    for round in 0..ROUNDS {
        let mut writer = Command::new(&clients.python)
            .arg(workspace_root().join("tests/python/durability_writer.py"))
            .arg(node.address.to_string())
            .arg("100000")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("writer starts");
        let stdout = writer.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let target = 200 * (round + 1);
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut round_acks = Vec::new();
        while round_acks.len() < target && Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            round_acks.push(line.trim().parse::<u32>().expect("a key"));
        }
        assert!(
            round_acks.len() >= target,
            "round {round}: only {} writes acknowledged",
            round_acks.len()
        );
        node.kill9().expect("kill -9");
        let _ = writer.kill();
        let _ = writer.wait();
        // Keys printed before the kill were acknowledged; later lines may still be buffered.
        acknowledged.extend(round_acks);
        acknowledged.sort_unstable();
        acknowledged.dedup();
        node.restart().expect("restart after kill -9");
    }
    let check = format!(
        "from cassandra.cluster import Cluster\n\
         s = Cluster(['{}']).connect()\n\
         keys = set(r.k for r in s.execute('SELECT k FROM dur.acked'))\n\
         print(' '.join(str(k) for k in sorted(keys)))\n",
        node.address
    );
    let output = clients.run_script(&check, &[]).expect("reader runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let present: std::collections::BTreeSet<u32> = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(|k| k.parse().expect("a key"))
        .collect();
    let lost: Vec<u32> = acknowledged
        .iter()
        .copied()
        .filter(|k| !present.contains(k))
        .collect();
    assert!(
        lost.is_empty(),
        "lost {} acknowledged writes, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(10)]
    );
}
