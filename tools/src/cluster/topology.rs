//! The shape of a cluster: data centers, their node and rack counts, and
//! configuration overrides; and its layout into named nodes on consecutive
//! loopback addresses.
//!
//! Nodes are numbered across data centers in order (dc1 holds node1..node3,
//! dc2 node4..node6), racks are assigned round-robin inside each data center,
//! and the first node of each data center is a seed. A topology file is TOML:
//!
//! ```toml
//! [[dc]]
//! name = "dc1"
//! nodes = 3
//! racks = 3
//!
//! [config]            # passed to every node as --set KEY=VALUE
//! write_request_timeout_ms = 2000
//! ```

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

use super::error::ClusterError;
use super::state::NodeInfo;

/// Most nodes a cluster may have (one loopback block).
pub const NODES_MAX: usize = 250;

/// One data center.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct DcSpec {
    /// Its name (the nodes' `dc`).
    pub name: String,
    /// How many nodes.
    pub nodes: usize,
    /// How many racks the nodes spread over (round-robin); 1 by default.
    #[serde(default = "one")]
    pub racks: usize,
}

fn one() -> usize {
    1
}

/// A cluster's shape.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// The data centers, in node-numbering order.
    #[serde(rename = "dc")]
    pub dcs: Vec<DcSpec>,
    /// Config keys set on every node (`--set KEY=VALUE`).
    #[serde(default)]
    pub config: BTreeMap<String, toml::Value>,
}

impl Topology {
    /// One data center named `datacenter1` (Cassandra's default) of `nodes` nodes.
    pub fn single_dc(nodes: usize, racks: usize) -> Self {
        Topology {
            dcs: vec![DcSpec {
                name: "datacenter1".to_owned(),
                nodes,
                racks,
            }],
            config: BTreeMap::new(),
        }
    }

    /// `dcs` data centers `dc1`, `dc2`, ... of `nodes_per_dc` nodes each.
    pub fn multi_dc(dcs: usize, nodes_per_dc: usize, racks: usize) -> Self {
        Topology {
            dcs: (1..=dcs)
                .map(|i| DcSpec {
                    name: format!("dc{i}"),
                    nodes: nodes_per_dc,
                    racks,
                })
                .collect(),
            config: BTreeMap::new(),
        }
    }

    /// Parses a topology file's text.
    ///
    /// # Errors
    /// [`ClusterError::BadFile`] on bad TOML or unknown keys;
    /// [`ClusterError::Topology`] when the shape is impossible.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ClusterError> {
        let topology: Topology = toml::from_str(text).map_err(|e| ClusterError::BadFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        topology.validate()?;
        Ok(topology)
    }

    /// Reads and parses a topology file.
    ///
    /// # Errors
    /// As [`Topology::parse`], and [`ClusterError::Io`] when it cannot be read.
    pub fn load(path: &Path) -> Result<Self, ClusterError> {
        let text = std::fs::read_to_string(path).map_err(|source| ClusterError::Io {
            what: "reading the topology",
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Total node count.
    pub fn node_count(&self) -> usize {
        self.dcs.iter().map(|dc| dc.nodes).sum()
    }

    /// The `config` table as `KEY=VALUE` overrides (values in TOML form,
    /// which `sibyld --set` reads back).
    pub fn overrides(&self) -> Vec<String> {
        self.config
            .iter()
            .map(|(key, value)| match value {
                toml::Value::String(text) => format!("{key}={text}"),
                other => format!("{key}={other}"),
            })
            .collect()
    }

    /// Checks the shape: at least one node, at most [`NODES_MAX`], names
    /// unique and non-empty, 1 <= racks <= nodes in each data center.
    ///
    /// # Errors
    /// [`ClusterError::Topology`] naming the problem.
    pub fn validate(&self) -> Result<(), ClusterError> {
        let bad = |reason: String| Err(ClusterError::Topology(reason));
        let total = self.node_count();
        if total == 0 {
            return bad("a cluster needs at least one node".into());
        }
        if total > NODES_MAX {
            return bad(format!("{total} nodes; at most {NODES_MAX}"));
        }
        for (i, dc) in self.dcs.iter().enumerate() {
            let name_ok = !dc.name.is_empty()
                && dc
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !name_ok {
                return bad(format!(
                    "data center name {:?} (use letters, digits, - and _)",
                    dc.name
                ));
            }
            if self
                .dcs
                .iter()
                .skip(i + 1)
                .any(|other| other.name == dc.name)
            {
                return bad(format!("data center {} is listed twice", dc.name));
            }
            if dc.nodes == 0 {
                return bad(format!("data center {} has no nodes", dc.name));
            }
            if dc.racks == 0 || dc.racks > dc.nodes {
                return bad(format!(
                    "data center {} has {} racks for {} nodes",
                    dc.name, dc.racks, dc.nodes
                ));
            }
        }
        Ok(())
    }

    /// The nodes of this topology on addresses `base`, `base + 1`, ...
    ///
    /// # Errors
    /// [`ClusterError::Topology`] when the shape is invalid or the addresses
    /// would leave the block of `base` (last octet above 254).
    pub fn layout(&self, base: Ipv4Addr) -> Result<Vec<NodeInfo>, ClusterError> {
        self.validate()?;
        let [a, b, c, first] = base.octets();
        let mut nodes = Vec::with_capacity(self.node_count());
        for dc in &self.dcs {
            for i in 0..dc.nodes {
                let index = nodes.len();
                let last = usize::from(first) + index;
                let last = u8::try_from(last)
                    .ok()
                    .filter(|l| *l < 255)
                    .ok_or_else(|| {
                        ClusterError::Topology(format!(
                            "{} nodes from {base} run past {a}.{b}.{c}.254",
                            self.node_count()
                        ))
                    })?;
                nodes.push(NodeInfo {
                    name: format!("node{}", index + 1),
                    address: Ipv4Addr::new(a, b, c, last).into(),
                    dc: dc.name.clone(),
                    rack: format!("rack{}", i % dc.racks + 1),
                    seed: i == 0,
                    pid: None,
                });
            }
        }
        Ok(nodes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_numbers_nodes_across_dcs_with_racks_round_robin_and_seeds_first() {
        let nodes = Topology::multi_dc(2, 3, 2)
            .layout(Ipv4Addr::new(127, 0, 0, 1))
            .unwrap();
        let summary: Vec<String> = nodes
            .iter()
            .map(|n| format!("{} {} {} {} {}", n.name, n.address, n.dc, n.rack, n.seed))
            .collect();
        assert_eq!(
            summary,
            [
                "node1 127.0.0.1 dc1 rack1 true",
                "node2 127.0.0.2 dc1 rack2 false",
                "node3 127.0.0.3 dc1 rack1 false",
                "node4 127.0.0.4 dc2 rack1 true",
                "node5 127.0.0.5 dc2 rack2 false",
                "node6 127.0.0.6 dc2 rack1 false",
            ]
        );
        let err = Topology::single_dc(3, 1).layout(Ipv4Addr::new(127, 0, 0, 253));
        assert!(matches!(err, Err(ClusterError::Topology(_))));
    }

    #[test]
    fn files_parse_and_bad_shapes_are_refused() {
        let text = "[[dc]]\nname = \"east\"\nnodes = 2\n\n[config]\nwrite_request_timeout_ms = 500\ncommitlog_sync = \"batch\"\n";
        let topology = Topology::parse(text, Path::new("t.toml")).unwrap();
        assert_eq!(topology.dcs[0].racks, 1);
        assert_eq!(
            topology.overrides(),
            ["commitlog_sync=batch", "write_request_timeout_ms=500"]
        );
        for bad in [
            "[[dc]]\nname = \"a\"\nnodes = 0\n",
            "[[dc]]\nname = \"a\"\nnodes = 2\nracks = 3\n",
            "[[dc]]\nname = \"a b\"\nnodes = 2\n",
            "[[dc]]\nname = \"a\"\nnodes = 1\n[[dc]]\nname = \"a\"\nnodes = 1\n",
            "[[dc]]\nname = \"a\"\nnodes = 1\nextra = 1\n",
            "dc = []\n",
        ] {
            assert!(Topology::parse(bad, Path::new("t.toml")).is_err(), "{bad}");
        }
    }

    #[test]
    fn shipped_topology_files_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/topologies");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let topology = Topology::load(&path).unwrap();
            topology.layout(Ipv4Addr::new(127, 0, 0, 1)).unwrap();
            seen += 1;
        }
        assert!(seen >= 2);
    }
}
