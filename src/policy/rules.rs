//! The rule catalogue: stable ids, default severities and help text.
//! Ids appear in output, configuration and docs; never rename one.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How much a violation matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Not reported.
    Off,
    /// Reported; does not fail the run or deny the request.
    Warning,
    /// Fails `validate` (exit 1) and makes the webhook deny.
    Error,
}

impl Severity {
    /// The lower-case name used in output and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Off => "off",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Reads `error`, `warning` or `off`; also the boolean `false`, because YAML 1.1 (which
/// the configuration is read with, like manifests) turns an unquoted `off` into `false`.
impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Flag(bool),
        }
        let expected = "error, warning or off";
        match Raw::deserialize(d)
            .map_err(|_| serde::de::Error::custom(format!("expected {expected}")))?
        {
            Raw::Text(s) => match s.as_str() {
                "error" => Ok(Severity::Error),
                "warning" => Ok(Severity::Warning),
                "off" => Ok(Severity::Off),
                other => Err(serde::de::Error::custom(format!(
                    "unknown severity `{other}`, expected {expected}"
                ))),
            },
            Raw::Flag(false) => Ok(Severity::Off),
            Raw::Flag(true) => Err(serde::de::Error::custom(format!(
                "`true` is not a severity, expected {expected}"
            ))),
        }
    }
}

macro_rules! rules {
    ($( $variant:ident = $id:literal, $sev:ident, $summary:literal, $help:literal; )*) => {
        /// A rule of the catalogue.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum RuleId {
            $(
                #[doc = $summary]
                #[serde(rename = $id)]
                $variant,
            )*
        }

        impl RuleId {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant),*];

            /// The stable id (`selector-mismatch`).
            pub fn as_str(self) -> &'static str {
                match self { $(RuleId::$variant => $id),* }
            }

            /// Severity when the configuration says nothing.
            pub fn default_severity(self) -> Severity {
                match self { $(RuleId::$variant => Severity::$sev),* }
            }

            /// One line on what the rule checks.
            pub fn summary(self) -> &'static str {
                match self { $(RuleId::$variant => $summary),* }
            }

            /// Why it matters and how to fix it.
            pub fn help(self) -> &'static str {
                match self { $(RuleId::$variant => $help),* }
            }
        }
    };
}

rules! {
    Parse = "parse", Error,
        "The document cannot be read as a Kubernetes object.",
        "Fix the YAML or JSON syntax, make the document a mapping with apiVersion and kind, or remove it.";
    Schema = "schema", Error,
        "A field has the wrong type for the DaemonSet OpenAPI schema, or the apiVersion is not apps/v1.",
        "The API server cannot decode the object. Quote strings that YAML 1.1 reads as booleans or numbers (yes, on, 1.10), write numbers unquoted.";
    UnknownField = "unknown-field", Error,
        "A field the DaemonSet schema does not declare.",
        "kubectl's default strict field validation refuses unknown fields; without it they are dropped silently. Fix the spelling or the indentation, or remove the field.";
    DeploymentField = "deployment-field", Error,
        "A Deployment field left in a DaemonSet (spec.replicas, spec.strategy, spec.paused, spec.progressDeadlineSeconds, Deployment status).",
        "A DaemonSet runs one pod per matching node; it has no replicas. Run `dsguard mutate` to remove the leftovers, and use spec.updateStrategy instead of spec.strategy.";
    MetadataInvalid = "metadata-invalid", Error,
        "metadata.name, generateName, namespace or annotations are not valid.",
        "A DaemonSet name must be a lowercase RFC 1123 subdomain; a namespace a lowercase RFC 1123 label; annotation keys qualified names.";
    SelectorMissing = "selector-missing", Error,
        "spec.selector is not set.",
        "apps/v1 DaemonSets require spec.selector; set spec.selector.matchLabels to the pod template's identifying labels.";
    SelectorEmpty = "selector-empty", Error,
        "spec.selector has neither matchLabels nor matchExpressions.",
        "An empty selector would select every pod; the API server refuses it for DaemonSets. Add matchLabels.";
    SelectorInvalid = "selector-invalid", Error,
        "spec.selector has an invalid key, value or operator.",
        "Operators are In, NotIn, Exists, DoesNotExist; In and NotIn need values, Exists and DoesNotExist take none; keys and values follow label syntax.";
    SelectorMismatch = "selector-mismatch", Error,
        "spec.selector does not select the pod template's labels.",
        "The controller could not own its pods. Add the selector's labels to spec.template.metadata.labels.";
    SelectorImmutable = "selector-immutable", Error,
        "spec.selector changed on UPDATE.",
        "The selector of an apps/v1 DaemonSet is immutable. Keep the old selector, or delete and recreate the DaemonSet (kubectl delete --cascade=orphan keeps its pods running).";
    SelectorVolatileLabel = "selector-volatile-label", Warning,
        "spec.selector holds a label that changes from release to release (a chart or version label).",
        "spec.selector is immutable: the next release that changes the label fails with `field is immutable`, and the fix is to delete the DaemonSet with --cascade=orphan and create it again. Keep only stable identifying labels (app.kubernetes.io/name, app.kubernetes.io/instance) in the selector; put version labels on the pod template only.";
    PreviousSelectorMismatch = "previous-selector-mismatch", Warning,
        "The pod template's labels no longer match the previous version's selector (validate --previous, and UPDATE).",
        "The update is refused while the selector changes, and if it went through, the old selector would no longer own the new pods. Keep the template labels the old selector selects.";
    LabelInvalid = "label-invalid", Error,
        "A label key or value is not valid label syntax.",
        "Keys are [prefix/]name, name at most 63 characters of alphanumerics, '-', '_' or '.'; values at most 63 such characters, starting and ending alphanumeric.";
    RestartPolicy = "restart-policy", Error,
        "spec.template.spec.restartPolicy is not Always.",
        "DaemonSet pods must be restarted by the kubelet; remove restartPolicy or set it to Always.";
    ActiveDeadline = "active-deadline", Error,
        "spec.template.spec.activeDeadlineSeconds is set.",
        "A DaemonSet pod runs for the life of its node; remove activeDeadlineSeconds.";
    UpdateStrategy = "update-strategy", Error,
        "spec.updateStrategy is not valid after defaulting.",
        "type is RollingUpdate or OnDelete; maxUnavailable and maxSurge are integers or percentages up to 100%, and exactly one of them is non-zero (maxUnavailable defaults to 1).";
    NegativeValue = "negative-value", Error,
        "A count that must be zero or more is negative.",
        "minReadySeconds, revisionHistoryLimit, templateGeneration and rollingUpdate integers must be >= 0.";
    PodSpec = "pod-spec", Error,
        "The pod template is invalid: containers, names, images, ports, tolerations, nodeSelector.",
        "The API server validates the pod template as a pod; fix the field named in the message.";
    FieldDropped = "field-dropped", Warning,
        "A field the API server removes before storing the object, because its feature gate is off by default.",
        "The cluster ignores the field silently. Remove it, or enable the feature gate on the API server (and on the kubelets) if you need it.";
    ImageLatest = "image-latest", Warning,
        "A container image has no tag or uses :latest.",
        "Nodes that join later pull whatever :latest is then, so pods of one DaemonSet run different code. Pin a version tag or a digest.";
    ResourcesMissing = "resources-missing", Warning,
        "A container has no cpu or memory request.",
        "A DaemonSet pod runs on every node, beside everything else; without requests the scheduler cannot reserve room for it. Set resources.requests.cpu and .memory.";
    RolloutIncomplete = "rollout-incomplete", Warning,
        "A running DaemonSet is not fully rolled out: fewer nodes run an updated or available pod than should (dsguard audit).",
        "Look at the pods that are not ready (kubectl rollout status daemonset/NAME, kubectl get pods -o wide): image pulls, crash loops, or nodes without room.";
    PodsMisscheduled = "pods-misscheduled", Warning,
        "Pods of a running DaemonSet sit on nodes they should not run on (dsguard audit).",
        "A nodeSelector, affinity or toleration changed, or a node's labels or taints did; the controller removes such pods unless they tolerate the node. Check the node labels and taints.";
    GenerationStale = "generation-stale", Warning,
        "The DaemonSet controller has not yet seen the latest spec: status.observedGeneration is behind metadata.generation (dsguard audit).",
        "Usually a matter of seconds; if it stays, check that kube-controller-manager is running.";
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_serde() {
        for rule in RuleId::ALL {
            let json = serde_json::to_string(rule).unwrap();
            assert_eq!(json, format!("\"{}\"", rule.as_str()));
            let back: RuleId = serde_json::from_str(&json).unwrap();
            assert_eq!(back, *rule);
        }
        assert_eq!(RuleId::ALL.len(), 24);
    }
}
