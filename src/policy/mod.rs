//! The pure policy engine: values in, violations and patches out. No I/O.
//!
//! * [`validate`] checks one object (a `serde_json::Value`, so fields unknown to the typed
//!   model stay visible) and returns [`Violation`]s.
//! * [`mutate`] returns RFC 6902 JSON Patch operations; applying them twice changes nothing
//!   the second time.
//!
//! Each rule lives in one place, named by its id in [`RuleId`]; `grep 'RuleId::SelectorMismatch'`
//! finds it.

mod daemonset;
pub mod fields;
mod mutate;
mod names;
mod path;
mod podspec;
mod practices;
pub mod rollout;
mod rules;
mod schema;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

pub use mutate::{MutateMode, mutate};
pub use path::{FieldPath, escape_token};
pub use rules::{RuleId, Severity};

/// One finding of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The rule's stable id.
    pub rule: RuleId,
    /// Severity after configuration.
    pub severity: Severity,
    /// The field, as the API server writes it (`spec.template.metadata.labels`).
    pub path: FieldPath,
    /// The API server's wording where it has one, then what to do.
    pub message: String,
}

/// A default toleration added by `mutate`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Toleration {
    /// Taint key; empty with `Exists` tolerates every taint.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// `Exists` or `Equal` (the default).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub operator: String,
    /// Taint value, for `Equal`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    /// `NoSchedule`, `PreferNoSchedule`, `NoExecute`, or empty for every effect.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub effect: String,
    /// How long a `NoExecute` taint is tolerated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

/// The loaded configuration the engine works with.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Tolerations `mutate` adds unless one already tolerates the same taint.
    pub tolerations: Vec<Toleration>,
    /// nodeSelector entries `mutate` adds unless the key is already constrained.
    pub node_selector: BTreeMap<String, String>,
    /// Severity per rule; rules not listed use their default.
    pub severities: BTreeMap<RuleId, Severity>,
    /// Namespaces whose DaemonSets are not checked or changed.
    pub exempt_namespaces: Vec<String>,
    /// An annotation that, set to `"true"` on a DaemonSet, exempts it.
    pub exempt_annotation: String,
}

/// The annotation that exempts an object unless the configuration names another.
pub const DEFAULT_EXEMPT_ANNOTATION: &str = "dsguard.io/exempt";

impl Default for Policy {
    fn default() -> Self {
        Policy {
            tolerations: vec![Toleration {
                key: "node-role.kubernetes.io/control-plane".into(),
                operator: "Exists".into(),
                value: String::new(),
                effect: "NoSchedule".into(),
                toleration_seconds: None,
            }],
            node_selector: BTreeMap::from([("kubernetes.io/os".into(), "linux".into())]),
            severities: BTreeMap::new(),
            exempt_namespaces: Vec::new(),
            exempt_annotation: DEFAULT_EXEMPT_ANNOTATION.into(),
        }
    }
}

impl Policy {
    /// The severity in force for `rule`.
    pub fn severity(&self, rule: RuleId) -> Severity {
        self.severities
            .get(&rule)
            .copied()
            .unwrap_or_else(|| rule.default_severity())
    }

    /// Why `obj` is exempt, if it is: its namespace is listed, or it carries the annotation.
    pub fn exemption(&self, obj: &Value) -> Option<String> {
        let meta = obj.get("metadata");
        if let Some(ns) = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            && self.exempt_namespaces.iter().any(|e| e == ns)
        {
            return Some(format!("namespace {ns} is exempt by configuration"));
        }
        let annotation = meta
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(&self.exempt_annotation))
            .and_then(Value::as_str);
        if annotation == Some("true") {
            return Some(format!(
                "exempt by annotation {}=\"true\"",
                self.exempt_annotation
            ));
        }
        None
    }
}

/// Which checks to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks {
    /// Strict schema check (unknown fields, wrong types). Offline only: objects that reach a
    /// webhook were already decoded into typed structs by the API server.
    pub schema: bool,
    /// The API-server parity rules (everything but `image-latest` and `resources-missing`).
    /// Off in the validating webhook, which the API server calls only for objects that
    /// passed its own validation (see [`practices`]).
    pub api_server: bool,
}

impl Checks {
    /// Offline: everything.
    pub const OFFLINE: Checks = Checks {
        schema: true,
        api_server: true,
    };
    /// The validating webhook: the policy rules only.
    pub const WEBHOOK: Checks = Checks {
        schema: false,
        api_server: false,
    };
}

/// Checks a DaemonSet. `old` is the previous object on UPDATE (for `selector-immutable`).
/// Violations of rules configured `off` are left out; the rest carry configured severities.
pub fn validate(
    obj: &Value,
    old: Option<&Value>,
    policy: &Policy,
    checks: Checks,
) -> Vec<Violation> {
    let mut out = Findings::default();
    if checks.schema {
        schema::check(obj, &mut out);
    }
    if checks.api_server {
        daemonset::check(obj, old, &mut out);
    } else {
        practices::check(obj, &mut out);
    }
    apply_severities(out, policy)
}

/// Rollout health of a live DaemonSet (`dsguard audit`): its status counts, and the
/// `rollout-incomplete`, `pods-misscheduled` and `generation-stale` findings at their
/// configured severities.
pub fn rollout_health(obj: &Value, policy: &Policy) -> (Option<rollout::Rollout>, Vec<Violation>) {
    let mut out = Findings::default();
    rollout::check(obj, &mut out);
    (rollout::counts(obj), apply_severities(out, policy))
}

fn apply_severities(out: Findings, policy: &Policy) -> Vec<Violation> {
    let mut violations: Vec<Violation> = out
        .0
        .into_iter()
        .filter_map(|(rule, path, message)| match policy.severity(rule) {
            Severity::Off => None,
            severity => Some(Violation {
                rule,
                severity,
                path,
                message,
            }),
        })
        .collect();
    violations.dedup();
    violations
}

/// Collects raw findings before severities are applied.
#[derive(Debug, Default)]
pub(crate) struct Findings(pub(crate) Vec<(RuleId, FieldPath, String)>);

impl Findings {
    pub(crate) fn add(&mut self, rule: RuleId, path: &FieldPath, message: impl Into<String>) {
        self.0.push((rule, path.clone(), message.into()));
    }
}

/// Renders a value the way the API server quotes it in messages (JSON, compact).
pub(crate) fn show(v: &Value) -> String {
    v.to_string()
}

/// Problems with a label key and value, in the API server's words (empty when valid).
pub fn label_problems(key: &str, value: &str) -> Vec<String> {
    let mut out = names::is_qualified_name(key);
    out.extend(names::is_valid_label_value(value));
    out
}
