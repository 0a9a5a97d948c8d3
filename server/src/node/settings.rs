//! Node configuration turned into the settings of the processor and transport.

use std::time::Duration;

use crate::config::NodeConfig;
use crate::cql::processor::{Thresholds, Timeouts};
use crate::transport::TransportConfig;

pub(super) fn timeouts(config: &NodeConfig) -> Timeouts {
    Timeouts {
        read: Duration::from_millis(config.read_request_timeout_ms),
        range: Duration::from_millis(config.range_request_timeout_ms),
        write: Duration::from_millis(config.write_request_timeout_ms),
        truncate: Duration::from_millis(config.truncate_request_timeout_ms),
    }
}

pub(super) fn thresholds(config: &NodeConfig) -> Thresholds {
    Thresholds {
        tombstone_warn: u64::from(config.tombstone_warn_threshold),
        tombstone_fail: u64::from(config.tombstone_failure_threshold),
        batch_warn_bytes: usize::try_from(config.batch_size_warn_threshold_kb).unwrap_or(5) * 1024,
        batch_fail_bytes: usize::try_from(config.batch_size_fail_threshold_kb).unwrap_or(50) * 1024,
        value_bytes_max: usize::try_from(config.max_value_size_mb)
            .unwrap_or(256)
            .saturating_mul(1024 * 1024),
        collection_items_max: usize::try_from(config.items_per_collection_fail_threshold)
            .unwrap_or(65_535),
    }
}

pub(super) fn transport_config(config: &NodeConfig) -> TransportConfig {
    let mut transport = TransportConfig::default();
    transport.limits.frame_body_bytes_max = config
        .native_transport_max_frame_size_mb
        .saturating_mul(1024 * 1024);
    transport.connections_max =
        usize::try_from(config.native_transport_max_concurrent_connections).unwrap_or(1024);
    transport.requests_per_connection_max =
        usize::try_from(config.native_transport_max_requests_per_connection).unwrap_or(1024);
    transport.requests_max =
        usize::try_from(config.native_transport_max_concurrent_requests).unwrap_or(4096);
    if config.authenticator == crate::config::Authenticator::PasswordAuthenticator {
        transport.authenticator =
            Some("org.apache.cassandra.auth.PasswordAuthenticator".to_owned());
    }
    transport
}

/// Opens the node's roles (creating the default superuser on first start).
pub(super) fn open_auth(
    config: &NodeConfig,
) -> Result<std::sync::Arc<crate::auth::Auth>, crate::auth::AuthError> {
    crate::auth::Auth::open(
        &config.data_dir,
        crate::auth::AuthSettings {
            password_required: config.authenticator
                == crate::config::Authenticator::PasswordAuthenticator,
            bcrypt_cost: config.auth_bcrypt_gensalt_log2_rounds,
        },
    )
}

pub(super) fn prepared_cache_bytes(config: &NodeConfig) -> usize {
    usize::try_from(config.prepared_statements_cache_size_mb).unwrap_or(10) * 1024 * 1024
}
