//! Go helpers the pod checks share: resource names and hugepage sizes
//! (kubernetes/kubernetes `pkg/apis/core/helper/helpers.go`) and downward API field labels
//! (`pkg/apis/core/pods/helpers.go`, `k8s.io/kubernetes/pkg/fieldpath`).

use crate::policy::names::is_qualified_name;
use crate::policy::quantity::Quantity;

/// `IsNativeResource`: no domain, or a `kubernetes.io/` one.
pub(crate) fn is_native_resource(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

/// `IsHugePageResourceName`.
pub(crate) fn is_huge_page_resource(name: &str) -> bool {
    name.starts_with("hugepages-")
}

/// `IsStandardResourceName`.
pub(crate) fn is_standard_resource_name(name: &str) -> bool {
    matches!(
        name,
        "cpu"
            | "memory"
            | "ephemeral-storage"
            | "requests.cpu"
            | "requests.memory"
            | "requests.ephemeral-storage"
            | "limits.cpu"
            | "limits.memory"
            | "limits.ephemeral-storage"
            | "pods"
            | "resourcequotas"
            | "services"
            | "replicationcontrollers"
            | "secrets"
            | "configmaps"
            | "persistentvolumeclaims"
            | "storage"
            | "requests.storage"
            | "services.nodeports"
            | "services.loadbalancers"
    ) || name.starts_with("hugepages-")
        || name.starts_with("requests.hugepages-")
}

/// `IsStandardContainerResourceName`.
pub(crate) fn is_standard_container_resource_name(name: &str) -> bool {
    matches!(name, "cpu" | "memory" | "ephemeral-storage") || is_huge_page_resource(name)
}

/// `IsExtendedResourceName`: not native, not `requests.`-prefixed, and a qualified name once
/// prefixed with `requests.` (checked without building that string: the prefix part grows by
/// nine bytes, the name part is unchanged).
pub(crate) fn is_extended_resource_name(name: &str) -> bool {
    if is_native_resource(name) || name.starts_with("requests.") {
        return false;
    }
    let prefix_len = name.split_once('/').map_or(0, |(p, _)| p.len());
    prefix_len + "requests.".len() <= 253 && is_qualified_name(name).is_empty()
}

/// `IsOvercommitAllowed`.
pub(crate) fn is_overcommit_allowed(name: &str) -> bool {
    is_native_resource(name) && !is_huge_page_resource(name)
}

/// `IsIntegerResourceName`.
pub(crate) fn is_integer_resource_name(name: &str) -> bool {
    matches!(
        name,
        "pods"
            | "resourcequotas"
            | "services"
            | "replicationcontrollers"
            | "secrets"
            | "configmaps"
            | "persistentvolumeclaims"
            | "services.nodeports"
            | "services.loadbalancers"
    ) || is_extended_resource_name(name)
}

/// `IsHugePageResourceValueDivisible`: the page size is the name's quantity suffix.
pub(crate) fn is_huge_page_value_divisible(name: &str, q: &Quantity) -> bool {
    let size = name.strip_prefix("hugepages-").unwrap_or("");
    let Ok(page) = Quantity::parse(size) else {
        return false;
    };
    if page.is_zero() || page.is_negative() {
        return false;
    }
    match page.milli_value() {
        Some(m) if m % 1000 != 0 => return false,
        Some(_) => {}
        // Go's MilliValue and Value overflow to 0 here and the division panics; accept.
        None => return true,
    }
    match (q.value(), page.value()) {
        (Some(v), Some(p)) if p != 0 => v % p == 0,
        // Beyond int64 Go's Value wraps; accept.
        _ => true,
    }
}

/// `fieldpath.SplitMaybeSubscriptedPath`: `metadata.labels['app']` → (`metadata.labels`, `app`).
pub(crate) fn split_subscripted(path: &str) -> Option<(&str, &str)> {
    let inner = path.strip_suffix("']")?;
    let (head, key) = inner.split_once("['")?;
    (!head.is_empty()).then_some((head, key))
}

/// `ConvertDownwardAPIFieldLabel` (pkg/apis/core/pods/helpers.go): the internal path, or the
/// error text.
pub(crate) fn convert_downward_api_field_label<'a>(
    version: &str,
    label: &'a str,
) -> Result<&'a str, String> {
    if version != "v1" {
        return Err(format!("unsupported pod version: {version}"));
    }
    if let Some((head, _)) = split_subscripted(label) {
        return match head {
            "metadata.annotations" | "metadata.labels" => Ok(label),
            _ => Err(format!("field label does not support subscript: {label}")),
        };
    }
    match label {
        "metadata.annotations"
        | "metadata.labels"
        | "metadata.name"
        | "metadata.namespace"
        | "metadata.uid"
        | "spec.nodeName"
        | "spec.restartPolicy"
        | "spec.serviceAccountName"
        | "spec.schedulerName"
        | "status.phase"
        | "status.hostIP"
        | "status.hostIPs"
        | "status.podIP"
        | "status.podIPs" => Ok(label),
        // Backwards compatibility with old v1 clients.
        "spec.host" => Ok("spec.nodeName"),
        _ => Err(format!("field label not supported: {label}")),
    }
}
