//! TLS on the native port: the acceptor built from PEM files at start-up, and
//! the per-connection handshake.
//!
//! Invariants: a bad certificate or key file is an error naming the file
//! (never a panic); a failed or stalled handshake closes that connection only.
//! In optional mode a connection whose first byte is a TLS handshake record
//! (0x16) gets TLS, any other (a CQL frame starts with its version byte) is
//! served in plain text.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Longest a client may take to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The content type of a TLS handshake record: a TLS client's first byte.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// Why the TLS settings could not be turned into an acceptor.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// A PEM file is unreadable or holds nothing usable.
    #[error("client_encryption_options: {what} file {}: {reason}", path.display())]
    File {
        /// "certificate" or "private_key".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// rustls rejected the certificate and key together (e.g. they do not match).
    #[error("client_encryption_options: certificate {} with key {}: {reason}", certificate.display(), key.display())]
    Pair {
        /// The certificate file.
        certificate: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls's explanation.
        reason: String,
    },
}

/// How the native port treats new connections.
#[derive(Clone)]
pub struct NativeTls {
    acceptor: TlsAcceptor,
    optional: bool,
}

impl NativeTls {
    /// Reads the PEM certificate chain and private key and builds the acceptor.
    ///
    /// # Errors
    /// [`TlsSetupError`] naming the file at fault.
    pub fn from_pem_files(
        certificate: &Path,
        key: &Path,
        optional: bool,
    ) -> Result<Self, TlsSetupError> {
        let file_error = |what: &'static str, path: &Path, reason: String| TlsSetupError::File {
            what,
            path: path.to_owned(),
            reason,
        };
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(certificate)
            .map_err(|e| file_error("certificate", certificate, e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| file_error("certificate", certificate, e.to_string()))?;
        if chain.is_empty() {
            return Err(file_error(
                "certificate",
                certificate,
                "no PEM CERTIFICATE block found".to_owned(),
            ));
        }
        let private_key = PrivateKeyDer::from_pem_file(key)
            .map_err(|e| file_error("private_key", key, e.to_string()))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(chain, private_key))
            .map_err(|e| TlsSetupError::Pair {
                certificate: certificate.to_owned(),
                key: key.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            optional,
        })
    }

    /// Decides whether `stream` speaks TLS and, if so, completes the handshake.
    ///
    /// # Errors
    /// The handshake failed or timed out; the caller drops the connection.
    pub async fn accept(&self, stream: TcpStream) -> std::io::Result<Accepted> {
        let timeout =
            || std::io::Error::new(std::io::ErrorKind::TimedOut, "TLS handshake timed out");
        if self.optional {
            let mut first = [0_u8; 1];
            let peeked = tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.peek(&mut first))
                .await
                .map_err(|_| timeout())??;
            if peeked == 0 || first[0] != TLS_HANDSHAKE_RECORD {
                return Ok(Accepted::Plain(stream));
            }
        }
        let tls = tokio::time::timeout(HANDSHAKE_TIMEOUT, self.acceptor.accept(stream))
            .await
            .map_err(|_| timeout())??;
        Ok(Accepted::Tls(Box::new(tls)))
    }
}

/// A connection after the TLS decision.
pub enum Accepted {
    /// Plain text (optional mode, non-TLS client).
    Plain(TcpStream),
    /// TLS established.
    Tls(Box<TlsStream<TcpStream>>),
}
