//! `dsguard validate --previous`: each DaemonSet checked as an update of its previous
//! version from files, from a git revision (a real repository made here with the git CLI),
//! and from the cluster (the in-test API server of audit.rs).

use serde_json::{Value, json};

use crate::audit::{env, example, live};
use crate::{code, dsguard_in, err, git, out};

/// A DaemonSet manifest as YAML text: `selector` labels, the same labels on the template
/// plus `extra`.
fn manifest(
    name: &str,
    namespace: Option<&str>,
    selector: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> String {
    let ns = namespace
        .map(|n| format!("  namespace: {n}\n"))
        .unwrap_or_default();
    let sel: String = selector
        .iter()
        .map(|(k, v)| format!("      {k}: \"{v}\"\n"))
        .collect();
    let labels: String = selector
        .iter()
        .chain(extra)
        .map(|(k, v)| format!("        {k}: \"{v}\"\n"))
        .collect();
    format!(
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: {name}\n{ns}spec:\n  selector:\n    matchLabels:\n{sel}  template:\n    metadata:\n      labels:\n{labels}    spec:\n      containers:\n      - name: agent\n        image: registry.example/agent:1.0\n        resources:\n          requests: {{cpu: 10m, memory: 16Mi}}\n      nodeSelector:\n        kubernetes.io/os: linux\n      tolerations:\n      - key: node-role.kubernetes.io/control-plane\n        operator: Exists\n        effect: NoSchedule\n"
    )
}

fn json_of(o: &std::process::Output) -> Value {
    serde_json::from_str(&out(o)).unwrap_or_else(|e| panic!("{e}: {}\n{}", out(o), err(o)))
}

/// The rule ids found for each DaemonSet name, from `-o json`.
fn rules_by_name(v: &Value) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut rules: Vec<String> = r["violations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["rule"].as_str().unwrap().to_string())
                .collect();
            rules.sort();
            (r["name"].as_str().unwrap_or("").to_string(), rules)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn previous_files_find_a_changed_selector() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    std::fs::create_dir_all(&old).unwrap();
    std::fs::create_dir_all(&new).unwrap();
    std::fs::write(
        old.join("a.yaml"),
        manifest("agent", Some("ops"), &[("app", "agent")], &[]),
    )
    .unwrap();
    std::fs::write(
        new.join("a.yaml"),
        manifest(
            "agent",
            Some("ops"),
            &[("app", "agent"), ("tier", "node")],
            &[],
        ),
    )
    .unwrap();
    let o = dsguard_in(dir.path(), &["validate", "--previous", "old", "new"], None);
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(
        out(&o).contains("error[selector-immutable] ops/agent: spec.selector: Invalid value: {\"matchLabels\":{\"app\":\"agent\",\"tier\":\"node\"}}: field is immutable"),
        "{}",
        out(&o)
    );
    let o = dsguard_in(dir.path(), &["validate", "new"], None);
    assert_eq!(
        code(&o),
        0,
        "without --previous the new manifest alone is valid: {}",
        out(&o)
    );
}

#[test]
fn a_namespace_given_with_n_matches_manifests_that_name_none() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("old.yaml"),
        manifest("agent", Some("ops"), &[("app", "agent")], &[]),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("new.yaml"),
        manifest("agent", None, &[("app", "agent2")], &[]),
    )
    .unwrap();
    let o = dsguard_in(
        dir.path(),
        &["validate", "--previous", "old.yaml", "new.yaml"],
        None,
    );
    assert_eq!(
        code(&o),
        0,
        "in `default`, not `ops`: a new object: {}",
        out(&o)
    );
    let o = dsguard_in(
        dir.path(),
        &[
            "validate",
            "--previous",
            "old.yaml",
            "-n",
            "ops",
            "new.yaml",
            "-o",
            "json",
        ],
        None,
    );
    assert_eq!(code(&o), 1);
    let v = json_of(&o);
    assert_eq!(
        rules_by_name(&v),
        vec![(
            "agent".to_string(),
            vec![
                "previous-selector-mismatch".to_string(),
                "selector-immutable".to_string()
            ]
        )]
    );
}

#[test]
fn previous_git_revision_handles_renames_moves_deletions_and_new_files() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let m = repo.join("manifests");
    std::fs::create_dir_all(&m).unwrap();
    git(repo, &["init", "-q", "-b", "main"]);
    std::fs::write(
        m.join("agent.yaml"),
        manifest("agent", Some("ops"), &[("app", "agent")], &[]),
    )
    .unwrap();
    std::fs::write(
        m.join("mover.yaml"),
        manifest("mover", Some("a"), &[("app", "mover")], &[]),
    )
    .unwrap();
    std::fs::write(
        m.join("gone.yaml"),
        manifest("gone", Some("ops"), &[("app", "gone")], &[]),
    )
    .unwrap();
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "old"]);
    // Renamed and changed; moved to another namespace with another selector; deleted; new.
    git(
        repo,
        &["mv", "manifests/agent.yaml", "manifests/node-agent.yaml"],
    );
    std::fs::write(
        m.join("node-agent.yaml"),
        manifest(
            "agent",
            Some("ops"),
            &[("app", "agent"), ("helm.sh/chart", "agent-1.2.3")],
            &[],
        ),
    )
    .unwrap();
    std::fs::write(
        m.join("mover.yaml"),
        manifest("mover", Some("b"), &[("app", "moved")], &[]),
    )
    .unwrap();
    std::fs::remove_file(m.join("gone.yaml")).unwrap();
    std::fs::write(
        m.join("fresh.yaml"),
        manifest("fresh", Some("ops"), &[("app", "fresh")], &[]),
    )
    .unwrap();
    let o = dsguard_in(
        repo,
        &[
            "validate",
            "--previous",
            "git:HEAD",
            "manifests",
            "-o",
            "json",
        ],
        None,
    );
    assert_eq!(code(&o), 1, "{}\n{}", out(&o), err(&o));
    let v = json_of(&o);
    assert_eq!(
        rules_by_name(&v),
        vec![
            (
                "agent".to_string(),
                vec![
                    "selector-immutable".to_string(),
                    "selector-volatile-label".to_string()
                ]
            ),
            ("fresh".to_string(), vec![]),
            ("mover".to_string(), vec![]),
        ],
        "the renamed file is matched by namespace and name; a move to another namespace is a new object"
    );
    // A single file path at the revision, from a subdirectory, and a revision that is missing.
    let o = dsguard_in(
        &m,
        &["validate", "--previous", "git:HEAD", "fresh.yaml"],
        None,
    );
    assert_eq!(
        code(&o),
        0,
        "a file that did not exist then has no previous version: {}",
        err(&o)
    );
    let o = dsguard_in(
        repo,
        &["validate", "--previous", "git:no-such-rev", "manifests"],
        None,
    );
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("--previous: git"), "{}", err(&o));
}

#[test]
fn previous_cluster_lists_once_per_namespace() {
    let mut old = example("node-exporter");
    old["metadata"]["name"] = json!("agent");
    let old_selector = old["spec"]["selector"].clone();
    let env = env(vec![
        live(old.clone(), "ops", 1, json!({})),
        live(example("fluentd"), "logging", 2, json!({})),
    ]);
    let mut new = old.clone();
    new["metadata"]["namespace"] = json!("ops");
    new["spec"]["selector"]["matchLabels"]["tier"] = json!("node");
    new["spec"]["template"]["metadata"]["labels"]["tier"] = json!("node");
    let mut other = example("fluentd");
    other["metadata"]["namespace"] = json!("logging");
    let text = format!("{}\n---\n{}", new, other);
    let file = env.dir.path().join("new.yaml");
    std::fs::write(&file, text).unwrap();
    let o = crate::dsguard(
        &[
            "validate",
            "--previous",
            "cluster",
            "--kubeconfig",
            env.kubeconfig.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code(&o), 1, "{}\n{}", out(&o), err(&o));
    assert!(
        out(&o).contains("error[selector-immutable] ops/agent"),
        "{}",
        out(&o)
    );
    assert!(
        !out(&o).contains("logging/fluentd: spec.selector"),
        "unchanged: {}",
        out(&o)
    );
    let mut requests = env.requests();
    requests.sort();
    assert_eq!(requests.len(), 2, "one list per namespace: {requests:?}");
    assert!(
        requests[0].starts_with("/apis/apps/v1/namespaces/logging/daemonsets"),
        "{requests:?}"
    );
    assert!(
        requests[1].starts_with("/apis/apps/v1/namespaces/ops/daemonsets"),
        "{requests:?}"
    );
    assert!(old_selector.is_object());
}
