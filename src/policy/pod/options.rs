//! What the API server's validation is told besides the object: `PodValidationOptions`
//! (kubernetes/kubernetes `pkg/api/pod/util.go`, `GetValidationOptionsFromPodSpecAndMeta`,
//! reached from the DaemonSet strategy through `GetValidationOptionsFromPodTemplate`), with
//! the values a Kubernetes 1.37 API server with default feature gates uses on CREATE. On
//! UPDATE some options relax when the stored template already used what they forbid
//! ("ratcheting"): [`Options::for_update`].

use super::spec::{self, flag, str_of};
use super::{containers, helpers, quantity_field, security, volumes};
use crate::policy::path::At;
use crate::policy::view::Node;

/// The options of one validation. Field names follow Go's `PodValidationOptions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Options {
    /// dsguard's own: whether decoding-level problems (a quantity that does not parse) are
    /// reported. Off in the webhook, whose objects the API server decoded already.
    pub decoding: bool,
    pub allow_invalid_pod_deletion_cost: bool,
    pub allow_indivisible_huge_pages_values: bool,
    pub allow_invalid_label_value_in_selector: bool,
    pub allow_invalid_label_value_in_required_node_affinity: bool,
    pub allow_invalid_topology_spread_constraint_label_selector: bool,
    pub allow_namespaced_sysctls_for_host_net_and_host_ipc: bool,
    pub allow_non_local_projected_token_path: bool,
    pub pod_level_resources_enabled: bool,
    pub allow_sidecar_resize_policy: bool,
    pub allow_match_label_keys_in_pod_topology_spread: bool,
    pub allow_match_label_keys_in_pod_topology_spread_selector_merge: bool,
    pub in_place_pod_level_resources_vertical_scaling_enabled: bool,
    pub in_place_pod_vertical_scaling_memory_backed_volumes_enabled: bool,
    pub old_pod_violates_match_label_keys_validation: bool,
    pub old_pod_violates_legacy_match_label_keys_validation: bool,
    pub allow_container_restart_policy_rules: bool,
    pub allow_user_namespaces_with_volume_devices: bool,
    pub allow_restart_all_containers: bool,
    pub allow_image_volume_with_digest: bool,
    pub allow_existing_restart_container_for_non_sidecar_init_container: bool,
    pub allow_sys_admin_when_privilege_escalation_false: bool,
    pub allow_empty_image_volume_reference: bool,
    pub allow_relaxed_environment_variable_validation: bool,
    pub allow_env_files_validation: bool,
    pub allow_user_namespaces_host_network_support: bool,
    pub allow_only_recursive_selinux_change_policy: bool,
    pub allow_taint_toleration_comparison_operators: bool,
    /// Always false for a pod template (`ValidatePod` sets it for Pods).
    pub resource_is_pod: bool,
}

impl Options {
    /// CREATE with the 1.37 default feature gates (`pkg/features/kube_features.go`): on are
    /// PodDeletionCost, PodLevelResources, InPlacePodVerticalScaling,
    /// MatchLabelKeysInPodTopologySpread(+SelectorMerge), InPlacePodLevelResourcesVerticalScaling,
    /// ContainerRestartRules, RestartAllContainersOnContainerExits,
    /// RelaxedEnvironmentVariableValidation, EnvFiles, SELinuxMount; off are
    /// InPlacePodVerticalScalingMemoryBackedVolumes, ImageVolumeWithDigest,
    /// UserNamespacesHostNetworkSupport, TaintTolerationComparisonOperators.
    pub(crate) fn create(decoding: bool) -> Options {
        Options {
            decoding,
            allow_invalid_pod_deletion_cost: false,
            allow_indivisible_huge_pages_values: false,
            allow_invalid_label_value_in_selector: false,
            allow_invalid_label_value_in_required_node_affinity: false,
            allow_invalid_topology_spread_constraint_label_selector: false,
            allow_namespaced_sysctls_for_host_net_and_host_ipc: false,
            allow_non_local_projected_token_path: false,
            pod_level_resources_enabled: true,
            allow_sidecar_resize_policy: true,
            allow_match_label_keys_in_pod_topology_spread: true,
            allow_match_label_keys_in_pod_topology_spread_selector_merge: true,
            in_place_pod_level_resources_vertical_scaling_enabled: true,
            in_place_pod_vertical_scaling_memory_backed_volumes_enabled: false,
            old_pod_violates_match_label_keys_validation: false,
            old_pod_violates_legacy_match_label_keys_validation: false,
            allow_container_restart_policy_rules: true,
            allow_user_namespaces_with_volume_devices: false,
            allow_restart_all_containers: true,
            allow_image_volume_with_digest: false,
            allow_existing_restart_container_for_non_sidecar_init_container: false,
            allow_sys_admin_when_privilege_escalation_false: false,
            allow_empty_image_volume_reference: false,
            allow_relaxed_environment_variable_validation: true,
            allow_env_files_validation: true,
            allow_user_namespaces_host_network_support: false,
            allow_only_recursive_selinux_change_policy: false,
            allow_taint_toleration_comparison_operators: false,
            resource_is_pod: false,
        }
    }

    /// UPDATE: the CREATE options, relaxed where the stored template (`old`, the old
    /// `spec.template`) already used what they forbid, as
    /// `GetValidationOptionsFromPodSpecAndMeta(new, old, ...)` does (kubernetes/kubernetes
    /// `pkg/api/pod/util.go`, 1.37). Options whose 1.37 default is already the permissive
    /// value (the gate is on) are not recomputed: `OR`ing them with the old template's use
    /// changes nothing.
    pub(crate) fn for_update(decoding: bool, old: &Node) -> Options {
        let spec = old.field("spec");
        let mut o = Options::create(decoding);
        // hasRestartContainerForNonSidecarInitContainer(oldPodSpec).
        o.allow_existing_restart_container_for_non_sidecar_init_container =
            spec.field("initContainers").items().iter().any(|c| {
                !containers::is_sidecar(c)
                    && c.field("resizePolicy")
                        .items()
                        .iter()
                        .any(|p| str_of(p, "restartPolicy") == Some("RestartContainer"))
            });
        // useAllowUserNamespacesHostNetworkSupport.
        o.allow_user_namespaces_host_network_support =
            host_users_false(spec) && flag(spec, "hostNetwork");
        // allowTaintTolerationComparisonOperators.
        o.allow_taint_toleration_comparison_operators = spec
            .field("tolerations")
            .items()
            .iter()
            .any(|t| matches!(str_of(t, "operator"), Some("Lt" | "Gt")));
        // usesIndivisibleHugePagesValues.
        o.allow_indivisible_huge_pages_values = uses_indivisible_huge_pages(spec);
        // hasInvalidLabelValueInAffinitySelector.
        o.allow_invalid_label_value_in_selector = spec::affinity_selectors_fail_strict(spec);
        // hasInvalidLabelValueInRequiredNodeAffinity.
        o.allow_invalid_label_value_in_required_node_affinity =
            spec::required_node_affinity_has_invalid_value(spec);
        // hasInvalidTopologySpreadConstraintLabelSelector.
        o.allow_invalid_topology_spread_constraint_label_selector =
            spec::spread_selectors_fail_strict(spec);
        // Both MatchLabelKeys gates are on: hasInvalidTopologySpreadConstrainMatchLabelKeys.
        o.old_pod_violates_match_label_keys_validation = spec::spread_match_label_keys_fail(spec);
        // hasNonLocalProjectedTokenPath.
        o.allow_non_local_projected_token_path = volumes::has_non_local_projected_token_path(spec);
        // ValidateHostSysctl on each old sysctl.
        o.allow_namespaced_sysctls_for_host_net_and_host_ipc =
            security::has_host_namespaced_sysctl(spec);
        // hasUserNamespacesWithVolumeDevices.
        o.allow_user_namespaces_with_volume_devices = host_users_false(spec) && {
            let mut any = false;
            spec::each_container(spec, &At::ROOT, |c, _| {
                any |= !c.field("volumeDevices").items().is_empty();
            });
            any
        };
        // hasEmptyImageVolumeReference.
        o.allow_empty_image_volume_reference = volumes::has_empty_image_reference(spec);
        // useAllowSysAdminWhenPrivilegeEscalationFalse.
        o.allow_sys_admin_when_privilege_escalation_false = {
            let mut any = false;
            spec::each_container(spec, &At::ROOT, |c, _| {
                any |= containers::sys_admin_without_privilege_escalation(c);
            });
            any
        };
        // GetDeletionCostFromPodAnnotations(oldPodMeta.Annotations) fails.
        o.allow_invalid_pod_deletion_cost = super::has_invalid_deletion_cost(old);
        o
    }
}

/// `hostUsers: false` (Go: `HostUsers != nil && !*HostUsers`).
fn host_users_false(spec: &Node) -> bool {
    spec.get("hostUsers").and_then(Node::as_bool) == Some(false)
}

/// `usesIndivisibleHugePagesValues`: a `hugepages-*` request or limit of any container, or an
/// overhead, that is not a whole number of pages.
fn uses_indivisible_huge_pages(spec: &Node) -> bool {
    let indivisible = |list: &Node| match list {
        Node::Object(entries) => entries.iter().any(|(name, value)| {
            helpers::is_huge_page_resource(name)
                && quantity_field::quiet(value)
                    .is_some_and(|q| !helpers::is_huge_page_value_divisible(name, &q))
        }),
        _ => false,
    };
    let mut any = false;
    spec::each_container(spec, &At::ROOT, |c, _| {
        let res = c.field("resources");
        any |= indivisible(res.field("limits")) || indivisible(res.field("requests"));
    });
    any || indivisible(spec.field("overhead"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Reads one option.
    type Get = fn(&Options) -> bool;

    fn update(old_spec: serde_json::Value) -> Options {
        let old = json!({"metadata": {}, "spec": old_spec});
        Options::for_update(true, &Node::from(&old))
    }

    #[test]
    fn an_unremarkable_old_template_relaxes_nothing() {
        let old = json!({"containers": [{"name": "a", "image": "a"}]});
        assert_eq!(update(old), Options::create(true));
    }

    #[test]
    fn each_option_ratchets_on_what_the_old_template_used() {
        let cases: Vec<(serde_json::Value, Get)> = vec![
            (
                json!({"initContainers": [{"name": "i", "resizePolicy": [
                    {"resourceName": "cpu", "restartPolicy": "RestartContainer"}]}]}),
                |o| o.allow_existing_restart_container_for_non_sidecar_init_container,
            ),
            (json!({"hostUsers": false, "hostNetwork": true}), |o| {
                o.allow_user_namespaces_host_network_support
            }),
            (
                json!({"tolerations": [{"key": "k", "operator": "Gt", "value": "3"}]}),
                |o| o.allow_taint_toleration_comparison_operators,
            ),
            (
                json!({"containers": [{"name": "a", "resources": {"limits": {"hugepages-2Mi": "3Mi"}}}]}),
                |o| o.allow_indivisible_huge_pages_values,
            ),
            (json!({"overhead": {"hugepages-2Mi": "1Mi"}}), |o| {
                o.allow_indivisible_huge_pages_values
            }),
            (
                json!({"affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 1, "podAffinityTerm": {"topologyKey": "t", "labelSelector":
                        {"matchLabels": {"app": "-bad-"}}}}]}}}),
                |o| o.allow_invalid_label_value_in_selector,
            ),
            (
                json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                    {"nodeSelectorTerms": [{"matchExpressions": [
                        {"key": "k", "operator": "In", "values": ["not valid"]}]}]}}}}),
                |o| o.allow_invalid_label_value_in_required_node_affinity,
            ),
            (
                json!({"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "t",
                    "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": {"matchLabels": {"app": "-bad-"}}}]}),
                |o| o.allow_invalid_topology_spread_constraint_label_selector,
            ),
            (
                json!({"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "t",
                    "whenUnsatisfiable": "DoNotSchedule", "matchLabelKeys": ["-bad-"],
                    "labelSelector": {"matchLabels": {"app": "a"}}}]}),
                |o| o.old_pod_violates_match_label_keys_validation,
            ),
            (
                json!({"volumes": [{"name": "t", "projected": {"sources": [
                    {"serviceAccountToken": {"path": "../token"}}]}}]}),
                |o| o.allow_non_local_projected_token_path,
            ),
            (
                json!({"hostNetwork": true, "securityContext": {"sysctls": [
                    {"name": "net.core.somaxconn", "value": "1024"}]}}),
                |o| o.allow_namespaced_sysctls_for_host_net_and_host_ipc,
            ),
            (
                json!({"hostUsers": false, "containers": [{"name": "a",
                    "volumeDevices": [{"name": "d", "devicePath": "/dev/x"}]}]}),
                |o| o.allow_user_namespaces_with_volume_devices,
            ),
            (
                json!({"volumes": [{"name": "i", "image": {"reference": ""}}]}),
                |o| o.allow_empty_image_volume_reference,
            ),
            (
                json!({"containers": [{"name": "a", "securityContext": {
                    "capabilities": {"add": ["CAP_SYS_ADMIN"]}}}]}),
                |o| o.allow_sys_admin_when_privilege_escalation_false,
            ),
        ];
        for (old, get) in cases {
            assert!(
                !get(&Options::create(true)),
                "{old}: already relaxed on create"
            );
            assert!(get(&update(old.clone())), "{old}: not relaxed on update");
        }
        // Not relaxed by near misses.
        let near: Vec<(serde_json::Value, Get)> = vec![
            (json!({"hostUsers": true, "hostNetwork": true}), |o| {
                o.allow_user_namespaces_host_network_support
            }),
            (
                json!({"initContainers": [{"name": "i", "restartPolicy": "Always", "resizePolicy": [
                    {"resourceName": "cpu", "restartPolicy": "RestartContainer"}]}]}),
                |o| o.allow_existing_restart_container_for_non_sidecar_init_container,
            ),
            (
                json!({"containers": [{"name": "a", "resources": {"limits": {"hugepages-2Mi": "4Mi"}}}]}),
                |o| o.allow_indivisible_huge_pages_values,
            ),
            (
                json!({"containers": [{"name": "a", "securityContext": {"allowPrivilegeEscalation": true,
                    "capabilities": {"add": ["CAP_SYS_ADMIN"]}}}]}),
                |o| o.allow_sys_admin_when_privilege_escalation_false,
            ),
            (
                json!({"securityContext": {"sysctls": [{"name": "net.core.somaxconn", "value": "1"}]}}),
                |o| o.allow_namespaced_sysctls_for_host_net_and_host_ipc,
            ),
        ];
        for (old, get) in near {
            assert!(!get(&update(old.clone())), "{old}: relaxed by a near miss");
        }
    }

    #[test]
    fn an_invalid_old_deletion_cost_is_tolerated() {
        let old = json!({"metadata": {"annotations": {
            "controller.kubernetes.io/pod-deletion-cost": "007"}}, "spec": {}});
        assert!(Options::for_update(true, &Node::from(&old)).allow_invalid_pod_deletion_cost);
        let old = json!({"metadata": {"annotations": {
            "controller.kubernetes.io/pod-deletion-cost": "-7"}}, "spec": {}});
        assert!(!Options::for_update(true, &Node::from(&old)).allow_invalid_pod_deletion_cost);
    }
}
