//! Cluster status as `nodetool status` shows it: per node its state (`UN`
//! up and normal, `DN` down), address, load, tokens, host id and rack,
//! grouped by data center.
//!
//! Each node describes itself through `GET /admin/status`
//! (`{"local": IP, "nodes": [{"address", "dc", "rack", "host_id", "tokens",
//! "state", "load_bytes"}]}`); a node that does not answer within the admin
//! timeout (stopped, killed, paused) is `DN` with what the state file knows.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Cluster;
use super::error::ClusterError;

/// One node's line of the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    /// `node1`, ...
    pub name: String,
    /// Its address.
    pub address: IpAddr,
    /// Data center.
    pub dc: String,
    /// Rack.
    pub rack: String,
    /// Two letters: status (U/D) and state (N, L, J, M), e.g. `UN`, `DN`.
    pub state: String,
    /// Bytes on disk, when the node answered.
    pub load_bytes: Option<u64>,
    /// Tokens owned, when the node answered.
    pub tokens: Option<u64>,
    /// Host id, when the node answered.
    pub host_id: Option<String>,
}

impl NodeStatus {
    /// True when the node answered as up.
    pub fn is_up(&self) -> bool {
        self.state.starts_with('U')
    }
}

impl Cluster {
    /// The node's own `/admin/status` JSON (its view of the cluster).
    ///
    /// # Errors
    /// [`ClusterError::Admin`] when it does not answer with JSON.
    pub fn admin_status(&self, name: &str) -> Result<Value, ClusterError> {
        let body = self.admin_call(name, "GET", "/admin/status", None)?;
        self.json(name, &body)
    }

    /// Every node's status, asked of all nodes at once (so the whole call
    /// takes at most about one admin timeout).
    pub fn status(&self) -> Vec<NodeStatus> {
        std::thread::scope(|scope| {
            let asks: Vec<_> = self
                .nodes()
                .iter()
                .map(|node| scope.spawn(move || (node, self.admin_status(&node.name))))
                .collect();
            asks.into_iter()
                .filter_map(|ask| ask.join().ok())
                .map(|(node, answer)| {
                    let entry = answer.ok().and_then(|view| own_entry(&view, node.address));
                    let text = |key: &str| {
                        entry
                            .as_ref()
                            .and_then(|e| e.get(key)?.as_str().map(str::to_owned))
                    };
                    let number = |key: &str| entry.as_ref().and_then(|e| e.get(key)?.as_u64());
                    NodeStatus {
                        name: node.name.clone(),
                        address: node.address,
                        dc: text("dc").unwrap_or_else(|| node.dc.clone()),
                        rack: text("rack").unwrap_or_else(|| node.rack.clone()),
                        state: text("state").unwrap_or_else(|| "DN".to_owned()),
                        load_bytes: number("load_bytes"),
                        tokens: number("tokens"),
                        host_id: text("host_id"),
                    }
                })
                .collect()
        })
    }
}

impl Cluster {
    /// Polls [`Cluster::status`] until `done` holds, at most `timeout`;
    /// returns the status that satisfied it.
    ///
    /// # Errors
    /// [`ClusterError::Timeout`] with the last status seen.
    pub fn status_until(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&[NodeStatus]) -> bool,
    ) -> Result<Vec<NodeStatus>, ClusterError> {
        let deadline = Instant::now() + timeout;
        loop {
            let status = self.status();
            if done(&status) {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                let last: Vec<String> = status
                    .iter()
                    .map(|s| format!("{} {}", s.name, s.state))
                    .collect();
                return Err(ClusterError::Timeout {
                    what: what.to_owned(),
                    waited: timeout,
                    last: last.join(", "),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The entry a node's status gives for `address` (itself).
fn own_entry(view: &Value, address: IpAddr) -> Option<Value> {
    let wanted = address.to_string();
    view.get("nodes")?
        .as_array()?
        .iter()
        .find(|e| e.get("address").and_then(Value::as_str) == Some(wanted.as_str()))
        .cloned()
}

/// The status as `nodetool status` prints it, one block per data center in
/// node order.
pub fn format_status(nodes: &[NodeStatus]) -> String {
    let mut dcs: Vec<&str> = Vec::new();
    for node in nodes {
        if !dcs.contains(&node.dc.as_str()) {
            dcs.push(&node.dc);
        }
    }
    let mut out = String::new();
    for dc in dcs {
        let title = format!("Datacenter: {dc}");
        let _ = writeln!(out, "{title}\n{}", "=".repeat(title.len()));
        let _ = writeln!(
            out,
            "Status=Up/Down\n|/ State=Normal/Leaving/Joining/Moving"
        );
        let mut rows = vec![[
            "--".to_owned(),
            "Address".to_owned(),
            "Load".to_owned(),
            "Tokens".to_owned(),
            "Host ID".to_owned(),
            "Rack".to_owned(),
            "Node".to_owned(),
        ]];
        for node in nodes.iter().filter(|n| n.dc == dc) {
            rows.push([
                node.state.clone(),
                node.address.to_string(),
                node.load_bytes.map_or("?".to_owned(), human_bytes),
                node.tokens.map_or("?".to_owned(), |t| t.to_string()),
                node.host_id.clone().unwrap_or_else(|| "?".to_owned()),
                node.rack.clone(),
                node.name.clone(),
            ]);
        }
        let widths: Vec<usize> = (0..7)
            .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
            .collect();
        for row in rows {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        }
        out.push('\n');
    }
    out
}

/// Bytes as nodetool prints them: `504 B`, `1.21 KiB`, `3.50 MiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "a displayed size needs 3 digits"
    )]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}", UNITS.get(unit).unwrap_or(&"TiB"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(name: &str, dc: &str, state: &str, load: Option<u64>) -> NodeStatus {
        NodeStatus {
            name: name.into(),
            address: format!("127.0.0.{}", &name[4..]).parse().unwrap(),
            dc: dc.into(),
            rack: "rack1".into(),
            state: state.into(),
            load_bytes: load,
            tokens: load.map(|_| 16),
            host_id: load.map(|_| "0820a6cc-c759-4568-b623-86adca436ddd".into()),
        }
    }

    #[test]
    fn status_prints_like_nodetool_grouped_by_dc() {
        let text = format_status(&[
            status("node1", "dc1", "UN", Some(504)),
            status("node2", "dc2", "DN", None),
            status("node3", "dc1", "UN", Some(1_300_000)),
        ]);
        let expected = "\
Datacenter: dc1
===============
Status=Up/Down
|/ State=Normal/Leaving/Joining/Moving
--  Address    Load      Tokens  Host ID                               Rack   Node
UN  127.0.0.1  504 B     16      0820a6cc-c759-4568-b623-86adca436ddd  rack1  node1
UN  127.0.0.3  1.24 MiB  16      0820a6cc-c759-4568-b623-86adca436ddd  rack1  node3

Datacenter: dc2
===============
Status=Up/Down
|/ State=Normal/Leaving/Joining/Moving
--  Address    Load  Tokens  Host ID  Rack   Node
DN  127.0.0.2  ?     ?       ?        rack1  node2

";
        assert_eq!(text, expected);
    }

    #[test]
    fn own_entry_is_found_by_address() {
        let view = serde_json::json!({"local": "127.0.0.2", "nodes": [
            {"address": "127.0.0.1", "state": "DN"},
            {"address": "127.0.0.2", "state": "UN", "tokens": 16}
        ]});
        let entry = own_entry(&view, "127.0.0.2".parse().unwrap()).unwrap();
        assert_eq!(entry["state"], "UN");
        assert!(own_entry(&view, "127.0.0.9".parse().unwrap()).is_none());
        assert_eq!(human_bytes(1024), "1.00 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024 * 1024), "5.00 GiB");
    }
}
