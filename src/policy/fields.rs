//! Field lists the engine shares: the Deployment leftovers (read by `deployment-field`, the
//! schema filter and `mutate`), and what the webhook builds of a review's objects.

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

/// What the webhook builds of `request.object` and `request.oldObject`: everything the
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
