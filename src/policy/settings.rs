//! The loaded configuration the engine works with ([`Policy`]), and the one decision every
//! face shares: whether an object is checked at all ([`Policy::skip_reason`]).

use std::collections::BTreeMap;

use serde::Serialize;

use super::rules::{RuleId, Severity};
use super::schema_versions::KubernetesVersion;
use super::view::Node;

/// A default toleration added by `mutate`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Toleration {
    /// Taint key; empty with `Exists` tolerates every taint.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// `Exists` or `Equal` (the default).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub operator: String,
    /// Taint value, for `Equal`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    /// `NoSchedule`, `PreferNoSchedule`, `NoExecute`, or empty for every effect.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub effect: String,
    /// How long a `NoExecute` taint is tolerated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

/// The loaded configuration the engine works with.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Tolerations `mutate` adds unless one already tolerates the same taint.
    pub tolerations: Vec<Toleration>,
    /// nodeSelector entries `mutate` adds unless the key is already constrained.
    pub node_selector: BTreeMap<String, String>,
    /// Severity per rule; rules not listed use their default.
    pub severities: BTreeMap<RuleId, Severity>,
    /// Namespaces whose DaemonSets are not checked or changed.
    pub exempt_namespaces: Vec<String>,
    /// An annotation that, set to `"true"` on a DaemonSet, exempts it.
    pub exempt_annotation: String,
    /// Label keys whose values change from release to release (`selector-volatile-label`).
    pub volatile_label_keys: Vec<String>,
    /// The cluster's Kubernetes version, whose DaemonSet schema the strict schema check
    /// uses (`--kubernetes-version`); the latest supported by default.
    pub kubernetes_version: KubernetesVersion,
}

/// The label keys `selector-volatile-label` looks for unless the configuration names others:
/// what Helm charts and the recommended labels put on every object.
pub const DEFAULT_VOLATILE_LABEL_KEYS: [&str; 4] = [
    "helm.sh/chart",
    "app.kubernetes.io/version",
    "chart",
    "version",
];

/// The annotation that exempts an object unless the configuration names another.
pub const DEFAULT_EXEMPT_ANNOTATION: &str = "dsguard.io/exempt";

impl Default for Policy {
    fn default() -> Self {
        Policy {
            tolerations: vec![Toleration {
                key: "node-role.kubernetes.io/control-plane".into(),
                operator: "Exists".into(),
                value: String::new(),
                effect: "NoSchedule".into(),
                toleration_seconds: None,
            }],
            node_selector: BTreeMap::from([("kubernetes.io/os".into(), "linux".into())]),
            severities: BTreeMap::new(),
            exempt_namespaces: Vec::new(),
            exempt_annotation: DEFAULT_EXEMPT_ANNOTATION.into(),
            volatile_label_keys: DEFAULT_VOLATILE_LABEL_KEYS.map(String::from).to_vec(),
            kubernetes_version: KubernetesVersion::LATEST,
        }
    }
}

impl Policy {
    /// The severity in force for `rule`.
    pub fn severity(&self, rule: RuleId) -> Severity {
        self.severities
            .get(&rule)
            .copied()
            .unwrap_or_else(|| rule.default_severity())
    }

    /// Why `obj` is not checked or changed, if it is not: it is not a DaemonSet, its
    /// namespace is exempt, or it carries the exemption annotation set to `"true"`. Every
    /// face asks this one question: `validate` reports the reason as a skip, `mutate`
    /// leaves the object untouched, the webhook allows it untouched.
    pub fn skip_reason(&self, obj: &Node) -> Option<String> {
        match obj.get("kind").and_then(Node::as_str) {
            Some("DaemonSet") => {}
            Some(kind) => return Some(format!("{kind} is not a DaemonSet")),
            None => return Some("object is not a DaemonSet".into()),
        }
        let meta = obj.field("metadata");
        if let Some(ns) = meta.get("namespace").and_then(Node::as_str)
            && self.exempt_namespaces.iter().any(|e| e == ns)
        {
            return Some(format!("namespace {ns} is exempt by configuration"));
        }
        let annotation = meta
            .field("annotations")
            .get(&self.exempt_annotation)
            .and_then(Node::as_str);
        if annotation == Some("true") {
            return Some(format!(
                "exempt by annotation {}=\"true\"",
                self.exempt_annotation
            ));
        }
        None
    }
}
