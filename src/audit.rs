//! `dsguard audit`: the DaemonSets already running in a cluster, through the policy engine.
//!
//! For each DaemonSet: the violations `dsguard validate` reports for it (the same checks;
//! an object the API server stored passed its parity rules, so in practice the policy
//! rules, as the validating webhook decides), the patch the mutating webhook would apply
//! (`MutateMode::Admission`, as `serve` decides), and rollout health from `.status`
//! ([`crate::policy::rollout`]).
//!
//! Connection as kubectl: `--kubeconfig`, else `KUBECONFIG` or `~/.kube/config`, else the
//! in-cluster service account; `--context` picks a context. DaemonSets are listed in pages
//! (`limit` + `continue`), each page checked and dropped before the next is asked for.
//!
//! With `--apply-reports` ([`run_and_apply_reports`]) the results are also kept, and
//! written to the cluster as policy reports afterwards ([`crate::reports_apply`]).

use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::apps::v1::DaemonSet;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::Value;

use crate::check::{self, Identity, Source};
use crate::policy::{self, Checks, MutateMode, Node, Policy, Severity};
use crate::report::policyreport::ReportApi;
use crate::report::{DocResult, Reporter, Status};
use crate::reports_apply::Applied;

/// What to audit and how to connect.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// A kubeconfig file; otherwise `KUBECONFIG`, `~/.kube/config` or in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// A context of the kubeconfig; otherwise its current context.
    pub context: Option<String>,
    /// One namespace; all when `None`.
    pub namespace: Option<String>,
    /// A label selector, as `kubectl -l`.
    pub selector: Option<String>,
    /// DaemonSets per page.
    pub page_size: u32,
    /// Connect and read timeout of each request.
    pub timeout: Duration,
}

/// Why the audit could not run (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AuditError(pub String);

/// Where the connection goes, for messages.
pub(crate) struct Target {
    pub(crate) url: String,
    pub(crate) context: String,
}

pub(crate) async fn connect(o: &AuditOptions) -> Result<(Client, Target), AuditError> {
    use kube::config::KubeconfigError as K;
    let options = KubeConfigOptions {
        context: o.context.clone(),
        ..Default::default()
    };
    let kubeconfig_error = |e: K| {
        AuditError(match e {
            K::LoadContext(c) | K::LoadClusterOfContext(c) => format!(
                "context {c:?} is not in the kubeconfig, or names a missing cluster or user; `kubectl config get-contexts` lists the contexts"
            ),
            K::CurrentContextNotSet => {
                "the kubeconfig has no current-context; pass --context NAME".to_string()
            }
            K::ReadConfig(err, path) => {
                format!("cannot read kubeconfig {}: {err}", path.display())
            }
            K::FindPath => "no kubeconfig found: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config".to_string(),
            other => format!("kubeconfig: {other}"),
        })
    };
    let (mut config, context) = match &o.kubeconfig {
        Some(path) => {
            let kc = Kubeconfig::read_from(path).map_err(|e| match e {
                K::ReadConfig(err, _) => {
                    AuditError(format!("cannot read kubeconfig {}: {err}", path.display()))
                }
                other => AuditError(format!("kubeconfig {}: {other}", path.display())),
            })?;
            let current = o.context.clone().or(kc.current_context.clone());
            let config = Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(kubeconfig_error)?;
            (config, current.unwrap_or_default())
        }
        None if o.context.is_some() => (
            Config::from_kubeconfig(&options)
                .await
                .map_err(kubeconfig_error)?,
            o.context.clone().unwrap_or_default(),
        ),
        None => {
            let config = Config::infer().await.map_err(|e| {
                AuditError(format!(
                    "no cluster to talk to: no kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config) and not running in a pod ({e})"
                ))
            })?;
            (config, String::from("current context"))
        }
    };
    config.connect_timeout = Some(o.timeout);
    config.read_timeout = Some(o.timeout);
    let target = Target {
        url: config.cluster_url.to_string(),
        context,
    };
    let client = crate::kube_client::client(config)
        .map_err(|e| AuditError(format!("cannot set up a client for {}: {e}", target.url)))?;
    Ok((client, target))
}

/// The message for a failed list request.
pub(crate) fn list_error(e: kube::Error, o: &AuditOptions, target: &Target) -> AuditError {
    let scope = match &o.namespace {
        Some(ns) => format!("in namespace {ns:?}"),
        None => "cluster-wide (all namespaces)".to_string(),
    };
    let url = &target.url;
    AuditError(match e {
        kube::Error::Api(status) => match status.code {
            401 => format!(
                "{url} refused the credentials (401 Unauthorized): {}; log in again or fix the user of context {:?} in the kubeconfig",
                status.message, target.context
            ),
            403 => format!(
                "forbidden (403): RBAC must allow the verb `list` on `daemonsets.apps` {scope}; grant it (manifests/components/audit-rbac) or use -n NAMESPACE: {}",
                status.message
            ),
            410 => format!(
                "the list changed too much while it was read in pages (410 Gone: {}); run the audit again, or with a larger --page-size",
                status.message
            ),
            code => format!(
                "{url} answered {code} {}: {}",
                status.reason, status.message
            ),
        },
        other => {
            let chain = error_chain(&other);
            match transport_failure(&other) {
                Some(Transport::Refused) => format!(
                    "cannot connect to {url}: connection refused; is the cluster running, and is the server address in context {:?} right?",
                    target.context
                ),
                Some(Transport::TimedOut) => format!(
                    "no answer from {url} within {}s (--request-timeout)",
                    o.timeout.as_secs_f64()
                ),
                Some(Transport::Tls(e)) => format!(
                    "TLS failure talking to {url}: {e}; check the cluster's certificate-authority in the kubeconfig"
                ),
                None => format!("cannot list DaemonSets from {url}: {}", chain.join(": ")),
            }
        }
    })
}

/// The messages of an error and of its sources.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut chain = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    chain
}

/// What went wrong below HTTP, found by type in the error's source chain.
enum Transport {
    Refused,
    TimedOut,
    Tls(String),
}

fn transport_failure(e: &(dyn std::error::Error + 'static)) -> Option<Transport> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(Transport::Tls(tls.to_string()));
    }
    if e.is::<tokio::time::error::Elapsed>() {
        return Some(Transport::TimedOut);
    }
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        use std::io::ErrorKind;
        match io.kind() {
            ErrorKind::ConnectionRefused => return Some(Transport::Refused),
            ErrorKind::TimedOut => return Some(Transport::TimedOut),
            _ => {}
        }
        // An io::Error's `source` skips the error it wraps (tokio-rustls wraps the TLS
        // error in one, hyper-util that in another): look inside.
        if let Some(inner) = io.get_ref() {
            return transport_failure(inner);
        }
    }
    e.source().and_then(transport_failure)
}

/// Lists the DaemonSets page by page and reports each; the summary comes from `reporter`.
pub async fn run<W: std::io::Write>(
    o: &AuditOptions,
    policy: &Policy,
    reporter: &mut Reporter<W>,
) -> Result<(), AuditError> {
    audit(o, policy, reporter).await.map(|_| ())
}

/// [`run`], then the policy reports of `api` applied to the cluster (server-side apply),
/// and, when the audit covered every DaemonSet (no namespace, no selector), dsguard's
/// reports of namespaces without DaemonSets deleted ([`crate::reports_apply`]).
pub async fn run_and_apply_reports<W: std::io::Write>(
    o: &AuditOptions,
    policy: &Policy,
    reporter: &mut Reporter<W>,
    api: ReportApi,
) -> Result<Applied, AuditError> {
    reporter.keep_for_reports();
    let (client, target) = audit(o, policy, reporter).await?;
    let reports = reporter.policy_reports(api);
    let complete = o.namespace.is_none() && o.selector.is_none();
    crate::reports_apply::apply(&client, &target, &reports, api, complete, o.page_size).await
}

/// The audit itself; returns the connection for what follows.
async fn audit<W: std::io::Write>(
    o: &AuditOptions,
    policy: &Policy,
    reporter: &mut Reporter<W>,
) -> Result<(Client, Target), AuditError> {
    let (client, target) = connect(o).await?;
    let api: Api<DaemonSet> = match &o.namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let mut params = ListParams::default().limit(o.page_size.max(1));
    if let Some(selector) = &o.selector {
        params = params.labels(selector);
    }
    reporter.set_scope(format!(
        "{} ({}){}",
        target.context,
        target.url,
        o.namespace
            .as_ref()
            .map(|n| format!(", namespace {n}"))
            .unwrap_or_default()
    ));
    let io = |e: std::io::Error| AuditError(format!("cannot write output: {e}"));
    let mut table = Table::default();
    let mut progress = crate::progress::Progress::for_stderr();
    let (mut pages, mut checked) = (0, 0);
    loop {
        let page = api
            .list(&params)
            .await
            .map_err(|e| list_error(e, o, &target))?;
        pages += 1;
        let next = page.metadata.continue_.clone().filter(|c| !c.is_empty());
        for ds in page.items {
            let value = serde_json::to_value(&ds)
                .map_err(|e| AuditError(format!("cannot read a DaemonSet: {e}")))?;
            let result = check(&value, policy, &target.context);
            table.add(&result);
            for line in patch_lines(&result) {
                reporter.text_line(&line).map_err(io)?;
            }
            reporter
                .add_with_uid(result, ds.metadata.uid.clone())
                .map_err(io)?;
            checked += 1;
        }
        let unit = if pages == 1 { "page" } else { "pages" };
        progress.update(&format!("{pages} {unit} read, "), checked, "DaemonSets");
        match next {
            Some(token) => params = params.continue_token(&token),
            None => break,
        }
    }
    progress.finish();
    for line in table.render() {
        reporter.text_line(&line).map_err(io)?;
    }
    Ok((client, target))
}

/// Lists the DaemonSets of each namespace (one list call per namespace, in pages), as JSON;
/// with the context name for messages. For `validate --previous cluster`.
pub(crate) async fn list_daemonsets(
    o: &AuditOptions,
    namespaces: &[String],
) -> Result<(String, Vec<Value>), AuditError> {
    let (client, target) = connect(o).await?;
    let mut out = Vec::new();
    for ns in namespaces {
        let api: Api<DaemonSet> = Api::namespaced(client.clone(), ns);
        let scoped = AuditOptions {
            namespace: Some(ns.clone()),
            ..o.clone()
        };
        let mut params = ListParams::default().limit(o.page_size.max(1));
        loop {
            let page = api
                .list(&params)
                .await
                .map_err(|e| list_error(e, &scoped, &target))?;
            let next = page.metadata.continue_.clone().filter(|c| !c.is_empty());
            for ds in page.items {
                out.push(
                    serde_json::to_value(&ds)
                        .map_err(|e| AuditError(format!("cannot read a DaemonSet: {e}")))?,
                );
            }
            match next {
                Some(token) => params = params.continue_token(&token),
                None => break,
            }
        }
    }
    Ok((target.context, out))
}

/// The audit of one live DaemonSet (as JSON): what `validate` says, the rollout, and the
/// mutating webhook's patch.
pub fn check(obj: &Value, policy: &Policy, context: &str) -> DocResult {
    let node = Node::from(obj);
    let identity = Identity::of(&node);
    let file = format!(
        "k8s://{context}/namespaces/{}/daemonsets/{}",
        identity.namespace.as_deref().unwrap_or(""),
        identity.name.as_deref().unwrap_or("")
    );
    let source = Source {
        file: &file,
        document: 0,
        line: 1,
        lines: None,
    };
    let verdict = check::verdict_value(obj, &node, None, policy, Checks::OFFLINE);
    let mut r = check::result(&source, identity, verdict);
    if r.status == Status::Skip {
        return r;
    }
    let (rollout, health) = policy::rollout_health(obj, policy);
    r.violations
        .extend(health.into_iter().map(|v| check::locate(v, &source)));
    r.status = check::status_of(&r.violations);
    r.rollout = rollout;
    if let Some(patch) = check::patch(&node, policy, MutateMode::Admission)
        && !patch.0.is_empty()
    {
        r.patch = serde_json::to_value(&patch).ok();
    }
    r
}

/// `file:1: patch ns/name: op path, ...` for the text output.
fn patch_lines(r: &DocResult) -> Vec<String> {
    let Some(Value::Array(ops)) = &r.patch else {
        return Vec::new();
    };
    let list: Vec<String> = ops
        .iter()
        .map(|op| {
            format!(
                "{} {}",
                op["op"].as_str().unwrap_or("?"),
                op["path"].as_str().unwrap_or("?")
            )
        })
        .collect();
    vec![format!(
        "{}:1: patch {}: the mutating webhook would apply {} operation(s): {}",
        r.file,
        r.object_name(),
        ops.len(),
        list.join(", ")
    )]
}

/// The short table of the text output: one row per DaemonSet, tab-separated, all rows in
/// one string (about 60 bytes a row, and no small allocation left behind per DaemonSet to
/// pin the allocator's pages), so that the audit's memory stays flat as the count grows.
#[derive(Default)]
struct Table(String);

const HEAD: [&str; 11] = [
    "NAMESPACE",
    "NAME",
    "DESIRED",
    "CURRENT",
    "READY",
    "UP-TO-DATE",
    "AVAILABLE",
    "MISSCHEDULED",
    "ERRORS",
    "WARNINGS",
    "PATCH",
];

impl Table {
    fn add(&mut self, r: &DocResult) {
        let count = |s: Severity| r.violations.iter().filter(|v| v.severity == s).count();
        let counts = match &r.rollout {
            Some(x) => [
                x.desired,
                x.current,
                x.ready,
                x.updated,
                x.available,
                x.misscheduled,
            ]
            .map(|n| n.to_string())
            .join("\t"),
            None => ["-"; 6].join("\t"),
        };
        let errors = if r.status == Status::Skip {
            "exempt".to_string()
        } else {
            count(Severity::Error).to_string()
        };
        let patch = match &r.patch {
            Some(Value::Array(ops)) => format!("{} ops", ops.len()),
            _ => "-".into(),
        };
        use std::fmt::Write;
        let _ = writeln!(
            self.0,
            "{}\t{}\t{counts}\t{errors}\t{}\t{patch}",
            r.namespace.as_deref().unwrap_or(""),
            r.name.as_deref().unwrap_or(""),
            count(Severity::Warning),
        );
    }

    fn render(&self) -> Vec<String> {
        if self.0.is_empty() {
            return Vec::new();
        }
        let mut widths: Vec<usize> = HEAD.iter().map(|h| h.len()).collect();
        for row in self.0.lines() {
            for (w, cell) in widths.iter_mut().zip(row.split('\t')) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &mut dyn Iterator<Item = &str>| {
            cells
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let mut out = vec![line(&mut HEAD.iter().copied())];
        for row in self.0.lines() {
            out.push(line(&mut row.split('\t')));
        }
        out
    }
}
