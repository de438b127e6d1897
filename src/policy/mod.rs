//! The pure policy engine: values in, violations and patches out. No I/O.
//!
//! * [`validate`] checks one object and returns [`Violation`]s; [`validate_node`] does the
//!   same on a [`Node`], the borrowed view the webhook parses a review into.
//! * [`mutate`] returns RFC 6902 JSON Patch operations; applying them twice changes nothing
//!   the second time.
//!
//! Where each rule lives: the catalogue is [`RuleId`] (`rules.rs`); the DaemonSet rules are
//! in `daemonset.rs`, the pod template's in `pod/`, metadata, labels and selectors in
//! `meta.rs`, the policy rules in `practices.rs`, the strict schema in `schema.rs` (its
//! Kubernetes versions in `schema_versions.rs`), rollout health in `rollout.rs`.
//! `grep -rn 'RuleId::SelectorMismatch' src/policy` finds a rule.

mod daemonset;
pub mod fields;
mod finding;
mod meta;
mod mutate;
mod names;
mod path;
mod pod;
mod practices;
pub mod quantity;
pub mod rollout;
mod rules;
mod schema;
#[cfg(test)]
mod schema_postprocess;
mod schema_versions;
mod settings;
#[cfg(test)]
mod tests;
mod upgrade;
pub mod view;

use serde_json::Value;

pub use finding::Violation;
pub use meta::label_problems;
pub use mutate::MutateMode;
pub use path::{FieldPath, escape_token, unescape_token};
pub use rules::{RuleId, Severity};
pub use schema_versions::{KubernetesVersion, UnsupportedVersion};
pub use settings::{DEFAULT_EXEMPT_ANNOTATION, DEFAULT_VOLATILE_LABEL_KEYS, Policy, Toleration};
pub use view::Node;

use finding::Findings;

/// Which checks to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks {
    /// The rules that belong to decoding: the strict schema (`schema`, `unknown-field`),
    /// `deployment-field` and the apiVersion. Offline only: an object that reaches a
    /// webhook was decoded by the API server already, which refuses or drops what these
    /// rules report.
    pub decoding: bool,
}

impl Checks {
    /// Offline (`validate`, `audit`): every rule.
    pub const OFFLINE: Checks = Checks { decoding: true };
    /// The validating webhook: every rule but the decoding ones.
    pub const ADMISSION: Checks = Checks { decoding: false };
}

/// Checks a DaemonSet. `old` is the stored object on UPDATE (for `selector-immutable` and
/// the update rules). Violations of rules configured `off` are left out; the rest carry
/// configured severities.
pub fn validate(
    obj: &Value,
    old: Option<&Value>,
    policy: &Policy,
    checks: Checks,
) -> Vec<Violation> {
    let old = old.map(Node::from);
    validate_against(obj, &Node::from(obj), old.as_ref(), policy, checks)
}

/// [`validate`] with the object's view (`node`, of `obj`: the strict schema reads the value,
/// everything else the view) and the old object already read into [`Node`]s.
pub fn validate_against(
    obj: &Value,
    node: &Node,
    old: Option<&Node>,
    policy: &Policy,
    checks: Checks,
) -> Vec<Violation> {
    let mut out = Findings::default();
    if checks.decoding {
        schema::check(obj, policy.kubernetes_version, &mut out);
    }
    engine(node, old, policy, checks, &mut out);
    apply_severities(out, policy)
}

/// [`validate`] on a [`Node`]. The strict schema needs a `serde_json::Value` and is not run
/// here; everything else in `checks` is.
pub fn validate_node(
    obj: &Node,
    old: Option<&Node>,
    policy: &Policy,
    checks: Checks,
) -> Vec<Violation> {
    let mut out = Findings::default();
    engine(obj, old, policy, checks, &mut out);
    apply_severities(out, policy)
}

fn engine(obj: &Node, old: Option<&Node>, policy: &Policy, checks: Checks, out: &mut Findings) {
    daemonset::check(obj, old, checks, out);
    practices::check(obj, out);
    upgrade::volatile_selector_labels(obj, policy, out);
    if let Some(old) = old {
        upgrade::previous_selector(obj, old, out);
    }
}

/// The patch that fixes `obj` (see [`mutate::mutate`]), read through [`fields::MUTATE`].
pub fn mutate(obj: &Value, policy: &Policy, mode: MutateMode) -> json_patch::Patch {
    mutate::mutate(&fields::MUTATE.apply(obj), policy, mode)
}

/// [`mutate`] on a [`Node`].
pub fn mutate_node(obj: &Node, policy: &Policy, mode: MutateMode) -> json_patch::Patch {
    mutate::mutate(obj, policy, mode)
}

/// The API server's objections to a list of tolerations (`validateTolerations`, as for
/// `spec.template.spec.tolerations`), each as `tolerations[i].field: message`. The
/// configuration's default tolerations go through it: `mutate` adds them to every
/// DaemonSet, so one the API server refuses would make every fixed object invalid.
pub fn toleration_problems(tolerations: &[Toleration]) -> Vec<String> {
    let value = serde_json::to_value(tolerations).unwrap_or(Value::Null);
    let node = Node::from(&value);
    let mut findings = finding::Findings::default();
    pod::spec::tolerations(
        node.items(),
        &path::At::ROOT.child("tolerations"),
        &pod::options::Options::create(true),
        &mut findings.rule(RuleId::PodSpec),
    );
    findings
        .0
        .into_iter()
        .map(|(_, p, m)| format!("{p}: {m}"))
        .collect()
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
