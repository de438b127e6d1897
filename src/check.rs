//! One object and where it came from → its result: whether it is checked at all, its
//! violations placed on lines, and the patch that fixes it. Every face goes through here:
//! `validate` and `mutate` with manifest entries, `audit` with live objects, the webhook
//! with the objects of a review.

use serde_json::Value;

use crate::manifest::{Entry, Object};
use crate::policy::{self, Checks, MutateMode, Node, Policy, RuleId, Severity, Violation};
use crate::previous::Previous;
use crate::report::{DocResult, Located, Status};
use crate::yaml::LineIndex;

/// An object's identity, as output names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// `apiVersion`.
    pub api_version: Option<String>,
    /// `kind`.
    pub kind: Option<String>,
    /// `metadata.name`, or `metadata.generateName` when it has no name.
    pub name: Option<String>,
    /// `metadata.namespace`.
    pub namespace: Option<String>,
}

impl Identity {
    /// Reads the identity of `obj`.
    pub fn of(obj: &Node) -> Identity {
        let s = |v: Option<&Node>| v.and_then(Node::as_str).map(String::from);
        let meta = obj.field("metadata");
        Identity {
            api_version: s(obj.get("apiVersion")),
            kind: s(obj.get("kind")),
            name: s(meta.get("name")).or_else(|| s(meta.get("generateName"))),
            namespace: s(meta.get("namespace")),
        }
    }
}

/// Where an object came from.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// A file name, `<stdin>`, or `k8s://context/namespaces/ns/daemonsets/name`.
    pub file: &'a str,
    /// 0-based document index in the file.
    pub document: usize,
    /// 1-based line where the object starts.
    pub line: usize,
    /// Lines of its fields, when it was read from text.
    pub lines: Option<&'a LineIndex>,
}

/// What the engine says about one object.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Not checked, and why ([`Policy::skip_reason`]).
    Skipped(String),
    /// Checked: the violations at their configured severities (maybe none).
    Checked(Vec<Violation>),
}

/// The verdict on a parsed object (the webhook's and `validate_node`'s path: no schema).
pub fn verdict(obj: &Node, old: Option<&Node>, policy: &Policy, checks: Checks) -> Verdict {
    match policy.skip_reason(obj) {
        Some(reason) => Verdict::Skipped(reason),
        None => Verdict::Checked(policy::validate_node(obj, old, policy, checks)),
    }
}

/// The verdict on an object read offline (`obj`, and `node`, its view), the strict schema
/// included when `checks` asks.
pub fn verdict_value(
    obj: &Value,
    node: &Node,
    old: Option<&Node>,
    policy: &Policy,
    checks: Checks,
) -> Verdict {
    match policy.skip_reason(node) {
        Some(reason) => Verdict::Skipped(reason),
        None => Verdict::Checked(policy::validate_against(obj, node, old, policy, checks)),
    }
}

/// The patch that fixes `obj`, or `None` when it is not changed at all (skipped).
pub fn patch(obj: &Node, policy: &Policy, mode: MutateMode) -> Option<json_patch::Patch> {
    match policy.skip_reason(obj) {
        Some(_) => None,
        None => Some(policy::mutate_node(obj, policy, mode)),
    }
}

/// [`patch`] of a document read from a file: only the fields mutation reads
/// ([`policy::fields::MUTATE`]) are viewed; an unchanged or skipped document gets the empty
/// patch.
pub fn patch_value(value: &Value, policy: &Policy, mode: MutateMode) -> json_patch::Patch {
    patch(&policy::fields::MUTATE.apply(value), policy, mode).unwrap_or_default()
}

/// The result of one object: identity, verdict, violations on lines, status.
pub fn result(source: &Source, identity: Identity, verdict: Verdict) -> DocResult {
    let mut r = DocResult {
        file: source.file.to_string(),
        document: source.document,
        line: source.line,
        api_version: identity.api_version,
        kind: identity.kind,
        name: identity.name,
        namespace: identity.namespace,
        status: Status::Pass,
        reason: None,
        violations: Vec::new(),
        patch: None,
        rollout: None,
    };
    match verdict {
        Verdict::Skipped(reason) => {
            r.status = Status::Skip;
            r.reason = Some(reason);
        }
        Verdict::Checked(violations) => {
            r.violations = violations.into_iter().map(|v| locate(v, source)).collect();
            r.violations
                .sort_by_key(|v| (v.line, v.severity != Severity::Error));
            r.status = status_of(&r.violations);
        }
    }
    r
}

/// Pass, or fail when any violation is an error.
pub fn status_of(violations: &[Located]) -> Status {
    if violations.iter().any(|v| v.severity == Severity::Error) {
        Status::Fail
    } else {
        Status::Pass
    }
}

/// A violation on the line of its field (or of the object, when the field has none).
pub fn locate(v: Violation, source: &Source) -> Located {
    let line = source
        .lines
        .and_then(|l| l.line_of(&v.path.to_pointer()))
        .unwrap_or(source.line);
    Located {
        rule: v.rule,
        severity: v.severity,
        path: v.path.to_string(),
        line,
        message: v.message,
    }
}

/// The result of a document that could not be read: a `parse` error.
pub fn unreadable(file: &str, document: usize, line: usize, message: String) -> DocResult {
    let mut r = result(
        &Source {
            file,
            document,
            line,
            lines: None,
        },
        Identity::default(),
        Verdict::Checked(Vec::new()),
    );
    r.status = Status::Fail;
    r.violations.push(Located {
        rule: RuleId::Parse,
        severity: Severity::Error,
        path: String::new(),
        line,
        message,
    });
    r
}

/// Checks one manifest entry as `dsguard validate` does; with `previous`, a DaemonSet that
/// has a previous version is checked as its UPDATE would be.
pub fn validate_entry(
    file: &str,
    entry: &Entry,
    policy: &Policy,
    previous: Option<&Previous>,
) -> DocResult {
    match &entry.content {
        Err(e) => unreadable(file, entry.document, entry.line, e.to_string()),
        Ok(obj) => validate_object(
            &Source {
                file,
                document: entry.document,
                line: entry.line,
                lines: Some(&obj.lines),
            },
            obj,
            policy,
            previous.and_then(|p| p.get(&obj.value)),
        ),
    }
}

/// Checks one object read from text, against its previous version when there is one (as
/// [`Previous`] keeps it: JSON text).
pub fn validate_object(
    source: &Source,
    obj: &Object,
    policy: &Policy,
    previous: Option<&str>,
) -> DocResult {
    let node = Node::from(&obj.value);
    // Previous keeps what it wrote with serde_json: it reads back.
    let old: Option<Node> = previous.and_then(|text| serde_json::from_str(text).ok());
    let verdict = verdict_value(&obj.value, &node, old.as_ref(), policy, Checks::OFFLINE);
    result(source, Identity::of(&node), verdict)
}
