//! What breaks the next upgrade: a selector label that changes from release to release
//! (`selector-volatile-label`), and, against the previous version of the object, template
//! labels its selector no longer selects (`previous-selector-mismatch`). The selector's
//! immutability itself (`selector-immutable`) is the API server's rule, in `daemonset.rs`.
//!
//! Public examples of the upgrade failure this catches: kured#610,
//! NVIDIA/k8s-device-plugin#701, nginx/kubernetes-ingress#3976,
//! aws-node-termination-handler#263 (a `helm.sh/chart` or version label in the selector).

use super::finding::Findings;
use super::meta::{self, Selector};
use super::path::At;
use super::rules::RuleId;
use super::settings::Policy;
use super::view::Node;

/// `selector-volatile-label`: a selector key in the configured list, or a value that looks
/// like a version (`1.2.3`, `v1.2`) or a chart's name-version (`nginx-4.10.0`).
pub(crate) fn volatile_selector_labels(obj: &Node, policy: &Policy, out: &mut Findings) {
    let spec = At::ROOT.child("spec");
    let selector_at = spec.child("selector");
    let selector = obj.field("spec").field("selector");
    let ml_at = selector_at.child("matchLabels");
    for (key, value) in selector.field("matchLabels").entries() {
        let value = value.as_str().unwrap_or("");
        if let Some(why) = volatile(key, value, policy) {
            out.add(
                RuleId::SelectorVolatileLabel,
                &ml_at.key(key),
                message(key, &why),
            );
        }
    }
    let exprs_at = selector_at.child("matchExpressions");
    for (i, e) in selector
        .field("matchExpressions")
        .items()
        .iter()
        .enumerate()
    {
        let key = e.get("key").and_then(Node::as_str).unwrap_or("");
        let values: Vec<&str> = e
            .field("values")
            .items()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        let why = volatile(key, "", policy)
            .or_else(|| values.iter().find_map(|v| volatile(key, v, policy)));
        if let Some(why) = why {
            out.add(
                RuleId::SelectorVolatileLabel,
                &exprs_at.index(i),
                message(key, &why),
            );
        }
    }
}

fn message(key: &str, why: &str) -> String {
    format!(
        "selector label `{key}` {why}: spec.selector is immutable, so the next release that changes it fails with `field is immutable`; keep only stable identifying labels (app.kubernetes.io/name, app.kubernetes.io/instance) in spec.selector and put `{key}` on the pod template only"
    )
}

/// Why a selector label is volatile, if it is.
fn volatile(key: &str, value: &str, policy: &Policy) -> Option<String> {
    if policy.volatile_label_keys.iter().any(|k| k == key) {
        return Some("changes from release to release".into());
    }
    if looks_like_version(value) {
        return Some(format!("has the version-like value \"{value}\""));
    }
    if looks_like_chart(value) {
        return Some(format!("has the chart name-version value \"{value}\""));
    }
    None
}

/// `1.2`, `1.2.3`, `v1.2.3`, `1.2.3-rc.1`: digits separated by dots (at least two numbers),
/// an optional `v` and an optional pre-release or build suffix.
fn looks_like_version(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
}

/// `name-1.2.3` as Helm writes `helm.sh/chart`: a name, a dash, then a version of three
/// numbers.
fn looks_like_chart(v: &str) -> bool {
    v.char_indices().any(|(i, c)| {
        c == '-' && i > 0 && {
            let rest = &v[i + 1..];
            let rest = rest.strip_prefix('v').unwrap_or(rest);
            let core = rest.split(['-', '+']).next().unwrap_or("");
            let parts: Vec<&str> = core.split('.').collect();
            parts.len() == 3
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
        }
    })
}

/// `previous-selector-mismatch`: the previous version's selector does not select the new
/// template labels. While the selector changes the update is refused; were it accepted, the
/// old selector would not own the new pods.
pub(crate) fn previous_selector(obj: &Node, old: &Node, out: &mut Findings) {
    let Some(old_sel) = old.field("spec").get("selector").and_then(Selector::of) else {
        return;
    };
    // An empty selector selects nothing here; one that does not convert matches nothing
    // (`matches` is `None`), so neither is reported.
    if old_sel.is_empty() {
        return;
    }
    let labels = meta::label_map(
        obj.field("spec")
            .field("template")
            .field("metadata")
            .field("labels"),
    );
    if old_sel.matches(&labels) == Some(false) {
        let spec = At::ROOT.child("spec");
        let template = spec.child("template");
        let metadata = template.child("metadata");
        out.add(
            RuleId::PreviousSelectorMismatch,
            &metadata.child("labels"),
            format!(
                "the previous version's selector {} does not select these labels {}: the selector cannot change (field is immutable), and the old selector would not own the new pods; keep the labels it selects",
                old.field("spec").field("selector"),
                serde_json::to_string(&labels).unwrap_or_default()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volatile_values() {
        for v in ["1.2.3", "v1.2", "1.2.3-rc.1", "0.1"] {
            assert!(looks_like_version(v), "{v}");
        }
        for v in ["1", "v1", "node-exporter", "1.x", "", "a.b"] {
            assert!(!looks_like_version(v), "{v}");
        }
        for v in ["ingress-nginx-4.10.0", "kured-5.4.1", "x-v1.2.3"] {
            assert!(looks_like_chart(v), "{v}");
        }
        for v in ["node-exporter", "ingress-nginx-4.10", "-1.2.3"] {
            assert!(!looks_like_chart(v), "{v}");
        }
    }
}
