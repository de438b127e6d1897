//! Field lists the engine shares: the Deployment leftovers (read by `deployment-field`, the
//! schema filter and `mutate`), and what each webhook endpoint builds of a review's objects.

use super::view::Keep;

/// Fields of a Deployment's spec that a DaemonSet's spec does not have. The API server
/// refuses them under strict field validation (kubectl's default) and drops them silently
/// otherwise.
pub const DEPLOYMENT_SPEC_FIELDS: &[&str] =
    &["replicas", "strategy", "paused", "progressDeadlineSeconds"];

/// DeploymentStatus fields that DaemonSetStatus lacks (k8s.io/api `apps/v1/types.go`).
pub const DEPLOYMENT_STATUS_FIELDS: &[&str] = &[
    "replicas",
    "updatedReplicas",
    "readyReplicas",
    "availableReplicas",
    "unavailableReplicas",
    "terminatingReplicas",
];

/// What the validating endpoint builds of `request.object` and `request.oldObject`: all the
/// rules read, which is the whole object but for two parts no rule reads and that can be
/// large: `status` (reset by the DaemonSet strategy's `PrepareForCreate` and not validated
/// on the main resource) and the contents of `metadata.managedFields[*].fieldsV1` (the
/// server-side-apply field sets; `ValidateManagedFields` reads only the entries' other
/// fields). A test runs every fixture and example through the full and the pruned object
/// and requires the same answers.
pub const WEBHOOK: Keep = Keep::Except(&[
    ("status", Keep::Drop),
    (
        "metadata",
        Keep::Except(&[("managedFields", Keep::Except(&[("fieldsV1", Keep::Drop)]))]),
    ),
]);

/// What mutation reads of an object: what [`super::Policy::skip_reason`] and
/// [`super::mutate_node`] read, and nothing else. The mutating endpoint builds only this of
/// `request.object` (it runs no validation, so the containers, volumes and the rest of the
/// pod template are skipped while parsing; `request.oldObject` is not built at all), and
/// offline `mutate` only this of each document. `status` is kept as an empty object: offline
/// mutation removes it, and only its presence counts. The Deployment leftovers are the
/// entries of [`DEPLOYMENT_SPEC_FIELDS`] (a unit test keeps the two lists together); a
/// property test requires the same patch from this view as from the whole object.
pub const MUTATE: Keep = Keep::Only(&[
    ("kind", Keep::All),
    ("status", Keep::Only(&[])),
    (
        "metadata",
        Keep::Only(&[("namespace", Keep::All), ("annotations", Keep::All)]),
    ),
    (
        "spec",
        Keep::Only(&[
            ("replicas", Keep::All),
            ("strategy", Keep::All),
            ("paused", Keep::All),
            ("progressDeadlineSeconds", Keep::All),
            (
                "template",
                Keep::Only(&[(
                    "spec",
                    Keep::Only(&[
                        ("tolerations", Keep::All),
                        ("nodeSelector", Keep::All),
                        (
                            "affinity",
                            Keep::Only(&[(
                                "nodeAffinity",
                                Keep::Only(&[(
                                    "requiredDuringSchedulingIgnoredDuringExecution",
                                    Keep::All,
                                )]),
                            )]),
                        ),
                    ]),
                )]),
            ),
        ]),
    ),
]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mutate_view_keeps_every_deployment_leftover() {
        let spec = MUTATE.child("spec").expect("spec is kept");
        for field in DEPLOYMENT_SPEC_FIELDS {
            assert_eq!(spec.child(field), Some(Keep::All), "{field}");
        }
    }
}
