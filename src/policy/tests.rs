//! Rule table: each row changes a valid DaemonSet and names the violations expected, with
//! the exact path and message. A row with no expected violation is a passing case.

use serde_json::{Value, json};

use super::*;

fn base() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "node-exporter", "namespace": "monitoring", "labels": {"app": "node-exporter"}},
        "spec": {
            "selector": {"matchLabels": {"app": "node-exporter"}},
            "template": {
                "metadata": {"labels": {"app": "node-exporter"}},
                "spec": {"containers": [{"name": "node-exporter", "image": "prom/node-exporter:v1.3.1",
                    "ports": [{"name": "metrics", "containerPort": 9100}],
                    "resources": {"requests": {"cpu": "100m", "memory": "180Mi"}}}]}
            }
        }
    })
}

fn run(obj: &Value, old: Option<&Value>) -> Vec<(RuleId, String, String)> {
    validate(obj, old, &Policy::default(), Checks::OFFLINE)
        .into_iter()
        .map(|v| (v.rule, v.path.to_string(), v.message))
        .collect()
}

fn set(obj: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = obj
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no parent {parent}"));
    match parent {
        Value::Object(m) => {
            if value.is_null() {
                m.remove(key);
            } else {
                m.insert(key.replace("~1", "/"), value);
            }
        }
        Value::Array(a) => a[key.parse::<usize>().unwrap()] = value,
        _ => panic!("not a container"),
    }
}

/// (changes, expected [(rule, path, message)], why). `Value::Null` removes a field.
type Row = (
    Vec<(&'static str, Value)>,
    Vec<(RuleId, &'static str, &'static str)>,
    &'static str,
);

#[test]
fn rule_table() {
    let rows: Vec<Row> = vec![
        (vec![], vec![], "the base object is valid"),
        (
            vec![("/spec/selector", Value::Null)],
            vec![(
                RuleId::SelectorMissing,
                "spec.template.metadata.labels",
                "Invalid value: {\"app\":\"node-exporter\"}: `selector` does not match template `labels`; spec.selector is missing: add spec.selector.matchLabels with the pod template's identifying labels",
            )],
            "selector-missing",
        ),
        (
            vec![("/spec/selector", json!({}))],
            vec![(
                RuleId::SelectorEmpty,
                "spec.selector",
                "Invalid value: {}: empty selector is invalid for daemonset; add spec.selector.matchLabels with the pod template's identifying labels",
            )],
            "selector-empty: no mismatch is reported for an empty selector",
        ),
        (
            vec![(
                "/metadata/ownerReferences",
                json!([
                    {"apiVersion": "v1", "kind": "Node", "name": "n", "uid": "u1", "controller": true},
                    {"uid": "u1", "name": "n", "kind": "Node", "controller": true, "apiVersion": "v1"},
                ]),
            )],
            vec![],
            "identical owner references are deduplicated before validation (dedupOwnerReferences)",
        ),
        (
            vec![(
                "/metadata/ownerReferences",
                json!([
                    {"apiVersion": "v1", "kind": "Node", "name": "n", "uid": "u1", "controller": true},
                    {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d", "uid": "u2", "controller": true},
                    {"apiVersion": "v1", "kind": "Event", "name": "e", "uid": "u3"},
                ]),
            )],
            vec![
                (
                    RuleId::MetadataInvalid,
                    "metadata.ownerReferences",
                    "Invalid value: [{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\"n\",\"uid\":\"u1\",\"controller\":true},{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"d\",\"uid\":\"u2\",\"controller\":true},{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"name\":\"e\",\"uid\":\"u3\"}]: Only one reference can have Controller set to true. Found \"true\" in references for Node/n and Deployment/d",
                ),
                (
                    RuleId::MetadataInvalid,
                    "metadata.ownerReferences[2]",
                    "Invalid value: {\"apiVersion\":\"v1\",\"kind\":\"Event\",\"name\":\"e\",\"uid\":\"u3\"}: /v1, Kind=Event is disallowed from being an owner",
                ),
            ],
            "two controllers (reported at the second); an Event as owner (after it, in Go's order)",
        ),
        (
            vec![(
                "/spec/template/metadata/labels",
                json!({"app": "node-exporter-v2"}),
            )],
            vec![(
                RuleId::SelectorMismatch,
                "spec.template.metadata.labels",
                "Invalid value: {\"app\":\"node-exporter-v2\"}: `selector` does not match template `labels`; add `app: node-exporter` to spec.template.metadata.labels",
            )],
            "selector-mismatch on matchLabels",
        ),
        (
            vec![(
                "/spec/selector/matchExpressions",
                json!([{"key": "tier", "operator": "In", "values": ["node", "system"]}]),
            )],
            vec![(
                RuleId::SelectorMismatch,
                "spec.template.metadata.labels",
                "Invalid value: {\"app\":\"node-exporter\"}: `selector` does not match template `labels`; set `tier` to one of node,system in spec.template.metadata.labels",
            )],
            "selector-mismatch on an In expression",
        ),
        (
            vec![(
                "/spec/selector/matchExpressions",
                json!([{"key": "tier", "operator": "DoesNotExist"}, {"key": "app", "operator": "Exists"}, {"key": "app", "operator": "NotIn", "values": ["x"]}]),
            )],
            vec![],
            "DoesNotExist, Exists and NotIn that the labels satisfy",
        ),
        (
            vec![(
                "/spec/selector/matchExpressions",
                json!([{"key": "app", "operator": "In"}]),
            )],
            vec![(
                RuleId::SelectorInvalid,
                "spec.selector.matchExpressions[0].values",
                "Required value: must be specified when `operator` is 'In' or 'NotIn'",
            )],
            "selector-invalid: In without values (and no mismatch for an invalid selector)",
        ),
        (
            vec![(
                "/spec/selector/matchExpressions",
                json!([{"key": "app", "operator": "Exists", "values": ["a"]}]),
            )],
            vec![(
                RuleId::SelectorInvalid,
                "spec.selector.matchExpressions[0].values",
                "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )],
            "selector-invalid: Exists with values",
        ),
        (
            vec![(
                "/spec/selector/matchExpressions",
                json!([{"key": "app", "operator": "Equals", "values": ["a"]}]),
            )],
            vec![(
                RuleId::SelectorInvalid,
                "spec.selector.matchExpressions[0].operator",
                "Invalid value: \"Equals\": not a valid selector operator",
            )],
            "selector-invalid: unknown operator",
        ),
        (
            vec![("/metadata/labels", json!({"app": "bad value"}))],
            vec![(
                RuleId::LabelInvalid,
                "metadata.labels",
                "Invalid value: \"bad value\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            )],
            "label-invalid value",
        ),
        (
            vec![("/spec/template/metadata/labels/-bad", json!("x"))],
            vec![(
                RuleId::LabelInvalid,
                "spec.template.labels",
                "Invalid value: \"-bad\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            )],
            "label-invalid key on the template",
        ),
        (
            vec![("/metadata/name", json!("Node_Exporter"))],
            vec![(
                RuleId::MetadataInvalid,
                "metadata.name",
                "Invalid value: \"Node_Exporter\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            )],
            "metadata-invalid name",
        ),
        (
            vec![("/metadata/name", Value::Null)],
            vec![(
                RuleId::MetadataInvalid,
                "metadata.name",
                "Required value: name or generateName is required",
            )],
            "metadata-invalid: no name",
        ),
        (
            vec![("/metadata/namespace", json!("kube.system"))],
            vec![(
                RuleId::MetadataInvalid,
                "metadata.namespace",
                "Invalid value: \"kube.system\": must not contain dots",
            )],
            "metadata-invalid namespace",
        ),
        (
            vec![("/spec/template/spec/restartPolicy", json!("Never"))],
            vec![(
                RuleId::RestartPolicy,
                "spec.template.spec.restartPolicy",
                "Unsupported value: \"Never\": supported values: \"Always\"",
            )],
            "restart-policy",
        ),
        (
            vec![("/spec/template/spec/restartPolicy", json!("Always"))],
            vec![],
            "restartPolicy Always",
        ),
        (
            vec![("/spec/template/spec/activeDeadlineSeconds", json!(60))],
            vec![(
                RuleId::ActiveDeadline,
                "spec.template.spec.activeDeadlineSeconds",
                "Forbidden: activeDeadlineSeconds in DaemonSet is not Supported; remove it: a DaemonSet pod runs for the life of its node",
            )],
            "active-deadline",
        ),
        (
            vec![("/spec/minReadySeconds", json!(-1))],
            vec![(
                RuleId::NegativeValue,
                "spec.minReadySeconds",
                "Invalid value: -1: must be greater than or equal to 0",
            )],
            "negative-value",
        ),
        (
            vec![("/spec/revisionHistoryLimit", json!(-3))],
            vec![(
                RuleId::NegativeValue,
                "spec.revisionHistoryLimit",
                "Invalid value: -3: must be greater than or equal to 0",
            )],
            "negative-value revisionHistoryLimit",
        ),
        (
            vec![(
                "/spec/updateStrategy",
                json!({"rollingUpdate": {"maxSurge": 1}}),
            )],
            vec![(
                RuleId::UpdateStrategy,
                "spec.updateStrategy.rollingUpdate.maxSurge",
                "Invalid value: 1: may not be set when maxUnavailable is non-zero; maxUnavailable defaults to 1; set maxUnavailable: 0 to surge instead",
            )],
            "update-strategy: maxSurge alone fails because maxUnavailable defaults to 1",
        ),
        (
            vec![(
                "/spec/updateStrategy",
                json!({"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}),
            )],
            vec![],
            "surge instead of unavailable",
        ),
        (
            vec![(
                "/spec/updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}}),
            )],
            vec![(
                RuleId::UpdateStrategy,
                "spec.updateStrategy.rollingUpdate.maxUnavailable",
                "Required value: cannot be 0 when maxSurge is 0; set maxUnavailable to 1 or more, or maxSurge",
            )],
            "update-strategy: both zero",
        ),
        (
            vec![(
                "/spec/updateStrategy",
                json!({"rollingUpdate": {"maxUnavailable": "150%"}}),
            )],
            vec![(
                RuleId::UpdateStrategy,
                "spec.updateStrategy.rollingUpdate.maxUnavailable",
                "Invalid value: \"150%\": must not be greater than 100%",
            )],
            "update-strategy: over 100%",
        ),
        (
            vec![("/spec/updateStrategy", json!({"type": "Recreate"}))],
            vec![(
                RuleId::UpdateStrategy,
                "spec.updateStrategy",
                "Unsupported value: {\"Type\":\"Recreate\",\"RollingUpdate\":null}: supported values: \"RollingUpdate\", \"OnDelete\"",
            )],
            "update-strategy: a Deployment strategy type",
        ),
        (
            vec![("/spec/updateStrategy", json!({"type": "OnDelete"}))],
            vec![],
            "OnDelete",
        ),
        (
            vec![("/spec/replicas", json!(3))],
            vec![(
                RuleId::DeploymentField,
                "spec.replicas",
                "unknown field \"spec.replicas\": a DaemonSet has no replicas; remove it, or run `dsguard mutate`",
            )],
            "deployment-field replicas (and not unknown-field too)",
        ),
        (
            vec![("/status", json!({"availableReplicas": 1}))],
            vec![(
                RuleId::DeploymentField,
                "status.availableReplicas",
                "unknown field \"status.availableReplicas\": this is Deployment status; remove status from the manifest, or run `dsguard mutate`",
            )],
            "deployment-field in status",
        ),
        (
            vec![("/status", json!({}))],
            vec![],
            "the empty status kubectl prints is accepted",
        ),
        (
            vec![("/spec/template/spec/containers", json!([]))],
            vec![(
                RuleId::PodSpec,
                "spec.template.spec.containers",
                "Required value",
            )],
            "pod-spec: no containers",
        ),
        (
            vec![("/spec/template/spec/containers/0/image", Value::Null)],
            vec![(
                RuleId::PodSpec,
                "spec.template.spec.containers[0].image",
                "Required value",
            )],
            "pod-spec: no image",
        ),
        (
            vec![(
                "/spec/template/spec/initContainers",
                json!([{"name": "node-exporter", "image": "busybox:1.36"}]),
            )],
            vec![(
                RuleId::PodSpec,
                "spec.template.spec.initContainers[0].name",
                "Duplicate value: \"node-exporter\"",
            )],
            "pod-spec: duplicate container names across init and regular containers",
        ),
        (
            vec![(
                "/spec/template/spec/containers/0/ports/0/containerPort",
                json!(70000),
            )],
            vec![(
                RuleId::PodSpec,
                "spec.template.spec.containers[0].ports[0].containerPort",
                "Invalid value: 70000: must be between 1 and 65535, inclusive",
            )],
            "pod-spec: port range",
        ),
        (
            vec![(
                "/spec/template/spec/tolerations",
                json!([{"operator": "Equal", "value": "x"}]),
            )],
            vec![(
                RuleId::PodSpec,
                "spec.template.spec.tolerations[0].operator",
                "Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            )],
            "pod-spec: toleration without key",
        ),
        (
            vec![(
                "/spec/template/spec/tolerations",
                json!([{"key": "a", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 5}]),
            )],
            vec![(
                RuleId::PodSpec,
                "spec.template.spec.tolerations[0].effect",
                "Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
            )],
            "pod-spec: tolerationSeconds needs NoExecute",
        ),
        (
            vec![(
                "/spec/template/spec/nodeSelector",
                json!({"kubernetes.io/os": "linux os"}),
            )],
            vec![(
                RuleId::PodSpec,
                "spec.template.spec.nodeSelector",
                "Invalid value: \"linux os\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            )],
            "pod-spec: nodeSelector value",
        ),
        (
            vec![(
                "/spec/template/spec/containers/0/image",
                json!("prom/node-exporter"),
            )],
            vec![(
                RuleId::ImageLatest,
                "spec.template.spec.containers[0].image",
                "image \"prom/node-exporter\" has no tag, so it means :latest; pin a version, e.g. \"prom/node-exporter:1.2.3\", or a digest",
            )],
            "image-latest: no tag",
        ),
        (
            vec![(
                "/spec/template/spec/containers/0/resources",
                json!({"limits": {"cpu": 1}}),
            )],
            vec![(
                RuleId::ResourcesMissing,
                "spec.template.spec.containers[0].resources.requests",
                "no memory request; set resources.requests.memory so the scheduler reserves room on every node",
            )],
            "resources-missing: limits count as requests, memory is missing",
        ),
        (
            vec![("/apiVersion", json!("extensions/v1beta1"))],
            vec![(
                RuleId::Schema,
                "apiVersion",
                "no matches for kind \"DaemonSet\" in version \"extensions/v1beta1\"; use apiVersion: apps/v1",
            )],
            "schema: removed API version",
        ),
        (
            vec![("/spec/template/spec/hostNetwork", json!("yes"))],
            vec![(
                RuleId::Schema,
                "spec.template.spec.hostNetwork",
                "Invalid type: got string \"yes\", expected boolean",
            )],
            "schema: wrong type",
        ),
        (
            vec![(
                "/spec/template/spec/containers/0/imagePullPolicyy",
                json!("Always"),
            )],
            vec![(
                RuleId::UnknownField,
                "spec.template.spec.containers[0].imagePullPolicyy",
                "unknown field \"spec.template.spec.containers[0].imagePullPolicyy\"; check the spelling and the indentation, or remove it",
            )],
            "unknown-field",
        ),
    ];
    let mut failures = Vec::new();
    for (changes, expected, why) in rows {
        let mut obj = base();
        for (pointer, value) in changes {
            set(&mut obj, pointer, value);
        }
        let got = run(&obj, None);
        let want: Vec<(RuleId, String, String)> = expected
            .into_iter()
            .map(|(r, p, m)| (r, p.to_string(), m.to_string()))
            .collect();
        if got != want {
            failures.push(format!("{why}:\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn selector_immutable_on_update_only() {
    let old = base();
    let mut new = base();
    set(
        &mut new,
        "/spec/selector/matchLabels",
        json!({"app": "node-exporter", "tier": "node"}),
    );
    set(
        &mut new,
        "/spec/template/metadata/labels/tier",
        json!("node"),
    );
    assert_eq!(run(&new, None), vec![], "a valid object on its own");
    assert_eq!(
        run(&new, Some(&old)),
        vec![(
            RuleId::SelectorImmutable,
            "spec.selector".to_string(),
            "Invalid value: {\"matchLabels\":{\"app\":\"node-exporter\",\"tier\":\"node\"}}: field is immutable; keep the old selector {\"matchLabels\":{\"app\":\"node-exporter\"}}, or delete the DaemonSet with --cascade=orphan and create it again".to_string()
        )]
    );
    let mut same = base();
    set(&mut same, "/spec/selector/matchExpressions", json!([]));
    assert_eq!(
        run(&same, Some(&old)),
        vec![],
        "an empty matchExpressions list is the same selector"
    );
}

#[test]
fn severities_from_configuration() {
    let mut obj = base();
    set(
        &mut obj,
        "/spec/template/spec/containers/0/image",
        json!("nginx:latest"),
    );
    let mut policy = Policy::default();
    let got = validate(&obj, None, &policy, Checks::OFFLINE);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].severity, Severity::Warning);
    policy
        .severities
        .insert(RuleId::ImageLatest, Severity::Error);
    assert_eq!(
        validate(&obj, None, &policy, Checks::OFFLINE)[0].severity,
        Severity::Error
    );
    policy.severities.insert(RuleId::ImageLatest, Severity::Off);
    assert!(validate(&obj, None, &policy, Checks::OFFLINE).is_empty());
}

#[test]
fn exemptions() {
    let mut policy = Policy {
        exempt_namespaces: vec!["monitoring".into()],
        ..Policy::default()
    };
    assert!(
        policy
            .skip_reason(&Node::from(&base()))
            .unwrap()
            .contains("namespace monitoring")
    );
    policy.exempt_namespaces.clear();
    assert!(policy.skip_reason(&Node::from(&base())).is_none());
    let mut obj = base();
    set(
        &mut obj,
        "/metadata/annotations",
        json!({"dsguard.io/exempt": "true"}),
    );
    assert!(
        policy
            .skip_reason(&Node::from(&obj))
            .unwrap()
            .contains("annotation")
    );
    set(&mut obj, "/kind", json!("Deployment"));
    assert_eq!(
        policy.skip_reason(&Node::from(&obj)).as_deref(),
        Some("Deployment is not a DaemonSet")
    );
}
