//! `client_encryption_options`: TLS on the native port, Cassandra's key names.
//!
//! Cassandra reads a JKS keystore; Sibyl reads a PEM certificate chain and a
//! PEM private key. The files themselves are read when the node starts
//! (`transport::tls`), so a bad file stops start-up with its path named.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{InvalidValue, check};

/// TLS settings of the CQL native port.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientEncryptionOptions {
    /// Wrap every native connection in TLS.
    pub enabled: bool,
    /// Also accept plain connections on the same port (told apart by their
    /// first byte), as Cassandra's `optional: true`.
    pub optional: bool,
    /// PEM file with the node's certificate chain, leaf first.
    pub certificate: Option<PathBuf>,
    /// PEM file with the certificate's private key (PKCS#8, PKCS#1 or SEC1).
    pub private_key: Option<PathBuf>,
}

impl ClientEncryptionOptions {
    /// Checks that an enabled configuration names both files.
    ///
    /// # Errors
    /// An [`InvalidValue`] naming the missing key.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        if !self.enabled {
            return Ok(());
        }
        check(
            self.certificate.is_some(),
            "client_encryption_options.certificate",
            "required when client_encryption_options.enabled is true (a PEM file)",
        )?;
        check(
            self.private_key.is_some(),
            "client_encryption_options.private_key",
            "required when client_encryption_options.enabled is true (a PEM file)",
        )
    }
}
