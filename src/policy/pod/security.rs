//! Security contexts: the pod's (`validatePodSpecSecurityContext`, with `validateSysctls`)
//! and the profile checks pods and containers share (`validateSeccompProfileField`,
//! `ValidateAppArmorProfileField`, `validateWindowsSecurityContextOptions`), after
//! kubernetes/kubernetes `pkg/apis/core/validation/validation.go` (1.37 era, commit
//! 119f0c8b3770e5e4935f2ee3fdd10459a18aaf4b) and k8s.io/component-helpers
//! `node/util/sysctl` (`GetNamespace`, `NormalizeName`).

use std::collections::HashSet;
use std::fmt::{self, Display};

use super::local_descending_path;
use super::options::Options;
use super::spec::{flag, set, str_of, struct_items, typed};
use crate::policy::finding::GoJson;
use crate::policy::finding::{Out, Raw};
use crate::policy::names::{is_dns1123_subdomain, is_valid_group_id, is_valid_user_id};
use crate::policy::path::At;
use crate::policy::view::Node;

/// `validatePodSpecSecurityContext` for the pod spec `spec` at `at` (the pod spec's path):
/// the findings are at `at.securityContext…`. The context is never missing (defaulted to
/// `{}`).
pub(crate) fn pod_security_context(spec: &Node, at: &At, opts: &Options, o: &mut Out) {
    let sc = spec.field("securityContext");
    if !sc.is_object() {
        return;
    }
    let sc_at = at.child("securityContext");
    let int = |key: &str| sc.get(key).and_then(Node::as_i64);
    if let Some(v) = int("fsGroup") {
        for m in is_valid_group_id(v) {
            o.invalid(&sc_at.child("fsGroup"), v, m);
        }
    }
    if let Some(v) = int("runAsUser") {
        for m in is_valid_user_id(v) {
            o.invalid(&sc_at.child("runAsUser"), v, m);
        }
    }
    if let Some(v) = int("runAsGroup") {
        for m in is_valid_group_id(v) {
            o.invalid(&sc_at.child("runAsGroup"), v, m);
        }
    }
    let groups_at = sc_at.child("supplementalGroups");
    for (g, gid) in sc.field("supplementalGroups").items().iter().enumerate() {
        if let Some(gid) = gid.as_i64() {
            for m in is_valid_group_id(gid) {
                o.invalid(&groups_at.index(g), gid, m);
            }
        }
    }
    let sysctls = sc.field("sysctls").items();
    if !sysctls.is_empty() {
        validate_sysctls(sysctls, spec, &sc_at.child("sysctls"), opts, o);
    }
    if let Some(policy) = str_of(sc, "fsGroupChangePolicy")
        && !matches!(policy, "OnRootMismatch" | "Always")
    {
        o.not_supported(
            &sc_at.child("fsGroupChangePolicy"),
            typed(policy),
            &["Always", "OnRootMismatch"],
        );
    }
    seccomp_profile_field(
        sc.field("seccompProfile"),
        &sc_at.child("seccompProfile"),
        o,
    );
    windows_options(
        sc.field("windowsOptions"),
        &sc_at.child("windowsOptions"),
        o,
    );
    apparmor_profile_field(
        sc.field("appArmorProfile"),
        &sc_at.child("appArmorProfile"),
        o,
    );
    if let Some(policy) = str_of(sc, "supplementalGroupsPolicy")
        && !matches!(policy, "Merge" | "Strict")
    {
        o.not_supported(
            &sc_at.child("supplementalGroupsPolicy"),
            typed(policy),
            &["Merge", "Strict"],
        );
    }
    // validateSELinuxChangePolicy.
    if let Some(policy) = str_of(sc, "seLinuxChangePolicy") {
        let p_at = sc_at.child("seLinuxChangePolicy");
        if opts.allow_only_recursive_selinux_change_policy {
            if policy != "Recursive" {
                o.not_supported(&p_at, typed(policy), &["Recursive"]);
            }
        } else if !matches!(policy, "Recursive" | "MountOption") {
            o.not_supported(&p_at, typed(policy), &["MountOption", "Recursive"]);
        }
    }
}

/// `IsValidSysctlName`: at most 253 characters, segments `[a-z0-9]([-_a-z0-9]*[a-z0-9])?`
/// separated by `.` or `/`.
fn is_valid_sysctl_name(name: &str) -> bool {
    name.len() <= 253
        && name.split(['.', '/']).all(|seg| {
            let b = seg.as_bytes();
            let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
            match (b.first(), b.last()) {
                (Some(&f), Some(&l)) => {
                    alnum(f) && alnum(l) && b.iter().all(|&c| alnum(c) || c == b'-' || c == b'_')
                }
                _ => false,
            }
        })
}

/// The kernel namespace of a sysctl (`utilsysctl.GetNamespace`): the name normalised to dots
/// (`NormalizeName` swaps `.` and `/` when `/` comes first), cut at a `*`, then IPC for the
/// semaphore, shared-memory and message-queue names and `fs.mqueue.*`, net for `net.*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SysctlNamespace {
    Ipc,
    Net,
    Unknown,
}

fn sysctl_namespace(name: &str) -> SysctlNamespace {
    let swapped;
    let normal = match name.find(['.', '/']) {
        Some(i) if name.as_bytes().get(i) == Some(&b'/') => {
            swapped = name
                .chars()
                .map(|c| match c {
                    '.' => '/',
                    '/' => '.',
                    c => c,
                })
                .collect::<String>();
            swapped.as_str()
        }
        _ => name,
    };
    let normal = normal.split('*').next().unwrap_or("");
    match normal {
        "kernel.sem"
        | "kernel.shmall"
        | "kernel.shmmax"
        | "kernel.shmmni"
        | "kernel.shm_rmid_forced"
        | "kernel.shm"
        | "kernel.msgmax"
        | "kernel.msgmnb"
        | "kernel.msgmni"
        | "kernel.msg" => SysctlNamespace::Ipc,
        n if n.starts_with("net.") => SysctlNamespace::Net,
        n if n.starts_with("fs.mqueue.") => SysctlNamespace::Ipc,
        _ => SysctlNamespace::Unknown,
    }
}

/// `validateSysctls`: named, well-formed and unique; no network or IPC sysctls when the pod
/// shares those namespaces with the host (`ValidateHostSysctl`, unless the option allows).
/// There is no safe-sysctl list in the API server (the kubelet decides).
fn validate_sysctls(list: &[Node], spec: &Node, at: &At, opts: &Options, o: &mut Out) {
    let mut names = HashSet::new();
    let host_network = flag(spec, "hostNetwork");
    let host_ipc = flag(spec, "hostIPC");
    for (i, s) in struct_items(list) {
        let s_at = at.index(i);
        let name_at = s_at.child("name");
        let name = str_of(s, "name").unwrap_or("");
        if name.is_empty() {
            o.required(&name_at, "");
        } else if !is_valid_sysctl_name(name) {
            o.invalid(
                &name_at,
                name,
                "must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$",
            );
        } else if names.contains(name) {
            o.duplicate(&name_at, name);
        }
        if !opts.allow_namespaced_sysctls_for_host_net_and_host_ipc {
            match sysctl_namespace(name) {
                SysctlNamespace::Net if host_network => o.invalid(
                    &name_at,
                    name,
                    "may not be specified when 'hostNetwork' is true",
                ),
                SysctlNamespace::Ipc if host_ipc => o.invalid(
                    &name_at,
                    name,
                    "may not be specified when 'hostIPC' is true",
                ),
                _ => {}
            }
        }
        names.insert(name);
    }
}

/// A seccomp profile as Go prints the internal `core.SeccompProfile` (no JSON tags).
struct SeccompJson<'a, 'b>(&'a Node<'b>);

impl Display for SeccompJson<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{\"Type\":")?;
        GoJson(str_of(self.0, "type").unwrap_or("")).fmt(f)?;
        f.write_str(",\"LocalhostProfile\":")?;
        match str_of(self.0, "localhostProfile") {
            Some(p) => GoJson(p).fmt(f)?,
            None => f.write_str("null")?,
        }
        f.write_str("}")
    }
}

/// `validateSeccompProfileField` at `…securityContext.seccompProfile` (nothing when unset).
pub(crate) fn seccomp_profile_field(profile: &Node, at: &At, o: &mut Out) {
    if !profile.is_object() {
        return;
    }
    let ty = str_of(profile, "type").unwrap_or("");
    match ty {
        "Localhost" | "RuntimeDefault" | "Unconfined" => {}
        "" => o.required(
            &at.child("type"),
            "type is required when seccompProfile is set",
        ),
        _ => o.not_supported(
            &at.child("type"),
            typed(ty),
            &["Localhost", "RuntimeDefault", "Unconfined"],
        ),
    }
    let lp_at = at.child("localhostProfile");
    let local = set(profile, "localhostProfile");
    if ty == "Localhost" {
        match local {
            None => o.required(&lp_at, "must be set when seccomp type is Localhost"),
            Some(p) => {
                if let Some(p) = p.as_str() {
                    local_descending_path(p, &lp_at, o);
                }
            }
        }
    } else if local.is_some() {
        o.invalid(
            &lp_at,
            Raw(SeccompJson(profile)),
            "can only be set when seccomp type is Localhost",
        );
    }
}

/// `ValidateAppArmorProfileField` at `…securityContext.appArmorProfile` (nothing when unset).
pub(crate) fn apparmor_profile_field(profile: &Node, at: &At, o: &mut Out) {
    if !profile.is_object() {
        return;
    }
    let lp_at = at.child("localhostProfile");
    let local = set(profile, "localhostProfile");
    match str_of(profile, "type").unwrap_or("") {
        "Localhost" => match local {
            None => o.required(&lp_at, "must be set when AppArmor type is Localhost"),
            Some(p) => {
                let Some(p) = p.as_str() else { return };
                if p.trim() != p {
                    o.invalid(&lp_at, p, "must not be padded with whitespace");
                } else if p.is_empty() {
                    o.required(&lp_at, "must be set when AppArmor type is Localhost");
                }
                // PATH_MAX - 1.
                if p.len() > 4095 {
                    o.too_long(&lp_at, 4095);
                }
            }
        },
        "RuntimeDefault" | "Unconfined" => {
            if let Some(p) = local {
                // The value is the *string: JSON.
                let shown = p.as_str().map_or(Raw(GoJson("")), |s| Raw(GoJson(s)));
                o.invalid(
                    &lp_at,
                    shown,
                    "can only be set when AppArmor type is Localhost",
                );
            }
        }
        "" => o.required(
            &at.child("type"),
            "type is required when appArmorProfile is set",
        ),
        other => o.not_supported(
            &at.child("type"),
            typed(other),
            &["Localhost", "RuntimeDefault", "Unconfined"],
        ),
    }
}

/// `validateWindowsSecurityContextOptions` at `…securityContext.windowsOptions` (nothing when
/// unset). `hostProcess` is checked by `validateWindowsHostProcessPod` (spec.rs).
pub(crate) fn windows_options(options: &Node, at: &At, o: &mut Out) {
    if !options.is_object() {
        return;
    }
    if let Some(name) = str_of(options, "gmsaCredentialSpecName") {
        for m in is_dns1123_subdomain(name) {
            o.invalid(&at.child("gmsaCredentialSpecName"), typed(name), m);
        }
    }
    if let Some(spec) = str_of(options, "gmsaCredentialSpec") {
        let s_at = at.child("gmsaCredentialSpec");
        if spec.is_empty() {
            o.invalid(
                &s_at,
                typed(spec),
                "gmsaCredentialSpec cannot be an empty string",
            );
        } else if spec.len() > 64 * 1024 {
            o.invalid(
                &s_at,
                typed(spec),
                "gmsaCredentialSpec size must be under 64 KiB",
            );
        }
    }
    if let Some(user) = str_of(options, "runAsUserName") {
        run_as_user_name(user, &at.child("runAsUserName"), o);
    }
}

/// The `runAsUserName` rules: `DOMAIN\USER` or `USER`, the domain a NetBIOS or DNS name, the
/// user without control or reserved characters.
fn run_as_user_name(value: &str, at: &At, o: &mut Out) {
    let bad = |o: &mut Out, msg: &str| o.invalid(at, typed(value), msg);
    if value.is_empty() {
        return bad(o, "runAsUserName cannot be an empty string");
    }
    // [[:cntrl:]] is ASCII: 0x00-0x1F and 0x7F.
    if value.bytes().any(|c| c < 0x20 || c == 0x7f) {
        return bad(o, "runAsUserName cannot contain control characters");
    }
    let (domain, user) = match value.split_once('\\') {
        Some((_, rest)) if rest.contains('\\') => {
            return bad(o, "runAsUserName cannot contain more than one backslash");
        }
        Some((domain, user)) => (Some(domain), user),
        None => (None, value),
    };
    if domain.is_some_and(|d| d.len() >= 256) {
        bad(
            o,
            "runAsUserName's Domain length must be under 256 characters",
        );
    }
    if let Some(d) = domain
        && !(is_netbios_name(d) || is_windows_dns_name(d))
    {
        bad(
            o,
            "runAsUserName's Domain doesn't match the NetBios nor the DNS format",
        );
    }
    if user.is_empty() {
        bad(o, "runAsUserName's User cannot be empty");
    } else if user.len() > 104 {
        bad(
            o,
            "runAsUserName's User length must not be longer than 104 characters",
        );
    }
    if !user.is_empty() && user.chars().all(|c| c == '.' || c == ' ') {
        bad(
            o,
            "runAsUserName's User cannot contain only periods or spaces",
        );
    }
    if user.contains(|c| "\"/\\:;|=,+*?<>@[]".contains(c)) {
        bad(
            o,
            "runAsUserName's User cannot contain the following characters: \"/\\:;|=,+*?<>@[]",
        );
    }
}

/// `^[^\\/:\*\?"<>|\.][^\\/:\*\?"<>|]{0,14}$`: 1 to 15 characters, no reserved ones, not
/// starting with a dot.
fn is_netbios_name(d: &str) -> bool {
    let reserved = |c: char| "\\/:*?\"<>|".contains(c);
    let mut chars = d.chars();
    match chars.next() {
        Some(first) if !reserved(first) && first != '.' => {}
        _ => return false,
    }
    let mut rest = 0;
    for c in chars {
        if reserved(c) {
            return false;
        }
        rest += 1;
        if rest > 14 {
            return false;
        }
    }
    true
}

/// `^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.…)*$`: dot-separated labels of 1 to 63
/// letters, digits and inner hyphens.
fn is_windows_dns_name(d: &str) -> bool {
    d.split('.').all(|label| {
        let b = label.as_bytes();
        match (b.first(), b.last()) {
            (Some(&f), Some(&l)) => {
                b.len() <= 63
                    && f.is_ascii_alphanumeric()
                    && l.is_ascii_alphanumeric()
                    && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
            }
            _ => false,
        }
    })
}

/// Whether a sysctl of the spec fails `ValidateHostSysctl` (a network sysctl with
/// `hostNetwork`, an IPC one with `hostIPC`).
pub(crate) fn has_host_namespaced_sysctl(spec: &Node) -> bool {
    let host_network = flag(spec, "hostNetwork");
    let host_ipc = flag(spec, "hostIPC");
    spec.field("securityContext")
        .field("sysctls")
        .items()
        .iter()
        .filter_map(|s| s.get("name").and_then(Node::as_str))
        .any(|name| match sysctl_namespace(name) {
            SysctlNamespace::Net => host_network,
            SysctlNamespace::Ipc => host_ipc,
            SysctlNamespace::Unknown => false,
        })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::policy::finding::Findings;
    use crate::policy::pod::testutil::check_rows;
    use crate::policy::rules::RuleId;

    const SUB: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    const SYSCTL_RE: &str = "must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$";
    const RANGE: &str = "must be between 0 and 2147483647, inclusive";

    /// `spec.template.spec.securityContext<rest>`.
    fn l(rest: impl Display) -> &'static str {
        Box::leak(format!("spec.template.spec.securityContext{rest}").into_boxed_str())
    }

    fn sc(v: Value) -> Value {
        json!({"securityContext": v})
    }

    fn with(v: Value, extra: Value) -> Value {
        let mut v = v;
        if let (Value::Object(a), Value::Object(b)) = (&mut v, extra) {
            a.extend(b);
        }
        v
    }

    #[test]
    fn ids_and_policies() {
        check_rows(vec![
            (
                sc(json!({"runAsUser": -1})),
                vec![l(format!(".runAsUser: Invalid value: -1: {RANGE}"))],
                "negative user",
            ),
            (
                sc(json!({"fsGroup": -1})),
                vec![l(format!(".fsGroup: Invalid value: -1: {RANGE}"))],
                "negative fsGroup",
            ),
            (
                sc(json!({"runAsGroup": 2147483648u64})),
                vec![l(format!(
                    ".runAsGroup: Invalid value: 2147483648: {RANGE}"
                ))],
                "group beyond int32",
            ),
            (
                sc(json!({"supplementalGroups": [1, 2147483648u64]})),
                vec![l(format!(
                    ".supplementalGroups[1]: Invalid value: 2147483648: {RANGE}"
                ))],
                "bad supplemental group",
            ),
            (
                sc(json!({"fsGroup": -1, "runAsUser": -2, "runAsGroup": -3})),
                vec![
                    l(format!(".fsGroup: Invalid value: -1: {RANGE}")),
                    l(format!(".runAsUser: Invalid value: -2: {RANGE}")),
                    l(format!(".runAsGroup: Invalid value: -3: {RANGE}")),
                ],
                "order: fsGroup, runAsUser, runAsGroup",
            ),
            (
                sc(
                    json!({"runAsUser": 0, "runAsGroup": 2147483647, "fsGroup": 0, "supplementalGroups": [0, 2147483647]}),
                ),
                vec![],
                "ok ids",
            ),
            (
                sc(json!({"fsGroupChangePolicy": "Sometimes"})),
                vec![l(
                    ".fsGroupChangePolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnRootMismatch\"",
                )],
                "bad fsGroupChangePolicy",
            ),
            (
                sc(json!({"fsGroupChangePolicy": "OnRootMismatch"})),
                vec![],
                "ok fsGroupChangePolicy",
            ),
            (
                sc(json!({"supplementalGroupsPolicy": "X"})),
                vec![l(
                    ".supplementalGroupsPolicy: Unsupported value: \"X\": supported values: \"Merge\", \"Strict\"",
                )],
                "bad supplementalGroupsPolicy",
            ),
            (
                sc(json!({"supplementalGroupsPolicy": "Strict"})),
                vec![],
                "ok supplementalGroupsPolicy",
            ),
            (
                sc(json!({"seLinuxChangePolicy": "X"})),
                vec![l(
                    ".seLinuxChangePolicy: Unsupported value: \"X\": supported values: \"MountOption\", \"Recursive\"",
                )],
                "bad seLinuxChangePolicy",
            ),
            (
                sc(
                    json!({"seLinuxChangePolicy": "MountOption", "seLinuxOptions": {"level": "s0:c1,c2", "type": "anything"}}),
                ),
                vec![],
                "ok seLinux",
            ),
        ]);
    }

    #[test]
    fn only_recursive_selinux_when_the_option_says_so() {
        let mut opts = Options::create(true);
        opts.allow_only_recursive_selinux_change_policy = true;
        let v = json!({"securityContext": {"seLinuxChangePolicy": "MountOption"}});
        let spec = Node::from(&v);
        let mut f = Findings::default();
        pod_security_context(
            &spec,
            &At::ROOT.child("s"),
            &opts,
            &mut f.rule(RuleId::PodSpec),
        );
        let got: Vec<String> = f.0.iter().map(|(_, p, m)| format!("{p}: {m}")).collect();
        assert_eq!(
            got,
            vec![
                "s.securityContext.seLinuxChangePolicy: Unsupported value: \"MountOption\": supported values: \"Recursive\""
            ]
        );
    }

    #[test]
    fn sysctls() {
        let ctl = |names: &[&str]| {
            sc(
                json!({"sysctls": names.iter().map(|n| json!({"name": n, "value": "1"})).collect::<Vec<_>>()}),
            )
        };
        check_rows(vec![
            (
                with(ctl(&["net.ipv4.ip_forward"]), json!({"hostNetwork": true})),
                vec![l(
                    ".sysctls[0].name: Invalid value: \"net.ipv4.ip_forward\": may not be specified when 'hostNetwork' is true",
                )],
                "net sysctl with host network",
            ),
            (
                with(ctl(&["net/ipv4/ip_forward"]), json!({"hostNetwork": true})),
                vec![l(
                    ".sysctls[0].name: Invalid value: \"net/ipv4/ip_forward\": may not be specified when 'hostNetwork' is true",
                )],
                "slash form, normalised",
            ),
            (
                with(ctl(&["kernel.shm_rmid_forced"]), json!({"hostIPC": true})),
                vec![l(
                    ".sysctls[0].name: Invalid value: \"kernel.shm_rmid_forced\": may not be specified when 'hostIPC' is true",
                )],
                "ipc sysctl with host ipc",
            ),
            (
                with(ctl(&["fs.mqueue.msg_max"]), json!({"hostIPC": true})),
                vec![l(
                    ".sysctls[0].name: Invalid value: \"fs.mqueue.msg_max\": may not be specified when 'hostIPC' is true",
                )],
                "mqueue with host ipc",
            ),
            (
                with(ctl(&["net.ipv4.*"]), json!({"hostNetwork": true})),
                vec![
                    l(format!(
                        ".sysctls[0].name: Invalid value: \"net.ipv4.*\": {SYSCTL_RE}"
                    )),
                    l(
                        ".sysctls[0].name: Invalid value: \"net.ipv4.*\": may not be specified when 'hostNetwork' is true",
                    ),
                ],
                "wildcard: bad name, still net",
            ),
            (
                with(
                    ctl(&["kernel.shm_rmid_forced", "kernel.shmfoo"]),
                    json!({"hostNetwork": true}),
                ),
                vec![],
                "ok: ipc sysctls with host network; unknown kernel.shm* names",
            ),
            (
                with(
                    ctl(&["kernel.shmfoo", "kernel.semx"]),
                    json!({"hostIPC": true}),
                ),
                vec![],
                "ok: only the listed kernel names are IPC",
            ),
            (
                ctl(&["net.ipv4.ip_forward", "net/ipv4/conf/eth0.100/rp_filter"]),
                vec![],
                "ok without host network",
            ),
            (
                with(
                    ctl(&["vm.max_map_count"]),
                    json!({"hostNetwork": true, "hostIPC": true}),
                ),
                vec![],
                "ok: not namespaced",
            ),
            (
                ctl(&["a", "a"]),
                vec![l(".sysctls[1].name: Duplicate value: \"a\"")],
                "duplicate",
            ),
            (
                ctl(&[""]),
                vec![l(".sysctls[0].name: Required value")],
                "empty name",
            ),
            (
                ctl(&["Net.Core"]),
                vec![l(format!(
                    ".sysctls[0].name: Invalid value: \"Net.Core\": {SYSCTL_RE}"
                ))],
                "uppercase",
            ),
            (
                ctl(&[&"a".repeat(254)]),
                vec![l(format!(
                    ".sysctls[0].name: Invalid value: \"{}\": {SYSCTL_RE}",
                    "a".repeat(254)
                ))],
                "too long",
            ),
            (
                ctl(&["a..b"]),
                vec![l(format!(
                    ".sysctls[0].name: Invalid value: \"a..b\": {SYSCTL_RE}"
                ))],
                "empty segment",
            ),
            (ctl(&["kernel.domainname", "a_b-c.d/e"]), vec![], "ok names"),
        ]);
    }

    #[test]
    fn seccomp_and_apparmor() {
        let sp = |p: Value| sc(json!({"seccompProfile": p}));
        let ap = |p: Value| sc(json!({"appArmorProfile": p}));
        check_rows(vec![
            (
                sp(json!({"type": "Localhost"})),
                vec![l(
                    ".seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost",
                )],
                "Localhost without profile",
            ),
            (
                sp(json!({"type": "Localhost", "localhostProfile": "/abs.json"})),
                vec![l(
                    ".seccompProfile.localhostProfile: Invalid value: \"/abs.json\": must be a relative path",
                )],
                "absolute profile",
            ),
            (
                sp(json!({"type": "Localhost", "localhostProfile": "../x.json"})),
                vec![l(
                    ".seccompProfile.localhostProfile: Invalid value: \"../x.json\": must not contain '..'",
                )],
                "backstep",
            ),
            (
                sp(json!({"type": "Foo"})),
                vec![l(
                    ".seccompProfile.type: Unsupported value: \"Foo\": supported values: \"Localhost\", \"RuntimeDefault\", \"Unconfined\"",
                )],
                "bad type",
            ),
            (
                sp(json!({})),
                vec![l(
                    ".seccompProfile.type: Required value: type is required when seccompProfile is set",
                )],
                "no type",
            ),
            (
                sp(json!({"type": "RuntimeDefault", "localhostProfile": "x"})),
                vec![l(
                    ".seccompProfile.localhostProfile: Invalid value: {\"Type\":\"RuntimeDefault\",\"LocalhostProfile\":\"x\"}: can only be set when seccomp type is Localhost",
                )],
                "profile without Localhost (Go's internal struct)",
            ),
            (
                sp(json!({"type": "RuntimeDefault"})),
                vec![],
                "ok RuntimeDefault",
            ),
            (
                sp(json!({"type": "Localhost", "localhostProfile": "profiles/a.json"})),
                vec![],
                "ok Localhost",
            ),
            (
                sp(json!({"type": "Localhost", "localhostProfile": ""})),
                vec![],
                "ok: empty Localhost profile passes",
            ),
            (
                ap(json!({"type": "Localhost"})),
                vec![l(
                    ".appArmorProfile.localhostProfile: Required value: must be set when AppArmor type is Localhost",
                )],
                "AppArmor Localhost without profile",
            ),
            (
                ap(json!({"type": "Localhost", "localhostProfile": ""})),
                vec![l(
                    ".appArmorProfile.localhostProfile: Required value: must be set when AppArmor type is Localhost",
                )],
                "empty profile",
            ),
            (
                ap(json!({"type": "Localhost", "localhostProfile": " p "})),
                vec![l(
                    ".appArmorProfile.localhostProfile: Invalid value: \" p \": must not be padded with whitespace",
                )],
                "padded profile",
            ),
            (
                ap(json!({"type": "Localhost", "localhostProfile": "p".repeat(4096)})),
                vec![l(
                    ".appArmorProfile.localhostProfile: Too long: may not be more than 4095 bytes",
                )],
                "profile too long",
            ),
            (
                ap(json!({"type": "Bogus"})),
                vec![l(
                    ".appArmorProfile.type: Unsupported value: \"Bogus\": supported values: \"Localhost\", \"RuntimeDefault\", \"Unconfined\"",
                )],
                "bad AppArmor type",
            ),
            (
                ap(json!({"localhostProfile": "x"})),
                vec![l(
                    ".appArmorProfile.type: Required value: type is required when appArmorProfile is set",
                )],
                "no AppArmor type",
            ),
            (
                ap(json!({"type": "RuntimeDefault", "localhostProfile": "p"})),
                vec![l(
                    ".appArmorProfile.localhostProfile: Invalid value: \"p\": can only be set when AppArmor type is Localhost",
                )],
                "profile without Localhost",
            ),
            (ap(json!({"type": "Unconfined"})), vec![], "ok Unconfined"),
            (
                ap(json!({"type": "Localhost", "localhostProfile": "p".repeat(4095)})),
                vec![],
                "ok: 4095 bytes",
            ),
        ]);
    }

    #[test]
    fn windows_options_rows() {
        let wo = |w: Value| sc(json!({"windowsOptions": w}));
        let user = |u: &str| wo(json!({"runAsUserName": u}));
        let u = ".windowsOptions.runAsUserName";
        check_rows(vec![
            (
                user(""),
                vec![l(format!(
                    "{u}: Invalid value: \"\": runAsUserName cannot be an empty string"
                ))],
                "empty user",
            ),
            (
                user("a\u{1}b"),
                vec![l(format!(
                    "{u}: Invalid value: \"a\\u0001b\": runAsUserName cannot contain control characters"
                ))],
                "control character (JSON-escaped)",
            ),
            (
                user("a\\b\\c"),
                vec![l(format!(
                    "{u}: Invalid value: \"a\\\\b\\\\c\": runAsUserName cannot contain more than one backslash"
                ))],
                "two backslashes",
            ),
            (
                user("dom\\"),
                vec![l(format!(
                    "{u}: Invalid value: \"dom\\\\\": runAsUserName's User cannot be empty"
                ))],
                "empty user part",
            ),
            (
                user(&format!("{}\\u", "d".repeat(256))),
                vec![
                    l(format!(
                        "{u}: Invalid value: \"{}\\\\u\": runAsUserName's Domain length must be under 256 characters",
                        "d".repeat(256)
                    )),
                    l(format!(
                        "{u}: Invalid value: \"{}\\\\u\": runAsUserName's Domain doesn't match the NetBios nor the DNS format",
                        "d".repeat(256)
                    )),
                ],
                "long domain",
            ),
            (
                user("bad|dom\\user"),
                vec![l(format!(
                    "{u}: Invalid value: \"bad|dom\\\\user\": runAsUserName's Domain doesn't match the NetBios nor the DNS format"
                ))],
                "bad domain",
            ),
            (
                user(&"u".repeat(105)),
                vec![l(format!(
                    "{u}: Invalid value: \"{}\": runAsUserName's User length must not be longer than 104 characters",
                    "u".repeat(105)
                ))],
                "long user",
            ),
            (
                user(". ."),
                vec![l(format!(
                    "{u}: Invalid value: \". .\": runAsUserName's User cannot contain only periods or spaces"
                ))],
                "dots and spaces",
            ),
            (
                user("us@er"),
                vec![l(format!(
                    "{u}: Invalid value: \"us@er\": runAsUserName's User cannot contain the following characters: \"/\\:;|=,+*?<>@[]"
                ))],
                "reserved character",
            ),
            (
                user("a<b"),
                vec![l(format!(
                    "{u}: Invalid value: \"a\\u003cb\": runAsUserName's User cannot contain the following characters: \"/\\:;|=,+*?<>@[]"
                ))],
                "reserved character, JSON-escaped",
            ),
            (
                user("NT AUTHORITY\\NETWORK SERVICE"),
                vec![],
                "ok NetBIOS domain",
            ),
            (user("corp.example.com\\svc-user"), vec![], "ok DNS domain"),
            (user("ContainerUser"), vec![], "ok user alone"),
            (
                wo(json!({"gmsaCredentialSpecName": "Bad_Name"})),
                vec![l(format!(
                    ".windowsOptions.gmsaCredentialSpecName: Invalid value: \"Bad_Name\": {SUB}"
                ))],
                "bad GMSA name",
            ),
            (
                wo(json!({"gmsaCredentialSpec": ""})),
                vec![l(
                    ".windowsOptions.gmsaCredentialSpec: Invalid value: \"\": gmsaCredentialSpec cannot be an empty string",
                )],
                "empty GMSA spec",
            ),
            (
                wo(
                    json!({"gmsaCredentialSpecName": "webapp-gmsa", "gmsaCredentialSpec": "{}", "hostProcess": false}),
                ),
                vec![],
                "ok GMSA",
            ),
        ]);
        let big = "x".repeat(64 * 1024 + 1);
        let got = crate::policy::pod::testutil::pod_errors(wo(json!({"gmsaCredentialSpec": big})));
        assert_eq!(got.len(), 1);
        assert!(got[0].ends_with(": gmsaCredentialSpec size must be under 64 KiB"));
    }

    #[test]
    fn helpers() {
        assert_eq!(
            sysctl_namespace("net/ipv4/conf/eno2.100/rp_filter"),
            SysctlNamespace::Net
        );
        assert_eq!(sysctl_namespace("kernel.msgmnb"), SysctlNamespace::Ipc);
        assert_eq!(sysctl_namespace("kernel/sem"), SysctlNamespace::Ipc);
        assert_eq!(sysctl_namespace("kernel.shm*"), SysctlNamespace::Ipc);
        assert_eq!(sysctl_namespace("fs.mqueue"), SysctlNamespace::Unknown);
        assert_eq!(sysctl_namespace(""), SysctlNamespace::Unknown);
        assert!(is_netbios_name("ÜBER-DOM"));
        assert!(!is_netbios_name(".dom"));
        assert!(!is_netbios_name(&"d".repeat(16)));
        assert!(is_windows_dns_name("a-1.example"));
        assert!(!is_windows_dns_name("-a.example"));
        assert!(!is_windows_dns_name(""));
    }
}
