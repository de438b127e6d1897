//! `dsguard serve` through a real TLS client (rustls + hyper, HTTP/2 and HTTP/1.1, and
//! curl): certificates made by `dsguard certs`, every fixture through both endpoints, the
//! error paths, mutual TLS, certificate rotation under load, SIGTERM drain, metrics, logs.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::serve_support::*;
use crate::{dsguard, root};
#[test]
fn every_fixture_through_both_endpoints_over_h2_and_h1() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let server = Server::start(&certs, &[]);
    let strict_config = root().join("tests/fixtures/admission/create-latest-strict.config.yaml");
    let strict = Server::start(&certs, &["--config", strict_config.to_str().unwrap()]);
    rt().block_on(async {
        for proto in [Proto::H2, Proto::H1] {
            for (srv, with_config) in [(&server, false), (&strict, true)] {
                let mut conn =
                    Conn::open(srv.tls, client_config(&certs.join("ca.crt"), proto, None))
                        .await
                        .unwrap();
                for request in fixtures() {
                    if config_of(&request).is_some() != with_config {
                        continue;
                    }
                    let body = std::fs::read(&request).unwrap();
                    for endpoint in ["validate", "mutate"] {
                        let resp = conn
                            .post(&format!("/{endpoint}?timeout=10s"), body.clone())
                            .await;
                        assert_eq!(
                            resp.status,
                            StatusCode::OK,
                            "{proto:?} {}",
                            request.display()
                        );
                        assert_eq!(resp.headers["content-type"], "application/json");
                        assert_eq!(
                            resp.json(),
                            golden(&request, endpoint),
                            "{proto:?} {endpoint} {}: the server answers as `dsguard review`",
                            request.display()
                        );
                    }
                }
            }
        }
    });
    // Objects that are not DaemonSet CREATE/UPDATE are allowed untouched.
    for name in [
        "create-configmap",
        "delete-daemonset",
        "update-status-subresource",
    ] {
        for endpoint in ["validate", "mutate"] {
            let request = root().join(format!("tests/fixtures/admission/{name}.request.json"));
            let uid = serde_json::from_str::<Value>(&std::fs::read_to_string(&request).unwrap())
                .unwrap()["request"]["uid"]
                .clone();
            assert_eq!(
                golden(&request, endpoint)["response"],
                serde_json::json!({"uid": uid, "allowed": true}),
                "{name} {endpoint}"
            );
        }
    }
}

/// The API server keeps several reviews in flight on one HTTP/2 connection, and the server
/// writes the responses that finish together in one piece (`server::coalesce`): each
/// stream must still get its own answer, whatever its size and whichever finishes first.
#[test]
fn many_reviews_in_flight_on_one_http2_connection_each_get_their_answer() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let server = Server::start(&certs, &[]);
    let requests: Vec<_> = fixtures()
        .into_iter()
        .filter(|r| config_of(r).is_none())
        .collect();
    rt().block_on(async {
        let conn = Conn::open(
            server.tls,
            client_config(&certs.join("ca.crt"), Proto::H2, None),
        )
        .await
        .unwrap();
        let Conn::H2(sender) = conn else {
            unreachable!("an HTTP/2 connection")
        };
        let mut tasks = Vec::new();
        for round in 0..4 {
            for request in &requests {
                for endpoint in ["validate", "mutate"] {
                    let mut conn = Conn::H2(sender.clone());
                    let body = std::fs::read(request).unwrap();
                    let (request, round) = (request.clone(), round);
                    tasks.push(tokio::spawn(async move {
                        let resp = conn.post(&format!("/{endpoint}"), body).await;
                        (request, endpoint, round, resp.status, resp.json())
                    }));
                }
            }
        }
        assert!(tasks.len() >= 100, "{} reviews in flight", tasks.len());
        for t in tasks {
            let (request, endpoint, round, status, json) =
                tokio::time::timeout(Duration::from_secs(20), t)
                    .await
                    .expect("every stream is answered within 20 s")
                    .unwrap();
            assert_eq!(status, StatusCode::OK, "{}", request.display());
            assert_eq!(
                json,
                golden(&request, endpoint),
                "round {round} {endpoint} {}",
                request.display()
            );
        }
    });
}

#[test]
fn curl_speaks_http2_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let server = Server::start(&certs, &[]);
    let request = root().join("tests/fixtures/admission/create-node-exporter.request.json");
    let o = Command::new("curl")
        .args(["-sS", "--http2", "--cacert"])
        .arg(certs.join("ca.crt"))
        .args(["-H", "content-type: application/json", "--data-binary"])
        .arg(format!("@{}", request.display()))
        .args(["-w", "\n%{http_version} %{http_code}", "--resolve"])
        .arg(format!("localhost:{}:127.0.0.1", server.tls.port()))
        .arg(format!("https://localhost:{}/mutate", server.tls.port()))
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&o.stdout);
    let (body, tail) = text.rsplit_once('\n').unwrap();
    assert_eq!(
        tail,
        "2 200",
        "HTTP/2 and 200: {text} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        serde_json::from_str::<Value>(body).unwrap(),
        golden(&request, "mutate")
    );
}

#[test]
fn bad_traffic_gets_clear_errors_and_disturbs_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let server = Server::start(&certs, &["--max-body-bytes", "4096"]);
    let good =
        std::fs::read(root().join("tests/fixtures/admission/create-node-exporter.request.json"))
            .unwrap();
    rt().block_on(async {
        for proto in [Proto::H2, Proto::H1] {
            let config = client_config(&certs.join("ca.crt"), proto, None);
            // A garbage handshake on another connection first.
            let mut raw = TcpStream::connect(server.tls).await.unwrap();
            raw.write_all(b"\x16\x03\x01\x00\x05hello garbage, not TLS at all\r\n\r\n")
                .await
                .unwrap();
            let rows: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
                (
                    "POST",
                    "/validate",
                    b"not json".to_vec(),
                    400,
                    "not an AdmissionReview",
                ),
                (
                    "POST",
                    "/mutate",
                    br#"{"apiVersion":"v1","kind":"Pod"}"#.to_vec(),
                    400,
                    "expected apiVersion admission.k8s.io/v1",
                ),
                (
                    "POST",
                    "/validate",
                    br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.to_vec(),
                    400,
                    "has no request",
                ),
                (
                    "POST",
                    "/validate?timeout=soon",
                    good.clone(),
                    400,
                    "timeout",
                ),
                (
                    "POST",
                    "/validate",
                    vec![b' '; 5000],
                    413,
                    "larger than the limit of 4096 bytes",
                ),
                ("GET", "/validate", vec![], 405, "only POST"),
                ("PUT", "/mutate", vec![], 405, "only POST"),
                (
                    "GET",
                    "/nope",
                    vec![],
                    404,
                    "POST /validate and POST /mutate",
                ),
                ("POST", "/", good.clone(), 404, "no route /"),
            ];
            for (method, path, body, status, needle) in rows {
                // A fresh connection per row: an HTTP/1.1 connection whose request body
                // was refused unread is closed by the server.
                let mut conn = Conn::open(server.tls, config.clone()).await.unwrap();
                let resp = conn.send(method, path, body).await.expect("answered");
                assert_eq!(resp.status.as_u16(), status, "{proto:?} {method} {path}");
                let v = resp.json();
                assert_eq!(v["kind"], "Status", "{method} {path}: a meta/v1 Status");
                assert_eq!(v["code"], status);
                let message = v["message"].as_str().unwrap();
                assert!(message.contains(needle), "{method} {path}: {message}");
                if status == 405 {
                    assert_eq!(resp.headers["allow"], "POST");
                }
            }
            // The server still works.
            let mut conn = Conn::open(server.tls, config.clone()).await.unwrap();
            let resp = conn.post("/validate", good.clone()).await;
            assert_eq!(resp.status, StatusCode::OK);
            let mut buf = [0u8; 64];
            let n = tokio::time::timeout(Duration::from_secs(5), raw.read(&mut buf)).await;
            assert!(
                matches!(n, Ok(Ok(_)) | Ok(Err(_))),
                "the garbage connection is answered with an alert or closed"
            );
        }
    });
    assert_eq!(server.probe_get("/readyz").0, 200, "still ready");
    assert!(server.metric("dsguard_tls_handshake_errors_total").unwrap() >= 2.0);
    assert_eq!(
        server.metric(r#"dsguard_admission_requests_total{endpoint="validate",operation="unknown",result="too_large"}"#),
        Some(2.0)
    );
}

#[test]
fn the_api_servers_timeout_is_a_deadline_and_slow_clients_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let server = Server::start(&certs, &["--header-read-timeout", "0.5"]);
    let body =
        std::fs::read(root().join("tests/fixtures/admission/create-node-exporter.request.json"))
            .unwrap();
    rt().block_on(async {
        // A body that never finishes: 504 when the deadline passes.
        let started = Instant::now();
        let mut tls = partial_request(&server, "/validate?timeout=1s", &body, 10).await;
        let text = read_response(&mut tls).await;
        assert!(text.starts_with("HTTP/1.1 504"), "{text}");
        assert!(text.contains("deadline of 1s"), "{text}");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(5),
            "{took:?}"
        );

        // Headers that never finish: the connection is closed.
        let config = client_config(&certs.join("ca.crt"), Proto::H1, None);
        let mut tls = tls_connect(server.tls, config.clone()).await.unwrap();
        tls.write_all(b"POST /validate HTTP/1.1\r\nHost: loc")
            .await
            .unwrap();
        let started = Instant::now();
        let text = read_response(&mut tls).await;
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "cut off, not left open"
        );
        assert!(!text.starts_with("HTTP/1.1 200"), "{text}");

        // An idle keep-alive connection is closed too.
        let mut tls = tls_connect(server.tls, config).await.unwrap();
        let started = Instant::now();
        let _ = read_response(&mut tls).await;
        assert!(started.elapsed() < Duration::from_secs(5));
    });
    assert_eq!(
        server.metric(r#"dsguard_admission_requests_total{endpoint="validate",operation="unknown",result="timeout"}"#),
        Some(1.0)
    );
}

#[test]
fn connections_beyond_the_limit_are_closed_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let server = Server::start(&certs, &["--max-connections", "2"]);
    let body =
        std::fs::read(root().join("tests/fixtures/admission/create-node-exporter.request.json"))
            .unwrap();
    let config = client_config(&certs.join("ca.crt"), Proto::H2, None);
    rt().block_on(async {
        let mut first = Conn::open(server.tls, config.clone()).await.unwrap();
        let mut second = Conn::open(server.tls, config.clone()).await.unwrap();
        assert_eq!(first.post("/validate", body.clone()).await.status, 200);
        assert_eq!(second.post("/validate", body.clone()).await.status, 200);

        // A third is closed at once, before its TLS handshake.
        let third = tls_connect(server.tls, config.clone()).await;
        assert!(third.is_err(), "the third connection is refused");

        // The open ones are undisturbed.
        assert_eq!(first.post("/mutate", body.clone()).await.status, 200);

        // A closed connection frees its place.
        drop(second);
        let mut again = None;
        for _ in 0..50 {
            if let Ok(c) = Conn::open(server.tls, config.clone()).await {
                again = Some(c);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut again = again.expect("a place is free again once a connection closes");
        assert_eq!(again.post("/validate", body.clone()).await.status, 200);
    });
    let rejected = server
        .metric("dsguard_tls_connections_rejected_total")
        .unwrap();
    assert!(rejected >= 1.0, "{rejected}");
}

#[test]
fn mutual_tls_accepts_the_right_client_certificate_only() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    make_certs(&certs);
    // The API server's client CA, and a stranger's.
    let client_ca = dir.path().join("client-ca");
    make_certs(&client_ca);
    let stranger_ca = dir.path().join("stranger-ca");
    make_certs(&stranger_ca);
    let (good_cert, good_key) = client_identity(&client_ca, &client_ca);
    let (bad_cert, bad_key) = client_identity(&stranger_ca, &stranger_ca);
    let server = Server::start(
        &certs,
        &["--client-ca", client_ca.join("ca.crt").to_str().unwrap()],
    );
    let body =
        std::fs::read(root().join("tests/fixtures/admission/create-node-exporter.request.json"))
            .unwrap();
    rt().block_on(async {
        for proto in [Proto::H2, Proto::H1] {
            let ca = certs.join("ca.crt");
            let ok = client_config(&ca, proto, Some((&good_cert, &good_key)));
            let mut conn = Conn::open(server.tls, ok).await.unwrap();
            assert_eq!(
                conn.post("/validate", body.clone()).await.status,
                StatusCode::OK
            );

            for config in [
                client_config(&ca, proto, None),
                client_config(&ca, proto, Some((&bad_cert, &bad_key))),
            ] {
                // TLS 1.3 reports a refused client certificate on the first read.
                let refused = match Conn::open(server.tls, config).await {
                    Err(_) => true,
                    Ok(mut conn) => conn.send("POST", "/validate", body.clone()).await.is_err(),
                };
                assert!(
                    refused,
                    "{proto:?}: refused without the right client certificate"
                );
            }
        }
    });
}

#[test]
fn certificate_rotation_under_load_drops_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    make_certs(&certs);
    let first = dir.path().join("first");
    std::fs::create_dir(&first).unwrap();
    for f in ["tls.crt", "tls.key"] {
        std::fs::copy(certs.join(f), first.join(f)).unwrap();
    }
    let volume = dir.path().join("volume");
    std::fs::create_dir(&volume).unwrap();
    secret_volume(&volume, "..2026_11_24_00_00_00.1", &first);
    let server = Server::start_with(
        &volume.join("tls.crt"),
        &volume.join("tls.key"),
        &certs,
        &[],
    );
    let ca = certs.join("ca.crt");
    let body =
        std::fs::read(root().join("tests/fixtures/admission/create-node-exporter.request.json"))
            .unwrap();

    rt().block_on(async {
        assert_eq!(
            served_certificate(server.tls, &ca).await,
            der_of(&first.join("tls.crt"))
        );
        // Load: one long-lived HTTP/2 connection and a new connection per request.
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = Vec::new();
        for fresh in [false, true] {
            let (stop, body, ca) = (stop.clone(), body.clone(), ca.clone());
            let addr = server.tls;
            tasks.push(tokio::spawn(async move {
                let (mut ok, mut failed) = (0u32, Vec::new());
                let mut conn = Conn::open(addr, client_config(&ca, Proto::H2, None))
                    .await
                    .unwrap();
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    if fresh {
                        match Conn::open(addr, client_config(&ca, Proto::H1, None)).await {
                            Ok(c) => conn = c,
                            Err(e) => {
                                failed.push(format!("connect: {e}"));
                                continue;
                            }
                        }
                    }
                    match conn.send("POST", "/validate", body.clone()).await {
                        Ok(r) if r.status == StatusCode::OK => ok += 1,
                        Ok(r) => failed.push(format!("status {}", r.status)),
                        Err(e) => failed.push(e.to_string()),
                    }
                }
                (ok, failed)
            }));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;

        // A broken pair first: logged, and the old one is still served.
        let broken = dir.path().join("broken");
        std::fs::create_dir(&broken).unwrap();
        std::fs::copy(first.join("tls.crt"), broken.join("tls.crt")).unwrap();
        std::fs::write(
            broken.join("tls.key"),
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        secret_volume(&volume, "..2026_11_24_00_01_00.2", &broken);
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(
            served_certificate(server.tls, &ca).await,
            der_of(&first.join("tls.crt"))
        );

        // Then a good new pair from the same CA (dsguard certs reuses it).
        make_certs(&certs);
        assert_ne!(
            der_of(&certs.join("tls.crt")),
            der_of(&first.join("tls.crt"))
        );
        secret_volume(&volume, "..2026_11_24_00_02_00.3", &certs);
        let deadline = Instant::now() + Duration::from_secs(10);
        while served_certificate(server.tls, &ca).await != der_of(&certs.join("tls.crt")) {
            assert!(
                Instant::now() < deadline,
                "the new certificate is served within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        for t in tasks {
            let (ok, failed) = t.await.unwrap();
            assert!(ok > 10, "requests were sent during the rotation: {ok}");
            assert!(failed.is_empty(), "no request failed: {failed:?}");
        }
    });
    let logs = server.log_lines();
    assert!(
        logs.iter().any(|l| l["level"] == "ERROR"
            && l["message"]
                .as_str()
                .unwrap_or("")
                .contains("still serving the previous pair")),
        "the broken pair is logged: {logs:?}"
    );
    assert!(
        logs.iter()
            .any(|l| l["message"] == "serving certificate reloaded")
    );
    assert!(
        server
            .metric(r#"dsguard_tls_certificate_reloads_total{result="ok"}"#)
            .unwrap()
            >= 1.0
    );
    assert!(
        server
            .metric(r#"dsguard_tls_certificate_reloads_total{result="error"}"#)
            .unwrap()
            >= 1.0
    );
}

#[test]
fn sigterm_drains_in_flight_requests_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let mut server = Server::start(&certs, &["--drain-delay", "0.3", "--grace-period", "10"]);
    let body =
        std::fs::read(root().join("tests/fixtures/admission/create-node-exporter.request.json"))
            .unwrap();
    let uid = "705ab4f5-6393-11e8-b7cc-42010a800002";
    let text = rt().block_on(async {
        // Two requests in flight: their bodies are half sent.
        let mut a = partial_request(&server, "/validate", &body, body.len() / 2).await;
        let mut b = partial_request(&server, "/mutate", &body, 100).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        server.terminate();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            server.probe_get("/readyz").0,
            503,
            "not ready while draining"
        );
        assert_eq!(server.probe_get("/healthz").0, 200, "alive while draining");
        a.write_all(&body[body.len() / 2..]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
        // After the drain delay the listener is closed: new connections are refused.
        assert!(
            TcpStream::connect(server.tls).await.is_err(),
            "no new connections"
        );
        b.write_all(&body[100..]).await.unwrap();
        let (ta, tb) = (read_response(&mut a).await, read_response(&mut b).await);
        format!("{ta}\n====\n{tb}")
    });
    let (ta, tb) = text.split_once("\n====\n").unwrap();
    for t in [ta, tb] {
        assert!(
            t.starts_with("HTTP/1.1 200"),
            "in-flight request finished: {t}"
        );
        assert!(t.contains(uid));
    }
    assert_eq!(
        server.wait(Duration::from_secs(10)),
        Some(0),
        "exit 0 after the drain"
    );
    let logs = server.log_lines();
    assert!(
        logs.iter()
            .any(|l| l["message"] == "draining: not ready" && l["signal"] == "SIGTERM")
    );
    assert!(logs.iter().any(|l| l["message"] == "drained"));
}

/// Connections that hold no review (an idle HTTP/2 connection, an HTTP/1.1 client whose
/// headers never finish) do not hold the exit for the grace period: once no review has
/// been in flight for a moment, the server exits 0.
#[test]
fn sigterm_does_not_wait_for_idle_connections() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let mut server = Server::start(&certs, &["--grace-period", "60"]);
    let body =
        std::fs::read(root().join("tests/fixtures/admission/create-node-exporter.request.json"))
            .unwrap();
    let waited = rt().block_on(async {
        let mut idle = Conn::open(
            server.tls,
            client_config(&certs.join("ca.crt"), Proto::H2, None),
        )
        .await
        .unwrap();
        assert_eq!(
            idle.post("/validate", body.clone()).await.status,
            StatusCode::OK
        );
        // HTTP/1.1 headers that never finish.
        let mut slow = tls_connect(
            server.tls,
            client_config(&certs.join("ca.crt"), Proto::H1, None),
        )
        .await
        .unwrap();
        slow.write_all(b"POST /validate HTTP/1.1\r\nHost: localhost\r\n")
            .await
            .unwrap();
        slow.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let start = std::time::Instant::now();
        server.terminate();
        let code = server.wait(Duration::from_secs(30));
        (code, start.elapsed())
    });
    assert_eq!(waited.0, Some(0), "exit 0");
    assert!(
        waited.1 < Duration::from_secs(30),
        "the 60 s grace period was not waited out for idle connections: {:?}",
        waited.1
    );
    assert!(
        server
            .log_lines()
            .iter()
            .any(|l| l["message"] == "no review in flight; closing the idle connections"),
        "{:?}",
        server.log_lines()
    );
}

#[test]
fn metrics_and_logs_count_what_was_sent() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let strict = root().join("tests/fixtures/admission/create-latest-strict.config.yaml");
    let server = Server::start(&certs, &["--config", strict.to_str().unwrap()]);
    assert_eq!(server.probe_get("/healthz"), (200, "ok\n".into()));
    assert_eq!(server.probe_get("/readyz").0, 200);
    let read = |name: &str| {
        std::fs::read(root().join(format!("tests/fixtures/admission/{name}.request.json"))).unwrap()
    };
    rt().block_on(async {
        let mut conn = Conn::open(
            server.tls,
            client_config(&certs.join("ca.crt"), Proto::H2, None),
        )
        .await
        .unwrap();
        for _ in 0..3 {
            conn.post("/validate", read("create-node-exporter")).await;
        }
        for _ in 0..2 {
            let r = conn.post("/validate", read("create-latest-strict")).await;
            assert_eq!(r.json()["response"]["allowed"], false);
        }
        conn.post("/validate", read("delete-daemonset")).await;
        for _ in 0..4 {
            conn.post("/mutate", read("create-node-exporter")).await;
        }
        conn.post("/mutate", b"{}".to_vec()).await;
    });
    let m = |s: &str| server.metric(s);
    assert_eq!(
        m(
            r#"dsguard_admission_requests_total{endpoint="validate",operation="CREATE",result="allowed"}"#
        ),
        Some(3.0)
    );
    assert_eq!(
        m(
            r#"dsguard_admission_requests_total{endpoint="validate",operation="CREATE",result="denied"}"#
        ),
        Some(2.0)
    );
    assert_eq!(
        m(
            r#"dsguard_admission_requests_total{endpoint="validate",operation="DELETE",result="allowed"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        m(
            r#"dsguard_admission_requests_total{endpoint="mutate",operation="CREATE",result="patched"}"#
        ),
        Some(4.0)
    );
    assert_eq!(
        m(
            r#"dsguard_admission_requests_total{endpoint="mutate",operation="unknown",result="bad_request"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        m(r#"dsguard_admission_denials_total{rule="image-latest"}"#),
        Some(2.0)
    );
    assert_eq!(
        m(r#"dsguard_admission_denials_total{rule="resources-missing"}"#),
        Some(2.0)
    );
    assert_eq!(m("dsguard_admission_patches_total"), Some(4.0));
    assert_eq!(m("dsguard_admission_patch_operations_total"), Some(8.0));
    assert_eq!(
        m(r#"dsguard_admission_duration_seconds_count{endpoint="validate"}"#),
        Some(6.0)
    );
    assert_eq!(m("dsguard_admission_in_flight"), Some(0.0));
    assert_eq!(m(r#"dsguard_build_info{version="0.1.0"}"#), Some(1.0));
    let expiry = m("dsguard_tls_certificate_expiry_timestamp_seconds").unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        expiry > now + 300.0 * 86400.0,
        "notAfter of a 365-day certificate: {expiry}"
    );

    // One log line per review, never the object.
    std::thread::sleep(Duration::from_millis(300));
    let reviews: Vec<Value> = server
        .log_lines()
        .into_iter()
        .filter(|l| l["message"] == "review")
        .collect();
    assert_eq!(reviews.len(), 10, "{reviews:?}");
    let denied = reviews.iter().find(|l| l["allowed"] == false).unwrap();
    assert_eq!(denied["uid"], "bbbbbbbb-2222-4333-8444-555555555555");
    assert_eq!(denied["rules"], "image-latest,resources-missing");
    assert_eq!(denied["namespace"], "monitoring");
    assert_eq!(denied["name"], "node-exporter");
    assert_eq!(denied["operation"], "CREATE");
    assert_eq!(denied["kind"], "apps/DaemonSet");
    assert!(denied["latency_us"].is_u64());
    let patched = reviews.iter().find(|l| l["endpoint"] == "mutate").unwrap();
    assert_eq!(patched["patch_ops"], 2);
    let all = server.logs.lock().unwrap().join("\n");
    assert!(
        !all.contains("prom/node-exporter"),
        "the object is not logged"
    );
}

#[test]
fn start_up_errors_name_the_file_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    make_certs(&certs);
    let other = dir.path().join("other");
    make_certs(&other);
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let missing = dir.path().join("missing.crt");
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let rows = [
        (
            path(&missing),
            path(&certs.join("tls.key")),
            "missing.crt: cannot read",
        ),
        (
            path(&not_pem),
            path(&certs.join("tls.key")),
            "no CERTIFICATE block",
        ),
        (
            path(&certs.join("tls.crt")),
            path(&not_pem),
            "no private key found",
        ),
        // A key from another pair: both files named, and what to do.
        (
            path(&certs.join("tls.crt")),
            path(&other.join("tls.key")),
            &format!(
                "{} is not the private key of the certificate in {}: give the key that was made with that certificate",
                other.join("tls.key").display(),
                certs.join("tls.crt").display()
            ),
        ),
    ];
    for (cert, key, needle) in rows {
        let o = dsguard(
            &[
                "serve",
                "--tls-cert",
                &cert,
                "--tls-key",
                &key,
                "--listen",
                "127.0.0.1:0",
                "--probe-listen",
                "127.0.0.1:0",
            ],
            None,
        );
        assert_eq!(crate::code(&o), 2, "{needle}");
        assert!(
            crate::err(&o).contains(needle),
            "{needle}: {}",
            crate::err(&o)
        );
    }
    // A port in use.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let o = dsguard(
        &[
            "serve",
            "--tls-cert",
            &path(&certs.join("tls.crt")),
            "--tls-key",
            &path(&certs.join("tls.key")),
            "--listen",
            &addr,
            "--probe-listen",
            "127.0.0.1:0",
        ],
        None,
    );
    assert_eq!(crate::code(&o), 2);
    assert!(
        crate::err(&o).contains(&format!("cannot listen on {addr}")),
        "{}",
        crate::err(&o)
    );
}

/// The Go client of tests/go/h2client, built by scripts/test-deps.sh.
fn go_client() -> std::path::PathBuf {
    let path = root().join("target/test-deps/h2client");
    assert!(
        path.exists(),
        "{} is missing: run scripts/test-deps.sh (it needs Go: apt-get install golang-go)",
        path.display()
    );
    path
}

/// Early answers (413 before the body is read, 404 on another path) reach curl and Go's
/// net/http client over HTTP/2 and HTTP/1.1: the body is read and discarded before the
/// answer, so the stream does not end in a reset the client reports as an error.
#[test]
fn early_answers_reach_curl_and_go_over_both_protocols() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let server = Server::start(&certs, &["--max-body-bytes", "3145728"]);
    let big = dir.path().join("big.json");
    std::fs::write(&big, vec![b'a'; 4 * 1024 * 1024]).unwrap();
    let ca = certs.join("ca.crt");
    let base = format!("https://localhost:{}", server.tls.port());
    for proto in ["--http2", "--http1.1"] {
        for (path, body, want) in [
            ("/validate", format!("@{}", big.display()), "413"),
            ("/nope", "{}".to_string(), "404"),
            ("/mutate", format!("@{}", big.display()), "413"),
        ] {
            for attempt in 0..3 {
                let o = std::process::Command::new("curl")
                    .args([
                        "-sS",
                        proto,
                        "--cacert",
                        ca.to_str().unwrap(),
                        "-o",
                        "/dev/null",
                    ])
                    .args(["-w", "%{http_code}", "--data-binary", &body])
                    .arg(format!("{base}{path}"))
                    .output()
                    .expect("curl runs");
                assert_eq!(
                    String::from_utf8_lossy(&o.stdout),
                    want,
                    "curl {proto} {path} attempt {attempt}: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
            }
        }
    }
    for proto in ["h2", "h1"] {
        let version = if proto == "h2" {
            "HTTP/2.0"
        } else {
            "HTTP/1.1"
        };
        for (path, size, want) in [("/validate", 4 * 1024 * 1024, "413"), ("/nope", 2, "404")] {
            let o = std::process::Command::new(go_client())
                .args(["-ca", ca.to_str().unwrap(), "-proto", proto])
                .args(["-size", &size.to_string(), "-n", "3"])
                .arg(format!("{base}{path}"))
                .output()
                .expect("the Go client runs");
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            let expected = format!("{want} {version}\n").repeat(3);
            assert_eq!(
                text,
                expected,
                "go {proto} {path}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
}

/// An UPDATE review whose object and oldObject are each as large as the API server accepts
/// (3 MiB of JSON), as the API server sends it.
fn largest_update_review() -> Vec<u8> {
    let mut review: Value = serde_json::from_slice(
        &std::fs::read(root().join("tests/fixtures/admission/update-image.request.json")).unwrap(),
    )
    .unwrap();
    const MIB3: usize = 3 * 1024 * 1024;
    for key in ["object", "oldObject"] {
        let object = &mut review["request"][key];
        let mut env = Vec::new();
        // Env entries until the object is just under 3 MiB of JSON.
        let base = serde_json::to_vec(&*object).unwrap().len();
        let entry =
            |i: usize| serde_json::json!({"name": format!("VAR_{i:06}"), "value": "x".repeat(70)});
        let per = serde_json::to_vec(&entry(0)).unwrap().len() + 1;
        for i in 0..(MIB3 - base - 4096) / per {
            env.push(entry(i));
        }
        object["spec"]["template"]["spec"]["containers"][0]["env"] = Value::Array(env);
        let size = serde_json::to_vec(&*object).unwrap().len();
        assert!(size <= MIB3 && size > MIB3 - 8192, "{key} is {size} bytes");
    }
    let body = serde_json::to_vec(&review).unwrap();
    assert!(
        body.len() > 2 * (MIB3 - 8192),
        "two objects of 3 MiB: {}",
        body.len()
    );
    body
}

/// Peak resident memory of a process, from /proc.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap()
}

/// The largest legitimate UPDATE is answered with the default body limit; a flood of
/// concurrent large reviews is answered or refused with 429 within the deadline, and the
/// server's peak memory stays under the documented bound (2 × budget + 64 MiB).
#[test]
fn the_largest_update_is_answered_and_a_flood_stays_within_the_memory_bound() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let budget = 48 * 1024 * 1024;
    let server = Server::start(&certs, &["--max-body-bytes-in-flight", &budget.to_string()]);
    let body = bytes::Bytes::from(largest_update_review());
    let statuses = rt().block_on(async {
        let config = client_config(&certs.join("ca.crt"), Proto::H2, None);
        let mut conn = Conn::open(server.tls, config.clone()).await.unwrap();
        let resp = conn.post("/validate?timeout=10s", body.to_vec()).await;
        assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
        let v = resp.json();
        assert_eq!(v["response"]["uid"], "55555555-2222-4333-8444-555555555555");
        let mut tasks = Vec::new();
        for _ in 0..24 {
            let config = config.clone();
            let body = body.clone();
            let addr = server.tls;
            tasks.push(tokio::spawn(async move {
                let mut conn = Conn::open(addr, config).await.unwrap();
                let started = Instant::now();
                let resp = conn.post("/validate?timeout=10s", body.to_vec()).await;
                (resp.status.as_u16(), started.elapsed())
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    let answered = statuses.iter().filter(|(s, _)| *s == 200).count();
    assert!(answered >= 1, "some are answered: {statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|(s, d)| matches!(s, 200 | 429) && *d < Duration::from_secs(10)),
        "answered or refused within the deadline: {statuses:?}"
    );
    let peak = peak_rss_kib(server.pid());
    eprintln!("statuses {statuses:?}, peak RSS {peak} KiB");
    let bound = (2 * budget + 64 * 1024 * 1024) / 1024;
    assert!(
        peak < bound as u64,
        "peak RSS {peak} KiB over the bound {bound} KiB"
    );
}
