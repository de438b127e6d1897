//! DaemonSet rules, after kubernetes/kubernetes `pkg/apis/apps/validation/validation.go`
//! (`ValidateDaemonSet`, `ValidateDaemonSetUpdate`, `ValidateDaemonSetSpec`,
//! `ValidateDaemonSetUpdateStrategy`, `ValidateRollingUpdateDaemonSet`), the DaemonSet
//! strategy (`pkg/registry/apps/daemonset/strategy.go`: `Validate`, `ValidateUpdate`) and
//! the defaults the API server applies first (`pkg/apis/apps/v1/defaults.go`,
//! `SetDefaults_DaemonSet`). The pod template is [`super::pod`]'s.
//!
//! Messages are the API server's; where dsguard adds what to do, it follows after `; `.

use std::collections::BTreeMap;

use super::Checks;
use super::fields::{DEPLOYMENT_SPEC_FIELDS, DEPLOYMENT_STATUS_FIELDS};
use super::finding::{Findings, Out, Raw};
use super::meta::{self, Selector};
use super::names::{is_valid_percent, percent_error};
use super::path::At;
use super::pod::{self, options::Options};
use super::rules::RuleId;
use super::view::Node;

/// Runs every DaemonSet rule over `obj`; `old` is the stored object on UPDATE.
pub(crate) fn check(obj: &Node, old: Option<&Node>, checks: Checks, out: &mut Findings) {
    if checks.decoding {
        api_version(obj, out);
        deployment_fields(obj, out);
        template_generation_annotation(obj, out);
    }
    let old_spec = old.map(|o| o.field("spec"));
    let mut opts = match old_spec {
        Some(old_spec) => Options::for_update(checks.decoding, old_spec.field("template")),
        None => Options::create(checks.decoding),
    };
    // The DaemonSet strategy's ValidateUpdate also tolerates invalid selector values the
    // stored object already had.
    if let Some(old_selector) = old_spec.and_then(|s| s.get("selector"))
        && Selector::of(old_selector).is_some_and(|s| s.has_invalid_label_value())
    {
        opts.allow_invalid_label_value_in_selector = true;
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
    spec(obj.field("spec"), &opts, out);
    if let Some(old) = old {
        selector_immutable(obj, old, out);
    }
}

/// `ValidateDaemonSetSpec`, in its order.
fn spec(spec: &Node, opts: &Options, out: &mut Findings) {
    let spec_at = At::ROOT.child("spec");
    let template = spec.field("template");
    let template_at = spec_at.child("template");
    let selector_at = spec_at.child("selector");
    let template_labels = template.field("metadata").get("labels");
    match spec.get("selector").filter(|s| !s.is_null()) {
        // LabelSelectorAsSelector(nil) selects nothing: the API server reports the mismatch.
        None => {
            let metadata_at = template_at.child("metadata");
            out.rule(RuleId::SelectorMissing).invalid(
                &metadata_at.child("labels"),
                Raw(labels_json(template_labels)),
                "`selector` does not match template `labels`; spec.selector is missing: add spec.selector.matchLabels with the pod template's identifying labels",
            );
        }
        Some(value) => {
            if let Some(sel) = Selector::of(value) {
                sel.validate(
                    &selector_at,
                    opts.allow_invalid_label_value_in_selector,
                    &mut out.rule(RuleId::SelectorInvalid),
                );
                let labels = meta::label_map(template.field("metadata").field("labels"));
                if sel.matches(&labels) == Some(false) {
                    mismatch(
                        &sel,
                        template_labels,
                        &labels,
                        &mut out.rule(RuleId::SelectorMismatch),
                    );
                }
                if sel.is_empty() {
                    out.rule(RuleId::SelectorEmpty).invalid(
                        &selector_at,
                        Raw("{}"),
                        "empty selector is invalid for daemonset; add spec.selector.matchLabels with the pod template's identifying labels",
                    );
                }
            }
        }
    }
    pod::template(template, &template_at, opts, out);
    pod::dropped_fields(template, &template_at, out);
    let pod_spec = template.field("spec");
    let pod_at = template_at.child("spec");
    // restartPolicy is defaulted to Always (SetDefaults_PodSpec) when empty.
    let restart = pod_spec
        .get("restartPolicy")
        .and_then(Node::as_str)
        .filter(|r| !r.is_empty())
        .unwrap_or("Always");
    if restart != "Always" {
        out.rule(RuleId::RestartPolicy).not_supported(
            &pod_at.child("restartPolicy"),
            restart,
            &["Always"],
        );
    }
    if pod_spec
        .get("activeDeadlineSeconds")
        .is_some_and(|v| !v.is_null())
    {
        out.rule(RuleId::ActiveDeadline).forbidden(
            &pod_at.child("activeDeadlineSeconds"),
            "activeDeadlineSeconds in DaemonSet is not Supported; remove it: a DaemonSet pod runs for the life of its node",
        );
    }
    non_negative(
        spec.get("minReadySeconds"),
        &spec_at.child("minReadySeconds"),
        out,
    );
    update_strategy(
        spec.field("updateStrategy"),
        &spec_at.child("updateStrategy"),
        out,
    );
    non_negative(
        spec.get("revisionHistoryLimit"),
        &spec_at.child("revisionHistoryLimit"),
        out,
    );
}

/// The template labels as Go's JSON prints a `map[string]string`: keys sorted, `null`
/// when there are none.
fn labels_json(labels: Option<&Node>) -> String {
    match labels {
        Some(Node::Object(_)) => {
            let map = meta::label_map(labels.unwrap_or(&Node::Null));
            serde_json::to_string(&map).unwrap_or_default()
        }
        _ => "null".into(),
    }
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

/// The annotation `deprecated.daemonset.template.generation` becomes the internal
/// `spec.templateGeneration` when the object is converted (`Convert_v1_DaemonSet_To_apps_
/// DaemonSet`, `strconv.ParseInt(value, 10, 64)`); a value that is not an integer fails
/// the request before validation.
fn template_generation_annotation(obj: &Node, out: &mut Findings) {
    const KEY: &str = "deprecated.daemonset.template.generation";
    let meta_at = At::ROOT.child("metadata");
    let ann_at = meta_at.child("annotations");
    if let Some(v) = obj
        .field("metadata")
        .field("annotations")
        .get(KEY)
        .and_then(Node::as_str)
        && v.parse::<i64>().is_err()
    {
        out.rule(RuleId::Schema).invalid(
            &ann_at.key(KEY),
            v,
            format!("strconv.ParseInt: parsing {}: invalid syntax; the API server cannot convert the object: write an integer or remove the annotation", super::finding::Quoted(v)),
        );
    }
}

/// The mismatch finding: the API server's message, then which labels to add.
fn mismatch(
    sel: &Selector,
    template_labels: Option<&Node>,
    template: &BTreeMap<&str, &str>,
    o: &mut Out,
) {
    let mut all_adds = true;
    let mut fixes: Vec<String> = meta::label_map(sel.match_labels)
        .into_iter()
        .filter(|(k, v)| template.get(k) != Some(v))
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
    let at = At::ROOT.child("spec");
    let at = at.child("template");
    let at = at.child("metadata");
    o.invalid(
        &at.child("labels"),
        Raw(labels_json(template_labels)),
        format!(
            "`selector` does not match template `labels`; {} {} spec.template.metadata.labels",
            fixes.join(" and "),
            if all_adds { "to" } else { "in" }
        ),
    );
}

/// The apps/v1 DaemonSet strategy keeps spec.selector immutable
/// (`pkg/registry/apps/daemonset/strategy.go`, `ValidateUpdate`,
/// `apivalidation.ValidateImmutableField`, which compares with `apiequality.Semantic`:
/// an absent and an empty list or map are the same, an absent and an empty selector not).
fn selector_immutable(obj: &Node, old: &Node, out: &mut Findings) {
    let new_sel = obj.field("spec").get("selector").filter(|s| !s.is_null());
    let old_sel = old.field("spec").get("selector").filter(|s| !s.is_null());
    if normalize_selector(new_sel) != normalize_selector(old_sel) {
        let spec_at = At::ROOT.child("spec");
        out.rule(RuleId::SelectorImmutable).invalid(
            &spec_at.child("selector"),
            Raw(new_sel.map_or_else(|| "null".to_string(), selector_json)),
            format!(
                "field is immutable; keep the old selector {}, or delete the DaemonSet with --cascade=orphan and create it again",
                old_sel.map_or_else(|| "null".to_string(), selector_json)
            ),
        );
    }
}

/// A selector as Go's JSON encoding of `metav1.LabelSelector` writes it: `matchLabels`
/// (keys sorted) and `matchExpressions`, each left out when empty.
fn selector_json(v: &Node) -> String {
    normalize_selector(Some(v)).map_or_else(|| "null".into(), |v| v.to_string())
}

/// Semantic equality: absent and empty lists or maps are the same; the map keys sorted.
fn normalize_selector(v: Option<&Node>) -> Option<serde_json::Value> {
    let v = v?;
    let mut out = serde_json::Map::new();
    let labels: BTreeMap<&str, serde_json::Value> = v
        .field("matchLabels")
        .entries()
        .map(|(k, v)| (k, v.to_value()))
        .collect();
    if !labels.is_empty() {
        out.insert(
            "matchLabels".into(),
            serde_json::Value::Object(
                labels
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            ),
        );
    }
    let exprs = v.field("matchExpressions").items();
    if !exprs.is_empty() {
        let list = exprs
            .iter()
            .map(|e| {
                let mut m = serde_json::Map::new();
                for key in ["key", "operator"] {
                    m.insert(key.into(), e.field(key).to_value());
                }
                let values = e.field("values").items();
                if !values.is_empty() {
                    m.insert("values".into(), e.field("values").to_value());
                }
                serde_json::Value::Object(m)
            })
            .collect();
        out.insert("matchExpressions".into(), serde_json::Value::Array(list));
    }
    Some(serde_json::Value::Object(out))
}

/// `ValidateNonnegativeField`.
fn non_negative(value: Option<&Node>, at: &At, out: &mut Findings) {
    if let Some(n) = value.and_then(Node::as_i64)
        && n < 0
    {
        out.rule(RuleId::NegativeValue)
            .invalid(at, n, "must be greater than or equal to 0");
    }
}

/// An `intstr.IntOrString` after conversion: an absent value is the integer 0.
#[derive(Clone, Copy)]
enum IntOrString<'a> {
    Int(i64),
    Str(&'a str),
}

impl IntOrString<'_> {
    fn of<'a>(v: Option<&'a Node>) -> Option<IntOrString<'a>> {
        match v {
            None | Some(Node::Null) => Some(IntOrString::Int(0)),
            Some(Node::String(s)) => Some(IntOrString::Str(s)),
            Some(Node::Number(n)) => n.as_i64().map(IntOrString::Int),
            Some(_) => None,
        }
    }

    /// `getIntOrPercentValue`: a valid percent's number; else `IntValue()`, which reads a
    /// string with `strconv.Atoi` and gives 0 when it is not a number.
    fn value(self) -> i64 {
        match self {
            IntOrString::Int(i) => i,
            IntOrString::Str(s) if is_valid_percent(s) => {
                s[..s.len() - 1].parse().unwrap_or(i64::MAX)
            }
            IntOrString::Str(s) => s.parse().unwrap_or(0),
        }
    }

    /// As JSON (`intstr.IntOrString.MarshalJSON`).
    fn json(self) -> Raw<String> {
        Raw(match self {
            IntOrString::Int(i) => i.to_string(),
            IntOrString::Str(s) => serde_json::to_string(s).unwrap_or_default(),
        })
    }
}

/// `SetDefaults_DaemonSet` (type RollingUpdate, maxUnavailable 1, maxSurge 0), then
/// `ValidateDaemonSetUpdateStrategy` and `ValidateRollingUpdateDaemonSet`.
fn update_strategy(strategy: &Node, at: &At, out: &mut Findings) {
    if !(strategy.is_null() || strategy.is_object()) {
        return; // a wrong type is the schema rule's to report
    }
    let ty = strategy
        .get("type")
        .and_then(Node::as_str)
        .filter(|t| !t.is_empty())
        .unwrap_or("RollingUpdate");
    let ru = strategy.field("rollingUpdate");
    match ty {
        "OnDelete" => {}
        "RollingUpdate" => {
            let ru_at = at.child("rollingUpdate");
            let defaulted = |k: &str, d: i64| match ru.get(k) {
                None | Some(Node::Null) => Some(IntOrString::Int(d)),
                v => IntOrString::of(v),
            };
            let (Some(mu), Some(ms)) = (defaulted("maxUnavailable", 1), defaulted("maxSurge", 0))
            else {
                return; // wrong types: the schema rule reports them
            };
            for (name, v) in [("maxUnavailable", mu), ("maxSurge", ms)] {
                // ValidatePositiveIntOrPercent
                let p = ru_at.child(name);
                match v {
                    IntOrString::Str(s) if !is_valid_percent(s) => {
                        out.rule(RuleId::UpdateStrategy).invalid(
                            &p,
                            v.json(),
                            format!(
                                "{}; write an integer such as 1 or a percentage such as \"10%\"",
                                percent_error()
                            ),
                        )
                    }
                    IntOrString::Int(i) if i < 0 => out.rule(RuleId::NegativeValue).invalid(
                        &p,
                        i,
                        "must be greater than or equal to 0",
                    ),
                    _ => {}
                }
            }
            for (name, v) in [("maxUnavailable", mu), ("maxSurge", ms)] {
                // IsNotMoreThan100Percent
                if let IntOrString::Str(s) = v
                    && is_valid_percent(s)
                    && v.value() > 100
                {
                    out.rule(RuleId::UpdateStrategy).invalid(
                        &ru_at.child(name),
                        v.json(),
                        "must not be greater than 100%",
                    );
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
                    ms.json(),
                    format!("may not be set when maxUnavailable is non-zero; {hint}"),
                );
            } else if !has_unavailable && !has_surge {
                o.required(
                    &ru_at.child("maxUnavailable"),
                    "cannot be 0 when maxSurge is 0; set maxUnavailable to 1 or more, or maxSurge",
                );
            }
        }
        other => {
            // The value is the internal struct, which Go prints with its field names.
            let rolling = if ru.is_object() {
                let field = |k: &str| {
                    IntOrString::of(ru.get(k)).map_or_else(|| "null".to_string(), |v| v.json().0)
                };
                format!(
                    "{{\"MaxUnavailable\":{},\"MaxSurge\":{}}}",
                    field("maxUnavailable"),
                    field("maxSurge")
                )
            } else {
                "null".into()
            };
            let value = format!(
                "{{\"Type\":{},\"RollingUpdate\":{rolling}}}",
                serde_json::to_string(other).unwrap_or_default()
            );
            out.rule(RuleId::UpdateStrategy).add(
                at,
                super::finding::not_supported_message(&Raw(value), &["RollingUpdate", "OnDelete"]),
            );
        }
    }
}
