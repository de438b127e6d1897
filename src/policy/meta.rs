//! Object metadata, labels and label selectors, after k8s.io/apimachinery
//! `pkg/api/validation/objectmeta.go` (`ValidateObjectMeta`, `ValidateAnnotations`,
//! `ValidateObjectMetaUpdate`) and `pkg/apis/meta/v1/validation/validation.go`
//! (`ValidateLabels`, `ValidateLabelName`, `ValidateLabelSelector`,
//! `ValidateLabelSelectorRequirement`), with `LabelSelectorAsSelector(...).Matches`
//! through kube-rs's `Selector`.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use super::finding::Out;
use super::names::{
    is_dns1123_label, is_dns1123_subdomain, is_qualified_name, is_valid_label_value,
};
use super::path::At;
use super::view::Node;

/// `ValidateLabels`: each key a qualified name, each value a label value.
pub(crate) fn labels(value: &Node, at: &At, o: &mut Out) {
    for (k, v) in value.entries() {
        label_name(k, at, o);
        if let Some(s) = v.as_str() {
            o.invalid_each(&at.key(k), s, is_valid_label_value(s));
        }
    }
}

/// `ValidateLabelName`: a qualified name, reported at the map's path.
pub(crate) fn label_name(key: &str, at: &At, o: &mut Out) {
    o.invalid_each(at, key, is_qualified_name(key));
}

/// A label map as string pairs (non-string values left out: the schema rule reports them).
pub(crate) fn label_map<'a>(value: &'a Node) -> BTreeMap<&'a str, &'a str> {
    value
        .entries()
        .filter_map(|(k, v)| v.as_str().map(|s| (k, s)))
        .collect()
}

/// Problems with a label key and value, in the API server's words (empty when valid).
pub fn label_problems(key: &str, value: &str) -> Vec<String> {
    let mut out = is_qualified_name(key);
    out.extend(is_valid_label_value(value));
    out
}

/// `ValidateObjectMeta` with the name rule `NameIsDNSSubdomain` (every apps object), as far
/// as a manifest can break it: name or generateName, namespace, labels, annotations.
pub(crate) fn object_meta(meta: &Node, at: &At, o: &mut Out, labels_out: &mut Out) {
    let name = meta.get("name").and_then(Node::as_str).unwrap_or("");
    let generate = meta
        .get("generateName")
        .and_then(Node::as_str)
        .unwrap_or("");
    if !generate.is_empty() {
        // Generated names append 5 characters; a trailing '-' is allowed in the prefix.
        let probe = format!("{generate}a");
        o.invalid_each(
            &at.child("generateName"),
            generate,
            is_dns1123_subdomain(&probe),
        );
    }
    if name.is_empty() {
        if generate.is_empty() {
            o.required(
                &at.child("name"),
                "name or generateName is required; set metadata.name",
            );
        }
    } else {
        o.invalid_each(&at.child("name"), name, is_dns1123_subdomain(name));
    }
    if let Some(ns) = meta.get("namespace").and_then(Node::as_str)
        && !ns.is_empty()
    {
        o.invalid_each(&at.child("namespace"), ns, is_dns1123_label(ns));
    }
    labels(meta.field("labels"), &at.child("labels"), labels_out);
    annotations(meta.field("annotations"), &at.child("annotations"), o);
}

/// `ValidateAnnotations`: keys are qualified names (checked lower-cased), and keys and
/// values together at most 256 KiB (`TotalAnnotationSizeLimitB`).
pub(crate) fn annotations(value: &Node, at: &At, o: &mut Out) {
    let mut total = 0;
    for (k, v) in value.entries() {
        o.invalid_each(at, k, is_qualified_name(&k.to_lowercase()));
        total += k.len() + v.as_str().map_or(0, str::len);
    }
    const LIMIT: usize = 256 * 1024;
    if total > LIMIT {
        o.add(
            at,
            format!(
                "Too long: may not be more than {LIMIT} bytes (annotations total {total} bytes)"
            ),
        );
    }
}

/// A label selector as `ValidateLabelSelector` sees it. `Err` when it is not an object (the
/// schema rule's to report).
pub(crate) struct Selector<'a> {
    /// `matchLabels`.
    pub match_labels: &'a Node<'a>,
    /// `matchExpressions`.
    pub expressions: &'a [Node<'a>],
}

impl<'a> Selector<'a> {
    /// Reads a selector object.
    pub(crate) fn of(value: &'a Node<'a>) -> Option<Self> {
        value.as_object()?;
        Some(Selector {
            match_labels: value.field("matchLabels"),
            expressions: value.field("matchExpressions").items(),
        })
    }

    /// Neither matchLabels nor matchExpressions.
    pub(crate) fn is_empty(&self) -> bool {
        self.match_labels.is_zero() && self.expressions.is_empty()
    }

    /// `ValidateLabelSelector`: matchLabels as labels, each expression's operator, values
    /// and key. Returns whether it is valid (an invalid selector matches nothing, and no
    /// mismatch is reported for it).
    pub(crate) fn validate(&self, at: &At, o: &mut Out) -> bool {
        let before = o.count();
        labels(self.match_labels, &at.child("matchLabels"), o);
        let exprs = at.child("matchExpressions");
        for (i, expr) in self.expressions.iter().enumerate() {
            let e = exprs.index(i);
            let op = expr.get("operator").and_then(Node::as_str).unwrap_or("");
            let values = expr.field("values").items();
            match op {
                "In" | "NotIn" => {
                    if values.is_empty() {
                        o.required(
                            &e.child("values"),
                            "must be specified when `operator` is 'In' or 'NotIn'",
                        );
                    }
                }
                "Exists" | "DoesNotExist" => {
                    if !values.is_empty() {
                        o.forbidden(
                            &e.child("values"),
                            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                        );
                    }
                }
                other => o.invalid(
                    &e.child("operator"),
                    other,
                    "not a valid selector operator; use In, NotIn, Exists or DoesNotExist",
                ),
            }
            let key = expr.get("key").and_then(Node::as_str).unwrap_or("");
            label_name(key, &e.child("key"), o);
            let vpath = e.child("values");
            for (j, v) in values.iter().enumerate() {
                if let Some(s) = v.as_str() {
                    o.invalid_each(&vpath.index(j), s, is_valid_label_value(s));
                }
            }
        }
        o.count() == before
    }

    /// The typed selector, for matching.
    pub(crate) fn to_typed(&self) -> LabelSelector {
        let strings = |v: &Node| -> Vec<String> {
            v.items()
                .iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        };
        LabelSelector {
            match_labels: Some(
                label_map(self.match_labels)
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            match_expressions: Some(
                self.expressions
                    .iter()
                    .map(|e| LabelSelectorRequirement {
                        key: e.get("key").and_then(Node::as_str).unwrap_or("").into(),
                        operator: e
                            .get("operator")
                            .and_then(Node::as_str)
                            .unwrap_or("")
                            .into(),
                        values: e.get("values").map(strings),
                    })
                    .collect(),
            ),
        }
    }

    /// Whether the selector selects `labels` (`LabelSelectorAsSelector(...).Matches`);
    /// `None` when it cannot be converted (an invalid selector).
    pub(crate) fn matches(&self, labels: &BTreeMap<String, String>) -> Option<bool> {
        use kube::core::{Selector as KubeSelector, SelectorExt};
        let selector = KubeSelector::try_from(self.to_typed()).ok()?;
        Some(selector.matches(labels))
    }
}
