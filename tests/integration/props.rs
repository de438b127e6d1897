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

/// DaemonSets with varied tolerations, nodeSelectors, affinity and leftovers.
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
        arb_json(),
        prop::collection::vec(
            (
                prop_oneof![Just(json!("i")), Just(json!("i:1")), Just(json!("r:5000/i:latest")), Just(json!("")), Just(json!(5))],
                prop_oneof![Just(json!(null)), Just(json!({"requests": {"cpu": "1m"}})), Just(json!({"limits": {"cpu": "1", "memory": "1Mi"}}))],
            ),
            0..3,
        ),
    )
        .prop_map(|(tols, sel, affinity, leftovers, extra, containers)| {
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
            let mut ds = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "x"},
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

    /// The webhook reads a pruned object (policy::fields::WEBHOOK); its answers must be
    /// those the full object gives.
    #[test]
    fn pruned_object_gives_the_same_webhook_answers(ds in arb_daemonset(), v in arb_json()) {
        for obj in [ds, v] {
            let full = Node::from(&obj);
            let pruned = dsguard::policy::fields::WEBHOOK.apply(&obj);
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
