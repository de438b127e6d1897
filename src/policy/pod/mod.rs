//! The pod template, after kubernetes/kubernetes `pkg/apis/core/validation/validation.go`
//! (`ValidatePodTemplateSpec`, `ValidatePodSpec`) and the DaemonSet-specific checks of
//! `pkg/apis/apps/validation/validation.go`, `ValidateDaemonSetSpec` (restartPolicy Always,
//! no activeDeadlineSeconds).

mod containers;
mod scheduling;

use super::finding::{Findings, Out};
use super::meta;
use super::path::At;
use super::rules::RuleId;
use super::view::Node;

/// `ValidatePodTemplateSpec` for a DaemonSet's `spec.template`.
pub(crate) fn template(value: Option<&Node>, at: &At, out: &mut Findings) {
    let Some(template) = value.filter(|t| t.is_object()) else {
        out.rule(RuleId::PodSpec).required(
            at,
            "a DaemonSet needs a pod template; add spec.template with metadata.labels and spec.containers",
        );
        return;
    };
    let meta_at = at.child("metadata");
    let metadata = template.field("metadata");
    meta::labels(
        metadata.field("labels"),
        &meta_at.child("labels"),
        &mut out.rule(RuleId::LabelInvalid),
    );
    meta::annotations(
        metadata.field("annotations"),
        &meta_at.child("annotations"),
        &mut out.rule(RuleId::MetadataInvalid),
    );
    spec(template.get("spec"), &at.child("spec"), out);
}

/// `ValidatePodSpec`, then what `ValidateDaemonSetSpec` adds.
fn spec(value: Option<&Node>, at: &At, out: &mut Findings) {
    let Some(spec) = value.filter(|s| s.is_object()) else {
        out.rule(RuleId::PodSpec).required(
            &at.child("containers"),
            "the pod template has no spec; add spec.template.spec.containers",
        );
        return;
    };
    let mut o = out.rule(RuleId::PodSpec);
    containers::all(spec, at, &mut o);
    restart_policy(
        spec.get("restartPolicy"),
        &at.child("restartPolicy"),
        &mut o,
    );
    if let Some(v) = spec.get("activeDeadlineSeconds").filter(|v| !v.is_null()) {
        o.under(RuleId::ActiveDeadline).forbidden(
            &at.child("activeDeadlineSeconds"),
            format!("activeDeadlineSeconds in DaemonSet is not Supported (found {v}); remove it"),
        );
    }
    let tolerations = at.child("tolerations");
    for (i, t) in spec.field("tolerations").items().iter().enumerate() {
        scheduling::toleration(t, &tolerations.index(i), &mut o);
    }
    meta::labels(
        spec.field("nodeSelector"),
        &at.child("nodeSelector"),
        &mut o,
    );
}

/// `validateRestartPolicy`, then the DaemonSet rule: only `Always` (the default).
fn restart_policy(value: Option<&Node>, at: &At, o: &mut Out) {
    match value.and_then(Node::as_str) {
        None | Some("") | Some("Always") => {}
        Some(other) => o.under(RuleId::RestartPolicy).add(
            at,
            format!("Unsupported value: \"{other}\": supported values: \"Always\"; remove restartPolicy or set it to Always"),
        ),
    }
}
