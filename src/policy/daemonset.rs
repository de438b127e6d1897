//! DaemonSet rules, after kubernetes/kubernetes `pkg/apis/apps/validation/validation.go`
//! (`ValidateDaemonSet`, `ValidateDaemonSetUpdate`, `ValidateDaemonSetSpec`,
//! `ValidateDaemonSetUpdateStrategy`, `ValidateRollingUpdateDaemonSet`) and the DaemonSet
//! defaults the API server applies first (`pkg/apis/apps/v1/defaults.go`,
//! `SetDefaults_DaemonSet`). The pod template is [`super::pod`]'s.

use std::collections::BTreeMap;

use super::fields::{DEPLOYMENT_SPEC_FIELDS, DEPLOYMENT_STATUS_FIELDS};
use super::finding::{Findings, Out, Raw};
use super::meta::{self, Selector};
use super::names::is_valid_percent;
use super::path::At;
use super::rules::RuleId;
use super::view::Node;
use super::{Checks, pod};

/// Runs every DaemonSet rule over `obj`; `old` is the stored object on UPDATE.
pub(crate) fn check(obj: &Node, old: Option<&Node>, checks: Checks, out: &mut Findings) {
    if checks.decoding {
        api_version(obj, out);
        deployment_fields(obj, out);
    }
    {
        let mut labels_out = Findings::default();
        meta::object_meta(
            obj.field("metadata"),
            &At::ROOT.child("metadata"),
            &mut out.rule(RuleId::MetadataInvalid),
            &mut labels_out.rule(RuleId::LabelInvalid),
        );
        out.0.append(&mut labels_out.0);
    }
    let spec_at = At::ROOT.child("spec");
    let Some(spec) = obj.get("spec").filter(|s| s.is_object()) else {
        out.rule(RuleId::SelectorMissing).required(
            &spec_at.child("selector"),
            "spec is missing; a DaemonSet needs spec.selector and spec.template",
        );
        return;
    };
    let template_labels: BTreeMap<String, String> =
        meta::label_map(spec.field("template").field("metadata").field("labels"))
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    selector(
        spec.get("selector"),
        &template_labels,
        &spec_at.child("selector"),
        out,
    );
    if let Some(old) = old {
        selector_immutable(obj, old, out);
    }
    pod::template(spec.get("template"), &spec_at.child("template"), out);
    for field in [
        "minReadySeconds",
        "templateGeneration",
        "revisionHistoryLimit",
    ] {
        non_negative(spec.get(field), &spec_at.child(field), out);
    }
    update_strategy(
        spec.field("updateStrategy"),
        &spec_at.child("updateStrategy"),
        out,
    );
}

/// A DaemonSet is served as `apps/v1` only; `extensions/v1beta1` and `apps/v1beta2` were
/// removed in Kubernetes 1.16.
fn api_version(obj: &Node, out: &mut Findings) {
    let at = At::ROOT.child("apiVersion");
    let mut o = out.rule(RuleId::Schema);
    match obj.get("apiVersion").and_then(Node::as_str) {
        Some("apps/v1") => {}
        Some(other) => o.add(
            &at,
            format!(
                "no matches for kind \"DaemonSet\" in version \"{other}\"; use apiVersion: apps/v1"
            ),
        ),
        None => o.required(&at, "apiVersion is missing; use apiVersion: apps/v1"),
    }
}

fn deployment_fields(obj: &Node, out: &mut Findings) {
    let mut o = out.rule(RuleId::DeploymentField);
    let spec_at = At::ROOT.child("spec");
    let spec = obj.field("spec");
    for field in DEPLOYMENT_SPEC_FIELDS {
        if spec.as_object().is_some_and(|s| s.contains_key(field)) {
            let fix = if *field == "strategy" {
                "remove it (a DaemonSet uses spec.updateStrategy), or run `dsguard mutate`"
            } else {
                "remove it, or run `dsguard mutate`"
            };
            o.add(
                &spec_at.child(field),
                format!("unknown field \"spec.{field}\": a DaemonSet has no {field}; {fix}"),
            );
        }
    }
    let status_at = At::ROOT.child("status");
    let status = obj.field("status");
    for field in DEPLOYMENT_STATUS_FIELDS {
        if status.as_object().is_some_and(|s| s.contains_key(field)) {
            o.add(
                &status_at.child(field),
                format!("unknown field \"status.{field}\": this is Deployment status; remove status from the manifest, or run `dsguard mutate`"),
            );
        }
    }
}

/// Selector rules of `ValidateDaemonSetSpec`: `ValidateLabelSelector`, then
/// `LabelSelectorAsSelector(...).Matches(template labels)`, then the empty-selector check.
fn selector(
    value: Option<&Node>,
    template_labels: &BTreeMap<String, String>,
    at: &At,
    out: &mut Findings,
) {
    let sel = match value {
        None | Some(Node::Null) => {
            out.rule(RuleId::SelectorMissing).required(
                at,
                "a DaemonSet needs spec.selector; add spec.selector.matchLabels with the pod template's identifying labels",
            );
            return;
        }
        Some(v) => match Selector::of(v) {
            Some(sel) => sel,
            // A wrong type is the schema rule's to report.
            None => return,
        },
    };
    let valid = sel.validate(at, &mut out.rule(RuleId::SelectorInvalid));
    if sel.is_empty() {
        out.rule(RuleId::SelectorEmpty).invalid(
            at,
            Raw("{}"),
            "empty selector is invalid for daemonset; add spec.selector.matchLabels with the pod template's identifying labels",
        );
    } else if valid && sel.matches(template_labels) == Some(false) {
        mismatch(
            &sel,
            template_labels,
            &mut out.rule(RuleId::SelectorMismatch),
        );
    }
}

/// The mismatch finding, with a message that says which labels to add.
fn mismatch(sel: &Selector, template: &BTreeMap<String, String>, o: &mut Out) {
    let mut all_adds = true;
    let mut fixes: Vec<String> = meta::label_map(sel.match_labels)
        .into_iter()
        .filter(|(k, v)| template.get(*k).map(String::as_str) != Some(*v))
        .map(|(k, v)| format!("add `{k}: {v}`"))
        .collect();
    for expr in sel.expressions {
        let one = Selector {
            match_labels: &Node::Null,
            expressions: std::slice::from_ref(expr),
        };
        if one.matches(template) == Some(false) {
            all_adds = false;
            let key = expr.get("key").and_then(Node::as_str).unwrap_or("");
            let values: Vec<&str> = expr
                .field("values")
                .items()
                .iter()
                .filter_map(Node::as_str)
                .collect();
            let values = values.join(",");
            fixes.push(match expr.get("operator").and_then(Node::as_str) {
                Some("In") => format!("set `{key}` to one of {values}"),
                Some("NotIn") => format!("set `{key}` to a value other than {values}"),
                Some("Exists") => format!("add a `{key}` label"),
                _ => format!("remove the `{key}` label"),
            });
        }
    }
    let shown = serde_json::to_string(template).unwrap_or_default();
    let at = At::ROOT.child("spec");
    let at = at.child("template");
    let at = at.child("metadata");
    o.invalid(
        &at.child("labels"),
        Raw(shown),
        format!(
            "`selector` does not match template `labels`; {} {} spec.template.metadata.labels",
            fixes.join(" and "),
            if all_adds { "to" } else { "in" }
        ),
    );
}

/// The apps/v1 DaemonSet strategy keeps spec.selector immutable
/// (kubernetes/kubernetes `pkg/registry/apps/daemonset/strategy.go`, `ValidateUpdate`,
/// `apivalidation.ValidateImmutableField`, which compares with semantic equality).
fn selector_immutable(obj: &Node, old: &Node, out: &mut Findings) {
    let new_sel = obj.field("spec").get("selector");
    let old_sel = old.field("spec").get("selector");
    if old_sel.is_some() && normalize_selector(new_sel) != normalize_selector(old_sel) {
        out.rule(RuleId::SelectorImmutable).invalid(
            &At::ROOT.child("spec").child("selector"),
            Raw(new_sel.map_or_else(|| "null".to_string(), Node::to_string)),
            format!(
                "field is immutable; keep the old selector {}, or delete the DaemonSet with --cascade=orphan and create it again",
                old_sel.map(Node::to_string).unwrap_or_default()
            ),
        );
    }
}

/// Semantic equality: absent and empty lists or maps are the same.
fn normalize_selector(v: Option<&Node>) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for (k, val) in v.into_iter().flat_map(Node::entries) {
        let empty = matches!(val, Node::Null | Node::Array(_) | Node::Object(_)) && val.is_zero();
        if !empty {
            out.insert(k.to_string(), val.to_value());
        }
    }
    serde_json::Value::Object(out)
}

/// `ValidateNonnegativeField` (kubernetes/kubernetes `pkg/apis/core/validation/validation.go`).
pub(crate) fn non_negative(value: Option<&Node>, at: &At, out: &mut Findings) {
    if let Some(n) = value.and_then(Node::as_i64)
        && n < 0
    {
        out.rule(RuleId::NegativeValue)
            .invalid(at, n, "must be greater than or equal to 0");
    }
}

/// An int-or-string as `intstr.IntOrString` holds it.
enum IntOrString<'a> {
    Int(i64),
    Str(&'a str),
}

impl IntOrString<'_> {
    /// `getIntOrPercentValue`: the percentage, or the integer; an invalid string counts as 0
    /// (`IntValue` of a non-numeric string).
    fn value(&self) -> i64 {
        match self {
            IntOrString::Int(i) => *i,
            IntOrString::Str(s) if is_valid_percent(s) => {
                s[..s.len() - 1].parse().unwrap_or(i64::MAX)
            }
            IntOrString::Str(s) => s.parse().unwrap_or(0),
        }
    }

    fn shown(&self) -> Raw<String> {
        Raw(match self {
            IntOrString::Int(i) => i.to_string(),
            IntOrString::Str(s) => format!("\"{s}\""),
        })
    }
}

fn int_or_string<'a>(v: &'a Node) -> Option<IntOrString<'a>> {
    match v {
        Node::String(s) => Some(IntOrString::Str(s)),
        Node::Number(n) => n.as_i64().map(IntOrString::Int),
        _ => None,
    }
}

/// `SetDefaults_DaemonSet` then `ValidateDaemonSetUpdateStrategy`: an absent type becomes
/// RollingUpdate, an absent maxUnavailable 1, an absent maxSurge 0.
fn update_strategy(strategy: &Node, at: &At, out: &mut Findings) {
    if !(strategy.is_null() || strategy.is_object()) {
        return;
    }
    let ty = strategy
        .get("type")
        .and_then(Node::as_str)
        .filter(|t| !t.is_empty())
        .unwrap_or("RollingUpdate");
    match ty {
        "OnDelete" => {}
        "RollingUpdate" => {
            let ru_at = at.child("rollingUpdate");
            let ru = strategy.field("rollingUpdate");
            let one = Node::Number(1.into());
            let zero = Node::Number(0.into());
            let max_unavailable = ru
                .get("maxUnavailable")
                .filter(|v| !v.is_null())
                .unwrap_or(&one);
            let max_surge = ru.get("maxSurge").filter(|v| !v.is_null()).unwrap_or(&zero);
            let (Some(mu), Some(ms)) = (int_or_string(max_unavailable), int_or_string(max_surge))
            else {
                return; // wrong types: the schema rule reports them
            };
            for (name, v) in [("maxUnavailable", &mu), ("maxSurge", &ms)] {
                let p = ru_at.child(name);
                match v {
                    IntOrString::Str(s) if !is_valid_percent(s) => out.rule(RuleId::UpdateStrategy).invalid(
                        &p,
                        *s,
                        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%'); write an integer such as 1 or a percentage such as \"10%\"",
                    ),
                    IntOrString::Int(i) if *i < 0 => out
                        .rule(RuleId::NegativeValue)
                        .invalid(&p, *i, "must be greater than or equal to 0"),
                    IntOrString::Str(_) if v.value() > 100 => out
                        .rule(RuleId::UpdateStrategy)
                        .invalid(&p, v.shown(), "must not be greater than 100%"),
                    _ => {}
                }
            }
            let has_unavailable = mu.value() != 0;
            let has_surge = ms.value() != 0;
            let mut o = out.rule(RuleId::UpdateStrategy);
            if has_unavailable && has_surge {
                let defaulted = ru.get("maxUnavailable").is_none_or(Node::is_null);
                let hint = if defaulted {
                    "maxUnavailable defaults to 1; set maxUnavailable: 0 to surge instead"
                } else {
                    "set one of maxUnavailable and maxSurge to 0"
                };
                o.invalid(
                    &ru_at.child("maxSurge"),
                    ms.shown(),
                    format!("may not be set when maxUnavailable is non-zero; {hint}"),
                );
            } else if !has_unavailable && !has_surge {
                o.required(
                    &ru_at.child("maxUnavailable"),
                    "cannot be 0 when maxSurge is 0; set maxUnavailable to 1 or more, or maxSurge",
                );
            }
        }
        other => out.rule(RuleId::UpdateStrategy).not_supported(
            at,
            other,
            &["OnDelete", "RollingUpdate"],
        ),
    }
}
