//! The harness of the server tests: a running `dsguard serve`, certificates, and TLS
//! clients speaking HTTP/2 and HTTP/1.1 (hyper over tokio-rustls), so that the tests in
//! `serve.rs` read as what they check.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::{dsguard, root};

/// A running `dsguard serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub tls: SocketAddr,
    pub probe: SocketAddr,
    pub logs: Arc<Mutex<Vec<String>>>,
    pub certs: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Makes a CA and a serving certificate for localhost in `dir` with `dsguard certs`.
pub fn make_certs(dir: &Path) {
    let o = dsguard(
        &[
            "certs",
            "--out",
            dir.to_str().unwrap(),
            "--san",
            "localhost",
            "--san",
            "127.0.0.1",
        ],
        None,
    );
    assert!(o.status.success(), "{}", crate::err(&o));
}

impl Server {
    /// Starts the server on ephemeral ports with certificates in `certs` (made there when
    /// missing) and extra arguments.
    pub fn start(certs: &Path, extra: &[&str]) -> Server {
        if !certs.join("tls.crt").exists() {
            make_certs(certs);
        }
        Self::start_with(&certs.join("tls.crt"), &certs.join("tls.key"), certs, extra)
    }

    pub fn start_with(cert: &Path, key: &Path, certs: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dsguard"))
            .args(["serve", "--tls-cert"])
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--probe-listen",
                "127.0.0.1:0",
                "--log-format",
                "json",
            ])
            .args(extra)
            .env_remove("DSGUARD_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dsguard serve starts");
        let stderr = child.stderr.take().unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && v["message"] == "serving"
                {
                    let _ = tx.send((v["tls_addr"].clone(), v["probe_addr"].clone()));
                }
                sink.lock().unwrap().push(line);
            }
        });
        let (tls, probe) = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("the server did not start: {:?}", logs.lock().unwrap()));
        Server {
            child,
            tls: tls.as_str().unwrap().parse().unwrap(),
            probe: probe.as_str().unwrap().parse().unwrap(),
            logs,
            certs: certs.to_path_buf(),
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    /// Waits for the process to exit; its exit code.
    pub fn wait(&mut self, within: Duration) -> Option<i32> {
        let end = Instant::now() + within;
        while Instant::now() < end {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the server did not exit within {within:?}");
    }

    /// Log lines that parse as JSON.
    pub fn log_lines(&self) -> Vec<Value> {
        self.logs
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// GET on the side port: status and body.
    pub fn probe_get(&self, path: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(self.probe).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let status = text[9..12].parse().unwrap();
        let body = text.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
        (status, body.to_string())
    }

    /// The value of one metric sample (exact series name with labels) in /metrics.
    pub fn metric(&self, series: &str) -> Option<f64> {
        let (_, text) = self.probe_get("/metrics");
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }
}

/// HTTP protocol to offer by ALPN.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Proto {
    H2,
    H1,
}

/// TLS settings of a client trusting `ca`, offering `proto`, with an optional client
/// certificate.
pub fn client_config(
    ca: &Path,
    proto: Proto,
    identity: Option<(&Path, &Path)>,
) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let mut config = match identity {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => builder
            .with_client_auth_cert(
                CertificateDer::pem_file_iter(cert)
                    .unwrap()
                    .map(Result::unwrap)
                    .collect(),
                PrivateKeyDer::from_pem_file(key).unwrap(),
            )
            .unwrap(),
    };
    config.alpn_protocols = vec![match proto {
        Proto::H2 => b"h2".to_vec(),
        Proto::H1 => b"http/1.1".to_vec(),
    }];
    config
}

/// One TLS connection speaking HTTP/2 or HTTP/1.1.
pub enum Conn {
    H2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
    H1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
}

/// A response: status, headers, body.
pub struct Resp {
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// TLS handshake with `addr`; the stream and the server's certificate chain.
pub async fn tls_connect(
    addr: SocketAddr,
    config: rustls::ClientConfig,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
}

impl Conn {
    pub async fn open(addr: SocketAddr, config: rustls::ClientConfig) -> std::io::Result<Conn> {
        let proto = if config.alpn_protocols[0] == b"h2" {
            Proto::H2
        } else {
            Proto::H1
        };
        let tls = tls_connect(addr, config).await?;
        let negotiated = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
        let io = TokioIo::new(tls);
        let conn = match proto {
            Proto::H2 => {
                assert_eq!(negotiated.as_deref(), Some(&b"h2"[..]), "ALPN chose h2");
                let (send, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                    .await
                    .map_err(std::io::Error::other)?;
                tokio::spawn(conn);
                Conn::H2(send)
            }
            Proto::H1 => {
                assert_eq!(negotiated.as_deref(), Some(&b"http/1.1"[..]));
                let (send, conn) = hyper::client::conn::http1::handshake(io)
                    .await
                    .map_err(std::io::Error::other)?;
                tokio::spawn(conn);
                Conn::H1(send)
            }
        };
        Ok(conn)
    }

    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Vec<u8>,
    ) -> Result<Resp, hyper::Error> {
        let req = Request::builder()
            .method(method)
            .uri(format!("https://localhost{path}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let resp = match self {
            Conn::H2(s) => s.send_request(req).await?,
            Conn::H1(s) => {
                s.ready().await?;
                s.send_request(req).await?
            }
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok(Resp {
            status,
            headers,
            body,
        })
    }

    pub async fn post(&mut self, path: &str, body: Vec<u8>) -> Resp {
        self.send("POST", path, body)
            .await
            .expect("request answered")
    }
}

pub fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(root().join("tests/fixtures/admission"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".request.json"))
        .collect();
    files.sort();
    files
}

pub fn golden(request: &Path, endpoint: &str) -> Value {
    let path = request
        .to_string_lossy()
        .replace(".request.json", &format!(".{endpoint}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn config_of(request: &Path) -> Option<PathBuf> {
    let p = PathBuf::from(
        request
            .to_string_lossy()
            .replace(".request.json", ".config.yaml"),
    );
    p.exists().then_some(p)
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// An HTTP/1.1 request written by hand over TLS, so that the body can be held back.
pub async fn partial_request(
    server: &Server,
    path: &str,
    body: &[u8],
    sent: usize,
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let config = client_config(&server.certs.join("ca.crt"), Proto::H1, None);
    let mut tls = tls_connect(server.tls, config).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.write_all(&body[..sent]).await.unwrap();
    tls.flush().await.unwrap();
    tls
}

pub async fn read_response(tls: &mut tokio_rustls::client::TlsStream<TcpStream>) -> String {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// A client certificate signed by the CA in `ca_dir`.
pub fn client_identity(ca_dir: &Path, out: &Path) -> (PathBuf, PathBuf) {
    let ca_pem = std::fs::read_to_string(ca_dir.join("ca.crt")).unwrap();
    let ca_key =
        rcgen::KeyPair::from_pem(&std::fs::read_to_string(ca_dir.join("ca.key")).unwrap()).unwrap();
    let issuer = rcgen::Issuer::from_ca_cert_pem(&ca_pem, ca_key).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "kube-apiserver");
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let (c, k) = (out.join("client.crt"), out.join("client.key"));
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    (c, k)
}

/// A Secret volume as the kubelet writes it: `..data` points to a timestamped directory,
/// the visible names point through `..data` (pkg/volume/util/atomic_writer.go).
pub fn secret_volume(dir: &Path, version: &str, from: &Path) {
    let versioned = dir.join(version);
    std::fs::create_dir_all(&versioned).unwrap();
    for name in ["tls.crt", "tls.key"] {
        std::fs::copy(from.join(name), versioned.join(name)).unwrap();
    }
    let tmp = dir.join("..data_tmp");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(version, &tmp).unwrap();
    std::fs::rename(&tmp, dir.join("..data")).unwrap();
    for name in ["tls.crt", "tls.key"] {
        let link = dir.join(name);
        if link.symlink_metadata().is_err() {
            std::os::unix::fs::symlink(format!("..data/{name}"), &link).unwrap();
        }
    }
}

pub async fn served_certificate(addr: SocketAddr, ca: &Path) -> Vec<u8> {
    let tls = tls_connect(addr, client_config(ca, Proto::H2, None))
        .await
        .unwrap();
    tls.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

pub fn der_of(pem: &Path) -> Vec<u8> {
    CertificateDer::from_pem_file(pem).unwrap().to_vec()
}
