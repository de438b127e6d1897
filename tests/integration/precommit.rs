//! `.pre-commit-hooks.yaml` with the real pre-commit framework (PyPI, installed by
//! scripts/test-deps.sh): in a temporary git repository, a commit with a broken DaemonSet is
//! refused with the finding shown, the fixer hook fixes a file in place, and a good commit
//! passes. The `-system` hooks are used (the dsguard under test, on PATH); the cargo-built
//! hooks differ only in how pre-commit installs the binary.

use std::path::Path;
use std::process::{Command, Output};

use crate::root;

fn run(dir: &Path, program: &str, args: &[&str], path: &str, home: &Path) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", home)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const BROKEN: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agnet}
    spec:
      containers:
        - name: agent
          image: agent:1.0
";

#[test]
fn hooks_refuse_a_broken_daemonset_fix_leftovers_and_pass_a_good_one() {
    let pre_commit = root().join("target/test-deps/venv/bin/pre-commit");
    assert!(
        pre_commit.exists(),
        "{} is missing: run scripts/test-deps.sh",
        pre_commit.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_dsguard")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let home = tmp.path().join("pre-commit-home");
    let git = |dir: &Path, args: &[&str]| {
        let o = run(dir, "git", args, &path, &home);
        assert!(o.status.success(), "git {args:?}: {}", text(&o));
        o
    };
    // The hook repository: this repository's hooks file, committed.
    let hooks = tmp.path().join("hooks");
    std::fs::create_dir(&hooks).unwrap();
    std::fs::copy(
        root().join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "."]);
    git(&hooks, &["commit", "-q", "-m", "hooks"]);
    let rev = String::from_utf8(git(&hooks, &["rev-parse", "HEAD"]).stdout).unwrap();
    // The project using them.
    let project = tmp.path().join("project");
    std::fs::create_dir_all(project.join("deploy")).unwrap();
    std::fs::write(
        project.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: dsguard-mutate-system\n        files: ^deploy/\n      - id: dsguard-validate-system\n        files: ^deploy/\n",
            hooks.display(),
            rev.trim()
        ),
    )
    .unwrap();
    git(&project, &["init", "-q"]);
    let o = run(
        &project,
        pre_commit.to_str().unwrap(),
        &["install"],
        &path,
        &home,
    );
    assert!(o.status.success(), "{}", text(&o));
    git(&project, &["add", ".pre-commit-config.yaml"]);
    git(&project, &["commit", "-q", "-m", "config"]);

    // A DaemonSet whose selector does not select its template: refused, the finding shown.
    std::fs::write(project.join("deploy/agent.yaml"), BROKEN).unwrap();
    git(&project, &["add", "deploy/agent.yaml"]);
    let o = run(&project, "git", &["commit", "-m", "agent"], &path, &home);
    assert!(!o.status.success(), "a broken DaemonSet is committed");
    let shown = text(&o);
    assert!(
        shown.contains("deploy/agent.yaml:10: error[selector-mismatch]"),
        "{shown}"
    );

    // Deployment leftovers: the fixer removes them (and adds the defaults) in place, which
    // stops the commit; the fixed file then passes.
    let fixed_labels = BROKEN.replace("app: agnet", "app: agent");
    let with_leftovers =
        fixed_labels.replace("spec:\n  selector", "spec:\n  replicas: 1\n  selector");
    std::fs::write(project.join("deploy/agent.yaml"), &with_leftovers).unwrap();
    git(&project, &["add", "deploy/agent.yaml"]);
    let o = run(&project, "git", &["commit", "-m", "agent"], &path, &home);
    assert!(!o.status.success(), "the fixer's changes stop the commit");
    assert!(
        text(&o).contains("files were modified by this hook"),
        "{}",
        text(&o)
    );
    let after = std::fs::read_to_string(project.join("deploy/agent.yaml")).unwrap();
    assert!(!after.contains("replicas"), "{after}");
    assert!(
        after.contains("node-role.kubernetes.io/control-plane"),
        "{after}"
    );

    git(&project, &["add", "deploy/agent.yaml"]);
    let o = run(&project, "git", &["commit", "-m", "agent"], &path, &home);
    assert!(
        o.status.success(),
        "a good DaemonSet is committed: {}",
        text(&o)
    );
}
