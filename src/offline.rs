//! The offline faces' per-document work: check one entry of a manifest and report where.

use serde_json::Value;

use crate::manifest::{Entry, Object};
use crate::policy::{self, Checks, MutateMode, Policy, RuleId, Severity};
use crate::report::{DocResult, Located, Status};

/// Identity of a document, for output.
pub(crate) fn identity(file: &str, entry: &Entry, value: Option<&Value>) -> DocResult {
    let s = |k: &str| {
        value
            .and_then(|v| v.get(k))
            .and_then(Value::as_str)
            .map(String::from)
    };
    let m = |k: &str| {
        value
            .and_then(|v| v.get("metadata"))
            .and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .map(String::from)
    };
    DocResult {
        file: file.to_string(),
        document: entry.document,
        line: entry.line,
        api_version: s("apiVersion"),
        kind: s("kind"),
        name: m("name").or_else(|| m("generateName")),
        namespace: m("namespace"),
        status: Status::Pass,
        reason: None,
        violations: Vec::new(),
        patch: None,
        rollout: None,
    }
}

/// Checks one entry as `dsguard validate` does.
pub fn validate_entry(file: &str, entry: &Entry, policy: &Policy) -> DocResult {
    let obj = match &entry.content {
        Ok(obj) => obj,
        Err(message) => {
            let mut r = identity(file, entry, None);
            r.status = Status::Fail;
            r.violations.push(Located {
                rule: RuleId::Parse,
                severity: Severity::Error,
                path: String::new(),
                line: entry.line,
                message: message.clone(),
            });
            return r;
        }
    };
    let mut r = identity(file, entry, Some(&obj.value));
    if r.kind.as_deref() != Some("DaemonSet") {
        r.status = Status::Skip;
        r.reason = Some(format!(
            "{} is not a DaemonSet",
            r.kind.as_deref().unwrap_or("object")
        ));
        return r;
    }
    if let Some(why) = policy.exemption(&obj.value) {
        r.status = Status::Skip;
        r.reason = Some(why);
        return r;
    }
    r.violations = policy::validate(&obj.value, None, policy, Checks::OFFLINE)
        .into_iter()
        .map(|v| Located {
            line: obj
                .lines
                .line_of(&v.path.to_pointer())
                .unwrap_or(entry.line),
            rule: v.rule,
            severity: v.severity,
            path: v.path.to_string(),
            message: v.message,
        })
        .collect();
    r.violations
        .sort_by_key(|v| (v.line, v.severity != Severity::Error));
    if r.violations.iter().any(|v| v.severity == Severity::Error) {
        r.status = Status::Fail;
    }
    r
}

/// The patch `dsguard mutate` applies to an object (empty for other kinds and exempt ones).
pub fn mutate_object(obj: &Object, policy: &Policy) -> json_patch::Patch {
    let is_ds = obj.value.get("kind").and_then(Value::as_str) == Some("DaemonSet");
    if !is_ds || policy.exemption(&obj.value).is_some() {
        return json_patch::Patch(Vec::new());
    }
    policy::mutate(&obj.value, policy, MutateMode::Offline)
}
