//! Strict schema check: unknown fields and wrong types, against the DaemonSet OpenAPI schema
//! of the Kubernetes version asked for (`--kubernetes-version`, [`KubernetesVersion`]), as
//! `k8s-openapi` describes it (through `schemars`), compiled once per version with
//! `jsonschema`.
//!
//! The schema is post-processed to judge what the API server's decoder judges, no more
//! (`schema_postprocess.rs` says how); `schema_versions.rs` holds the embedded schemas.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, Validator};
use serde_json::Value;

use super::finding::Findings;
use super::path::FieldPath;
use super::rules::RuleId;
use super::schema_versions::KubernetesVersion;

/// The strict schema of `version`, compiled on first use; a run builds only the versions it
/// asks for (one, in practice).
fn validator(version: KubernetesVersion) -> &'static Validator {
    static VALIDATORS: [OnceLock<Validator>; KubernetesVersion::COUNT] =
        [const { OnceLock::new() }; KubernetesVersion::COUNT];
    VALIDATORS[version.index()].get_or_init(|| {
        jsonschema::options()
            .should_validate_formats(false)
            .build(&version.schema())
            .expect("the embedded DaemonSet schemas compile (covered by tests)")
    })
}

/// The DaemonSet schema `k8s-openapi` (feature `latest`) describes, post-processed
/// (`schema_postprocess.rs`): what `daemonset.schema.json` must hold.
#[cfg(test)]
pub fn strict_schema() -> Value {
    let schema = serde_json::to_value(schemars::schema_for!(k8s_openapi::api::apps::v1::DaemonSet))
        .unwrap_or(Value::Null);
    super::schema_postprocess::postprocess(schema)
}

/// Converts a JSON pointer into an API-server field path, reading `obj` to tell list
/// indexes from field names.
fn field_path(obj: &Value, pointer: &str) -> FieldPath {
    let mut path = FieldPath::default();
    let mut cur = Some(obj);
    for raw in pointer.split('/').skip(1) {
        let seg = super::path::unescape_token(raw);
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
    use super::fields::{DEPLOYMENT_SPEC_FIELDS, DEPLOYMENT_STATUS_FIELDS};
    match pointer
        .split_once('/')
        .map(|(_, rest)| rest.split_once('/'))
    {
        Some(Some(("spec", field))) => DEPLOYMENT_SPEC_FIELDS.contains(&field),
        Some(Some(("status", field))) => DEPLOYMENT_STATUS_FIELDS.contains(&field),
        _ => false,
    }
}

/// Reports where `obj` does not fit the strict schema of `version`.
pub(crate) fn check(obj: &Value, version: KubernetesVersion, out: &mut Findings) {
    for err in validator(version).iter_errors(obj) {
        let pointer = err.instance_path().as_str().to_string();
        match err.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    let child = format!("{pointer}/{}", super::path::escape_token(key));
                    if is_deployment_leftover(&child) {
                        continue;
                    }
                    let path = field_path(obj, &child);
                    out.add_path(
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
                out.add_path(
                    RuleId::Schema,
                    &field_path(obj, &pointer),
                    format!("Invalid type: got {got} {inst}, expected {expected}{hint}"),
                );
            }
            ValidationErrorKind::Minimum { .. } | ValidationErrorKind::Maximum { .. } => {
                out.add_path(
                    RuleId::Schema,
                    &field_path(obj, &pointer),
                    format!(
                        "Invalid value: {}: out of range for the field's integer type",
                        err.instance()
                    ),
                );
            }
            _ => out.add_path(
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
    use serde_json::json;

    use super::*;

    fn findings(obj: Value) -> Vec<(RuleId, String, String)> {
        findings_at(&obj, KubernetesVersion::LATEST)
    }

    fn findings_at(obj: &Value, version: KubernetesVersion) -> Vec<(RuleId, String, String)> {
        let mut out = Findings::default();
        check(obj, version, &mut out);
        out.0
            .into_iter()
            .map(|(r, p, m)| (r, p.to_string(), m))
            .collect()
    }

    /// The latest schema is what k8s-openapi `latest` describes. It is not rewritten here
    /// (by `DSGUARD_UPDATE_GOLDEN`): the older versions are patches against it, so
    /// scripts/gen-schemas.sh rewrites it and them together.
    #[test]
    fn embedded_schema_is_current() {
        let generated = serde_json::to_string_pretty(&strict_schema()).unwrap() + "\n";
        assert!(
            generated == super::super::schema_versions::LATEST_SCHEMA,
            "src/policy/daemonset.schema.json differs from what k8s-openapi describes; run scripts/gen-schemas.sh"
        );
    }

    /// Every embedded version builds and compiles, accepts every example manifest, and
    /// judges the broken ones as the latest does (their mistakes are in fields every
    /// version has).
    #[test]
    fn every_version_compiles_and_accepts_the_examples() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
        let mut objects = Vec::new();
        for file in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let file = file.unwrap();
            if !file.file_type().is_file() {
                continue;
            }
            let bytes = std::fs::read(file.path()).unwrap();
            let broken = file.path().parent().is_some_and(|p| p.ends_with("broken"));
            for entry in crate::manifest::read_documents(&bytes) {
                if let Ok(obj) = entry.content
                    && obj.value["kind"] == "DaemonSet"
                {
                    objects.push((file.path().display().to_string(), broken, obj.value));
                }
            }
        }
        assert!(objects.iter().filter(|(_, broken, _)| !broken).count() >= 4);
        assert!(objects.iter().any(|(_, broken, _)| *broken));
        for version in KubernetesVersion::supported() {
            for (file, broken, obj) in &objects {
                let got = findings_at(obj, version);
                if *broken {
                    assert_eq!(got, findings(obj.clone()), "{version} {file}");
                } else {
                    assert_eq!(got, vec![], "{version} {file}");
                }
            }
        }
    }

    /// A field added after 1.30 (pod-level `resources`, 1.32; `hostnameOverride`, 1.34) is
    /// unknown to 1.30; one the API dropped after 1.30 (`resourceClaims[].source`, replaced
    /// in 1.31) is unknown to the latest.
    #[test]
    fn fields_follow_the_version() {
        let obj = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "x"},
            "spec": {"template": {"spec": {
                "resources": {"limits": {"cpu": "1"}},
                "hostnameOverride": "node-agent",
                "containers": [{"name": "x", "image": "x:1"}]}}}});
        let at = |v: &str| findings_at(&obj, v.parse().unwrap());
        assert_eq!(at("latest"), vec![]);
        let unknown = |path: &str| {
            (
                RuleId::UnknownField,
                path.to_string(),
                format!(
                    "unknown field \"{path}\"; check the spelling and the indentation, or remove it"
                ),
            )
        };
        assert_eq!(
            at("1.30"),
            vec![
                unknown("spec.template.spec.resources"),
                unknown("spec.template.spec.hostnameOverride")
            ]
        );
        assert_eq!(
            at("1.33"),
            vec![unknown("spec.template.spec.hostnameOverride")]
        );
        assert_eq!(at("1.34"), vec![]);

        let claims = json!({"spec": {"template": {"spec": {"resourceClaims": [
            {"name": "gpu", "source": {"resourceClaimTemplateName": "gpu"}}]}}}});
        assert_eq!(findings_at(&claims, "1.30".parse().unwrap()), vec![]);
        assert_eq!(
            findings(claims),
            vec![unknown("spec.template.spec.resourceClaims[0].source")]
        );
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
