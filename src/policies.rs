//! `dsguard policies`: the webhook's policy as a MutatingAdmissionPolicy and
//! ValidatingAdmissionPolicies (CEL, run by the API server itself), with their bindings.
//!
//! What is translated, and how:
//! * **Scope** (`manifests/base/webhooks.yaml`): `apps/v1` `daemonsets` CREATE and UPDATE
//!   (`matchConstraints`), the webhooks' namespace selectors, and the configuration's
//!   exemptions (`exemptNamespaces`, the exemption annotation) as `matchConditions`, which
//!   is [`Policy::skip_reason`]. The exempt namespaces are read from `request.namespace`:
//!   the API server sets the object's namespace to the request's before admission.
//! * **Mutation** ([`crate::policy::mutate`] with `MutateMode::Admission`): one JSONPatch
//!   mutation. `tolerations` and `nodeSelector` are atomic, so a server-side-apply
//!   configuration would replace them; the CEL computes `add` operations instead.
//!   Deployment leftovers are not removed: the API server drops unknown fields before
//!   admission.
//! * **Validation**: one policy per action (`dsguard-deny` bound with `Deny` for the rules at
//!   `error`, `dsguard-warn` bound with `Warn` for those at `warning`; rules at `off` are
//!   left out), one validation per rule. Each rule is a variable holding the list of its
//!   violations, `[rule-id] path: message` like the webhook's; the validation holds when the
//!   list is empty and its `messageExpression` joins the list with ` | ` (the API server
//!   refuses a message with line breaks).
//!
//! Rules CEL does not express faithfully are not emitted ([`not_translated`]), and `dsguard
//! policies` names them on stderr: the pod template checks (`pod-spec`, hundreds of checks
//! the API server runs itself anyway), `metadata-invalid` (byte-length limits CEL cannot
//! measure: `size()` counts code points) and `field-dropped` (depends on feature gates).
//!
//! Cost: every expression is linear in the object's lists. The worst case of each is written
//! beside it; `n` is the length of the list named. Where a list of lists is walked (a
//! selector's expressions and their values, affinity terms and their requirements) every
//! inner element is visited once, so the work is linear in the object's size.
//!
//! CEL libraries used: the standard macros, `matches`, the Kubernetes string extensions
//! (`join`, `indexOf`), the regex library (`find`), `jsonpatch.escapeKey` and `lists.range`
//! (the CEL list extension, in the API server's environment for new expressions from
//! Kubernetes 1.35; violations carry list indices like the webhook's paths).

use std::io::{self, Write};

use k8s_openapi::api::admissionregistration::v1 as ar;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use serde_json::Value;

use crate::policy::{Policy, RuleId, Severity, Toleration};

/// How `policies` prints the objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoliciesFormat {
    /// YAML documents.
    Yaml,
    /// A JSON `List`.
    Json,
}

/// Name of the MutatingAdmissionPolicy and its binding.
pub const MUTATING_NAME: &str = "dsguard-defaults";
/// Name of the ValidatingAdmissionPolicy (and binding) for rules at `error`: `Deny`.
pub const DENY_NAME: &str = "dsguard-deny";
/// Name of the ValidatingAdmissionPolicy (and binding) for rules at `warning`: `Warn`.
pub const WARN_NAME: &str = "dsguard-warn";

/// The namespaces the validating webhook skips by its namespaceSelector
/// (`manifests/base/webhooks.yaml`): dsguard's own, and kube-system, where CNI DaemonSets live.
pub const VALIDATING_SKIPPED_NAMESPACES: [&str; 2] = ["dsguard-system", "kube-system"];
/// The namespaces the mutating webhook skips by its namespaceSelector.
pub const MUTATING_SKIPPED_NAMESPACES: [&str; 1] = ["dsguard-system"];
/// The namespace label that opts a namespace out (value `true`).
pub const OPT_OUT_LABEL: &str = "dsguard.io/ignore";

/// The rules the validating policies express, in catalogue order.
pub const TRANSLATED: [RuleId; 14] = [
    RuleId::SelectorMissing,
    RuleId::SelectorEmpty,
    RuleId::SelectorInvalid,
    RuleId::SelectorMismatch,
    RuleId::SelectorImmutable,
    RuleId::SelectorVolatileLabel,
    RuleId::PreviousSelectorMismatch,
    RuleId::LabelInvalid,
    RuleId::RestartPolicy,
    RuleId::ActiveDeadline,
    RuleId::UpdateStrategy,
    RuleId::NegativeValue,
    RuleId::ImageLatest,
    RuleId::ResourcesMissing,
];

/// The rules the validating webhook enforces that the policies do not, and why.
pub fn not_translated() -> Vec<(RuleId, &'static str)> {
    vec![
        (
            RuleId::MetadataInvalid,
            "byte-length limits (annotations' 256 KiB total) CEL cannot measure: size() counts code points, not bytes; the API server checks metadata itself",
        ),
        (
            RuleId::PodSpec,
            "the pod template checks (hundreds, ported from the API server's own validation) are not translated: the API server runs them itself before admission",
        ),
        (
            RuleId::FieldDropped,
            "depends on the API server's feature gates, which a policy cannot see",
        ),
    ]
}

/// The variable holding a rule's violations.
fn variable_name(rule: RuleId) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in rule.as_str().chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A CEL string literal.
pub fn cel_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn cel_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| cel_string(s)).collect();
    format!("[{}]", quoted.join(", "))
}

// Label syntax (k8s.io/apimachinery `IsQualifiedName`, `IsValidLabelValue`): the name part
// 1 to 63 characters, the optional prefix a DNS-1123 subdomain of at most 253 characters
// (checked with indexOf: a key that matches is ASCII, so characters are bytes).
const KEY_RE: &str = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";
const VALUE_RE: &str = r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$";
// `looks_like_version` and `looks_like_chart` of src/policy/upgrade.rs.
const VERSION_RE: &str = r"(?s)^v?[0-9]+(\.[0-9]+)+([-+].*)?$";
const CHART_RE: &str = r"(?s)^.+-v?[0-9]+\.[0-9]+\.[0-9]+([-+].*)?$";
const PERCENT_ERROR: &str = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/// CEL: `k` is a valid label key. O(size(k)).
fn valid_key(k: &str) -> String {
    format!(
        "({k}.matches({}) && {k}.indexOf(\"/\") <= 253)",
        cel_string(KEY_RE)
    )
}

/// CEL: `v` is a valid label value. O(size(v)).
fn valid_value(v: &str) -> String {
    format!("{v}.matches({})", cel_string(VALUE_RE))
}

/// CEL: the selector (`ml` matchLabels, `ex` matchExpressions, both defaulted to empty)
/// converts (`LabelSelectorAsSelector` succeeds). O(size(ml) + size(ex) + total values).
fn selector_converts(ml: &str, ex: &str) -> String {
    format!(
        "({ml}.all(k, {vk} && {vv}) && {ex}.all(e, {ek} && (!has(e.values) || e.values.all(v, {vval})) && \
         ((e.operator == \"In\" || e.operator == \"NotIn\") ? (has(e.values) && size(e.values) > 0) : \
         ((e.operator == \"Exists\" || e.operator == \"DoesNotExist\") && (!has(e.values) || size(e.values) == 0)))))",
        vk = valid_key("k"),
        vv = valid_value(&format!("{ml}[k]")),
        ek = valid_key("e.key"),
        vval = valid_value("v"),
    )
}

/// CEL: the selector selects `labels`; only meaningful when it converts.
/// O(size(ml) + total values).
fn selector_matches(ml: &str, ex: &str, labels: &str) -> String {
    format!(
        "({ml}.all(k, k in {labels} && {labels}[k] == {ml}[k]) && {ex}.all(e, \
         e.operator == \"In\" ? (e.key in {labels} && {labels}[e.key] in e.values) : \
         e.operator == \"NotIn\" ? !(e.key in {labels} && {labels}[e.key] in e.values) : \
         e.operator == \"Exists\" ? e.key in {labels} : !(e.key in {labels})))"
    )
}

/// CEL: the intOrString `x` is a string.
fn is_str(x: &str) -> String {
    format!("({x} == string({x}))")
}

/// CEL: `x` as `intstr` JSON prints it (a string quoted).
fn int_or_string_json(x: &str) -> String {
    format!(
        "({} ? \"\\\"\" + string({x}) + \"\\\"\" : string({x}))",
        is_str(x)
    )
}

/// CEL: the intOrString `x` is non-zero as `getIntOrPercentValue` and the engine read it: a
/// valid percent's number; else the string parsed as an i64 (0 when it is not one).
fn non_zero(x: &str) -> String {
    let s = format!("string({x})");
    format!(
        "({is} ? ({s}.matches(\"^[0-9]+%$\") ? {s}.matches(\"^0*[1-9][0-9]*%$\") : \
         ({s}.matches(\"^[+-]?0*[1-9][0-9]{{0,17}}$\") || ({s}.matches(\"^[+-]?0*[1-9][0-9]{{18}}$\") && \
         {s}.find(\"[1-9][0-9]*$\") <= ({s}.startsWith(\"-\") ? \"9223372036854775808\" : \"9223372036854775807\")))) : \
         {x} != 0)",
        is = is_str(x),
    )
}

/// One line of the webhook's message: `[rule] path: message`, `path` and `message` CEL
/// string expressions.
fn line(rule: RuleId, path: &str, message: &str) -> String {
    format!(
        "{} + {path} + \": \" + {message}",
        cel_string(&format!("[{rule}] "))
    )
}

/// `cond ? [line] : []`.
fn one_if(cond: &str, rule: RuleId, path: &str, message: &str) -> String {
    format!("({cond} ? [{}] : [])", line(rule, path, message))
}

/// The variables every validating policy has, in order; later ones use earlier ones. Each
/// is O(1) (a field test or a ternary) unless its comment says otherwise.
fn shared_variables(policy: &Policy) -> Vec<(String, String)> {
    let v = |name: &str, expr: String| (name.to_string(), expr);
    let volatile = cel_list(&policy.volatile_label_keys);
    vec![
        v("hasSpec", "has(object.spec)".into()),
        v(
            "hasSelector",
            "variables.hasSpec && has(object.spec.selector)".into(),
        ),
        v(
            "matchLabels",
            "variables.hasSelector && has(object.spec.selector.matchLabels) ? object.spec.selector.matchLabels : {}".into(),
        ),
        v(
            "matchExpressions",
            "variables.hasSelector && has(object.spec.selector.matchExpressions) ? object.spec.selector.matchExpressions : []".into(),
        ),
        v(
            "hasTemplate",
            "variables.hasSpec && has(object.spec.template)".into(),
        ),
        v(
            "templateLabels",
            "variables.hasTemplate && has(object.spec.template.metadata) && has(object.spec.template.metadata.labels) ? object.spec.template.metadata.labels : {}".into(),
        ),
        v(
            "hasPod",
            "variables.hasTemplate && has(object.spec.template.spec)".into(),
        ),
        v(
            "containers",
            "variables.hasPod && has(object.spec.template.spec.containers) ? object.spec.template.spec.containers : []".into(),
        ),
        v(
            "metadataLabels",
            "has(object.metadata) && has(object.metadata.labels) ? object.metadata.labels : {}"
                .into(),
        ),
        // The stored object on UPDATE (selector-immutable, the update rules).
        v(
            "isUpdate",
            "request.operation == \"UPDATE\" && oldObject != null".into(),
        ),
        v(
            "oldHasSelector",
            "variables.isUpdate && has(oldObject.spec) && has(oldObject.spec.selector)".into(),
        ),
        v(
            "oldMatchLabels",
            "variables.oldHasSelector && has(oldObject.spec.selector.matchLabels) ? oldObject.spec.selector.matchLabels : {}".into(),
        ),
        v(
            "oldMatchExpressions",
            "variables.oldHasSelector && has(oldObject.spec.selector.matchExpressions) ? oldObject.spec.selector.matchExpressions : []".into(),
        ),
        // The DaemonSet strategy's ValidateUpdate tolerates invalid selector values the
        // stored object already had. O(size(oldMatchLabels) + total values).
        v(
            "allowInvalidSelectorValues",
            format!(
                "variables.oldHasSelector && (variables.oldMatchLabels.exists(k, !{}) || variables.oldMatchExpressions.exists(e, has(e.values) && e.values.exists(v, !{})))",
                valid_value("variables.oldMatchLabels[k]"),
                valid_value("v")
            ),
        ),
        v(
            "selectorConverts",
            selector_converts("variables.matchLabels", "variables.matchExpressions"),
        ),
        // SetDefaults_DaemonSet: type RollingUpdate, maxUnavailable 1, maxSurge 0.
        v(
            "hasStrategy",
            "variables.hasSpec && has(object.spec.updateStrategy)".into(),
        ),
        v(
            "strategyType",
            "variables.hasStrategy && has(object.spec.updateStrategy.type) && object.spec.updateStrategy.type != \"\" ? object.spec.updateStrategy.type : \"RollingUpdate\"".into(),
        ),
        v(
            "hasRollingUpdate",
            "variables.hasStrategy && has(object.spec.updateStrategy.rollingUpdate)".into(),
        ),
        v(
            "maxUnavailableSet",
            "variables.hasRollingUpdate && has(object.spec.updateStrategy.rollingUpdate.maxUnavailable)".into(),
        ),
        v(
            "maxUnavailable",
            "variables.maxUnavailableSet ? object.spec.updateStrategy.rollingUpdate.maxUnavailable : 1".into(),
        ),
        v(
            "maxSurgeSet",
            "variables.hasRollingUpdate && has(object.spec.updateStrategy.rollingUpdate.maxSurge)".into(),
        ),
        v(
            "maxSurge",
            "variables.maxSurgeSet ? object.spec.updateStrategy.rollingUpdate.maxSurge : 0".into(),
        ),
        v("volatileKeys", volatile),
    ]
}

/// The CEL of one rule: the list of its violations. Each documents its worst case.
fn rule_expression(rule: RuleId) -> String {
    let labels_at = |at: &str| cel_string(at);
    match rule {
        // O(1).
        RuleId::SelectorMissing => one_if(
            "!variables.hasSelector",
            rule,
            &labels_at("spec.template.metadata.labels"),
            &cel_string(
                "`selector` does not match template `labels`; spec.selector is missing: add spec.selector.matchLabels with the pod template's identifying labels",
            ),
        ),
        // O(1).
        RuleId::SelectorEmpty => one_if(
            "variables.hasSelector && size(variables.matchLabels) == 0 && size(variables.matchExpressions) == 0",
            rule,
            &labels_at("spec.selector"),
            &cel_string(
                "Invalid value: {}: empty selector is invalid for daemonset; add spec.selector.matchLabels with the pod template's identifying labels",
            ),
        ),
        // O(size(matchLabels) + size(matchExpressions) + total values): each value is
        // visited once, by the inner comprehension of its own expression.
        RuleId::SelectorInvalid => {
            let ml = "variables.matchLabels";
            let ex = "variables.matchExpressions";
            let labels = format!(
                "{ml}.filter(k, !{} || !{}).map(k, {})",
                valid_key("k"),
                valid_value(&format!("{ml}[k]")),
                line(
                    rule,
                    &cel_string("spec.selector.matchLabels"),
                    "\"Invalid value: \\\"\" + k + \"\\\": not a valid label key and value\""
                )
            );
            let at = |i: &str, rest: &str| {
                format!("\"spec.selector.matchExpressions[\" + string({i}) + \"]{rest}\"",)
            };
            let e = format!("{ex}[i]");
            let operators = format!(
                "lists.range(size({ex})).filter(i, ({e}.operator == \"In\" || {e}.operator == \"NotIn\") ? (!has({e}.values) || size({e}.values) == 0) : ({e}.operator == \"Exists\" || {e}.operator == \"DoesNotExist\") ? (has({e}.values) && size({e}.values) > 0) : true)\
                 .map(i, ({e}.operator == \"In\" || {e}.operator == \"NotIn\") ? {req} : ({e}.operator == \"Exists\" || {e}.operator == \"DoesNotExist\") ? {forb} : {op})",
                req = line(
                    rule,
                    &at("i", ".values"),
                    "\"Required value: must be specified when `operator` is 'In' or 'NotIn'\""
                ),
                forb = line(
                    rule,
                    &at("i", ".values"),
                    "\"Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'\""
                ),
                op = line(
                    rule,
                    &at("i", ".operator"),
                    &format!(
                        "\"Invalid value: \\\"\" + {e}.operator + \"\\\": not a valid selector operator\""
                    )
                ),
            );
            let keys = format!(
                "lists.range(size({ex})).filter(i, !{}).map(i, {})",
                valid_key(&format!("{e}.key")),
                line(
                    rule,
                    &at("i", ".key"),
                    &format!("\"Invalid value: \\\"\" + {e}.key + \"\\\": not a valid label key\"")
                )
            );
            // The invalid values of each expression, as one string per expression (a list
            // of lists cannot be flattened without the list extension's flatten).
            let values = format!(
                "(variables.allowInvalidSelectorValues ? [] : lists.range(size({ex})).filter(i, has({e}.values) && {e}.values.exists(v, !{vv}))\
                 .map(i, lists.range(size({e}.values)).filter(j, !{vvj}).map(j, {msg}).join(\" | \")))",
                vv = valid_value("v"),
                vvj = valid_value(&format!("{e}.values[j]")),
                msg = line(
                    rule,
                    "\"spec.selector.matchExpressions[\" + string(i) + \"].values[\" + string(j) + \"]\"",
                    &format!(
                        "\"Invalid value: \\\"\" + {e}.values[j] + \"\\\": not a valid label value\""
                    )
                ),
            );
            format!("{labels} + {operators} + {keys} + {values}")
        }
        // O(size(matchLabels) + total values).
        RuleId::SelectorMismatch => one_if(
            &format!(
                "variables.hasSelector && variables.selectorConverts && !{}",
                selector_matches(
                    "variables.matchLabels",
                    "variables.matchExpressions",
                    "variables.templateLabels"
                )
            ),
            rule,
            &labels_at("spec.template.metadata.labels"),
            &cel_string(
                "`selector` does not match template `labels`; add the selector's labels to spec.template.metadata.labels",
            ),
        ),
        // O(size(matchLabels) + size(matchExpressions) + total values), for both objects.
        RuleId::SelectorImmutable => {
            let norm = |ex: &str| {
                format!("{ex}.map(e, [e.key, e.operator] + (has(e.values) ? e.values : []))")
            };
            one_if(
                &format!(
                    "variables.isUpdate && (variables.hasSelector != variables.oldHasSelector || (variables.hasSelector && (variables.matchLabels != variables.oldMatchLabels || {} != {})))",
                    norm("variables.matchExpressions"),
                    norm("variables.oldMatchExpressions")
                ),
                rule,
                &labels_at("spec.selector"),
                &cel_string(
                    "field is immutable; keep the old selector, or delete the DaemonSet with --cascade=orphan and create it again",
                ),
            )
        }
        // O(size(matchLabels) + total values).
        RuleId::SelectorVolatileLabel => {
            let ver = |v: &str| format!("{v}.matches({})", cel_string(VERSION_RE));
            let chart = |v: &str| format!("{v}.matches({})", cel_string(CHART_RE));
            let message = |key: &str, why: &str| {
                format!(
                    "\"selector label `\" + {key} + \"` \" + {why} + \": spec.selector is immutable, so the next release that changes it fails with `field is immutable`; keep only stable identifying labels (app.kubernetes.io/name, app.kubernetes.io/instance) in spec.selector and put `\" + {key} + \"` on the pod template only\""
                )
            };
            let why = |key: &str, v: &str| {
                format!(
                    "({key} in variables.volatileKeys ? \"changes from release to release\" : {} ? \"has the version-like value \\\"\" + {v} + \"\\\"\" : \"has the chart name-version value \\\"\" + {v} + \"\\\"\")",
                    ver(v)
                )
            };
            let ml = "variables.matchLabels";
            let labels = format!(
                "{ml}.filter(k, k in variables.volatileKeys || {} || {}).map(k, {})",
                ver(&format!("{ml}[k]")),
                chart(&format!("{ml}[k]")),
                line(
                    rule,
                    "\"spec.selector.matchLabels[\" + k + \"]\"",
                    &message("k", &why("k", &format!("{ml}[k]")))
                )
            );
            let e = "variables.matchExpressions[i]";
            let first = format!("{e}.values.filter(v, {} || {})[0]", ver("v"), chart("v"));
            let exprs = format!(
                "lists.range(size(variables.matchExpressions)).filter(i, {e}.key in variables.volatileKeys || (has({e}.values) && {e}.values.exists(v, {} || {})))\
                 .map(i, {})",
                ver("v"),
                chart("v"),
                line(
                    rule,
                    "\"spec.selector.matchExpressions[\" + string(i) + \"]\"",
                    &message(&format!("{e}.key"), &why(&format!("{e}.key"), &first))
                )
            );
            format!("{labels} + {exprs}")
        }
        // O(size(oldMatchLabels) + old total values + size(templateLabels)).
        RuleId::PreviousSelectorMismatch => one_if(
            &format!(
                "variables.oldHasSelector && (size(variables.oldMatchLabels) > 0 || size(variables.oldMatchExpressions) > 0) && {} && !{}",
                selector_converts("variables.oldMatchLabels", "variables.oldMatchExpressions"),
                selector_matches(
                    "variables.oldMatchLabels",
                    "variables.oldMatchExpressions",
                    "variables.templateLabels"
                )
            ),
            rule,
            &labels_at("spec.template.metadata.labels"),
            &cel_string(
                "the previous version's selector does not select these labels: the selector cannot change (field is immutable), and the old selector would not own the new pods; keep the labels it selects",
            ),
        ),
        // O(size(metadata.labels) + size(template labels)).
        RuleId::LabelInvalid => {
            let bad = |map: &str, at: &str| {
                format!(
                    "{map}.filter(k, !{} || !{}).map(k, {})",
                    valid_key("k"),
                    valid_value(&format!("{map}[k]")),
                    line(
                        rule,
                        &cel_string(at),
                        "\"Invalid value: \\\"\" + k + \"\\\": not a valid label key and value\""
                    )
                )
            };
            format!(
                "{} + {}",
                bad("variables.metadataLabels", "metadata.labels"),
                bad("variables.templateLabels", "spec.template.labels")
            )
        }
        // O(1).
        RuleId::RestartPolicy => one_if(
            "variables.hasPod && has(object.spec.template.spec.restartPolicy) && object.spec.template.spec.restartPolicy != \"\" && object.spec.template.spec.restartPolicy != \"Always\"",
            rule,
            &labels_at("spec.template.spec.restartPolicy"),
            "\"Unsupported value: \\\"\" + object.spec.template.spec.restartPolicy + \"\\\": supported values: \\\"Always\\\"\"",
        ),
        // O(1).
        RuleId::ActiveDeadline => one_if(
            "variables.hasPod && has(object.spec.template.spec.activeDeadlineSeconds)",
            rule,
            &labels_at("spec.template.spec.activeDeadlineSeconds"),
            &cel_string(
                "Forbidden: activeDeadlineSeconds in DaemonSet is not Supported; remove it: a DaemonSet pod runs for the life of its node",
            ),
        ),
        // O(1) (the strings are at most a request's size).
        RuleId::UpdateStrategy => {
            let ru = "spec.updateStrategy.rollingUpdate";
            let rolling = "variables.strategyType == \"RollingUpdate\"";
            let mut parts = Vec::new();
            for (name, x) in [
                ("maxUnavailable", "variables.maxUnavailable"),
                ("maxSurge", "variables.maxSurge"),
            ] {
                parts.push(one_if(
                    &format!(
                        "{rolling} && {} && !string({x}).matches(\"^[0-9]+%$\")",
                        is_str(x)
                    ),
                    rule,
                    &cel_string(&format!("{ru}.{name}")),
                    &format!(
                        "\"Invalid value: \\\"\" + string({x}) + \"\\\": \" + {} + \"; write an integer such as 1 or a percentage such as \\\"10%\\\"\"",
                        cel_string(PERCENT_ERROR)
                    ),
                ));
                parts.push(one_if(
                    &format!(
                        "{rolling} && {} && string({x}).matches(\"^0*([1-9][0-9]{{3,}}|[2-9][0-9]{{2}}|1[1-9][0-9]|10[1-9])%$\")",
                        is_str(x)
                    ),
                    rule,
                    &cel_string(&format!("{ru}.{name}")),
                    &format!(
                        "\"Invalid value: \\\"\" + string({x}) + \"\\\": must not be greater than 100%\""
                    ),
                ));
            }
            let mu = non_zero("variables.maxUnavailable");
            let ms = non_zero("variables.maxSurge");
            parts.push(one_if(
                &format!("{rolling} && {mu} && {ms}"),
                rule,
                &cel_string(&format!("{ru}.maxSurge")),
                &format!(
                    "\"Invalid value: \" + {} + \": may not be set when maxUnavailable is non-zero; \" + (variables.maxUnavailableSet ? \"set one of maxUnavailable and maxSurge to 0\" : \"maxUnavailable defaults to 1; set maxUnavailable: 0 to surge instead\")",
                    int_or_string_json("variables.maxSurge")
                ),
            ));
            parts.push(one_if(
                &format!("{rolling} && !{mu} && !{ms}"),
                rule,
                &cel_string(&format!("{ru}.maxUnavailable")),
                &cel_string(
                    "Required value: cannot be 0 when maxSurge is 0; set maxUnavailable to 1 or more, or maxSurge",
                ),
            ));
            let raw = |name: &str| {
                format!(
                    "(variables.{name}Set ? {} : \"0\")",
                    int_or_string_json(&format!("object.spec.updateStrategy.rollingUpdate.{name}"))
                )
            };
            parts.push(one_if(
                "variables.strategyType != \"RollingUpdate\" && variables.strategyType != \"OnDelete\"",
                rule,
                &cel_string("spec.updateStrategy"),
                &format!(
                    "\"Unsupported value: {{\\\"Type\\\":\\\"\" + variables.strategyType + \"\\\",\\\"RollingUpdate\\\":\" + (variables.hasRollingUpdate ? \"{{\\\"MaxUnavailable\\\":\" + {} + \",\\\"MaxSurge\\\":\" + {} + \"}}\" : \"null\") + \"}}: supported values: \\\"RollingUpdate\\\", \\\"OnDelete\\\"\"",
                    raw("maxUnavailable"),
                    raw("maxSurge")
                ),
            ));
            parts.join(" + ")
        }
        // O(1).
        RuleId::NegativeValue => {
            let negative = "\": must be greater than or equal to 0\"";
            let mut parts = Vec::new();
            for field in ["minReadySeconds", "revisionHistoryLimit"] {
                parts.push(one_if(
                    &format!(
                        "variables.hasSpec && has(object.spec.{field}) && object.spec.{field} < 0"
                    ),
                    rule,
                    &cel_string(&format!("spec.{field}")),
                    &format!("\"Invalid value: \" + string(object.spec.{field}) + {negative}"),
                ));
            }
            for (name, x) in [
                ("maxUnavailable", "variables.maxUnavailable"),
                ("maxSurge", "variables.maxSurge"),
            ] {
                parts.push(one_if(
                    &format!(
                        "variables.strategyType == \"RollingUpdate\" && !{} && {x} < 0",
                        is_str(x)
                    ),
                    rule,
                    &cel_string(&format!("spec.updateStrategy.rollingUpdate.{name}")),
                    &format!("\"Invalid value: \" + string({x}) + {negative}"),
                ));
            }
            parts.join(" + ")
        }
        // O(n), n = size(containers).
        RuleId::ImageLatest => {
            let c = "variables.containers[i]";
            let pinned = format!("{c}.image.contains(\"@\")");
            let at = "\"spec.template.spec.containers[\" + string(i) + \"].image\"";
            let image = format!("has({c}.image) && {c}.image != \"\" && !{pinned}");
            format!(
                "lists.range(size(variables.containers)).filter(i, {image} && !{c}.image.matches(\":[^/]*$\")).map(i, {}) + \
                 lists.range(size(variables.containers)).filter(i, {image} && {c}.image.endsWith(\":latest\")).map(i, {})",
                line(
                    rule,
                    at,
                    &format!(
                        "\"image \\\"\" + {c}.image + \"\\\" has no tag, so it means :latest; pin a version, e.g. \\\"\" + {c}.image + \":1.2.3\\\", or a digest\""
                    )
                ),
                line(
                    rule,
                    at,
                    &format!(
                        "\"image \\\"\" + {c}.image + \"\\\" uses :latest; pin a version tag or a digest\""
                    )
                ),
            )
        }
        // O(n), n = size(containers).
        RuleId::ResourcesMissing => {
            let c = "variables.containers[i]";
            let has = |r: &str| {
                format!(
                    "(has({c}.resources) && ((has({c}.resources.requests) && \"{r}\" in {c}.resources.requests) || (has({c}.resources.limits) && \"{r}\" in {c}.resources.limits)))"
                )
            };
            let (cpu, memory) = (has("cpu"), has("memory"));
            format!(
                "lists.range(size(variables.containers)).filter(i, !{cpu} || !{memory}).map(i, {})",
                line(
                    rule,
                    "\"spec.template.spec.containers[\" + string(i) + \"].resources.requests\"",
                    &format!(
                        "(!{cpu} && !{memory} ? \"no cpu and memory request; set resources.requests.cpu and .memory\" : !{cpu} ? \"no cpu request; set resources.requests.cpu\" : \"no memory request; set resources.requests.memory\") + \" so the scheduler reserves room on every node\""
                    )
                )
            )
        }
        other => unreachable!("{other} is not translated"),
    }
}

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        labels: Some(
            [
                ("app.kubernetes.io/name".to_string(), "dsguard".to_string()),
                (
                    "app.kubernetes.io/part-of".to_string(),
                    "dsguard".to_string(),
                ),
            ]
            .into(),
        ),
        ..ObjectMeta::default()
    }
}

fn match_constraints(skipped: &[&str]) -> ar::MatchResources {
    ar::MatchResources {
        match_policy: Some("Equivalent".into()),
        namespace_selector: Some(LabelSelector {
            match_expressions: Some(vec![
                LabelSelectorRequirement {
                    key: "kubernetes.io/metadata.name".into(),
                    operator: "NotIn".into(),
                    values: Some(skipped.iter().map(|s| s.to_string()).collect()),
                },
                LabelSelectorRequirement {
                    key: OPT_OUT_LABEL.into(),
                    operator: "NotIn".into(),
                    values: Some(vec!["true".into()]),
                },
            ]),
            match_labels: None,
        }),
        resource_rules: Some(vec![ar::NamedRuleWithOperations {
            api_groups: Some(vec!["apps".into()]),
            api_versions: Some(vec!["v1".into()]),
            operations: Some(vec!["CREATE".into(), "UPDATE".into()]),
            resources: Some(vec!["daemonsets".into()]),
            scope: Some("Namespaced".into()),
            resource_names: None,
        }]),
        ..ar::MatchResources::default()
    }
}

/// `Policy::skip_reason` as matchConditions: the policy runs only when all hold.
fn match_conditions(policy: &Policy) -> Vec<ar::MatchCondition> {
    let ann = cel_string(&policy.exempt_annotation);
    let mut out = vec![ar::MatchCondition {
        name: "not-exempt-by-annotation".into(),
        // O(1).
        expression: format!(
            "!(has(object.metadata.annotations) && {ann} in object.metadata.annotations && object.metadata.annotations[{ann}] == \"true\")"
        ),
    }];
    if !policy.exempt_namespaces.is_empty() {
        out.push(ar::MatchCondition {
            name: "not-in-exempt-namespace".into(),
            // O(size(exemptNamespaces)), a constant.
            expression: format!(
                "!(request.namespace in {})",
                cel_list(&policy.exempt_namespaces)
            ),
        });
    }
    out
}

fn variables(list: Vec<(String, String)>) -> Vec<ar::Variable> {
    list.into_iter()
        .map(|(name, expression)| ar::Variable { name, expression })
        .collect()
}

/// The validating policy and binding for the rules at `severity`, if any.
fn validating(
    policy: &Policy,
    severity: Severity,
) -> Option<(
    ar::ValidatingAdmissionPolicy,
    ar::ValidatingAdmissionPolicyBinding,
)> {
    let rules: Vec<RuleId> = TRANSLATED
        .iter()
        .copied()
        .filter(|r| policy.severity(*r) == severity)
        .collect();
    if rules.is_empty() {
        return None;
    }
    let (name, action) = match severity {
        Severity::Error => (DENY_NAME, "Deny"),
        _ => (WARN_NAME, "Warn"),
    };
    let mut vars = shared_variables(policy);
    let mut validations = Vec::new();
    for rule in rules {
        let var = variable_name(rule);
        vars.push((var.clone(), rule_expression(rule)));
        validations.push(ar::Validation {
            expression: format!("size(variables.{var}) == 0"),
            message_expression: Some(format!("variables.{var}.join(\" | \")")),
            message: Some(format!(
                "[{rule}] the DaemonSet breaks this rule; `dsguard validate` shows where"
            )),
            reason: Some("Forbidden".into()),
        });
    }
    let vap = ar::ValidatingAdmissionPolicy {
        metadata: meta(name),
        spec: Some(ar::ValidatingAdmissionPolicySpec {
            // As the validating webhook: enforcement must hold, and a policy that cannot be
            // evaluated must not let a DaemonSet through.
            failure_policy: Some("Fail".into()),
            match_constraints: Some(match_constraints(&VALIDATING_SKIPPED_NAMESPACES)),
            match_conditions: Some(match_conditions(policy)),
            variables: Some(variables(vars)),
            validations: Some(validations),
            ..ar::ValidatingAdmissionPolicySpec::default()
        }),
        status: None,
    };
    let binding = ar::ValidatingAdmissionPolicyBinding {
        metadata: meta(name),
        spec: ar::ValidatingAdmissionPolicyBindingSpec {
            policy_name: name.into(),
            validation_actions: vec![action.into()],
            ..ar::ValidatingAdmissionPolicyBindingSpec::default()
        },
    };
    Some((vap, binding))
}

/// A configured toleration as a typed CEL object (the fields `mutate` writes).
fn toleration_object(t: &Toleration) -> String {
    let mut fields = Vec::new();
    for (name, value) in [
        ("key", &t.key),
        ("operator", &t.operator),
        ("value", &t.value),
        ("effect", &t.effect),
    ] {
        if !value.is_empty() {
            fields.push(format!("{name}: {}", cel_string(value)));
        }
    }
    if let Some(s) = t.toleration_seconds {
        fields.push(format!("tolerationSeconds: {s}"));
    }
    format!(
        "Object.spec.template.spec.tolerations{{{}}}",
        fields.join(", ")
    )
}

/// CEL: the existing toleration `e` tolerates every taint the default `d` tolerates
/// (`covers` in src/policy/mutate.rs, after `Toleration.ToleratesTaint`). O(1).
fn covers(d: &Toleration) -> String {
    let s = |f: &str| format!("(has(e.{f}) ? e.{f} : \"\")");
    let effect_ok = if d.effect.is_empty() {
        format!("{} == \"\"", s("effect"))
    } else {
        format!(
            "({e} == \"\" || {e} == {})",
            cel_string(&d.effect),
            e = s("effect")
        )
    };
    let key_ok = format!(
        "(({k} == \"\" && {op} == \"Exists\") || {k} == {})",
        cel_string(&d.key),
        k = s("key"),
        op = s("operator")
    );
    let value_ok = if d.operator == "Exists" {
        format!("{} == \"Exists\"", s("operator"))
    } else {
        format!(
            "({op} == \"Exists\" || (({op} == \"\" || {op} == \"Equal\") && {v} == {}))",
            cel_string(&d.value),
            op = s("operator"),
            v = s("value")
        )
    };
    let seconds_ok = if d.toleration_seconds.is_some() {
        "true".to_string()
    } else {
        "!has(e.tolerationSeconds)".to_string()
    };
    format!("({effect_ok} && {key_ok} && {value_ok} && {seconds_ok})")
}

/// The mutating policy and binding, unless the configuration adds nothing.
fn mutating(
    policy: &Policy,
) -> Option<(
    ar::MutatingAdmissionPolicy,
    ar::MutatingAdmissionPolicyBinding,
)> {
    if policy.tolerations.is_empty() && policy.node_selector.is_empty() {
        return None;
    }
    let pod = "object.spec.template.spec";
    let mut vars: Vec<(String, String)> = vec![
        (
            "hasPod".into(),
            "has(object.spec) && has(object.spec.template) && has(object.spec.template.spec)"
                .into(),
        ),
        (
            "tolerationsSet".into(),
            format!("variables.hasPod && has({pod}.tolerations)"),
        ),
        (
            "tolerations".into(),
            format!("variables.tolerationsSet ? {pod}.tolerations : []"),
        ),
        (
            "nodeSelectorSet".into(),
            format!("variables.hasPod && has({pod}.nodeSelector)"),
        ),
        (
            "affinityTerms".into(),
            format!(
                "variables.hasPod && has({pod}.affinity) && has({pod}.affinity.nodeAffinity) && has({pod}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution) && has({pod}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms) ? {pod}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms : []"
            ),
        ),
    ];
    let mut adds_t = Vec::new();
    let mut ops_t = Vec::new();
    for (i, t) in policy.tolerations.iter().enumerate() {
        let var = format!("addToleration{i}");
        // O(n), n = size(tolerations).
        vars.push((
            var.clone(),
            format!(
                "variables.hasPod && !variables.tolerations.exists(e, {})",
                covers(t)
            ),
        ));
        ops_t.push(format!(
            "(variables.{var} ? [JSONPatch{{op: \"add\", path: \"/spec/template/spec/tolerations/-\", value: {}}}] : [])",
            toleration_object(t)
        ));
        adds_t.push(format!("variables.{var}"));
    }
    let mut adds_n = Vec::new();
    let mut ops_n = Vec::new();
    for (i, (k, v)) in policy.node_selector.iter().enumerate() {
        let var = format!("addNodeSelector{i}");
        let key = cel_string(k);
        // O(terms + requirements): every requirement of every term is visited once.
        vars.push((
            var.clone(),
            format!(
                "variables.hasPod && !(variables.nodeSelectorSet && {key} in {pod}.nodeSelector) && !variables.affinityTerms.exists(t, (has(t.matchExpressions) && t.matchExpressions.exists(r, r.key == {key})) || (has(t.matchFields) && t.matchFields.exists(r, r.key == {key})))"
            ),
        ));
        ops_n.push(format!(
            "(variables.{var} ? [JSONPatch{{op: \"add\", path: \"/spec/template/spec/nodeSelector/\" + jsonpatch.escapeKey({key}), value: {}}}] : [])",
            cel_string(v)
        ));
        adds_n.push(format!("variables.{var}"));
    }
    let mut parts = Vec::new();
    if !adds_t.is_empty() {
        // An absent list is added empty first, then each toleration is appended: the same
        // object as `mutate`'s single add of the whole list.
        parts.push(format!(
            "(!variables.tolerationsSet && ({}) ? [JSONPatch{{op: \"add\", path: \"/spec/template/spec/tolerations\", value: []}}] : [])",
            adds_t.join(" || ")
        ));
        parts.extend(ops_t);
    }
    if !adds_n.is_empty() {
        parts.push(format!(
            "(!variables.nodeSelectorSet && ({}) ? [JSONPatch{{op: \"add\", path: \"/spec/template/spec/nodeSelector\", value: {{}}}}] : [])",
            adds_n.join(" || ")
        ));
        parts.extend(ops_n);
    }
    let map = ar::MutatingAdmissionPolicy {
        metadata: meta(MUTATING_NAME),
        spec: Some(ar::MutatingAdmissionPolicySpec {
            // As the mutating webhook: it never denies, and its defaults are conveniences.
            failure_policy: Some("Ignore".into()),
            match_constraints: Some(match_constraints(&MUTATING_SKIPPED_NAMESPACES)),
            match_conditions: Some(match_conditions(policy)),
            variables: Some(variables(vars)),
            mutations: Some(vec![ar::Mutation {
                patch_type: "JSONPatch".into(),
                json_patch: Some(ar::JSONPatch {
                    expression: Some(parts.join(" + ")),
                }),
                apply_configuration: None,
            }]),
            reinvocation_policy: Some("IfNeeded".into()),
            ..ar::MutatingAdmissionPolicySpec::default()
        }),
    };
    let binding = ar::MutatingAdmissionPolicyBinding {
        metadata: meta(MUTATING_NAME),
        spec: Some(ar::MutatingAdmissionPolicyBindingSpec {
            policy_name: Some(MUTATING_NAME.into()),
            ..ar::MutatingAdmissionPolicyBindingSpec::default()
        }),
    };
    Some((map, binding))
}

/// Every object `dsguard policies` prints for `policy`, in order: the mutating policy and
/// its binding, then the validating ones (deny, warn) with theirs.
pub fn objects(policy: &Policy) -> Vec<Value> {
    let mut out = Vec::new();
    let json = |v: serde_json::Result<Value>| v.expect("k8s-openapi objects serialize");
    if let Some((p, b)) = mutating(policy) {
        out.push(json(serde_json::to_value(&p)));
        out.push(json(serde_json::to_value(&b)));
    }
    for severity in [Severity::Error, Severity::Warning] {
        if let Some((p, b)) = validating(policy, severity) {
            out.push(json(serde_json::to_value(&p)));
            out.push(json(serde_json::to_value(&b)));
        }
    }
    out
}

/// Writes the objects for `policy` to `out`, and to `err` the rules the webhook enforces
/// that the policies do not.
pub fn run<W: Write, E: Write>(
    policy: &Policy,
    format: PoliciesFormat,
    out: &mut W,
    err: &mut E,
) -> io::Result<()> {
    let objects = objects(policy);
    match format {
        PoliciesFormat::Yaml => {
            for (i, o) in objects.iter().enumerate() {
                if i > 0 {
                    writeln!(out, "---")?;
                }
                let text = crate::yaml::to_yaml(o);
                write!(out, "{text}")?;
                if !text.ends_with('\n') {
                    writeln!(out)?;
                }
            }
        }
        PoliciesFormat::Json => {
            let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": objects});
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&list).map_err(io::Error::other)?
            )?;
        }
    }
    let missing: Vec<(RuleId, &str)> = not_translated()
        .into_iter()
        .filter(|(r, _)| policy.severity(*r) != Severity::Off)
        .collect();
    if !missing.is_empty() {
        writeln!(
            err,
            "dsguard: the policies do not enforce these rules, which the webhook does:"
        )?;
        for (rule, why) in missing {
            writeln!(err, "  {rule} ({}): {why}", policy.severity(rule).as_str())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_the_webhook_enforces_is_translated_or_named() {
        let offline_or_audit = [
            RuleId::Parse,
            RuleId::Schema,
            RuleId::UnknownField,
            RuleId::DeploymentField,
            RuleId::RolloutIncomplete,
            RuleId::PodsMisscheduled,
            RuleId::GenerationStale,
        ];
        let named: Vec<RuleId> = not_translated().into_iter().map(|(r, _)| r).collect();
        for rule in RuleId::ALL {
            let places = usize::from(TRANSLATED.contains(rule))
                + usize::from(named.contains(rule))
                + usize::from(offline_or_audit.contains(rule));
            assert_eq!(places, 1, "{rule}");
        }
    }

    #[test]
    fn strings_and_names() {
        assert_eq!(cel_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
        assert_eq!(cel_string("日本~/"), "\"日本~/\"");
        assert_eq!(
            variable_name(RuleId::PreviousSelectorMismatch),
            "previousSelectorMismatch"
        );
        assert_eq!(variable_name(RuleId::ImageLatest), "imageLatest");
    }

    #[test]
    fn one_policy_per_action_and_nothing_for_off() {
        let mut policy = Policy::default();
        let kinds = |p: &Policy| -> Vec<String> {
            objects(p)
                .iter()
                .map(|o| {
                    format!(
                        "{}/{}",
                        o["kind"].as_str().unwrap(),
                        o["metadata"]["name"].as_str().unwrap()
                    )
                })
                .collect()
        };
        assert_eq!(kinds(&policy).len(), 6);
        for rule in TRANSLATED {
            policy.severities.insert(rule, Severity::Off);
        }
        policy.tolerations.clear();
        policy.node_selector.clear();
        assert!(kinds(&policy).is_empty());
        policy
            .severities
            .insert(RuleId::ImageLatest, Severity::Warning);
        assert_eq!(
            kinds(&policy),
            [
                "ValidatingAdmissionPolicy/dsguard-warn",
                "ValidatingAdmissionPolicyBinding/dsguard-warn"
            ]
        );
    }

    #[test]
    fn stderr_names_the_untranslated_rules_that_are_on() {
        let mut policy = Policy::default();
        policy.severities.insert(RuleId::PodSpec, Severity::Off);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        run(&policy, PoliciesFormat::Json, &mut out, &mut err).unwrap();
        let err = String::from_utf8(err).unwrap();
        assert!(err.contains("metadata-invalid (error)"), "{err}");
        assert!(err.contains("field-dropped (warning)"), "{err}");
        assert!(!err.contains("pod-spec"), "{err}");
        let list: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 6);
    }
}
