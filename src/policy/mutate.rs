//! Mutation: RFC 6902 JSON Patch operations that remove Deployment leftovers and add the
//! configured default tolerations and nodeSelector entries, never overriding what the user
//! wrote. Applying the patch and mutating again yields no operation.

use json_patch::jsonptr::PointerBuf;
use json_patch::{AddOperation, Patch, PatchOperation, RemoveOperation};
use serde_json::{Value, json};

use super::fields::DEPLOYMENT_SPEC_FIELDS;
use super::settings::{Policy, Toleration};
use super::view::Node;

/// Where the object comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MutateMode {
    /// A manifest file: `status` is removed too.
    Offline,
    /// An admission request: `status` is the API server's business and is left alone.
    Admission,
}

fn pointer(tokens: &[&str]) -> PointerBuf {
    PointerBuf::from_tokens(tokens.iter().copied())
}

fn remove(tokens: &[&str]) -> PatchOperation {
    PatchOperation::Remove(RemoveOperation {
        path: pointer(tokens),
    })
}

fn add(tokens: &[&str], value: Value) -> PatchOperation {
    PatchOperation::Add(AddOperation {
        path: pointer(tokens),
        value,
    })
}

/// The patch that fixes `obj`. Empty when nothing needs to change. Objects that
/// [`Policy::skip_reason`] skips are the caller's to leave alone.
pub fn mutate(obj: &Node, policy: &Policy, mode: MutateMode) -> Patch {
    let mut ops = Vec::new();
    if let Some(spec) = obj.get("spec").and_then(Node::as_object) {
        for field in DEPLOYMENT_SPEC_FIELDS {
            if spec.contains_key(field) {
                ops.push(remove(&["spec", *field]));
            }
        }
    }
    if mode == MutateMode::Offline && obj.get("status").is_some() {
        ops.push(remove(&["status"]));
    }
    if let Some(pod) = obj
        .get_in(&["spec", "template", "spec"])
        .filter(|p| p.is_object())
    {
        tolerations(pod.get("tolerations"), &policy.tolerations, &mut ops);
        node_selector(pod, policy, &mut ops);
    }
    Patch(ops)
}

fn tolerations(existing: Option<&Node>, defaults: &[Toleration], ops: &mut Vec<PatchOperation>) {
    let base = ["spec", "template", "spec", "tolerations"];
    let current: &[Node] = match existing {
        Some(Node::Array(a)) => a,
        None | Some(Node::Null) => &[],
        Some(_) => return, // a wrong type is for `validate` to report
    };
    let missing: Vec<Value> = defaults
        .iter()
        .filter(|d| !current.iter().any(|e| covers(e, d)))
        .map(|d| serde_json::to_value(d).unwrap_or(Value::Null))
        .collect();
    if missing.is_empty() {
        return;
    }
    if current.is_empty() && !matches!(existing, Some(Node::Array(_))) {
        ops.push(add(&base, Value::Array(missing)));
    } else {
        for t in missing {
            ops.push(add(&["spec", "template", "spec", "tolerations", "-"], t));
        }
    }
}

/// True when toleration `e` tolerates every taint that the default `d` tolerates, after
/// `Toleration.ToleratesTaint` (k8s.io/api `core/v1/toleration.go`): an empty effect
/// matches every effect, an empty key with `Exists` every key, `Exists` every value.
fn covers(e: &Node, d: &Toleration) -> bool {
    let s = |k: &str| e.get(k).and_then(Node::as_str).unwrap_or("");
    let (key, operator, value, effect) = (s("key"), s("operator"), s("value"), s("effect"));
    let effect_ok = effect.is_empty() || effect == d.effect;
    let key_ok = (key.is_empty() && operator == "Exists") || key == d.key;
    let d_exists = d.operator == "Exists";
    let value_ok = match operator {
        "Exists" => true,
        "" | "Equal" => !d_exists && value == d.value,
        _ => false,
    };
    // A NoExecute toleration with tolerationSeconds evicts after a while; the default has none.
    let seconds_ok =
        e.get("tolerationSeconds").is_none_or(Node::is_null) || d.toleration_seconds.is_some();
    effect_ok && key_ok && value_ok && seconds_ok
}

/// Adds each default nodeSelector entry unless its key is already in nodeSelector or appears
/// in a required nodeAffinity term (the user has decided where the pods go).
fn node_selector(pod: &Node, policy: &Policy, ops: &mut Vec<PatchOperation>) {
    let existing = pod.get("nodeSelector");
    let map = match existing {
        Some(Node::Object(m)) => Some(m),
        None | Some(Node::Null) => None,
        Some(_) => return,
    };
    let affinity_keys: Vec<&str> = pod
        .get_in(&[
            "affinity",
            "nodeAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms",
        ])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .flat_map(|term| {
            ["matchExpressions", "matchFields"]
                .into_iter()
                .flat_map(move |k| term.field(k).items())
        })
        .filter_map(|req| req.get("key").and_then(Node::as_str))
        .collect();
    let missing: Vec<(&String, &String)> = policy
        .node_selector
        .iter()
        .filter(|(k, _)| {
            !map.is_some_and(|m| m.contains_key(k)) && !affinity_keys.contains(&k.as_str())
        })
        .collect();
    if missing.is_empty() {
        return;
    }
    match map {
        Some(_) => {
            for (k, v) in missing {
                ops.push(add(
                    &["spec", "template", "spec", "nodeSelector", k],
                    json!(v),
                ));
            }
        }
        None => {
            let m: serde_json::Map<String, Value> = missing
                .into_iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            ops.push(add(
                &["spec", "template", "spec", "nodeSelector"],
                Value::Object(m),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(pod: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "x"},
               "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}, "spec": pod}}})
    }

    fn ops(obj: &Value) -> Value {
        serde_json::to_value(mutate(
            &Node::from(obj),
            &Policy::default(),
            MutateMode::Offline,
        ))
        .unwrap()
    }

    #[test]
    fn adds_defaults_to_a_bare_pod_spec() {
        let got = ops(&ds(json!({"containers": []})));
        assert_eq!(
            got,
            json!([
                {"op": "add", "path": "/spec/template/spec/tolerations", "value": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}]},
                {"op": "add", "path": "/spec/template/spec/nodeSelector", "value": {"kubernetes.io/os": "linux"}}
            ])
        );
    }

    #[test]
    fn escapes_keys_per_rfc_6901() {
        let got = ops(&ds(
            json!({"containers": [], "nodeSelector": {"disk": "ssd"}, "tolerations": [{"operator": "Exists"}]}),
        ));
        assert_eq!(
            got,
            json!([{"op": "add", "path": "/spec/template/spec/nodeSelector/kubernetes.io~1os", "value": "linux"}])
        );
    }

    #[test]
    fn existing_tolerations_that_cover_the_default() {
        let rows = [
            (
                json!([{"operator": "Exists"}]),
                true,
                "empty key with Exists tolerates everything",
            ),
            (
                json!([{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"}]),
                true,
                "empty effect matches every effect",
            ),
            (
                json!([{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}]),
                true,
                "the same toleration",
            ),
            (
                json!([{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoExecute"}]),
                false,
                "other effect",
            ),
            (
                json!([{"key": "node-role.kubernetes.io/control-plane", "operator": "Equal", "value": "", "effect": "NoSchedule"}]),
                false,
                "Equal \"\" does not cover Exists",
            ),
            (
                json!([{"key": "node-role.kubernetes.io/master", "operator": "Exists"}]),
                false,
                "other key",
            ),
        ];
        for (tolerations, covered, why) in rows {
            let got = ops(&ds(
                json!({"containers": [], "nodeSelector": {"kubernetes.io/os": "linux"}, "tolerations": tolerations}),
            ));
            assert_eq!(got.as_array().unwrap().is_empty(), covered, "{why}: {got}");
        }
    }

    #[test]
    fn required_node_affinity_on_the_key_counts() {
        let pod = json!({"containers": [], "tolerations": [{"operator": "Exists"}], "affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": "kubernetes.io/os", "operator": "In", "values": ["linux", "windows"]}]}]}}}});
        assert_eq!(ops(&ds(pod)), json!([]));
    }

    #[test]
    fn removes_deployment_leftovers_and_status_offline_only() {
        let mut obj = ds(
            json!({"containers": [], "nodeSelector": {"kubernetes.io/os": "linux"}, "tolerations": [{"operator": "Exists"}]}),
        );
        obj["spec"]["replicas"] = json!(1);
        obj["spec"]["strategy"] = json!({});
        obj["status"] = json!({});
        assert_eq!(
            ops(&obj),
            json!([{"op": "remove", "path": "/spec/replicas"}, {"op": "remove", "path": "/spec/strategy"}, {"op": "remove", "path": "/status"}])
        );
        let admission = serde_json::to_value(mutate(
            &Node::from(&obj),
            &Policy::default(),
            MutateMode::Admission,
        ))
        .unwrap();
        assert_eq!(admission.as_array().unwrap().len(), 2);
    }
}
