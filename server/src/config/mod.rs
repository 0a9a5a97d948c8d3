//! Node configuration: one TOML file whose keys follow `cassandra.yaml` names,
//! overridden by `--set KEY=VALUE` and by the named command-line flags.
//!
//! Precedence, lowest first: built-in defaults, the file, `--set`, named flags.
//! Every key has a default (so no file is needed), units are the last part of a
//! key's name (`_ms`, `_mb`, `_kb`), and [`NodeConfig::validate`] rejects
//! inconsistent values at start-up with a message naming the key.

mod flags;
mod load;
mod tls;

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use flags::Flags;
pub use load::{ConfigError, ConfigSources, Origin, load};
pub use tls::ClientEncryptionOptions;

/// When the commitlog is fsynced relative to acknowledging a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommitlogSync {
    /// fsync every `commitlog_sync_period_ms`; a crash may lose that window.
    Periodic,
    /// Acknowledge a write only after its fsync; concurrent writes share one.
    Batch,
    /// Like `batch`, fsyncs grouped in windows of `commitlog_sync_group_window_ms`.
    Group,
}

/// How clients authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Authenticator {
    /// No authentication (Cassandra's default).
    AllowAllAuthenticator,
    /// SASL PLAIN username/password checked against stored roles.
    PasswordAuthenticator,
}

/// Everything one `sibyld` process is configured with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// Nodes only gossip with nodes of the same cluster name.
    pub cluster_name: String,
    /// The address every port of this node binds (native, storage, admin).
    pub listen_address: IpAddr,
    /// CQL native protocol port.
    pub native_transport_port: u16,
    /// Internode messaging port.
    pub storage_port: u16,
    /// Admin and Prometheus metrics HTTP port.
    pub admin_port: u16,
    /// Root of this node's files: data, commitlog, hints, system tables.
    pub data_dir: PathBuf,
    /// Contact points for gossip discovery; empty means this node alone.
    pub seeds: Vec<IpAddr>,
    /// Data center name (what Cassandra's snitch reports).
    pub dc: String,
    /// Rack name inside the data center.
    pub rack: String,
    /// Virtual nodes: tokens this node owns, chosen at first start.
    pub num_tokens: u32,
    /// Commitlog durability mode.
    pub commitlog_sync: CommitlogSync,
    /// fsync period in `periodic` mode: the window a crash may lose.
    pub commitlog_sync_period_ms: u64,
    /// Grouping window in `group` mode.
    pub commitlog_sync_group_window_ms: u64,
    /// Size of one commitlog segment file.
    pub commitlog_segment_size_mb: u32,
    /// Client authentication.
    pub authenticator: Authenticator,
    /// bcrypt work factor of new password hashes (`2^N` rounds; Cassandra's
    /// `-Dcassandra.auth_bcrypt_gensalt_log2_rounds`).
    pub auth_bcrypt_gensalt_log2_rounds: u32,
    /// Largest accepted native protocol frame body.
    pub native_transport_max_frame_size_mb: u32,
    /// Client connections accepted at once; more are refused.
    pub native_transport_max_concurrent_connections: u32,
    /// Requests in flight on one connection before it is answered Overloaded.
    pub native_transport_max_requests_per_connection: u32,
    /// Requests in flight on the whole node before new ones get Overloaded.
    pub native_transport_max_concurrent_requests: u32,
    /// Coordinator timeout for single-partition reads.
    pub read_request_timeout_ms: u64,
    /// Coordinator timeout for writes.
    pub write_request_timeout_ms: u64,
    /// Coordinator timeout for multi-partition range reads.
    pub range_request_timeout_ms: u64,
    /// Timeout for Paxos rounds of lightweight transactions.
    pub cas_contention_timeout_ms: u64,
    /// Timeout for TRUNCATE.
    pub truncate_request_timeout_ms: u64,
    /// Tombstones scanned by one read before a warning is sent to the client.
    pub tombstone_warn_threshold: u32,
    /// Tombstones scanned by one read before it fails with ReadFailure.
    pub tombstone_failure_threshold: u32,
    /// Batch size (serialized mutations) that triggers a client warning.
    pub batch_size_warn_threshold_kb: u32,
    /// Batch size that is rejected with InvalidRequest.
    pub batch_size_fail_threshold_kb: u32,
    /// Largest single value accepted in a write.
    pub max_value_size_mb: u32,
    /// Most elements one write may put in one collection (Cassandra's
    /// `items_per_collection_fail_threshold` guardrail).
    pub items_per_collection_fail_threshold: u32,
    /// Memory all memtables of this node may hold before flushing the largest.
    pub memtable_space_mb: u32,
    /// Compaction write throughput cap; 0 means unthrottled.
    pub compaction_throughput_mb_per_sec: u32,
    /// Bound of the storage engine's cache of decompressed SSTable chunks
    /// (Cassandra's `file_cache_size`); 0 disables it.
    pub file_cache_size_mb: u32,
    /// Prepared statements cache budget.
    pub prepared_statements_cache_size_mb: u32,
    /// Phi-accrual suspicion level at which a peer is marked down.
    pub phi_convict_threshold: f64,
    /// Whether writes for down replicas are stored as hints.
    pub hinted_handoff_enabled: bool,
    /// How long a replica may be down and still receive hints.
    pub max_hint_window_ms: u64,
    /// TLS on the native port (a TOML table; see [`ClientEncryptionOptions`]).
    pub client_encryption_options: ClientEncryptionOptions,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            cluster_name: "Test Cluster".to_owned(),
            listen_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            native_transport_port: 9042,
            storage_port: 7000,
            admin_port: 9180,
            data_dir: PathBuf::from("data"),
            seeds: Vec::new(),
            dc: "datacenter1".to_owned(),
            rack: "rack1".to_owned(),
            num_tokens: 16,
            commitlog_sync: CommitlogSync::Periodic,
            commitlog_sync_period_ms: 10_000,
            commitlog_sync_group_window_ms: 15,
            commitlog_segment_size_mb: 32,
            authenticator: Authenticator::AllowAllAuthenticator,
            auth_bcrypt_gensalt_log2_rounds: 10,
            native_transport_max_frame_size_mb: 16,
            native_transport_max_concurrent_connections: 1024,
            native_transport_max_requests_per_connection: 1024,
            native_transport_max_concurrent_requests: 4096,
            read_request_timeout_ms: 5_000,
            write_request_timeout_ms: 2_000,
            range_request_timeout_ms: 10_000,
            cas_contention_timeout_ms: 1_000,
            truncate_request_timeout_ms: 60_000,
            tombstone_warn_threshold: 1_000,
            tombstone_failure_threshold: 100_000,
            batch_size_warn_threshold_kb: 5,
            batch_size_fail_threshold_kb: 50,
            max_value_size_mb: 256,
            items_per_collection_fail_threshold: 65_535,
            memtable_space_mb: 2_048,
            compaction_throughput_mb_per_sec: 64,
            file_cache_size_mb: 256,
            prepared_statements_cache_size_mb: 10,
            phi_convict_threshold: 8.0,
            hinted_handoff_enabled: true,
            max_hint_window_ms: 3 * 60 * 60 * 1_000,
            client_encryption_options: ClientEncryptionOptions::default(),
        }
    }
}

/// Largest `num_tokens` Cassandra accepts.
pub const NUM_TOKENS_MAX: u32 = 1536;
/// Largest native protocol frame we can be configured to accept (Cassandra's hard cap).
pub const FRAME_SIZE_MB_MAX: u32 = 256;

/// A value that passed parsing but makes no sense for a node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value for `{key}`: {reason}")]
pub struct InvalidValue {
    /// The configuration key at fault.
    pub key: &'static str,
    /// Why the value is rejected.
    pub reason: String,
}

fn check(ok: bool, key: &'static str, reason: impl Into<String>) -> Result<(), InvalidValue> {
    if ok {
        Ok(())
    } else {
        Err(InvalidValue {
            key,
            reason: reason.into(),
        })
    }
}

impl NodeConfig {
    /// Checks values that parse but cannot work together.
    ///
    /// # Errors
    /// The first [`InvalidValue`] found, naming its key.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        let name = &self.cluster_name;
        check(!name.trim().is_empty(), "cluster_name", "must not be empty")?;
        check(name.len() <= 256, "cluster_name", "longer than 256 bytes")?;
        check(
            !self.listen_address.is_unspecified(),
            "listen_address",
            "must be a concrete address (drivers connect to what the node advertises), not 0.0.0.0 or ::",
        )?;
        self.validate_ports()?;
        check(!self.dc.trim().is_empty(), "dc", "must not be empty")?;
        check(!self.rack.trim().is_empty(), "rack", "must not be empty")?;
        check(
            (1..=NUM_TOKENS_MAX).contains(&self.num_tokens),
            "num_tokens",
            format!("must be between 1 and {NUM_TOKENS_MAX}"),
        )?;
        check(
            self.commitlog_sync_period_ms > 0,
            "commitlog_sync_period_ms",
            "must be > 0",
        )?;
        check(
            (1..=1024).contains(&self.commitlog_segment_size_mb),
            "commitlog_segment_size_mb",
            "must be between 1 and 1024",
        )?;
        check(
            (1..=FRAME_SIZE_MB_MAX).contains(&self.native_transport_max_frame_size_mb),
            "native_transport_max_frame_size_mb",
            format!("must be between 1 and {FRAME_SIZE_MB_MAX}"),
        )?;
        check(
            (4..=31).contains(&self.auth_bcrypt_gensalt_log2_rounds),
            "auth_bcrypt_gensalt_log2_rounds",
            "must be between 4 and 31",
        )?;
        self.validate_limits()?;
        self.client_encryption_options.validate()
    }

    fn validate_ports(&self) -> Result<(), InvalidValue> {
        let ports = [
            ("native_transport_port", self.native_transport_port),
            ("storage_port", self.storage_port),
            ("admin_port", self.admin_port),
        ];
        for (key, port) in ports {
            check(port != 0, key, "must not be 0")?;
        }
        for (i, (key, port)) in ports.iter().enumerate() {
            for (other, other_port) in ports.iter().skip(i + 1) {
                check(
                    port != other_port,
                    other,
                    format!("{other_port} is also `{key}`"),
                )?;
            }
        }
        Ok(())
    }

    fn validate_limits(&self) -> Result<(), InvalidValue> {
        let positive = [
            (
                "native_transport_max_concurrent_connections",
                self.native_transport_max_concurrent_connections,
            ),
            (
                "native_transport_max_requests_per_connection",
                self.native_transport_max_requests_per_connection,
            ),
            (
                "native_transport_max_concurrent_requests",
                self.native_transport_max_concurrent_requests,
            ),
            ("max_value_size_mb", self.max_value_size_mb),
            (
                "items_per_collection_fail_threshold",
                self.items_per_collection_fail_threshold,
            ),
            ("memtable_space_mb", self.memtable_space_mb),
        ];
        for (key, value) in positive {
            check(value > 0, key, "must be > 0")?;
        }
        let timeouts = [
            ("read_request_timeout_ms", self.read_request_timeout_ms),
            ("write_request_timeout_ms", self.write_request_timeout_ms),
            ("range_request_timeout_ms", self.range_request_timeout_ms),
            ("cas_contention_timeout_ms", self.cas_contention_timeout_ms),
            (
                "truncate_request_timeout_ms",
                self.truncate_request_timeout_ms,
            ),
        ];
        for (key, value) in timeouts {
            check(value > 0, key, "must be > 0")?;
        }
        check(
            self.tombstone_warn_threshold <= self.tombstone_failure_threshold,
            "tombstone_warn_threshold",
            "must not exceed tombstone_failure_threshold",
        )?;
        check(
            self.batch_size_warn_threshold_kb <= self.batch_size_fail_threshold_kb,
            "batch_size_warn_threshold_kb",
            "must not exceed batch_size_fail_threshold_kb",
        )?;
        check(
            self.phi_convict_threshold.is_finite() && self.phi_convict_threshold > 0.0,
            "phi_convict_threshold",
            "must be a positive number",
        )
    }

    /// The seeds to contact: the configured ones, or this node alone.
    pub fn effective_seeds(&self) -> Vec<IpAddr> {
        if self.seeds.is_empty() {
            vec![self.listen_address]
        } else {
            self.seeds.clone()
        }
    }
}

#[cfg(test)]
mod tests;
