//! Table options (`WITH comment = ... AND compaction = {...}`): their defaults,
//! validation, and the values `system_schema.tables` and DESCRIBE show.

use std::collections::BTreeMap;

use super::SchemaError;

/// A table option's value as written in CQL.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// A string literal.
    Text(String),
    /// A numeric literal, kept as written.
    Number(String),
    /// `true` / `false`.
    Bool(bool),
    /// A map literal of string-convertible keys and values.
    Map(BTreeMap<String, String>),
}

impl OptionValue {
    fn describe(&self) -> String {
        match self {
            OptionValue::Text(s) | OptionValue::Number(s) => s.clone(),
            OptionValue::Bool(b) => b.to_string(),
            OptionValue::Map(m) => format!("{m:?}"),
        }
    }
}

/// Compaction strategies the engine implements.
pub const COMPACTION_CLASSES: [&str; 3] = [
    "SizeTieredCompactionStrategy",
    "LeveledCompactionStrategy",
    "TimeWindowCompactionStrategy",
];
const COMPACTION_PACKAGE: &str = "org.apache.cassandra.db.compaction.";
const COMPRESSION_PACKAGE: &str = "org.apache.cassandra.io.compress.";

/// Every option a table has, with Cassandra's defaults.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableParams {
    /// Free text.
    pub comment: String,
    /// Bloom filter false-positive target.
    pub bloom_filter_fp_chance: f64,
    /// Caching map (accepted and shown; Sibyl's caches are sized globally).
    pub caching: BTreeMap<String, String>,
    /// Compaction strategy and its options (class fully qualified).
    pub compaction: BTreeMap<String, String>,
    /// Compression options (class fully qualified).
    pub compression: BTreeMap<String, String>,
    /// Probability of verifying a checksum on read (Sibyl always verifies).
    pub crc_check_chance: f64,
    /// TTL applied to writes without `USING TTL`, seconds; 0 = none.
    pub default_time_to_live: u32,
    /// Seconds a tombstone is kept before compaction may purge it.
    pub gc_grace_seconds: u32,
    /// Index sampling bounds (accepted and shown).
    pub min_index_interval: u32,
    /// Index sampling bounds (accepted and shown).
    pub max_index_interval: u32,
    /// Periodic flush, ms; 0 = off.
    pub memtable_flush_period_in_ms: u32,
    /// `BLOCKING` or `NONE`.
    pub read_repair: String,
    /// Speculative retry policy, e.g. `99p`, `10ms`, `ALWAYS`, `NONE`.
    pub speculative_retry: String,
    /// Speculative write policy, same forms.
    pub additional_write_policy: String,
    /// Change data capture (accepted and shown).
    pub cdc: bool,
    /// Memtable configuration name (Cassandra 5; Sibyl has one implementation).
    pub memtable: String,
}

impl Default for TableParams {
    fn default() -> Self {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        Self {
            comment: String::new(),
            bloom_filter_fp_chance: 0.01,
            caching: map(&[("keys", "ALL"), ("rows_per_partition", "NONE")]),
            compaction: map(&[
                (
                    "class",
                    "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy",
                ),
                ("max_threshold", "32"),
                ("min_threshold", "4"),
            ]),
            compression: map(&[
                ("chunk_length_in_kb", "16"),
                ("class", "org.apache.cassandra.io.compress.LZ4Compressor"),
            ]),
            crc_check_chance: 1.0,
            default_time_to_live: 0,
            gc_grace_seconds: 864_000,
            min_index_interval: 128,
            max_index_interval: 2048,
            memtable_flush_period_in_ms: 0,
            read_repair: "BLOCKING".to_owned(),
            speculative_retry: "99p".to_owned(),
            additional_write_policy: "99p".to_owned(),
            cdc: false,
            memtable: "default".to_owned(),
        }
    }
}

fn bad(option: &str, value: &OptionValue, why: &str) -> SchemaError {
    SchemaError::Config(format!(
        "Invalid value {} for option '{option}': {why}",
        value.describe()
    ))
}

fn number<T: std::str::FromStr>(option: &str, value: &OptionValue) -> Result<T, SchemaError> {
    match value {
        OptionValue::Number(s) | OptionValue::Text(s) => s
            .trim()
            .parse()
            .map_err(|_| bad(option, value, "not a valid number")),
        _ => Err(bad(option, value, "expected a number")),
    }
}

fn text(option: &str, value: &OptionValue) -> Result<String, SchemaError> {
    match value {
        OptionValue::Text(s) => Ok(s.clone()),
        _ => Err(bad(option, value, "expected a string")),
    }
}

fn map(option: &str, value: &OptionValue) -> Result<BTreeMap<String, String>, SchemaError> {
    match value {
        OptionValue::Map(m) => Ok(m.clone()),
        _ => Err(bad(option, value, "expected a map")),
    }
}

/// Qualifies a short class name with its package, as Cassandra stores it.
fn qualify(class: &str, package: &str) -> String {
    if class.contains('.') {
        class.to_owned()
    } else {
        format!("{package}{class}")
    }
}

fn check_retry_policy(option: &str, value: &OptionValue) -> Result<String, SchemaError> {
    let policy = text(option, value)?;
    let upper = policy.to_ascii_uppercase();
    let ok = upper == "ALWAYS"
        || upper == "NONE"
        || upper
            .strip_suffix("PERCENTILE")
            .or_else(|| upper.strip_suffix('P'))
            .is_some_and(|p| p.parse::<f64>().is_ok_and(|v| (0.0..=100.0).contains(&v)))
        || upper
            .strip_suffix("MS")
            .is_some_and(|ms| ms.parse::<f64>().is_ok_and(|v| v >= 0.0));
    if ok {
        Ok(policy)
    } else {
        Err(bad(option, value, "invalid speculative retry policy"))
    }
}

impl TableParams {
    /// Applies one `WITH` option.
    ///
    /// # Errors
    /// [`SchemaError::Config`] for an unknown option or an invalid value
    /// (wording after Cassandra's ConfigurationException messages).
    pub fn apply(&mut self, option: &str, value: &OptionValue) -> Result<(), SchemaError> {
        match option {
            "comment" => self.comment = text(option, value)?,
            "bloom_filter_fp_chance" => {
                let chance: f64 = number(option, value)?;
                if !(chance > 0.0 && chance <= 1.0) {
                    return Err(bad(
                        option,
                        value,
                        "must be larger than 0 and less than or equal to 1.0",
                    ));
                }
                self.bloom_filter_fp_chance = chance;
            }
            "caching" => self.caching = map(option, value)?,
            "compaction" => self.compaction = Self::compaction_map(option, value)?,
            "compression" => self.compression = Self::compression_map(option, value)?,
            "crc_check_chance" => {
                let chance: f64 = number(option, value)?;
                if !(0.0..=1.0).contains(&chance) {
                    return Err(bad(option, value, "must be between 0.0 and 1.0"));
                }
                self.crc_check_chance = chance;
            }
            "default_time_to_live" => self.default_time_to_live = number(option, value)?,
            "gc_grace_seconds" => self.gc_grace_seconds = number(option, value)?,
            "min_index_interval" => self.min_index_interval = number(option, value)?,
            "max_index_interval" => self.max_index_interval = number(option, value)?,
            "memtable_flush_period_in_ms" => {
                self.memtable_flush_period_in_ms = number(option, value)?
            }
            "read_repair" => {
                let mode = text(option, value)?.to_ascii_uppercase();
                if mode != "BLOCKING" && mode != "NONE" {
                    return Err(bad(option, value, "must be BLOCKING or NONE"));
                }
                self.read_repair = mode;
            }
            "speculative_retry" => self.speculative_retry = check_retry_policy(option, value)?,
            "additional_write_policy" => {
                self.additional_write_policy = check_retry_policy(option, value)?;
            }
            "cdc" => match value {
                OptionValue::Bool(b) => self.cdc = *b,
                _ => return Err(bad(option, value, "expected true or false")),
            },
            "memtable" => {
                let name = text(option, value)?;
                if name != "default" {
                    return Err(bad(option, value, "Sibyl has only the 'default' memtable"));
                }
                self.memtable = name;
            }
            _ => return Err(SchemaError::Config(format!("Unknown property '{option}'"))),
        }
        Ok(())
    }

    fn compaction_map(
        option: &str,
        value: &OptionValue,
    ) -> Result<BTreeMap<String, String>, SchemaError> {
        let mut options = map(option, value)?;
        let class = options.get("class").cloned().ok_or_else(|| {
            SchemaError::Config("Missing sub-option 'class' for the 'compaction' option.".into())
        })?;
        let short = class.strip_prefix(COMPACTION_PACKAGE).unwrap_or(&class);
        if !COMPACTION_CLASSES.contains(&short) {
            return Err(SchemaError::Config(format!(
                "Unable to find compaction strategy class '{class}'"
            )));
        }
        options.insert("class".into(), qualify(short, COMPACTION_PACKAGE));
        if short == "SizeTieredCompactionStrategy" {
            options
                .entry("max_threshold".into())
                .or_insert_with(|| "32".into());
            options
                .entry("min_threshold".into())
                .or_insert_with(|| "4".into());
        }
        Ok(options)
    }

    fn compression_map(
        option: &str,
        value: &OptionValue,
    ) -> Result<BTreeMap<String, String>, SchemaError> {
        let mut options = map(option, value)?;
        if options
            .get("enabled")
            .is_some_and(|e| e.eq_ignore_ascii_case("false"))
        {
            return Ok(BTreeMap::from([("enabled".to_owned(), "false".to_owned())]));
        }
        let class = options
            .get("class")
            .cloned()
            .unwrap_or_else(|| "LZ4Compressor".to_owned());
        let short = class.strip_prefix(COMPRESSION_PACKAGE).unwrap_or(&class);
        if short != "LZ4Compressor" {
            return Err(SchemaError::Config(format!(
                "Could not create Compression for type {class}: Sibyl implements LZ4Compressor only"
            )));
        }
        options.insert("class".into(), qualify(short, COMPRESSION_PACKAGE));
        let chunk = options
            .entry("chunk_length_in_kb".into())
            .or_insert_with(|| "16".into());
        // Cassandra's CompressionParams checks; the engine takes 1 KiB to 16 MiB.
        match chunk.parse::<i64>() {
            Ok(kb) if kb <= 0 => Err(SchemaError::Config(format!(
                "Invalid negative or null chunk_length_in_kb: {chunk}"
            ))),
            Ok(kb) if kb.count_ones() != 1 => Err(SchemaError::Config(
                "chunk_length_in_kb must be a power of 2".to_owned(),
            )),
            Ok(kb) if kb > 16 * 1024 => Err(SchemaError::Config(format!(
                "chunk_length_in_kb must be at most 16384 (16 MiB) in Sibyl, got {chunk}"
            ))),
            Ok(_) => Ok(options),
            Err(_) => Err(SchemaError::Config(format!(
                "Invalid value for chunk_length_in_kb: {chunk}"
            ))),
        }
    }

    /// The compaction strategy's short class name.
    pub fn compaction_class(&self) -> &str {
        self.compaction
            .get("class")
            .map_or("SizeTieredCompactionStrategy", |c| {
                c.strip_prefix(COMPACTION_PACKAGE).unwrap_or(c)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> OptionValue {
        OptionValue::Text(s.to_owned())
    }

    #[test]
    fn options_apply_with_validation() {
        let mut p = TableParams::default();
        p.apply("comment", &text("sensor readings")).unwrap();
        p.apply("gc_grace_seconds", &OptionValue::Number("3600".into()))
            .unwrap();
        p.apply("default_time_to_live", &OptionValue::Number("86400".into()))
            .unwrap();
        p.apply("speculative_retry", &text("95p")).unwrap();
        p.apply("cdc", &OptionValue::Bool(true)).unwrap();
        assert_eq!(
            (
                p.comment.as_str(),
                p.gc_grace_seconds,
                p.default_time_to_live
            ),
            ("sensor readings", 3600, 86400)
        );
        assert!(p.cdc);
        assert!(
            p.apply("bloom_filter_fp_chance", &OptionValue::Number("0".into()))
                .is_err()
        );
        assert!(
            p.apply("gc_grace_seconds", &OptionValue::Number("-1".into()))
                .is_err()
        );
        assert!(p.apply("speculative_retry", &text("often")).is_err());
        let err = p.apply("bogus", &text("x")).unwrap_err().to_string();
        assert!(err.contains("Unknown property 'bogus'"), "{err}");
    }

    #[test]
    fn compaction_classes_are_qualified_and_checked() {
        let mut p = TableParams::default();
        let twcs = OptionValue::Map(BTreeMap::from([
            (
                "class".to_owned(),
                "TimeWindowCompactionStrategy".to_owned(),
            ),
            ("compaction_window_unit".to_owned(), "DAYS".to_owned()),
        ]));
        p.apply("compaction", &twcs).unwrap();
        assert_eq!(
            p.compaction["class"],
            "org.apache.cassandra.db.compaction.TimeWindowCompactionStrategy"
        );
        assert_eq!(p.compaction_class(), "TimeWindowCompactionStrategy");
        let unknown = OptionValue::Map(BTreeMap::from([("class".to_owned(), "Magic".to_owned())]));
        assert!(p.apply("compaction", &unknown).is_err());
        let missing = OptionValue::Map(BTreeMap::new());
        assert!(
            p.apply("compaction", &missing)
                .unwrap_err()
                .to_string()
                .contains("class")
        );
    }

    #[test]
    fn chunk_length_is_a_power_of_two_within_the_engine_bounds() {
        let chunk = |kb: &str| {
            OptionValue::Map(BTreeMap::from([(
                "chunk_length_in_kb".to_owned(),
                kb.to_owned(),
            )]))
        };
        let mut p = TableParams::default();
        p.apply("compression", &chunk("64")).unwrap();
        assert_eq!(p.compression["chunk_length_in_kb"], "64");
        let err = |kb: &str| {
            TableParams::default()
                .apply("compression", &chunk(kb))
                .unwrap_err()
                .to_string()
        };
        assert!(err("3").contains("must be a power of 2"), "{}", err("3"));
        assert!(err("0").contains("Invalid negative or null"));
        assert!(err("32768").contains("at most 16384"));
        assert!(err("big").contains("Invalid value"));
    }
}
