//! Policy reports: the results of `validate` and `audit` as `openreports.io/v1alpha1`
//! `Report`/`ClusterReport` objects, or as the older `wgpolicyk8s.io/v1alpha2`
//! `PolicyReport`/`ClusterPolicyReport` (pure: results in, JSON objects out, no I/O).
//!
//! Field names and enums are those of the published types:
//! * openreports/reports-api `apis/openreports.io/v1alpha1/report_types.go` (`Report`,
//!   `ReportResult`, `ReportSummary`), `clusterreport_types.go`, and `docs/api-docs.md`:
//!   `result` is one of pass, fail, warn, error, skip; `severity` one of critical, high,
//!   medium, low, info; `policy` is the one required field of a result; `timestamp` is a
//!   `metav1.Timestamp` (`seconds`, `nanos`, both required); `resources` is a list of
//!   `core/v1` ObjectReferences; `properties` maps strings to strings.
//! * kubernetes-sigs/wg-policy-prototypes
//!   `policy-report/apis/wgpolicyk8s.io/v1alpha2/policyreport_types.go` and
//!   `clusterpolicyreport_types.go`: the same result and summary shape, and no report-level
//!   `source` (only the result's).
//!
//! What dsguard writes:
//! * One report per namespace of the checked documents, named `dsguard` (the namespace tells
//!   them apart), labelled `app.kubernetes.io/managed-by: dsguard`; documents without a
//!   namespace (and unreadable ones) go to one cluster-scoped report, also named `dsguard`.
//! * One result per violation: `fail` for an error-severity one, `warn` for a warning,
//!   `error` for a document that could not be read (the `parse` rule); one `pass` result (no
//!   `rule`) for a DaemonSet without any violation; one `skip` result for a document that was
//!   not checked (another kind, or exempt), with the reason as its message. A DaemonSet with
//!   warnings only has its `warn` results and no `pass`.
//! * `policy: dsguard`, `rule`: the rule id, `severity`: error → `high`, warning → `medium`,
//!   `source: dsguard`, `timestamp`: when the run started, `resources`: the checked object
//!   (apiVersion, kind, name, namespace, and uid when known), `properties`: `path` (the field)
//!   and, for files, `file`, `line` and `document`.
//! * `summary`: the count of results of each kind, all five always present.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::DocResult;
use crate::policy::{RuleId, Severity};

/// Name of dsguard's report in each namespace, and of its cluster-scoped report.
pub const REPORT_NAME: &str = "dsguard";
/// The label on every report dsguard writes (value [`MANAGER`]).
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// `policy`, `source` and the field manager of dsguard's reports.
pub const MANAGER: &str = "dsguard";

/// Which policy report API to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportApi {
    /// `openreports.io/v1alpha1` `Report` and `ClusterReport`.
    OpenReports,
    /// `wgpolicyk8s.io/v1alpha2` `PolicyReport` and `ClusterPolicyReport`.
    WgPolicy,
}

impl ReportApi {
    /// API group.
    pub fn group(self) -> &'static str {
        match self {
            ReportApi::OpenReports => "openreports.io",
            ReportApi::WgPolicy => "wgpolicyk8s.io",
        }
    }

    /// API version within the group.
    pub fn version(self) -> &'static str {
        match self {
            ReportApi::OpenReports => "v1alpha1",
            ReportApi::WgPolicy => "v1alpha2",
        }
    }

    /// `group/version`.
    pub fn api_version(self) -> &'static str {
        match self {
            ReportApi::OpenReports => "openreports.io/v1alpha1",
            ReportApi::WgPolicy => "wgpolicyk8s.io/v1alpha2",
        }
    }

    /// Kind of the namespaced report, or of the cluster-scoped one.
    pub fn kind(self, namespaced: bool) -> &'static str {
        match (self, namespaced) {
            (ReportApi::OpenReports, true) => "Report",
            (ReportApi::OpenReports, false) => "ClusterReport",
            (ReportApi::WgPolicy, true) => "PolicyReport",
            (ReportApi::WgPolicy, false) => "ClusterPolicyReport",
        }
    }

    /// Resource (plural) of the namespaced report, or of the cluster-scoped one.
    pub fn plural(self, namespaced: bool) -> &'static str {
        match (self, namespaced) {
            (ReportApi::OpenReports, true) => "reports",
            (ReportApi::OpenReports, false) => "clusterreports",
            (ReportApi::WgPolicy, true) => "policyreports",
            (ReportApi::WgPolicy, false) => "clusterpolicyreports",
        }
    }

    /// Where the namespaced report's CRD is published: openreports/reports-api `README.md`
    /// (the install manifest of the `main` branch, both CRDs), and the wg-policy-prototypes
    /// CRD file its users are pointed to.
    pub fn crd_url(self) -> &'static str {
        match self {
            ReportApi::OpenReports => {
                "https://raw.githubusercontent.com/openreports/reports-api/refs/heads/main/config/install.yaml"
            }
            ReportApi::WgPolicy => {
                "https://raw.githubusercontent.com/kubernetes-sigs/wg-policy-prototypes/master/policy-report/crd/v1alpha2/wgpolicyk8s.io_policyreports.yaml"
            }
        }
    }

    /// The other API, for the advice when this one is not installed.
    pub fn other(self) -> ReportApi {
        match self {
            ReportApi::OpenReports => ReportApi::WgPolicy,
            ReportApi::WgPolicy => ReportApi::OpenReports,
        }
    }
}

/// A `metav1.Timestamp`: seconds since the Unix epoch and non-negative nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    pub seconds: i64,
    /// 0 to 999,999,999.
    pub nanos: i32,
}

impl Timestamp {
    /// The timestamp of a point in time (the epoch for an earlier one).
    pub fn of(t: std::time::SystemTime) -> Timestamp {
        let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Timestamp {
            seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            nanos: d.subsec_nanos() as i32,
        }
    }
}

/// How to build the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Which API.
    pub api: ReportApi,
    /// The `timestamp` of every result.
    pub timestamp: Timestamp,
    /// Name the file, line and document of each result in its `properties` (`validate`;
    /// `audit` has no files).
    pub locations: bool,
}

/// The reports for `results`, each with the uid of its object when known: namespaced
/// reports in namespace order, then the cluster-scoped one; none for an empty input.
pub fn reports(results: &[(DocResult, Option<String>)], options: &Options) -> Vec<Value> {
    let mut by_namespace: BTreeMap<Option<&str>, Vec<Value>> = BTreeMap::new();
    for (r, uid) in results {
        let ns = r.namespace.as_deref().filter(|n| !n.is_empty());
        by_namespace
            .entry(ns)
            .or_default()
            .extend(entries(r, uid.as_deref(), options));
    }
    let mut out: Vec<Value> = Vec::new();
    let mut cluster = None;
    for (ns, results) in by_namespace {
        let report = report(ns, results, options.api);
        match ns {
            Some(_) => out.push(report),
            None => cluster = Some(report),
        }
    }
    out.extend(cluster);
    out
}

/// One report object.
fn report(namespace: Option<&str>, results: Vec<Value>, api: ReportApi) -> Value {
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(REPORT_NAME));
    if let Some(ns) = namespace {
        metadata.insert("namespace".into(), json!(ns));
    }
    metadata.insert("labels".into(), json!({ MANAGED_BY: MANAGER }));
    let mut summary = Map::new();
    for key in ["pass", "fail", "warn", "error", "skip"] {
        let n = results.iter().filter(|r| r["result"] == key).count();
        summary.insert(key.into(), json!(n));
    }
    let mut report = Map::new();
    report.insert("apiVersion".into(), json!(api.api_version()));
    report.insert("kind".into(), json!(api.kind(namespace.is_some())));
    report.insert("metadata".into(), Value::Object(metadata));
    if api == ReportApi::OpenReports {
        report.insert("source".into(), json!(MANAGER));
    }
    report.insert("summary".into(), Value::Object(summary));
    report.insert("results".into(), Value::Array(results));
    Value::Object(report)
}

/// The results of one document.
fn entries(r: &DocResult, uid: Option<&str>, options: &Options) -> Vec<Value> {
    let resource = resource(r, uid);
    let base = |rule: Option<(RuleId, Severity)>, result: &str, message: &str| {
        let mut m = Map::new();
        m.insert("policy".into(), json!(MANAGER));
        if let Some((rule, severity)) = rule {
            m.insert("rule".into(), json!(rule.as_str()));
            m.insert("result".into(), json!(result));
            m.insert("severity".into(), json!(self::severity(severity)));
        } else {
            m.insert("result".into(), json!(result));
        }
        m.insert("message".into(), json!(message));
        m.insert("source".into(), json!(MANAGER));
        m.insert(
            "timestamp".into(),
            json!({"seconds": options.timestamp.seconds, "nanos": options.timestamp.nanos}),
        );
        if let Some(res) = &resource {
            m.insert("resources".into(), json!([res]));
        }
        m
    };
    let location = |line: usize, path: &str| -> Map<String, Value> {
        let mut p = Map::new();
        if options.locations {
            p.insert("file".into(), json!(r.file));
            p.insert("line".into(), json!(line.to_string()));
            p.insert("document".into(), json!(r.document.to_string()));
        }
        if !path.is_empty() {
            p.insert("path".into(), json!(path));
        }
        p
    };
    let with_properties = |mut m: Map<String, Value>, p: Map<String, Value>| {
        if !p.is_empty() {
            m.insert("properties".into(), Value::Object(p));
        }
        Value::Object(m)
    };
    if r.status == super::Status::Skip {
        let reason = r.reason.as_deref().unwrap_or("not checked");
        return vec![with_properties(
            base(None, "skip", reason),
            location(r.line, ""),
        )];
    }
    if r.violations.is_empty() {
        let what = r.kind.as_deref().unwrap_or("document");
        let message = format!("the {what} breaks none of dsguard's rules");
        return vec![with_properties(
            base(None, "pass", &message),
            location(r.line, ""),
        )];
    }
    r.violations
        .iter()
        .map(|v| {
            let result = match (v.rule, v.severity) {
                (RuleId::Parse, _) => "error",
                (_, Severity::Error) => "fail",
                _ => "warn",
            };
            with_properties(
                base(Some((v.rule, v.severity)), result, &v.message),
                location(v.line, &v.path),
            )
        })
        .collect()
}

/// dsguard's severity as a `ResultSeverity`: error → high, warning → medium.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "high",
        Severity::Warning => "medium",
        Severity::Off => "info",
    }
}

/// The ObjectReference of the checked object; none for a document that could not be read.
fn resource(r: &DocResult, uid: Option<&str>) -> Option<Value> {
    let name = r.name.as_deref()?;
    let mut m = Map::new();
    m.insert(
        "apiVersion".into(),
        json!(r.api_version.as_deref().unwrap_or("apps/v1")),
    );
    m.insert(
        "kind".into(),
        json!(r.kind.as_deref().unwrap_or("DaemonSet")),
    );
    m.insert("name".into(), json!(name));
    if let Some(ns) = r.namespace.as_deref().filter(|n| !n.is_empty()) {
        m.insert("namespace".into(), json!(ns));
    }
    if let Some(uid) = uid {
        m.insert("uid".into(), json!(uid));
    }
    Some(Value::Object(m))
}

/// The reports as a YAML stream: documents separated by `---` lines.
pub fn yaml_stream(reports: &[Value]) -> String {
    let mut out = String::new();
    for (i, r) in reports.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let text = crate::yaml::to_yaml(r);
        out.push_str(&text);
        if !text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Located, Status};

    fn doc(ns: Option<&str>, name: &str, status: Status, violations: Vec<Located>) -> DocResult {
        DocResult {
            file: "f.yaml".into(),
            document: 0,
            line: 1,
            api_version: Some("apps/v1".into()),
            kind: Some("DaemonSet".into()),
            name: Some(name.into()),
            namespace: ns.map(String::from),
            status,
            reason: None,
            violations,
            patch: None,
            rollout: None,
        }
    }

    fn violation(rule: RuleId, severity: Severity) -> Located {
        Located {
            rule,
            severity,
            path: "spec.x".into(),
            line: 7,
            message: "m".into(),
        }
    }

    const OPTIONS: Options = Options {
        api: ReportApi::OpenReports,
        timestamp: Timestamp {
            seconds: 1_700_000_000,
            nanos: 5,
        },
        locations: true,
    };

    #[test]
    fn one_report_per_namespace_and_the_rest_cluster_scoped() {
        let input = vec![
            (
                doc(
                    Some("b"),
                    "x",
                    Status::Fail,
                    vec![
                        violation(RuleId::SelectorMismatch, Severity::Error),
                        violation(RuleId::ImageLatest, Severity::Warning),
                    ],
                ),
                Some("u-1".to_string()),
            ),
            (doc(Some("a"), "y", Status::Pass, vec![]), None),
            (doc(None, "z", Status::Pass, vec![]), None),
        ];
        let out = reports(&input, &OPTIONS);
        let heads: Vec<(String, String)> = out
            .iter()
            .map(|r| {
                (
                    r["kind"].as_str().unwrap().to_string(),
                    r["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                )
            })
            .collect();
        assert_eq!(
            heads,
            [
                ("Report".to_string(), "a".to_string()),
                ("Report".into(), "b".into()),
                ("ClusterReport".into(), String::new())
            ]
        );
        let b = &out[1];
        assert_eq!(
            b["summary"],
            json!({"pass": 0, "fail": 1, "warn": 1, "error": 0, "skip": 0})
        );
        assert_eq!(
            b["results"][0],
            json!({"source": "dsguard", "policy": "dsguard", "result": "fail", "message": "m",
                   "timestamp": {"seconds": 1_700_000_000i64, "nanos": 5},
                   "resources": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "x", "namespace": "b", "uid": "u-1"}],
                   "rule": "selector-mismatch", "severity": "high",
                   "properties": {"file": "f.yaml", "line": "7", "document": "0", "path": "spec.x"}})
        );
        assert_eq!(b["results"][1]["severity"], "medium");
        assert_eq!(b["results"][1]["result"], "warn");
        assert_eq!(out[0]["results"][0]["result"], "pass");
        assert!(out[0]["results"][0].get("rule").is_none());
        assert_eq!(out[0]["source"], "dsguard");
    }

    #[test]
    fn wgpolicy_has_no_report_source_and_unreadable_is_error() {
        let mut bad = doc(
            None,
            "",
            Status::Fail,
            vec![violation(RuleId::Parse, Severity::Error)],
        );
        bad.name = None;
        bad.kind = None;
        let options = Options {
            api: ReportApi::WgPolicy,
            locations: false,
            ..OPTIONS
        };
        let out = reports(&[(bad, None)], &options);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0]["apiVersion"], "wgpolicyk8s.io/v1alpha2");
        assert_eq!(out[0]["kind"], "ClusterPolicyReport");
        assert!(out[0].get("source").is_none());
        let r = &out[0]["results"][0];
        assert_eq!(r["result"], "error");
        assert!(r.get("resources").is_none(), "nothing to name");
        assert_eq!(
            r["properties"],
            json!({"path": "spec.x"}),
            "no file for audit"
        );
        assert!(reports(&[], &options).is_empty());
    }
}
