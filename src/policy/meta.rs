//! Object metadata, labels and label selectors, after k8s.io/apimachinery
//! `pkg/api/validation/objectmeta.go` (`ValidateObjectMeta`, `ValidateAnnotations`; not
//! `ValidateObjectMetaUpdate`, see docs/parity.md) and `pkg/apis/meta/v1/validation/validation.go`
//! (`ValidateLabels`, `ValidateLabelName`, `ValidateLabelSelector`,
//! `ValidateLabelSelectorRequirement`), and `LabelSelectorAsSelector(...).Matches`
//! (k8s.io/apimachinery `pkg/labels/selector.go`, `(*Requirement).Matches`), read
//! straight from the object; a test holds it equal to kube-rs's `Selector`.

use std::collections::BTreeMap;

use super::finding::Out;
use super::names::{
    is_dns1123_label, is_dns1123_subdomain, is_qualified_name, is_valid_label_value,
};
use super::path::At;
use super::view::Node;

/// `ValidateLabels`: each key a qualified name, each value a label value. Both are
/// reported at the map's path, not at the entry (`metadata.labels: Invalid value: "x y"`).
pub(crate) fn labels(value: &Node, at: &At, o: &mut Out) {
    for (k, v) in value.entries() {
        label_name(k, at, o);
        if let Some(s) = v.as_str() {
            o.invalid_each(at, s, is_valid_label_value(s));
        }
    }
}

/// `ValidateLabelName`: a qualified name, reported at the given path.
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

/// `maskTrailingDash`: a generated name appends characters, so a prefix may end in `-`;
/// Go checks it with its last two characters replaced by `a`.
fn mask_trailing_dash(name: &str) -> String {
    if name.len() > 1 && name.ends_with('-') {
        // The name is ASCII if it is to pass at all; a non-ASCII one fails the same.
        let cut = name.char_indices().rev().nth(1).map_or(0, |(i, _)| i);
        format!("{}a", &name[..cut])
    } else {
        name.to_string()
    }
}

/// `ValidateObjectMeta` (k8s.io/apimachinery `pkg/api/validation/objectmeta.go`,
/// `ValidateObjectMetaAccessor`) with `NameIsDNSSubdomain`, plus the core wrapper's
/// `validateKubeFinalizerName` (kubernetes/kubernetes `pkg/apis/core/validation`).
///
/// Left out, as the API server leaves them to others: `metadata.generation` (set to 1 on
/// create), `managedFields` (replaced by the server's own when a manifest's do not decode),
/// and a missing namespace (taken from the request, `kubectl -n` or the context).
pub(crate) fn object_meta(meta: &Node, at: &At, o: &mut Out, labels_out: &mut Out) {
    let name = meta.get("name").and_then(Node::as_str).unwrap_or("");
    let generate = meta
        .get("generateName")
        .and_then(Node::as_str)
        .unwrap_or("");
    if !generate.is_empty() {
        let masked = mask_trailing_dash(generate);
        o.invalid_each(
            &at.child("generateName"),
            generate,
            is_dns1123_subdomain(&masked),
        );
    }
    if name.is_empty() {
        if generate.is_empty() {
            o.required(&at.child("name"), "name or generateName is required");
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
    owner_references(
        meta.field("ownerReferences"),
        &at.child("ownerReferences"),
        o,
    );
    finalizers(meta.field("finalizers"), &at.child("finalizers"), o);
}

/// `ValidateAnnotations`: keys are qualified names (checked lower-cased, so capitals are
/// allowed), reported at the map's path; keys and values together at most 256 KiB
/// (`TotalAnnotationSizeLimitB`).
pub(crate) fn annotations(value: &Node, at: &At, o: &mut Out) {
    let mut total = 0;
    for (k, v) in value.entries() {
        for m in is_qualified_name(&k.to_lowercase()) {
            o.invalid(at, k, m);
        }
        total += k.len() + v.as_str().map_or(0, str::len);
    }
    const LIMIT: usize = 256 * 1024;
    if total > LIMIT {
        o.too_long(at, LIMIT);
    }
}

/// An owner reference as Go's JSON encoding of `metav1.OwnerReference` writes it.
fn owner_reference_json(r: &Node) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (key, omit_empty) in [
        ("apiVersion", false),
        ("kind", false),
        ("name", false),
        ("uid", false),
        ("controller", true),
        ("blockOwnerDeletion", true),
    ] {
        match r.get(key) {
            Some(v) if !v.is_null() => {
                m.insert(key.into(), v.to_value());
            }
            _ if !omit_empty => {
                m.insert(key.into(), serde_json::Value::String(String::new()));
            }
            _ => {}
        }
    }
    serde_json::Value::Object(m)
}

/// `ValidateOwnerReferences`, on the list as the API server validates it: entries with the
/// same UID as an earlier, identical one are dropped first (k8s.io/apiserver
/// `pkg/endpoints/handlers/rest.go`, `dedupOwnerReferences`, which warns and keeps the first).
fn owner_references(refs: &Node, at: &At, o: &mut Out) {
    let mut list: Vec<&Node> = Vec::new();
    let mut kept_json: Vec<serde_json::Value> = Vec::new();
    for r in refs.items() {
        // Semantic equality: the typed fields, whatever their order in the text.
        let json = owner_reference_json(r);
        if !kept_json.contains(&json) {
            kept_json.push(json);
            list.push(r);
        }
    }
    let mut first_controller: Option<String> = None;
    for (i, r) in list.iter().copied().enumerate() {
        let r_at = at.index(i);
        let s = |k: &str| r.get(k).and_then(Node::as_str).unwrap_or("");
        let api_version = s("apiVersion");
        // schema.ParseGroupVersion: "" is fine, "v" a version, "g/v" both, more slashes an error.
        let version = match api_version.matches('/').count() {
            0 => Some(api_version),
            1 => api_version.split_once('/').map(|(_, v)| v),
            _ => None,
        };
        if api_version.is_empty() {
            o.required(&r_at.child("apiVersion"), "must not be empty");
        } else if version.is_none_or(str::is_empty) {
            o.invalid(
                &r_at.child("apiVersion"),
                api_version,
                "must be <group>/<version> or <version>",
            );
        }
        for field in ["kind", "name", "uid"] {
            if s(field).is_empty() {
                o.required(&r_at.child(field), "must not be empty");
            }
        }
        // BannedOwners: core/v1 Event.
        if api_version == "v1" && s("kind") == "Event" {
            o.invalid(
                &r_at,
                super::finding::Raw(owner_reference_json(r)),
                "/v1, Kind=Event is disallowed from being an owner",
            );
        }
        if r.get("controller").and_then(Node::as_bool) == Some(true) {
            let current = format!("{}/{}", s("kind"), s("name"));
            match &first_controller {
                Some(first) => {
                    let all: Vec<serde_json::Value> =
                        list.iter().copied().map(owner_reference_json).collect();
                    o.invalid(
                        at,
                        super::finding::Raw(serde_json::Value::Array(all)),
                        format!("Only one reference can have Controller set to true. Found \"true\" in references for {first} and {current}"),
                    );
                }
                None => first_controller = Some(current),
            }
        }
    }
}

/// `ValidateFinalizers` (names qualified, reported at `metadata.finalizers`; not both
/// `orphan` and `foregroundDeletion`) and the core wrapper's `validateKubeFinalizerName`
/// (a name without `/` must be a standard one, reported at `metadata.finalizers[i]`).
fn finalizers(list: &Node, at: &At, o: &mut Out) {
    let names: Vec<&str> = list.items().iter().filter_map(Node::as_str).collect();
    for name in &names {
        o.invalid_each(at, name, is_qualified_name(name));
    }
    if names.contains(&"orphan") && names.contains(&"foregroundDeletion") {
        o.invalid(
            at,
            super::finding::Raw(serde_json::to_string(&names).unwrap_or_default()),
            "finalizer orphan and foregroundDeletion cannot be both set",
        );
    }
    for (i, name) in list.items().iter().enumerate() {
        let Some(name) = name.as_str() else { continue };
        if !name.contains('/') && !matches!(name, "kubernetes" | "orphan" | "foregroundDeletion") {
            o.invalid(
                &at.index(i),
                name,
                "name is neither a standard finalizer name nor is it fully qualified",
            );
        }
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

    /// `LabelSelectorHasInvalidLabelValue`: a matchLabels or matchExpressions value that is
    /// not a valid label value.
    pub(crate) fn has_invalid_label_value(&self) -> bool {
        self.match_labels.entries().any(|(_, v)| {
            v.as_str()
                .is_some_and(|v| !is_valid_label_value(v).is_empty())
        }) || self.expressions.iter().any(|e| {
            e.field("values").items().iter().any(|v| {
                v.as_str()
                    .is_some_and(|v| !is_valid_label_value(v).is_empty())
            })
        })
    }

    /// Neither matchLabels nor matchExpressions.
    pub(crate) fn is_empty(&self) -> bool {
        self.match_labels.is_zero() && self.expressions.is_empty()
    }

    /// `ValidateLabelSelector`: matchLabels as labels, each expression's operator, values
    /// (unless `allow_invalid_values`, `AllowInvalidLabelValueInSelector`) and key.
    pub(crate) fn validate(&self, at: &At, allow_invalid_values: bool, o: &mut Out) {
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
                other => o.invalid(&e.child("operator"), other, "not a valid selector operator"),
            }
            let key = expr.get("key").and_then(Node::as_str).unwrap_or("");
            label_name(key, &e.child("key"), o);
            if !allow_invalid_values {
                let vpath = e.child("values");
                for (j, v) in values.iter().enumerate() {
                    if let Some(s) = v.as_str() {
                        o.invalid_each(&vpath.index(j), s, is_valid_label_value(s));
                    }
                }
            }
        }
    }

    /// Whether `LabelSelectorAsSelector` succeeds: every key a qualified name, every value a
    /// label value, In/NotIn with values, Exists/DoesNotExist without, known operators.
    /// A selector that fails matches nothing and no mismatch is reported for it.
    pub(crate) fn converts(&self) -> bool {
        let labels_ok = self
            .match_labels
            .entries()
            .all(|(k, v)| v.as_str().is_some_and(|v| label_problems(k, v).is_empty()));
        labels_ok
            && self.expressions.iter().all(|e| {
                let key = e.get("key").and_then(Node::as_str).unwrap_or("");
                let values = e.field("values").items();
                let values_ok = values.iter().all(|v| {
                    v.as_str()
                        .is_some_and(|v| is_valid_label_value(v).is_empty())
                });
                is_qualified_name(key).is_empty()
                    && values_ok
                    && match e.get("operator").and_then(Node::as_str) {
                        Some("In" | "NotIn") => !values.is_empty(),
                        Some("Exists" | "DoesNotExist") => values.is_empty(),
                        _ => false,
                    }
            })
    }

    /// Whether the selector selects `labels` (`LabelSelectorAsSelector(...).Matches`);
    /// `None` when it cannot be converted (an invalid selector).
    ///
    /// `LabelSelectorAsSelector` (k8s.io/apimachinery `pkg/apis/meta/v1/helpers.go`) turns
    /// each matchLabels entry into an `=` requirement and each expression into its
    /// operator's; the selector matches when every requirement does
    /// (`internalSelector.Matches`), so an empty one matches everything. A requirement
    /// matches as `(*Requirement).Matches` in `pkg/labels/selector.go` says: `=`/`In` when
    /// the label is present with one of the values, `NotIn` when it is absent or has none
    /// of them, `Exists`/`DoesNotExist` on presence alone.
    pub(crate) fn matches(&self, labels: &BTreeMap<&str, &str>) -> Option<bool> {
        if !self.converts() {
            return None;
        }
        let by_labels = self.match_labels.entries().all(|(k, v)| {
            v.as_str()
                .is_some_and(|v| labels.get(k).is_some_and(|have| *have == v))
        });
        let by_expressions = self.expressions.iter().all(|e| {
            let key = e.get("key").and_then(Node::as_str).unwrap_or("");
            let has_value = |have: &str| {
                e.field("values")
                    .items()
                    .iter()
                    .any(|v| v.as_str() == Some(have))
            };
            match (e.get("operator").and_then(Node::as_str), labels.get(key)) {
                (Some("In"), Some(have)) => has_value(have),
                (Some("In"), None) => false,
                (Some("NotIn"), Some(have)) => !has_value(have),
                (Some("NotIn"), None) => true,
                (Some("Exists"), have) => have.is_some(),
                (Some("DoesNotExist"), have) => have.is_none(),
                // converts() admits no other operator.
                _ => false,
            }
        });
        Some(by_labels && by_expressions)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
    use kube::core::{Selector as KubeSelector, SelectorExt};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::Selector;
    use crate::policy::view::Node;

    fn key() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["app", "tier", "example.com/role"]).prop_map(String::from)
    }

    fn value() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["a", "b", ""]).prop_map(String::from)
    }

    fn expression() -> impl Strategy<Value = Value> {
        (
            key(),
            prop::sample::select(vec!["In", "NotIn", "Exists", "DoesNotExist", "Equals"]),
            prop::option::of(prop::collection::vec(value(), 0..3)),
        )
            .prop_map(|(k, op, values)| match values {
                Some(v) => json!({"key": k, "operator": op, "values": v}),
                None => json!({"key": k, "operator": op}),
            })
    }

    proptest! {
        /// The selector matches as kube-rs's `Selector` (a port of the same Go) does, and
        /// is `None` exactly when that one cannot be built or Go would refuse it.
        #[test]
        fn matches_as_kube_does(
            match_labels in prop::collection::btree_map(key(), value(), 0..3),
            expressions in prop::collection::vec(expression(), 0..3),
            labels in prop::collection::btree_map(key(), value(), 0..3),
        ) {
            let sel = json!({"matchLabels": match_labels, "matchExpressions": expressions});
            let node = Node::from(&sel);
            let ours = Selector::of(&node).unwrap();
            let typed = LabelSelector {
                match_labels: Some(match_labels.clone()),
                match_expressions: Some(
                    serde_json::from_value::<Vec<LabelSelectorRequirement>>(Value::from(expressions))
                        .unwrap(),
                ),
            };
            let borrowed: BTreeMap<&str, &str> =
                labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            match KubeSelector::try_from(typed) {
                Ok(kube) if ours.converts() => {
                    prop_assert_eq!(ours.matches(&borrowed), Some(kube.matches(&labels)));
                }
                _ => prop_assert_eq!(ours.matches(&borrowed), None),
            }
        }
    }
}
