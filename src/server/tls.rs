//! The serving certificate: loading, TLS settings, and reloading when the files change.
//!
//! Kubernetes updates a mounted Secret by writing a new hidden directory and swapping the
//! `..data` symlink the visible file names point through (kubelet
//! `pkg/volume/util/atomic_writer.go`, `AtomicWriter.Write`). So the watcher watches the
//! *directories* holding the files, reacts to any event there, and rereads the paths as
//! given; a short settle delay covers a pair written in two steps. A new pair that does
//! not load (unreadable, not PEM, key not matching the certificate) is logged and the
//! running one kept. A slow poll backs up the watcher on file systems without inotify.
//!
//! Each new connection takes the current `ServerConfig`; connections already open keep
//! theirs, so a reload drops nothing.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

use super::metrics::Metrics;

/// Where the certificate, key and optional client CA are read from.
#[derive(Debug, Clone)]
pub struct TlsPaths {
    /// PEM certificate chain, serving certificate first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// PEM CA bundle; when set, clients must present a certificate it signed.
    pub client_ca: Option<PathBuf>,
}

/// Why a certificate, key or CA bundle could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// No usable PEM block of the expected kind.
    #[error("{path}: {what}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong, and what was expected.
        what: String,
    },
    /// rustls refused the pair or the CA bundle (for example a key that does not match).
    #[error("{path}: {source}")]
    Rustls {
        /// The file the error is about.
        path: PathBuf,
        /// The cause.
        source: rustls::Error,
    },
    /// The key is not the private key of the certificate.
    #[error(
        "{key} is not the private key of the certificate in {cert}: give the key that was made with that certificate (e.g. both tls.crt and tls.key from one `dsguard certs --out DIR` or one Secret)"
    )]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// The client CA bundle cannot verify anything.
    #[error("{path}: {what}")]
    ClientCa {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
}

/// A loaded certificate, ready to serve.
pub struct Loaded {
    /// The rustls settings, with ALPN `h2` then `http/1.1`.
    pub config: Arc<ServerConfig>,
    /// The serving certificate's notAfter, as a Unix time.
    pub not_after: i64,
    /// The bytes of the files, to tell a real change from a touch.
    files: Vec<Vec<u8>>,
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn certificates(path: &Path, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem {
            path: path.to_path_buf(),
            what: format!("not a PEM certificate file: {e}"),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            path: path.to_path_buf(),
            what: "no CERTIFICATE block found; expected a PEM certificate chain".into(),
        });
    }
    Ok(certs)
}

/// The notAfter of a DER certificate, as a Unix time.
pub fn not_after(path: &Path, der: &[u8]) -> Result<i64, TlsError> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| TlsError::Pem {
        path: path.to_path_buf(),
        what: format!("the first certificate is not valid X.509: {e}"),
    })?;
    Ok(cert.validity().not_after.timestamp())
}

/// Reads the files and builds the TLS settings: TLS 1.3 and 1.2 only, ALPN `h2` and
/// `http/1.1`, client certificates required when a client CA is given.
pub fn load(paths: &TlsPaths) -> Result<Loaded, TlsError> {
    let cert_pem = read(&paths.cert)?;
    let key_pem = read(&paths.key)?;
    let chain = certificates(&paths.cert, &cert_pem)?;
    let not_after = not_after(&paths.cert, &chain[0])?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::Pem {
        path: paths.key.clone(),
        what: format!("no private key found ({e}); expected a PEM PRIVATE KEY block"),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|source| TlsError::Rustls {
            path: paths.cert.clone(),
            source,
        })?;
    let mut files = vec![cert_pem, key_pem];
    let builder = match &paths.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca_path) => {
            let ca_pem = read(ca_path)?;
            let mut roots = RootCertStore::empty();
            for cert in certificates(ca_path, &ca_pem)? {
                roots.add(cert).map_err(|source| TlsError::Rustls {
                    path: ca_path.clone(),
                    source,
                })?;
            }
            files.push(ca_pem);
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| TlsError::ClientCa {
                    path: ca_path.clone(),
                    what: format!("cannot verify client certificates with it: {e}"),
                })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|source| match source {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                TlsError::KeyMismatch {
                    cert: paths.cert.clone(),
                    key: paths.key.clone(),
                }
            }
            source => TlsError::Rustls {
                path: paths.key.clone(),
                source,
            },
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Loaded {
        config: Arc::new(config),
        not_after,
        files,
    })
}

/// The current TLS settings, swapped when the files change.
pub struct Reloader {
    paths: TlsPaths,
    current: RwLock<Arc<Loaded>>,
    metrics: Arc<Metrics>,
}

impl Reloader {
    /// Loads the files once; an error here stops the server from starting.
    pub fn new(paths: TlsPaths, metrics: Arc<Metrics>) -> Result<Self, TlsError> {
        let loaded = load(&paths)?;
        metrics.certificate_expiry(loaded.not_after);
        Ok(Self {
            paths,
            current: RwLock::new(Arc::new(loaded)),
            metrics,
        })
    }

    /// The settings a new connection uses.
    pub fn config(&self) -> Arc<ServerConfig> {
        // A poisoned lock still holds a complete Arc: the writer only assigns it.
        let guard = self.current.read().unwrap_or_else(|e| e.into_inner());
        guard.config.clone()
    }

    /// Rereads the files. `Ok(true)` when a new pair is now served, `Ok(false)` when the
    /// files are unchanged; on error the running pair stays.
    pub fn reload(&self) -> Result<bool, TlsError> {
        let loaded = match load(&self.paths) {
            Ok(loaded) => loaded,
            Err(e) => {
                self.metrics.certificate_reload(false);
                return Err(e);
            }
        };
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if current.files == loaded.files {
            return Ok(false);
        }
        self.metrics.certificate_expiry(loaded.not_after);
        self.metrics.certificate_reload(true);
        *current = Arc::new(loaded);
        Ok(true)
    }

    /// The directories to watch.
    fn directories(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = [Some(&self.paths.cert), Some(&self.paths.key)]
            .into_iter()
            .chain([self.paths.client_ca.as_ref()])
            .flatten()
            .map(|p| match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            })
            .collect();
        dirs.sort();
        dirs.dedup();
        dirs
    }
}

/// Watches the certificate files and reloads on change, until the returned watcher is
/// dropped. `poll` is the fallback interval.
pub fn watch(
    reloader: Arc<Reloader>,
    settle: Duration,
    poll: Duration,
) -> Result<notify::RecommendedWatcher, notify::Error> {
    use notify::Watcher;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Access events (reads, including our own) say nothing changed.
        if event.is_ok_and(|e| !e.kind.is_access()) {
            let _ = tx.try_send(());
        }
    })?;
    for dir in reloader.directories() {
        watcher.watch(&dir, notify::RecursiveMode::NonRecursive)?;
    }
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(poll);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            tokio::select! {
                event = rx.recv() => {
                    if event.is_none() {
                        return; // the watcher was dropped
                    }
                    tokio::time::sleep(settle).await;
                    while rx.try_recv().is_ok() {}
                }
                _ = ticker.tick() => {}
            }
            match reloader.reload() {
                Ok(true) => tracing::info!(
                    cert = %reloader.paths.cert.display(),
                    "serving certificate reloaded"
                ),
                Ok(false) => {}
                Err(e) => tracing::error!(
                    error = %e,
                    "new certificate or key not loaded; still serving the previous pair"
                ),
            }
        }
    });
    Ok(watcher)
}
