//! `--kubernetes-version` through the built binary: a field added in a later release is an
//! unknown field for an older cluster (validate and audit), and a version dsguard has no
//! schema of is a usage error that lists the ones it has.

use serde_json::json;

use crate::{code, dsguard, err, out, root};

/// A DaemonSet with pod-level `resources` (Kubernetes 1.32) and `hostnameOverride` (1.34).
const NEWER_FIELDS: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: monitoring
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      resources:
        limits: {cpu: 500m, memory: 128Mi}
      hostnameOverride: agent
      nodeSelector: {kubernetes.io/os: linux}
      tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]
      containers:
      - name: agent
        image: registry.example/agent:1.0.0
        resources:
          requests: {cpu: 10m, memory: 32Mi}
          limits: {memory: 64Mi}
";

fn unknown(line: usize, path: &str) -> String {
    format!(
        "<stdin>:{line}: error[unknown-field] monitoring/agent: {path}: unknown field \"{path}\"; check the spelling and the indentation, or remove it\n"
    )
}

fn validate(extra: &[&str]) -> std::process::Output {
    let mut args = vec!["validate"];
    args.extend(extra);
    args.push("-");
    dsguard(&args, Some(NEWER_FIELDS.as_bytes()))
}

#[test]
fn a_field_added_after_the_version_is_unknown_there() {
    for default in [
        &[][..],
        &["--kubernetes-version", "latest"],
        &["--kubernetes-version", "1.37"],
    ] {
        let o = validate(default);
        assert_eq!(code(&o), 0, "{default:?}: {}{}", out(&o), err(&o));
        assert!(!out(&o).contains("unknown-field"), "{}", out(&o));
    }

    let o = validate(&["--kubernetes-version", "1.30"]);
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    let text = out(&o);
    assert!(
        text.starts_with(&format!(
            "{}{}",
            unknown(13, "spec.template.spec.resources"),
            unknown(15, "spec.template.spec.hostnameOverride")
        )),
        "{text}"
    );
    assert_eq!(text.matches("error[").count(), 2, "{text}");

    // 1.32 has pod-level resources, not hostnameOverride; 1.34 has both. Patch releases
    // and a leading v, as `kubectl version` prints them, name the same schema.
    for (version, findings) in [
        ("1.31", 2),
        ("v1.32", 1),
        ("1.33.7", 1),
        ("v1.34.1", 0),
        ("1.36", 0),
    ] {
        let o = validate(&["--kubernetes-version", version]);
        assert_eq!(
            out(&o).matches("error[unknown-field]").count(),
            findings,
            "{version}: {}",
            out(&o)
        );
        assert_eq!(code(&o), i32::from(findings > 0), "{version}");
        if findings == 1 {
            assert!(
                out(&o).starts_with(&unknown(15, "spec.template.spec.hostnameOverride")),
                "{}",
                out(&o)
            );
        }
    }

    // The machine-readable outputs carry the same finding.
    let o = validate(&["--kubernetes-version", "1.30", "-o", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    let violations = &report["results"][0]["violations"];
    assert_eq!(violations[0]["rule"], "unknown-field", "{report}");
    assert_eq!(violations[0]["path"], "spec.template.spec.resources");
    assert_eq!(violations[0]["line"], 13);
}

#[test]
fn the_version_can_come_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agent.yaml");
    std::fs::write(&file, NEWER_FIELDS).unwrap();
    let run = |version: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dsguard"))
            .args(["validate", file.to_str().unwrap()])
            .current_dir(root())
            .env_remove("DSGUARD_CONFIG")
            .env_remove("DSGUARD_OUTPUT")
            .env("NO_COLOR", "1")
            .env("DSGUARD_KUBERNETES_VERSION", version)
            .output()
            .unwrap()
    };
    let o = run("1.33");
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    assert!(
        out(&o)
            .contains("error[unknown-field] monitoring/agent: spec.template.spec.hostnameOverride"),
        "{}",
        out(&o)
    );
    let o = run("1.0");
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(
        err(&o).contains("Kubernetes 1.0 is not supported"),
        "{}",
        err(&o)
    );
}

#[test]
fn unsupported_versions_exit_2_listing_the_supported() {
    for (version, what) in [
        ("1.29", "Kubernetes 1.29 is not supported"),
        ("2.0", "Kubernetes 2.0 is not supported"),
        ("1.38", "Kubernetes 1.38 is not supported"),
        ("abc", "\"abc\" is not a Kubernetes version"),
    ] {
        for command in ["validate", "audit"] {
            let mut args = vec![command, "--kubernetes-version", version];
            if command == "validate" {
                args.push("examples/kindnet.yaml");
            }
            let o = dsguard(&args, None);
            assert_eq!(code(&o), 2, "{command} {version}: {}", err(&o));
            assert_eq!(out(&o), "");
            let e = err(&o);
            assert!(
                e.contains(&format!(
                    "invalid value '{version}' for '--kubernetes-version <VERSION>': {what}; dsguard knows the DaemonSet schema of Kubernetes 1.30, 1.31, 1.32, 1.33, 1.34, 1.35, 1.36, 1.37 (as 1.N, v1.N or 1.N.PATCH), or latest (1.37)"
                )),
                "{command} {version}: {e}"
            );
        }
    }
    let o = dsguard(&["validate", "--help"], None);
    let help = out(&o).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("(1.30 to 1.37, or latest)") && help.contains("[default: latest]"),
        "{help}"
    );
}

/// `audit` checks the live objects against the cluster version's schema, as `validate`
/// checks files.
#[test]
fn audit_checks_live_objects_against_the_version() {
    let doc = dsguard::manifest::read_documents(NEWER_FIELDS.as_bytes())
        .into_iter()
        .next()
        .unwrap()
        .content
        .unwrap()
        .value;
    let status = json!({"currentNumberScheduled": 1, "desiredNumberScheduled": 1, "numberAvailable": 1,
        "numberMisscheduled": 0, "numberReady": 1, "observedGeneration": 2, "updatedNumberScheduled": 1});
    let env = crate::audit::env(vec![crate::audit::live(doc, "monitoring", 1, status)]);
    let o = env.audit(&[]);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    let o = env.audit(&["--kubernetes-version", "1.33"]);
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    assert!(
        out(&o).contains(
            "error[unknown-field] monitoring/agent: spec.template.spec.hostnameOverride: unknown field"
        ),
        "{}",
        out(&o)
    );
    assert_eq!(out(&o).matches("error[").count(), 1, "{}", out(&o));
}
