//! `dsguard audit` against a Kubernetes API served by the test itself over HTTPS: real
//! `DaemonSetList` pages with `continue` tokens, label selectors, namespaced paths, 401,
//! 403, 500 and a slow answer, reached by the real `kube` client from a kubeconfig. The
//! fake also serves policy reports (list, server-side apply, delete; a 404 when their CRD
//! is "not installed") for `--apply-reports` (tests/integration/reports.rs).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::{Value, json};

use crate::{code, dsguard, err, out, root};

/// The fake API server's data and what it was asked.
pub struct FakeApi {
    pub items: Vec<Value>,
    pub requests: Mutex<Vec<String>>,
    /// Who each request came as: a client certificate's subject, `token T`, or `anonymous`.
    pub identities: Mutex<Vec<String>>,
    /// Policy reports stored (`openreports.io` and `wgpolicyk8s.io` objects, as applied).
    pub reports: Mutex<Vec<Value>>,
    /// Whether the policy report CRDs are installed; when not, their paths answer 404.
    pub reports_installed: AtomicBool,
    /// That 404 as the plain text `404 page not found` instead of a `Status`.
    pub reports_missing_as_text: AtomicBool,
    /// Requests on policy report paths, in order.
    pub report_requests: Mutex<Vec<Recorded>>,
}

/// One request on a policy report path.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `PATCH`, `DELETE`.
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// The `content-type` header, empty without one.
    pub content_type: String,
    /// The body as JSON (`null` when empty).
    pub body: Value,
}

impl Recorded {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.uri.split('?').next().unwrap_or("")
    }

    /// The query's parameters, decoded.
    pub fn query(&self) -> BTreeMap<String, String> {
        query_of(self.uri.split_once('?').map(|(_, q)| q).unwrap_or(""))
    }
}

/// Starts the fake API server on 127.0.0.1 with TLS from `certs`; returns its address.
pub fn start_fake_api(items: Vec<Value>, certs: &Path) -> (SocketAddr, Arc<FakeApi>) {
    start_fake_api_with(items, certs, None)
}

/// The subject of the client certificate a request came with, if any.
#[derive(Clone)]
pub struct ClientCert(pub Option<String>);

/// [`start_fake_api`], also accepting client certificates signed by `client_ca` (a client
/// with one is let in without a token).
pub fn start_fake_api_with(
    items: Vec<Value>,
    certs: &Path,
    client_ca: Option<&Path>,
) -> (SocketAddr, Arc<FakeApi>) {
    use rustls::pki_types::pem::PemObject;
    let state = Arc::new(FakeApi {
        items,
        requests: Mutex::new(Vec::new()),
        identities: Mutex::new(Vec::new()),
        reports: Mutex::new(Vec::new()),
        reports_installed: AtomicBool::new(true),
        reports_missing_as_text: AtomicBool::new(false),
        report_requests: Mutex::new(Vec::new()),
    });
    let chain: Vec<_> = rustls::pki_types::CertificateDer::pem_file_iter(certs.join("tls.crt"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(certs.join("tls.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let mut tls = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in rustls::pki_types::CertificateDer::pem_file_iter(ca).unwrap() {
                roots.add(c.unwrap()).unwrap();
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .allow_unauthenticated()
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
    }
    .with_single_cert(chain, key)
    .unwrap();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let app = Router::new()
        .route("/apis/apps/v1/daemonsets", axum::routing::get(list))
        .route(
            "/apis/apps/v1/namespaces/{ns}/daemonsets",
            axum::routing::get(list),
        )
        .route(
            "/apis/{group}/{version}/{plural}",
            axum::routing::get(reports),
        )
        .route(
            "/apis/{group}/{version}/namespaces/{ns}/{plural}/{name}",
            axum::routing::patch(reports).delete(reports),
        )
        .fallback(|req: Request| async move {
            (StatusCode::NOT_FOUND, format!("no route {}", req.uri()))
        })
        .with_state(state.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let app = app.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let subject = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|c| c.first())
                        .map(|c| {
                            use x509_parser::prelude::FromDer;
                            x509_parser::certificate::X509Certificate::from_der(c)
                                .map(|(_, x)| x.subject().to_string())
                                .unwrap_or_default()
                        });
                    let app = app.layer(axum::Extension(ClientCert(subject)));
                    let service = hyper_util::service::TowerToHyperService::new(app);
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
    });
    (addr, state)
}

/// Whether `obj` has the labels of the query's `labelSelector` (equality selectors only,
/// `k=v,k2=v2`: enough for the tests).
fn selected(query: &BTreeMap<String, String>, obj: &Value) -> bool {
    query.get("labelSelector").is_none_or(|s| {
        s.split(',')
            .filter_map(|kv| kv.split_once('='))
            .all(|(k, v)| obj["metadata"]["labels"][k].as_str() == Some(v))
    })
}

fn status(code: u16, reason: &str, message: &str) -> Response {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": message, "reason": reason, "code": code});
    json_response(StatusCode::from_u16(code).unwrap(), &body)
}

/// `GET .../daemonsets`: the behaviour is chosen by the bearer token of the kubeconfig user.
async fn list(State(api): State<Arc<FakeApi>>, req: Request) -> Response {
    let uri = req.uri().clone();
    api.requests.lock().unwrap().push(uri.to_string());
    let mut token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim_start_matches("Bearer ")
        .to_string();
    let client_cert = req
        .extensions()
        .get::<ClientCert>()
        .and_then(|c| c.0.clone());
    api.identities
        .lock()
        .unwrap()
        .push(client_cert.clone().unwrap_or_else(|| {
            if token.is_empty() {
                "anonymous".into()
            } else {
                format!("token {token}")
            }
        }));
    if token.is_empty() && client_cert.is_some() {
        token = "ok".into();
    }
    if token.is_empty() {
        return status(401, "Unauthorized", "Unauthorized");
    }
    match token.as_str() {
        "unauthorized" => return status(401, "Unauthorized", "Unauthorized"),
        "forbidden" => {
            return status(
                403,
                "Forbidden",
                "daemonsets.apps is forbidden: User \"system:serviceaccount:ops:auditor\" cannot list resource \"daemonsets\" in API group \"apps\" at the cluster scope",
            );
        }
        "broken" => return status(500, "InternalError", "etcdserver: request timed out"),
        "slow" => tokio::time::sleep(Duration::from_secs(5)).await,
        _ => {}
    }
    let query = query_of(uri.query().unwrap_or(""));
    let namespace = uri
        .path()
        .strip_prefix("/apis/apps/v1/namespaces/")
        .and_then(|p| p.split('/').next());
    let matching: Vec<&Value> = api
        .items
        .iter()
        .filter(|d| namespace.is_none_or(|ns| d["metadata"]["namespace"] == ns))
        .filter(|d| selected(&query, d))
        .collect();
    let start: usize = query
        .get("continue")
        .map(|c| c.parse().unwrap())
        .unwrap_or(0);
    let limit: usize = query
        .get("limit")
        .map(|l| l.parse().unwrap())
        .unwrap_or(usize::MAX);
    let end = start.saturating_add(limit).min(matching.len());
    let mut metadata = json!({"resourceVersion": "12345"});
    if end < matching.len() {
        metadata["continue"] = json!(end.to_string());
        metadata["remainingItemCount"] = json!(matching.len() - end);
    }
    json_response(
        StatusCode::OK,
        &json!({
            "kind": "DaemonSetList",
            "apiVersion": "apps/v1",
            "metadata": metadata,
            "items": &matching[start.min(end)..end],
        }),
    )
}

fn query_of(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect()
}

/// The policy report APIs the fake knows: group/version and the namespaced plural.
const REPORT_APIS: [(&str, &str); 2] = [
    ("openreports.io/v1alpha1", "reports"),
    ("wgpolicyk8s.io/v1alpha2", "policyreports"),
];

/// `GET /apis/G/V/PLURAL` (list, all namespaces, equality label selectors), `PATCH` (any
/// patch stores the body as the object: enough for server-side apply by one manager) and
/// `DELETE` on `/apis/G/V/namespaces/NS/PLURAL/NAME`; everything recorded.
async fn reports(State(api): State<Arc<FakeApi>>, req: Request) -> Response {
    let method = req.method().to_string();
    let uri = req.uri().clone();
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = axum::body::to_bytes(req.into_body(), 16 << 20)
        .await
        .unwrap_or_default();
    let body: Value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| json!({"unparsable": e.to_string()}))
    };
    api.report_requests.lock().unwrap().push(Recorded {
        method: method.clone(),
        uri: uri.to_string(),
        content_type,
        body: body.clone(),
    });
    let parts: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    let group_version = format!("{}/{}", parts[1], parts[2]);
    let Some(&(_, plural)) = REPORT_APIS.iter().find(|(gv, _)| *gv == group_version) else {
        return (StatusCode::NOT_FOUND, format!("no route {uri}")).into_response();
    };
    let known = match parts.len() {
        4 => parts[3] == plural,
        7 => parts[5] == plural,
        _ => false,
    };
    if !known || !api.reports_installed.load(Ordering::SeqCst) {
        if api.reports_missing_as_text.load(Ordering::SeqCst) {
            return (StatusCode::NOT_FOUND, "404 page not found\n").into_response();
        }
        // What the API server answers for a resource no CRD defines.
        let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                          "message": "the server could not find the requested resource",
                          "reason": "NotFound", "details": {}, "code": 404});
        return json_response(StatusCode::NOT_FOUND, &body);
    }
    let mut store = api.reports.lock().unwrap();
    if parts.len() == 4 {
        let query = query_of(uri.query().unwrap_or(""));
        let items: Vec<&Value> = store
            .iter()
            .filter(|r| r["apiVersion"] == group_version.as_str())
            .filter(|r| selected(&query, r))
            .collect();
        let kind = if plural == "reports" {
            "ReportList"
        } else {
            "PolicyReportList"
        };
        return json_response(
            StatusCode::OK,
            &json!({"apiVersion": group_version, "kind": kind,
                    "metadata": {"resourceVersion": "77"}, "items": items}),
        );
    }
    let (ns, name) = (parts[4], parts[6]);
    let at = store.iter().position(|r| {
        r["apiVersion"] == group_version.as_str()
            && r["metadata"]["namespace"] == ns
            && r["metadata"]["name"] == name
    });
    match method.as_str() {
        "PATCH" => {
            let mut stored = body;
            stored["metadata"]["uid"] = json!(format!("report-{ns}-{name}"));
            stored["metadata"]["resourceVersion"] = json!("78");
            match at {
                Some(i) => store[i] = stored.clone(),
                None => store.push(stored.clone()),
            }
            json_response(StatusCode::OK, &stored)
        }
        _ => match at {
            Some(i) => json_response(StatusCode::OK, &store.remove(i)),
            None => {
                let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                  "message": format!("{plural} \"{name}\" not found"), "reason": "NotFound",
                                  "details": {"name": name, "kind": plural}, "code": 404});
                json_response(StatusCode::NOT_FOUND, &body)
            }
        },
    }
}

fn json_response(code: StatusCode, body: &Value) -> Response {
    (
        code,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// A DaemonSet as the API server stores it: defaulted, with metadata and status.
pub fn live(mut ds: Value, namespace: &str, n: usize, status: Value) -> Value {
    let m = &mut ds["metadata"];
    m["namespace"] = json!(namespace);
    m["uid"] = json!(format!("00000000-0000-4000-8000-{n:012}"));
    m["resourceVersion"] = json!((1000 + n).to_string());
    m["generation"] = json!(2);
    m["creationTimestamp"] = json!("2026-11-24T00:00:00Z");
    ds["status"] = status;
    ds
}

fn healthy(nodes: i64) -> Value {
    json!({"currentNumberScheduled": nodes, "desiredNumberScheduled": nodes, "numberAvailable": nodes,
           "numberMisscheduled": 0, "numberReady": nodes, "observedGeneration": 2, "updatedNumberScheduled": nodes})
}

pub(crate) fn example(name: &str) -> Value {
    let bytes = std::fs::read(root().join(format!("examples/{name}.yaml"))).unwrap();
    dsguard::manifest::read_documents(&bytes)
        .into_iter()
        .map(|e| e.content.unwrap().value)
        .find(|v| v["kind"] == "DaemonSet")
        .unwrap()
}

/// Seven DaemonSets in four namespaces, healthy and not.
pub(crate) fn cluster() -> Vec<Value> {
    let mut latest = example("node-exporter");
    latest["metadata"]["name"] = json!("node-exporter-canary");
    latest["spec"]["template"]["spec"]["containers"][0]["image"] =
        json!("prom/node-exporter:latest");
    let mut rolling = healthy(3);
    rolling["updatedNumberScheduled"] = json!(1);
    rolling["numberAvailable"] = json!(2);
    rolling["numberUnavailable"] = json!(1);
    let mut misscheduled = healthy(2);
    misscheduled["numberMisscheduled"] = json!(1);
    let mut stale = healthy(3);
    stale["observedGeneration"] = json!(1);
    let mut fluentd2 = example("fluentd");
    fluentd2["metadata"]["name"] = json!("fluentd-audit");
    let mut exempt = example("busybox-demo");
    exempt["metadata"]["name"] = json!("busybox-exempt");
    exempt["metadata"]["annotations"] = json!({"dsguard.io/exempt": "true"});
    vec![
        live(example("node-exporter"), "monitoring", 1, healthy(3)),
        live(latest, "monitoring", 2, rolling),
        live(example("kindnet"), "kube-system", 3, healthy(3)),
        live(example("fluentd"), "logging", 4, misscheduled),
        live(fluentd2, "logging", 5, stale),
        live(example("busybox-demo"), "default", 6, healthy(3)),
        live(exempt, "default", 7, healthy(3)),
    ]
}

/// A kubeconfig with one context per behaviour of the fake server, plus a closed port and
/// a CA that does not match.
fn kubeconfig(dir: &Path, addr: SocketAddr, certs: &Path, other_ca: &Path) -> PathBuf {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let ca = certs.join("ca.crt");
    let mut text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: ok\nclusters:\n- name: fake\n  cluster:\n    server: https://127.0.0.1:{port}\n    certificate-authority: {ca}\n- name: closed\n  cluster:\n    server: https://127.0.0.1:{closed}\n    certificate-authority: {ca}\n- name: wrong-ca\n  cluster:\n    server: https://127.0.0.1:{port}\n    certificate-authority: {other}\nusers:\n",
        port = addr.port(),
        closed = closed.port(),
        ca = ca.display(),
        other = other_ca.display(),
    );
    for user in ["ok", "unauthorized", "forbidden", "broken", "slow"] {
        text.push_str(&format!("- name: {user}\n  user:\n    token: {user}\n"));
    }
    text.push_str("contexts:\n");
    for (name, cluster, user) in [
        ("ok", "fake", "ok"),
        ("unauthorized", "fake", "unauthorized"),
        ("forbidden", "fake", "forbidden"),
        ("broken", "fake", "broken"),
        ("slow", "fake", "slow"),
        ("closed", "closed", "ok"),
        ("wrong-ca", "wrong-ca", "ok"),
    ] {
        text.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {cluster}\n    user: {user}\n"
        ));
    }
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).unwrap();
    path
}

pub(crate) struct Env {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) kubeconfig: PathBuf,
    pub(crate) api: Arc<FakeApi>,
}

pub(crate) fn env(items: Vec<Value>) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    crate::serve_support::make_certs(&certs);
    let other = dir.path().join("other");
    crate::serve_support::make_certs(&other);
    let (addr, api) = start_fake_api(items, &certs);
    let kubeconfig = kubeconfig(dir.path(), addr, &certs, &other.join("ca.crt"));
    Env {
        dir,
        kubeconfig,
        api,
    }
}

impl Env {
    pub(crate) fn audit(&self, extra: &[&str]) -> std::process::Output {
        let mut args = vec!["audit", "--kubeconfig", self.kubeconfig.to_str().unwrap()];
        args.extend(extra);
        dsguard(&args, None)
    }
    pub(crate) fn requests(&self) -> Vec<String> {
        std::mem::take(&mut *self.api.requests.lock().unwrap())
    }
}

#[test]
fn pages_through_every_daemonset_and_reports_like_validate() {
    let items = cluster();
    let env = env(items.clone());
    let o = env.audit(&["--page-size", "3", "-o", "json"]);
    assert_eq!(code(&o), 0, "warnings only: {}", err(&o));
    let requests = env.requests();
    assert_eq!(
        requests,
        vec![
            "/apis/apps/v1/daemonsets?&limit=3",
            "/apis/apps/v1/daemonsets?&limit=3&continue=3",
            "/apis/apps/v1/daemonsets?&limit=3&continue=6",
        ],
        "three pages, each asked with limit and the previous continue token"
    );
    let report: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(
        report["summary"],
        json!({"files": 0, "documents": 7, "daemonsets": 7, "passed": 6, "failed": 0, "skipped": 1, "unreadable": 0})
    );
    let results = report["results"].as_array().unwrap();
    let by_name = |n: &str| {
        results
            .iter()
            .find(|r| r["name"] == n)
            .unwrap_or_else(|| panic!("{n} in {results:?}"))
    };
    let rules = |n: &str| -> Vec<String> {
        by_name(n)["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(rules("node-exporter"), Vec::<String>::new());
    assert_eq!(
        rules("node-exporter-canary"),
        ["image-latest", "rollout-incomplete", "rollout-incomplete"]
    );
    assert_eq!(rules("fluentd-elasticsearch"), ["pods-misscheduled"]);
    assert_eq!(rules("fluentd-audit"), ["generation-stale"]);
    assert_eq!(
        by_name("busybox-exempt")["status"],
        "skip",
        "exempt by annotation"
    );
    assert_eq!(by_name("busybox")["status"], "pass");
    assert_eq!(
        by_name("node-exporter")["rollout"],
        json!({"desired": 3, "current": 3, "ready": 3, "updated": 3, "available": 3, "misscheduled": 0,
               "unavailable": 0, "generation": 2, "observedGeneration": 2})
    );
    assert_eq!(
        by_name("node-exporter")["file"],
        "k8s://ok/namespaces/monitoring/daemonsets/node-exporter"
    );

    // The patch is the one the mutating webhook sends for the same object.
    let policy = dsguard::policy::Policy::default();
    for item in &items {
        let name = item["metadata"]["name"].as_str().unwrap();
        if name == "busybox-exempt" {
            continue;
        }
        let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "u", "kind": {"group": "apps", "version": "v1", "kind": "DaemonSet"},
                        "resource": {"group": "apps", "version": "v1", "resource": "daemonsets"},
                        "name": name, "namespace": item["metadata"]["namespace"], "operation": "CREATE", "object": item}});
        let reviewed = dsguard::admission::review_bytes(
            review.to_string().as_bytes(),
            dsguard::admission::Endpoint::Mutate,
            &policy,
        )
        .unwrap();
        let webhook_patch: Option<Value> = reviewed.response.response.patch.map(|p| {
            use base64::Engine;
            serde_json::from_slice(&base64::engine::general_purpose::STANDARD.decode(p).unwrap())
                .unwrap()
        });
        let audited = results
            .iter()
            .find(|r| r["name"] == name && r["namespace"] == item["metadata"]["namespace"])
            .unwrap();
        assert_eq!(
            audited.get("patch").cloned(),
            webhook_patch,
            "{name}: same patch as the mutating webhook"
        );
    }

    // The same objects saved as files: `validate` finds the same violations (the rollout
    // rules aside, which only a live object has).
    let files = env.dir.path().join("saved");
    std::fs::create_dir(&files).unwrap();
    for (i, item) in items.iter().enumerate() {
        std::fs::write(files.join(format!("{i}.json")), item.to_string()).unwrap();
    }
    let v = dsguard(&["validate", "-o", "json", files.to_str().unwrap()], None);
    let validated: Value = serde_json::from_str(&out(&v)).unwrap();
    let key = |r: &Value| {
        let mut vs: Vec<(String, String, String, String)> = r["violations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| {
                ![
                    "rollout-incomplete",
                    "pods-misscheduled",
                    "generation-stale",
                ]
                .contains(&v["rule"].as_str().unwrap())
            })
            .map(|v| {
                let s = |k: &str| v[k].as_str().unwrap().to_string();
                (s("rule"), s("severity"), s("path"), s("message"))
            })
            .collect();
        vs.sort();
        (
            r["namespace"].clone(),
            r["name"].clone(),
            r["status"].clone(),
            vs,
        )
    };
    let mut a: Vec<_> = results.iter().map(key).collect();
    let mut b: Vec<_> = validated["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(key)
        .collect();
    a.sort_by_key(|k| format!("{:?}", k));
    b.sort_by_key(|k| format!("{:?}", k));
    assert_eq!(a, b);
}

#[test]
fn namespace_and_label_selector_reach_the_server() {
    let env = env(cluster());
    let o = env.audit(&["-n", "logging", "-l", "k8s-app=fluentd-logging"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let requests = env.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].starts_with("/apis/apps/v1/namespaces/logging/daemonsets?"),
        "{requests:?}"
    );
    assert!(
        requests[0].contains("labelSelector=k8s-app%3Dfluentd-logging"),
        "{requests:?}"
    );
    // Text output: violation lines, the table, the summary.
    let text = out(&o);
    assert!(text.contains("warning[pods-misscheduled] logging/fluentd-elasticsearch: status.numberMisscheduled: 1 node(s) run a pod"), "{text}");
    let header = text
        .lines()
        .find(|l| l.starts_with("NAMESPACE"))
        .expect("a table");
    for col in [
        "DESIRED",
        "CURRENT",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "MISSCHEDULED",
        "ERRORS",
        "WARNINGS",
        "PATCH",
    ] {
        assert!(header.contains(col), "{header}");
    }
    assert!(
        text.lines().any(|l| l.starts_with("logging")
            && l.contains("fluentd-elasticsearch")
            && l.ends_with("1 ops")),
        "{text}"
    );
    assert!(
        text.trim_end()
            .ends_with("2 DaemonSets: 2 passed, 0 failed, 0 skipped"),
        "{text}"
    );
    assert!(
        text.contains("ok (https://127.0.0.1:"),
        "the summary names the context and server: {text}"
    );
}

#[test]
fn errors_say_what_to_do_and_exit_2() {
    let env = env(cluster());
    let rows: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--context", "unauthorized"],
            "refused the credentials (401 Unauthorized)",
        ),
        (
            vec!["--context", "forbidden"],
            "RBAC must allow the verb `list` on `daemonsets.apps` cluster-wide",
        ),
        (
            vec!["--context", "forbidden", "-n", "ops"],
            "`daemonsets.apps` in namespace \"ops\"",
        ),
        (
            vec!["--context", "broken"],
            "answered 500 InternalError: etcdserver: request timed out",
        ),
        (
            vec!["--context", "slow", "--request-timeout", "1"],
            "within 1s (--request-timeout)",
        ),
        (vec!["--context", "closed"], "connection refused"),
        (vec!["--context", "wrong-ca"], "TLS failure talking to"),
        (
            vec!["--context", "nope"],
            "context \"nope\" is not in the kubeconfig",
        ),
    ];
    for (args, needle) in rows {
        let o = env.audit(&args);
        assert_eq!(code(&o), 2, "{args:?}: {}", err(&o));
        assert!(
            err(&o).contains(needle),
            "{args:?}: want {needle:?} in {}",
            err(&o)
        );
        assert!(out(&o).is_empty(), "{args:?}: no partial report");
    }
    let o = dsguard(&["audit", "--kubeconfig", "/nonexistent/kubeconfig"], None);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("cannot read kubeconfig /nonexistent/kubeconfig"),
        "{}",
        err(&o)
    );
}

#[test]
fn an_error_severity_violation_exits_1() {
    let env = env(cluster());
    let config = env.dir.path().join("strict.yaml");
    std::fs::write(&config, "rules:\n  image-latest: error\n").unwrap();
    let o = env.audit(&["--config", config.to_str().unwrap(), "-o", "sarif"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    let sarif: Value = serde_json::from_str(&out(&o)).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "image-latest" && r["level"] == "error")
    );
    let o = env.audit(&["--config", config.to_str().unwrap(), "-o", "junit"]);
    assert_eq!(code(&o), 1);
    assert!(out(&o).contains("<failure"), "{}", out(&o));
}

/// Not a timed test: prints time and peak memory of auditing 1,000, 5,000 (10 pages of 500)
/// and 10,000 DaemonSets. `scripts/bench-audit.sh` runs it.
#[test]
#[ignore]
fn audit_benchmark() {
    for count in [1000usize, 5000, 10000] {
        let base = example("node-exporter");
        let items: Vec<Value> = (0..count)
            .map(|i| {
                let mut ds = base.clone();
                ds["metadata"]["name"] = json!(format!("agent-{i:05}"));
                live(ds, &format!("ns-{}", i % 50), i, healthy(100))
            })
            .collect();
        let env = env(items);
        for format in ["text", "json"] {
            let o = std::process::Command::new("/usr/bin/time")
                .arg("-f")
                .arg("%e %M")
                .arg(env!("CARGO_BIN_EXE_dsguard"))
                .args([
                    "audit",
                    "--kubeconfig",
                    env.kubeconfig.to_str().unwrap(),
                    "-o",
                    format,
                ])
                .args(["--page-size", "500"])
                .output()
                .expect("/usr/bin/time runs (apt-get install time)");
            assert_eq!(code(&o), 0, "{}", err(&o));
            let last = err(&o).lines().last().unwrap_or("").to_string();
            let (secs, kb) = last.split_once(' ').unwrap();
            println!(
                "BENCH audit daemonsets={count} page_size=500 output={format} seconds={secs} peak_rss_kb={kb} requests={}",
                env.requests().len()
            );
        }
    }
}

/// On a terminal (stdout to a file), audit shows pages read and DaemonSets checked on
/// stderr, erased at the end; with CI set, nothing.
#[test]
fn progress_counts_pages_and_daemonsets_on_a_terminal_only() {
    let e = env(cluster());
    let out_file = e.dir.path().join("audit.txt");
    let line = format!(
        "{} audit --kubeconfig {} --page-size 2 > {}",
        env!("CARGO_BIN_EXE_dsguard"),
        e.kubeconfig.display(),
        out_file.display()
    );
    let run = |ci: bool| crate::under_pty(&line, ci);
    let shown = run(false);
    assert!(
        shown.contains("dsguard: 1 page read, 2 DaemonSets checked"),
        "{shown:?}"
    );
    assert!(shown.ends_with("\r\x1b[2K"), "{shown:?}");
    assert!(
        !std::fs::read_to_string(&out_file)
            .unwrap()
            .contains("checked")
    );
    assert_eq!(run(true), "");
}

/// The text format `--help` describes is the one printed, for validate and audit alike.
#[test]
fn text_lines_are_what_help_says() {
    let help = out(&dsguard(&["audit", "--help"], None));
    assert!(
        help.contains("`file:line: severity[rule] namespace/name: path: message` (audit: the")
            && help.contains("`k8s://CONTEXT/namespaces/NS/daemonsets/NAME` instead of"),
        "{help}"
    );
    let shape = |line: &str, head: &str| {
        let rest = line.strip_prefix(head)?;
        let (severity, rest) = rest.split_once('[')?;
        let (_rule, rest) = rest.split_once("] ")?;
        let (object, rest) = rest.split_once(": ")?;
        let (_path, message) = rest.split_once(": ")?;
        (matches!(severity, "error" | "warning") && object.contains('/') && !message.is_empty())
            .then_some(())
    };
    let e = env(cluster());
    let o = e.audit(&[]);
    let text = out(&o);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("k8s://") && (l.contains(" warning[") || l.contains(" error[")))
        .collect();
    assert!(!lines.is_empty(), "{text}");
    for line in lines {
        let head = line.split_once(": ").unwrap().0;
        assert!(head.starts_with("k8s://ok/namespaces/"), "{line}");
        assert!(shape(line, &format!("{head}: ")).is_some(), "{line}");
    }
    let file = crate::root().join("examples/broken/selector-mismatch.yaml");
    let o = dsguard(&["validate", file.to_str().unwrap()], None);
    let first = out(&o).lines().next().unwrap().to_string();
    let head = format!("{}:13: ", file.display());
    assert!(shape(&first, &head).is_some(), "{first}");
}
