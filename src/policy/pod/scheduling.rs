//! Where pods may run: tolerations, after kubernetes/kubernetes
//! `pkg/apis/core/validation/validation.go` (`ValidateTolerations`).

use crate::policy::finding::Out;
use crate::policy::names::{is_qualified_name, is_valid_label_value};
use crate::policy::path::At;
use crate::policy::view::Node;

/// `ValidateTolerations`, one item.
pub(super) fn toleration(t: &Node, at: &At, o: &mut Out) {
    if !t.is_object() {
        return;
    }
    let s = |k: &str| t.get(k).and_then(Node::as_str).unwrap_or("");
    let (key, operator, value, effect) = (s("key"), s("operator"), s("value"), s("effect"));
    if !key.is_empty() {
        o.invalid_each(&at.child("key"), key, is_qualified_name(key));
    }
    if key.is_empty() && operator != "Exists" {
        o.invalid(
            &at.child("operator"),
            operator,
            "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
        );
    }
    if t.get("tolerationSeconds").is_some_and(|v| !v.is_null()) && effect != "NoExecute" {
        o.invalid(
            &at.child("effect"),
            effect,
            "effect must be 'NoExecute' when `tolerationSeconds` is set",
        );
    }
    match operator {
        "" | "Equal" => {
            o.invalid_each(&at.child("value"), value, is_valid_label_value(value));
        }
        "Exists" => {
            if !value.is_empty() {
                o.invalid(
                    &at.child("operator"),
                    value,
                    "value must be empty when `operator` is 'Exists'",
                );
            }
        }
        other => o.not_supported(&at.child("operator"), other, &["Equal", "Exists"]),
    }
    if !matches!(effect, "" | "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
        o.not_supported(
            &at.child("effect"),
            effect,
            &["NoExecute", "NoSchedule", "PreferNoSchedule"],
        );
    }
}
