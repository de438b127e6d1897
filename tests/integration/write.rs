//! `dsguard mutate --write`: files fixed in place, only the lines the patch changes
//! differ, checked with real kubectl output, git and `kubectl apply --dry-run=client`.

use std::path::Path;

use crate::{code, dsguard_in, err, git, out};

/// The seed workflow's DaemonSet, written to `dir/web.yaml`.
fn seed(dir: &Path) -> String {
    let text = crate::kubectl::seed_daemonset();
    std::fs::write(dir.join("web.yaml"), &text).unwrap();
    text
}

#[test]
fn the_seed_workflow_is_fixed_in_place_with_a_minimal_git_diff() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let before = seed(d);
    git(d, &["init", "-q"]);
    git(d, &["add", "web.yaml"]);
    git(d, &["commit", "-q", "-m", "seed"]);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(d.join("web.yaml"), std::fs::Permissions::from_mode(0o640)).unwrap();

    let o = dsguard_in(d, &["mutate", "--write", "web.yaml"], None);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(err(&o), "web.yaml: fixed 1 document\n");
    assert_eq!(out(&o), "", "--write prints nothing on stdout");
    let diff = git(d, &["diff", "-U0", "--no-color"]);
    let hunks: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with(['+', '-']) && !l.starts_with("+++") && !l.starts_with("---"))
        .collect();
    assert_eq!(
        hunks,
        vec![
            "-  replicas: 1",
            "-  strategy: {}",
            "-status: {}",
            "+      nodeSelector:",
            "+        kubernetes.io/os: linux",
            "+      tolerations:",
            "+      - key: node-role.kubernetes.io/control-plane",
            "+        operator: Exists",
            "+        effect: NoSchedule",
        ],
        "only the lines the patch changes:\n{diff}"
    );
    assert!(!before.is_empty());
    let mode = std::fs::metadata(d.join("web.yaml"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o640, "permissions kept");

    // Idempotent: a second run changes nothing and says nothing.
    let after = std::fs::read_to_string(d.join("web.yaml")).unwrap();
    let o = dsguard_in(d, &["mutate", "--write", "web.yaml"], None);
    assert_eq!(code(&o), 0);
    assert_eq!(err(&o), "");
    assert_eq!(std::fs::read_to_string(d.join("web.yaml")).unwrap(), after);

    // The written file passes validate and kubectl's own client-side apply.
    let o = dsguard_in(d, &["validate", "web.yaml"], None);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let addr = crate::fake_discovery::start(
        "apps",
        "v1",
        vec![crate::fake_discovery::Kind {
            plural: "daemonsets",
            kind: "DaemonSet",
            namespaced: true,
            schema: schemars::schema_for!(k8s_openapi::api::apps::v1::DaemonSet),
        }],
        200,
    );
    let applied =
        crate::fake_discovery::apply_dry_run(d, addr, &std::fs::read(d.join("web.yaml")).unwrap());
    assert_eq!(applied.trim(), "daemonset.apps/web");
}

#[test]
fn stdout_and_diff_come_from_the_same_text_and_stdin_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = "# the agent\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent  # keep me\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {app: agent}\n  template:\n    metadata:\n      labels: {app: agent}\n    spec:\n      containers:\n        - name: agent\n          image: \"registry.example/agent:1.0\"\n      nodeSelector: {kubernetes.io/os: linux}\n      tolerations:\n        - operator: Exists\n";
    std::fs::write(d.join("a.yaml"), text).unwrap();
    let printed = dsguard_in(d, &["mutate", "-"], Some(text.as_bytes()));
    assert_eq!(code(&printed), 0, "{}", err(&printed));
    let want = text.replace("  replicas: 3\n", "");
    assert_eq!(
        out(&printed),
        want,
        "comments, quoting, list indentation and flow maps kept"
    );
    let diff = dsguard_in(d, &["mutate", "--diff", "a.yaml"], None);
    assert_eq!(
        out(&diff),
        "--- a.yaml\n+++ a.yaml\n@@ -4,7 +4,6 @@\n metadata:\n   name: agent  # keep me\n spec:\n-  replicas: 3\n   selector:\n     matchLabels: {app: agent}\n   template:\n"
    );
    let o = dsguard_in(d, &["mutate", "--write", "-"], Some(text.as_bytes()));
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("stdin has no file to write"),
        "{}",
        err(&o)
    );
    assert_eq!(
        std::fs::read_to_string(d.join("a.yaml")).unwrap(),
        text,
        "--diff writes nothing"
    );
}

#[test]
fn an_unreadable_document_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = "kind: DaemonSet\nmetadata: {name: broken}\nspec: [unclosed\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ok}\nspec:\n  paused: false\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers: [{name: c, image: c:1}]\n      nodeSelector: {kubernetes.io/os: linux}\n      tolerations: [{operator: Exists}]\n";
    std::fs::write(d.join("two.yaml"), text).unwrap();
    let o = dsguard_in(d, &["mutate", "-w", "two.yaml"], None);
    assert_eq!(code(&o), 1, "a document that cannot be read fails the run");
    assert!(
        err(&o).contains("two.yaml:4: error[parse] document 0"),
        "{}",
        err(&o)
    );
    let after = std::fs::read_to_string(d.join("two.yaml")).unwrap();
    assert_eq!(
        after,
        text.replace("  paused: false\n", ""),
        "the broken document stays byte for byte"
    );
}
