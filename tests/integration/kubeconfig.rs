//! `dsguard audit` wherever kubectl works: each kind of kubeconfig users have, against the
//! in-test API server of audit.rs, and the message each failure gets.
//!
//! A CA that is the server's own self-signed certificate, `tls-server-name`,
//! `insecure-skip-tls-verify`, `proxy-url` (through a CONNECT proxy run here), exec
//! credential plugins, token files, and client certificates with EC and RSA keys (made with
//! the openssl CLI, in PKCS#8, SEC1 and PKCS#1 form).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::audit::{example, live, start_fake_api, start_fake_api_with};
use crate::{code, dsguard, err, out};

fn items() -> Vec<Value> {
    vec![live(
        example("node-exporter"),
        "monitoring",
        1,
        serde_json::json!({}),
    )]
}

/// A kubeconfig with one cluster entry (`cluster` is the YAML body under `cluster:`) and one
/// user (`user`, the YAML body under `user:`).
fn kubeconfig(dir: &Path, name: &str, cluster: &str, user: &str) -> PathBuf {
    let indent = |s: &str| s.lines().map(|l| format!("    {l}\n")).collect::<String>();
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n{}users:\n- name: u\n  user:\n{}contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\n",
        indent(cluster),
        indent(user)
    );
    let path = dir.join(format!("{name}.kubeconfig"));
    std::fs::write(&path, text).unwrap();
    path
}

fn audit(kubeconfig: &Path) -> std::process::Output {
    dsguard(
        &[
            "audit",
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--request-timeout",
            "5",
        ],
        None,
    )
}

/// Expects a successful audit of the one DaemonSet.
fn assert_ok(o: &std::process::Output, why: &str) {
    assert_eq!(code(o), 0, "{why}: {}\n{}", out(o), err(o));
    assert!(
        out(o).contains("monitoring") && out(o).contains("node-exporter"),
        "{why}: {}",
        out(o)
    );
}

/// Expects exit 2 with `needle` in the message.
fn assert_fails(o: &std::process::Output, needle: &str, why: &str) {
    assert_eq!(code(o), 2, "{why}: {}\n{}", out(o), err(o));
    assert!(
        err(o).contains(needle),
        "{why}: want {needle:?} in {}",
        err(o)
    );
}

fn openssl(args: &[&str], dir: &Path) {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A self-signed certificate with CA:true for `names`, as some installers make the API
/// server's own certificate (and hand it out as the CA).
fn self_signed_ca_as_server(dir: &Path, names: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "kube-apiserver");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(dir.join("tls.crt"), cert.pem()).unwrap();
    std::fs::write(dir.join("tls.key"), key.serialize_pem()).unwrap();
}

#[test]
fn a_ca_that_is_the_servers_own_certificate_is_accepted_for_its_names_only() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("self");
    self_signed_ca_as_server(&certs, &["localhost", "127.0.0.1"]);
    let (addr, _api) = start_fake_api(items(), &certs);
    let ca = certs.join("tls.crt");
    let kc = kubeconfig(
        dir.path(),
        "self",
        &format!(
            "server: https://127.0.0.1:{}\ncertificate-authority: {}",
            addr.port(),
            ca.display()
        ),
        "token: ok",
    );
    assert_ok(
        &audit(&kc),
        "kubectl accepts the server's own CA:true certificate as its CA",
    );
    // The same, embedded as certificate-authority-data.
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&ca).unwrap());
    let kc = kubeconfig(
        dir.path(),
        "self-data",
        &format!(
            "server: https://127.0.0.1:{}\ncertificate-authority-data: {data}",
            addr.port()
        ),
        "token: ok",
    );
    assert_ok(&audit(&kc), "certificate-authority-data");
    // A certificate for other names is still refused: the host name is checked.
    let other = dir.path().join("other");
    self_signed_ca_as_server(&other, &["kubernetes.example"]);
    let (addr2, _api2) = start_fake_api(items(), &other);
    let kc = kubeconfig(
        dir.path(),
        "other",
        &format!(
            "server: https://127.0.0.1:{}\ncertificate-authority: {}",
            addr2.port(),
            other.join("tls.crt").display()
        ),
        "token: ok",
    );
    assert_fails(
        &audit(&kc),
        "TLS failure talking to",
        "a name the certificate does not have",
    );
}

#[test]
fn tls_server_name_and_insecure_skip_tls_verify() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    // A serving certificate for kubernetes.default.svc only, not for 127.0.0.1.
    let o = dsguard(
        &[
            "certs",
            "--out",
            certs.to_str().unwrap(),
            "--service",
            "kubernetes",
            "--namespace",
            "default",
        ],
        None,
    );
    assert!(o.status.success(), "{}", err(&o));
    let (addr, _api) = start_fake_api(items(), &certs);
    let cluster = |extra: &str| {
        format!(
            "server: https://127.0.0.1:{}\ncertificate-authority: {}\n{extra}",
            addr.port(),
            certs.join("ca.crt").display()
        )
    };
    let kc = kubeconfig(dir.path(), "plain", &cluster(""), "token: ok");
    assert_fails(
        &audit(&kc),
        "TLS failure talking to",
        "127.0.0.1 is not in the certificate",
    );
    let kc = kubeconfig(
        dir.path(),
        "named",
        &cluster("tls-server-name: kubernetes.default.svc"),
        "token: ok",
    );
    assert_ok(
        &audit(&kc),
        "tls-server-name names what the certificate holds",
    );
    let kc = kubeconfig(
        dir.path(),
        "wrong-name",
        &cluster("tls-server-name: elsewhere.example"),
        "token: ok",
    );
    assert_fails(
        &audit(&kc),
        "TLS failure talking to",
        "a tls-server-name the certificate lacks",
    );
    let kc = kubeconfig(
        dir.path(),
        "insecure",
        &format!(
            "server: https://127.0.0.1:{}\ninsecure-skip-tls-verify: true",
            addr.port()
        ),
        "token: ok",
    );
    let o = audit(&kc);
    assert_ok(&o, "insecure-skip-tls-verify is honoured");
    assert!(
        err(&o).contains("warning: insecure-skip-tls-verify is set"),
        "with a warning: {}",
        err(&o)
    );
}

#[test]
fn token_files_and_exec_credential_plugins() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    crate::serve_support::make_certs(&certs);
    let (addr, api) = start_fake_api(items(), &certs);
    let cluster = format!(
        "server: https://127.0.0.1:{}\ncertificate-authority: {}",
        addr.port(),
        certs.join("ca.crt").display()
    );
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "ok\n").unwrap();
    let kc = kubeconfig(
        dir.path(),
        "token-file",
        &cluster,
        &format!("tokenFile: {}", token_file.display()),
    );
    assert_ok(&audit(&kc), "tokenFile");
    let kc = kubeconfig(
        dir.path(),
        "token-file-missing",
        &cluster,
        "tokenFile: /nonexistent/token",
    );
    assert_fails(
        &audit(&kc),
        "/nonexistent/token",
        "a token file that is not there is named",
    );
    // An exec plugin as EKS, GKE and AKS kubeconfigs use.
    let plugin = dir.path().join("credential-plugin");
    std::fs::write(
        &plugin,
        "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"ok\"}}'\n",
    )
    .unwrap();
    let failing = dir.path().join("failing-plugin");
    std::fs::write(
        &failing,
        "#!/bin/sh\necho 'the SSO session has expired; run aws sso login' >&2\nexit 1\n",
    )
    .unwrap();
    for p in [&plugin, &failing] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let exec = |cmd: &Path| {
        format!(
            "exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: {}\n  interactiveMode: Never",
            cmd.display()
        )
    };
    let kc = kubeconfig(dir.path(), "exec", &cluster, &exec(&plugin));
    assert_ok(&audit(&kc), "an exec credential plugin");
    assert!(
        api.identities
            .lock()
            .unwrap()
            .iter()
            .any(|i| i == "token ok"),
        "the plugin's token was sent"
    );
    let kc = kubeconfig(dir.path(), "exec-fails", &cluster, &exec(&failing));
    assert_fails(
        &audit(&kc),
        "the SSO session has expired",
        "the plugin's own message is shown",
    );
    let kc = kubeconfig(
        dir.path(),
        "exec-missing",
        &cluster,
        &exec(Path::new("/nonexistent/plugin")),
    );
    assert_fails(
        &audit(&kc),
        "/nonexistent/plugin",
        "a plugin that is not there is named",
    );
}

#[test]
fn client_certificates_with_ec_and_rsa_keys() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    crate::serve_support::make_certs(&certs);
    let (addr, api) = start_fake_api_with(items(), &certs, Some(&certs.join("ca.crt")));
    let d = dir.path();
    let (ca_crt, ca_key) = (certs.join("ca.crt"), certs.join("ca.key"));
    // Client certificates are v3 (with extensions), as kubeadm and every CA tool makes them.
    std::fs::write(d.join("client.ext"), "extendedKeyUsage = clientAuth\n").unwrap();
    let sign = |name: &str| {
        openssl(
            &[
                "req",
                "-new",
                "-key",
                &format!("{name}.key"),
                "-subj",
                &format!("/CN={name}"),
                "-out",
                &format!("{name}.csr"),
            ],
            d,
        );
        openssl(
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                ca_crt.to_str().unwrap(),
                "-CAkey",
                ca_key.to_str().unwrap(),
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "client.ext",
                "-out",
                &format!("{name}.crt"),
            ],
            d,
        );
    };
    openssl(
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "ec.key",
        ],
        d,
    ); // SEC1
    sign("ec");
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "rsa.key",
        ],
        d,
    ); // PKCS#8
    sign("rsa");
    openssl(
        &[
            "rsa",
            "-in",
            "rsa.key",
            "-traditional",
            "-out",
            "rsa-pkcs1.key",
        ],
        d,
    );
    let cluster = format!(
        "server: https://127.0.0.1:{}\ncertificate-authority: {}",
        addr.port(),
        ca_crt.display()
    );
    for (name, cert, key) in [
        ("ec", "ec.crt", "ec.key"),
        ("rsa", "rsa.crt", "rsa.key"),
        ("rsa-pkcs1", "rsa.crt", "rsa-pkcs1.key"),
    ] {
        let user = format!(
            "client-certificate: {}\nclient-key: {}",
            d.join(cert).display(),
            d.join(key).display()
        );
        let kc = kubeconfig(d, name, &cluster, &user);
        assert_ok(&audit(&kc), name);
        let who = api
            .identities
            .lock()
            .unwrap()
            .last()
            .cloned()
            .unwrap_or_default();
        assert!(
            who.contains(&format!("CN={}", cert.trim_end_matches(".crt"))),
            "{name}: sent as {who}"
        );
    }
    // A key that does not belong to the certificate.
    let user = format!(
        "client-certificate: {}\nclient-key: {}",
        d.join("ec.crt").display(),
        d.join("rsa.key").display()
    );
    let kc = kubeconfig(d, "mismatch", &cluster, &user);
    let o = audit(&kc);
    assert_eq!(code(&o), 2, "{}", err(&o));
}

/// A minimal HTTP CONNECT proxy on 127.0.0.1 that counts the tunnels it opened.
fn connect_proxy() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut client) = stream else { continue };
            let log = log.clone();
            std::thread::spawn(move || {
                use std::io::{BufRead, BufReader, Write};
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                }
                log.lock().unwrap().push(line.trim().to_string());
                let Ok(upstream) = std::net::TcpStream::connect(&target) else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                    return;
                };
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .unwrap();
                let (mut a, mut b) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                let (mut c, mut d) = (upstream, client);
                std::thread::spawn(move || std::io::copy(&mut a, &mut b));
                let _ = std::io::copy(&mut c, &mut d);
            });
        }
    });
    (addr, seen)
}

#[test]
fn proxy_url_is_used_and_an_unreachable_proxy_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    crate::serve_support::make_certs(&certs);
    let (addr, _api) = start_fake_api(items(), &certs);
    let (proxy, seen) = connect_proxy();
    let cluster = |proxy_url: &str| {
        format!(
            "server: https://127.0.0.1:{}\ncertificate-authority: {}\nproxy-url: {proxy_url}",
            addr.port(),
            certs.join("ca.crt").display()
        )
    };
    let kc = kubeconfig(
        dir.path(),
        "proxy",
        &cluster(&format!("http://{proxy}")),
        "token: ok",
    );
    assert_ok(&audit(&kc), "through the proxy");
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with(&format!("CONNECT 127.0.0.1:{}", addr.port()))),
        "the proxy opened the tunnel: {:?}",
        seen.lock().unwrap()
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let kc = kubeconfig(
        dir.path(),
        "proxy-down",
        &cluster(&format!("http://{closed}")),
        "token: ok",
    );
    assert_fails(&audit(&kc), "connection refused", "an unreachable proxy");
    let kc = kubeconfig(
        dir.path(),
        "proxy-ftp",
        &cluster("ftp://127.0.0.1:21"),
        "token: ok",
    );
    assert_fails(
        &audit(&kc),
        "is not supported; use http, https or socks5",
        "an unknown proxy scheme",
    );
}
