//! The seed workflow with the real kubectl: generate a Deployment, change the kind,
//! `dsguard mutate -`, and `dsguard validate -` passes.

use std::process::Command;

use crate::{code, dsguard, err, out};

pub(crate) fn kubectl(args: &[&str]) -> String {
    let o = Command::new("kubectl")
        .args(args)
        .output()
        .expect("kubectl is installed (scripts/test-deps.sh checks it)");
    assert!(
        o.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// The seed workflow's input: `kubectl create deployment web --image=nginx:1.27
/// --dry-run=client -o yaml` with the kind changed to DaemonSet, as the README does it.
pub(crate) fn seed_daemonset() -> String {
    kubectl(&[
        "create",
        "deployment",
        "web",
        "--image=nginx:1.27",
        "--dry-run=client",
        "-o",
        "yaml",
    ])
    .replace("kind: Deployment", "kind: DaemonSet")
}

#[test]
fn kubectl_create_deployment_to_daemonset() {
    let as_ds = seed_daemonset();
    let before = dsguard(&["validate", "-o", "json", "-"], Some(as_ds.as_bytes()));
    assert_eq!(
        code(&before),
        1,
        "the leftovers are errors: {}",
        out(&before)
    );
    let report: serde_json::Value = serde_json::from_str(&out(&before)).unwrap();
    let rules: Vec<&str> = report["results"][0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["deployment-field", "deployment-field", "resources-missing"],
        "{report:#}"
    );
    let fixed = dsguard(&["mutate", "-"], Some(as_ds.as_bytes()));
    assert_eq!(code(&fixed), 0, "{}", err(&fixed));
    let after = dsguard(&["validate", "-"], Some(&fixed.stdout));
    assert_eq!(code(&after), 0, "{}", out(&after));
    // kubectl itself can read what mutate prints.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, &fixed.stdout).unwrap();
    // `--local` reads and prints the file without an API server.
    let round = kubectl(&[
        "label",
        "--local",
        "-f",
        file.to_str().unwrap(),
        "checked=yes",
        "-o",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&round).unwrap();
    assert_eq!(v["kind"], "DaemonSet");
    assert_eq!(
        v["spec"]["template"]["spec"]["nodeSelector"]["kubernetes.io/os"],
        "linux"
    );
}
