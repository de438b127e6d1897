//! The pod template, after kubernetes/kubernetes `pkg/apis/core/validation/validation.go`
//! (`ValidatePodTemplateSpec`, `ValidatePodSpecificAnnotations`,
//! `ValidateSeccompPodAnnotations`, `ValidateAppArmorPodAnnotations`,
//! `validateSeccompAnnotationsAndFields`, `validateAppArmorAnnotationsAndFieldsMatchOnCreate`)
//! and everything below `ValidatePodSpec` ([`spec`]).
//!
//! Defaults the API server applies before validating (`pkg/apis/core/v1/defaults.go`,
//! `SetDefaults_PodSpec`, `SetDefaults_Container`, `SetDefaults_Volume`, …) are applied as
//! values are read: each check reads a field or its default. Fields whose feature gate is
//! off by default in 1.37 are dropped by the API server before validation
//! (`pkg/api/pod/util.go`, `dropDisabledFields`); the checks here do not read them, and
//! [`dropped_fields`] reports them as `field-dropped` warnings.
//!
//! Pod-only checks (`ValidatePod`, `validatePodMetadataAndSpec`) are not run: a template is
//! not a Pod.

pub(crate) mod containers;
pub(crate) mod helpers;
pub(crate) mod options;
pub(crate) mod quantity_field;
pub(crate) mod security;
pub(crate) mod spec;
pub(crate) mod volumes;

use options::Options;
use spec::each_container;

use super::finding::{Findings, Out};
use super::meta;
use super::path::At;
use super::rules::RuleId;
use super::view::Node;

/// `ValidatePodTemplateSpec` for a DaemonSet's `spec.template`, at `at`.
pub(crate) fn template(template: &Node, at: &At, opts: &Options, out: &mut Findings) {
    let metadata = template.field("metadata");
    // The API server prints template label and annotation errors at `spec.template.labels`
    // and `spec.template.annotations` (`ValidatePodTemplateSpec` passes
    // `fldPath.Child("labels")`), not under `metadata`.
    meta::labels(
        metadata.field("labels"),
        &at.child("labels"),
        &mut out.rule(RuleId::LabelInvalid),
    );
    let annotations_at = at.child("annotations");
    let annotations = metadata.field("annotations");
    meta::annotations(
        annotations,
        &annotations_at,
        &mut out.rule(RuleId::MetadataInvalid),
    );
    let spec = template.field("spec");
    let spec_at = at.child("spec");
    let mut o = out.rule(RuleId::PodSpec);
    pod_specific_annotations(annotations, spec, &annotations_at, opts, &mut o);
    spec::validate(spec, &spec_at, opts, &mut o);
    seccomp_annotations_and_fields(annotations, spec, &spec_at, &mut o);
    apparmor_annotations_and_fields(annotations, spec, &spec_at, &mut o);
    if !spec.field("ephemeralContainers").items().is_empty() {
        o.forbidden(
            &spec_at.child("ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        );
    }
}

const MIRROR_POD: &str = "kubernetes.io/config.mirror";
const TOLERATIONS_ANNOTATION: &str = "scheduler.alpha.kubernetes.io/tolerations";
const DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";
const SECCOMP_POD: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";
const APPARMOR_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";
/// Removed before validation whatever they hold (`DropInitContainerAnnotations`).
const INIT_CONTAINER_ANNOTATIONS: [&str; 4] = [
    "pod.beta.kubernetes.io/init-containers",
    "pod.alpha.kubernetes.io/init-containers",
    "pod.beta.kubernetes.io/init-container-statuses",
    "pod.alpha.kubernetes.io/init-container-statuses",
];

fn annotation<'a>(annotations: &'a Node, key: &str) -> Option<&'a str> {
    annotations.get(key).and_then(Node::as_str)
}

/// `ValidatePodSpecificAnnotations`.
fn pod_specific_annotations(annotations: &Node, spec: &Node, at: &At, opts: &Options, o: &mut Out) {
    if let Some(value) = annotation(annotations, MIRROR_POD)
        && spec.field("nodeName").is_zero()
    {
        o.invalid(
            &at.key(MIRROR_POD),
            value,
            "must set spec.nodeName if mirror pod annotation is set",
        );
    }
    if let Some(value) = annotation(annotations, TOLERATIONS_ANNOTATION).filter(|v| !v.is_empty()) {
        tolerations_in_annotation(value, at, opts, o);
    }
    if !opts.allow_invalid_pod_deletion_cost
        && let Some(value) = annotation(annotations, DELETION_COST)
        && !is_deletion_cost(value)
    {
        o.invalid(&at.key(DELETION_COST), value, "must be a 32bit integer");
    }
    // ValidateSeccompPodAnnotations.
    for (key, value) in annotations.entries() {
        let Some(value) = value.as_str() else {
            continue;
        };
        if key == SECCOMP_POD || key.starts_with(SECCOMP_CONTAINER_PREFIX) {
            seccomp_annotation_profile(value, &at.child(key), o);
        }
    }
    // ValidateAppArmorPodAnnotations.
    for (key, value) in annotations.entries() {
        let Some(name) = key.strip_prefix(APPARMOR_PREFIX) else {
            continue;
        };
        let value = value.as_str().unwrap_or("");
        if !container_names(spec).any(|n| n == name) {
            o.invalid(&at.key(key), name, "container not found");
        }
        if !matches!(value, "" | "runtime/default" | "unconfined")
            && !value.starts_with("localhost/")
        {
            o.invalid(
                &at.key(key),
                value,
                format!(
                    "invalid AppArmor profile name: {}",
                    super::finding::Quoted(value)
                ),
            );
        }
    }
}

/// The names of every init, regular and ephemeral container.
fn container_names<'a>(spec: &'a Node) -> impl Iterator<Item = &'a str> {
    ["initContainers", "containers", "ephemeralContainers"]
        .into_iter()
        .flat_map(move |k| spec.field(k).items())
        .filter_map(|c| c.get("name").and_then(Node::as_str))
}

/// `GetDeletionCostFromPodAnnotations` (pkg/apis/core/helper): `0`, or a leading `-` or a
/// digit 1-9, then an int32 by `strconv.ParseInt`.
fn is_deletion_cost(v: &str) -> bool {
    let first_ok = match v.as_bytes().first() {
        Some(b'-') => true,
        Some(b'1'..=b'9') => true,
        Some(b'0') => v == "0",
        _ => false,
    };
    first_ok && v.parse::<i32>().is_ok()
}

/// `ValidateTolerationsInPodAnnotations`: the annotation holds a JSON list of tolerations,
/// read as Go's `encoding/json` reads them into the internal type (field names matched
/// without regard to case), then checked as `spec.tolerations` are.
fn tolerations_in_annotation(value: &str, at: &At, opts: &Options, o: &mut Out) {
    let parsed: Result<Vec<serde_json::Map<String, serde_json::Value>>, _> =
        serde_json::from_str(value);
    let list = match parsed {
        Ok(list) => list,
        Err(e) => {
            // Go's message is encoding/json's; serde_json words the same failure differently.
            o.invalid(
                at,
                TOLERATIONS_ANNOTATION,
                format!("cannot be read as a list of tolerations: {e}"),
            );
            return;
        }
    };
    let fields = ["key", "operator", "value", "effect", "tolerationSeconds"];
    let normalized: Vec<serde_json::Value> = list
        .into_iter()
        .map(|m| {
            serde_json::Value::Object(
                m.into_iter()
                    .filter_map(|(k, v)| {
                        fields
                            .iter()
                            .find(|f| f.eq_ignore_ascii_case(&k))
                            .map(|f| (f.to_string(), v))
                    })
                    .collect(),
            )
        })
        .collect();
    let normalized = serde_json::Value::Array(normalized);
    let list = Node::from(&normalized);
    spec::tolerations(list.items(), &at.child(TOLERATIONS_ANNOTATION), opts, o);
}

/// `ValidateSeccompProfile` of an annotation value.
fn seccomp_annotation_profile(p: &str, at: &At, o: &mut Out) {
    match p {
        "runtime/default" | "docker/default" | "unconfined" => {}
        _ => match p.strip_prefix("localhost/") {
            Some(rest) => local_descending_path(rest, at, o),
            None => o.invalid(at, p, "must be a valid seccomp profile"),
        },
    }
}

/// `validateLocalDescendingPath`: relative, no `..` element (the path split on `/` after
/// `filepath.ToSlash`, which on Linux leaves `\` alone).
pub(crate) fn local_descending_path(target: &str, at: &At, o: &mut Out) {
    if target.starts_with('/') {
        o.invalid(at, target, "must be a relative path");
    }
    if target.split('/').any(|part| part == "..") {
        o.invalid(at, target, "must not contain '..'");
    }
}

/// `validateSeccompAnnotationsAndFields`: an annotation and a field that both say something
/// must say the same.
fn seccomp_annotations_and_fields(annotations: &Node, spec: &Node, spec_at: &At, o: &mut Out) {
    let profile = spec.field("securityContext").field("seccompProfile");
    if !profile.is_null()
        && let Some(a) = annotation(annotations, SECCOMP_POD)
    {
        let sc = spec_at.child("securityContext");
        seccomp_match(a, profile, &sc.child("seccompProfile"), o);
    }
    each_container(spec, spec_at, |c, at| {
        let profile = c.field("securityContext").field("seccompProfile");
        let name = c.get("name").and_then(Node::as_str).unwrap_or("");
        if !profile.is_null()
            && let Some(a) = annotation(annotations, &format!("{SECCOMP_CONTAINER_PREFIX}{name}"))
        {
            let sc = at.child("securityContext");
            seccomp_match(a, profile, &sc.child("seccompProfile"), o);
        }
    });
}

/// `validateSeccompAnnotationsAndFieldsMatch`.
fn seccomp_match(annotation: &str, profile: &Node, at: &At, o: &mut Out) {
    let ty = profile.get("type").and_then(Node::as_str).unwrap_or("");
    let type_at = at.child("type");
    const TYPE_MISMATCH: &str = "seccomp type in annotation and field must match";
    match ty {
        "Unconfined" if annotation != "unconfined" => o.forbidden(&type_at, TYPE_MISMATCH),
        "RuntimeDefault" if !matches!(annotation, "runtime/default" | "docker/default") => {
            o.forbidden(&type_at, TYPE_MISMATCH)
        }
        "Localhost" => match annotation.strip_prefix("localhost/") {
            None => o.forbidden(&type_at, TYPE_MISMATCH),
            Some(rest) => {
                if profile.get("localhostProfile").and_then(Node::as_str) != Some(rest) {
                    o.forbidden(
                        &at.child("localhostProfile"),
                        "seccomp profile in annotation and field must match",
                    );
                }
            }
        },
        _ => {}
    }
}

/// `validateAppArmorAnnotationsAndFieldsMatchOnCreate`: skipped for Windows pods; each
/// container's profile (its own, or the pod's) must agree with its annotation.
fn apparmor_annotations_and_fields(annotations: &Node, spec: &Node, spec_at: &At, o: &mut Out) {
    if spec.field("os").get("name").and_then(Node::as_str) == Some("windows") {
        return;
    }
    let pod_profile = spec.field("securityContext").field("appArmorProfile");
    each_container(spec, spec_at, |c, at| {
        let own = c.field("securityContext").field("appArmorProfile");
        let profile = if own.is_null() { pod_profile } else { own };
        if profile.is_null() {
            return;
        }
        let name = c.get("name").and_then(Node::as_str).unwrap_or("");
        let Some(a) = annotation(annotations, &format!("{APPARMOR_PREFIX}{name}")) else {
            return;
        };
        let sc = at.child("securityContext");
        let field = sc.child("appArmorProfile");
        let type_at = field.child("type");
        const TYPE_MISMATCH: &str = "apparmor type in annotation and field must match";
        match profile.get("type").and_then(Node::as_str).unwrap_or("") {
            "Unconfined" if a != "unconfined" => o.forbidden(&type_at, TYPE_MISMATCH),
            "RuntimeDefault" if a != "runtime/default" => o.forbidden(&type_at, TYPE_MISMATCH),
            "Localhost" => match a.strip_prefix("localhost/") {
                None => o.forbidden(&type_at, TYPE_MISMATCH),
                Some(rest) => {
                    if profile.get("localhostProfile").and_then(Node::as_str) != Some(rest) {
                        o.forbidden(
                            &field.child("localhostProfile"),
                            "apparmor profile in annotation and field must match",
                        );
                    }
                }
            },
            _ => {}
        }
    });
}

/// Fields the API server drops before validating because their feature gate is off by
/// default in Kubernetes 1.37 (`pkg/api/pod/util.go`, `dropDisabledFields`, and
/// `DropInitContainerAnnotations`): reported as `field-dropped` warnings, since the
/// cluster would silently ignore them.
pub(crate) fn dropped_fields(template: &Node, at: &At, out: &mut Findings) {
    let mut o = out.rule(RuleId::FieldDropped);
    let meta_at = at.child("metadata");
    let ann_at = meta_at.child("annotations");
    for key in INIT_CONTAINER_ANNOTATIONS {
        if template
            .field("metadata")
            .field("annotations")
            .get(key)
            .is_some()
        {
            o.add(
                &ann_at.key(key),
                "the API server removes this annotation before storing the object; init containers are spec.initContainers",
            );
        }
    }
    let spec = template.field("spec");
    let spec_at = at.child("spec");
    let gate = |o: &mut Out, at: &At, gate: &str| {
        o.add(
            at,
            format!("dropped by the API server: feature gate {gate} is off by default in Kubernetes 1.37, so the field is removed before the object is stored"),
        )
    };
    if spec.get("schedulingGroup").is_some_and(|v| !v.is_null()) {
        gate(&mut o, &spec_at.child("schedulingGroup"), "GenericWorkload");
    }
    if spec.get("evictionResponders").is_some_and(|v| !v.is_null()) {
        gate(
            &mut o,
            &spec_at.child("evictionResponders"),
            "EvictionRequestAPI",
        );
    }
    each_container(spec, &spec_at, |c, c_at| {
        let lifecycle = c.field("lifecycle");
        let l_at = c_at.child("lifecycle");
        if lifecycle.get("stopSignal").is_some_and(|v| !v.is_null()) {
            gate(&mut o, &l_at.child("stopSignal"), "ContainerStopSignals");
        }
        for handler in ["postStart", "preStop"] {
            if lifecycle
                .field(handler)
                .field("httpGet")
                .get("protocol")
                .is_some()
            {
                let h = l_at.child(handler);
                let g = h.child("httpGet");
                gate(&mut o, &g.child("protocol"), "H2CContainerProbe");
            }
        }
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            let p = c.field(probe);
            let p_at = c_at.child(probe);
            if p.field("httpGet").get("protocol").is_some() {
                let g = p_at.child("httpGet");
                gate(&mut o, &g.child("protocol"), "H2CContainerProbe");
            }
            if p.field("grpc").get("mode").is_some() {
                let g = p_at.child("grpc");
                gate(&mut o, &g.child("mode"), "GRPCContainerProbeTLS");
            }
        }
        let mounts = c_at.child("volumeMounts");
        for (j, m) in c.field("volumeMounts").items().iter().enumerate() {
            if m.get("bindMountOptions").is_some() {
                let m_at = mounts.index(j);
                gate(
                    &mut o,
                    &m_at.child("bindMountOptions"),
                    "VolumeBindMountOptions",
                );
            }
        }
    });
    let vols = spec_at.child("volumes");
    for (i, v) in spec.field("volumes").items().iter().enumerate() {
        let v_at = vols.index(i);
        if v.field("emptyDir").get("mode").is_some() {
            let e = v_at.child("emptyDir");
            gate(&mut o, &e.child("mode"), "EmptyDirVolumeMode");
        }
        // AtomicWriteVolumeUserFields: only the first of these sources is looked at.
        if let Some(kind) = ["secret", "configMap", "downwardAPI", "projected"]
            .into_iter()
            .find(|k| v.get(k).is_some_and(|s| !s.is_null()))
        {
            let src = v.field(kind);
            let s_at = v_at.child(kind);
            if src.get("defaultUser").is_some() {
                gate(
                    &mut o,
                    &s_at.child("defaultUser"),
                    "AtomicWriteVolumeUserFields",
                );
            }
            let items_at = s_at.child("items");
            for (j, item) in src.field("items").items().iter().enumerate() {
                if item.get("user").is_some() {
                    let it = items_at.index(j);
                    gate(&mut o, &it.child("user"), "AtomicWriteVolumeUserFields");
                }
            }
            let sources_at = s_at.child("sources");
            for (j, source) in src.field("sources").items().iter().enumerate() {
                let so = sources_at.index(j);
                for (name, p) in source.entries() {
                    let p_at = so.child(name);
                    if p.get("user").is_some() {
                        gate(&mut o, &p_at.child("user"), "AtomicWriteVolumeUserFields");
                    }
                    let pi = p_at.child("items");
                    for (k, item) in p.field("items").items().iter().enumerate() {
                        if item.get("user").is_some() {
                            let it = pi.index(k);
                            gate(&mut o, &it.child("user"), "AtomicWriteVolumeUserFields");
                        }
                    }
                }
            }
        }
    }
}

/// Whether a template's deletion-cost annotation is set and fails
/// `GetDeletionCostFromPodAnnotations`.
pub(crate) fn has_invalid_deletion_cost(template: &Node) -> bool {
    annotation(
        template.field("metadata").field("annotations"),
        DELETION_COST,
    )
    .is_some_and(|v| !is_deletion_cost(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletion_cost_as_go_parses_it() {
        for ok in ["0", "-5", "-007", "2147483647", "-0"] {
            assert!(is_deletion_cost(ok), "{ok}");
        }
        for bad in ["", "+1", "007", "abc", "2147483648", "-", "1.5"] {
            assert!(!is_deletion_cost(bad), "{bad}");
        }
    }
}

/// Helpers for the rule tables of the pod modules.
#[cfg(test)]
pub(crate) mod testutil {
    use serde_json::{Value, json};

    use crate::policy::{Checks, Policy, RuleId, validate};

    /// A valid DaemonSet whose pod spec is `spec` (with `containers` added when it has none).
    pub(crate) fn daemonset(spec: Value) -> Value {
        let mut spec = spec;
        if let Value::Object(m) = &mut spec
            && !m.contains_key("containers")
        {
            m.insert(
                "containers".into(),
                json!([{"name": "c", "image": "busybox:1.36"}]),
            );
        }
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
               "spec": {"selector": {"matchLabels": {"app": "agent"}},
                        "template": {"metadata": {"labels": {"app": "agent"}}, "spec": spec}}})
    }

    /// The `pod-spec` findings for a pod spec, as `path: message` lines, in order.
    pub(crate) fn pod_errors(spec: Value) -> Vec<String> {
        findings(&daemonset(spec), &[RuleId::PodSpec])
    }

    /// Findings of the given rules for a whole object, as `path: message` lines.
    pub(crate) fn findings(obj: &Value, rules: &[RuleId]) -> Vec<String> {
        validate(obj, None, &Policy::default(), Checks::OFFLINE)
            .into_iter()
            .filter(|v| rules.contains(&v.rule))
            .map(|v| format!("{}: {}", v.path, v.message))
            .collect()
    }

    /// Checks rows of `(pod spec, expected lines, why)`; all failures reported at once.
    pub(crate) fn check_rows(rows: Vec<(Value, Vec<&str>, &str)>) {
        check_rows_with(rows, pod_errors);
    }

    /// [`check_rows`] with another way of getting a spec's lines.
    pub(crate) fn check_rows_with(
        rows: Vec<(Value, Vec<&str>, &str)>,
        errors: impl Fn(Value) -> Vec<String>,
    ) {
        let mut failures = Vec::new();
        for (spec, want, why) in rows {
            let got = errors(spec.clone());
            if got != want {
                failures.push(format!(
                    "{why}\n  spec: {spec}\n  want: {want:#?}\n  got:  {got:#?}"
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} rows failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
