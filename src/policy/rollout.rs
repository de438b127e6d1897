//! Rollout health of a running DaemonSet, from `.status`, which counts nodes, not pods
//! (k8s.io/api `apps/v1/types.go`, `DaemonSetStatus`). The judgement follows
//! `kubectl rollout status` (k8s.io/kubectl `pkg/polymorphichelpers/rollout_status.go`,
//! `DaemonSetStatusViewer.Status`): the controller must have observed the latest
//! generation, and for `RollingUpdate` every desired node must run an updated pod; and
//! every desired node an available one.

use serde::Serialize;
use serde_json::Value;

use super::finding::Findings;
use super::path::FieldPath;
use super::rules::RuleId;

/// The counts of `.status`, and the generations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rollout {
    /// `desiredNumberScheduled`: nodes that should run a pod.
    pub desired: i64,
    /// `currentNumberScheduled`: nodes running at least one pod that should.
    pub current: i64,
    /// `numberReady`: nodes whose pod is ready.
    pub ready: i64,
    /// `updatedNumberScheduled`: nodes running the updated pod.
    pub updated: i64,
    /// `numberAvailable`: nodes whose pod has been ready for `minReadySeconds`.
    pub available: i64,
    /// `numberMisscheduled`: nodes running a pod that should not.
    pub misscheduled: i64,
    /// `numberUnavailable`: nodes that should run an available pod and do not.
    pub unavailable: i64,
    /// `metadata.generation`.
    pub generation: i64,
    /// `status.observedGeneration`.
    pub observed_generation: i64,
}

fn int(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// The counts of `obj`'s status; `None` when it has no status (a manifest, not a live object).
pub fn counts(obj: &Value) -> Option<Rollout> {
    obj.get("status").filter(|s| s.is_object())?;
    Some(Rollout {
        desired: int(obj, "/status/desiredNumberScheduled"),
        current: int(obj, "/status/currentNumberScheduled"),
        ready: int(obj, "/status/numberReady"),
        updated: int(obj, "/status/updatedNumberScheduled"),
        available: int(obj, "/status/numberAvailable"),
        misscheduled: int(obj, "/status/numberMisscheduled"),
        unavailable: int(obj, "/status/numberUnavailable"),
        generation: int(obj, "/metadata/generation"),
        observed_generation: int(obj, "/status/observedGeneration"),
    })
}

/// Findings about the rollout of `obj`.
pub(crate) fn check(obj: &Value, out: &mut Findings) {
    let Some(r) = counts(obj) else { return };
    let status = FieldPath::new(&["status"]);
    if r.observed_generation < r.generation {
        out.add_path(
            RuleId::GenerationStale,
            &status.child("observedGeneration"),
            format!(
                "observedGeneration {} is behind generation {}: the controller has not acted on the latest spec yet",
                r.observed_generation, r.generation
            ),
        );
    }
    let rolling = obj
        .pointer("/spec/updateStrategy/type")
        .and_then(Value::as_str)
        .is_none_or(|t| t == "RollingUpdate");
    if rolling && r.updated < r.desired {
        out.add_path(
            RuleId::RolloutIncomplete,
            &status.child("updatedNumberScheduled"),
            format!(
                "{} of {} nodes run the updated pod; the rollout is not finished",
                r.updated, r.desired
            ),
        );
    }
    if r.available < r.desired {
        out.add_path(
            RuleId::RolloutIncomplete,
            &status.child("numberAvailable"),
            format!(
                "{} of {} nodes have an available pod ({} unavailable, {} ready)",
                r.available, r.desired, r.unavailable, r.ready
            ),
        );
    }
    if r.misscheduled > 0 {
        out.add_path(
            RuleId::PodsMisscheduled,
            &status.child("numberMisscheduled"),
            format!(
                "{} node(s) run a pod of this DaemonSet that should not",
                r.misscheduled
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::policy::{Policy, rollout_health};

    fn ds(status: Value, generation: i64, strategy: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "a", "generation": generation},
               "spec": {"updateStrategy": {"type": strategy}}, "status": status})
    }

    #[test]
    fn rollout_rows() {
        let healthy = json!({"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 3,
            "updatedNumberScheduled": 3, "numberAvailable": 3, "numberMisscheduled": 0, "observedGeneration": 2});
        let mut behind = healthy.clone();
        behind["updatedNumberScheduled"] = json!(1);
        let mut unavailable = healthy.clone();
        unavailable["numberAvailable"] = json!(2);
        unavailable["numberUnavailable"] = json!(1);
        let mut misscheduled = healthy.clone();
        misscheduled["numberMisscheduled"] = json!(2);
        let rows: Vec<(Value, Vec<RuleId>, &str)> = vec![
            (ds(healthy.clone(), 2, "RollingUpdate"), vec![], "healthy"),
            (
                ds(healthy.clone(), 3, "RollingUpdate"),
                vec![RuleId::GenerationStale],
                "generation ahead",
            ),
            (
                ds(behind.clone(), 2, "RollingUpdate"),
                vec![RuleId::RolloutIncomplete],
                "updating",
            ),
            (
                ds(behind, 2, "OnDelete"),
                vec![],
                "OnDelete updates pods only when they are deleted",
            ),
            (
                ds(unavailable, 2, "OnDelete"),
                vec![RuleId::RolloutIncomplete],
                "unavailable",
            ),
            (
                ds(misscheduled, 2, "RollingUpdate"),
                vec![RuleId::PodsMisscheduled],
                "misscheduled",
            ),
            (
                json!({"kind": "DaemonSet", "spec": {}}),
                vec![],
                "a manifest without status",
            ),
        ];
        for (obj, want, why) in rows {
            let (_, got) = rollout_health(&obj, &Policy::default());
            let got: Vec<RuleId> = got.iter().map(|v| v.rule).collect();
            assert_eq!(got, want, "{why}");
        }
        let (counts, _) = rollout_health(&ds(healthy, 2, "RollingUpdate"), &Policy::default());
        assert_eq!(counts.unwrap().desired, 3);
    }
}
