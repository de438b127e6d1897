//! Containers of a pod template: regular, init (sidecars included) and ephemeral, after
//! kubernetes/kubernetes `pkg/apis/core/validation/validation.go` (Kubernetes 1.37,
//! `validateContainers`, `validateInitContainers`, `validateEphemeralContainers`,
//! `validateContainerCommon` and everything they call), with the helpers of
//! `pkg/apis/core/helper/helpers.go` (resource names) and `pkg/apis/core/pods/helpers.go`
//! (`ConvertDownwardAPIFieldLabel`).
//!
//! Volume mounts and devices are `volumes.rs`'s ([`volumes::mounts`], [`volumes::devices`]);
//! the seccomp, AppArmor and Windows options of a security context are `security.rs`'s.
//!
//! Defaults the API server applies before validating are read in place
//! (`pkg/apis/core/v1/defaults.go`): `SetDefaults_Container`, `SetDefaults_Probe`,
//! `SetDefaults_HTTPGetAction`, `SetDefaults_ObjectFieldSelector`, `SetDefaults_ResourceList`
//! and the `+default` markers of `ContainerPort.protocol`. Fields whose feature gate is off by
//! default in 1.37 are dropped by the API server before validation and not read here:
//! `lifecycle.stopSignal` (ContainerStopSignals), `httpGet.protocol` (H2CContainerProbe),
//! `grpc.mode` (GRPCContainerProbeTLS).
//!
//! A field of the wrong JSON type fails decoding in the API server; the strict schema rule
//! reports it, and the checks here skip it.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::hash::Hash;

use super::helpers::{
    convert_downward_api_field_label, is_extended_resource_name, is_huge_page_resource,
    is_huge_page_value_divisible, is_integer_resource_name, is_native_resource,
    is_overcommit_allowed, is_standard_container_resource_name, is_standard_resource_name,
    split_subscripted,
};
use super::options::Options;
use super::quantity_field;
use super::security;
use super::volumes::{self, Volumes};
use crate::policy::finding::{GoValue, Out, Quoted, Raw};
use crate::policy::names::{
    is_config_map_key, is_dns1123_label, is_dns1123_subdomain, is_env_var_name,
    is_http_header_name, is_qualified_name, is_relaxed_env_var_name, is_valid_group_id,
    is_valid_port_name, is_valid_port_num, is_valid_user_id,
};
use crate::policy::path::At;
use crate::policy::quantity::{Format, Quantity};
use crate::policy::view::Node;

/// `validateContainers`, `validateInitContainers` and `validateEphemeralContainers` for the pod
/// spec `spec` at `at` (`spec.template.spec`), in `ValidatePodSpec`'s order.
pub(crate) fn validate_all(spec: &Node, at: &At, vols: &Volumes, opts: &Options, o: &mut Out) {
    let pod = Pod::new(spec, vols, opts);
    regular_containers(spec, at, &pod, o);
    init_containers(spec, at, &pod, o);
    ephemeral_containers(spec, at, &pod, o);
}

/// `ValidateContainerResourceRequirements` at `at` (a `resources` path): `limits`,
/// `requests` and `claims` (`&Node::Null` for what is absent), with no pod resource claims
/// to refer to (as `validateOverhead` calls it).
pub(crate) fn resource_requirements(
    limits: &Node,
    requests: &Node,
    claims: &Node,
    at: &At,
    opts: &Options,
    o: &mut Out,
) {
    requirements(
        limits,
        requests,
        claims,
        &ClaimNames::default(),
        at,
        opts,
        o,
    );
}

// ---------------------------------------------------------------------------------------
// What every container check needs to know about the pod.

/// The pod-level values `ValidatePodSpec` hands to the container checks.
struct Pod<'a> {
    opts: &'a Options,
    vols: &'a Volumes<'a>,
    /// `spec.terminationGracePeriodSeconds` (`SetDefaults_PodSpec`: nil → 30); `None` when the
    /// field has the wrong type (Go allows a nil grace period and then skips the sleep check).
    grace_period: Option<i64>,
    /// `spec.hostUsers == nil || *spec.hostUsers`.
    host_users: bool,
    /// `spec.restartPolicy` (`SetDefaults_PodSpec`: "" → Always).
    restart_policy: &'a str,
    /// `gatherPodResourceClaimNames`: the non-empty `spec.resourceClaims[*].name`.
    claims: ClaimNames<'a>,
}

impl<'a> Pod<'a> {
    fn new(spec: &'a Node, vols: &'a Volumes<'a>, opts: &'a Options) -> Pod<'a> {
        let grace_period = match spec.get("terminationGracePeriodSeconds") {
            None | Some(Node::Null) => Some(30),
            Some(v) => v.as_i64(),
        };
        let host_users = spec
            .get("hostUsers")
            .and_then(Node::as_bool)
            .unwrap_or(true);
        let restart_policy = match string(spec, "restartPolicy") {
            Some("") | None => "Always",
            Some(p) => p,
        };
        let mut claims = ClaimNames::default();
        for claim in spec.field("resourceClaims").items() {
            if let Some(name) = string(claim, "name").filter(|n| !n.is_empty()) {
                claims.insert(name);
            }
        }
        Pod {
            opts,
            vols,
            grace_period,
            host_users,
            restart_policy,
            claims,
        }
    }
}

/// The names of `spec.resourceClaims`, for `validateResourceClaimNames`.
#[derive(Default)]
struct ClaimNames<'a> {
    names: Vec<&'a str>,
    /// An index once the list is long, so that lookups stay constant-time.
    index: HashSet<&'a str>,
}

impl<'a> ClaimNames<'a> {
    fn insert(&mut self, name: &'a str) {
        self.names.push(name);
        if self.names.len() > SMALL {
            if self.index.is_empty() {
                self.index.extend(self.names.iter().copied());
            } else {
                self.index.insert(name);
            }
        }
    }

    fn contains(&self, name: &str) -> bool {
        if self.index.is_empty() {
            self.names.contains(&name)
        } else {
            self.index.contains(name)
        }
    }

    fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// `strings.Join(sets.List(podClaimNames), ", ")`: sorted, without repeats.
    fn listing(&self) -> String {
        let mut sorted = self.names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        sorted.join(", ")
    }
}

/// How many entries a [`Seen`] set or a list lookup holds before it builds a hash index.
const SMALL: usize = 8;

/// A set for duplicate checks (Go's `sets.Set`): the first few values in place, the rest in
/// a hash set, so that short lists allocate nothing and long lists stay linear.
struct Seen<T: Copy + Eq + Hash> {
    small: [Option<T>; SMALL],
    len: usize,
    big: HashSet<T>,
}

impl<T: Copy + Eq + Hash> Seen<T> {
    fn new() -> Self {
        Seen {
            small: [None; SMALL],
            len: 0,
            big: HashSet::new(),
        }
    }

    fn contains(&self, v: &T) -> bool {
        self.small
            .iter()
            .take(self.len)
            .any(|s| s.as_ref() == Some(v))
            || self.big.contains(v)
    }

    /// Adds `v`; whether it was new.
    fn insert(&mut self, v: T) -> bool {
        if self.contains(&v) {
            return false;
        }
        match self.small.get_mut(self.len) {
            Some(slot) => {
                *slot = Some(v);
                self.len += 1;
            }
            None => {
                self.big.insert(v);
            }
        }
        true
    }
}

// ---------------------------------------------------------------------------------------
// Reading fields as Go's decoder fills the internal types.

/// A string field: `Some("")` when absent or null (Go's zero value), `None` when it holds
/// another JSON type.
fn string<'a>(n: &'a Node, key: &str) -> Option<&'a str> {
    match n.get(key) {
        None | Some(Node::Null) => Some(""),
        Some(Node::String(s)) => Some(s),
        Some(_) => None,
    }
}

/// An optional string field (a Go `*string` or `*T` of a string type): `None` when absent,
/// null or of another type.
fn string_ptr<'a>(n: &'a Node, key: &str) -> Option<&'a str> {
    n.get(key).and_then(Node::as_str)
}

/// A struct field (a Go pointer to a struct): the object, or `None` when absent, null or of
/// another type.
fn object<'a, 'n>(n: &'a Node<'n>, key: &str) -> Option<&'a Node<'n>> {
    n.get(key).filter(|v| v.is_object())
}

/// A list field that Go would decode to a non-nil slice (an explicit `[]` included).
fn list_is_set(n: &Node, key: &str) -> bool {
    matches!(n.get(key), Some(Node::Array(_)))
}

/// An `int32` field: `Some(0)` when absent or null, `None` when not an integer that fits.
fn int32(n: &Node, key: &str) -> Option<i64> {
    match n.get(key) {
        None | Some(Node::Null) => Some(0),
        Some(v) => v.as_i64().filter(|x| i32::try_from(*x).is_ok()),
    }
}

/// An `int64` field: `Some(0)` when absent or null, `None` when not an integer that fits.
fn int64(n: &Node, key: &str) -> Option<i64> {
    match n.get(key) {
        None | Some(Node::Null) => Some(0),
        Some(v) => v.as_i64(),
    }
}

/// A `*int64` field: `None` when absent, null or not an integer that fits.
fn int64_ptr(n: &Node, key: &str) -> Option<i64> {
    n.get(key).and_then(Node::as_i64)
}

/// A `*bool` field.
fn bool_ptr(n: &Node, key: &str) -> Option<bool> {
    n.get(key).and_then(Node::as_bool)
}

/// A value of a Go named string type (`core.PullPolicy`, `core.ResourceName`, …): field
/// errors print those with `json.Marshal`, which escapes `<`, `>`, `&` and control characters
/// differently from `%q`.
struct Typed<'a>(&'a str);

impl GoValue for Typed<'_> {
    fn go_fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_go_json_string(f, self.0)
    }
}

/// A string as Go's `encoding/json` writes it (HTML-safe escaping, Go 1.22+ short escapes).
fn write_go_json_string(out: &mut impl fmt::Write, s: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            '\u{8}' => out.write_str("\\b")?,
            '\u{c}' => out.write_str("\\f")?,
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => write!(out, "\\u{:04x}", c as u32)?,
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32)?,
            c => out.write_char(c)?,
        }
    }
    out.write_char('"')
}

// ---------------------------------------------------------------------------------------
// The three container lists.

/// `validateContainers`: the regular containers at `spec.template.spec.containers`.
fn regular_containers(spec: &Node, at: &At, pod: &Pod, o: &mut Out) {
    let list_at = at.child("containers");
    let list: &[Node] = match spec.get("containers") {
        None | Some(Node::Null) => &[],
        Some(Node::Array(a)) => a,
        Some(_) => return,
    };
    if list.is_empty() {
        o.required(&list_at, "");
        return;
    }
    let mut names = Seen::new();
    for (i, c) in list.iter().enumerate() {
        if !c.is_object() {
            continue;
        }
        let c_at = list_at.index(i);
        container_common(c, &c_at, pod, o);
        // Unique among regular containers; init and ephemeral containers check against these.
        if let Some(name) = string(c, "name")
            && !names.insert(name)
        {
            o.duplicate(&c_at.child("name"), name);
        }
        if let Some(lc) = lifecycle_of(c) {
            lifecycle(lc, &c_at.child("lifecycle"), pod, o);
        }
        probes(c, &c_at, pod, o);
        if pod.opts.allow_container_restart_policy_rules {
            container_restart_policy(c, &c_at, pod.opts, o);
        } else if string_ptr(c, "restartPolicy").is_some() {
            o.forbidden(
                &c_at.child("restartPolicy"),
                "may not be set for non-init containers",
            );
        }
    }
    host_port_conflicts(list, &list_at, o);
}

/// `validateInitContainers`: the init containers at `spec.template.spec.initContainers`;
/// those with `restartPolicy: Always` are sidecars.
fn init_containers(spec: &Node, at: &At, pod: &Pod, o: &mut Out) {
    let Some(list) = spec.get("initContainers").and_then(Node::as_array) else {
        return;
    };
    let list_at = at.child("initContainers");
    // Names must be unique among regular and init containers; every regular name counts,
    // the empty one included.
    let mut names = Seen::new();
    for c in spec
        .field("containers")
        .items()
        .iter()
        .filter(|c| c.is_object())
    {
        if let Some(name) = string(c, "name") {
            names.insert(name);
        }
    }
    for (i, c) in list.iter().enumerate() {
        if !c.is_object() {
            continue;
        }
        let c_at = list_at.index(i);
        container_common(c, &c_at, pod, o);
        init_restart_policy(c, &c_at, pod.opts, o);
        let sidecar = is_sidecar(c);
        if let Some(name) = string(c, "name") {
            if names.contains(&name) {
                o.duplicate(&c_at.child("name"), name);
            } else if !name.is_empty() {
                names.insert(name);
            }
        }
        // Init containers run one by one: each is checked against itself only, and Go passes a
        // one-element list, so the path always says initContainers[0].
        host_port_conflicts(std::slice::from_ref(c), &list_at, o);
        if sidecar {
            if let Some(lc) = lifecycle_of(c) {
                lifecycle(lc, &c_at.child("lifecycle"), pod, o);
            }
            probes(c, &c_at, pod, o);
        } else {
            const NOT_SIDECAR: &str =
                "may not be set for init containers without restartPolicy=Always";
            if lifecycle_of(c).is_some() {
                o.forbidden(&c_at.child("lifecycle"), NOT_SIDECAR);
            }
            for key in ["livenessProbe", "readinessProbe", "startupProbe"] {
                if object(c, key).is_some() {
                    o.forbidden(&c_at.child(key), NOT_SIDECAR);
                }
            }
        }
        let resize = c.field("resizePolicy").items();
        if !pod.opts.allow_sidecar_resize_policy && !resize.is_empty() {
            o.invalid(
                &c_at.child("resizePolicy"),
                Raw(go_json_resize_policies(resize)),
                "must not be set for init containers",
            );
        }
        if !sidecar
            && !pod
                .opts
                .allow_existing_restart_container_for_non_sidecar_init_container
        {
            let resize_at = c_at.child("resizePolicy");
            for (j, p) in resize.iter().enumerate() {
                if string(p, "restartPolicy") == Some("RestartContainer") {
                    let p_at = resize_at.index(j);
                    o.invalid(
                        &p_at.child("restartPolicy"),
                        Typed("RestartContainer"),
                        "must not be set to 'RestartContainer' for non-sidecar initContainers",
                    );
                }
            }
        }
    }
}

/// Go's field names of the internal `[]core.ContainerResizePolicy` as `json.Marshal` writes
/// them (the value of an error unreachable with 1.37's options).
fn go_json_resize_policies(list: &[Node]) -> String {
    let mut s = String::from("[");
    for (i, p) in list.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str("{\"ResourceName\":");
        let _ = write_go_json_string(&mut s, string(p, "resourceName").unwrap_or(""));
        s.push_str(",\"RestartPolicy\":");
        let _ = write_go_json_string(&mut s, string(p, "restartPolicy").unwrap_or(""));
        s.push('}');
    }
    s.push(']');
    s
}

/// The fields of `EphemeralContainerCommon` that an ephemeral container may not set
/// (`allowedEphemeralContainerFields` false or absent), in the struct's field order.
const EPHEMERAL_FORBIDDEN: [&str; 9] = [
    "ports",
    "resources",
    "resizePolicy",
    "restartPolicy",
    "restartPolicyRules",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
];

/// `validateEphemeralContainers`. Ephemeral containers are refused in a template anyway
/// (`ValidatePodTemplateSpec`, in `pod/mod.rs`); their checks still run first.
fn ephemeral_containers(spec: &Node, at: &At, pod: &Pod, o: &mut Out) {
    let list = match spec.get("ephemeralContainers").and_then(Node::as_array) {
        Some(a) if !a.is_empty() => a,
        _ => return,
    };
    let list_at = at.child("ephemeralContainers");
    let mut others = Seen::new();
    let mut all = Seen::new();
    for c in spec
        .field("containers")
        .items()
        .iter()
        .chain(spec.field("initContainers").items())
        .filter(|c| c.is_object())
    {
        if let Some(name) = string(c, "name") {
            others.insert(name);
            all.insert(name);
        }
    }
    for (i, c) in list.iter().enumerate() {
        if !c.is_object() {
            continue;
        }
        let c_at = list_at.index(i);
        container_common(c, &c_at, pod, o);
        // validateContainerOnlyForPod, which ephemeral containers get even in a template.
        if let Some(image) = string(c, "image")
            && image.trim().len() != image.len()
        {
            o.invalid(
                &c_at.child("image"),
                image,
                "must not have leading or trailing whitespace",
            );
        }
        if let Some(name) = string(c, "name")
            && !all.insert(name)
        {
            o.duplicate(&c_at.child("name"), name);
        }
        if let Some(target) = string(c, "targetContainerName")
            && !target.is_empty()
            && !others.contains(&target)
        {
            o.not_found(&c_at.child("targetContainerName"), target);
        }
        // validateFieldAllowList: a field differing from its Go zero value.
        for key in EPHEMERAL_FORBIDDEN {
            let set = match key {
                "ports" | "resizePolicy" | "restartPolicyRules" => list_is_set(c, key),
                "resources" => {
                    let r = c.field("resources");
                    r.get("limits").is_some_and(Node::is_object)
                        || r.get("requests").is_some_and(Node::is_object)
                        || list_is_set(r, "claims")
                }
                "restartPolicy" => string_ptr(c, key).is_some(),
                "lifecycle" => lifecycle_of(c).is_some(),
                _ => object(c, key).is_some(),
            };
            if set {
                o.forbidden(&c_at.child(key), "cannot be set for an Ephemeral Container");
            }
        }
        let mounts_at = c_at.child("volumeMounts");
        for (j, m) in c.field("volumeMounts").items().iter().enumerate() {
            let m_at = mounts_at.index(j);
            for key in ["subPath", "subPathExpr"] {
                if string(m, key).is_some_and(|s| !s.is_empty()) {
                    o.forbidden(&m_at.child(key), "cannot be set for an Ephemeral Container");
                }
            }
        }
    }
}

/// `validateContainerCommon`: what every kind of container is checked for.
fn container_common(c: &Node, at: &At, pod: &Pod, o: &mut Out) {
    if let Some(name) = string(c, "name") {
        let name_at = at.child("name");
        if name.is_empty() {
            o.required(&name_at, "");
        } else {
            o.invalid_each(&name_at, name, is_dns1123_label(name));
        }
    }
    // Only an empty image is refused in a template; leading or trailing whitespace is a
    // Pod-only check (validateContainersOnlyForPod).
    if string(c, "image") == Some("") {
        o.required(&at.child("image"), "");
    }
    // SetDefaults_Container: "" → File.
    if let Some(policy) = string(c, "terminationMessagePolicy")
        && !matches!(policy, "" | "File" | "FallbackToLogsOnError")
    {
        o.not_supported(
            &at.child("terminationMessagePolicy"),
            Typed(policy),
            &["File", "FallbackToLogsOnError"],
        );
    }
    container_ports(c, at, o);
    env(c, at, pod.opts, o);
    env_from(c, at, pod.opts, o);
    volumes::mounts(c, at, pod.vols, o);
    volumes::devices(c, at, pod.vols, o);
    // SetDefaults_Container: "" → Always when the image tag is `latest` (or absent),
    // IfNotPresent otherwise; both are valid, so the image need not be parsed here.
    if let Some(policy) = string(c, "imagePullPolicy")
        && !matches!(policy, "" | "Always" | "IfNotPresent" | "Never")
    {
        o.not_supported(
            &at.child("imagePullPolicy"),
            Typed(policy),
            &["Always", "IfNotPresent", "Never"],
        );
    }
    let resources = c.field("resources");
    requirements(
        resources.field("limits"),
        resources.field("requests"),
        resources.field("claims"),
        &pod.claims,
        &at.child("resources"),
        pod.opts,
        o,
    );
    resize_policy(c, at, pod, o);
    if let Some(sc) = object(c, "securityContext") {
        security_context(sc, &at.child("securityContext"), pod, o);
    }
}

// ---------------------------------------------------------------------------------------
// Ports.

/// `validateContainerPorts` at `<container>.ports`.
fn container_ports(c: &Node, at: &At, o: &mut Out) {
    let list_at = at.child("ports");
    let mut names = Seen::new();
    for (j, p) in c.field("ports").items().iter().enumerate() {
        if !p.is_object() {
            continue;
        }
        let p_at = list_at.index(j);
        if let Some(name) = string(p, "name").filter(|n| !n.is_empty()) {
            let msgs = is_valid_port_name(name);
            if !msgs.is_empty() {
                o.invalid_each(&p_at.child("name"), name, msgs);
            } else if !names.insert(name) {
                o.duplicate(&p_at.child("name"), name);
            }
        }
        match int32(p, "containerPort") {
            Some(0) => o.required(&p_at.child("containerPort"), ""),
            Some(port) => {
                for m in is_valid_port_num(port) {
                    o.invalid(&p_at.child("containerPort"), port, m);
                }
            }
            None => {}
        }
        if let Some(port) = int32(p, "hostPort").filter(|p| *p != 0) {
            for m in is_valid_port_num(port) {
                o.invalid(&p_at.child("hostPort"), port, m);
            }
        }
        // `+default="TCP"`: an empty protocol is defaulted, so Required is unreachable.
        if let Some(protocol) = string(p, "protocol")
            && !matches!(protocol, "" | "TCP" | "UDP" | "SCTP")
        {
            o.not_supported(
                &p_at.child("protocol"),
                Typed(protocol),
                &["SCTP", "TCP", "UDP"],
            );
        }
        // hostIP is not validated.
    }
}

/// `checkHostPortConflicts` (`AccumulateUniqueHostPorts`) over `containers`, printed under
/// `list_at` with the index in `containers`.
fn host_port_conflicts(containers: &[Node], list_at: &At, o: &mut Out) {
    // Go keys ports by the string "<protocol>/<hostIP>/<hostPort>"; the tuple is the same
    // key except for protocols or IPs that contain '/', which are invalid anyway.
    let mut seen: Seen<(&str, &str, i64)> = Seen::new();
    for (ci, c) in containers.iter().enumerate() {
        for (pi, p) in c.field("ports").items().iter().enumerate() {
            let Some(port) = int32(p, "hostPort").filter(|p| *p != 0) else {
                continue;
            };
            let protocol = match string(p, "protocol") {
                Some("") | None => "TCP",
                Some(v) => v,
            };
            let host_ip = string(p, "hostIP").unwrap_or("");
            if !seen.insert((protocol, host_ip, port)) {
                let c_at = list_at.index(ci);
                let ports_at = c_at.child("ports");
                let p_at = ports_at.index(pi);
                o.duplicate(
                    &p_at.child("hostPort"),
                    format!("{protocol}/{host_ip}/{port}"),
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Environment.

/// `IsRelaxedEnvVarName` or, when the option is off, `IsEnvVarName`.
fn env_var_name_errors(name: &str, opts: &Options) -> Vec<String> {
    if opts.allow_relaxed_environment_variable_validation {
        is_relaxed_env_var_name(name)
    } else {
        is_env_var_name(name)
    }
}

/// `ValidateEnv` at `<container>.env`.
fn env(c: &Node, at: &At, opts: &Options, o: &mut Out) {
    let list_at = at.child("env");
    for (k, e) in c.field("env").items().iter().enumerate() {
        if !e.is_object() {
            continue;
        }
        let e_at = list_at.index(k);
        if let Some(name) = string(e, "name") {
            if name.is_empty() {
                o.required(&e_at.child("name"), "");
            } else {
                o.invalid_each(&e_at.child("name"), name, env_var_name_errors(name, opts));
            }
        }
        env_var_value_from(e, &e_at.child("valueFrom"), opts, o);
    }
}

/// `validateEnvVarValueFrom` at `<env>.valueFrom`.
fn env_var_value_from(e: &Node, at: &At, opts: &Options, o: &mut Out) {
    let Some(from) = object(e, "valueFrom") else {
        return;
    };
    let mut sources = 0;
    if let Some(f) = object(from, "fieldRef") {
        sources += 1;
        object_field_selector(f, &at.child("fieldRef"), o);
    }
    if let Some(r) = object(from, "resourceFieldRef") {
        sources += 1;
        resource_field_selector(r, &at.child("resourceFieldRef"), opts, o);
    }
    if let Some(s) = object(from, "configMapKeyRef") {
        sources += 1;
        key_selector(s, &at.child("configMapKeyRef"), o);
    }
    if let Some(s) = object(from, "secretKeyRef") {
        sources += 1;
        key_selector(s, &at.child("secretKeyRef"), o);
    }
    if let Some(s) = object(from, "fileKeyRef") {
        sources += 1;
        file_key_selector(s, &at.child("fileKeyRef"), o);
    }
    let value = string(e, "value").unwrap_or("");
    if sources == 0 {
        if opts.allow_env_files_validation {
            o.invalid(
                at,
                "",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`",
            );
        } else {
            o.invalid(
                at,
                "",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            );
        }
    } else if !value.is_empty() {
        o.invalid(at, "", "may not be specified when `value` is not empty");
    } else if sources > 1 {
        o.invalid(
            at,
            "",
            "may not have more than one field specified at a time",
        );
    }
}

/// `validEnvDownwardAPIFieldPathExpressions`, sorted as `sets.List` prints them.
const ENV_FIELD_PATHS: [&str; 9] = [
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

/// `validateObjectFieldSelector` with the env expressions, at `<env>.valueFrom.fieldRef`.
fn object_field_selector(f: &Node, at: &At, o: &mut Out) {
    // SetDefaults_ObjectFieldSelector: apiVersion "" → v1, so Required is unreachable.
    let Some(version) = string(f, "apiVersion") else {
        return;
    };
    let version = if version.is_empty() { "v1" } else { version };
    let Some(path) = string(f, "fieldPath") else {
        return;
    };
    let path_at = at.child("fieldPath");
    if path.is_empty() {
        o.required(&path_at, "");
        return;
    }
    let internal = match convert_downward_api_field_label(version, path) {
        Ok(p) => p,
        Err(e) => {
            o.invalid(&path_at, path, format!("error converting fieldPath: {e}"));
            return;
        }
    };
    if let Some((head, key)) = split_subscripted(internal) {
        match head {
            // ValidateQualifiedName at the fieldRef itself, with the key as the value.
            "metadata.annotations" => {
                let lower = key.to_lowercase();
                o.invalid_each(at, &lower, is_qualified_name(&lower));
            }
            "metadata.labels" => o.invalid_each(at, key, is_qualified_name(key)),
            _ => o.invalid(at, head, "does not support subscript"),
        }
    } else if !ENV_FIELD_PATHS.contains(&internal) {
        o.not_supported(&path_at, internal, &ENV_FIELD_PATHS);
    }
}

/// `validContainerResourceFieldPathExpressions`, sorted as `sets.List` prints them.
const ENV_RESOURCE_FIELDS: [&str; 6] = [
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
];

/// `validateContainerResourceFieldSelector(…, volume=false)` at `<env>.valueFrom.resourceFieldRef`
/// (`containerName` is neither required nor checked for env).
fn resource_field_selector(r: &Node, at: &At, opts: &Options, o: &mut Out) {
    let Some(resource) = string(r, "resource") else {
        return;
    };
    if resource.is_empty() {
        o.required(&at.child("resource"), "");
    } else if !ENV_RESOURCE_FIELDS.contains(&resource)
        && !resource.starts_with("requests.hugepages-")
        && !resource.starts_with("limits.hugepages-")
    {
        o.not_supported(&at.child("resource"), resource, &ENV_RESOURCE_FIELDS);
    }
    container_resource_divisor(resource, r.field("divisor"), at, opts, o);
}

/// `validateContainerResourceDivisor`: the divisor's canonical text must be one of a few;
/// the bad value printed is the resource name.
fn container_resource_divisor(
    resource: &str,
    divisor: &Node,
    at: &At,
    opts: &Options,
    o: &mut Out,
) {
    let divisor_at = at.child("divisor");
    let Some(d) = quantity_field::quantity(divisor, &divisor_at, opts, o) else {
        return;
    };
    if d.is_zero() {
        return;
    }
    const CPU: [&str; 2] = ["1m", "1"];
    const BYTES: [&str; 13] = [
        "1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei",
    ];
    const BYTES_LIST: &str = "1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei";
    let text = d.to_string();
    let text = text.as_str();
    match resource {
        "limits.cpu" | "requests.cpu" if !CPU.contains(&text) => o.invalid(
            &divisor_at,
            resource,
            "only divisor's values 1m and 1 are supported with the cpu resource",
        ),
        "limits.memory" | "requests.memory" if !BYTES.contains(&text) => o.invalid(
            &divisor_at,
            resource,
            format!("only divisor's values {BYTES_LIST} are supported with the memory resource"),
        ),
        "limits.ephemeral-storage" | "requests.ephemeral-storage" if !BYTES.contains(&text) => {
            o.invalid(
                &divisor_at,
                resource,
                format!(
                    "only divisor's values {BYTES_LIST} are supported with the local ephemeral storage resource"
                ),
            )
        }
        _ => {}
    }
    if (resource.starts_with("requests.hugepages-") || resource.starts_with("limits.hugepages-"))
        && !BYTES.contains(&text)
    {
        o.invalid(
            &divisor_at,
            resource,
            format!("only divisor's values {BYTES_LIST} are supported with the hugepages resource"),
        );
    }
}

/// `validateConfigMapKeySelector` / `validateSecretKeySelector` (identical).
fn key_selector(s: &Node, at: &At, o: &mut Out) {
    // NameIsDNSSubdomain(name, false), run on an empty name too.
    if let Some(name) = string(s, "name") {
        o.invalid_each(&at.child("name"), name, is_dns1123_subdomain(name));
    }
    if let Some(key) = string(s, "key") {
        if key.is_empty() {
            o.required(&at.child("key"), "");
        } else {
            o.invalid_each(&at.child("key"), key, is_config_map_key(key));
        }
    }
}

/// `validateFileKeySelector` at `<env>.valueFrom.fileKeyRef` (whether the volume exists and
/// is an emptyDir is `validateFileKeyRefVolumes`, in volumes.rs).
fn file_key_selector(s: &Node, at: &At, o: &mut Out) {
    if let Some(key) = string(s, "key") {
        if key.is_empty() {
            o.required(&at.child("key"), "");
        } else {
            o.invalid_each(&at.child("key"), key, is_relaxed_env_var_name(key));
        }
    }
    if let Some(volume) = string(s, "volumeName") {
        if volume.is_empty() {
            o.required(&at.child("volumeName"), "");
        } else {
            o.invalid_each(&at.child("volumeName"), volume, is_dns1123_label(volume));
        }
    }
    if let Some(path) = string(s, "path") {
        if path.is_empty() {
            o.required(&at.child("path"), "");
        } else if path.split('/').any(|part| part == "..") {
            // validatePathNoBacksteps: one error however many `..` there are.
            o.invalid(&at.child("path"), path, "must not contain '..'");
        }
    }
}

/// `NameIsDNSSubdomain(name, prefix=true)`: a trailing `-` is tolerated by `maskTrailingDash`,
/// which replaces the last two bytes with `a`.
fn dns_subdomain_prefix_errors(name: &str) -> Vec<String> {
    if name.len() > 1
        && let Some(rest) = name.strip_suffix('-')
    {
        let cut = rest.len() - 1;
        let masked = if rest.is_char_boundary(cut) {
            format!("{}a", &rest[..cut])
        } else {
            // Go cuts inside a multi-byte character, which fails the pattern in any case;
            // the same length and an invalid character keep the same messages.
            rest.to_string()
        };
        return is_dns1123_subdomain(&masked);
    }
    is_dns1123_subdomain(name)
}

/// `ValidateEnvFrom` at `<container>.envFrom`.
fn env_from(c: &Node, at: &At, opts: &Options, o: &mut Out) {
    let list_at = at.child("envFrom");
    for (k, e) in c.field("envFrom").items().iter().enumerate() {
        if !e.is_object() {
            continue;
        }
        let e_at = list_at.index(k);
        if let Some(prefix) = string(e, "prefix").filter(|p| !p.is_empty()) {
            o.invalid_each(
                &e_at.child("prefix"),
                prefix,
                env_var_name_errors(prefix, opts),
            );
        }
        let mut sources = 0;
        for key in ["configMapRef", "secretRef"] {
            let Some(source) = object(e, key) else {
                continue;
            };
            sources += 1;
            let source_at = e_at.child(key);
            if let Some(name) = string(source, "name") {
                if name.is_empty() {
                    o.required(&source_at.child("name"), "");
                } else {
                    o.invalid_each(
                        &source_at.child("name"),
                        name,
                        dns_subdomain_prefix_errors(name),
                    );
                }
            }
        }
        // At the list, not the entry.
        if sources == 0 {
            o.invalid(
                &list_at,
                "",
                "must specify one of: `configMapRef` or `secretRef`",
            );
        } else if sources > 1 {
            o.invalid(
                &list_at,
                "",
                "may not have more than one field specified at a time",
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Resources.

/// `ValidateContainerResourceName` (= `validateResourceName` plus the container rules).
fn container_resource_name(name: &str, at: &At, o: &mut Out) {
    // The usual names pass every check; skip the work.
    if matches!(name, "cpu" | "memory" | "ephemeral-storage") {
        return;
    }
    let qualified = is_qualified_name(name);
    let qualified_ok = qualified.is_empty();
    for m in qualified {
        o.invalid(at, Typed(name), m);
    }
    let bare = !name.contains('/');
    if qualified_ok && bare && !is_standard_resource_name(name) {
        o.invalid(
            at,
            Typed(name),
            "must be a standard resource type or fully qualified",
        );
    }
    if bare {
        if !is_standard_container_resource_name(name) {
            o.invalid(
                at,
                Typed(name),
                "must be a standard resource for containers",
            );
        }
    } else if !is_native_resource(name) && !is_extended_resource_name(name) {
        o.invalid(
            at,
            Typed(name),
            "doesn't follow extended resource name standard",
        );
    }
}

/// `ValidateResourceQuantityValue`.
fn resource_quantity_value(name: &str, q: &Quantity, at: &At, o: &mut Out) {
    if q.is_negative() {
        o.invalid(at, q.to_string(), "must be greater than or equal to 0");
    }
    // MilliValue wraps around in Go beyond 2^63 milli-units (and its result then depends on
    // how the quantity was parsed); such values are accepted here.
    if is_integer_resource_name(name)
        && let Some(milli) = q.milli_value()
        && milli % 1000 != 0
    {
        o.invalid(at, q.to_string(), "must be an integer");
    }
}

/// `validateResourceQuantityHugePageValue`.
fn huge_page_value(name: &str, q: &Quantity, at: &At, opts: &Options, o: &mut Out) {
    if !is_huge_page_resource(name)
        || opts.allow_indivisible_huge_pages_values
        || is_huge_page_value_divisible(name, q)
    {
        return;
    }
    o.invalid(
        at,
        q.to_string(),
        format!("{q} is not positive integer multiple of {name}"),
    );
}

/// `SetDefaults_ResourceList`: every quantity of `limits` and `requests` is rounded up (away
/// from zero) to milli-units before validation, `RoundUp(-3)`. A quantity that needs no
/// rounding keeps its text; a rounded one prints canonically.
fn round_up_milli(q: Quantity) -> Quantity {
    let (_, exponent) = q.magnitude_size();
    if q.is_zero() || exponent >= -3 {
        return q;
    }
    // Beyond 2^63 milli-units: kept unrounded (sub-milli digits on such a number change
    // nothing that is checked).
    let Some(milli) = q.milli_value() else {
        return q;
    };
    let text = match q.format() {
        Format::DecimalExponent => format!("{milli}e-3"),
        Format::BinarySi if milli % 1000 == 0 && (milli / 1000).unsigned_abs() >= 1024 => {
            // An integer again: keep the binary notation Go prints it with.
            let mut v = milli / 1000;
            let mut suffix = "";
            for s in ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"] {
                if v % 1024 != 0 {
                    break;
                }
                v /= 1024;
                suffix = s;
            }
            format!("{v}{suffix}")
        }
        _ => format!("{milli}m"),
    };
    Quantity::parse(&text).unwrap_or(q)
}

/// A `ResourceList` value: a quantity (rounded as defaulting does), `null` being Go's zero
/// quantity; `None` when it does not parse (reported by [`quantity_field::quantity`]).
fn resource_quantity(v: &Node, at: &At, opts: &Options, o: &mut Out) -> Option<Quantity> {
    if v.is_null() {
        return Quantity::parse("0").ok();
    }
    quantity_field::quantity(v, at, opts, o).map(round_up_milli)
}

/// Calls `f` with each entry of a `ResourceList` object as Go's map holds it: a key given
/// twice keeps its last value.
fn each_resource<'a, 'n>(list: &'a Node<'n>, mut f: impl FnMut(&'a str, &'a Node<'n>)) {
    let Some(obj) = list.as_object() else {
        return;
    };
    if obj.len() <= 4 * SMALL {
        for (k, v) in obj.iter() {
            if obj.get(k).is_some_and(|last| std::ptr::eq(last, v)) {
                f(k, v);
            }
        }
    } else {
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(obj.len());
        for (i, k) in obj.keys().enumerate() {
            last.insert(k, i);
        }
        for (i, (k, v)) in obj.iter().enumerate() {
            if last.get(k) == Some(&i) {
                f(k, v);
            }
        }
    }
}

/// `validateResourceRequirements` with `ValidateContainerResourceName`, at `at`
/// (`<container>.resources`).
fn requirements(
    limits: &Node,
    requests: &Node,
    claims: &Node,
    claim_names: &ClaimNames,
    at: &At,
    opts: &Options,
    o: &mut Out,
) {
    let lim_at = at.child("limits");
    let req_at = at.child("requests");
    let mut lim_cpu_or_memory = false;
    let mut req_cpu_or_memory = false;
    let mut lim_huge_pages = false;
    let mut req_huge_pages = false;
    let compare = requests.as_object().is_some_and(|r| !r.is_empty());
    // The limits, kept for the request checks (with an index when there are many).
    let mut parsed: Vec<(&str, Option<Quantity>)> = Vec::new();
    each_resource(limits, |name, v| {
        let l_at = lim_at.key(name);
        container_resource_name(name, &l_at, o);
        let q = resource_quantity(v, &l_at, opts, o);
        if let Some(q) = &q {
            resource_quantity_value(name, q, &l_at, o);
        }
        if is_huge_page_resource(name) {
            lim_huge_pages = true;
            if let Some(q) = &q {
                huge_page_value(name, q, &l_at, opts, o);
            }
        }
        if matches!(name, "cpu" | "memory") {
            lim_cpu_or_memory = true;
        }
        if compare {
            parsed.push((name, q));
        }
    });
    let index: HashMap<&str, usize> = if parsed.len() > SMALL {
        parsed
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (*n, i))
            .collect()
    } else {
        HashMap::new()
    };
    let limit_of = |name: &str| -> Option<&Option<Quantity>> {
        if index.is_empty() {
            parsed.iter().find(|(n, _)| *n == name).map(|(_, q)| q)
        } else {
            index.get(name).and_then(|i| parsed.get(*i)).map(|(_, q)| q)
        }
    };
    each_resource(requests, |name, v| {
        let r_at = req_at.key(name);
        container_resource_name(name, &r_at, o);
        let q = resource_quantity(v, &r_at, opts, o);
        if let Some(q) = &q {
            resource_quantity_value(name, q, &r_at, o);
        }
        match limit_of(name) {
            Some(limit) => {
                if let (Some(q), Some(limit)) = (&q, limit) {
                    let order = q.compare(limit);
                    if order != Ordering::Equal && !is_overcommit_allowed(name) {
                        o.invalid(
                            &req_at,
                            q.to_string(),
                            format!("must be equal to {name} limit of {limit}"),
                        );
                    } else if order == Ordering::Greater {
                        o.invalid(
                            &req_at,
                            q.to_string(),
                            format!("must be less than or equal to {name} limit of {limit}"),
                        );
                    }
                }
            }
            None => {
                if !is_overcommit_allowed(name) {
                    o.required(
                        &lim_at,
                        "Limit must be set for non overcommitable resources",
                    );
                }
            }
        }
        if is_huge_page_resource(name) {
            req_huge_pages = true;
            if let Some(q) = &q {
                huge_page_value(name, q, &r_at, opts, o);
            }
        }
        if matches!(name, "cpu" | "memory") {
            req_cpu_or_memory = true;
        }
    });
    if !lim_cpu_or_memory && !req_cpu_or_memory && (req_huge_pages || lim_huge_pages) {
        o.forbidden(at, "HugePages require cpu or memory");
    }
    resource_claim_names(claims, claim_names, &at.child("claims"), o);
}

/// `validateResourceClaimNames` at `<container>.resources.claims`.
fn resource_claim_names(claims: &Node, claim_names: &ClaimNames, at: &At, o: &mut Out) {
    let list = claims.items();
    if list.is_empty() {
        return;
    }
    // Go keeps a set of `name` and `name/request` keys; a reference to a whole claim
    // conflicts with every earlier `name/…` key, counted here per name prefix.
    let mut keys: HashSet<String> = HashSet::new();
    let mut requests_per_claim: HashMap<String, usize> = HashMap::new();
    for (k, claim) in list.iter().enumerate() {
        let c_at = at.index(k);
        let Some(name) = string(claim, "name") else {
            continue;
        };
        if name.is_empty() {
            o.required(&c_at, "");
            continue;
        }
        let request = string(claim, "request").unwrap_or("");
        if keys.contains(name) {
            // All requests of that claim already referenced.
            o.duplicate(&c_at, name);
        } else {
            let mut key = name.to_string();
            if !request.is_empty() {
                let r_at = c_at.child("request");
                o.invalid_each(&r_at, request, is_dns1123_label(request));
                key.push('/');
                key.push_str(request);
            }
            if keys.contains(&key) {
                o.duplicate(&c_at, key.as_str());
            } else if request.is_empty() {
                let overlapping = requests_per_claim.get(name).copied().unwrap_or(0);
                for _ in 0..overlapping {
                    o.duplicate(&c_at, name);
                }
            }
            if !keys.contains(&key) {
                if let Some((head, _)) = key.split_once('/') {
                    *requests_per_claim.entry(head.to_string()).or_default() += 1;
                }
                keys.insert(key);
            }
        }
        if !claim_names.contains(name) {
            let detail = if claim_names.is_empty() {
                "must be one of the names in pod.spec.resourceClaims which is empty".to_string()
            } else {
                format!(
                    "must be one of the names in pod.spec.resourceClaims: {}",
                    claim_names.listing()
                )
            };
            o.add(&c_at, format!("Not found: {}: {detail}", Quoted(name)));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Resize and restart policies.

/// `validateResizePolicy` at `<container>.resizePolicy` (most errors at the list path).
fn resize_policy(c: &Node, at: &At, pod: &Pod, o: &mut Out) {
    let list_at = at.child("resizePolicy");
    let mut seen = Seen::new();
    for (j, p) in c.field("resizePolicy").items().iter().enumerate() {
        let (Some(resource), Some(policy)) =
            (string(p, "resourceName"), string(p, "restartPolicy"))
        else {
            continue;
        };
        if !seen.insert(resource) {
            o.duplicate(&list_at.index(j), Typed(resource));
        }
        match resource {
            "cpu" | "memory" => {}
            "" => o.required(&list_at, ""),
            _ => o.not_supported(&list_at, Typed(resource), &["cpu", "memory"]),
        }
        match policy {
            "NotRequired" | "RestartContainer" => {}
            "" => o.required(&list_at, ""),
            _ => o.not_supported(
                &list_at,
                Typed(policy),
                &["NotRequired", "RestartContainer"],
            ),
        }
        if pod.restart_policy == "Never" && policy != "NotRequired" {
            o.invalid(
                &list_at,
                Typed(policy),
                "must be 'NotRequired' when pod `restartPolicy` is 'Never'",
            );
        }
    }
}

/// `validateContainerRestartPolicy` for the container at `at`.
fn container_restart_policy(c: &Node, at: &At, opts: &Options, o: &mut Out) {
    let policy = string_ptr(c, "restartPolicy");
    let rules = c.field("restartPolicyRules").items();
    let policy_at = at.child("restartPolicy");
    match policy {
        None if rules.is_empty() => return,
        None => o.required(
            &policy_at,
            "must specify restartPolicy when restart rules are used",
        ),
        Some("Always" | "Never" | "OnFailure") => {}
        Some(p) => o.not_supported(&policy_at, Typed(p), &["Always", "Never", "OnFailure"]),
    }
    let rules_at = at.child("restartPolicyRules");
    if rules.len() > 20 {
        o.too_many(&rules_at, rules.len(), 20);
    }
    let actions: &[&str] = if opts.allow_restart_all_containers {
        &["Restart", "RestartAllContainers"]
    } else {
        &["Restart"]
    };
    for (k, rule) in rules.iter().enumerate() {
        let r_at = rules_at.index(k);
        if let Some(action) = string(rule, "action")
            && !actions.contains(&action)
        {
            o.not_supported(&r_at.child("action"), Typed(action), actions);
        }
        let codes_at = r_at.child("exitCodes");
        match object(rule, "exitCodes") {
            Some(codes) => {
                if let Some(op) = string(codes, "operator")
                    && !matches!(op, "In" | "NotIn")
                {
                    o.not_supported(&codes_at.child("operator"), Typed(op), &["In", "NotIn"]);
                }
                let values = codes.field("values").items();
                if values.len() > 255 {
                    o.too_many(&codes_at.child("values"), values.len(), 255);
                }
            }
            None => o.required(&codes_at, "must be specified"),
        }
    }
}

/// `validateInitContainerRestartPolicy` for the init container at `at`.
fn init_restart_policy(c: &Node, at: &At, opts: &Options, o: &mut Out) {
    let Some(policy) = string_ptr(c, "restartPolicy") else {
        if !c.field("restartPolicyRules").items().is_empty() {
            o.required(
                &at.child("restartPolicy"),
                "must specify restartPolicy when restart rules are used",
            );
        }
        return;
    };
    if opts.allow_container_restart_policy_rules {
        if policy == "Always" && !opts.allow_restart_all_containers {
            if !c.field("restartPolicyRules").items().is_empty() {
                o.forbidden(
                    &at.child("restartPolicyRules"),
                    "restartPolicyRules are not allowed for init containers with restart policy Always",
                );
            }
        } else {
            container_restart_policy(c, at, opts, o);
        }
    } else if policy != "Always" {
        o.not_supported(&at.child("restartPolicy"), Typed(policy), &["Always"]);
    }
}

// ---------------------------------------------------------------------------------------
// Probes and lifecycle handlers.

#[derive(Clone, Copy, PartialEq, Eq)]
enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

/// The handler kinds of a probe and of a lifecycle hook, in `validateHandler`'s order
/// (`handlerFromProbe` has no sleep, `handlerFromLifecycle` no grpc).
const PROBE_HANDLERS: [&str; 4] = ["exec", "httpGet", "tcpSocket", "grpc"];
const LIFECYCLE_HANDLERS: [&str; 4] = ["exec", "httpGet", "tcpSocket", "sleep"];

/// The container's lifecycle as validation sees it: `stopSignal` is dropped before validation
/// (gate ContainerStopSignals off in 1.37) and a lifecycle left empty by that becomes nil.
fn lifecycle_of<'a, 'n>(c: &'a Node<'n>) -> Option<&'a Node<'n>> {
    let lc = object(c, "lifecycle")?;
    let only_stop_signal = lc.get("stopSignal").is_some_and(|s| !s.is_null())
        && object(lc, "postStart").is_none()
        && object(lc, "preStop").is_none();
    (!only_stop_signal).then_some(lc)
}

/// `validateLivenessProbe`, `validateReadinessProbe` and `validateStartupProbe`.
fn probes(c: &Node, at: &At, pod: &Pod, o: &mut Out) {
    for (key, kind) in [
        ("livenessProbe", ProbeKind::Liveness),
        ("readinessProbe", ProbeKind::Readiness),
        ("startupProbe", ProbeKind::Startup),
    ] {
        if let Some(p) = object(c, key) {
            probe(p, &at.child(key), kind, pod, o);
        }
    }
}

/// `validateProbe` and the per-kind rules.
fn probe(p: &Node, at: &At, kind: ProbeKind, pod: &Pod, o: &mut Out) {
    handler(p, at, pod.grace_period, &PROBE_HANDLERS, o);
    // SetDefaults_Probe turns a 0 timeout, period, success or failure threshold into 1, 10,
    // 1, 3; negative values stay.
    for key in [
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ] {
        if let Some(v) = int32(p, key)
            && v < 0
        {
            o.invalid(&at.child(key), v, "must be greater than or equal to 0");
        }
    }
    let grace = int64_ptr(p, "terminationGracePeriodSeconds");
    if let Some(g) = grace
        && g <= 0
    {
        o.invalid(
            &at.child("terminationGracePeriodSeconds"),
            g,
            "must be greater than 0",
        );
    }
    match kind {
        ProbeKind::Liveness | ProbeKind::Startup => {
            if let Some(s) = int32(p, "successThreshold") {
                let s = if s == 0 { 1 } else { s };
                if s != 1 {
                    o.invalid(&at.child("successThreshold"), s, "must be 1");
                }
            }
        }
        ProbeKind::Readiness => {
            if let Some(g) = grace {
                o.invalid(
                    &at.child("terminationGracePeriodSeconds"),
                    g,
                    "must not be set for readinessProbes",
                );
            }
        }
    }
}

/// `validateHandler`: exactly one handler; the first is validated, later ones are refused.
fn handler(h: &Node, at: &At, grace_period: Option<i64>, kinds: &[&str], o: &mut Out) {
    let mut count = 0;
    for kind in kinds {
        let Some(action) = object(h, kind) else {
            continue;
        };
        let k_at = at.child(kind);
        if count > 0 {
            o.forbidden(&k_at, "may not specify more than 1 handler type");
            continue;
        }
        count += 1;
        match *kind {
            "exec" => {
                let empty = match action.get("command") {
                    None | Some(Node::Null) => true,
                    Some(Node::Array(a)) => a.is_empty(),
                    Some(_) => false,
                };
                if empty {
                    o.required(&k_at.child("command"), "");
                }
            }
            "httpGet" => http_get(action, &k_at, o),
            "tcpSocket" => port_num_or_name(action.field("port"), &k_at.child("port"), o),
            "grpc" => {
                if let Some(port) = int32(action, "port") {
                    for m in is_valid_port_num(port) {
                        o.invalid(&k_at.child("port"), port, m);
                    }
                }
            }
            "sleep" => {
                // validateSleepAction: the bound is inclusive despite the wording.
                if let (Some(grace), Some(seconds)) = (grace_period, int64(action, "seconds"))
                    && (seconds < 0 || seconds > grace)
                {
                    o.invalid(
                        &k_at,
                        seconds,
                        format!(
                            "must be non-negative and less than terminationGracePeriodSeconds ({grace})"
                        ),
                    );
                }
            }
            _ => {}
        }
    }
    if count == 0 {
        o.required(at, "must specify a handler type");
    }
}

/// `validateHTTPGetAction`. SetDefaults_HTTPGetAction fills an empty path (`/`) and scheme
/// (`HTTP`); `protocol` is dropped before validation (gate H2CContainerProbe off in 1.37).
fn http_get(action: &Node, at: &At, o: &mut Out) {
    port_num_or_name(action.field("port"), &at.child("port"), o);
    if let Some(scheme) = string(action, "scheme")
        && !matches!(scheme, "" | "HTTP" | "HTTPS")
    {
        o.not_supported(&at.child("scheme"), Typed(scheme), &["HTTP", "HTTPS"]);
    }
    // At the list path, unindexed.
    let headers_at = at.child("httpHeaders");
    for header in action.field("httpHeaders").items() {
        if !header.is_object() {
            continue;
        }
        if let Some(name) = string(header, "name") {
            o.invalid_each(&headers_at, name, is_http_header_name(name));
        }
    }
}

/// `ValidatePortNumOrName` of an `IntOrString` (null is the integer 0).
fn port_num_or_name(port: &Node, at: &At, o: &mut Out) {
    match port {
        Node::Null => {
            for m in is_valid_port_num(0) {
                o.invalid(at, 0i64, m);
            }
        }
        Node::Number(_) => {
            if let Some(v) = port.as_i64().filter(|v| i32::try_from(*v).is_ok()) {
                for m in is_valid_port_num(v) {
                    o.invalid(at, v, m);
                }
            }
        }
        Node::String(s) => o.invalid_each(at, s, is_valid_port_name(s)),
        _ => {}
    }
}

/// `validateLifecycle` (`stopSignal` is dropped before validation in 1.37 and not read).
fn lifecycle(lc: &Node, at: &At, pod: &Pod, o: &mut Out) {
    for key in ["postStart", "preStop"] {
        if let Some(h) = object(lc, key) {
            handler(h, &at.child(key), pod.grace_period, &LIFECYCLE_HANDLERS, o);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Security context.

/// `ValidateSecurityContext` at `<container>.securityContext`.
fn security_context(sc: &Node, at: &At, pod: &Pod, o: &mut Out) {
    // `privileged: true` is refused only when the API server runs with
    // `--allow-privileged=false`; dsguard assumes it is true, as kubeadm, kind and the managed
    // clusters set it, so the check is not made.
    if let Some(uid) = int64_ptr(sc, "runAsUser") {
        for m in is_valid_user_id(uid) {
            o.invalid(&at.child("runAsUser"), uid, m);
        }
    }
    if let Some(gid) = int64_ptr(sc, "runAsGroup") {
        for m in is_valid_group_id(gid) {
            o.invalid(&at.child("runAsGroup"), gid, m);
        }
    }
    if let Some(proc_mount) = string_ptr(sc, "procMount") {
        let pm_at = at.child("procMount");
        if !matches!(proc_mount, "Default" | "Unmasked") {
            o.not_supported(&pm_at, Typed(proc_mount), &["Default", "Unmasked"]);
        }
        if pod.host_users && proc_mount == "Unmasked" {
            o.invalid(
                &pm_at,
                Typed(proc_mount),
                "`hostUsers` must be false to use `Unmasked`",
            );
        }
    }
    if let Some(profile) = object(sc, "seccompProfile") {
        security::seccomp_profile_field(profile, &at.child("seccompProfile"), o);
    }
    if bool_ptr(sc, "allowPrivilegeEscalation") == Some(false) {
        if bool_ptr(sc, "privileged") == Some(true) {
            o.invalid(
                at,
                Raw(go_json_security_context(sc)),
                "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
            );
        }
        if !pod.opts.allow_sys_admin_when_privilege_escalation_false
            && let Some(caps) = object(sc, "capabilities")
        {
            for cap in caps.field("add").items() {
                if cap.as_str() == Some("CAP_SYS_ADMIN") {
                    o.invalid(
                        at,
                        Raw(go_json_security_context(sc)),
                        "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
                    );
                }
            }
        }
    }
    if let Some(options) = object(sc, "windowsOptions") {
        security::windows_options(options, &at.child("windowsOptions"), o);
    }
    if let Some(profile) = object(sc, "appArmorProfile") {
        security::apparmor_profile_field(profile, &at.child("appArmorProfile"), o);
    }
}

/// The bad value of the allowPrivilegeEscalation errors: Go passes the internal
/// `*core.SecurityContext`, which has no json tags, so `json.Marshal` writes Go's field
/// names in declaration order (the order is the internal type's; not checked against a live
/// server).
fn go_json_security_context(sc: &Node) -> String {
    let mut s = String::from("{\"Capabilities\":");
    match object(sc, "capabilities") {
        Some(caps) => {
            s.push_str("{\"Add\":");
            json_string_list(&mut s, caps.get("add"));
            s.push_str(",\"Drop\":");
            json_string_list(&mut s, caps.get("drop"));
            s.push('}');
        }
        None => s.push_str("null"),
    }
    s.push_str(",\"Privileged\":");
    json_bool(&mut s, sc, "privileged");
    s.push_str(",\"SELinuxOptions\":");
    match object(sc, "seLinuxOptions") {
        Some(se) => {
            for (i, (go, key)) in [
                ("User", "user"),
                ("Role", "role"),
                ("Type", "type"),
                ("Level", "level"),
            ]
            .into_iter()
            .enumerate()
            {
                s.push_str(if i == 0 { "{" } else { "," });
                let _ = write!(s, "\"{go}\":");
                let _ = write_go_json_string(&mut s, string(se, key).unwrap_or(""));
            }
            s.push('}');
        }
        None => s.push_str("null"),
    }
    s.push_str(",\"WindowsOptions\":");
    match object(sc, "windowsOptions") {
        Some(w) => {
            s.push_str("{\"GMSACredentialSpecName\":");
            json_string_ptr(&mut s, w, "gmsaCredentialSpecName");
            s.push_str(",\"GMSACredentialSpec\":");
            json_string_ptr(&mut s, w, "gmsaCredentialSpec");
            s.push_str(",\"RunAsUserName\":");
            json_string_ptr(&mut s, w, "runAsUserName");
            s.push_str(",\"HostProcess\":");
            json_bool(&mut s, w, "hostProcess");
            s.push('}');
        }
        None => s.push_str("null"),
    }
    for (go, key) in [("RunAsUser", "runAsUser"), ("RunAsGroup", "runAsGroup")] {
        let _ = write!(s, ",\"{go}\":");
        match int64_ptr(sc, key) {
            Some(v) => {
                let _ = write!(s, "{v}");
            }
            None => s.push_str("null"),
        }
    }
    for (go, key) in [
        ("RunAsNonRoot", "runAsNonRoot"),
        ("ReadOnlyRootFilesystem", "readOnlyRootFilesystem"),
        ("AllowPrivilegeEscalation", "allowPrivilegeEscalation"),
    ] {
        let _ = write!(s, ",\"{go}\":");
        json_bool(&mut s, sc, key);
    }
    s.push_str(",\"ProcMount\":");
    json_string_ptr(&mut s, sc, "procMount");
    for (go, key) in [
        ("SeccompProfile", "seccompProfile"),
        ("AppArmorProfile", "appArmorProfile"),
    ] {
        let _ = write!(s, ",\"{go}\":");
        match object(sc, key) {
            Some(p) => {
                s.push_str("{\"Type\":");
                let _ = write_go_json_string(&mut s, string(p, "type").unwrap_or(""));
                s.push_str(",\"LocalhostProfile\":");
                json_string_ptr(&mut s, p, "localhostProfile");
                s.push('}');
            }
            None => s.push_str("null"),
        }
    }
    s.push('}');
    s
}

fn json_bool(s: &mut String, n: &Node, key: &str) {
    match bool_ptr(n, key) {
        Some(b) => {
            let _ = write!(s, "{b}");
        }
        None => s.push_str("null"),
    }
}

fn json_string_ptr(s: &mut String, n: &Node, key: &str) {
    match string_ptr(n, key) {
        Some(v) => {
            let _ = write_go_json_string(s, v);
        }
        None => s.push_str("null"),
    }
}

fn json_string_list(s: &mut String, list: Option<&Node>) {
    match list.and_then(Node::as_array) {
        Some(items) => {
            s.push('[');
            for (i, v) in items.iter().filter_map(Node::as_str).enumerate() {
                if i > 0 {
                    s.push(',');
                }
                let _ = write_go_json_string(s, v);
            }
            s.push(']');
        }
        None => s.push_str("null"),
    }
}

/// `IsRestartableInitContainer`: `restartPolicy: Always`.
pub(crate) fn is_sidecar(c: &Node) -> bool {
    string_ptr(c, "restartPolicy") == Some("Always")
}

/// `hasSysAdminAndPrivilegeEscalationFalse`: `CAP_SYS_ADMIN` added and
/// `allowPrivilegeEscalation` not `true`.
pub(crate) fn sys_admin_without_privilege_escalation(c: &Node) -> bool {
    let sc = c.field("securityContext");
    bool_ptr(sc, "allowPrivilegeEscalation") != Some(true)
        && sc
            .field("capabilities")
            .field("add")
            .items()
            .iter()
            .any(|cap| cap.as_str() == Some("CAP_SYS_ADMIN"))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::policy::pod::testutil::{check_rows, pod_errors};

    const S: &str = "spec.template.spec.";

    /// A pod spec with one container `c` (image busybox:1.36) merged with `fields`.
    fn ctr(fields: Value) -> Value {
        let mut c = json!({"name": "c", "image": "busybox:1.36"});
        if let (Value::Object(m), Value::Object(f)) = (&mut c, fields) {
            m.extend(f);
        }
        json!({"containers": [c]})
    }

    /// `spec.template.spec.` + `rest`.
    fn s(rest: &str) -> String {
        format!("{S}{rest}")
    }

    fn rows_with_prefix(rows: Vec<(Value, Vec<String>, &str)>) {
        // check_rows takes &str lines; keep the Strings alive while it runs.
        let owned: Vec<(Value, Vec<String>, String)> = rows
            .into_iter()
            .map(|(v, l, w)| (v, l, w.to_string()))
            .collect();
        let borrowed: Vec<(Value, Vec<&str>, &str)> = owned
            .iter()
            .map(|(v, l, w)| {
                (
                    v.clone(),
                    l.iter().map(String::as_str).collect(),
                    w.as_str(),
                )
            })
            .collect();
        check_rows(borrowed);
    }

    const DNS_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    const ENV_NAME_MSG: &str = "a valid environment variable name must consist only of printable ASCII characters other than '='";
    const NAME_PART_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    const CONFIG_KEY_MSG: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
    const HEADER_MSG: &str = "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')";
    const ENV_PATHS_LIST: &str = "\"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\"";
    const BYTES: &str = "1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei";

    #[test]
    fn names_and_images() {
        let long63 = "a".repeat(63);
        let long64 = "a".repeat(64);
        rows_with_prefix(vec![
            (
                json!({"containers": [{"image": "nginx"}]}),
                vec![s("containers[0].name: Required value")],
                "name missing",
            ),
            (
                json!({"containers": [{"name": "c-1", "image": "nginx"}]}),
                vec![],
                "name ok",
            ),
            (
                ctr(json!({"name": "My_C"})),
                vec![s(&format!(
                    "containers[0].name: Invalid value: \"My_C\": {DNS_LABEL_MSG}"
                ))],
                "name not a DNS label",
            ),
            (
                ctr(json!({"name": "a.b"})),
                vec![s(
                    "containers[0].name: Invalid value: \"a.b\": must not contain dots",
                )],
                "name with dots",
            ),
            (
                ctr(json!({"name": long64.clone()})),
                vec![s(&format!(
                    "containers[0].name: Invalid value: \"{long64}\": must be no more than 63 characters"
                ))],
                "name too long",
            ),
            (ctr(json!({"name": long63})), vec![], "63 characters ok"),
            (
                json!({"containers": [{"name": "c", "image": "b"}, {"name": "c", "image": "b"}]}),
                vec![s("containers[1].name: Duplicate value: \"c\"")],
                "duplicate regular names",
            ),
            (
                json!({"containers": [{"image": "b"}, {"image": "b"}]}),
                vec![
                    s("containers[0].name: Required value"),
                    s("containers[1].name: Required value"),
                    s("containers[1].name: Duplicate value: \"\""),
                ],
                "two nameless containers",
            ),
            (
                json!({"initContainers": [{"name": "c", "image": "busybox"}]}),
                vec![s("initContainers[0].name: Duplicate value: \"c\"")],
                "init name clashes with a regular name",
            ),
            (
                json!({"initContainers": [{"name": "init", "image": "busybox"}]}),
                vec![],
                "init name ok",
            ),
            (
                json!({"initContainers": [{"name": "i", "image": "b"}, {"name": "i", "image": "b"}]}),
                vec![s("initContainers[1].name: Duplicate value: \"i\"")],
                "duplicate init names",
            ),
            (
                json!({"containers": []}),
                vec![s("containers: Required value")],
                "no containers",
            ),
            (
                json!({"containers": [{"name": "c"}]}),
                vec![s("containers[0].image: Required value")],
                "no image",
            ),
            (
                json!({"containers": [{"name": "c", "image": " nginx "}]}),
                vec![],
                "image whitespace is Pod-only",
            ),
            (
                ctr(json!({"imagePullPolicy": "Sometimes"})),
                vec![s(
                    "containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"",
                )],
                "pull policy",
            ),
            (
                ctr(json!({"imagePullPolicy": ""})),
                vec![],
                "pull policy defaulted",
            ),
            (
                ctr(json!({"imagePullPolicy": "Never"})),
                vec![],
                "pull policy Never",
            ),
            (
                ctr(json!({"terminationMessagePolicy": "Foo"})),
                vec![s(
                    "containers[0].terminationMessagePolicy: Unsupported value: \"Foo\": supported values: \"File\", \"FallbackToLogsOnError\"",
                )],
                "termination message policy",
            ),
            (
                ctr(
                    json!({"terminationMessagePolicy": "FallbackToLogsOnError", "terminationMessagePath": "relative/../x"}),
                ),
                vec![],
                "termination message path not validated",
            ),
            (
                ctr(json!({"imagePullPolicy": "<Always>"})),
                vec![s(
                    "containers[0].imagePullPolicy: Unsupported value: \"\\u003cAlways\\u003e\": supported values: \"Always\", \"IfNotPresent\", \"Never\"",
                )],
                "typed values print as JSON",
            ),
        ]);
    }

    #[test]
    fn ports() {
        rows_with_prefix(vec![
            (
                ctr(json!({"ports": [{}]})),
                vec![s("containers[0].ports[0].containerPort: Required value")],
                "containerPort missing",
            ),
            (
                ctr(json!({"ports": [{"containerPort": 70000}]})),
                vec![s(
                    "containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                )],
                "containerPort out of range",
            ),
            (
                ctr(json!({"ports": [{"containerPort": 65535}]})),
                vec![],
                "containerPort max",
            ),
            (
                ctr(json!({"ports": [{"containerPort": 80, "hostPort": -1}]})),
                vec![s(
                    "containers[0].ports[0].hostPort: Invalid value: -1: must be between 1 and 65535, inclusive",
                )],
                "hostPort negative",
            ),
            (
                ctr(json!({"ports": [{"containerPort": 80, "hostPort": 0}]})),
                vec![],
                "hostPort 0 is unset",
            ),
            (
                ctr(json!({"ports": [{"containerPort": 80, "protocol": "tcp"}]})),
                vec![s(
                    "containers[0].ports[0].protocol: Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                )],
                "protocol is case-sensitive",
            ),
            (
                ctr(json!({"ports": [{"containerPort": 80, "protocol": "SCTP"}]})),
                vec![],
                "SCTP",
            ),
            (
                ctr(json!({"ports": [{"containerPort": 80, "name": "HTTP"}]})),
                vec![
                    s(
                        "containers[0].ports[0].name: Invalid value: \"HTTP\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                    ),
                    s(
                        "containers[0].ports[0].name: Invalid value: \"HTTP\": must contain at least one letter (a-z)",
                    ),
                ],
                "port name",
            ),
            (
                ctr(
                    json!({"ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 81, "name": "http"}]}),
                ),
                vec![s("containers[0].ports[1].name: Duplicate value: \"http\"")],
                "duplicate port names",
            ),
            (
                json!({"containers": [
                    {"name": "c", "image": "b", "ports": [{"containerPort": 80, "name": "http"}]},
                    {"name": "d", "image": "b", "ports": [{"containerPort": 81, "name": "http"}]}]}),
                vec![],
                "port names are per container",
            ),
            (
                ctr(
                    json!({"ports": [{"containerPort": 80, "name": "H"}, {"containerPort": 81, "name": "H"}]}),
                ),
                vec![
                    s(
                        "containers[0].ports[0].name: Invalid value: \"H\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                    ),
                    s(
                        "containers[0].ports[0].name: Invalid value: \"H\": must contain at least one letter (a-z)",
                    ),
                    s(
                        "containers[0].ports[1].name: Invalid value: \"H\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                    ),
                    s(
                        "containers[0].ports[1].name: Invalid value: \"H\": must contain at least one letter (a-z)",
                    ),
                ],
                "invalid port names are not tracked for duplicates",
            ),
            (
                json!({"containers": [
                    {"name": "c", "image": "b", "ports": [{"containerPort": 80, "hostPort": 8080}]},
                    {"name": "d", "image": "b", "ports": [{"containerPort": 80, "hostPort": 8080}]}]}),
                vec![s(
                    "containers[1].ports[0].hostPort: Duplicate value: \"TCP//8080\"",
                )],
                "host port conflict across containers",
            ),
            (
                json!({"containers": [
                    {"name": "c", "image": "b", "ports": [{"containerPort": 80, "hostPort": 8080}]},
                    {"name": "d", "image": "b", "ports": [{"containerPort": 80, "hostPort": 8080, "protocol": "UDP"}]}]}),
                vec![],
                "same host port, other protocol",
            ),
            (
                json!({"containers": [
                    {"name": "c", "image": "b", "ports": [{"containerPort": 80, "hostPort": 8080}]},
                    {"name": "d", "image": "b", "ports": [{"containerPort": 80, "hostPort": 8080, "hostIP": "10.0.0.1"}]}]}),
                vec![],
                "same host port, other host IP",
            ),
            (
                json!({"initContainers": [
                    {"name": "i1", "image": "b"},
                    {"name": "i2", "image": "b"},
                    {"name": "i3", "image": "b", "ports": [{"containerPort": 80, "hostPort": 80}, {"containerPort": 81, "hostPort": 80}]}]}),
                vec![s(
                    "initContainers[0].ports[1].hostPort: Duplicate value: \"TCP//80\"",
                )],
                "init host port conflict prints index 0",
            ),
            (
                json!({"initContainers": [
                    {"name": "i1", "image": "b", "ports": [{"containerPort": 80, "hostPort": 80}]},
                    {"name": "i2", "image": "b", "ports": [{"containerPort": 80, "hostPort": 80}]}],
                  "containers": [{"name": "c", "image": "b", "ports": [{"containerPort": 80, "hostPort": 80}]}]}),
                vec![],
                "init containers are checked one by one",
            ),
        ]);
    }

    #[test]
    fn env() {
        rows_with_prefix(vec![
            (
                ctr(json!({"env": [{"value": "x"}]})),
                vec![s("containers[0].env[0].name: Required value")],
                "env name missing",
            ),
            (
                ctr(json!({"env": [{"name": "A=B"}]})),
                vec![s(&format!(
                    "containers[0].env[0].name: Invalid value: \"A=B\": {ENV_NAME_MSG}"
                ))],
                "env name with =",
            ),
            (
                ctr(json!({"env": [{"name": "1 FOO.bar-$"}]})),
                vec![],
                "relaxed env name",
            ),
            (
                ctr(json!({"env": [{"name": "é\t"}]})),
                vec![s(&format!(
                    "containers[0].env[0].name: Invalid value: \"é\\t\": {ENV_NAME_MSG}"
                ))],
                "non-ASCII env name",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}),
                ),
                vec![s(
                    "containers[0].env[0].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty",
                )],
                "value and valueFrom",
            ),
            (
                ctr(json!({"env": [{"name": "A", "valueFrom": {}}]})),
                vec![s(
                    "containers[0].env[0].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`",
                )],
                "empty valueFrom",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}, "secretKeyRef": {"name": "s", "key": "k"}}}]}),
                ),
                vec![s(
                    "containers[0].env[0].valueFrom: Invalid value: \"\": may not have more than one field specified at a time",
                )],
                "two sources",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "value": ""}, {"name": "A", "value": "dup names ok"}]}),
                ),
                vec![],
                "empty value and duplicate names are fine",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "status.phase"}}}]}),
                ),
                vec![s(&format!(
                    "containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: \"status.phase\": supported values: {ENV_PATHS_LIST}"
                ))],
                "fieldRef path not for env",
            ),
            (
                ctr(json!({"env": [
                    {"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "spec.host"}}},
                    {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
                    {"name": "C", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIPs", "apiVersion": "v1"}}},
                    {"name": "D", "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['Example.com/Key']"}}}]})),
                vec![],
                "fieldRef paths ok",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.foo"}}}]}),
                ),
                vec![s(
                    "containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: \"metadata.foo\": error converting fieldPath: field label not supported: metadata.foo",
                )],
                "fieldRef path unknown",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"fieldRef": {"apiVersion": "v2", "fieldPath": "metadata.name"}}}]}),
                ),
                vec![s(
                    "containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: \"metadata.name\": error converting fieldPath: unsupported pod version: v2",
                )],
                "fieldRef apiVersion",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['a b']"}}}]}),
                ),
                vec![s(&format!(
                    "containers[0].env[0].valueFrom.fieldRef: Invalid value: \"a b\": {NAME_PART_MSG}"
                ))],
                "label subscript not a qualified name",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['']"}}}]}),
                ),
                vec![
                    s(
                        "containers[0].env[0].valueFrom.fieldRef: Invalid value: \"\": name part must be non-empty",
                    ),
                    s(&format!(
                        "containers[0].env[0].valueFrom.fieldRef: Invalid value: \"\": {NAME_PART_MSG}"
                    )),
                ],
                "empty label subscript",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['Example.com/A B']"}}}]}),
                ),
                vec![s(&format!(
                    "containers[0].env[0].valueFrom.fieldRef: Invalid value: \"example.com/a b\": {NAME_PART_MSG}"
                ))],
                "annotation subscript is checked lowercased",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName['x']"}}}]}),
                ),
                vec![s(
                    "containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: \"spec.nodeName['x']\": error converting fieldPath: field label does not support subscript: spec.nodeName['x']",
                )],
                "subscript on a plain field",
            ),
            (
                ctr(json!({"env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": ""}}}]})),
                vec![s(
                    "containers[0].env[0].valueFrom.fieldRef.fieldPath: Required value",
                )],
                "fieldPath empty",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"resourceFieldRef": {"resource": "limits.pods"}}}]}),
                ),
                vec![s(
                    "containers[0].env[0].valueFrom.resourceFieldRef.resource: Unsupported value: \"limits.pods\": supported values: \"limits.cpu\", \"limits.ephemeral-storage\", \"limits.memory\", \"requests.cpu\", \"requests.ephemeral-storage\", \"requests.memory\"",
                )],
                "resourceFieldRef resource",
            ),
            (
                ctr(json!({"env": [
                    {"name": "A", "valueFrom": {"resourceFieldRef": {"resource": "limits.hugepages-2Mi", "divisor": "1Mi"}}},
                    {"name": "B", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1000m"}}},
                    {"name": "C", "valueFrom": {"resourceFieldRef": {"resource": "requests.memory", "divisor": "1024Ki"}}},
                    {"name": "D", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Ki"}}},
                    {"name": "E", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "0.001"}}},
                    {"name": "F", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "0"}}}]})),
                vec![],
                "resourceFieldRef ok",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"resourceFieldRef": {"resource": ""}}}]}),
                ),
                vec![s(
                    "containers[0].env[0].valueFrom.resourceFieldRef.resource: Required value",
                )],
                "resourceFieldRef resource empty",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1k"}}}]}),
                ),
                vec![s(
                    "containers[0].env[0].valueFrom.resourceFieldRef.divisor: Invalid value: \"limits.cpu\": only divisor's values 1m and 1 are supported with the cpu resource",
                )],
                "cpu divisor",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1024"}}}]}),
                ),
                vec![s(&format!(
                    "containers[0].env[0].valueFrom.resourceFieldRef.divisor: Invalid value: \"limits.memory\": only divisor's values {BYTES} are supported with the memory resource"
                ))],
                "memory divisor",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"resourceFieldRef": {"resource": "requests.ephemeral-storage", "divisor": "1e3"}}}]}),
                ),
                vec![s(&format!(
                    "containers[0].env[0].valueFrom.resourceFieldRef.divisor: Invalid value: \"requests.ephemeral-storage\": only divisor's values {BYTES} are supported with the local ephemeral storage resource"
                ))],
                "ephemeral-storage divisor keeps e-notation",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"resourceFieldRef": {"resource": "requests.hugepages-1Gi", "divisor": "2"}}}]}),
                ),
                vec![s(&format!(
                    "containers[0].env[0].valueFrom.resourceFieldRef.divisor: Invalid value: \"requests.hugepages-1Gi\": only divisor's values {BYTES} are supported with the hugepages resource"
                ))],
                "hugepages divisor",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"key": "k"}}}]}),
                ),
                vec![s(&format!(
                    "containers[0].env[0].valueFrom.configMapKeyRef.name: Invalid value: \"\": {SUBDOMAIN_MSG}"
                ))],
                "configMapKeyRef without name",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "a.b_C-1"}}}]}),
                ),
                vec![],
                "configMapKeyRef ok",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": "a/b"}}}]}),
                ),
                vec![s(&format!(
                    "containers[0].env[0].valueFrom.secretKeyRef.key: Invalid value: \"a/b\": {CONFIG_KEY_MSG}"
                ))],
                "secretKeyRef key",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": ""}}}]}),
                ),
                vec![s(
                    "containers[0].env[0].valueFrom.secretKeyRef.key: Required value",
                )],
                "secretKeyRef key empty",
            ),
            (
                ctr(
                    json!({"env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": ".."}}}]}),
                ),
                vec![s(
                    "containers[0].env[0].valueFrom.secretKeyRef.key: Invalid value: \"..\": must not be '..'",
                )],
                "secretKeyRef key ..",
            ),
            (
                json!({"volumes": [{"name": "cfg", "emptyDir": {}}],
                       "containers": [{"name": "c", "image": "b", "env": [{"name": "A", "valueFrom": {"fileKeyRef": {"volumeName": "cfg", "path": "../x", "key": "A"}}}]}]}),
                vec![s(
                    "containers[0].env[0].valueFrom.fileKeyRef.path: Invalid value: \"../x\": must not contain '..'",
                )],
                "fileKeyRef path",
            ),
            (
                json!({"volumes": [{"name": "cfg", "emptyDir": {}}],
                       "containers": [{"name": "c", "image": "b", "env": [{"name": "A", "valueFrom": {"fileKeyRef": {"volumeName": "cfg", "path": "/abs/env", "key": "A B"}}}]}]}),
                vec![],
                "fileKeyRef ok",
            ),
            (
                json!({"volumes": [{"name": "cfg", "emptyDir": {}}],
                       "containers": [{"name": "c", "image": "b", "env": [{"name": "A", "valueFrom": {"fileKeyRef": {"volumeName": "cfg"}}}]}]}),
                vec![
                    s("containers[0].env[0].valueFrom.fileKeyRef.key: Required value"),
                    s("containers[0].env[0].valueFrom.fileKeyRef.path: Required value"),
                ],
                "fileKeyRef key and path required",
            ),
            (
                json!({"volumes": [{"name": "cfg", "emptyDir": {}}],
                       "containers": [{"name": "c", "image": "b", "env": [{"name": "A", "valueFrom": {"fileKeyRef": {"volumeName": "cfg", "path": "p", "key": "A=B"}}}]}]}),
                vec![s(&format!(
                    "containers[0].env[0].valueFrom.fileKeyRef.key: Invalid value: \"A=B\": {ENV_NAME_MSG}"
                ))],
                "fileKeyRef key",
            ),
            (
                json!({"volumes": [{"name": "Cfg", "emptyDir": {}}],
                       "containers": [{"name": "c", "image": "b", "env": [{"name": "A", "valueFrom": {"fileKeyRef": {"volumeName": "Cfg", "path": "p", "key": "A"}}}]}]}),
                vec![
                    // The volume name itself is volumes.rs's to refuse.
                    s(&format!(
                        "volumes[0].name: Invalid value: \"Cfg\": {DNS_LABEL_MSG}"
                    )),
                    s(&format!(
                        "containers[0].env[0].valueFrom.fileKeyRef.volumeName: Invalid value: \"Cfg\": {DNS_LABEL_MSG}"
                    )),
                ],
                "fileKeyRef volumeName",
            ),
            (
                ctr(json!({"envFrom": [{"prefix": "P_"}]})),
                vec![s(
                    "containers[0].envFrom: Invalid value: \"\": must specify one of: `configMapRef` or `secretRef`",
                )],
                "envFrom without source",
            ),
            (
                ctr(
                    json!({"envFrom": [{"configMapRef": {"name": "a"}, "secretRef": {"name": "b"}}]}),
                ),
                vec![s(
                    "containers[0].envFrom: Invalid value: \"\": may not have more than one field specified at a time",
                )],
                "envFrom two sources",
            ),
            (
                ctr(json!({"envFrom": [{"configMapRef": {"name": ""}}]})),
                vec![s(
                    "containers[0].envFrom[0].configMapRef.name: Required value",
                )],
                "envFrom name empty",
            ),
            (
                ctr(
                    json!({"envFrom": [{"configMapRef": {"name": "cfg-"}}, {"secretRef": {"name": "s"}, "prefix": "1 x."}]}),
                ),
                vec![],
                "trailing dash tolerated",
            ),
            (
                ctr(json!({"envFrom": [{"secretRef": {"name": "Bad_Name"}}]})),
                vec![s(&format!(
                    "containers[0].envFrom[0].secretRef.name: Invalid value: \"Bad_Name\": {SUBDOMAIN_MSG}"
                ))],
                "envFrom name not a subdomain",
            ),
            (
                ctr(json!({"envFrom": [{"prefix": "A=", "secretRef": {"name": "s"}}]})),
                vec![s(&format!(
                    "containers[0].envFrom[0].prefix: Invalid value: \"A=\": {ENV_NAME_MSG}"
                ))],
                "envFrom prefix",
            ),
        ]);
    }

    #[test]
    fn resources() {
        rows_with_prefix(vec![
            (
                ctr(json!({"resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}})),
                vec![s(
                    "containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1",
                )],
                "request above limit",
            ),
            (
                ctr(
                    json!({"resources": {"requests": {"cpu": "1000m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1024Mi"}}}),
                ),
                vec![],
                "request equal to limit",
            ),
            (
                ctr(json!({"resources": {"limits": {"cpu": "-1"}}})),
                vec![s(
                    "containers[0].resources.limits[cpu]: Invalid value: \"-1\": must be greater than or equal to 0",
                )],
                "negative limit",
            ),
            (
                ctr(json!({"resources": {"limits": {"foo": "1"}}})),
                vec![
                    s(
                        "containers[0].resources.limits[foo]: Invalid value: \"foo\": must be a standard resource type or fully qualified",
                    ),
                    s(
                        "containers[0].resources.limits[foo]: Invalid value: \"foo\": must be a standard resource for containers",
                    ),
                ],
                "unknown bare resource",
            ),
            (
                ctr(json!({"resources": {"limits": {"storage": "1Gi"}}})),
                vec![s(
                    "containers[0].resources.limits[storage]: Invalid value: \"storage\": must be a standard resource for containers",
                )],
                "storage not for containers",
            ),
            (
                ctr(
                    json!({"resources": {"limits": {"kubernetes.io/anything": "1", "foo.kubernetes.io/x": "1.5"}}}),
                ),
                vec![],
                "kubernetes.io names are native",
            ),
            (
                ctr(json!({"resources": {"limits": {"example.com/gpu": "1.5"}}})),
                vec![s(
                    "containers[0].resources.limits[example.com/gpu]: Invalid value: \"1500m\": must be an integer",
                )],
                "extended resources are integers",
            ),
            (
                ctr(json!({"resources": {"limits": {"example.com/gpu": 2}}})),
                vec![],
                "extended resource, limit only (template: requests not defaulted)",
            ),
            (
                ctr(json!({"resources": {"requests": {"example.com/gpu": "1"}}})),
                vec![s(
                    "containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources",
                )],
                "extended request without limit",
            ),
            (
                ctr(
                    json!({"resources": {"requests": {"example.com/gpu": 1}, "limits": {"example.com/gpu": 2}}}),
                ),
                vec![s(
                    "containers[0].resources.requests: Invalid value: \"1\": must be equal to example.com/gpu limit of 2",
                )],
                "extended request below limit",
            ),
            (
                ctr(json!({"resources": {"limits": {"hugepages-2Mi": "2Mi"}}})),
                vec![s(
                    "containers[0].resources: Forbidden: HugePages require cpu or memory",
                )],
                "hugepages without cpu or memory",
            ),
            (
                ctr(json!({"resources": {"limits": {"hugepages-2Mi": "2Mi", "memory": "1Gi"}}})),
                vec![],
                "hugepages with memory",
            ),
            (
                ctr(json!({"resources": {"limits": {"hugepages-2Mi": "3Mi", "memory": "1Gi"}}})),
                vec![s(
                    "containers[0].resources.limits[hugepages-2Mi]: Invalid value: \"3Mi\": 3Mi is not positive integer multiple of hugepages-2Mi",
                )],
                "hugepages not a multiple",
            ),
            (
                ctr(json!({"resources": {"limits": {"hugepages-foo": "1", "cpu": "1"}}})),
                vec![s(
                    "containers[0].resources.limits[hugepages-foo]: Invalid value: \"1\": 1 is not positive integer multiple of hugepages-foo",
                )],
                "hugepages size not a quantity",
            ),
            (
                ctr(json!({"resources": {"limits": {"requests.example.com/x": "1"}}})),
                vec![s(
                    "containers[0].resources.limits[requests.example.com/x]: Invalid value: \"requests.example.com/x\": doesn't follow extended resource name standard",
                )],
                "requests.-prefixed extended name",
            ),
            (
                ctr(json!({"resources": {"limits": {"pid": "1"}}})),
                vec![
                    s(
                        "containers[0].resources.limits[pid]: Invalid value: \"pid\": must be a standard resource type or fully qualified",
                    ),
                    s(
                        "containers[0].resources.limits[pid]: Invalid value: \"pid\": must be a standard resource for containers",
                    ),
                ],
                "pid is no standard resource upstream (k8s.io/api core/v1 has none); an OpenShift fork adds it",
            ),
            (
                ctr(json!({"resources": {"limits": {"Foo Bar": "1"}}})),
                vec![
                    s(&format!(
                        "containers[0].resources.limits[Foo Bar]: Invalid value: \"Foo Bar\": {NAME_PART_MSG}"
                    )),
                    s(
                        "containers[0].resources.limits[Foo Bar]: Invalid value: \"Foo Bar\": must be a standard resource for containers",
                    ),
                ],
                "resource name not qualified",
            ),
            (
                ctr(json!({"resources": {"claims": [{"name": "gpu"}]}})),
                vec![s(
                    "containers[0].resources.claims[0]: Not found: \"gpu\": must be one of the names in pod.spec.resourceClaims which is empty",
                )],
                "claim without pod claims",
            ),
            (
                json!({"resourceClaims": [{"name": "gpu", "resourceClaimName": "rc"}],
                       "containers": [{"name": "c", "image": "b", "resources": {"claims": [{"name": "gpu", "request": "a"}, {"name": "gpu", "request": "b"}]}}]}),
                vec![],
                "claims ok",
            ),
            (
                json!({"resourceClaims": [{"name": "gpu", "resourceClaimName": "rc"}, {"name": "fpga", "resourceClaimName": "rc2"}],
                       "containers": [{"name": "c", "image": "b", "resources": {"claims": [
                           {"name": "gpu", "request": "a"}, {"name": "gpu", "request": "a"}, {"name": "gpu"}, {"name": "gpu"}, {"name": "x"}, {"name": ""}]}}]}),
                vec![
                    s("containers[0].resources.claims[1]: Duplicate value: \"gpu/a\""),
                    s("containers[0].resources.claims[2]: Duplicate value: \"gpu\""),
                    s("containers[0].resources.claims[3]: Duplicate value: \"gpu\""),
                    s(
                        "containers[0].resources.claims[4]: Not found: \"x\": must be one of the names in pod.spec.resourceClaims: fpga, gpu",
                    ),
                    s("containers[0].resources.claims[5]: Required value"),
                ],
                "claim duplicates",
            ),
            (
                json!({"resourceClaims": [{"name": "gpu", "resourceClaimName": "rc"}],
                       "containers": [{"name": "c", "image": "b", "resources": {"claims": [{"name": "gpu", "request": "A_B"}]}}]}),
                vec![s(&format!(
                    "containers[0].resources.claims[0].request: Invalid value: \"A_B\": {DNS_LABEL_MSG}"
                ))],
                "claim request not a label",
            ),
            (
                ctr(
                    json!({"resources": {"limits": {"cpu": "+1", "memory": "1E"}, "requests": {"cpu": "5.", "ephemeral-storage": "1e3"}}}),
                ),
                vec![s(
                    "containers[0].resources.requests: Invalid value: \"5.\": must be less than or equal to cpu limit of +1",
                )],
                "quantities print as written",
            ),
            (
                ctr(json!({"resources": {"limits": {"cpu": "0.1m"}, "requests": {"cpu": "0.5m"}}})),
                vec![],
                "sub-milli values are rounded up to 1m before comparing",
            ),
            (
                ctr(
                    json!({"resources": {"limits": {"cpu": "1m"}, "requests": {"cpu": "1.0001m"}}}),
                ),
                vec![s(
                    "containers[0].resources.requests: Invalid value: \"2m\": must be less than or equal to cpu limit of 1m",
                )],
                "rounded request prints canonically",
            ),
            (
                ctr(json!({"resources": {"limits": {"cpu": null}, "requests": {"cpu": "1"}}})),
                vec![s(
                    "containers[0].resources.requests: Invalid value: \"1\": must be less than or equal to cpu limit of 0",
                )],
                "a null quantity is zero",
            ),
        ]);
    }

    /// The branches taken only with other options than 1.37's CREATE ones (older gates, or
    /// ratcheting on update).
    #[test]
    fn option_branches() {
        fn run(spec: Value, opts: &Options) -> Vec<String> {
            let node = Node::from(&spec);
            let mut findings = crate::policy::finding::Findings::default();
            let at = At::ROOT.child("spec");
            validate_all(
                &node,
                &at,
                &Volumes::default(),
                opts,
                &mut findings.rule(crate::policy::RuleId::PodSpec),
            );
            findings
                .0
                .iter()
                .map(|(_, p, m)| format!("{p}: {m}"))
                .collect()
        }
        let rule = json!({"action": "RestartAllContainers", "exitCodes": {"operator": "In", "values": [1]}});
        let spec = json!({
            "containers": [{"name": "c", "image": "b", "restartPolicy": "Never",
                "env": [{"name": "1A"}, {"name": "B", "valueFrom": {}}],
                "resources": {"limits": {"hugepages-2Mi": "3Mi", "memory": "1Gi"}},
                "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"add": ["CAP_SYS_ADMIN"]}}}],
            "initContainers": [
                {"name": "i", "image": "b", "restartPolicy": "Never"},
                {"name": "j", "image": "b", "restartPolicy": "Always", "restartPolicyRules": [rule.clone()]},
                {"name": "k", "image": "b", "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "RestartContainer"}]}]});
        let mut old = Options::create(true);
        old.allow_relaxed_environment_variable_validation = false;
        old.allow_env_files_validation = false;
        old.allow_container_restart_policy_rules = false;
        old.allow_restart_all_containers = false;
        old.allow_sidecar_resize_policy = false;
        assert_eq!(
            run(spec.clone(), &old),
            vec![
                "spec.containers[0].env[0].name: Invalid value: \"1A\": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
                "spec.containers[0].env[1].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
                "spec.containers[0].resources.limits[hugepages-2Mi]: Invalid value: \"3Mi\": 3Mi is not positive integer multiple of hugepages-2Mi",
                "spec.containers[0].securityContext: Invalid value: {\"Capabilities\":{\"Add\":[\"CAP_SYS_ADMIN\"],\"Drop\":null},\"Privileged\":null,\"SELinuxOptions\":null,\"WindowsOptions\":null,\"RunAsUser\":null,\"RunAsGroup\":null,\"RunAsNonRoot\":null,\"ReadOnlyRootFilesystem\":null,\"AllowPrivilegeEscalation\":false,\"ProcMount\":null,\"SeccompProfile\":null,\"AppArmorProfile\":null}: cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
                "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers",
                "spec.initContainers[0].restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
                "spec.initContainers[2].resizePolicy: Invalid value: [{\"ResourceName\":\"cpu\",\"RestartPolicy\":\"RestartContainer\"}]: must not be set for init containers",
                "spec.initContainers[2].resizePolicy[0].restartPolicy: Invalid value: \"RestartContainer\": must not be set to 'RestartContainer' for non-sidecar initContainers",
            ]
        );
        let mut rules = Options::create(true);
        rules.allow_restart_all_containers = false;
        let got = run(spec.clone(), &rules);
        assert!(got.contains(&"spec.initContainers[1].restartPolicyRules: Forbidden: restartPolicyRules are not allowed for init containers with restart policy Always".to_string()), "{got:#?}");
        let mut lenient = Options::create(true);
        lenient.allow_indivisible_huge_pages_values = true;
        lenient.allow_sys_admin_when_privilege_escalation_false = true;
        lenient.allow_existing_restart_container_for_non_sidecar_init_container = true;
        assert_eq!(
            run(spec, &lenient),
            vec![
                "spec.containers[0].env[1].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`"
            ]
        );
    }

    /// A quantity that does not parse fails decoding in the API server: no pod-spec line, a
    /// schema finding instead.
    #[test]
    fn unparsable_quantities_are_decoding_errors() {
        use crate::policy::RuleId;
        use crate::policy::pod::testutil::{daemonset, findings};
        for (value, message) in [
            (
                "1x",
                "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
            ),
            ("1K", "unable to parse quantity's suffix"),
        ] {
            let spec = ctr(json!({"resources": {"limits": {"cpu": value}}}));
            assert_eq!(pod_errors(spec.clone()), Vec::<String>::new(), "{value}");
            let schema = findings(&daemonset(spec), &[RuleId::Schema]);
            assert!(
                schema
                    .iter()
                    .any(|l| l.starts_with(&s("containers[0].resources.limits[cpu]"))
                        && l.ends_with(message)),
                "{value}: {schema:#?}"
            );
        }
    }

    #[test]
    fn overhead_entry_point() {
        let limits = json!({"foo": "1", "example.com/gpu": "0.5"});
        let node = Node::from(&limits);
        let mut findings = crate::policy::finding::Findings::default();
        let spec_at = At::ROOT.child("spec");
        let at = spec_at.child("overhead");
        resource_requirements(
            &node,
            &Node::Null,
            &Node::Null,
            &at,
            &Options::create(true),
            &mut findings.rule(crate::policy::RuleId::PodSpec),
        );
        let got: Vec<String> = findings
            .0
            .iter()
            .map(|(_, p, m)| format!("{p}: {m}"))
            .collect();
        assert_eq!(
            got,
            vec![
                "spec.overhead.limits[foo]: Invalid value: \"foo\": must be a standard resource type or fully qualified",
                "spec.overhead.limits[foo]: Invalid value: \"foo\": must be a standard resource for containers",
                "spec.overhead.limits[example.com/gpu]: Invalid value: \"500m\": must be an integer",
            ]
        );
    }

    #[test]
    fn probes_and_lifecycle() {
        let tcp = json!({"tcpSocket": {"port": 80}});
        let with = |extra: Value| {
            let mut p = tcp.clone();
            if let (Value::Object(m), Value::Object(e)) = (&mut p, extra) {
                m.extend(e);
            }
            p
        };
        rows_with_prefix(vec![
            (
                ctr(json!({"livenessProbe": {}})),
                vec![s(
                    "containers[0].livenessProbe: Required value: must specify a handler type",
                )],
                "probe without handler",
            ),
            (
                ctr(
                    json!({"livenessProbe": {"exec": {"command": ["x"]}, "httpGet": {"port": 80}}}),
                ),
                vec![s(
                    "containers[0].livenessProbe.httpGet: Forbidden: may not specify more than 1 handler type",
                )],
                "two handlers",
            ),
            (
                ctr(json!({"livenessProbe": {"exec": {"command": []}}})),
                vec![s(
                    "containers[0].livenessProbe.exec.command: Required value",
                )],
                "exec without command",
            ),
            (
                ctr(json!({"livenessProbe": with(json!({"successThreshold": 2}))})),
                vec![s(
                    "containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
                )],
                "liveness successThreshold",
            ),
            (
                ctr(
                    json!({"readinessProbe": with(json!({"successThreshold": 2})), "livenessProbe": with(json!({"successThreshold": 0})), "startupProbe": with(json!({"successThreshold": 1}))}),
                ),
                vec![],
                "readiness may use any successThreshold; 0 is defaulted to 1",
            ),
            (
                ctr(json!({"startupProbe": with(json!({"successThreshold": -1}))})),
                vec![
                    s(
                        "containers[0].startupProbe.successThreshold: Invalid value: -1: must be greater than or equal to 0",
                    ),
                    s("containers[0].startupProbe.successThreshold: Invalid value: -1: must be 1"),
                ],
                "negative startup successThreshold",
            ),
            (
                ctr(json!({"readinessProbe": with(json!({"periodSeconds": -1}))})),
                vec![s(
                    "containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0",
                )],
                "negative period",
            ),
            (
                ctr(
                    json!({"readinessProbe": with(json!({"initialDelaySeconds": -2, "timeoutSeconds": -3, "failureThreshold": -4}))}),
                ),
                vec![
                    s(
                        "containers[0].readinessProbe.initialDelaySeconds: Invalid value: -2: must be greater than or equal to 0",
                    ),
                    s(
                        "containers[0].readinessProbe.timeoutSeconds: Invalid value: -3: must be greater than or equal to 0",
                    ),
                    s(
                        "containers[0].readinessProbe.failureThreshold: Invalid value: -4: must be greater than or equal to 0",
                    ),
                ],
                "negative probe numbers",
            ),
            (
                ctr(json!({"readinessProbe": with(json!({"terminationGracePeriodSeconds": 10}))})),
                vec![s(
                    "containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 10: must not be set for readinessProbes",
                )],
                "readiness probe grace period",
            ),
            (
                ctr(json!({"livenessProbe": with(json!({"terminationGracePeriodSeconds": 0}))})),
                vec![s(
                    "containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0",
                )],
                "probe grace period 0",
            ),
            (
                ctr(json!({"livenessProbe": with(json!({"terminationGracePeriodSeconds": 5}))})),
                vec![],
                "liveness probe grace period",
            ),
            (
                ctr(json!({"livenessProbe": {"httpGet": {"port": 0}}})),
                vec![s(
                    "containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive",
                )],
                "httpGet port 0",
            ),
            (
                ctr(json!({"livenessProbe": {"httpGet": {}}})),
                vec![s(
                    "containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive",
                )],
                "httpGet without port",
            ),
            (
                ctr(json!({"livenessProbe": {"httpGet": {"port": "8080"}}})),
                vec![s(
                    "containers[0].livenessProbe.httpGet.port: Invalid value: \"8080\": must contain at least one letter (a-z)",
                )],
                "quoted number is a port name",
            ),
            (
                ctr(
                    json!({"livenessProbe": {"httpGet": {"port": "http", "path": "", "scheme": ""}}}),
                ),
                vec![],
                "named port need not exist; path and scheme defaulted",
            ),
            (
                ctr(json!({"livenessProbe": {"httpGet": {"port": 80, "scheme": "http"}}})),
                vec![s(
                    "containers[0].livenessProbe.httpGet.scheme: Unsupported value: \"http\": supported values: \"HTTP\", \"HTTPS\"",
                )],
                "scheme case",
            ),
            (
                ctr(
                    json!({"livenessProbe": {"httpGet": {"port": 80, "httpHeaders": [{"name": "X-Ok", "value": "v"}, {"name": "X Foo", "value": "v"}]}}}),
                ),
                vec![s(&format!(
                    "containers[0].livenessProbe.httpGet.httpHeaders: Invalid value: \"X Foo\": {HEADER_MSG}"
                ))],
                "header name, unindexed path",
            ),
            (
                ctr(json!({"livenessProbe": {"httpGet": {"port": 80, "protocol": "HTTP9"}}})),
                vec![],
                "httpGet.protocol is dropped",
            ),
            (
                ctr(json!({"livenessProbe": {"grpc": {"port": 0}}})),
                vec![s(
                    "containers[0].livenessProbe.grpc.port: Invalid value: 0: must be between 1 and 65535, inclusive",
                )],
                "grpc port",
            ),
            (
                ctr(
                    json!({"livenessProbe": {"grpc": {"port": 9090, "mode": "Nonsense", "service": "x"}}}),
                ),
                vec![],
                "grpc.mode is dropped",
            ),
            (
                ctr(json!({"livenessProbe": {"tcpSocket": {"port": "Bad--"}}})),
                vec![
                    s(
                        "containers[0].livenessProbe.tcpSocket.port: Invalid value: \"Bad--\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                    ),
                    s(
                        "containers[0].livenessProbe.tcpSocket.port: Invalid value: \"Bad--\": must not contain consecutive hyphens",
                    ),
                    s(
                        "containers[0].livenessProbe.tcpSocket.port: Invalid value: \"Bad--\": must not begin or end with a hyphen",
                    ),
                ],
                "tcpSocket port name",
            ),
            (
                ctr(json!({"livenessProbe": {"sleep": {"seconds": 1}}})),
                vec![s(
                    "containers[0].livenessProbe: Required value: must specify a handler type",
                )],
                "probes have no sleep handler",
            ),
            (
                json!({"initContainers": [{"name": "i", "image": "b", "readinessProbe": {"tcpSocket": {"port": 80}}}]}),
                vec![s(
                    "initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
                )],
                "probe on init container",
            ),
            (
                json!({"initContainers": [{"name": "i", "image": "b", "lifecycle": {}, "livenessProbe": {}, "startupProbe": {"exec": {}}}]}),
                vec![
                    s(
                        "initContainers[0].lifecycle: Forbidden: may not be set for init containers without restartPolicy=Always",
                    ),
                    s(
                        "initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
                    ),
                    s(
                        "initContainers[0].startupProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
                    ),
                ],
                "lifecycle and probes on init containers, contents not validated",
            ),
            (
                json!({"initContainers": [{"name": "i", "image": "b", "lifecycle": {"stopSignal": "SIGTERM"}}]}),
                vec![],
                "a lifecycle holding only a dropped stopSignal becomes nil",
            ),
            (
                json!({"initContainers": [{"name": "i", "image": "b", "restartPolicy": "Always", "readinessProbe": {"tcpSocket": {"port": 80}}, "lifecycle": {"preStop": {"sleep": {"seconds": 5}}}}]}),
                vec![],
                "sidecar probes and lifecycle",
            ),
            (
                json!({"initContainers": [{"name": "i", "image": "b", "restartPolicy": "Always", "startupProbe": {"tcpSocket": {"port": 80}, "successThreshold": 3}, "lifecycle": {"postStart": {}}}]}),
                vec![
                    s(
                        "initContainers[0].lifecycle.postStart: Required value: must specify a handler type",
                    ),
                    s(
                        "initContainers[0].startupProbe.successThreshold: Invalid value: 3: must be 1",
                    ),
                ],
                "sidecar probes validated like regular ones",
            ),
            (
                ctr(json!({"lifecycle": {"preStop": {"sleep": {"seconds": 31}}}})),
                vec![s(
                    "containers[0].lifecycle.preStop.sleep: Invalid value: 31: must be non-negative and less than terminationGracePeriodSeconds (30)",
                )],
                "sleep above grace period",
            ),
            (
                json!({"terminationGracePeriodSeconds": 60, "containers": [{"name": "c", "image": "b", "lifecycle": {"preStop": {"sleep": {"seconds": 31}}}}]}),
                vec![],
                "sleep within a longer grace period",
            ),
            (
                ctr(json!({"lifecycle": {"preStop": {"sleep": {"seconds": -1}}}})),
                vec![s(
                    "containers[0].lifecycle.preStop.sleep: Invalid value: -1: must be non-negative and less than terminationGracePeriodSeconds (30)",
                )],
                "negative sleep",
            ),
            (
                ctr(
                    json!({"lifecycle": {"preStop": {"sleep": {"seconds": 0}}, "postStart": {"sleep": {"seconds": 30}}}}),
                ),
                vec![],
                "sleep 0 and 30",
            ),
            (
                ctr(json!({"lifecycle": {"postStart": {}}})),
                vec![s(
                    "containers[0].lifecycle.postStart: Required value: must specify a handler type",
                )],
                "empty postStart",
            ),
            (
                ctr(
                    json!({"lifecycle": {"postStart": {"exec": {"command": ["x"]}, "sleep": {"seconds": 1}}}}),
                ),
                vec![s(
                    "containers[0].lifecycle.postStart.sleep: Forbidden: may not specify more than 1 handler type",
                )],
                "two lifecycle handlers",
            ),
            (
                ctr(json!({"lifecycle": {"preStop": {"grpc": {"port": 1}}}})),
                vec![s(
                    "containers[0].lifecycle.preStop: Required value: must specify a handler type",
                )],
                "lifecycle hooks have no grpc handler",
            ),
            (
                ctr(json!({"lifecycle": {"stopSignal": "SIGFOO"}})),
                vec![],
                "stopSignal dropped",
            ),
            (ctr(json!({"lifecycle": {}})), vec![], "empty lifecycle"),
        ]);
    }

    #[test]
    fn restart_and_resize_policies() {
        let rule = |action: &str| json!({"action": action, "exitCodes": {"operator": "In", "values": [1]}});
        let many: Vec<Value> = (0..21).map(|_| rule("Restart")).collect();
        rows_with_prefix(vec![
            (
                json!({"initContainers": [{"name": "i", "image": "b", "restartPolicy": "Sometimes"}]}),
                vec![s(
                    "initContainers[0].restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"Never\", \"OnFailure\"",
                )],
                "init restart policy",
            ),
            (
                json!({"initContainers": [{"name": "i", "image": "b", "restartPolicy": "Never"}, {"name": "j", "image": "b", "restartPolicy": "OnFailure", "restartPolicyRules": [rule("Restart")]}]}),
                vec![],
                "init Never / OnFailure with rules",
            ),
            (
                json!({"initContainers": [{"name": "i", "image": "b", "restartPolicy": "Always", "restartPolicyRules": [rule("RestartAllContainers")]}]}),
                vec![],
                "sidecar with rules",
            ),
            (
                json!({"initContainers": [{"name": "i", "image": "b", "restartPolicyRules": [rule("Restart")]}]}),
                vec![s(
                    "initContainers[0].restartPolicy: Required value: must specify restartPolicy when restart rules are used",
                )],
                "init rules without policy",
            ),
            (
                ctr(json!({"restartPolicy": "Never"})),
                vec![],
                "regular container restart policy",
            ),
            (
                ctr(json!({"restartPolicyRules": [rule("Restart")]})),
                vec![s(
                    "containers[0].restartPolicy: Required value: must specify restartPolicy when restart rules are used",
                )],
                "rules without policy",
            ),
            (
                ctr(json!({"restartPolicy": "Never", "restartPolicyRules": [rule("Kill")]})),
                vec![s(
                    "containers[0].restartPolicyRules[0].action: Unsupported value: \"Kill\": supported values: \"Restart\", \"RestartAllContainers\"",
                )],
                "rule action",
            ),
            (
                ctr(
                    json!({"restartPolicy": "Never", "restartPolicyRules": [{"action": "Restart"}, {"action": "Restart", "exitCodes": {"operator": "Eq"}}]}),
                ),
                vec![
                    s(
                        "containers[0].restartPolicyRules[0].exitCodes: Required value: must be specified",
                    ),
                    s(
                        "containers[0].restartPolicyRules[1].exitCodes.operator: Unsupported value: \"Eq\": supported values: \"In\", \"NotIn\"",
                    ),
                ],
                "rule exit codes",
            ),
            (
                ctr(json!({"restartPolicy": "OnFailure", "restartPolicyRules": many})),
                vec![s(
                    "containers[0].restartPolicyRules: Too many: 21: must have at most 20 items",
                )],
                "too many rules",
            ),
            (
                ctr(
                    json!({"restartPolicy": "Never", "restartPolicyRules": [{"action": "Restart", "exitCodes": {"operator": "NotIn", "values": (0..256).collect::<Vec<i32>>()}}]}),
                ),
                vec![s(
                    "containers[0].restartPolicyRules[0].exitCodes.values: Too many: 256: must have at most 255 items",
                )],
                "too many exit codes",
            ),
            (
                ctr(
                    json!({"restartPolicy": "Never", "restartPolicyRules": [{"action": "Restart", "exitCodes": {"operator": "NotIn", "values": [-5, 300, 1, 1]}}]}),
                ),
                vec![],
                "exit code values are not validated",
            ),
            (
                ctr(
                    json!({"resizePolicy": [{"resourceName": "storage", "restartPolicy": "NotRequired"}]}),
                ),
                vec![s(
                    "containers[0].resizePolicy: Unsupported value: \"storage\": supported values: \"cpu\", \"memory\"",
                )],
                "resize resource",
            ),
            (
                ctr(
                    json!({"resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}, {"resourceName": "cpu", "restartPolicy": "RestartContainer"}]}),
                ),
                vec![s("containers[0].resizePolicy[1]: Duplicate value: \"cpu\"")],
                "resize duplicate",
            ),
            (
                ctr(
                    json!({"resizePolicy": [{"resourceName": "", "restartPolicy": ""}, {"resourceName": "memory", "restartPolicy": "Later"}]}),
                ),
                // Go reports Required twice; identical lines are printed once (ToAggregate).
                vec![
                    s("containers[0].resizePolicy: Required value"),
                    s(
                        "containers[0].resizePolicy: Unsupported value: \"Later\": supported values: \"NotRequired\", \"RestartContainer\"",
                    ),
                ],
                "resize required fields",
            ),
            (
                json!({"initContainers": [{"name": "i", "image": "b", "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "RestartContainer"}]}]}),
                vec![s(
                    "initContainers[0].resizePolicy[0].restartPolicy: Invalid value: \"RestartContainer\": must not be set to 'RestartContainer' for non-sidecar initContainers",
                )],
                "non-sidecar RestartContainer",
            ),
            (
                json!({"initContainers": [{"name": "i", "image": "b", "restartPolicy": "Always", "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "RestartContainer"}]}]}),
                vec![],
                "sidecar RestartContainer",
            ),
            (
                json!({"restartPolicy": "Never", "containers": [{"name": "c", "image": "b", "resizePolicy": [
                    {"resourceName": "cpu", "restartPolicy": "RestartContainer"}, {"resourceName": "memory", "restartPolicy": "NotRequired"}]}]}),
                vec![s(
                    "containers[0].resizePolicy: Invalid value: \"RestartContainer\": must be 'NotRequired' when pod `restartPolicy` is 'Never'",
                )],
                "resize with a pod restartPolicy of Never (the DaemonSet rule refuses Never separately)",
            ),
        ]);
    }

    #[test]
    fn security_contexts() {
        rows_with_prefix(vec![
            (
                ctr(json!({"securityContext": {"privileged": true}})),
                vec![],
                "privileged allowed (--allow-privileged assumed true)",
            ),
            (
                ctr(json!({"securityContext": {"runAsUser": -1}})),
                vec![s(
                    "containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive",
                )],
                "runAsUser",
            ),
            (
                ctr(json!({"securityContext": {"runAsUser": 2147483647, "runAsGroup": 0}})),
                vec![],
                "runAsUser max",
            ),
            (
                ctr(json!({"securityContext": {"runAsGroup": 2147483648i64}})),
                vec![s(
                    "containers[0].securityContext.runAsGroup: Invalid value: 2147483648: must be between 0 and 2147483647, inclusive",
                )],
                "runAsGroup",
            ),
            (
                ctr(json!({"securityContext": {"procMount": "Unmasked"}})),
                vec![s(
                    "containers[0].securityContext.procMount: Invalid value: \"Unmasked\": `hostUsers` must be false to use `Unmasked`",
                )],
                "Unmasked with host users",
            ),
            (
                json!({"hostUsers": false, "containers": [{"name": "c", "image": "b", "securityContext": {"procMount": "Unmasked"}}]}),
                vec![],
                "Unmasked with a user namespace",
            ),
            (
                ctr(json!({"securityContext": {"procMount": "Foo"}})),
                vec![s(
                    "containers[0].securityContext.procMount: Unsupported value: \"Foo\": supported values: \"Default\", \"Unmasked\"",
                )],
                "procMount value",
            ),
            (
                ctr(
                    json!({"securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"add": ["SYS_ADMIN", "NOT_A_CAP"]}, "seLinuxOptions": {"type": "anything"}}}),
                ),
                vec![],
                "capability names and seLinuxOptions are not validated",
            ),
            (
                ctr(
                    json!({"securityContext": {"allowPrivilegeEscalation": true, "capabilities": {"add": ["CAP_SYS_ADMIN"]}, "privileged": true}}),
                ),
                vec![],
                "escalation allowed",
            ),
        ]);
        // The bad value is Go's internal struct: match the path and the detail.
        let got = pod_errors(ctr(
            json!({"securityContext": {"allowPrivilegeEscalation": false, "privileged": true, "capabilities": {"add": ["CAP_SYS_ADMIN"]}}}),
        ));
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got[0].starts_with(&s("containers[0].securityContext: Invalid value: {\"Capabilities\":{\"Add\":[\"CAP_SYS_ADMIN\"],\"Drop\":null},\"Privileged\":true,")), "{got:#?}");
        assert!(
            got[0].ends_with(
                ": cannot set `allowPrivilegeEscalation` to false and `privileged` to true"
            ),
            "{got:#?}"
        );
        assert!(got[1].ends_with(": cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"), "{got:#?}");
        let sc = json!({"allowPrivilegeEscalation": false, "seccompProfile": {"type": "Localhost", "localhostProfile": "a<b"}});
        assert_eq!(
            go_json_security_context(&Node::from(&sc)),
            "{\"Capabilities\":null,\"Privileged\":null,\"SELinuxOptions\":null,\"WindowsOptions\":null,\"RunAsUser\":null,\"RunAsGroup\":null,\"RunAsNonRoot\":null,\"ReadOnlyRootFilesystem\":null,\"AllowPrivilegeEscalation\":false,\"ProcMount\":null,\"SeccompProfile\":{\"Type\":\"Localhost\",\"LocalhostProfile\":\"a\\u003cb\"},\"AppArmorProfile\":null}"
        );
    }

    /// The profile and Windows checks are security.rs's; these rows show they are called at
    /// the container's paths (they pass once security.rs is ported).
    #[test]
    fn security_context_delegates() {
        rows_with_prefix(vec![
            (
                ctr(json!({"securityContext": {"seccompProfile": {}}})),
                vec![s(
                    "containers[0].securityContext.seccompProfile.type: Required value: type is required when seccompProfile is set",
                )],
                "seccomp type",
            ),
            (
                ctr(json!({"securityContext": {"seccompProfile": {"type": "Localhost"}}})),
                vec![s(
                    "containers[0].securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost",
                )],
                "seccomp localhost",
            ),
            (
                ctr(
                    json!({"securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": ""}}}),
                ),
                vec![],
                "seccomp localhost empty profile",
            ),
            (
                ctr(
                    json!({"securityContext": {"appArmorProfile": {"type": "Localhost", "localhostProfile": " x"}}}),
                ),
                vec![s(
                    "containers[0].securityContext.appArmorProfile.localhostProfile: Invalid value: \" x\": must not be padded with whitespace",
                )],
                "apparmor padding",
            ),
            (
                ctr(json!({"securityContext": {"windowsOptions": {"runAsUserName": ""}}})),
                vec![s(
                    "containers[0].securityContext.windowsOptions.runAsUserName: Invalid value: \"\": runAsUserName cannot be an empty string",
                )],
                "windows user name",
            ),
        ]);
    }

    #[test]
    fn ephemeral_containers() {
        const LAST: &str = "spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template";
        rows_with_prefix(vec![
            (
                json!({"ephemeralContainers": [{"name": "dbg", "image": "busybox"}]}),
                vec![LAST.to_string()],
                "ephemeral container in a template",
            ),
            (
                json!({"ephemeralContainers": [{"name": "c", "image": " busybox", "targetContainerName": "nope",
                    "ports": [], "resources": {"limits": {"cpu": "1"}}, "lifecycle": {"stopSignal": "SIGTERM"},
                    "readinessProbe": {"tcpSocket": {"port": 80}}, "restartPolicy": "Never",
                    "volumeMounts": [{"name": "v", "mountPath": "/v", "subPath": "x", "subPathExpr": "$(A)"}]}],
                       "volumes": [{"name": "v", "emptyDir": {}}]}),
                vec![
                    // The mount checks are volumes.rs's (subPathExpr with subPath).
                    s(
                        "ephemeralContainers[0].volumeMounts[0].subPathExpr: Invalid value: \"$(A)\": subPathExpr and subPath are mutually exclusive",
                    ),
                    s(
                        "ephemeralContainers[0].image: Invalid value: \" busybox\": must not have leading or trailing whitespace",
                    ),
                    s("ephemeralContainers[0].name: Duplicate value: \"c\""),
                    s("ephemeralContainers[0].targetContainerName: Not found: \"nope\""),
                    s(
                        "ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container",
                    ),
                    s(
                        "ephemeralContainers[0].resources: Forbidden: cannot be set for an Ephemeral Container",
                    ),
                    s(
                        "ephemeralContainers[0].restartPolicy: Forbidden: cannot be set for an Ephemeral Container",
                    ),
                    s(
                        "ephemeralContainers[0].readinessProbe: Forbidden: cannot be set for an Ephemeral Container",
                    ),
                    s(
                        "ephemeralContainers[0].volumeMounts[0].subPath: Forbidden: cannot be set for an Ephemeral Container",
                    ),
                    s(
                        "ephemeralContainers[0].volumeMounts[0].subPathExpr: Forbidden: cannot be set for an Ephemeral Container",
                    ),
                    LAST.to_string(),
                ],
                "ephemeral container restrictions",
            ),
            (
                json!({"ephemeralContainers": [{"name": "d", "image": "b", "targetContainerName": "c"}, {"name": "d", "image": "b"}]}),
                vec![
                    s("ephemeralContainers[1].name: Duplicate value: \"d\""),
                    LAST.to_string(),
                ],
                "ephemeral names unique",
            ),
        ]);
    }

    #[test]
    fn bad_input_does_not_panic() {
        let huge = "x".repeat(100_000);
        let rows: Vec<Value> = vec![
            json!({"containers": "nope"}),
            json!({"containers": [1, "x", null, []]}),
            json!({"containers": [{"name": 5, "image": ["a"], "ports": {"a": 1}, "env": "x", "envFrom": [1],
                "resources": [], "securityContext": "x", "livenessProbe": 3, "lifecycle": [], "resizePolicy": {}}]}),
            ctr(
                json!({"ports": [{"containerPort": "80", "hostPort": 1.5, "protocol": 6, "name": 7}]}),
            ),
            ctr(
                json!({"env": [{"name": huge.clone(), "valueFrom": {"fieldRef": {"fieldPath": format!("metadata.labels['{huge}']")}}}]}),
            ),
            ctr(
                json!({"env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['ü']"}}}]}),
            ),
            ctr(
                json!({"envFrom": [{"configMapRef": {"name": "é-"}}, {"secretRef": {"name": "-"}}, {"secretRef": {"name": "日本-"}}]}),
            ),
            ctr(
                json!({"resources": {"limits": {"cpu": "1e1000000", "example.com/x": "12345678901234567890", "hugepages-1e30": "1"},
                "requests": {"cpu": "-1e-1000", "memory": "1x"}}}),
            ),
            ctr(
                json!({"resources": {"limits": {"hugepages-0": "1", "hugepages-0.5": "1", "hugepages--1": "1", "memory": "1"}}}),
            ),
            ctr(
                json!({"livenessProbe": {"httpGet": {"port": 1e20, "httpHeaders": [1, {"name": 2}]}, "initialDelaySeconds": 1e12}}),
            ),
            ctr(
                json!({"securityContext": {"runAsUser": 1e30, "capabilities": {"add": [1, null]}, "allowPrivilegeEscalation": false}}),
            ),
            json!({"terminationGracePeriodSeconds": "x", "containers": [{"name": "c", "image": "b", "lifecycle": {"preStop": {"sleep": {"seconds": 99}}}}]}),
            json!({"initContainers": {"a": 1}, "ephemeralContainers": "x", "resourceClaims": 3}),
        ];
        for spec in rows {
            let _ = pod_errors(spec);
        }
        // A wrong-typed container list is the schema's to report.
        assert_eq!(
            pod_errors(json!({"containers": "nope"})),
            Vec::<String>::new()
        );
        // Unicode in messages is quoted as Go does.
        assert_eq!(
            pod_errors(ctr(json!({"env": [{"name": "日本=x"}]}))),
            vec![s(&format!(
                "containers[0].env[0].name: Invalid value: \"日本=x\": {ENV_NAME_MSG}"
            ))]
        );
    }

    #[test]
    fn long_lists_stay_fast() {
        let env: Vec<Value> = (0..10_000)
            .map(|i| json!({"name": format!("VAR_{i}"), "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}))
            .collect();
        let ports: Vec<Value> = (0..10_000)
            .map(|i| json!({"containerPort": 1 + i % 60000, "hostPort": 1 + i % 65535, "name": format!("p{i}")}))
            .collect();
        let limits: serde_json::Map<String, Value> = (0..10_000)
            .map(|i| (format!("example.com/r{i}"), json!("1")))
            .collect();
        let claims: Vec<Value> = (0..10_000)
            .map(|i| json!({"name": format!("c{i}")}))
            .collect();
        let spec = ctr(
            json!({"env": env, "ports": ports, "resources": {"limits": limits, "requests": limits.clone(), "claims": claims}}),
        );
        let start = std::time::Instant::now();
        let got = pod_errors(spec);
        let took = start.elapsed();
        // Every claim is unknown to the pod; nothing else is wrong.
        assert_eq!(got.len(), 10_000, "{:?}", got.first());
        assert!(took.as_secs_f64() < 5.0, "took {took:?}");
    }

    #[test]
    fn helpers() {
        assert_eq!(
            split_subscripted("metadata.labels['a']"),
            Some(("metadata.labels", "a"))
        );
        assert_eq!(split_subscripted("['a']"), None);
        assert_eq!(split_subscripted("metadata.labels"), None);
        assert_eq!(split_subscripted("a['b['c']"), Some(("a", "b['c")));
        assert!(dns_subdomain_prefix_errors("cfg-").is_empty());
        assert!(
            dns_subdomain_prefix_errors("a.-").is_empty(),
            "Go drops the byte before the dash"
        );
        assert!(!dns_subdomain_prefix_errors("-").is_empty());
        assert!(!dns_subdomain_prefix_errors("é-").is_empty());
        assert!(is_extended_resource_name("example.com/gpu"));
        assert!(!is_extended_resource_name("requests.example.com/gpu"));
        assert!(!is_extended_resource_name("example.com/a/b"));
        assert!(!is_extended_resource_name(&format!(
            "{}/x",
            "a".repeat(245)
        )));
        let q = |s: &str| round_up_milli(Quantity::parse(s).unwrap()).to_string();
        assert_eq!(q("0.1m"), "1m");
        assert_eq!(q("1.0001"), "1001m");
        assert_eq!(q("1n"), "1m");
        assert_eq!(q("1e-10"), "1e-3");
        assert_eq!(q("-1e-10"), "-1e-3");
        assert_eq!(q("+1500m"), "+1500m");
        assert_eq!(q("100m"), "100m");
        assert_eq!(q("1.99999999Ki"), "2Ki");
        let mut out = String::new();
        write_go_json_string(&mut out, "a\"<>&\u{1}\n\u{2028}é").unwrap();
        assert_eq!(out, "\"a\\\"\\u003c\\u003e\\u0026\\u0001\\n\\u2028é\"");
    }
}
