//! Just enough of an API server for `kubectl apply --dry-run=client`: discovery and the
//! OpenAPI v3 document of one API group, whose schemas are k8s-openapi's (through
//! schemars). No machine here runs an API server; kubectl needs one to learn the kinds.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use serde_json::{Value, json};

/// One kind the fake server knows.
pub struct Kind {
    /// The resource (`daemonsets`).
    pub plural: &'static str,
    /// The kind (`DaemonSet`).
    pub kind: &'static str,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Its schema.
    pub schema: schemars::Schema,
}

fn openapi_v3(group: &str, version: &str, kinds: &[Kind]) -> Value {
    let mut schemas = serde_json::Map::new();
    let mut paths = serde_json::Map::new();
    let prefix = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    for k in kinds {
        let mut v = serde_json::to_value(&k.schema).unwrap();
        // Definitions inside, as kubectl reads `components.schemas` by reference.
        if let Some(defs) = v.as_object_mut().and_then(|o| o.remove("$defs")) {
            for (name, d) in defs.as_object().unwrap() {
                schemas.insert(name.clone(), d.clone());
            }
        }
        let gvk = json!({"group": group, "version": version, "kind": k.kind});
        v["x-kubernetes-group-version-kind"] = json!([gvk.clone()]);
        schemas.insert(format!("io.dsguard.test.{}", k.kind), v);
        // The operations, for kubectl's check that the server takes `fieldValidation`.
        let op = json!({
            "x-kubernetes-group-version-kind": gvk,
            "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "OK"}}
        });
        let base = if k.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}", k.plural)
        } else {
            format!("{prefix}/{}", k.plural)
        };
        paths.insert(base.clone(), json!({"post": op}));
        paths.insert(format!("{base}/{{name}}"), json!({"patch": op, "put": op}));
    }
    let text = serde_json::to_string(&json!({
        "openapi": "3.0.0", "info": {"title": "dsguard test", "version": version},
        "paths": paths, "components": {"schemas": schemas}
    }))
    .unwrap()
    .replace("#/$defs/", "#/components/schemas/");
    serde_json::from_str(&text).unwrap()
}

fn route(path: &str, group: &str, version: &str, kinds: &[Kind]) -> Option<Value> {
    let gv = format!("{group}/{version}");
    let resources: Vec<Value> = kinds
        .iter()
        .map(|k| {
            json!({"name": k.plural, "singularName": "", "namespaced": k.namespaced, "kind": k.kind,
                   "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]})
        })
        .collect();
    let path = path.split('?').next().unwrap_or("");
    let apis = format!("/apis/{gv}");
    let openapi = format!("/openapi/v3/apis/{gv}");
    Some(match path {
        "/api" => {
            json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
        }
        "/api/v1" => json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": []}),
        "/apis" => json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": [{
            "name": group,
            "versions": [{"groupVersion": gv, "version": version}],
            "preferredVersion": {"groupVersion": gv, "version": version}}]}),
        p if p == apis => {
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
        }
        "/openapi/v3" => {
            json!({"paths": {format!("apis/{gv}"): {"serverRelativeURL": format!("{openapi}?hash=1")}}})
        }
        p if p == openapi => openapi_v3(group, version, kinds),
        _ => return None,
    })
}

/// Serves discovery for `group/version` with `kinds` until `requests` answers are given.
pub fn start(
    group: &'static str,
    version: &'static str,
    kinds: Vec<Kind>,
    requests: usize,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
            }
            let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
            let (status, body) = match route(&path, group, version, &kinds) {
                Some(v) => ("200 OK", v.to_string()),
                None => ("404 Not Found", "{}".to_string()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    addr
}

/// A kubeconfig for the fake server in `dir`.
pub fn kubeconfig(dir: &std::path::Path, addr: SocketAddr) -> std::path::PathBuf {
    let path = dir.join("fake-discovery.kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster:\n    server: http://{addr}\ncontexts:\n- name: t\n  context:\n    cluster: t\n    user: t\n    namespace: default\ncurrent-context: t\nusers:\n- name: t\n  user: {{}}\n"
        ),
    )
    .unwrap();
    path
}

/// `kubectl apply --dry-run=client --validate=strict -o name -f -` of `manifests` against
/// the fake server at `addr` (its discovery, its OpenAPI): what kubectl printed, the test
/// failing with kubectl's message when it refuses.
pub fn apply_dry_run(dir: &std::path::Path, addr: SocketAddr, manifests: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("kubectl")
        .args([
            "apply",
            "--dry-run=client",
            "--validate=strict",
            "-o",
            "name",
            "-f",
            "-",
        ])
        .env("KUBECONFIG", kubeconfig(dir, addr))
        .env("KUBECACHEDIR", dir.join("cache"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl is installed (.ci/run checks it)");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(manifests)
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "kubectl apply --dry-run=client: {}\n{stdout}",
        String::from_utf8_lossy(&o.stderr)
    );
    stdout
}
