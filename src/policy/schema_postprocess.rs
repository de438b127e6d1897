//! The one post-processing that turns `schemars`' DaemonSet schema into the strict schema
//! dsguard embeds, shared by the `embedded_schema_is_current` test and the per-version
//! generator (`tools/schema-gen`, which includes this file by `#[path]`): it uses
//! `serde_json` only, so that both can build it.
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

use serde_json::{Map, Value, json};

/// The strict schema made of `schema`, the `schemars` output for
/// `k8s_openapi::api::apps::v1::DaemonSet` (see the module docs).
pub fn postprocess(mut schema: Value) -> Value {
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
