//! Policy reports through the binary: `validate`/`audit --output policyreport` checked
//! against the openreports.io/v1alpha1 Report schema (and the wgpolicyk8s.io/v1alpha2 one),
//! and `audit --apply-reports` on the wire of the fake API server of tests/integration/audit.rs:
//! server-side apply requests, the stale report deleted, a missing CRD said as such.
//!
//! The schema checker below is written from the API reference
//! (openreports/reports-api `docs/api-docs.md`, `apis/openreports.io/v1alpha1/report_types.go`;
//! kubernetes-sigs/wg-policy-prototypes
//! `policy-report/apis/wgpolicyk8s.io/v1alpha2/policyreport_types.go`): the fields each type
//! has, the required ones, and the `result` and `severity` enums.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::audit::{Recorded, cluster, env};
use crate::{code, dsguard, err, out};

const OPENREPORTS: &str = "openreports.io/v1alpha1";
const WGPOLICY: &str = "wgpolicyk8s.io/v1alpha2";

/// Seconds since the epoch now.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The documents of a YAML stream, read as kubectl reads them.
fn documents(text: &str) -> Vec<Value> {
    dsguard::manifest::read_documents(text.as_bytes())
        .into_iter()
        .map(|e| e.content.expect("each document parses").value)
        .collect()
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn only_keys(v: &Value, allowed: &[&str], what: &str) {
    for k in keys(v) {
        assert!(allowed.contains(&k), "{what}: unknown field {k:?} in {v}");
    }
}

fn is_count(v: &Value) -> bool {
    v.as_u64().is_some()
}

/// Checks one report against the schema of `api_version`; `started..=ended` bounds the
/// results' timestamps. Returns the results' `result` values, for the caller's counts.
fn check_report(r: &Value, api_version: &str, started: i64, ended: i64) {
    let open = api_version == OPENREPORTS;
    assert_eq!(r["apiVersion"], api_version);
    let kind = r["kind"].as_str().expect("kind");
    let (namespaced_kind, cluster_kind) = if open {
        ("Report", "ClusterReport")
    } else {
        ("PolicyReport", "ClusterPolicyReport")
    };
    assert!(kind == namespaced_kind || kind == cluster_kind, "{kind}");
    // Report: TypeMeta, ObjectMeta, source (openreports only), scope, scopeSelector,
    // configuration (openreports only), summary, results.
    let mut top = vec![
        "apiVersion",
        "kind",
        "metadata",
        "scope",
        "scopeSelector",
        "summary",
        "results",
    ];
    if open {
        top.extend(["source", "configuration"]);
        assert_eq!(r["source"], "dsguard");
    }
    only_keys(r, &top, "report");
    let meta = &r["metadata"];
    assert_eq!(meta["name"], "dsguard");
    assert_eq!(
        meta["labels"],
        json!({"app.kubernetes.io/managed-by": "dsguard"})
    );
    assert_eq!(
        meta.get("namespace").is_some(),
        kind == namespaced_kind,
        "a namespaced kind has a namespace, a cluster one none: {meta}"
    );
    // ReportSummary: five counts.
    let summary = &r["summary"];
    only_keys(
        summary,
        &["pass", "fail", "warn", "error", "skip"],
        "summary",
    );
    let results = r["results"].as_array().expect("results");
    assert!(!results.is_empty(), "no empty report is written");
    for key in ["pass", "fail", "warn", "error", "skip"] {
        assert!(is_count(&summary[key]), "summary.{key}: {summary}");
        let n = results.iter().filter(|x| x["result"] == key).count();
        assert_eq!(summary[key], n, "summary.{key} counts the results");
    }
    for x in results {
        // ReportResult.
        only_keys(
            x,
            &[
                "source",
                "policy",
                "rule",
                "category",
                "severity",
                "timestamp",
                "result",
                "scored",
                "resources",
                "resourceSelector",
                "message",
                "properties",
            ],
            "result",
        );
        assert!(x["policy"].is_string(), "policy is required: {x}");
        assert_eq!(x["policy"], "dsguard");
        assert_eq!(x["source"], "dsguard");
        let result = x["result"].as_str().expect("result");
        assert!(
            ["pass", "fail", "warn", "error", "skip"].contains(&result),
            "{result}"
        );
        if let Some(s) = x.get("severity") {
            assert!(
                ["critical", "high", "low", "medium", "info"].contains(&s.as_str().unwrap()),
                "{s}"
            );
        }
        for field in ["rule", "category", "message"] {
            if let Some(v) = x.get(field) {
                assert!(v.is_string(), "{field}: {x}");
            }
        }
        // A violation names its rule and severity; pass and skip are about the object.
        match result {
            "fail" | "warn" | "error" => {
                assert!(x["rule"].is_string() && x["severity"].is_string(), "{x}")
            }
            _ => assert!(
                x.get("rule").is_none() && x.get("severity").is_none(),
                "{x}"
            ),
        }
        // metav1.Timestamp: seconds and nanos, both required.
        let t = &x["timestamp"];
        assert_eq!(keys(t), ["seconds", "nanos"], "{t}");
        let seconds = t["seconds"].as_i64().unwrap();
        assert!(
            (started..=ended).contains(&seconds),
            "{seconds} within the run"
        );
        assert!((0..=999_999_999).contains(&t["nanos"].as_i64().unwrap()));
        // []core/v1.ObjectReference.
        if let Some(resources) = x.get("resources") {
            for o in resources.as_array().unwrap() {
                only_keys(
                    o,
                    &[
                        "apiVersion",
                        "fieldPath",
                        "kind",
                        "name",
                        "namespace",
                        "resourceVersion",
                        "uid",
                    ],
                    "resource",
                );
                for (k, v) in o.as_object().unwrap() {
                    assert!(v.is_string(), "resources[].{k}: {o}");
                }
                assert_eq!(
                    o.get("namespace"),
                    meta.get("namespace"),
                    "the object is in the report's namespace"
                );
            }
        } else {
            assert_eq!(result, "error", "only an unreadable document names nothing");
        }
        // map[string]string.
        if let Some(p) = x.get("properties") {
            for (k, v) in p.as_object().unwrap() {
                assert!(v.is_string(), "properties.{k} is a string: {p}");
            }
        }
    }
}

/// `(kind, namespace)` → summary.
fn summaries(reports: &[Value]) -> BTreeMap<(String, String), Value> {
    reports
        .iter()
        .map(|r| {
            (
                (
                    r["kind"].as_str().unwrap().to_string(),
                    r["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                ),
                r["summary"].clone(),
            )
        })
        .collect()
}

fn counts(pass: u64, fail: u64, warn: u64, error: u64, skip: u64) -> Value {
    json!({"pass": pass, "fail": fail, "warn": warn, "error": error, "skip": skip})
}

#[test]
fn validate_writes_one_report_per_namespace_that_fits_the_schema() {
    for (api, flags) in [
        (OPENREPORTS, vec![]),
        (OPENREPORTS, vec!["--policyreport-api", OPENREPORTS]),
        (WGPOLICY, vec!["--policyreport-api", WGPOLICY]),
    ] {
        let started = now();
        let mut args = vec!["validate", "-o", "policyreport"];
        args.extend(&flags);
        args.push("examples/");
        let o = dsguard(&args, None);
        let ended = now();
        assert_eq!(code(&o), 1, "error-severity violations: {}", err(&o));
        let reports = documents(&out(&o));
        for r in &reports {
            check_report(r, api, started, ended);
        }
        let (ns_kind, cluster_kind) = if api == OPENREPORTS {
            ("Report", "ClusterReport")
        } else {
            ("PolicyReport", "ClusterPolicyReport")
        };
        let k = |kind: &str, ns: &str| (kind.to_string(), ns.to_string());
        // examples/: busybox (pass) and a ConfigMap (skip) in default; fluentd and kindnet
        // (pass) in kube-system; bad-fields (six errors) in logging; node-exporter (pass)
        // and the broken selector-mismatch copy (one error) in monitoring; and without a
        // namespace: from-deployment (two errors, two warnings) and not-yaml (unreadable).
        assert_eq!(
            summaries(&reports),
            BTreeMap::from([
                (k(ns_kind, "default"), counts(1, 0, 0, 0, 1)),
                (k(ns_kind, "kube-system"), counts(2, 0, 0, 0, 0)),
                (k(ns_kind, "logging"), counts(0, 6, 0, 0, 0)),
                (k(ns_kind, "monitoring"), counts(1, 1, 0, 0, 0)),
                (k(cluster_kind, ""), counts(0, 2, 2, 1, 0)),
            ])
        );
        let names: Vec<&str> = reports
            .iter()
            .map(|r| r["metadata"]["namespace"].as_str().unwrap_or("-"))
            .collect();
        assert_eq!(
            names,
            ["default", "kube-system", "logging", "monitoring", "-"],
            "namespace order, the cluster report last"
        );
        let monitoring = &reports[3]["results"];
        let mismatch = monitoring
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["rule"] == "selector-mismatch")
            .expect("the selector-mismatch finding");
        assert_eq!(mismatch["result"], "fail");
        assert_eq!(mismatch["severity"], "high", "error → high");
        assert_eq!(
            mismatch["resources"],
            json!([{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "node-exporter", "namespace": "monitoring"}])
        );
        assert_eq!(
            mismatch["properties"],
            json!({"file": "examples/broken/selector-mismatch.yaml", "line": "13", "document": "0",
                   "path": "spec.template.metadata.labels"})
        );
        assert!(
            mismatch["message"]
                .as_str()
                .unwrap()
                .contains("`selector` does not match template `labels`")
        );
        let cluster = reports[4]["results"].as_array().unwrap();
        let latest = cluster
            .iter()
            .find(|x| x["rule"] == "image-latest")
            .unwrap();
        assert_eq!(
            (&latest["result"], &latest["severity"]),
            (&json!("warn"), &json!("medium")),
            "warning → warn, medium"
        );
        let unreadable = cluster.iter().find(|x| x["result"] == "error").unwrap();
        assert_eq!(unreadable["rule"], "parse");
        assert_eq!(
            unreadable["properties"]["file"],
            "examples/broken/not-yaml.yaml"
        );
        let skip = reports[0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["result"] == "skip")
            .unwrap();
        assert_eq!(skip["resources"][0]["kind"], "ConfigMap");
        assert_eq!(skip["message"], "ConfigMap is not a DaemonSet");
        // Every result of one run has one timestamp.
        let stamps: std::collections::BTreeSet<String> = reports
            .iter()
            .flat_map(|r| r["results"].as_array().unwrap())
            .map(|x| x["timestamp"].to_string())
            .collect();
        assert_eq!(stamps.len(), 1);
    }
    // The flag alone is a usage error.
    let o = dsguard(
        &[
            "validate",
            "--policyreport-api",
            WGPOLICY,
            "examples/kindnet.yaml",
        ],
        None,
    );
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("--output policyreport"), "{}", err(&o));
}

/// Strips what differs between runs (timestamps) from reports.
fn without_timestamps(mut v: Value) -> Value {
    if let Some(results) = v["results"].as_array_mut() {
        for x in results {
            x.as_object_mut().unwrap().remove("timestamp");
        }
    }
    v
}

#[test]
fn audit_reports_every_live_daemonset_with_its_uid() {
    let env = env(cluster());
    let started = now();
    let o = env.audit(&["-o", "policyreport", "--page-size", "2"]);
    let ended = now();
    assert_eq!(code(&o), 0, "warnings only: {}", err(&o));
    let reports = documents(&out(&o));
    for r in &reports {
        check_report(r, OPENREPORTS, started, ended);
    }
    assert_eq!(
        summaries(&reports),
        BTreeMap::from([
            (("Report".into(), "default".into()), counts(1, 0, 0, 0, 1)),
            (
                ("Report".into(), "kube-system".into()),
                counts(1, 0, 0, 0, 0)
            ),
            (("Report".into(), "logging".into()), counts(0, 0, 2, 0, 0)),
            (
                ("Report".into(), "monitoring".into()),
                counts(1, 0, 3, 0, 0)
            ),
        ]),
        "no ClusterReport: live DaemonSets are namespaced"
    );
    // The results are the JSON output's findings, one by one, with the live object's uid.
    let json: Value = serde_json::from_str(&out(&env.audit(&["-o", "json"]))).unwrap();
    let mut want = Vec::new();
    for r in json["results"].as_array().unwrap() {
        let ns = r["namespace"].as_str().unwrap();
        let violations = r["violations"].as_array().unwrap();
        if r["status"] == "skip" {
            want.push((ns.to_string(), r["name"].clone(), "skip".to_string(), None));
        } else if violations.is_empty() {
            want.push((ns.to_string(), r["name"].clone(), "pass".to_string(), None));
        }
        for v in violations {
            let result = if v["severity"] == "error" {
                "fail"
            } else {
                "warn"
            };
            want.push((
                ns.to_string(),
                r["name"].clone(),
                result.to_string(),
                Some((v["rule"].clone(), v["path"].clone(), v["message"].clone())),
            ));
        }
    }
    let mut got = Vec::new();
    for r in &reports {
        let ns = r["metadata"]["namespace"].as_str().unwrap();
        for x in r["results"].as_array().unwrap() {
            let resource = &x["resources"][0];
            assert_eq!(resource["apiVersion"], "apps/v1");
            let uid = resource["uid"].as_str().expect("the live object's uid");
            assert!(uid.starts_with("00000000-0000-4000-8000-"), "{uid}");
            let item = cluster()
                .into_iter()
                .find(|d| d["metadata"]["uid"] == uid)
                .unwrap();
            assert_eq!(resource["name"], item["metadata"]["name"]);
            assert_eq!(resource["namespace"], item["metadata"]["namespace"]);
            assert!(
                x["properties"].get("file").is_none() && x["properties"].get("line").is_none(),
                "no file for a live object: {x}"
            );
            let finding = x.get("rule").map(|rule| {
                (
                    rule.clone(),
                    x["properties"]["path"].clone(),
                    x["message"].clone(),
                )
            });
            got.push((
                ns.to_string(),
                resource["name"].clone(),
                x["result"].as_str().unwrap().to_string(),
                finding,
            ));
        }
    }
    want.sort_by_key(|w| format!("{w:?}"));
    got.sort_by_key(|g| format!("{g:?}"));
    assert_eq!(got, want);
    assert!(
        env.api.report_requests.lock().unwrap().is_empty(),
        "--output writes nothing to the cluster"
    );
}

fn seed(env: &crate::audit::Env, reports: Vec<Value>) {
    *env.api.reports.lock().unwrap() = reports;
}

fn managed(api_version: &str, kind: &str, ns: &str) -> Value {
    json!({"apiVersion": api_version, "kind": kind,
           "metadata": {"name": "dsguard", "namespace": ns, "labels": {"app.kubernetes.io/managed-by": "dsguard"}},
           "summary": counts(0, 1, 0, 0, 0),
           "results": [{"policy": "dsguard", "rule": "selector-mismatch", "result": "fail",
                        "resources": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "gone", "namespace": ns}]}]})
}

fn foreign(ns: &str) -> Value {
    json!({"apiVersion": OPENREPORTS, "kind": "Report",
           "metadata": {"name": "kyverno-scan", "namespace": ns, "labels": {"app.kubernetes.io/managed-by": "kyverno"}},
           "results": []})
}

fn take_requests(env: &crate::audit::Env) -> Vec<Recorded> {
    std::mem::take(&mut *env.api.report_requests.lock().unwrap())
}

#[test]
fn apply_reports_applies_each_namespace_and_deletes_the_stale_one() {
    let env = env(cluster());
    seed(
        &env,
        vec![
            managed(OPENREPORTS, "Report", "old-ns"),
            managed(OPENREPORTS, "Report", "monitoring"),
            foreign("old-ns"),
        ],
    );
    let printed = documents(&out(&env.audit(&["-o", "policyreport"])));
    let o = env.audit(&["--apply-reports", "-o", "json"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let audit: Value = serde_json::from_str(&out(&o)).expect("the audit's own output");
    assert_eq!(audit["summary"]["documents"], 7);
    assert!(
        err(&o).contains("applied 4 openreports.io/v1alpha1 Report(s) (default/dsguard, kube-system/dsguard, logging/dsguard, monitoring/dsguard); deleted 1 stale (old-ns/dsguard)"),
        "{}",
        err(&o)
    );
    let requests = take_requests(&env);
    let summary: Vec<(String, String)> = requests
        .iter()
        .map(|r| (r.method.clone(), r.path().to_string()))
        .collect();
    let p = |m: &str, path: &str| (m.to_string(), path.to_string());
    assert_eq!(
        summary,
        [
            p("GET", "/apis/openreports.io/v1alpha1/reports"),
            p(
                "PATCH",
                "/apis/openreports.io/v1alpha1/namespaces/default/reports/dsguard"
            ),
            p(
                "PATCH",
                "/apis/openreports.io/v1alpha1/namespaces/kube-system/reports/dsguard"
            ),
            p(
                "PATCH",
                "/apis/openreports.io/v1alpha1/namespaces/logging/reports/dsguard"
            ),
            p(
                "PATCH",
                "/apis/openreports.io/v1alpha1/namespaces/monitoring/reports/dsguard"
            ),
            p(
                "DELETE",
                "/apis/openreports.io/v1alpha1/namespaces/old-ns/reports/dsguard"
            ),
        ],
        "list dsguard's reports, apply one per namespace, delete the one of a namespace without DaemonSets"
    );
    assert_eq!(
        requests[0].query().get("labelSelector").map(String::as_str),
        Some("app.kubernetes.io/managed-by=dsguard"),
        "only dsguard's reports are listed"
    );
    for (r, want) in requests[1..5].iter().zip(&printed) {
        assert_eq!(r.content_type, "application/apply-patch+yaml");
        let q = r.query();
        assert_eq!(q.get("fieldManager").map(String::as_str), Some("dsguard"));
        assert_eq!(q.get("force").map(String::as_str), Some("true"));
        assert_eq!(
            without_timestamps(r.body.clone()),
            without_timestamps(want.clone()),
            "the body is the whole report --output policyreport prints"
        );
        check_report(&r.body, OPENREPORTS, now() - 60, now());
    }
    assert_eq!(
        requests[5].body,
        json!({}),
        "plain DeleteOptions: no dry run, no preconditions"
    );
    // What the cluster holds now: dsguard's four reports, the monitoring one replaced (the
    // gone DaemonSet's result with it), and the other tool's report untouched.
    let stored = env.api.reports.lock().unwrap().clone();
    let mut held: Vec<(String, String)> = stored
        .iter()
        .map(|r| {
            (
                r["metadata"]["namespace"].as_str().unwrap().to_string(),
                r["metadata"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    held.sort();
    assert_eq!(
        held,
        [
            ("default".to_string(), "dsguard".to_string()),
            ("kube-system".into(), "dsguard".into()),
            ("logging".into(), "dsguard".into()),
            ("monitoring".into(), "dsguard".into()),
            ("old-ns".into(), "kyverno-scan".into()),
        ]
    );
    let monitoring = stored
        .iter()
        .find(|r| r["metadata"]["namespace"] == "monitoring")
        .unwrap();
    assert!(
        monitoring["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["resources"][0]["name"] != "gone")
    );

    // A partial audit (-n, or -l) applies its namespaces and deletes nothing: it cannot
    // tell a namespace without DaemonSets from one it did not look at.
    seed(
        &env,
        vec![managed(OPENREPORTS, "Report", "old-ns"), foreign("old-ns")],
    );
    for extra in [vec!["-n", "logging"], vec!["-l", "k8s-app=fluentd-logging"]] {
        let mut args = vec!["--apply-reports"];
        args.extend(&extra);
        let o = env.audit(&args);
        assert_eq!(code(&o), 0, "{extra:?}: {}", err(&o));
        let requests = take_requests(&env);
        let summary: Vec<(String, String)> = requests
            .iter()
            .map(|r| (r.method.clone(), r.path().to_string()))
            .collect();
        assert_eq!(
            summary,
            [p(
                "PATCH",
                "/apis/openreports.io/v1alpha1/namespaces/logging/reports/dsguard"
            )],
            "{extra:?}"
        );
        assert!(out(&o).contains("2 DaemonSets: 2 passed"), "{}", out(&o));
    }
    assert!(
        env.api
            .reports
            .lock()
            .unwrap()
            .iter()
            .any(|r| r["metadata"]["namespace"] == "old-ns" && r["metadata"]["name"] == "dsguard"),
        "kept"
    );
}

#[test]
fn apply_reports_writes_wgpolicy_reports_when_asked() {
    let env = env(cluster());
    seed(&env, vec![managed(WGPOLICY, "PolicyReport", "old-ns")]);
    let o = env.audit(&["--apply-reports", "--policyreport-api", WGPOLICY]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(
        err(&o).contains("applied 4 wgpolicyk8s.io/v1alpha2 PolicyReport(s)"),
        "{}",
        err(&o)
    );
    let requests = take_requests(&env);
    let paths: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.path()))
        .collect();
    assert_eq!(
        paths,
        [
            "GET /apis/wgpolicyk8s.io/v1alpha2/policyreports",
            "PATCH /apis/wgpolicyk8s.io/v1alpha2/namespaces/default/policyreports/dsguard",
            "PATCH /apis/wgpolicyk8s.io/v1alpha2/namespaces/kube-system/policyreports/dsguard",
            "PATCH /apis/wgpolicyk8s.io/v1alpha2/namespaces/logging/policyreports/dsguard",
            "PATCH /apis/wgpolicyk8s.io/v1alpha2/namespaces/monitoring/policyreports/dsguard",
            "DELETE /apis/wgpolicyk8s.io/v1alpha2/namespaces/old-ns/policyreports/dsguard",
        ]
    );
    for r in &requests[1..5] {
        assert_eq!(r.content_type, "application/apply-patch+yaml");
        check_report(&r.body, WGPOLICY, now() - 60, now());
        assert_eq!(r.body["kind"], "PolicyReport");
    }
}

#[test]
fn a_missing_crd_is_said_with_what_to_do_and_exits_2() {
    let env = env(cluster());
    env.api.reports_installed.store(false, Ordering::SeqCst);
    // A `Status` body, and the plain text a path without a handler gets.
    for (text, extra, first) in [
        (false, vec![], "GET /apis/openreports.io/v1alpha1/reports"),
        (true, vec![], "GET /apis/openreports.io/v1alpha1/reports"),
        (
            false,
            vec!["-n", "logging"],
            "PATCH /apis/openreports.io/v1alpha1/namespaces/logging/reports/dsguard",
        ),
        (
            true,
            vec!["-n", "logging"],
            "PATCH /apis/openreports.io/v1alpha1/namespaces/logging/reports/dsguard",
        ),
    ] {
        env.api
            .reports_missing_as_text
            .store(text, Ordering::SeqCst);
        let mut args = vec!["--apply-reports", "-o", "json"];
        args.extend(&extra);
        let o = env.audit(&args);
        assert_eq!(code(&o), 2, "{extra:?}: {}", err(&o));
        assert_eq!(
            err(&o).trim_end(),
            "dsguard: the openreports.io/v1alpha1 Report CRD is not installed in this cluster: install it (kubectl apply -f https://raw.githubusercontent.com/openreports/reports-api/refs/heads/main/config/install.yaml) or use --policyreport-api wgpolicyk8s.io/v1alpha2",
            "{extra:?}"
        );
        assert!(
            out(&o).is_empty(),
            "{extra:?}: no report when the run fails"
        );
        let requests = take_requests(&env);
        assert_eq!(requests.len(), 1, "{extra:?}: nothing after the 404");
        assert_eq!(
            format!("{} {}", requests[0].method, requests[0].path()),
            first
        );
    }
    let o = env.audit(&["--apply-reports", "--policyreport-api", WGPOLICY]);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("the wgpolicyk8s.io/v1alpha2 PolicyReport CRD is not installed in this cluster: install it (kubectl apply -f https://raw.githubusercontent.com/kubernetes-sigs/wg-policy-prototypes/master/policy-report/crd/v1alpha2/wgpolicyk8s.io_policyreports.yaml) or use --policyreport-api openreports.io/v1alpha1"),
        "{}",
        err(&o)
    );
}
