//! Property tests: arbitrary JSON never panics the engine; patches always apply and
//! mutate(mutate(x)) adds nothing.

use dsguard::policy::{
    Checks, MutateMode, Node, Policy, RuleId, Severity, mutate, mutate_node, validate,
    validate_node,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z0-9./:_%-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("spec".to_string()),
                    Just("template".to_string()),
                    Just("selector".to_string()),
                    Just("matchLabels".to_string()),
                    Just("matchExpressions".to_string()),
                    Just("containers".to_string()),
                    Just("tolerations".to_string()),
                    Just("nodeSelector".to_string()),
                    Just("metadata".to_string()),
                    Just("labels".to_string()),
                    Just("updateStrategy".to_string()),
                    Just("rollingUpdate".to_string()),
                    Just("maxUnavailable".to_string()),
                    Just("maxSurge".to_string()),
                    Just("key".to_string()),
                    Just("operator".to_string()),
                    Just("values".to_string()),
                    Just("replicas".to_string()),
                    "[a-z~/]{1,6}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// DaemonSets with varied tolerations, nodeSelectors, affinity, leftovers, namespaces and
/// exemption annotations.
fn arb_daemonset() -> impl Strategy<Value = Value> {
    let toleration = (
        prop_oneof![
            Just(""),
            Just("node-role.kubernetes.io/control-plane"),
            Just("other")
        ],
        prop_oneof![Just(""), Just("Exists"), Just("Equal")],
        prop_oneof![Just(""), Just("NoSchedule"), Just("NoExecute")],
    )
        .prop_map(|(k, o, e)| json!({"key": k, "operator": o, "effect": e}));
    (
        prop::option::of(prop::collection::vec(toleration, 0..3)),
        prop::option::of(prop::collection::btree_map(prop_oneof![Just("kubernetes.io/os".to_string()), Just("a/b~c".to_string())], "[a-z]{1,5}", 0..2)),
        any::<bool>(),
        any::<bool>(),
        (
            arb_json(),
            prop_oneof![
                Just(json!({"name": "x"})),
                Just(json!({"name": "x", "namespace": "kube-system"})),
                Just(json!({"name": "x", "annotations": {"dsguard.io/exempt": "true", "a": "b"}})),
                Just(json!({"name": "x", "annotations": {"dsguard.io/exempt": "false"}})),
            ],
        ),
        prop::collection::vec(
            (
                prop_oneof![Just(json!("i")), Just(json!("i:1")), Just(json!("r:5000/i:latest")), Just(json!("")), Just(json!(5))],
                prop_oneof![Just(json!(null)), Just(json!({"requests": {"cpu": "1m"}})), Just(json!({"limits": {"cpu": "1", "memory": "1Mi"}}))],
            ),
            0..3,
        ),
    )
        .prop_map(|(tols, sel, affinity, leftovers, (extra, metadata), containers)| {
            let containers: Vec<Value> = containers
                .into_iter()
                .map(|(image, resources)| json!({"name": "c", "image": image, "resources": resources}))
                .collect();
            let mut pod = json!({"containers": containers, "extra": extra});
            if let Some(t) = tols {
                pod["tolerations"] = json!(t);
            }
            if let Some(s) = sel {
                pod["nodeSelector"] = json!(s);
            }
            if affinity {
                pod["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}]}}});
            }
            let mut ds = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": metadata,
                "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}, "spec": pod}}});
            if leftovers {
                ds["spec"]["replicas"] = json!(2);
                ds["status"] = json!({"replicas": 2});
            }
            ds
        })
}

fn check_patch(obj: &Value, mode: MutateMode) -> Result<(), TestCaseError> {
    let policy = Policy::default();
    let patch = mutate(obj, &policy, mode);
    let mut fixed = obj.clone();
    prop_assert!(
        json_patch::patch(&mut fixed, &patch).is_ok(),
        "patch applies: {patch:?} to {obj}"
    );
    let again = mutate(&fixed, &policy, mode);
    prop_assert!(again.0.is_empty(), "idempotent: {again:?} after {patch:?}");
    Ok(())
}

/// The policy rules at error severity, so that a difference would deny.
fn strict_policy() -> Policy {
    let mut policy = Policy::default();
    for rule in [RuleId::ImageLatest, RuleId::ResourcesMissing] {
        policy.severities.insert(rule, Severity::Error);
    }
    policy.exempt_namespaces = vec!["kube-system".into()];
    policy
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_json_never_panics(v in arb_json(), old in arb_json()) {
        let policy = Policy::default();
        let _ = validate(&v, Some(&old), &policy, Checks::OFFLINE);
        let mut ds = v.clone();
        if let Value::Object(m) = &mut ds {
            m.insert("kind".into(), json!("DaemonSet"));
        }
        let _ = validate(&ds, None, &policy, Checks::OFFLINE);
        check_patch(&v, MutateMode::Offline)?;
        check_patch(&ds, MutateMode::Admission)?;
    }

    /// The webhook reads a pruned object (policy::fields::WEBHOOK at the validating
    /// endpoint, the much smaller policy::fields::MUTATE at the mutating one); their answers
    /// must be those the full object gives.
    #[test]
    fn pruned_object_gives_the_same_webhook_answers(ds in arb_daemonset(), v in arb_json()) {
        for obj in [ds, v] {
            let full = Node::from(&obj);
            let pruned = dsguard::policy::fields::WEBHOOK.apply(&obj);
            let for_mutate = dsguard::policy::fields::MUTATE.apply(&obj);
            for policy in [Policy::default(), strict_policy()] {
                prop_assert_eq!(
                    validate_node(&full, None, &policy, Checks::ADMISSION),
                    validate_node(&pruned, None, &policy, Checks::ADMISSION)
                );
                prop_assert_eq!(
                    serde_json::to_value(mutate_node(&full, &policy, MutateMode::Admission)).unwrap(),
                    serde_json::to_value(mutate_node(&pruned, &policy, MutateMode::Admission)).unwrap()
                );
                prop_assert_eq!(policy.skip_reason(&full), policy.skip_reason(&pruned));
                for mode in [MutateMode::Admission, MutateMode::Offline] {
                    prop_assert_eq!(
                        serde_json::to_value(mutate_node(&full, &policy, mode)).unwrap(),
                        serde_json::to_value(mutate_node(&for_mutate, &policy, mode)).unwrap()
                    );
                }
                prop_assert_eq!(policy.skip_reason(&full), policy.skip_reason(&for_mutate));
                prop_assert_eq!(full.is_object(), for_mutate.is_object());
            }
        }
    }

    #[test]
    fn daemonset_patches_apply_and_are_idempotent(ds in arb_daemonset()) {
        check_patch(&ds, MutateMode::Offline)?;
        check_patch(&ds, MutateMode::Admission)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The manifest reader never panics, whatever the bytes.
    #[test]
    fn arbitrary_input_never_panics_the_reader(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        text in "([a-z]{1,4}|: |- |\n|  |\\[|\\]|\\{|\\}|,|&a|\\*a|<<|---|'|\"|#|!!str |\\?|\\||>|0x1|~|\t){0,80}",
    ) {
        let _ = dsguard::manifest::read_documents(&bytes);
        for entry in dsguard::manifest::read_documents(text.as_bytes()) {
            if let Ok(obj) = entry.content {
                let _ = validate(&obj.value, None, &Policy::default(), Checks::OFFLINE);
            }
        }
    }
}

/// Mistakes people make in DaemonSets (each a JSON pointer and the value put there), from
/// the API server's pod template validation, the apps rules and the policy rules.
const MISTAKES: &[(&str, &str)] = &[
    (
        "/spec/template/spec/containers/0/resources",
        r#"{"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}"#,
    ),
    (
        "/spec/template/spec/containers/0/imagePullPolicy",
        r#""always""#,
    ),
    (
        "/spec/template/spec/containers/0/volumeMounts",
        r#"[{"name": "logs", "mountPath": "/var/log"}]"#,
    ),
    (
        "/spec/template/spec/containers/0/livenessProbe",
        r#"{"periodSeconds": 10}"#,
    ),
    (
        "/spec/template/spec/containers/0/ports",
        r#"[{"containerPort": 70000, "hostPort": 9100}]"#,
    ),
    (
        "/spec/template/spec/containers/0/env",
        r#"[{"name": "A", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]"#,
    ),
    (
        "/spec/template/spec/containers/0/image",
        r#""nginx:latest""#,
    ),
    (
        "/spec/template/spec/containers/0/resources/requests/memory",
        r#""12Gb""#,
    ),
    (
        "/spec/template/spec/dnsPolicy",
        r#""ClusterFirstWithHostnet""#,
    ),
    (
        "/spec/template/spec/volumes",
        r#"[{"name": "Var_Log", "hostPath": {"path": "/var/log", "type": "Dir"}}]"#,
    ),
    (
        "/spec/template/spec/tolerations",
        r#"[{"operator": "Equal", "value": "x"}]"#,
    ),
    (
        "/spec/template/spec/nodeSelector",
        r#"{"kubernetes.io/os": "linux os"}"#,
    ),
    (
        "/spec/template/spec/securityContext",
        r#"{"runAsUser": -1, "sysctls": [{"name": "net.core.somaxconn", "value": "1"}]}"#,
    ),
    ("/spec/template/spec/hostNetwork", "true"),
    ("/spec/template/metadata/labels/app", r#""other""#),
    (
        "/spec/template/metadata/annotations",
        r#"{"controller.kubernetes.io/pod-deletion-cost": "x"}"#,
    ),
    ("/spec/selector", r#"{"matchLabels": {}}"#),
    (
        "/spec/updateStrategy",
        r#"{"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}}"#,
    ),
    ("/spec/updateStrategy", r#"{"type": "Rolling"}"#),
    ("/spec/minReadySeconds", "-1"),
    ("/spec/replicas", "3"),
    ("/spec/template/spec/containers/0/unknownField", "1"),
    ("/metadata/labels", r#"{"a/b/c": "x"}"#),
    ("/metadata/name", r#""Node_Exporter""#),
];

fn arb_faulty_daemonset() -> impl Strategy<Value = Value> {
    prop::sample::subsequence((0..MISTAKES.len()).collect::<Vec<_>>(), 0..5)
        .prop_map(|picked| faulty_daemonset(&picked))
}

/// A healthy DaemonSet with the mistakes `picked` (indices into [`MISTAKES`]) made.
fn faulty_daemonset(picked: &[usize]) -> Value {
    {
        let mut ds = json!({
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "agent", "namespace": "kube-system"},
            "spec": {
                "selector": {"matchLabels": {"app": "agent"}},
                "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {
                    "containers": [{"name": "agent", "image": "agent:1.0",
                        "resources": {"requests": {"cpu": "10m", "memory": "20Mi"}}}]}}}});
        for &i in picked {
            let (pointer, value) = MISTAKES[i];
            let value: Value = serde_json::from_str(value).unwrap();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            if let Some(Value::Object(m)) = ds.pointer_mut(parent) {
                m.insert(key.to_string(), value);
            }
        }
        ds
    }
}

/// What a face reports as an error: rule, path and message.
fn errors<'a>(items: impl Iterator<Item = (RuleId, Severity, &'a str, &'a str)>) -> Vec<String> {
    let mut v: Vec<String> = items
        .filter(|(_, s, _, _)| *s == Severity::Error)
        .map(|(r, _, p, m)| format!("[{r}] {p}: {m}"))
        .collect();
    v.sort();
    v
}

const DECODING: [RuleId; 4] = [
    RuleId::Parse,
    RuleId::Schema,
    RuleId::UnknownField,
    RuleId::DeploymentField,
];

/// `ds` as `dsguard validate` sees it in a file, and as the validating webhook sees it in a
/// CREATE review: (every offline violation, offline errors but the decoding rules, the
/// review's allowed flag, the errors listed in the review's message).
fn both_faces(ds: &Value) -> (usize, Vec<String>, bool, Vec<String>) {
    let policy = Policy::default();
    let text = serde_json::to_string_pretty(ds).unwrap();
    let entries = dsguard::manifest::read_documents(text.as_bytes());
    assert_eq!(entries.len(), 1);
    let offline = dsguard::check::validate_entry("ds.json", &entries[0], &policy, None);
    let want = errors(
        offline
            .violations
            .iter()
            .filter(|v| !DECODING.contains(&v.rule))
            .map(|v| (v.rule, v.severity, v.path.as_str(), v.message.as_str())),
    );
    let review = json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": "u", "operation": "CREATE", "name": ds["metadata"]["name"],
            "namespace": "kube-system",
            "kind": {"group": "apps", "version": "v1", "kind": "DaemonSet"},
            "resource": {"group": "apps", "version": "v1", "resource": "daemonsets"},
            "object": ds,
        }
    });
    let body = serde_json::to_vec(&review).unwrap();
    let answer =
        dsguard::admission::review_bytes(&body, dsguard::admission::Endpoint::Validate, &policy)
            .unwrap();
    let r = &answer.response.response;
    let message = r
        .status
        .as_ref()
        .map(|s| s.message.clone())
        .unwrap_or_default();
    // The message is a header line, then one line per error.
    let mut got: Vec<String> = message.lines().skip(1).map(str::to_string).collect();
    got.sort();
    (offline.violations.len(), want, r.allowed, got)
}

#[test]
fn each_generated_mistake_is_found_and_both_faces_agree() {
    for (i, (pointer, _)) in MISTAKES.iter().enumerate() {
        let ds = faulty_daemonset(&[i]);
        let (found, want, allowed, got) = both_faces(&ds);
        // hostNetwork is a mistake only with the ports and sysctls above.
        let fine_alone = *pointer == "/spec/template/spec/hostNetwork";
        assert_eq!(found > 0, !fine_alone, "{pointer}: {want:?}");
        assert_eq!(allowed, want.is_empty(), "{pointer}");
        assert_eq!(got, want, "{pointer}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// One verdict: the validating webhook (`review validate`, `POST /validate`) denies with
    /// exactly the errors `dsguard validate` reports for the same DaemonSet as a file, but
    /// for the decoding rules (the API server decoded the object before calling).
    #[test]
    fn review_denials_equal_validate_errors_minus_decoding(ds in arb_faulty_daemonset()) {
        let (_, want, allowed, got) = both_faces(&ds);
        prop_assert_eq!(allowed, want.is_empty());
        prop_assert_eq!(got, want);
    }
}

/// The corpus the fuzzers found (tests/fuzz-corpus, minimized with libFuzzer's -merge),
/// replayed as the fuzz targets run it: every body through both endpoints, every file
/// through the reader, validation and mutation, whose patch must apply. A crash the
/// fuzzers find is added there and so stays a regression test.
#[test]
fn fuzz_corpus_replays_without_panic() {
    let policy = Policy::default();
    let dir = crate::root().join("tests/fuzz-corpus");
    let mut count = 0;
    for entry in std::fs::read_dir(dir.join("review")).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        for endpoint in [
            dsguard::admission::Endpoint::Validate,
            dsguard::admission::Endpoint::Mutate,
        ] {
            if let Ok(reviewed) = dsguard::admission::review_bytes(&data, endpoint, &policy) {
                let r = &reviewed.response.response;
                assert!(r.allowed || r.status.as_ref().is_some_and(|s| !s.message.is_empty()));
            }
        }
        count += 1;
    }
    for entry in std::fs::read_dir(dir.join("manifest")).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        for doc in dsguard::manifest::read_documents(&data) {
            if let Ok(obj) = doc.content {
                let _ = validate(&obj.value, Some(&obj.value), &policy, Checks::OFFLINE);
                let patch = mutate(&obj.value, &policy, MutateMode::Offline);
                let mut fixed = obj.value.clone();
                assert!(json_patch::patch(&mut fixed, &patch).is_ok(), "{patch:?}");
            }
        }
        count += 1;
    }
    assert!(count > 1000, "the corpus is missing: {count} files");
}
