//! TLS for the client: [`TlsOptions`] (cqlsh's `[ssl]` settings: a CA file to
//! verify the node against, or no verification) and the wrapping of a fresh
//! TCP socket before the protocol handshake.
//!
//! Invariants: with `validate` the node's chain must lead to a certificate of
//! `ca_file` and name the address connected to; without it any certificate is
//! accepted (cqlsh's `validate = false`: encryption without authentication).

use std::path::PathBuf;
use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::error::{ClientError, Result};

/// How to speak TLS to the node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsOptions {
    /// PEM file of the certificate(s) to trust (cqlsh's `certfile`).
    pub ca_file: Option<PathBuf>,
    /// Verify the node's certificate (cqlsh's `validate`, default true there).
    pub validate: bool,
}

/// A socket the client reads and writes: TCP, or TCP under TLS.
pub(crate) trait ClientIo: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> ClientIo for T {}

/// The boxed socket of a connection.
pub(crate) type ClientStream = Box<dyn ClientIo>;

/// Wraps `stream` in TLS when `options` asks for it.
pub(crate) async fn wrap(stream: TcpStream, options: Option<&TlsOptions>) -> Result<ClientStream> {
    let Some(options) = options else {
        return Ok(Box::new(stream));
    };
    let ip = stream.peer_addr()?.ip();
    let config = client_config(options)?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tls = connector.connect(ServerName::from(ip), stream).await?;
    Ok(Box::new(tls))
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn client_config(options: &TlsOptions) -> Result<rustls::ClientConfig> {
    let invalid = |e: String| ClientError::Invalid(format!("TLS: {e}"));
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(e.to_string()))?;
    if !options.validate {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider())))
            .with_no_client_auth());
    }
    let Some(path) = &options.ca_file else {
        return Err(invalid(
            "validation is on but no certificate file is given to verify against".to_owned(),
        ));
    };
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    for cert in certs {
        let cert = cert.map_err(|e| invalid(format!("{}: {e}", path.display())))?;
        roots
            .add(cert)
            .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    }
    if roots.is_empty() {
        return Err(invalid(format!("{}: no PEM certificate", path.display())));
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// Accepts any server certificate, still checking the handshake signatures.
#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
