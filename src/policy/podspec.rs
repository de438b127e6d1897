//! Pod template rules, after kubernetes/kubernetes `pkg/apis/core/validation/validation.go`
//! (`ValidatePodSpec`, `validateContainers`, `validateContainerPorts`,
//! `AccumulateUniqueHostPorts`, `validateRestartPolicy`, `ValidateTolerations`) and the
//! DaemonSet-specific checks in `pkg/apis/apps/validation/validation.go`,
//! `ValidateDaemonSetSpec` (restartPolicy Always, no activeDeadlineSeconds), plus the two
//! policy rules `image-latest` and `resources-missing`.

use std::collections::HashSet;

use serde_json::Value;

use super::daemonset::labels;
use super::names::{is_dns1123_label, is_qualified_name, is_valid_label_value, is_valid_port_name};
use super::{FieldPath, Findings, RuleId};

pub(crate) fn check(spec: Option<&Value>, path: &FieldPath, out: &mut Findings) {
    let Some(Value::Object(spec)) = spec else {
        out.add(
            RuleId::PodSpec,
            &path.child("containers"),
            "Required value: the pod template has no spec; add spec.template.spec.containers",
        );
        return;
    };
    let mut names = HashSet::new();
    let mut host_ports = HashSet::new();
    let init = spec.get("initContainers").and_then(Value::as_array);
    for (i, c) in init.into_iter().flatten().enumerate() {
        container(
            c,
            &path.child("initContainers").index(i),
            &mut names,
            &mut host_ports,
            false,
            out,
        );
    }
    match spec.get("containers") {
        Some(Value::Array(cs)) if !cs.is_empty() => {
            for (i, c) in cs.iter().enumerate() {
                container(
                    c,
                    &path.child("containers").index(i),
                    &mut names,
                    &mut host_ports,
                    true,
                    out,
                );
            }
        }
        Some(Value::Array(_)) | None | Some(Value::Null) => out.add(
            RuleId::PodSpec,
            &path.child("containers"),
            "Required value: a pod needs at least one container; add spec.template.spec.containers",
        ),
        Some(_) => {}
    }
    restart_policy(spec.get("restartPolicy"), &path.child("restartPolicy"), out);
    if let Some(v) = spec.get("activeDeadlineSeconds").filter(|v| !v.is_null()) {
        out.add(
            RuleId::ActiveDeadline,
            &path.child("activeDeadlineSeconds"),
            format!("Forbidden: activeDeadlineSeconds in DaemonSet is not Supported (found {v}); remove it"),
        );
    }
    if let Some(Value::Array(ts)) = spec.get("tolerations") {
        for (i, t) in ts.iter().enumerate() {
            toleration(t, &path.child("tolerations").index(i), out);
        }
    }
    labels(
        spec.get("nodeSelector"),
        &path.child("nodeSelector"),
        RuleId::PodSpec,
        out,
    );
}

fn container(
    c: &Value,
    path: &FieldPath,
    names: &mut HashSet<String>,
    host_ports: &mut HashSet<(i64, String, String)>,
    regular: bool,
    out: &mut Findings,
) {
    let Some(c) = c.as_object() else { return };
    match c.get("name").and_then(Value::as_str) {
        None | Some("") => out.add(
            RuleId::PodSpec,
            &path.child("name"),
            "Required value: give the container a name",
        ),
        Some(name) => {
            for msg in is_dns1123_label(name) {
                out.add(
                    RuleId::PodSpec,
                    &path.child("name"),
                    format!("Invalid value: \"{name}\": {msg}"),
                );
            }
            if !names.insert(name.to_string()) {
                out.add(
                    RuleId::PodSpec,
                    &path.child("name"),
                    format!(
                        "Duplicate value: \"{name}\"; container names must be unique in the pod"
                    ),
                );
            }
        }
    }
    match c.get("image").and_then(Value::as_str) {
        None | Some("") => out.add(
            RuleId::PodSpec,
            &path.child("image"),
            "Required value: set the container image, e.g. registry/name:version",
        ),
        Some(image) if image.trim() != image => out.add(
            RuleId::PodSpec,
            &path.child("image"),
            format!("Invalid value: \"{image}\": must not have leading or trailing whitespace"),
        ),
        Some(image) => {
            if regular {
                image_latest(image, || path.child("image"), out);
            }
        }
    }
    if let Some(Value::Array(ports)) = c.get("ports") {
        let mut port_names = HashSet::new();
        for (i, p) in ports.iter().enumerate() {
            port(
                p,
                &path.child("ports").index(i),
                &mut port_names,
                host_ports,
                out,
            );
        }
    }
    if regular {
        resources(c.get("resources"), || path.child("resources"), out);
    }
}

/// `validateContainerPorts` and `AccumulateUniqueHostPorts`.
fn port(
    p: &Value,
    path: &FieldPath,
    port_names: &mut HashSet<String>,
    host_ports: &mut HashSet<(i64, String, String)>,
    out: &mut Findings,
) {
    let Some(p) = p.as_object() else { return };
    if let Some(name) = p
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        for msg in is_valid_port_name(name) {
            out.add(
                RuleId::PodSpec,
                &path.child("name"),
                format!("Invalid value: \"{name}\": {msg}"),
            );
        }
        if !port_names.insert(name.to_string()) {
            out.add(
                RuleId::PodSpec,
                &path.child("name"),
                format!("Duplicate value: \"{name}\""),
            );
        }
    }
    match p.get("containerPort").and_then(Value::as_i64) {
        None if !p.contains_key("containerPort") => out.add(
            RuleId::PodSpec,
            &path.child("containerPort"),
            "Required value: set containerPort",
        ),
        Some(n) if !(1..=65535).contains(&n) => out.add(
            RuleId::PodSpec,
            &path.child("containerPort"),
            format!("Invalid value: {n}: must be between 1 and 65535, inclusive"),
        ),
        _ => {}
    }
    let host_port = p.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
    if host_port != 0 && !(1..=65535).contains(&host_port) {
        out.add(
            RuleId::PodSpec,
            &path.child("hostPort"),
            format!("Invalid value: {host_port}: must be between 1 and 65535, inclusive"),
        );
    }
    let protocol = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
    if !matches!(protocol, "TCP" | "UDP" | "SCTP") {
        out.add(
            RuleId::PodSpec,
            &path.child("protocol"),
            format!(
                "Unsupported value: \"{protocol}\": supported values: \"SCTP\", \"TCP\", \"UDP\""
            ),
        );
    }
    if host_port != 0 {
        let host_ip = p
            .get("hostIP")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if !host_ports.insert((host_port, protocol.to_string(), host_ip)) {
            out.add(
                RuleId::PodSpec,
                &path.child("hostPort"),
                format!("Duplicate value: \"{host_port}/{protocol}\"; two containers cannot bind the same host port"),
            );
        }
    }
}

/// `validateRestartPolicy`, then the DaemonSet rule: only `Always` (the default).
fn restart_policy(value: Option<&Value>, path: &FieldPath, out: &mut Findings) {
    match value.and_then(Value::as_str) {
        None | Some("") | Some("Always") => {}
        Some(other) => out.add(
            RuleId::RestartPolicy,
            path,
            format!("Unsupported value: \"{other}\": supported values: \"Always\"; remove restartPolicy or set it to Always"),
        ),
    }
}

/// `ValidateTolerations`.
fn toleration(t: &Value, path: &FieldPath, out: &mut Findings) {
    let Some(t) = t.as_object() else { return };
    let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or("");
    let (key, operator, value, effect) = (s("key"), s("operator"), s("value"), s("effect"));
    if !key.is_empty() {
        for msg in is_qualified_name(key) {
            out.add(
                RuleId::PodSpec,
                &path.child("key"),
                format!("Invalid value: \"{key}\": {msg}"),
            );
        }
    }
    if key.is_empty() && operator != "Exists" {
        out.add(
            RuleId::PodSpec,
            &path.child("operator"),
            format!("Invalid value: \"{operator}\": operator must be Exists when `key` is empty, which means \"match all values and all keys\""),
        );
    }
    if t.get("tolerationSeconds").is_some_and(|v| !v.is_null()) && effect != "NoExecute" {
        out.add(
            RuleId::PodSpec,
            &path.child("effect"),
            format!("Invalid value: \"{effect}\": effect must be 'NoExecute' when `tolerationSeconds` is set"),
        );
    }
    match operator {
        "" | "Equal" => {
            for msg in is_valid_label_value(value) {
                out.add(
                    RuleId::PodSpec,
                    &path.child("value"),
                    format!("Invalid value: \"{value}\": {msg}"),
                );
            }
        }
        "Exists" => {
            if !value.is_empty() {
                out.add(
                    RuleId::PodSpec,
                    &path.child("operator"),
                    format!("Invalid value: \"{value}\": value must be empty when `operator` is 'Exists'"),
                );
            }
        }
        other => out.add(
            RuleId::PodSpec,
            &path.child("operator"),
            format!("Unsupported value: \"{other}\": supported values: \"Equal\", \"Exists\""),
        ),
    }
    if !matches!(effect, "" | "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
        out.add(
            RuleId::PodSpec,
            &path.child("effect"),
            format!("Unsupported value: \"{effect}\": supported values: \"NoExecute\", \"NoSchedule\", \"PreferNoSchedule\""),
        );
    }
}

/// The tag of an image reference, or `None` when it has none (a digest counts as pinned).
fn image_tag(image: &str) -> Option<&str> {
    if image.contains('@') {
        return Some("@digest");
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    last.rsplit_once(':').map(|(_, tag)| tag)
}

/// `image-latest`: an image without a tag, or tagged `latest`.
///
/// `path` is built only for a finding: the webhook runs this for every container of every
/// review, and most pass.
pub(crate) fn image_latest(image: &str, path: impl FnOnce() -> FieldPath, out: &mut Findings) {
    match image_tag(image) {
        None => out.add(
            RuleId::ImageLatest,
            &path(),
            format!("image \"{image}\" has no tag, so it means :latest; pin a version, e.g. \"{image}:1.2.3\", or a digest"),
        ),
        Some("latest") => out.add(
            RuleId::ImageLatest,
            &path(),
            format!("image \"{image}\" uses :latest; pin a version tag or a digest"),
        ),
        Some(_) => {}
    }
}

/// `resources-missing`: a container without a cpu or memory request. Requests default to
/// limits when only limits are set (kubernetes/kubernetes
/// `pkg/apis/core/v1/defaults.go`, `SetDefaults_Pod`), so either counts.
///
/// `path` (of the `resources` field) is built only for a finding.
pub(crate) fn resources(
    value: Option<&Value>,
    path: impl FnOnce() -> FieldPath,
    out: &mut Findings,
) {
    let missing: Vec<&str> = ["cpu", "memory"]
        .into_iter()
        .filter(|r| {
            let has = |section: &str| {
                value
                    .and_then(|v| v.get(section))
                    .and_then(|s| s.get(*r))
                    .is_some_and(|q| !q.is_null())
            };
            !has("requests") && !has("limits")
        })
        .collect();
    if !missing.is_empty() {
        let list = missing.join(" and ");
        out.add(
            RuleId::ResourcesMissing,
            &path().child("requests"),
            format!("no {list} request; set resources.requests.{} so the scheduler reserves room on every node", missing.join(" and .")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::image_tag;

    #[test]
    fn image_tags() {
        let rows = [
            ("nginx", None, "no tag"),
            ("nginx:1.27", Some("1.27"), "tag"),
            ("registry:5000/nginx", None, "port is not a tag"),
            ("registry:5000/nginx:latest", Some("latest"), "latest"),
            ("nginx@sha256:abc", Some("@digest"), "digest"),
        ];
        for (image, want, why) in rows {
            assert_eq!(image_tag(image), want, "{why}");
        }
    }
}
