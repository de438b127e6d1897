//! The CLI through the built binary: exit codes, every output format, stdin, directories,
//! configuration errors, and bad input that must be reported without a panic.

use serde_json::Value;

use crate::{code, dsguard, dsguard_in, err, out, root};

const GOOD: &[&str] = &[
    "examples/node-exporter.yaml",
    "examples/kindnet.yaml",
    "examples/fluentd.yaml",
    "examples/busybox-demo.yaml",
];

#[test]
fn good_examples_pass_with_exit_0() {
    let mut args = vec!["validate"];
    args.extend(GOOD);
    let o = dsguard(&args, None);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    assert!(
        out(&o).ends_with("4 files, 5 documents: 4 passed, 0 failed, 1 skipped (4 DaemonSets)\n"),
        "{}",
        out(&o)
    );
    assert!(out(&o).contains(
        "examples/busybox-demo.yaml:26: skip default/busybox-settings: ConfigMap is not a DaemonSet"
    ));
}

#[test]
fn directory_with_broken_examples_exits_1_with_file_and_line() {
    let o = dsguard(&["validate", "examples/"], None);
    assert_eq!(code(&o), 1);
    let text = out(&o);
    assert!(text.contains("examples/broken/selector-mismatch.yaml:13: error[selector-mismatch] monitoring/node-exporter: spec.template.metadata.labels: Invalid value: {\"app\":\"node-exporter-v2\"}: `selector` does not match template `labels`; add `app: node-exporter` to spec.template.metadata.labels"), "{text}");
    assert!(
        text.contains(
            "examples/broken/from-deployment.yaml:10: error[deployment-field] web: spec.replicas:"
        ),
        "{text}"
    );
    assert!(
        text.contains("examples/broken/not-yaml.yaml:6: error[parse]"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "8 files, 9 documents: 4 passed, 4 failed, 1 skipped (7 DaemonSets, 1 unreadable)\n"
        ),
        "{text}"
    );
}

#[test]
fn json_output_has_the_documented_shape() {
    let o = dsguard(
        &[
            "validate",
            "--output",
            "json",
            "examples/broken/selector-mismatch.yaml",
            "examples/busybox-demo.yaml",
        ],
        None,
    );
    assert_eq!(code(&o), 1);
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(
        v["summary"],
        serde_json::json!({"files": 2, "documents": 3, "daemonsets": 2, "passed": 1, "failed": 1, "skipped": 1, "unreadable": 0})
    );
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["summary", "results"]);
    let first = &v["results"][0];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "file",
            "document",
            "line",
            "apiVersion",
            "kind",
            "name",
            "namespace",
            "status",
            "violations"
        ]
    );
    assert_eq!(first["status"], "fail");
    assert_eq!(
        first["violations"][0],
        serde_json::json!({"rule": "selector-mismatch", "severity": "error", "path": "spec.template.metadata.labels", "line": 13,
            "message": "Invalid value: {\"app\":\"node-exporter-v2\"}: `selector` does not match template `labels`; add `app: node-exporter` to spec.template.metadata.labels"})
    );
    assert_eq!(v["results"][2]["status"], "skip");
    assert_eq!(v["results"][2]["kind"], "ConfigMap");
    assert_eq!(v["results"][2]["document"], 1);
}

#[test]
fn junit_output_parses_back() {
    use quick_xml::events::Event;
    let o = dsguard(&["validate", "-o", "junit", "examples/"], None);
    assert_eq!(code(&o), 1);
    let xml = out(&o);
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures, mut skipped, mut suites) = (0, 0, 0, 0);
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "testsuite" => suites += 1,
                "testcase" => cases += 1,
                "failure" => failures += 1,
                "skipped" => skipped += 1,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!((suites, cases, failures, skipped), (8, 9, 4, 1));
}

#[test]
fn sarif_output_is_valid_against_the_sarif_schema() {
    let schema_path = std::env::var("DSGUARD_SARIF_SCHEMA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root().join("target/test-deps/sarif-schema.json"));
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run scripts/test-deps.sh first",
                schema_path.display()
            )
        }))
        .unwrap();
    // The published schema's `language` patterns have a stray `]` that Rust's regex engine
    // refuses; language tags are not what this test is about, so that pattern is
    // replaced by the intended `xx` or `xx-XX`.
    let broken = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    let text = serde_json::to_string(&schema).unwrap().replace(
        &serde_json::to_string(broken).unwrap(),
        "\"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$\"",
    );
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let o = dsguard(&["validate", "--output", "sarif", "examples/"], None);
    assert_eq!(code(&o), 1);
    let log: Value = serde_json::from_str(&out(&o)).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path().as_str()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = log["runs"][0]["results"].as_array().unwrap();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), dsguard::policy::RuleId::ALL.len());
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        assert!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                >= 1
        );
    }
    assert!(results.iter().any(|r| r["ruleId"] == "selector-mismatch"
        && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            == "examples/broken/selector-mismatch.yaml"));
}

#[test]
fn stdin_is_read_with_dash() {
    let input = std::fs::read(root().join("examples/broken/selector-mismatch.yaml")).unwrap();
    let o = dsguard(&["validate", "-"], Some(&input));
    assert_eq!(code(&o), 1);
    assert!(
        out(&o).starts_with("<stdin>:13: error[selector-mismatch]"),
        "{}",
        out(&o)
    );
}

#[test]
fn usage_and_configuration_errors_exit_2() {
    let o = dsguard(&["validate", "does/not/exist.yaml"], None);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("does/not/exist.yaml"), "{}", err(&o));
    let o = dsguard(&["validate", "--output", "xml", "examples/"], None);
    assert_eq!(code(&o), 2);
    let o = dsguard(&["validate"], None);
    assert_eq!(code(&o), 2);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        "rules:\n  image-latest: error\n  no-such-rule: off\n",
    )
    .unwrap();
    let o = dsguard_in(
        dir.path(),
        &["validate", "--config", "c.yaml", "-"],
        Some(b""),
    );
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("c.yaml:3: key `rules.no-such-rule`: unknown rule id"),
        "{}",
        err(&o)
    );
}

#[test]
fn configuration_changes_severities_through_flag_and_env() {
    /// The severity `validate -o json` gives the image-latest finding of the first result.
    fn image_latest_severity(o: &std::process::Output) -> String {
        let v: Value = serde_json::from_str(&out(o)).unwrap();
        let found = v["results"][0]["violations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["rule"] == "image-latest");
        found.expect("an image-latest finding")["severity"]
            .as_str()
            .unwrap()
            .to_string()
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("strict.yaml"),
        "rules:\n  image-latest: error\n",
    )
    .unwrap();
    let manifest = root().join("examples/broken/from-deployment.yaml");
    let m = manifest.to_str().unwrap();
    let o = dsguard_in(dir.path(), &["validate", "-o", "json", m], None);
    assert_eq!(image_latest_severity(&o), "warning", "the default");
    let o = dsguard_in(
        dir.path(),
        &["validate", "--config", "strict.yaml", "-o", "json", m],
        None,
    );
    assert_eq!(image_latest_severity(&o), "error", "--config is read");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_dsguard"))
        .args(["validate", "-o", "json", m])
        .current_dir(dir.path())
        .env("DSGUARD_CONFIG", "strict.yaml")
        .output()
        .unwrap();
    assert_eq!(image_latest_severity(&o), "error", "DSGUARD_CONFIG is read");
}

/// Bad input is reported with file, document and line; the run goes on; nothing panics.
#[test]
fn bad_input_is_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let valid = std::fs::read_to_string(root().join("examples/busybox-demo.yaml")).unwrap();
    let mut bomb = String::from("kind: ConfigMap\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let r = format!("*a{}", i - 1);
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", [r.as_str(); 10].join(", ")));
    }
    let files: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "a-broken.yaml",
            format!("kind: [\n---\n{valid}").into_bytes(),
            "YAML syntax error",
        ),
        (
            "b-utf8.yaml",
            b"kind: DaemonSet\nmetadata:\n  name: \xff\xfe\n".to_vec(),
            "not valid UTF-8",
        ),
        (
            "c-binary.yaml",
            vec![0x7f, b'E', b'L', b'F', 0, 0, 1, 2],
            "binary file",
        ),
        (
            "d-scalar.yaml",
            b"just a string\n".to_vec(),
            "document is a scalar",
        ),
        ("e-list.yaml", b"- a\n- b\n".to_vec(), "document is a list"),
        (
            "f-nokind.yaml",
            b"apiVersion: v1\nmetadata: {name: x}\n".to_vec(),
            "document has no `kind`",
        ),
        ("g-bomb.yaml", bomb.into_bytes(), "alias bomb"),
        (
            "h-deep.json",
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            "deeper than 128",
        ),
        (
            "i-big.yaml",
            {
                let mut v = b"kind: ConfigMap\ndata:\n".to_vec();
                let line = format!("  k: {}\n", "x".repeat(1000));
                while v.len() < 50 * 1024 * 1024 {
                    v.extend_from_slice(line.as_bytes());
                }
                v
            },
            "the API server refuses objects over 3 MiB",
        ),
    ];
    for (name, bytes, _) in &files {
        std::fs::write(p.join(name), bytes).unwrap();
    }
    let o = dsguard_in(p, &["validate", "-o", "json", "."], None);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(
        err(&o).is_empty(),
        "no panic or other noise on stderr: {}",
        err(&o)
    );
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    let results = v["results"].as_array().unwrap();
    for (name, _, needle) in &files {
        let r = results
            .iter()
            .find(|r| r["file"].as_str().unwrap().ends_with(name) && r["status"] == "fail")
            .unwrap_or_else(|| panic!("{name} is reported: {results:#?}"));
        let v0 = &r["violations"][0];
        assert_eq!(v0["rule"], "parse", "{name}");
        assert!(
            v0["message"].as_str().unwrap().contains(needle),
            "{name}: {v0}"
        );
        assert!(v0["line"].as_u64().unwrap() >= 1, "{name}");
    }
    // The valid documents after the broken one in the same file are still checked.
    let same_file: Vec<&Value> = results
        .iter()
        .filter(|r| r["file"].as_str().unwrap().ends_with("a-broken.yaml"))
        .collect();
    assert_eq!(same_file.len(), 3);
    assert_eq!(same_file[1]["status"], "pass");
    assert_eq!(same_file[1]["line"], 4);
    assert_eq!(same_file[2]["status"], "skip");
}

#[test]
fn mutate_fixes_what_validate_names() {
    let o = dsguard(&["mutate", "examples/broken/from-deployment.yaml"], None);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let fixed = out(&o);
    assert!(
        !fixed.contains("replicas") && !fixed.contains("strategy") && !fixed.contains("status"),
        "{fixed}"
    );
    assert!(
        fixed.contains("node-role.kubernetes.io/control-plane")
            && fixed.contains("kubernetes.io/os: linux"),
        "{fixed}"
    );
    let v = dsguard(&["validate", "-o", "json", "-"], Some(fixed.as_bytes()));
    let r: Value = serde_json::from_str(&out(&v)).unwrap();
    assert_eq!(r["results"][0]["status"], "pass", "{r:#}");
    let again = dsguard(&["mutate", "-"], Some(fixed.as_bytes()));
    assert_eq!(out(&again), fixed, "mutate is idempotent through the CLI");
    let patch = dsguard(&["mutate", "-o", "patch", "-"], Some(fixed.as_bytes()));
    let p: Value = serde_json::from_str(&out(&patch)).unwrap();
    assert_eq!(p[0]["patch"], serde_json::json!([]));
}

#[test]
fn mutate_output_formats() {
    let o = dsguard(
        &[
            "mutate",
            "-o",
            "patch",
            "examples/broken/from-deployment.yaml",
            "examples/busybox-demo.yaml",
        ],
        None,
    );
    let p: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(p.as_array().unwrap().len(), 3);
    assert_eq!(
        p[0]["patch"],
        serde_json::json!([
            {"op": "remove", "path": "/spec/replicas"},
            {"op": "remove", "path": "/spec/strategy"},
            {"op": "remove", "path": "/status"},
            {"op": "add", "path": "/spec/template/spec/tolerations", "value": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}]},
            {"op": "add", "path": "/spec/template/spec/nodeSelector", "value": {"kubernetes.io/os": "linux"}}
        ])
    );
    assert_eq!(p[2]["kind"], "ConfigMap");
    assert_eq!(
        p[2]["patch"],
        serde_json::json!([]),
        "other kinds are untouched"
    );
    let o = dsguard(
        &["mutate", "-o", "json", "examples/busybox-demo.yaml"],
        None,
    );
    let list: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"][1]["data"]["greeting"], "hello");
    let o = dsguard(
        &[
            "mutate",
            "--diff",
            "examples/kindnet.yaml",
            "examples/fluentd.yaml",
        ],
        None,
    );
    assert_eq!(code(&o), 0);
    let diff = out(&o);
    assert!(
        !diff.contains("kindnet.yaml"),
        "kindnet needs nothing: {diff}"
    );
    assert!(
        diff.contains("--- examples/fluentd.yaml")
            && diff.contains("+        kubernetes.io/os: linux"),
        "{diff}"
    );
    let o = dsguard(&["mutate", "examples/broken/not-yaml.yaml"], None);
    assert_eq!(code(&o), 1);
    assert!(
        err(&o).contains("examples/broken/not-yaml.yaml:6: error[parse]"),
        "{}",
        err(&o)
    );
}

#[test]
fn unreadable_entries_in_a_directory_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.yaml"), "kind: ConfigMap\n").unwrap();
    // A link loop: walking it fails, and the failure must be reported, not skipped.
    std::os::unix::fs::symlink(".", dir.path().join("loop")).unwrap();
    let o = dsguard_in(dir.path(), &["validate", "-o", "json", "."], None);
    assert_eq!(code(&o), 1, "{}", out(&o));
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    let failed: Vec<&Value> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
        .collect();
    assert_eq!(failed.len(), 1, "{v:#}");
    assert!(failed[0]["file"].as_str().unwrap().contains("loop"));
    assert_eq!(failed[0]["violations"][0]["rule"], "parse");
    assert!(
        failed[0]["violations"][0]["message"]
            .as_str()
            .unwrap()
            .contains("symbolic link loop"),
        "{v:#}"
    );
}

/// Hostile values inside a well-formed DaemonSet, through the binary: each is a finding at
/// its field (or accepted, as the API server accepts it), and nothing panics. (Whether the
/// webhook agrees is `props::review_denials_equal_validate_errors_minus_decoding`'s.)
#[test]
fn hostile_values_are_findings_at_their_fields() {
    let env: Vec<Value> = (0..10_000)
        .map(|i| serde_json::json!({"name": format!("VAR_{i}"), "value": "x"}))
        .collect();
    // Projected volumes nested as deep as the API allows (they cannot nest), with many
    // sources, and a downward API item path with a `..` element.
    let sources: Vec<Value> = (0..2_000)
        .map(|i| serde_json::json!({"configMap": {"name": format!("c{i}"), "items": [{"key": "k", "path": format!("p{i}")}]}}))
        .chain([serde_json::json!({"downwardAPI": {"items": [{"path": "../x", "fieldRef": {"fieldPath": "metadata.name"}}]}})])
        .collect();
    let ds = serde_json::json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "hostile", "namespace": "kube-system", "labels": {"app": "ağent"}},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {
                "containers": [{
                    "name": "agent", "image": "agent:1.0", "env": env,
                    "resources": {"requests": {"cpu": "1e1000000", "memory": "20Mi"}},
                    "ports": [{"containerPort": "BIG"}],
                    "volumeMounts": [{"name": "cfg", "mountPath": "/cfg"}],
                }],
                "volumes": [{"name": "cfg", "projected": {"sources": sources}}],
                "hostname": "ünïcode",
            }},
        },
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.json");
    // An integer beyond 64 bits, which serde_json's Value cannot hold: written as text.
    let text = serde_json::to_string_pretty(&ds)
        .unwrap()
        .replace(r#""BIG""#, "99999999999999999999");
    std::fs::write(&file, text).unwrap();
    let o = dsguard(&["validate", "-o", "json", file.to_str().unwrap()], None);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(err(&o).is_empty(), "{}", err(&o));
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    let found: Vec<String> = v["results"][0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            format!(
                "[{}] {}",
                v["rule"].as_str().unwrap(),
                v["path"].as_str().unwrap()
            )
        })
        .collect();
    for want in [
        "[label-invalid] metadata.labels",
        // Beyond 64 bits: a decoding error at the field (the API server answers 400).
        "[schema] spec.template.spec.containers[0].ports[0].containerPort",
        // Go's path has no item index here (validateProjectionSources).
        "[pod-spec] spec.template.spec.volumes[0].projected.sources[2000].downwardAPI.path",
        "[pod-spec] spec.template.spec.hostname",
    ] {
        assert!(
            found.iter().any(|f| f == want),
            "{want} missing from {found:#?}"
        );
    }
    // 1e1000000 CPU is a quantity the API server accepts (capped at 2^63-1) and 10,000
    // distinct env vars are valid: neither is reported.
    assert!(
        !found
            .iter()
            .any(|f| f.contains("resources") || f.contains(".env")),
        "{found:#?}"
    );
}

/// What a new user trips on: a path with no manifest, a missing configuration file.
#[test]
fn empty_directories_and_missing_configuration_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("README.md"), "not a manifest").unwrap();
    let e = empty.to_str().unwrap();
    for args in [vec!["validate", e], vec!["mutate", e]] {
        let o = dsguard(&args, None);
        assert_eq!(code(&o), 2, "{args:?}: a wrong path in CI must not pass");
        assert_eq!(
            err(&o),
            format!(
                "dsguard: {e}: no manifest (*.yaml, *.yml, *.json) under this directory; check the path, or pass --allow-empty if an empty directory is expected\n"
            )
        );
    }
    let o = dsguard(&["validate", "--allow-empty", e], None);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(
        out(&o),
        "0 files, 0 documents: 0 passed, 0 failed, 0 skipped (0 DaemonSets)\n"
    );
    // A configuration file that does not exist: no line number, and what to do.
    let missing = dir.path().join("dsguard.yaml");
    let m = missing.to_str().unwrap();
    let o = dsguard(&["validate", "--config", m, e, "--allow-empty"], None);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).starts_with(&format!(
            "dsguard: configuration error: {m}: cannot read the configuration: "
        )) && err(&o).contains("leave it out for the embedded defaults"),
        "{}",
        err(&o)
    );
}

/// `dsguard completions bash`, loaded into a real bash, completes commands and flags.
#[test]
fn bash_completion_completes_commands_and_flags() {
    let o = dsguard(&["completions", "bash"], None);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("dsguard.bash");
    std::fs::write(&script, out(&o)).unwrap();
    // What bash's programmable completion does on TAB: set COMP_* and call the function.
    let complete = |line: &str| {
        let words: Vec<&str> = line.split(' ').collect();
        let program = format!(
            "source {script}\nCOMP_WORDS=({words})\nCOMP_CWORD={cword}\nCOMP_LINE='{line}'\nCOMP_POINT=${{#COMP_LINE}}\n_dsguard dsguard '{cur}' '{prev}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
            script = script.display(),
            words = words
                .iter()
                .map(|w| format!("'{w}'"))
                .collect::<Vec<_>>()
                .join(" "),
            cword = words.len() - 1,
            cur = words[words.len() - 1],
            prev = words[words.len() - 2],
        );
        let o = std::process::Command::new("bash")
            .args(["--noprofile", "--norc", "-c", &program])
            .output()
            .expect("bash runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    assert_eq!(complete("dsguard val"), "validate\n");
    assert!(complete("dsguard validate --allow").contains("--allow-empty"));
    assert!(complete("dsguard serve --tls-").contains("--tls-cert"));
    let shells = complete("dsguard completions ");
    for shell in ["bash", "zsh", "fish", "powershell"] {
        assert!(shells.contains(shell), "{shells}");
    }
}

/// `dsguard man` renders dsguard(1) naming every command, and each command's own page.
#[test]
fn man_pages_render_for_dsguard_and_each_command() {
    let o = dsguard(&["man"], None);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let page = out(&o);
    assert!(page.contains(".TH dsguard 1"), "{page}");
    for command in [
        "validate", "mutate", "review", "serve", "certs", "audit", "policies",
    ] {
        assert!(
            page.contains(&format!("dsguard\\-{command}(1)")),
            "{command}"
        );
        let o = dsguard(&["man", command], None);
        assert_eq!(code(&o), 0, "{}", err(&o));
        assert!(
            out(&o).contains(&format!(".TH dsguard-{command} 1")),
            "{}",
            out(&o)
        );
    }
    let o = dsguard(&["man", "nope"], None);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("no command \"nope\"; one of: validate, mutate"));
}

/// The progress line: on a terminal's stderr (stdout to a file) it is drawn and erased at the
/// end; with CI set, or stderr not a terminal, nothing. `script` gives the run a terminal.
#[test]
fn progress_shows_only_on_a_terminal_and_never_in_ci() {
    let dir = tempfile::tempdir().unwrap();
    let manifests = dir.path().join("m");
    std::fs::create_dir(&manifests).unwrap();
    let example = std::fs::read(root().join("examples/node-exporter.yaml")).unwrap();
    for i in 0..50 {
        std::fs::write(manifests.join(format!("f{i:02}.yaml")), &example).unwrap();
    }
    let bin = env!("CARGO_BIN_EXE_dsguard");
    let report = dir.path().join("report.txt");
    let line = format!(
        "{bin} validate {} > {}",
        manifests.display(),
        report.display()
    );
    let under_pty = |ci: bool| crate::under_pty(&line, ci);
    let terminal = under_pty(false);
    assert!(
        terminal.contains("dsguard: 1 of 50 files, 1 documents checked"),
        "{terminal:?}"
    );
    assert!(
        terminal.ends_with("\r\x1b[2K"),
        "erased at the end: {terminal:?}"
    );
    let summary = std::fs::read_to_string(&report).unwrap();
    assert!(
        !summary.contains("checked"),
        "stdout never holds it: {summary}"
    );
    assert_eq!(under_pty(true), "", "CI output never holds it");
    // Not a terminal: stderr is empty.
    let o = dsguard(&["validate", manifests.to_str().unwrap()], None);
    assert_eq!(code(&o), 0);
    assert_eq!(err(&o), "");
}

/// A reader that goes away (`dsguard … | head`): an error message and exit 2, never a panic.
#[test]
fn a_closed_stdout_is_an_error_not_a_panic() {
    let fixture = root().join("tests/fixtures/admission/create-pod-template-mistakes.request.json");
    let examples = root().join("examples");
    let commands: [&[&str]; 5] = [
        &["review", "validate", fixture.to_str().unwrap()],
        &["man"],
        &["completions", "bash"],
        &["policies"],
        &["validate", examples.to_str().unwrap()],
    ];
    for args in commands {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dsguard"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The read end closes before the child has read its input and written anything.
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        if o.status.code() == Some(2) {
            assert!(stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        }
    }
}
