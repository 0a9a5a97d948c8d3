//! Replication strategies as keyspaces declare them (`WITH replication = {...}`)
//! and as `system_schema.keyspaces.replication` shows them.

use std::collections::BTreeMap;

use super::SchemaError;

const SIMPLE_CLASS: &str = "org.apache.cassandra.locator.SimpleStrategy";
const NTS_CLASS: &str = "org.apache.cassandra.locator.NetworkTopologyStrategy";
const LOCAL_CLASS: &str = "org.apache.cassandra.locator.LocalStrategy";
const EVERYWHERE_CLASS: &str = "org.apache.cassandra.locator.EverywhereStrategy";

/// Largest replication factor accepted per data center.
pub const REPLICATION_FACTOR_MAX: u32 = 64;

/// How a keyspace places replicas on the ring.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Replication {
    /// `replication_factor` replicas walking the ring clockwise, ignoring topology.
    Simple {
        /// Replicas per partition.
        replication_factor: u32,
    },
    /// Replicas per data center, spread over racks.
    NetworkTopology {
        /// Data center name -> replicas in it.
        data_centers: BTreeMap<String, u32>,
    },
    /// Node-local data (the `system` keyspace): never replicated.
    Local,
    /// A copy on every node (used for small system keyspaces).
    Everywhere,
}

fn strategy_name(class: &str) -> &str {
    class
        .strip_prefix("org.apache.cassandra.locator.")
        .unwrap_or(class)
}

fn parse_factor(option: &str, raw: &str) -> Result<u32, SchemaError> {
    let value: u32 = raw.trim().parse().map_err(|_| {
        SchemaError::Config(format!(
            "Replication factor must be non-negative integer; found {raw:?} for '{option}'"
        ))
    })?;
    if value > REPLICATION_FACTOR_MAX {
        return Err(SchemaError::Config(format!(
            "Replication factor {value} for '{option}' exceeds the maximum of {REPLICATION_FACTOR_MAX}"
        )));
    }
    Ok(value)
}

impl Replication {
    /// Reads a replication map as given in CQL (`{'class': 'SimpleStrategy',
    /// 'replication_factor': 3}`); class names may be short or fully qualified.
    /// `known_dcs` expands NetworkTopologyStrategy's `replication_factor`
    /// shorthand to every known data center, as Cassandra 4+ does.
    ///
    /// # Errors
    /// [`SchemaError::Config`] with Cassandra's wording for a missing class, an
    /// unknown strategy, a missing or malformed factor, or an unknown option.
    pub fn from_options(
        options: &BTreeMap<String, String>,
        known_dcs: &[String],
    ) -> Result<Self, SchemaError> {
        let class = options
            .get("class")
            .ok_or_else(|| SchemaError::Config("Missing replication strategy class".into()))?;
        match strategy_name(class) {
            "SimpleStrategy" => Self::simple_from_options(options),
            "NetworkTopologyStrategy" => Self::nts_from_options(options, known_dcs),
            "LocalStrategy" | "EverywhereStrategy" => Err(SchemaError::Config(format!(
                "Unable to use given strategy class: {class} is reserved for internal use."
            ))),
            _ => Err(SchemaError::Config(format!(
                "Unable to find replication strategy class '{class}'"
            ))),
        }
    }

    fn simple_from_options(options: &BTreeMap<String, String>) -> Result<Self, SchemaError> {
        if let Some(unknown) = options
            .keys()
            .find(|k| *k != "class" && *k != "replication_factor")
        {
            return Err(SchemaError::Config(format!(
                "Unrecognized strategy option {{{unknown}}} passed to SimpleStrategy"
            )));
        }
        let raw = options.get("replication_factor").ok_or_else(|| {
            SchemaError::Config(
                "SimpleStrategy requires a replication_factor strategy option.".into(),
            )
        })?;
        let replication_factor = parse_factor("replication_factor", raw)?;
        Ok(Replication::Simple { replication_factor })
    }

    fn nts_from_options(
        options: &BTreeMap<String, String>,
        known_dcs: &[String],
    ) -> Result<Self, SchemaError> {
        let mut data_centers = BTreeMap::new();
        if let Some(raw) = options.get("replication_factor") {
            let factor = parse_factor("replication_factor", raw)?;
            for dc in known_dcs {
                data_centers.insert(dc.clone(), factor);
            }
        }
        for (dc, raw) in options {
            if dc == "class" || dc == "replication_factor" {
                continue;
            }
            let factor = parse_factor(dc, raw)?;
            data_centers.insert(dc.clone(), factor);
        }
        // Cassandra keeps explicit zeroes out of the stored map.
        data_centers.retain(|_, factor| *factor > 0);
        Ok(Replication::NetworkTopology { data_centers })
    }

    /// The map stored in `system_schema.keyspaces.replication`, with fully
    /// qualified class names and factors as decimal text (what drivers parse).
    pub fn to_options(&self) -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        match self {
            Replication::Simple { replication_factor } => {
                map.insert("class".into(), SIMPLE_CLASS.into());
                map.insert("replication_factor".into(), replication_factor.to_string());
            }
            Replication::NetworkTopology { data_centers } => {
                map.insert("class".into(), NTS_CLASS.into());
                for (dc, factor) in data_centers {
                    map.insert(dc.clone(), factor.to_string());
                }
            }
            Replication::Local => {
                map.insert("class".into(), LOCAL_CLASS.into());
            }
            Replication::Everywhere => {
                map.insert("class".into(), EVERYWHERE_CLASS.into());
            }
        }
        map
    }

    /// Replicas per partition in data center `dc` (all nodes for `Everywhere`
    /// is decided by the ring, so it reports `None`).
    pub fn factor_in(&self, dc: &str) -> Option<u32> {
        match self {
            Replication::Simple { replication_factor } => Some(*replication_factor),
            Replication::NetworkTopology { data_centers } => {
                Some(data_centers.get(dc).copied().unwrap_or(0))
            }
            Replication::Local => Some(1),
            Replication::Everywhere => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn simple_strategy_round_trips_with_full_class_name() {
        let r = Replication::from_options(
            &opts(&[("class", "SimpleStrategy"), ("replication_factor", "3")]),
            &[],
        )
        .unwrap();
        assert_eq!(
            r,
            Replication::Simple {
                replication_factor: 3
            }
        );
        let stored = r.to_options();
        assert_eq!(stored["class"], SIMPLE_CLASS);
        assert_eq!(stored["replication_factor"], "3");
        assert_eq!(Replication::from_options(&stored, &[]).unwrap(), r);
    }

    #[test]
    fn nts_expands_the_shorthand_and_drops_zeroes() {
        let dcs = vec!["dc1".to_owned(), "dc2".to_owned()];
        let r = Replication::from_options(
            &opts(&[
                ("class", "NetworkTopologyStrategy"),
                ("replication_factor", "2"),
                ("dc2", "3"),
            ]),
            &dcs,
        )
        .unwrap();
        let expected: BTreeMap<String, u32> = [("dc1".into(), 2), ("dc2".into(), 3)].into();
        assert_eq!(
            r,
            Replication::NetworkTopology {
                data_centers: expected
            }
        );
        assert_eq!(r.factor_in("dc1"), Some(2));
        assert_eq!(r.factor_in("elsewhere"), Some(0));
        let zero = Replication::from_options(
            &opts(&[("class", NTS_CLASS), ("dc1", "0"), ("dc2", "1")]),
            &dcs,
        )
        .unwrap();
        assert_eq!(zero.to_options().get("dc1"), None);
    }

    #[test]
    fn errors_use_cassandras_wording() {
        let cases: [(&[(&str, &str)], &str); 5] = [
            (
                &[("replication_factor", "1")],
                "Missing replication strategy class",
            ),
            (
                &[("class", "SimpleStrategy")],
                "SimpleStrategy requires a replication_factor",
            ),
            (
                &[("class", "Bogus"), ("replication_factor", "1")],
                "Unable to find replication strategy class 'Bogus'",
            ),
            (
                &[("class", "SimpleStrategy"), ("replication_factor", "x")],
                "must be non-negative integer",
            ),
            (
                &[
                    ("class", "SimpleStrategy"),
                    ("replication_factor", "1"),
                    ("dc1", "1"),
                ],
                "Unrecognized strategy option {dc1}",
            ),
        ];
        for (options, message) in cases {
            let err = Replication::from_options(&opts(options), &[])
                .unwrap_err()
                .to_string();
            assert!(err.contains(message), "{options:?}: {err}");
        }
    }
}
