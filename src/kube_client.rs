//! A Kubernetes client that connects wherever kubectl connects (`audit`, `validate
//! --previous cluster`).
//!
//! kube-rs builds the client from a kubeconfig, and its authentication (tokens, token
//! files, exec credential plugins, client certificates) is used as it is. What is added
//! here is the connection, built the way kube-rs's `ClientBuilder` builds it, with two
//! differences kubectl users rely on:
//! * A certificate authority that is the API server's own self-signed certificate (a
//!   `CA:true` certificate presented as the server's). Go's verifier accepts a leaf that is
//!   itself in the root pool (`crypto/x509`, `Certificate.Verify`: a root in the pool is a
//!   chain of one), still checking its validity period and the host name; webpki refuses it
//!   (`CaUsedAsEndEntity`, kube-rs#1767). [`KubectlVerifier`] does what Go does, and only
//!   that: a certificate byte-equal to one of the configured authorities.
//! * `proxy-url` (http, https and socks5) without the kube crate's optional proxy features.
//!
//! `insecure-skip-tls-verify: true` is honoured, with a warning on stderr.

use std::sync::Arc;

use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kube::client::ConfigExt;
use kube::{Client, Config};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tower::ServiceBuilder;

/// Why a client could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ClientError(pub String);

/// Accepts what webpki accepts, and a server certificate that is byte-equal to one of the
/// configured certificate authorities when its validity period covers now and it names the
/// host (Go's `x509.Certificate.Verify` with the leaf in the root pool).
#[derive(Debug)]
pub struct KubectlVerifier {
    webpki: Arc<rustls::client::WebPkiServerVerifier>,
    roots: Vec<CertificateDer<'static>>,
}

impl KubectlVerifier {
    /// A verifier trusting `roots` (DER certificates).
    pub fn new(roots: Vec<CertificateDer<'static>>) -> Result<Self, ClientError> {
        let mut store = rustls::RootCertStore::empty();
        for r in &roots {
            // A certificate webpki cannot use as an anchor may still match exactly.
            let _ = store.add(r.clone());
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let webpki =
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
                .build()
                .map_err(|e| ClientError(format!("certificate-authority: {e}")))?;
        Ok(KubectlVerifier { webpki, roots })
    }

    /// The exact-match rule: validity period and host name, as Go checks a leaf.
    fn exact_match(
        &self,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        use x509_parser::prelude::FromDer;
        let (_, cert) =
            x509_parser::certificate::X509Certificate::from_der(end_entity).map_err(|_| {
                rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding)
            })?;
        let now = now.as_secs() as i64;
        let validity = cert.validity();
        if now < validity.not_before.timestamp() {
            return Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidYet,
            ));
        }
        if now > validity.not_after.timestamp() {
            return Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::Expired,
            ));
        }
        let parsed = webpki::EndEntityCert::try_from(end_entity).map_err(|_| {
            rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding)
        })?;
        parsed
            .verify_is_valid_for_subject_name(server_name)
            .map_err(|_| {
                rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
            })
    }
}

impl ServerCertVerifier for KubectlVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(v) => Ok(v),
            Err(e) => {
                if self.roots.iter().any(|r| r.as_ref() == end_entity.as_ref()) {
                    self.exact_match(end_entity, server_name, now)?;
                    Ok(ServerCertVerified::assertion())
                } else {
                    Err(e)
                }
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// The client for `config`: kube-rs's layers (base URI, authentication, extra headers)
/// over a connection made as described in the module docs.
pub fn client(mut config: Config) -> Result<Client, ClientError> {
    // client-go reads a token file with surrounding white space trimmed (the file usually
    // ends in a newline); kube-rs puts the newline in the header and fails. Read it here,
    // once: an audit is over long before a projected token rotates.
    if config.auth_info.token.is_none()
        && let Some(path) = config.auth_info.token_file.take()
    {
        let token = std::fs::read_to_string(&path)
            .map_err(|e| ClientError(format!("cannot read the token file {path}: {e}")))?;
        config.auth_info.token = Some(token.trim().to_string().into());
    }
    let mut tls = config
        .rustls_client_config()
        .map_err(|e| ClientError(format!("TLS setup: {e}")))?;
    if config.accept_invalid_certs {
        eprintln!(
            "dsguard: warning: insecure-skip-tls-verify is set for {}: the server's certificate is not checked",
            config.cluster_url
        );
    } else if config.root_cert_file.is_none()
        && let Some(roots) = &config.root_cert
    {
        let roots: Vec<CertificateDer<'static>> = roots
            .iter()
            .map(|r| CertificateDer::from(r.clone()))
            .collect();
        tls.dangerous()
            .set_certificate_verifier(Arc::new(KubectlVerifier::new(roots)?));
    }
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    match config.proxy_url.clone() {
        None => finish(config, tls, http),
        Some(proxy) => {
            use hyper_util::client::legacy::connect::proxy::{SocksV5, Tunnel};
            let auth = proxy_auth(&proxy);
            match proxy.scheme_str() {
                Some("http") => {
                    let mut tunnel = Tunnel::new(proxy.clone(), http);
                    if let Some((user, pass)) = auth {
                        tunnel = tunnel.with_auth(basic_auth(&user, &pass)?);
                    }
                    finish(config, tls, tunnel)
                }
                Some("https") => {
                    // TLS to the proxy, then the tunnel, then TLS to the API server.
                    let to_proxy = hyper_rustls::HttpsConnectorBuilder::new()
                        .with_tls_config(tls.clone())
                        .https_or_http()
                        .enable_http1()
                        .wrap_connector(http);
                    let mut tunnel = Tunnel::new(proxy.clone(), to_proxy);
                    if let Some((user, pass)) = auth {
                        tunnel = tunnel.with_auth(basic_auth(&user, &pass)?);
                    }
                    finish(config, tls, tunnel)
                }
                Some("socks5" | "socks5h") => {
                    let mut socks = SocksV5::new(proxy.clone(), http);
                    if let Some((user, pass)) = auth {
                        socks = socks.with_auth(user, pass);
                    }
                    finish(config, tls, socks)
                }
                other => Err(ClientError(format!(
                    "proxy-url {proxy}: scheme {} is not supported; use http, https or socks5",
                    other.unwrap_or("(none)")
                ))),
            }
        }
    }
}

/// User and password of a proxy URL, percent-decoded.
fn proxy_auth(proxy: &http::Uri) -> Option<(String, String)> {
    let userinfo = proxy.authority()?.as_str().rsplit_once('@')?.0;
    let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    Some((decode(user), decode(pass)))
}

fn basic_auth(user: &str, pass: &str) -> Result<http::HeaderValue, ClientError> {
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    http::HeaderValue::from_str(&format!("Basic {token}"))
        .map_err(|e| ClientError(format!("proxy-url credentials: {e}")))
}

/// TLS to the API server over `connector`, timeouts, and kube-rs's layers.
fn finish<C>(config: Config, tls: rustls::ClientConfig, connector: C) -> Result<Client, ClientError>
where
    C: tower::Service<http::Uri> + Clone + Send + Sync + 'static,
    C::Response: hyper::rt::Read
        + hyper::rt::Write
        + hyper_util::client::legacy::connect::Connection
        + Unpin
        + Send
        + 'static,
    C::Future: Send + 'static,
    C::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    if let Some(name) = &config.tls_server_name {
        let name = ServerName::try_from(name.clone())
            .map_err(|e| ClientError(format!("tls-server-name {name:?}: {e}")))?;
        https = https.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name));
    }
    let https = https.enable_http1().wrap_connector(connector);
    let mut timed = hyper_timeout::TimeoutConnector::new(https);
    timed.set_connect_timeout(config.connect_timeout);
    timed.set_read_timeout(config.read_timeout);
    timed.set_write_timeout(config.write_timeout);
    let http_client: hyper_util::client::legacy::Client<_, kube::client::Body> =
        hyper_util::client::legacy::Builder::new(TokioExecutor::new()).build(timed);
    let plugin = config
        .auth_info
        .exec
        .as_ref()
        .and_then(|e| e.command.clone());
    let auth = config.auth_layer().map_err(|e| {
        ClientError(match &plugin {
            Some(cmd) => format!(
                "credentials: the exec credential plugin {cmd:?} failed: {e}; is it installed, and does it run by itself?"
            ),
            None => format!("credentials: {e}"),
        })
    })?;
    let headers = config
        .extra_headers_layer()
        .map_err(|e| ClientError(format!("kubeconfig headers: {e}")))?;
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(auth)
        .layer(headers)
        .map_err(
            |e: hyper_util::client::legacy::Error| -> Box<dyn std::error::Error + Send + Sync> {
                Box::new(e)
            },
        )
        .service(http_client);
    Ok(Client::new(service, config.default_namespace))
}
