//! Network faults through the nodes' admin port: a partition is, on each
//! node of one side, a rule dropping every message to and from each node of
//! the other side (`POST /admin/faults`, the server's `FilterRules` JSON);
//! heal posts an empty rule list to every node.
//!
//! A node's rule list is replaced as a whole, so a partition reads the
//! current rules first and adds its own (partitions accumulate until heal).

use serde_json::{Value, json};

use super::Cluster;
use super::error::ClusterError;
use super::http;

impl Cluster {
    /// The node's current fault rules (`GET /admin/faults`), e.g.
    /// `{"rules": [{"peer": "127.0.0.2", "direction": "both", "verb": null, "action": "drop"}]}`.
    ///
    /// # Errors
    /// [`ClusterError::Admin`] when the node does not answer with JSON.
    pub fn faults(&self, name: &str) -> Result<Value, ClusterError> {
        let body = self.admin_call(name, "GET", "/admin/faults", None)?;
        self.json(name, &body)
    }

    /// Replaces the node's fault rules (`POST /admin/faults` with `rules`,
    /// the `{"rules": [...]}` form).
    ///
    /// # Errors
    /// [`ClusterError::Admin`] when the node refuses them or does not answer.
    pub fn set_faults(&self, name: &str, rules: &Value) -> Result<(), ClusterError> {
        self.admin_call(name, "POST", "/admin/faults", Some(&rules.to_string()))?;
        Ok(())
    }

    /// Cuts `side` off from `from` in both directions: every node of each
    /// side drops all messages to and from every node of the other.
    ///
    /// # Errors
    /// An unknown node, or a node that does not take the rules (the others
    /// still got theirs; the first failure is returned).
    pub fn partition(&self, side: &[&str], from: &[&str]) -> Result<(), ClusterError> {
        let addresses = |names: &[&str]| -> Result<Vec<String>, ClusterError> {
            names
                .iter()
                .map(|n| Ok(self.node(n)?.address.to_string()))
                .collect()
        };
        let (side_peers, from_peers) = (addresses(side)?, addresses(from)?);
        let mut first_error = None;
        for (names, peers) in [(side, &from_peers), (from, &side_peers)] {
            for name in names {
                if let Err(e) = self.add_drop_rules(name, peers) {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn add_drop_rules(&self, name: &str, peers: &[String]) -> Result<(), ClusterError> {
        let current = self.faults(name)?;
        let mut rules: Vec<Value> = current
            .get("rules")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for peer in peers {
            let rule = json!({"peer": peer, "direction": "both", "verb": null, "action": "drop"});
            if !rules.contains(&rule) {
                rules.push(rule);
            }
        }
        self.set_faults(name, &json!({ "rules": rules }))
    }

    /// Removes every fault rule on every node that runs.
    ///
    /// # Errors
    /// A running node that does not take the empty list (the others still
    /// did; the first failure is returned).
    pub fn heal(&mut self) -> Result<(), ClusterError> {
        let mut first_error = None;
        for name in self.node_names() {
            if !self.is_running(&name)? {
                continue;
            }
            if let Err(e) = self.set_faults(&name, &json!({"rules": []})) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// The node's Prometheus metrics text (`GET /metrics`).
    ///
    /// # Errors
    /// [`ClusterError::Admin`] when the node does not answer.
    pub fn metrics(&self, name: &str) -> Result<String, ClusterError> {
        self.admin_call(name, "GET", "/metrics", None)
    }

    /// One admin request; the body of a 2xx answer.
    pub(super) fn admin_call(
        &self,
        name: &str,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<String, ClusterError> {
        let address = self.admin_address(name)?;
        let error = |reason: String| ClusterError::Admin {
            node: name.to_owned(),
            address,
            reason,
        };
        let response = http::request(address, method, path, body, self.admin_timeout)
            .map_err(|e| error(format!("{method} {path}: {e}")))?;
        if (200..300).contains(&response.status) {
            Ok(response.body)
        } else {
            Err(error(format!(
                "{method} {path}: HTTP {}: {}",
                response.status,
                response.body.trim()
            )))
        }
    }

    pub(super) fn json(&self, name: &str, body: &str) -> Result<Value, ClusterError> {
        serde_json::from_str(body).map_err(|e| ClusterError::Admin {
            node: name.to_owned(),
            address: self
                .admin_address(name)
                .unwrap_or_else(|_| ([0, 0, 0, 0], 0).into()),
            reason: format!("not JSON: {e}"),
        })
    }
}
