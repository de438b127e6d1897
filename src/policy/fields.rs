//! The fields the webhook's rules read.
//!
//! Building a `serde_json::Value` is most of the cost of a review, so the webhook path
//! builds one only of the fields below and skips the rest while parsing
//! ([`crate::admission`]). The list is checked, not trusted: a test runs every fixture and
//! example through both the full and the pruned object and requires the same answers.
//! A new rule that reads another field must add it here.

/// Which parts of a JSON value to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The whole value.
    All,
    /// In an object, only these keys, each pruned by its own `Keep`; in an array, each item
    /// pruned this way; a scalar as it is.
    Fields(&'static [(&'static str, Keep)]),
    /// In an object, only the entries whose value is the string `"true"`; otherwise as
    /// `Fields`. For `metadata.annotations`: the exemption annotation counts only when it is
    /// `"true"`, its name is configurable, and the other annotations (such as kubectl's
    /// `last-applied-configuration`, a copy of the whole object) are read by no webhook rule.
    TrueStrings,
}

const CONTAINER: Keep = Keep::Fields(&[("image", Keep::All), ("resources", Keep::All)]);

/// What the validating and mutating webhooks read of a DaemonSet: identity and exemption
/// (`metadata`), the Deployment leftovers `mutate` removes, the containers' images and
/// resources (`image-latest`, `resources-missing`), and what decides the default
/// tolerations and nodeSelector.
pub const WEBHOOK: Keep = Keep::Fields(&[
    ("apiVersion", Keep::All),
    ("kind", Keep::All),
    (
        "metadata",
        Keep::Fields(&[
            ("name", Keep::All),
            ("generateName", Keep::All),
            ("namespace", Keep::All),
            ("annotations", Keep::TrueStrings),
        ]),
    ),
    (
        "spec",
        Keep::Fields(&[
            ("replicas", Keep::All),
            ("strategy", Keep::All),
            ("paused", Keep::All),
            ("progressDeadlineSeconds", Keep::All),
            (
                "template",
                Keep::Fields(&[(
                    "spec",
                    Keep::Fields(&[
                        ("containers", CONTAINER),
                        ("tolerations", Keep::All),
                        ("nodeSelector", Keep::All),
                        ("affinity", Keep::Fields(&[("nodeAffinity", Keep::All)])),
                    ]),
                )]),
            ),
        ]),
    ),
]);

impl Keep {
    /// The part of a key's value to keep, or `None` to drop the key.
    pub fn child(self, key: &str) -> Option<Keep> {
        match self {
            Keep::All => Some(Keep::All),
            Keep::Fields(fields) => fields.iter().find(|(k, _)| *k == key).map(|(_, f)| *f),
            Keep::TrueStrings => None,
        }
    }

    /// `value` pruned: the same as parsing it with [`crate::admission`]'s pruning reader.
    pub fn apply(self, value: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match (self, value) {
            (Keep::All, v) => v.clone(),
            (Keep::TrueStrings, Value::Object(map)) => Value::Object(
                map.iter()
                    .filter(|(_, v)| v.as_str() == Some("true"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            (_, Value::Object(map)) => Value::Object(
                map.iter()
                    .filter_map(|(k, v)| self.child(k).map(|keep| (k.clone(), keep.apply(v))))
                    .collect(),
            ),
            (_, Value::Array(items)) => Value::Array(items.iter().map(|v| self.apply(v)).collect()),
            (_, v) => v.clone(),
        }
    }
}
