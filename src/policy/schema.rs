//! Strict schema check: unknown fields and wrong types, against the DaemonSet OpenAPI schema
//! that `k8s-openapi` describes (through `schemars`), compiled once with `jsonschema`.
//!
//! The generated schema is made to judge what the API server's decoder judges
//! (k8s.io/apimachinery `pkg/runtime/serializer/json`, strict decoding through
//! sigs.k8s.io/json `UnmarshalStrict`), no more:
//! * every object with `properties` refuses other keys (`additionalProperties: false`);
//! * `null` is accepted for every field (Go leaves the field unset): every `type` gets
//!   `"null"`, and a `$ref` points at a definition that accepts it;
//! * IntOrString takes an integer or a string, Quantity a string or a number;
//! * `required`, `format` and descriptions are dropped: the decoder enforces none of them
//!   (`required` fields are checked by the validation rules, with the server's messages),
//!   except that int32 and int64 fields get their ranges.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, Validator};
use serde_json::{Map, Value, json};

use super::{FieldPath, Findings, RuleId};

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schema = strict_schema();
        jsonschema::options()
            .should_validate_formats(false)
            .build(&schema)
            .expect("the post-processed DaemonSet schema compiles (covered by tests)")
    })
}

/// The DaemonSet schema after post-processing (see the module docs).
pub fn strict_schema() -> Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(k8s_openapi::api::apps::v1::DaemonSet))
            .unwrap_or(Value::Null);
    if let Some(Value::Object(defs)) = schema.get_mut("$defs") {
        for (name, def) in defs.iter_mut() {
            if def.get("x-kubernetes-int-or-string").is_some() {
                *def = if name.ends_with(".Quantity") {
                    json!({"type": ["string", "number", "null"]})
                } else {
                    json!({"type": ["integer", "string", "null"]})
                };
            }
        }
    }
    strip(&mut schema);
    schema
}

fn strip(v: &mut Value) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                tighten(m);
                stack.extend(m.values_mut());
            }
            Value::Array(a) => stack.extend(a.iter_mut()),
            _ => {}
        }
    }
}

fn tighten(m: &mut Map<String, Value>) {
    m.remove("description");
    m.remove("required");
    m.remove("title");
    let format = m.remove("format");
    if m.contains_key("properties") && !m.contains_key("additionalProperties") {
        m.insert("additionalProperties".into(), Value::Bool(false));
    }
    match format.as_ref().and_then(Value::as_str) {
        Some("int32") => {
            m.insert("minimum".into(), json!(i32::MIN));
            m.insert("maximum".into(), json!(i32::MAX));
        }
        Some("int64") => {
            m.insert("minimum".into(), json!(i64::MIN));
            m.insert("maximum".into(), json!(i64::MAX));
        }
        _ => {}
    }
    if let Some(Value::String(t)) = m.get("type")
        && t != "null"
    {
        let t = t.clone();
        m.insert("type".into(), json!([t, "null"]));
    }
}

/// Converts a JSON pointer into an API-server field path, reading `obj` to tell list
/// indexes from field names.
fn field_path(obj: &Value, pointer: &str) -> FieldPath {
    let mut path = FieldPath::default();
    let mut cur = Some(obj);
    for raw in pointer.split('/').skip(1) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        match cur {
            Some(Value::Array(a)) => {
                let i: usize = seg.parse().unwrap_or(0);
                path = path.index(i);
                cur = a.get(i);
            }
            Some(Value::Object(m)) => {
                path = path.child(&seg);
                cur = m.get(&seg);
            }
            _ => path = path.child(&seg),
        }
    }
    path
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// Deployment leftovers are the `deployment-field` rule's to report.
fn is_deployment_leftover(pointer: &str) -> bool {
    matches!(
        pointer,
        "/spec/replicas"
            | "/spec/strategy"
            | "/spec/paused"
            | "/spec/progressDeadlineSeconds"
            | "/status/replicas"
            | "/status/updatedReplicas"
            | "/status/readyReplicas"
            | "/status/availableReplicas"
            | "/status/unavailableReplicas"
            | "/status/terminatingReplicas"
    )
}

pub(crate) fn check(obj: &Value, out: &mut Findings) {
    for err in validator().iter_errors(obj) {
        let pointer = err.instance_path().as_str().to_string();
        match err.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    let child = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                    if is_deployment_leftover(&child) {
                        continue;
                    }
                    let path = field_path(obj, &child);
                    out.add(
                        RuleId::UnknownField,
                        &path,
                        format!("unknown field \"{path}\"; check the spelling and the indentation, or remove it"),
                    );
                }
            }
            ValidationErrorKind::Type { kind } => {
                let inst = err.instance();
                let expected = expected_type(kind);
                let got = json_type(inst);
                let hint = match (got, expected.as_str()) {
                    ("boolean", "string") => {
                        "; quote it: YAML 1.1 reads unquoted yes, no, on, off, true and false as booleans"
                    }
                    ("integer" | "number", "string") => "; quote it to make it a string",
                    ("string", "integer") => "; write the number without quotes",
                    _ => "",
                };
                out.add(
                    RuleId::Schema,
                    &field_path(obj, &pointer),
                    format!("Invalid type: got {got} {inst}, expected {expected}{hint}"),
                );
            }
            ValidationErrorKind::Minimum { .. } | ValidationErrorKind::Maximum { .. } => {
                out.add(
                    RuleId::Schema,
                    &field_path(obj, &pointer),
                    format!(
                        "Invalid value: {}: out of range for the field's integer type",
                        err.instance()
                    ),
                );
            }
            _ => out.add(
                RuleId::Schema,
                &field_path(obj, &pointer),
                format!("Invalid value: {err}"),
            ),
        }
    }
}

/// The expected type of a type error, without `null` (always accepted).
fn expected_type(kind: &TypeKind) -> String {
    let types: Vec<JsonType> = match kind {
        TypeKind::Single(t) => vec![*t],
        TypeKind::Multiple(set) => set.iter().collect(),
    };
    types
        .into_iter()
        .filter(|t| *t != JsonType::Null)
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(obj: Value) -> Vec<(RuleId, String, String)> {
        let mut out = Findings::default();
        check(&obj, &mut out);
        out.0
            .into_iter()
            .map(|(r, p, m)| (r, p.to_string(), m))
            .collect()
    }

    #[test]
    fn schema_compiles_and_accepts_kubectl_output() {
        let obj = json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "x", "creationTimestamp": null, "labels": {"app": "x"}},
            "spec": {"selector": {"matchLabels": {"app": "x"}},
                "updateStrategy": {"rollingUpdate": {"maxUnavailable": "10%", "maxSurge": 0}},
                "template": {"metadata": {"creationTimestamp": null, "labels": {"app": "x"}},
                    "spec": {"containers": [{"name": "x", "image": "x:1", "resources": {"requests": {"cpu": 1, "memory": "1Gi"}}}]}}},
            "status": {}});
        assert_eq!(findings(obj), vec![]);
    }

    #[test]
    fn unknown_fields_and_types() {
        let obj = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "x"},
            "spec": {"replicas": 3, "selectr": {}, "template": {"spec": {"containers": [
                {"name": "x", "image": "x", "imagePullPolicyy": "Always", "ports": [{"containerPort": "80"}],
                 "env": [{"name": "A", "value": true}]}]}}}});
        let got = findings(obj);
        assert!(got.contains(&(RuleId::UnknownField, "spec.selectr".into(), "unknown field \"spec.selectr\"; check the spelling and the indentation, or remove it".into())), "{got:?}");
        assert!(got.iter().any(|(r, p, _)| *r == RuleId::UnknownField
            && p == "spec.template.spec.containers[0].imagePullPolicyy"));
        assert!(
            got.iter().any(|(r, p, m)| *r == RuleId::Schema
                && p == "spec.template.spec.containers[0].ports[0].containerPort"
                && m.contains("expected integer")
                && m.contains("without quotes")),
            "{got:?}"
        );
        assert!(
            got.iter().any(|(r, p, m)| *r == RuleId::Schema
                && p == "spec.template.spec.containers[0].env[0].value"
                && m.contains("YAML 1.1")),
            "{got:?}"
        );
        assert!(
            !got.iter().any(|(_, p, _)| p == "spec.replicas"),
            "deployment-field reports it: {got:?}"
        );
    }

    #[test]
    fn int32_range() {
        let obj = json!({"spec": {"minReadySeconds": 3_000_000_000u64}});
        let got = findings(obj);
        assert!(
            got.iter()
                .any(|(r, p, _)| *r == RuleId::Schema && p == "spec.minReadySeconds"),
            "{got:?}"
        );
    }
}
