//! DaemonSet rules, after kubernetes/kubernetes `pkg/apis/apps/validation/validation.go`
//! (`ValidateDaemonSet`, `ValidateDaemonSetSpec`, `ValidateDaemonSetUpdateStrategy`,
//! `ValidateRollingUpdateDaemonSet`) and the DaemonSet defaults the API server applies first
//! (`pkg/apis/apps/v1/defaults.go`, `SetDefaults_DaemonSet`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::names::{
    is_dns1123_label, is_dns1123_subdomain, is_qualified_name, is_valid_label_value,
    is_valid_percent,
};
use super::path::get_in;
use super::{FieldPath, Findings, RuleId, podspec, show};

/// Runs every DaemonSet rule over `obj`.
pub(crate) fn check(obj: &Value, old: Option<&Value>, out: &mut Findings) {
    api_version(obj, out);
    metadata(obj, out);
    deployment_fields(obj, out);
    let spec_path = FieldPath::new(&["spec"]);
    let Some(spec) = obj.get("spec").and_then(Value::as_object) else {
        out.add(
            RuleId::SelectorMissing,
            &spec_path.child("selector"),
            "Required value: spec is missing; a DaemonSet needs spec.selector and spec.template",
        );
        return;
    };
    let template_labels = label_map(get_in(obj, &["spec", "template", "metadata", "labels"]));
    selector(
        spec.get("selector"),
        &template_labels,
        &spec_path.child("selector"),
        out,
    );
    if let Some(old) = old {
        selector_immutable(obj, old, out);
    }
    let template_path = spec_path.child("template");
    match spec.get("template") {
        Some(Value::Object(template)) => {
            labels(
                template.get("metadata").and_then(|m| m.get("labels")),
                &template_path.child("metadata").child("labels"),
                RuleId::LabelInvalid,
                out,
            );
            podspec::check(template.get("spec"), &template_path.child("spec"), out);
        }
        _ => out.add(
            RuleId::PodSpec,
            &template_path,
            "Required value: a DaemonSet needs a pod template; add spec.template with metadata.labels and spec.containers",
        ),
    }
    for field in [
        "minReadySeconds",
        "templateGeneration",
        "revisionHistoryLimit",
    ] {
        non_negative(spec.get(field), &spec_path.child(field), out);
    }
    update_strategy(
        spec.get("updateStrategy"),
        &spec_path.child("updateStrategy"),
        out,
    );
}

/// A DaemonSet is served as `apps/v1` only; `extensions/v1beta1` and `apps/v1beta2` were
/// removed in Kubernetes 1.16.
fn api_version(obj: &Value, out: &mut Findings) {
    let path = FieldPath::new(&["apiVersion"]);
    match obj.get("apiVersion").and_then(Value::as_str) {
        Some("apps/v1") => {}
        Some(other) => out.add(
            RuleId::Schema,
            &path,
            format!(
                "no matches for kind \"DaemonSet\" in version \"{other}\"; use apiVersion: apps/v1"
            ),
        ),
        None => out.add(
            RuleId::Schema,
            &path,
            "Required value: apiVersion is missing; use apiVersion: apps/v1",
        ),
    }
}

/// `ValidateObjectMeta` (k8s.io/apimachinery `pkg/api/validation/objectmeta.go`) with
/// `ValidateDaemonSetName` = `NameIsDNSSubdomain`.
fn metadata(obj: &Value, out: &mut Findings) {
    let path = FieldPath::new(&["metadata"]);
    let meta = obj.get("metadata");
    let name = meta.and_then(|m| m.get("name")).and_then(Value::as_str);
    let generate = meta
        .and_then(|m| m.get("generateName"))
        .and_then(Value::as_str);
    match (name, generate) {
        (Some(n), _) if !n.is_empty() => {
            for msg in is_dns1123_subdomain(n) {
                out.add(
                    RuleId::MetadataInvalid,
                    &path.child("name"),
                    format!("Invalid value: \"{n}\": {msg}"),
                );
            }
        }
        (_, Some(g)) if !g.is_empty() => {
            // Generated names append 5 characters; a trailing '-' is allowed in the prefix.
            let probe = format!("{}a", g);
            for msg in is_dns1123_subdomain(&probe) {
                out.add(
                    RuleId::MetadataInvalid,
                    &path.child("generateName"),
                    format!("Invalid value: \"{g}\": {msg}"),
                );
            }
        }
        _ => out.add(
            RuleId::MetadataInvalid,
            &path.child("name"),
            "Required value: name or generateName is required; set metadata.name",
        ),
    }
    if let Some(ns) = meta
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        && !ns.is_empty()
    {
        for msg in is_dns1123_label(ns) {
            out.add(
                RuleId::MetadataInvalid,
                &path.child("namespace"),
                format!("Invalid value: \"{ns}\": {msg}"),
            );
        }
    }
    labels(
        meta.and_then(|m| m.get("labels")),
        &path.child("labels"),
        RuleId::LabelInvalid,
        out,
    );
    if let Some(Value::Object(annotations)) = meta.and_then(|m| m.get("annotations")) {
        let mut total = 0;
        for (k, v) in annotations {
            for msg in is_qualified_name(&k.to_lowercase()) {
                out.add(
                    RuleId::MetadataInvalid,
                    &path.child("annotations"),
                    format!("Invalid value: \"{k}\": {msg}"),
                );
            }
            total += k.len() + v.as_str().map_or(0, str::len);
        }
        // ValidateAnnotationsSize: TotalAnnotationSizeLimitB = 256 KiB.
        if total > 256 * 1024 {
            out.add(
                RuleId::MetadataInvalid,
                &path.child("annotations"),
                format!(
                    "Too long: may not be more than 262144 bytes (annotations total {total} bytes)"
                ),
            );
        }
    }
}

/// `ValidateLabels` (k8s.io/apimachinery `pkg/apis/meta/v1/validation/validation.go`) over a
/// label map: metadata and template labels, selector matchLabels, nodeSelector. Findings go
/// to `rule`.
pub(crate) fn labels(value: Option<&Value>, path: &FieldPath, rule: RuleId, out: &mut Findings) {
    let Some(Value::Object(map)) = value else {
        return;
    };
    for (k, v) in map {
        for msg in is_qualified_name(k) {
            out.add(rule, path, format!("Invalid value: \"{k}\": {msg}"));
        }
        if let Some(s) = v.as_str() {
            for msg in is_valid_label_value(s) {
                out.add(rule, &path.key(k), format!("Invalid value: \"{s}\": {msg}"));
            }
        }
    }
}

fn label_map(value: Option<&Value>) -> BTreeMap<String, String> {
    match value {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// Fields of a Deployment that a DaemonSet does not have. The API server refuses them under
/// strict field validation (kubectl's default) and drops them silently otherwise.
pub(crate) const DEPLOYMENT_SPEC_FIELDS: &[&str] =
    &["replicas", "strategy", "paused", "progressDeadlineSeconds"];
/// DeploymentStatus fields that DaemonSetStatus lacks (k8s.io/api `apps/v1/types.go`).
pub(crate) const DEPLOYMENT_STATUS_FIELDS: &[&str] = &[
    "replicas",
    "updatedReplicas",
    "readyReplicas",
    "availableReplicas",
    "unavailableReplicas",
    "terminatingReplicas",
];

fn deployment_fields(obj: &Value, out: &mut Findings) {
    if let Some(Value::Object(spec)) = obj.get("spec") {
        for field in DEPLOYMENT_SPEC_FIELDS {
            if spec.contains_key(*field) {
                let fix = if *field == "strategy" {
                    "remove it (a DaemonSet uses spec.updateStrategy), or run `dsguard mutate`"
                } else {
                    "remove it, or run `dsguard mutate`"
                };
                out.add(
                    RuleId::DeploymentField,
                    &FieldPath::new(&["spec", field]),
                    format!("unknown field \"spec.{field}\": a DaemonSet has no {field}; {fix}"),
                );
            }
        }
    }
    if let Some(Value::Object(status)) = obj.get("status") {
        for field in DEPLOYMENT_STATUS_FIELDS {
            if status.contains_key(*field) {
                out.add(
                    RuleId::DeploymentField,
                    &FieldPath::new(&["status", field]),
                    format!("unknown field \"status.{field}\": this is Deployment status; remove status from the manifest, or run `dsguard mutate`"),
                );
            }
        }
    }
}

/// Selector rules of `ValidateDaemonSetSpec`: `ValidateLabelSelector`, then
/// `LabelSelectorAsSelector(...).Matches(template labels)`, then the empty-selector check.
fn selector(
    value: Option<&Value>,
    template_labels: &BTreeMap<String, String>,
    path: &FieldPath,
    out: &mut Findings,
) {
    let sel = match value {
        None | Some(Value::Null) => {
            out.add(
                RuleId::SelectorMissing,
                path,
                "Required value: a DaemonSet needs spec.selector; add spec.selector.matchLabels with the pod template's identifying labels",
            );
            return;
        }
        Some(Value::Object(sel)) => sel,
        // A wrong type is the schema rule's to report.
        Some(_) => return,
    };
    let before = out.0.len();
    let match_labels = sel.get("matchLabels");
    labels(
        match_labels,
        &path.child("matchLabels"),
        RuleId::SelectorInvalid,
        out,
    );
    let expressions: &[Value] = match sel.get("matchExpressions") {
        Some(Value::Array(a)) => a,
        _ => &[],
    };
    for (i, expr) in expressions.iter().enumerate() {
        let epath = path.child("matchExpressions").index(i);
        let op = expr.get("operator").and_then(Value::as_str).unwrap_or("");
        let values = match expr.get("values") {
            Some(Value::Array(v)) => v.as_slice(),
            _ => &[],
        };
        match op {
            "In" | "NotIn" => {
                if values.is_empty() {
                    out.add(RuleId::SelectorInvalid, &epath.child("values"), "Required value: must be specified when `operator` is 'In' or 'NotIn'");
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    out.add(RuleId::SelectorInvalid, &epath.child("values"), "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
                }
            }
            other => out.add(
                RuleId::SelectorInvalid,
                &epath.child("operator"),
                format!("Invalid value: \"{other}\": not a valid selector operator; use In, NotIn, Exists or DoesNotExist"),
            ),
        }
        let key = expr.get("key").and_then(Value::as_str).unwrap_or("");
        for msg in is_qualified_name(key) {
            out.add(
                RuleId::SelectorInvalid,
                &epath.child("key"),
                format!("Invalid value: \"{key}\": {msg}"),
            );
        }
        for (j, v) in values.iter().enumerate() {
            if let Some(s) = v.as_str() {
                for msg in is_valid_label_value(s) {
                    out.add(
                        RuleId::SelectorInvalid,
                        &epath.child("values").index(j),
                        format!("Invalid value: \"{s}\": {msg}"),
                    );
                }
            }
        }
    }
    let empty = match_labels
        .and_then(Value::as_object)
        .is_none_or(|m| m.is_empty())
        && expressions.is_empty();
    // LabelSelectorAsSelector fails on an invalid selector, and then no mismatch is reported.
    if out.0.len() == before && !empty {
        mismatch(match_labels, expressions, template_labels, out);
    }
    if empty {
        out.add(
            RuleId::SelectorEmpty,
            path,
            "Invalid value: {}: empty selector is invalid for daemonset; add spec.selector.matchLabels with the pod template's identifying labels",
        );
    }
}

/// `selector.Matches(labels.Set(spec.Template.Labels))`, with kube-rs's `Selector`, and a
/// message that says which labels to add.
fn mismatch(
    match_labels: Option<&Value>,
    expressions: &[Value],
    template: &BTreeMap<String, String>,
    out: &mut Findings,
) {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
    use kube::core::{Selector, SelectorExt};
    let ml = label_map(match_labels);
    let reqs: Vec<LabelSelectorRequirement> = expressions
        .iter()
        .map(|e| LabelSelectorRequirement {
            key: e.get("key").and_then(Value::as_str).unwrap_or("").into(),
            operator: e
                .get("operator")
                .and_then(Value::as_str)
                .unwrap_or("")
                .into(),
            values: e.get("values").and_then(Value::as_array).map(|v| {
                v.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            }),
        })
        .collect();
    let label_selector = LabelSelector {
        match_labels: Some(ml.clone()),
        match_expressions: Some(reqs.clone()),
    };
    let Ok(selector) = Selector::try_from(label_selector) else {
        return;
    };
    if selector.matches(template) {
        return;
    }
    let mut all_adds = true;
    let mut fixes: Vec<String> = ml
        .iter()
        .filter(|(k, v)| template.get(*k) != Some(*v))
        .map(|(k, v)| format!("add `{k}: {v}`"))
        .collect();
    for r in &reqs {
        let one = LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![r.clone()]),
        };
        if Selector::try_from(one).is_ok_and(|s| !s.matches(template)) {
            all_adds = false;
            let values = r.values.clone().unwrap_or_default().join(",");
            fixes.push(match r.operator.as_str() {
                "In" => format!("set `{}` to one of {values}", r.key),
                "NotIn" => format!("set `{}` to a value other than {values}", r.key),
                "Exists" => format!("add a `{}` label", r.key),
                _ => format!("remove the `{}` label", r.key),
            });
        }
    }
    let shown = serde_json::to_string(template).unwrap_or_default();
    out.add(
        RuleId::SelectorMismatch,
        &FieldPath::new(&["spec", "template", "metadata", "labels"]),
        format!(
            "Invalid value: {shown}: `selector` does not match template `labels`; {} {} spec.template.metadata.labels",
            fixes.join(" and "),
            if all_adds { "to" } else { "in" }
        ),
    );
}

/// The apps/v1 DaemonSet strategy keeps spec.selector immutable
/// (kubernetes/kubernetes `pkg/registry/apps/daemonset/strategy.go`, `ValidateUpdate`,
/// `apivalidation.ValidateImmutableField`).
fn selector_immutable(obj: &Value, old: &Value, out: &mut Findings) {
    let new_sel = obj.pointer("/spec/selector");
    let old_sel = old.pointer("/spec/selector");
    if old_sel.is_some() && normalize_selector(new_sel) != normalize_selector(old_sel) {
        out.add(
            RuleId::SelectorImmutable,
            &FieldPath::new(&["spec", "selector"]),
            format!(
                "Invalid value: {}: field is immutable; keep the old selector {}, or delete the DaemonSet with --cascade=orphan and create it again",
                new_sel.map(show).unwrap_or_else(|| "null".into()),
                old_sel.map(show).unwrap_or_default()
            ),
        );
    }
}

/// Semantic equality: absent and empty lists or maps are the same.
fn normalize_selector(v: Option<&Value>) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(Value::Object(m)) = v {
        for (k, val) in m {
            let empty = match val {
                Value::Null => true,
                Value::Array(a) => a.is_empty(),
                Value::Object(o) => o.is_empty(),
                _ => false,
            };
            if !empty {
                out.insert(k.clone(), val.clone());
            }
        }
    }
    Value::Object(out)
}

/// `ValidateNonnegativeField` (kubernetes/kubernetes `pkg/apis/core/validation/validation.go`).
pub(crate) fn non_negative(value: Option<&Value>, path: &FieldPath, out: &mut Findings) {
    if let Some(n) = value.and_then(Value::as_i64)
        && n < 0
    {
        out.add(
            RuleId::NegativeValue,
            path,
            format!("Invalid value: {n}: must be greater than or equal to 0"),
        );
    }
}

/// An int-or-string as `intstr.IntOrString` holds it.
enum IntOrString<'a> {
    Int(i64),
    Str(&'a str),
}

impl IntOrString<'_> {
    fn show(&self) -> String {
        match self {
            IntOrString::Int(i) => i.to_string(),
            IntOrString::Str(s) => format!("\"{s}\""),
        }
    }

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
}

fn int_or_string(v: &Value) -> Option<IntOrString<'_>> {
    match v {
        Value::String(s) => Some(IntOrString::Str(s)),
        Value::Number(n) => n.as_i64().map(IntOrString::Int),
        _ => None,
    }
}

/// `SetDefaults_DaemonSet` then `ValidateDaemonSetUpdateStrategy`: an absent type becomes
/// RollingUpdate, an absent maxUnavailable 1, an absent maxSurge 0.
fn update_strategy(value: Option<&Value>, path: &FieldPath, out: &mut Findings) {
    let strategy = match value {
        Some(Value::Object(s)) => Some(s),
        None | Some(Value::Null) => None,
        Some(_) => return,
    };
    let ty = strategy
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .unwrap_or("RollingUpdate");
    match ty {
        "OnDelete" => {}
        "RollingUpdate" => {
            let ru_path = path.child("rollingUpdate");
            let ru = strategy
                .and_then(|s| s.get("rollingUpdate"))
                .and_then(Value::as_object);
            let one = Value::from(1);
            let zero = Value::from(0);
            let max_unavailable = ru
                .and_then(|r| r.get("maxUnavailable"))
                .filter(|v| !v.is_null())
                .unwrap_or(&one);
            let max_surge = ru
                .and_then(|r| r.get("maxSurge"))
                .filter(|v| !v.is_null())
                .unwrap_or(&zero);
            let (Some(mu), Some(ms)) = (int_or_string(max_unavailable), int_or_string(max_surge))
            else {
                return; // wrong types: the schema rule reports them
            };
            for (name, v) in [("maxUnavailable", &mu), ("maxSurge", &ms)] {
                let p = ru_path.child(name);
                match v {
                    IntOrString::Str(s) if !is_valid_percent(s) => out.add(
                        RuleId::UpdateStrategy,
                        &p,
                        format!("Invalid value: \"{s}\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%'); write an integer such as 1 or a percentage such as \"10%\""),
                    ),
                    IntOrString::Int(i) if *i < 0 => out.add(
                        RuleId::NegativeValue,
                        &p,
                        format!("Invalid value: {i}: must be greater than or equal to 0"),
                    ),
                    IntOrString::Str(_) if v.value() > 100 => out.add(
                        RuleId::UpdateStrategy,
                        &p,
                        format!("Invalid value: {}: must not be greater than 100%", v.show()),
                    ),
                    _ => {}
                }
            }
            let has_unavailable = mu.value() != 0;
            let has_surge = ms.value() != 0;
            if has_unavailable && has_surge {
                let defaulted = ru
                    .and_then(|r| r.get("maxUnavailable"))
                    .is_none_or(Value::is_null);
                let hint = if defaulted {
                    "maxUnavailable defaults to 1; set maxUnavailable: 0 to surge instead"
                } else {
                    "set one of maxUnavailable and maxSurge to 0"
                };
                out.add(
                    RuleId::UpdateStrategy,
                    &ru_path.child("maxSurge"),
                    format!(
                        "Invalid value: {}: may not be set when maxUnavailable is non-zero; {hint}",
                        ms.show()
                    ),
                );
            } else if !has_unavailable && !has_surge {
                out.add(
                    RuleId::UpdateStrategy,
                    &ru_path.child("maxUnavailable"),
                    "Required value: cannot be 0 when maxSurge is 0; set maxUnavailable to 1 or more, or maxSurge",
                );
            }
        }
        other => out.add(
            RuleId::UpdateStrategy,
            path,
            format!(
                "Unsupported value: \"{other}\": supported values: \"OnDelete\", \"RollingUpdate\""
            ),
        ),
    }
}
