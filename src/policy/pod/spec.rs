//! `ValidatePodSpec` in the API server's order, and the pod-level checks that are neither
//! containers nor volumes, after kubernetes/kubernetes `pkg/apis/core/validation/validation.go`
//! (1.37 era, commit 119f0c8b3770e5e4935f2ee3fdd10459a18aaf4b), with helpers from
//! k8s.io/apimachinery v0.37 and k8s.io/component-helpers (`resource`, `node/util/sysctl`).
//!
//! Defaults the API server applies first (`pkg/apis/core/v1/defaults.go`): `SetDefaults_PodSpec`
//! (`dnsPolicy` → `ClusterFirst`, `restartPolicy` → `Always`, `securityContext` → `{}`,
//! `terminationGracePeriodSeconds` → 30) and `SetDefaults_ResourceList` (quantities rounded up
//! to milli precision) are read in as values are read. A field of the wrong JSON type fails
//! decoding in the API server; the checks here skip it (the schema rule reports it).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fmt::{self, Display, Write as _};

use super::helpers::{
    is_huge_page_resource, is_integer_resource_name, is_overcommit_allowed,
    is_standard_resource_name,
};
use super::options::Options;
use super::quantity_field::{self, quantity};
use super::{containers, security, volumes};
use crate::policy::finding::{GoJson, Out, Quoted, Raw, fails};
use crate::policy::meta::{self, Selector};
use crate::policy::names::{
    inclusive_range_error, is_dns1123_label, is_dns1123_subdomain, is_qualified_name,
    is_valid_ip_for_legacy_field, is_valid_label_value, max_len_error, regex_error,
};
use crate::policy::path::At;
use crate::policy::quantity::{Format, Quantity};
use crate::policy::view::Node;

/// `ValidatePodSpec(spec, nil, "spec.template.spec", opts)`, in the API server's order.
///
/// Not checked, as in a 1.37 API server with default feature gates:
/// - `terminationGracePeriodSeconds` required: defaulted to 30, so never missing.
/// - `imagePullSecrets` (`validateImagePullSecrets`): only `name` exists in v1, so it cannot fail.
/// - `schedulingGroup`: dropped before validation (gate GenericWorkload off); `mod.rs` warns.
/// - `deprecatedServiceAccount` == `serviceAccountName` (new in 1.37): the API server keeps the
///   two in sync before validating (`serviceAccountName` wins, `serviceAccount` is its alias);
///   the sync code was not read, so no mismatch is reported (accepting is the safe side).
pub(crate) fn validate(spec: &Node, at: &At, opts: &Options, o: &mut Out) {
    let vols = volumes::validate(spec.field("volumes"), &at.child("volumes"), opts, o);
    resource_claims(
        spec.field("resourceClaims").items(),
        &at.child("resourceClaims"),
        o,
    );
    containers::validate_all(spec, at, &vols, opts, o);
    if opts.pod_level_resources_enabled {
        pod_resources(spec, at, opts, o);
    }
    host_network_deps(spec, at, opts, o);
    restart_policy(spec, &at.child("restartPolicy"), o);
    dns_policy(spec, &at.child("dnsPolicy"), o);
    meta::labels(spec.field("nodeSelector"), &at.child("nodeSelector"), o);
    security::pod_security_context(spec, at, opts, o);
    share_process_namespace(spec, at, o);
    affinity(spec.field("affinity"), &at.child("affinity"), opts, o);
    dns_config(spec, &at.child("dnsConfig"), o);
    readiness_gates(
        spec.field("readinessGates").items(),
        &at.child("readinessGates"),
        o,
    );
    scheduling_gates(
        spec.field("schedulingGates").items(),
        &at.child("schedulingGates"),
        o,
    );
    topology_spread_constraints(
        spec.field("topologySpreadConstraints").items(),
        &at.child("topologySpreadConstraints"),
        opts,
        o,
    );
    windows_host_process(spec, at, o);
    host_users(spec, at, opts, o);
    hostname_override(spec, at, o);
    // serviceAccountName, or its alias serviceAccount (v1 conversion: the new field wins).
    if let Some(name) = non_empty(spec, "serviceAccountName").or(non_empty(spec, "serviceAccount"))
    {
        // ValidateServiceAccountName = NameIsDNSSubdomain.
        o.invalid_each(
            &at.child("serviceAccountName"),
            name,
            is_dns1123_subdomain(name),
        );
    }
    if let Some(name) = non_empty(spec, "nodeName") {
        // ValidateNodeName = NameIsDNSSubdomain; whether the node exists is not checked.
        o.invalid_each(&at.child("nodeName"), name, is_dns1123_subdomain(name));
    }
    if let Some(v) = spec.get("activeDeadlineSeconds").and_then(Node::as_i64)
        && !(1..=i64::from(i32::MAX)).contains(&v)
    {
        o.invalid(
            &at.child("activeDeadlineSeconds"),
            v,
            inclusive_range_error(1, i64::from(i32::MAX)),
        );
    }
    if let Some(name) = non_empty(spec, "hostname") {
        o.invalid_each(&at.child("hostname"), name, is_dns1123_label(name));
    }
    if let Some(name) = non_empty(spec, "subdomain") {
        o.invalid_each(&at.child("subdomain"), name, is_dns1123_label(name));
    }
    let list = spec.field("tolerations").items();
    if !list.is_empty() {
        tolerations(list, &at.child("tolerations"), opts, o);
    }
    host_aliases(
        spec.field("hostAliases").items(),
        &at.child("hostAliases"),
        o,
    );
    if let Some(name) = non_empty(spec, "priorityClassName") {
        // ValidatePriorityClassName = NameIsDNSSubdomain; existence is admission's (Pods only).
        o.invalid_each(
            &at.child("priorityClassName"),
            name,
            is_dns1123_subdomain(name),
        );
    }
    if let Some(name) = str_of(spec, "runtimeClassName") {
        // ValidateRuntimeClassName: any set value, "" included.
        o.invalid_each(
            &at.child("runtimeClassName"),
            name,
            is_dns1123_subdomain(name),
        );
    }
    if let Some(policy) = str_of(spec, "preemptionPolicy") {
        preemption_policy(policy, &at.child("preemptionPolicy"), o);
    }
    if let Some(overhead) = set(spec, "overhead") {
        // validateOverhead: the container resource rules, with the overhead as limits.
        containers::resource_requirements(
            overhead,
            &Node::Null,
            &Node::Null,
            &at.child("overhead"),
            opts,
            o,
        );
    }
    os(spec, at, o);
    volumes::file_key_ref_volumes(spec, at, o);
}

// ---------------------------------------------------------------------------------------------
// Reading fields.

/// A string field (absent, null or another type: `None`).
pub(crate) fn str_of<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.get(key).and_then(Node::as_str)
}

/// A non-empty string field.
fn non_empty<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    str_of(node, key).filter(|s| !s.is_empty())
}

/// A boolean field, false when unset.
pub(crate) fn flag(node: &Node, key: &str) -> bool {
    node.get(key).and_then(Node::as_bool).unwrap_or(false)
}

/// A field that is set (Go's non-nil pointer): present and not null.
pub(super) fn set<'a, 'b>(node: &'a Node<'b>, key: &str) -> Option<&'a Node<'b>> {
    node.get(key).filter(|v| !v.is_null())
}

/// An `int32` field: an integer in range (anything else fails decoding).
fn int32_of(node: &Node, key: &str) -> Option<i64> {
    node.get(key)
        .and_then(Node::as_i64)
        .filter(|v| i32::try_from(*v).is_ok())
}

/// The pod's `os.name`.
fn os_name<'a>(spec: &'a Node) -> Option<&'a str> {
    str_of(spec.field("os"), "name")
}

/// Whether a list item decodes into a Go struct: an object, or `null` (the zero value). Other
/// types fail decoding and are skipped.
fn is_struct(item: &Node) -> bool {
    item.is_object() || item.is_null()
}

/// The items of a list that decode into a Go struct ([`is_struct`]), with their indexes.
pub(super) fn struct_items<'n, 'a>(
    list: &'n [Node<'a>],
) -> impl Iterator<Item = (usize, &'n Node<'a>)> {
    list.iter().enumerate().filter(|(_, item)| is_struct(item))
}

/// `podshelper.VisitContainersWithPath`: init, regular, then ephemeral containers.
pub(crate) fn each_container<'a>(spec: &'a Node, at: &At, mut f: impl FnMut(&'a Node<'a>, &At)) {
    for kind in ["initContainers", "containers", "ephemeralContainers"] {
        let list = at.child(kind);
        for (i, c) in struct_items(spec.field(kind).items()) {
            f(c, &list.index(i));
        }
    }
}

/// A typed string (`core.DNSPolicy`, …) as a field error prints it: JSON.
pub(super) fn typed(s: &str) -> Raw<GoJson<'_>> {
    Raw(GoJson(s))
}

/// A `[]string` as a field error prints it: a JSON list.
struct GoJsonList<'a, 'b>(&'a [Node<'b>]);

impl Display for GoJsonList<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('[')?;
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_char(',')?;
            }
            match v.as_str() {
                Some(s) => GoJson(s).fmt(f)?,
                None => v.fmt(f)?,
            }
        }
        f.write_char(']')
    }
}

// ---------------------------------------------------------------------------------------------
// Resource claims and pod-level resources.

/// `validatePodResourceClaims` (the pod is a template: no static-pod check).
fn resource_claims(list: &[Node], at: &At, o: &mut Out) {
    let mut names = HashSet::new();
    for (i, claim) in struct_items(list) {
        let c_at = at.index(i);
        let name = str_of(claim, "name").unwrap_or("");
        let name_at = c_at.child("name");
        if name.is_empty() {
            o.required(&name_at, "");
        } else if names.contains(name) {
            o.duplicate(&name_at, name);
        } else {
            o.invalid_each(&name_at, name, is_dns1123_label(name));
            names.insert(name);
        }
        let by_name = set(claim, "resourceClaimName");
        let by_template = set(claim, "resourceClaimTemplateName");
        if by_name.is_some() && by_template.is_some() {
            o.invalid(
                &c_at,
                Raw(ClaimJson(claim)),
                "at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified",
            );
        }
        if by_name.is_none() && by_template.is_none() {
            o.invalid(
                &c_at,
                Raw(ClaimJson(claim)),
                "must specify one of: `resourceClaimName`, `resourceClaimTemplateName`",
            );
        }
        // ValidateResourceClaimName / ValidateResourceClaimTemplateName = NameIsDNSSubdomain.
        for key in ["resourceClaimName", "resourceClaimTemplateName"] {
            if let Some(v) = str_of(claim, key) {
                o.invalid_each(&c_at.child(key), v, is_dns1123_subdomain(v));
            }
        }
    }
}

/// A pod resource claim as Go prints the internal `core.PodResourceClaim` (no JSON tags, so
/// Go's field names; unset pointers as `null`).
struct ClaimJson<'a, 'b>(&'a Node<'b>);

impl Display for ClaimJson<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = |f: &mut fmt::Formatter<'_>, key: &str| match str_of(self.0, key) {
            Some(s) => GoJson(s).fmt(f),
            None => f.write_str("null"),
        };
        f.write_str("{\"Name\":")?;
        GoJson(str_of(self.0, "name").unwrap_or("")).fmt(f)?;
        f.write_str(",\"ResourceClaimName\":")?;
        field(f, "resourceClaimName")?;
        f.write_str(",\"ResourceClaimTemplateName\":")?;
        field(f, "resourceClaimTemplateName")?;
        f.write_char('}')
    }
}

/// `validatePodResources`: pod-level `resources` (gate PodLevelResources, on in 1.37).
fn pod_resources(spec: &Node, at: &At, opts: &Options, o: &mut Out) {
    let Some(res) = spec.get("resources").filter(|r| r.is_object()) else {
        return;
    };
    let r_at = at.child("resources");
    if os_name(spec) == Some("windows") {
        o.forbidden(&r_at, "may not be set for a windows pod");
        return;
    }
    if set(res, "claims").is_some() {
        o.forbidden(
            &r_at.child("claims"),
            "claims may not be set for Resources at pod-level",
        );
    }
    // gatherPodResourceClaimNames.
    let claim_names: HashSet<&str> = spec
        .field("resourceClaims")
        .items()
        .iter()
        .filter_map(|c| non_empty(c, "name"))
        .collect();
    pod_resource_requirements(res, &claim_names, &r_at, opts, o);
    pod_resource_consistency(spec, res, &r_at, o);
}

/// `validatePodResourceName`: `validateResourceName`, then only what pod-level resources
/// support (`resourcehelper.SupportedPodLevelResources`: cpu, memory, hugepages-*).
fn pod_resource_name(name: &str, at: &At, o: &mut Out) {
    let before = o.count();
    for m in is_qualified_name(name) {
        o.invalid(at, typed(name), m);
    }
    if o.count() != before {
        return;
    }
    if !name.contains('/') && !is_standard_resource_name(name) {
        o.invalid(
            at,
            typed(name),
            "must be a standard resource type or fully qualified",
        );
        return;
    }
    if !matches!(name, "cpu" | "memory") && !is_huge_page_resource(name) {
        o.not_supported(at, typed(name), &["cpu", "hugepages-", "memory"]);
    }
}

const NANO: i128 = 1_000_000_000;

/// A resource quantity after `SetDefaults_ResourceList` (`RoundUp(-3)`: up, away from zero, to
/// milli precision), held as Go holds it: the exact value, the notation it prints in, and the
/// text Go keeps from parsing while it is neither rounded nor added to.
#[derive(Debug, Clone)]
struct Amount {
    /// The value in units of 10^-9.
    nanos: i128,
    format: Format,
    /// Go's cached `Quantity.s`: the parsed quantity, when its value is unchanged.
    text: Option<Quantity>,
}

impl Amount {
    /// The defaulted value of a parsed quantity; `None` when it is too large to hold exactly
    /// (beyond 9.2e18 whole units, or beyond 9.2e9 with a fraction): checks needing the value
    /// are then skipped.
    fn of(q: &Quantity) -> Option<Amount> {
        let nanos = match q.scaled_value(-9) {
            // Exact: parsing already rounded to nano precision.
            Some(n) => i128::from(n),
            None => {
                let units = q.value()?;
                let exact = Quantity::parse(&units.to_string()).ok()?;
                if exact.compare(q) != Ordering::Equal {
                    return None;
                }
                i128::from(units) * NANO
            }
        };
        let rem = nanos % 1_000_000;
        if rem == 0 {
            Some(Amount {
                nanos,
                format: q.format(),
                text: Some(q.clone()),
            })
        } else {
            Some(Amount {
                nanos: nanos - rem + rem.signum() * 1_000_000,
                format: q.format(),
                text: None,
            })
        }
    }

    /// `Quantity.Add`: the left side's notation (the right one's when the left is zero), and
    /// no kept text.
    fn add(&mut self, other: &Amount) {
        if self.nanos == 0 {
            self.format = other.format;
        }
        self.nanos = self.nanos.saturating_add(other.nanos);
        self.text = None;
    }
}

/// `Quantity.String()`.
impl Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.text {
            Some(q) => q.fmt(f),
            None => f.write_str(&canonical(self.nanos, self.format)),
        }
    }
}

/// `Quantity.CanonicalizeBytes` of a value in nano units.
fn canonical(nanos: i128, format: Format) -> String {
    if nanos == 0 {
        return "0".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let mag = nanos.unsigned_abs();
    let nano = NANO.unsigned_abs();
    let mut format = format;
    // BinarySI only for whole values of at least 1024 (else it would round).
    if format == Format::BinarySi && (mag < 1024 * nano || !mag.is_multiple_of(nano)) {
        format = Format::DecimalSi;
    }
    if format == Format::BinarySi {
        let mut v = mag / nano;
        let mut times = 0;
        while v >= 1024 && v.is_multiple_of(1024) {
            v /= 1024;
            times += 1;
        }
        // Go finds no suffix past Ei and prints the number alone.
        let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
            .get(times)
            .copied()
            .unwrap_or("");
        return format!("{sign}{v}{suffix}");
    }
    let mut m = mag;
    let mut exponent: i32 = -9;
    while m.is_multiple_of(10) {
        m /= 10;
        exponent += 1;
    }
    let mut digits = m.to_string();
    // The exponent is brought down to a multiple of 3 (Go's % truncates toward zero).
    while exponent % 3 != 0 {
        digits.push('0');
        exponent -= 1;
    }
    let suffix = match (format, exponent) {
        (Format::DecimalExponent, 0) => String::new(),
        (Format::DecimalExponent, e) => format!("e{e}"),
        (_, -9) => "n".into(),
        (_, -6) => "u".into(),
        (_, -3) => "m".into(),
        (_, 3) => "k".into(),
        (_, 6) => "M".into(),
        (_, 9) => "G".into(),
        (_, 12) => "T".into(),
        (_, 15) => "P".into(),
        (_, 18) => "E".into(),
        // Exponent 0, or one with no DecimalSI suffix: Go prints the number alone.
        _ => String::new(),
    };
    format!("{sign}{digits}{suffix}")
}

/// A quantity field as validation sees it (after defaulting): its value when it can be held,
/// else the parsed quantity as it is.
struct Shown {
    q: Quantity,
    amount: Option<Amount>,
}

impl Shown {
    fn of(q: Quantity) -> Shown {
        let amount = Amount::of(&q);
        Shown { q, amount }
    }

    fn is_negative(&self) -> bool {
        match &self.amount {
            Some(a) => a.nanos < 0,
            None => self.q.is_negative(),
        }
    }

    fn cmp(&self, other: &Shown) -> Ordering {
        match (&self.amount, &other.amount) {
            (Some(a), Some(b)) => a.nanos.cmp(&b.nanos),
            _ => self.q.compare(&other.q),
        }
    }
}

impl Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.amount {
            Some(a) => a.fmt(f),
            None => self.q.fmt(f),
        }
    }
}

/// `ValidateResourceQuantityValue`: not negative; whole numbers for integer resources.
fn resource_quantity_value(name: &str, q: &Shown, at: &At, o: &mut Out) {
    if q.is_negative() {
        o.invalid(at, q.to_string(), "must be greater than or equal to 0");
    }
    if is_integer_resource_name(name) {
        // MilliValue() % 1000; skipped when Go's int64 would wrap.
        let milli = match &q.amount {
            Some(a) => i64::try_from(a.nanos / 1_000_000).ok(),
            None => q.q.milli_value(),
        };
        if let Some(milli) = milli
            && milli % 1000 != 0
        {
            // The Quantity itself is the value: its JSON is its text, quoted.
            let text = q.to_string();
            o.invalid(at, Raw(GoJson(&text)), "must be an integer");
        }
    }
}

/// `validateResourceQuantityHugePageValue` (`helper.IsHugePageResourceValueDivisible`).
fn hugepage_value(name: &str, q: &Shown, at: &At, opts: &Options, o: &mut Out) {
    if opts.allow_indivisible_huge_pages_values {
        return;
    }
    let divisible = super::helpers::is_huge_page_value_divisible(name, &q.q);
    if !divisible {
        let text = q.to_string();
        o.invalid(
            at,
            &text,
            format!("{text} is not positive integer multiple of {name}"),
        );
    }
}

/// `validatePodResourceRequirements` = `validateResourceRequirements` with
/// `validatePodResourceName`, at `spec.template.spec.resources`.
fn pod_resource_requirements(
    res: &Node,
    claim_names: &HashSet<&str>,
    at: &At,
    opts: &Options,
    o: &mut Out,
) {
    let lim_at = at.child("limits");
    let req_at = at.child("requests");
    let limits = res.field("limits");
    let requests = res.field("requests");
    let (mut lim_cpu_mem, mut req_cpu_mem, mut lim_huge, mut req_huge) =
        (false, false, false, false);
    for (name, value) in limits.entries() {
        let p = lim_at.key(name);
        pod_resource_name(name, &p, o);
        let q = quantity(value, &p, opts, o).map(Shown::of);
        if let Some(q) = &q {
            resource_quantity_value(name, q, &p, o);
        }
        if is_huge_page_resource(name) {
            lim_huge = true;
            if let Some(q) = &q {
                hugepage_value(name, q, &p, opts, o);
            }
        }
        if matches!(name, "cpu" | "memory") {
            lim_cpu_mem = true;
        }
    }
    for (name, value) in requests.entries() {
        let p = req_at.key(name);
        pod_resource_name(name, &p, o);
        let q = quantity(value, &p, opts, o).map(Shown::of);
        if let Some(q) = &q {
            resource_quantity_value(name, q, &p, o);
            match limits.get(name) {
                Some(limit) => {
                    if let Some(limit) = quantity_field::quiet(limit).map(Shown::of) {
                        let ord = q.cmp(&limit);
                        if ord != Ordering::Equal && !is_overcommit_allowed(name) {
                            o.invalid(
                                &req_at,
                                q.to_string(),
                                format!("must be equal to {name} limit of {limit}"),
                            );
                        } else if ord == Ordering::Greater {
                            o.invalid(
                                &req_at,
                                q.to_string(),
                                format!("must be less than or equal to {name} limit of {limit}"),
                            );
                        }
                    }
                }
                None if !is_overcommit_allowed(name) => o.required(
                    &lim_at,
                    "Limit must be set for non overcommitable resources",
                ),
                None => {}
            }
        }
        if is_huge_page_resource(name) {
            req_huge = true;
            if let Some(q) = &q {
                hugepage_value(name, q, &p, opts, o);
            }
        }
        if matches!(name, "cpu" | "memory") {
            req_cpu_mem = true;
        }
    }
    if !lim_cpu_mem && !req_cpu_mem && (req_huge || lim_huge) {
        o.forbidden(at, "HugePages require cpu or memory");
    }
    resource_claim_names(
        res.field("claims").items(),
        claim_names,
        &at.child("claims"),
        o,
    );
}

/// `validateResourceClaimNames`: each entry names a pod claim, at most once.
fn resource_claim_names(list: &[Node], claim_names: &HashSet<&str>, at: &At, o: &mut Out) {
    let mut names: HashSet<String> = HashSet::new();
    // How many keys with a `/` start with each prefix (the part before the first `/`): Go
    // scans its set for them, once per entry without a request.
    let mut by_prefix: HashMap<String, usize> = HashMap::new();
    for (i, claim) in struct_items(list) {
        let c_at = at.index(i);
        let name = str_of(claim, "name").unwrap_or("");
        if name.is_empty() {
            o.required(&c_at, "");
            continue;
        }
        if names.contains(name) {
            o.duplicate(&c_at, name);
        } else {
            let request = str_of(claim, "request").unwrap_or("");
            let mut key = name.to_string();
            if !request.is_empty() {
                o.invalid_each(&c_at.child("request"), request, is_dns1123_label(request));
                key.push('/');
                key.push_str(request);
            }
            if names.contains(&key) {
                o.duplicate(&c_at, key.as_str());
            } else {
                if request.is_empty() {
                    for _ in 0..by_prefix.get(name).copied().unwrap_or(0) {
                        o.duplicate(&c_at, name);
                    }
                }
                if let Some((prefix, _)) = key.split_once('/') {
                    *by_prefix.entry(prefix.to_string()).or_default() += 1;
                }
                names.insert(key);
            }
        }
        if !claim_names.contains(name) {
            let mut detail = String::from("must be one of the names in pod.spec.resourceClaims");
            if claim_names.is_empty() {
                detail.push_str(" which is empty");
            } else {
                let mut sorted: Vec<&str> = claim_names.iter().copied().collect();
                sorted.sort_unstable();
                detail.push_str(": ");
                detail.push_str(&sorted.join(", "));
            }
            o.add(&c_at, format!("Not found: {}: {detail}", Quoted(name)));
        }
    }
}

/// A resource list (`requests` or `limits`) in order, a key given twice counting once (the
/// last, as Go's decoder keeps); `None` for a value that cannot be held (see
/// [`Amount::of`]), which takes the resource out of the comparisons.
#[derive(Debug, Clone, Default)]
struct ResourceList<'a> {
    items: Vec<(&'a str, Option<Amount>)>,
    index: HashMap<&'a str, usize>,
}

impl<'a> ResourceList<'a> {
    fn of(list: &'a Node) -> ResourceList<'a> {
        let mut out = ResourceList::default();
        for (name, value) in list.entries() {
            let amount = quantity_field::quiet(value).as_ref().and_then(Amount::of);
            out.set(name, amount);
        }
        out
    }

    fn get(&self, name: &str) -> Option<&Option<Amount>> {
        self.index
            .get(name)
            .and_then(|i| self.items.get(*i))
            .map(|(_, a)| a)
    }

    fn set(&mut self, name: &'a str, amount: Option<Amount>) {
        match self.index.get(name).copied() {
            Some(i) => {
                if let Some(slot) = self.items.get_mut(i) {
                    slot.1 = amount;
                }
            }
            None => {
                self.index.insert(name, self.items.len());
                self.items.push((name, amount));
            }
        }
    }

    /// `addResourceList`.
    fn add_all(&mut self, other: &ResourceList<'a>) {
        for (name, amount) in &other.items {
            match self.index.get(name).copied() {
                None => self.set(name, amount.clone()),
                Some(i) => {
                    if let Some(slot) = self.items.get_mut(i) {
                        match (&mut slot.1, amount) {
                            (Some(a), Some(b)) => a.add(b),
                            (cur, _) => *cur = None,
                        }
                    }
                }
            }
        }
    }

    /// `maxResourceList`.
    fn max_all(&mut self, other: &ResourceList<'a>) {
        for (name, amount) in &other.items {
            match self.index.get(name).copied() {
                None => self.set(name, amount.clone()),
                Some(i) => {
                    if let Some(slot) = self.items.get_mut(i) {
                        match (&slot.1, amount) {
                            (Some(a), Some(b)) if b.nanos > a.nanos => slot.1 = Some(b.clone()),
                            (Some(_), Some(_)) => {}
                            _ => slot.1 = None,
                        }
                    }
                }
            }
        }
    }
}

/// `resourcehelper.AggregateContainerRequests` / `AggregateContainerLimits` from the spec
/// alone: regular containers and restartable (sidecar) init containers add up; an init
/// container runs with the sidecars before it; the pod needs the larger of the two.
/// (Requests are not defaulted from limits in a template.)
fn aggregate<'a>(spec: &'a Node, which: &str) -> ResourceList<'a> {
    let mut result = ResourceList::default();
    for c in spec.field("containers").items() {
        result.add_all(&ResourceList::of(c.field("resources").field(which)));
    }
    let mut sidecars = ResourceList::default();
    let mut init = ResourceList::default();
    for c in spec.field("initContainers").items() {
        let own = ResourceList::of(c.field("resources").field(which));
        if str_of(c, "restartPolicy") == Some("Always") {
            result.add_all(&own);
            sidecars.add_all(&own);
            init.max_all(&sidecars);
        } else {
            let mut combined = ResourceList::default();
            combined.add_all(&own);
            combined.add_all(&sidecars);
            init.max_all(&combined);
        }
    }
    result.max_all(&init);
    result
}

/// `validatePodResourceConsistency`: pod requests cover the containers' aggregate requests,
/// pod hugepages limits their aggregate limits, and no container limit exceeds the pod's.
fn pod_resource_consistency(spec: &Node, res: &Node, at: &At, o: &mut Out) {
    let pod_requests = ResourceList::of(res.field("requests"));
    let pod_limits = ResourceList::of(res.field("limits"));
    if !pod_requests.items.is_empty() {
        let req_at = at.child("requests");
        for (name, agg) in &aggregate(spec, "requests").items {
            if let (Some(agg), Some(Some(pod))) = (agg, pod_requests.get(name))
                && agg.nanos > pod.nanos
            {
                o.invalid(
                    &req_at.key(name),
                    pod.to_string(),
                    format!(
                        "must be greater than or equal to aggregate container requests of {agg}"
                    ),
                );
            }
        }
    }
    if pod_limits
        .items
        .iter()
        .any(|(n, _)| is_huge_page_resource(n))
    {
        let lim_at = at.child("limits");
        for (name, agg) in &aggregate(spec, "limits").items {
            if !is_huge_page_resource(name) {
                continue;
            }
            if let (Some(agg), Some(Some(pod))) = (agg, pod_limits.get(name))
                && agg.nanos > pod.nanos
            {
                o.invalid(
                    &lim_at.key(name),
                    pod.to_string(),
                    format!("must be greater than or equal to aggregate container limits of {agg}"),
                );
            }
        }
    }
    if !pod_limits.items.is_empty() {
        let cs = at.child("containers");
        for (i, c) in spec.field("containers").items().iter().enumerate() {
            let c_at = cs.index(i);
            for (name, limit) in &ResourceList::of(c.field("resources").field("limits")).items {
                if let (Some(limit), Some(Some(pod))) = (limit, pod_limits.get(name))
                    && limit.nanos > pod.nanos
                {
                    let k = c_at.key(name);
                    o.invalid(
                        &k.child("limits"),
                        limit.to_string(),
                        format!("must be less than or equal to pod limits of {pod}"),
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Host network, policies, process namespace.

/// `validatePodHostNetworkDeps`: with `hostNetwork`, a regular container's `hostPort` must be
/// its `containerPort`; 0 (unset) passes for a template (`ResourceIsPod` is false).
fn host_network_deps(spec: &Node, at: &At, opts: &Options, o: &mut Out) {
    if !flag(spec, "hostNetwork") {
        return;
    }
    let cs = at.child("containers");
    for (i, c) in spec.field("containers").items().iter().enumerate() {
        let c_at = cs.index(i);
        let ports_at = c_at.child("ports");
        for (j, port) in c.field("ports").items().iter().enumerate() {
            let host = port.get("hostPort").and_then(Node::as_i64).unwrap_or(0);
            let container = port
                .get("containerPort")
                .and_then(Node::as_i64)
                .unwrap_or(0);
            if (opts.resource_is_pod || host != 0) && host != container {
                let p = ports_at.index(j);
                o.invalid(
                    &p.child("hostPort"),
                    host,
                    "must match `containerPort` when `hostNetwork` is true",
                );
            }
        }
    }
}

/// `validateRestartPolicy` (`""` is defaulted to `Always` first, so never missing). The
/// DaemonSet's own "must be Always" check is in `daemonset.rs`.
fn restart_policy(spec: &Node, at: &At, o: &mut Out) {
    let policy = match spec.get("restartPolicy") {
        Some(Node::String(s)) if !s.is_empty() => s.as_ref(),
        _ => return,
    };
    if !matches!(policy, "Always" | "OnFailure" | "Never") {
        o.not_supported(at, typed(policy), &["Always", "OnFailure", "Never"]);
    }
}

/// The `dnsPolicy` after `SetDefaults_PodSpec` (`""` → `ClusterFirst`); `None` when it is not
/// a string.
fn dns_policy_of<'a>(spec: &'a Node) -> Option<&'a str> {
    match spec.get("dnsPolicy") {
        None | Some(Node::Null) => Some("ClusterFirst"),
        Some(Node::String(s)) if s.is_empty() => Some("ClusterFirst"),
        Some(Node::String(s)) => Some(s.as_ref()),
        Some(_) => None,
    }
}

/// `validateDNSPolicy`.
fn dns_policy(spec: &Node, at: &At, o: &mut Out) {
    if let Some(policy) = dns_policy_of(spec)
        && !matches!(
            policy,
            "ClusterFirstWithHostNet" | "ClusterFirst" | "Default" | "None"
        )
    {
        o.not_supported(
            at,
            typed(policy),
            &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        );
    }
}

/// `validateShareProcessNamespace`.
fn share_process_namespace(spec: &Node, at: &At, o: &mut Out) {
    if flag(spec, "shareProcessNamespace") && flag(spec, "hostPID") {
        o.invalid(
            &at.child("shareProcessNamespace"),
            true,
            "ShareProcessNamespace and HostPID cannot both be enabled",
        );
    }
}

/// `ValidatePreemptionPolicy`.
fn preemption_policy(policy: &str, at: &At, o: &mut Out) {
    match policy {
        "PreemptLowerPriority" | "Never" => {}
        "" => o.required(at, ""),
        _ => o.not_supported(at, typed(policy), &["PreemptLowerPriority", "Never"]),
    }
}

// ---------------------------------------------------------------------------------------------
// Affinity.

/// `validateAffinity`.
fn affinity(affinity: &Node, at: &At, opts: &Options, o: &mut Out) {
    if !affinity.is_object() {
        return;
    }
    if let Some(na) = set(affinity, "nodeAffinity") {
        node_affinity(na, &at.child("nodeAffinity"), opts, o);
    }
    let allow = opts.allow_invalid_label_value_in_selector;
    for kind in ["podAffinity", "podAntiAffinity"] {
        if let Some(pa) = set(affinity, kind) {
            pod_affinity(pa, allow, &at.child(kind), o);
        }
    }
}

/// `validateNodeAffinity`.
fn node_affinity(na: &Node, at: &At, opts: &Options, o: &mut Out) {
    if let Some(required) = set(na, "requiredDuringSchedulingIgnoredDuringExecution") {
        // ValidateNodeSelector.
        let r_at = at.child("requiredDuringSchedulingIgnoredDuringExecution");
        let terms_at = r_at.child("nodeSelectorTerms");
        let terms = required.field("nodeSelectorTerms").items();
        if terms.is_empty() {
            o.required(&terms_at, "must have at least one node selector term");
        } else {
            let allow = opts.allow_invalid_label_value_in_required_node_affinity;
            for (i, term) in struct_items(terms) {
                node_selector_term(term, allow, &terms_at.index(i), o);
            }
        }
    }
    // ValidatePreferredSchedulingTerms.
    let p_at = at.child("preferredDuringSchedulingIgnoredDuringExecution");
    for (i, term) in struct_items(
        na.field("preferredDuringSchedulingIgnoredDuringExecution")
            .items(),
    ) {
        let t_at = p_at.index(i);
        weight(term, &t_at, o);
        // Label values of preferred terms are never checked.
        node_selector_term(term.field("preference"), true, &t_at.child("preference"), o);
    }
}

/// The `weight` of a preferred term: 1 to 100.
fn weight(term: &Node, at: &At, o: &mut Out) {
    let w = match term.get("weight") {
        None | Some(Node::Null) => 0,
        Some(_) => match int32_of(term, "weight") {
            Some(w) => w,
            None => return,
        },
    };
    if !(1..=100).contains(&w) {
        o.invalid(&at.child("weight"), w, "must be in the range 1-100");
    }
}

/// `ValidateNodeSelectorTerm`.
fn node_selector_term(term: &Node, allow_invalid_values: bool, at: &At, o: &mut Out) {
    let exprs = at.child("matchExpressions");
    for (j, req) in struct_items(term.field("matchExpressions").items()) {
        node_selector_requirement(req, allow_invalid_values, &exprs.index(j), o);
    }
    let fields = at.child("matchFields");
    for (j, req) in struct_items(term.field("matchFields").items()) {
        node_field_selector_requirement(req, &fields.index(j), o);
    }
}

/// `ValidateNodeSelectorRequirement`.
fn node_selector_requirement(req: &Node, allow_invalid_values: bool, at: &At, o: &mut Out) {
    let op = str_of(req, "operator").unwrap_or("");
    let values = req.field("values").items();
    let values_at = at.child("values");
    match op {
        "In" | "NotIn" => {
            if values.is_empty() {
                o.required(
                    &values_at,
                    "must be specified when `operator` is 'In' or 'NotIn'",
                );
            }
        }
        "Exists" | "DoesNotExist" => {
            if !values.is_empty() {
                o.forbidden(
                    &values_at,
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                );
            }
        }
        "Gt" | "Lt" => {
            if values.len() != 1 {
                o.required(
                    &values_at,
                    "must be specified single value when `operator` is 'Lt' or 'Gt'",
                );
            }
        }
        _ => o.invalid(
            &at.child("operator"),
            typed(op),
            "not a valid selector operator",
        ),
    }
    meta::label_name(str_of(req, "key").unwrap_or(""), &at.child("key"), o);
    if !allow_invalid_values {
        for (k, v) in values.iter().enumerate() {
            if let Some(v) = v.as_str() {
                o.invalid_each(&values_at.index(k), v, is_valid_label_value(v));
            }
        }
    }
}

/// `ValidateNodeFieldSelectorRequirement`: only `metadata.name`, with `In`/`NotIn` and one
/// value, a node name.
fn node_field_selector_requirement(req: &Node, at: &At, o: &mut Out) {
    let op = str_of(req, "operator").unwrap_or("");
    let values = req.field("values").items();
    let values_at = at.child("values");
    match op {
        "In" | "NotIn" => {
            if values.len() != 1 {
                o.required(
                    &values_at,
                    "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
                );
            }
        }
        _ => o.invalid(
            &at.child("operator"),
            typed(op),
            "not a valid selector operator",
        ),
    }
    let key = str_of(req, "key").unwrap_or("");
    if key != "metadata.name" {
        o.invalid(&at.child("key"), key, "not a valid field selector key");
    } else {
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v.as_str() {
                // ValidateNodeName = NameIsDNSSubdomain.
                o.invalid_each(&values_at.index(i), v, is_dns1123_subdomain(v));
            }
        }
    }
}

/// `validatePodAffinity` / `validatePodAntiAffinity`.
fn pod_affinity(pa: &Node, allow: bool, at: &At, o: &mut Out) {
    let r_at = at.child("requiredDuringSchedulingIgnoredDuringExecution");
    for (i, term) in struct_items(
        pa.field("requiredDuringSchedulingIgnoredDuringExecution")
            .items(),
    ) {
        pod_affinity_term(term, allow, &r_at.index(i), o);
    }
    // validateWeightedPodAffinityTerms.
    let p_at = at.child("preferredDuringSchedulingIgnoredDuringExecution");
    for (i, term) in struct_items(
        pa.field("preferredDuringSchedulingIgnoredDuringExecution")
            .items(),
    ) {
        let t_at = p_at.index(i);
        weight(term, &t_at, o);
        pod_affinity_term(
            term.field("podAffinityTerm"),
            allow,
            &t_at.child("podAffinityTerm"),
            o,
        );
    }
}

/// A label selector that is set (`nil` when null or not an object).
fn selector_of<'a, 'b>(node: &'a Node<'b>, key: &str) -> Option<&'a Node<'b>> {
    node.get(key).filter(|s| s.is_object())
}

/// `validatePodAffinityTerm`.
fn pod_affinity_term(term: &Node, allow: bool, at: &At, o: &mut Out) {
    // ValidatePodAffinityTermSelector.
    for key in ["labelSelector", "namespaceSelector"] {
        if let Some(s) = selector_of(term, key).and_then(Selector::of) {
            s.validate(&at.child(key), allow, o);
        }
    }
    for ns in term.field("namespaces").items() {
        if let Some(ns) = ns.as_str() {
            // ValidateNamespaceName; the path is `namespace`, singular and unindexed.
            o.invalid_each(&at.child("namespace"), ns, is_dns1123_label(ns));
        }
    }
    match_label_keys(
        at,
        term.field("matchLabelKeys").items(),
        term.field("mismatchLabelKeys").items(),
        selector_of(term, "labelSelector"),
        o,
    );
    let key = str_of(term, "topologyKey").unwrap_or("");
    let key_at = at.child("topologyKey");
    if key.is_empty() {
        o.required(&key_at, "can not be empty");
    }
    meta::label_name(key, &key_at, o);
}

/// `validateLabelKeys`.
fn label_keys(at: &At, keys: &[Node], selector_set: bool, o: &mut Out) {
    if keys.is_empty() {
        return;
    }
    if !selector_set {
        o.forbidden(at, "must not be specified when labelSelector is not set");
        return;
    }
    for (i, k) in keys.iter().enumerate() {
        if let Some(k) = k.as_str() {
            meta::label_name(k, &at.index(i), o);
        }
    }
}

/// The keys of a selector's `matchLabels`.
fn match_labels_keys<'a>(selector: &'a Node) -> HashSet<&'a str> {
    selector
        .field("matchLabels")
        .entries()
        .map(|(k, _)| k)
        .collect()
}

/// `ValidateMatchLabelKeysAndMismatchLabelKeys` at the term path `at`.
fn match_label_keys(
    at: &At,
    match_keys: &[Node],
    mismatch_keys: &[Node],
    selector: Option<&Node>,
    o: &mut Out,
) {
    let ml_at = at.child("matchLabelKeys");
    label_keys(&ml_at, match_keys, selector.is_some(), o);
    let mm_at = at.child("mismatchLabelKeys");
    label_keys(&mm_at, mismatch_keys, selector.is_some(), o);
    if let Some(selector) = selector
        && !match_keys.is_empty()
    {
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, k) in match_keys.iter().enumerate() {
            if let Some(k) = k.as_str() {
                index.insert(k, i);
            }
        }
        let mut seen = match_labels_keys(selector);
        for expr in selector.field("matchExpressions").items() {
            let key = str_of(expr, "key").unwrap_or("");
            if let Some(&i) = index.get(key)
                && seen.contains(key)
            {
                // Go's path: the term's path indexed (`…[0][1]`), sic.
                o.invalid(
                    &at.index(i),
                    key,
                    "exists in both matchLabelKeys and labelSelector",
                );
            }
            seen.insert(key);
        }
    }
    if !match_keys.is_empty() && !mismatch_keys.is_empty() {
        let mismatch: HashSet<&str> = mismatch_keys.iter().filter_map(Node::as_str).collect();
        for (i, k) in match_keys.iter().enumerate() {
            if let Some(k) = k.as_str()
                && mismatch.contains(k)
            {
                o.invalid(
                    &ml_at.index(i),
                    k,
                    "exists in both matchLabelKeys and mismatchLabelKeys",
                );
            }
        }
    }
}

/// `ValidateMatchLabelKeysInTopologySpread` (the rules before the selector merge), at the
/// `matchLabelKeys` path.
fn match_label_keys_legacy(at: &At, keys: &[Node], selector: Option<&Node>, o: &mut Out) {
    if keys.is_empty() {
        return;
    }
    let mut selector_keys = HashSet::new();
    match selector {
        Some(s) => {
            selector_keys = match_labels_keys(s);
            for expr in s.field("matchExpressions").items() {
                selector_keys.insert(str_of(expr, "key").unwrap_or(""));
            }
        }
        None => o.forbidden(at, "must not be specified when labelSelector is not set"),
    }
    for (i, k) in keys.iter().enumerate() {
        let Some(k) = k.as_str() else { continue };
        let k_at = at.index(i);
        meta::label_name(k, &k_at, o);
        if selector_keys.contains(k) {
            o.invalid(&k_at, k, "exists in both matchLabelKeys and labelSelector");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// DNS, gates, topology spread.

/// `validatePodDNSConfig`.
fn dns_config(spec: &Node, at: &At, o: &mut Out) {
    let config = set(spec, "dnsConfig");
    if dns_policy_of(spec) == Some("None") {
        let Some(config) = config else {
            o.required(at, "must provide `dnsConfig` when `dnsPolicy` is None");
            return;
        };
        if config.is_object() && config.field("nameservers").items().is_empty() {
            o.required(
                &at.child("nameservers"),
                "must provide at least one DNS nameserver when `dnsPolicy` is None",
            );
            return;
        }
    }
    let Some(config) = config.filter(|c| c.is_object()) else {
        return;
    };
    let ns_at = at.child("nameservers");
    let nameservers = config.field("nameservers").items();
    if nameservers.len() > 3 {
        o.invalid(
            &ns_at,
            Raw(GoJsonList(nameservers)),
            "must not have more than 3 nameservers",
        );
    }
    for (i, ns) in nameservers.iter().enumerate() {
        if let Some(ns) = ns.as_str() {
            // IsValidIPForLegacyField with no old values; StrictIPCIDRValidation is on.
            is_valid_ip_for_legacy_field(o, &ns_at.index(i), ns, true);
        }
    }
    let s_at = at.child("searches");
    let searches = config.field("searches").items();
    if searches.len() > 32 {
        o.invalid(
            &s_at,
            Raw(GoJsonList(searches)),
            "must not have more than 32 search paths",
        );
    }
    // strings.Join(searches, " ").
    let joined: usize = searches
        .iter()
        .map(|s| s.as_str().map_or(0, str::len))
        .sum::<usize>()
        + searches.len().saturating_sub(1);
    if joined > 2048 {
        o.invalid(
            &s_at,
            Raw(GoJsonList(searches)),
            "must not have more than 2048 characters (including spaces) in the search list",
        );
    }
    for (i, search) in searches.iter().enumerate() {
        let Some(search) = search.as_str() else {
            continue;
        };
        if search != "." {
            let search = search.strip_suffix('.').unwrap_or(search);
            o.invalid_each(
                &s_at.index(i),
                search,
                dns1123_subdomain_with_underscore(search),
            );
        }
    }
    let o_at = at.child("options");
    for (i, option) in config.field("options").items().iter().enumerate() {
        if is_struct(option) && str_of(option, "name").unwrap_or("").is_empty() {
            o.required(&o_at.index(i), "must not be empty");
        }
    }
}

/// `IsDNS1123SubdomainWithUnderscore` (util/validation): labels
/// `_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?` joined by dots, at most 253 characters.
fn dns1123_subdomain_with_underscore(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 253 {
        errs.push(max_len_error(253));
    }
    let label_ok = |l: &str| {
        let l = l.strip_prefix('_').unwrap_or(l);
        let b = l.as_bytes();
        let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        match (b.first(), b.last()) {
            (Some(&f), Some(&e)) => {
                alnum(f) && alnum(e) && b.iter().all(|&c| alnum(c) || c == b'-' || c == b'_')
            }
            _ => false,
        }
    };
    if !value.split('.').all(label_ok) {
        errs.push(regex_error(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character",
            "_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*",
            &["example.com"],
        ));
    }
    errs
}

/// `validateReadinessGates`: each condition type a qualified name.
fn readiness_gates(list: &[Node], at: &At, o: &mut Out) {
    for (i, gate) in struct_items(list) {
        let t = str_of(gate, "conditionType").unwrap_or("");
        let g = at.index(i);
        o.invalid_each(&g.child("conditionType"), t, is_qualified_name(t));
    }
}

/// `validateSchedulingGates`: qualified names (reported at the item), no duplicates.
fn scheduling_gates(list: &[Node], at: &At, o: &mut Out) {
    let mut seen = HashSet::new();
    for (i, gate) in struct_items(list) {
        let name = str_of(gate, "name").unwrap_or("");
        let g = at.index(i);
        o.invalid_each(&g, name, is_qualified_name(name));
        if !seen.insert(name) {
            o.duplicate(&g, name);
        }
    }
}

/// `validateTopologySpreadConstraints`.
fn topology_spread_constraints(list: &[Node], at: &At, opts: &Options, o: &mut Out) {
    // ValidateSpreadConstraintNotRepeat looks at the later entries; one pass from the end
    // finds, for each entry, whether a later one has the same pair.
    let mut repeated = Vec::new();
    if list.len() > 1 {
        repeated = vec![false; list.len()];
        let mut later = HashSet::new();
        for (i, c) in list.iter().enumerate().rev() {
            if !is_struct(c) {
                continue;
            }
            let pair = (
                str_of(c, "topologyKey").unwrap_or(""),
                str_of(c, "whenUnsatisfiable").unwrap_or(""),
            );
            if let Some(r) = repeated.get_mut(i) {
                *r = !later.insert(pair);
            }
        }
    }
    for (i, c) in struct_items(list) {
        let t = at.index(i);
        let skew = match c.get("maxSkew") {
            None | Some(Node::Null) => Some(0),
            Some(_) => int32_of(c, "maxSkew"),
        };
        if let Some(skew) = skew
            && skew <= 0
        {
            o.invalid(&t.child("maxSkew"), skew, "must be greater than zero");
        }
        let key = str_of(c, "topologyKey").unwrap_or("");
        if key.is_empty() {
            o.required(&t.child("topologyKey"), "can not be empty");
        }
        let action = str_of(c, "whenUnsatisfiable").unwrap_or("");
        if !matches!(action, "DoNotSchedule" | "ScheduleAnyway") {
            o.not_supported(
                &t.child("whenUnsatisfiable"),
                typed(action),
                &["DoNotSchedule", "ScheduleAnyway"],
            );
        }
        if repeated.get(i).copied().unwrap_or(false) {
            o.duplicate(
                &t.child("{topologyKey, whenUnsatisfiable}"),
                format!("{{{key}, {action}}}"),
            );
        }
        // validateMinDomains.
        if let Some(min) = int32_of(c, "minDomains") {
            let m_at = t.child("minDomains");
            if min <= 0 {
                o.invalid(&m_at, min, "must be greater than zero");
            }
            if action != "DoNotSchedule" {
                o.invalid(
                    &m_at,
                    min,
                    format!(
                        "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {action}"
                    ),
                );
            }
        }
        // validateNodeInclusionPolicy.
        for key in ["nodeAffinityPolicy", "nodeTaintsPolicy"] {
            if let Some(policy) = str_of(c, key)
                && !matches!(policy, "Honor" | "Ignore")
            {
                o.not_supported(&t.child(key), typed(policy), &["Honor", "Ignore"]);
            }
        }
        let keys = c.field("matchLabelKeys").items();
        let selector = selector_of(c, "labelSelector");
        let legacy = if opts.allow_match_label_keys_in_pod_topology_spread {
            if opts.allow_match_label_keys_in_pod_topology_spread_selector_merge {
                opts.old_pod_violates_match_label_keys_validation
            } else {
                !opts.old_pod_violates_legacy_match_label_keys_validation
            }
        } else {
            true
        };
        if legacy {
            match_label_keys_legacy(&t.child("matchLabelKeys"), keys, selector, o);
        } else {
            match_label_keys(&t, keys, &[], selector, o);
        }
        if !opts.allow_invalid_topology_spread_constraint_label_selector
            && let Some(s) = selector.and_then(Selector::of)
        {
            s.validate(&t.child("labelSelector"), false, o);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Host process, user namespaces, hostname.

/// `validateWindowsHostProcessPod`. The apiserver's `--allow-privileged` is taken to be true
/// (as every common installer sets it), so "disallowed by cluster policy" is not reported.
fn windows_host_process(spec: &Node, at: &At, o: &mut Out) {
    let host_process = |n: &Node| {
        n.field("securityContext")
            .field("windowsOptions")
            .get("hostProcess")
            .and_then(Node::as_bool)
    };
    let pod = host_process(spec);
    let (mut count, mut host_count) = (0usize, 0usize);
    each_container(spec, at, |c, c_at| {
        count += 1;
        let own = host_process(c);
        if let (Some(p), Some(v)) = (pod, own)
            && p != v
        {
            let sc = c_at.child("securityContext");
            let w = sc.child("windowsOptions");
            o.invalid(
                &w.child("hostProcess"),
                v,
                format!("pod hostProcess value must be identical if both are specified, was {p}"),
            );
        }
        if own == Some(true) || (own.is_none() && pod == Some(true)) {
            host_count += 1;
        }
    });
    if host_count > 0 {
        if host_count != count {
            o.invalid(
                at,
                "",
                "If pod contains any hostProcess containers then all containers must be HostProcess containers",
            );
        }
        if !flag(spec, "hostNetwork") {
            o.invalid(
                &at.child("hostNetwork"),
                false,
                "hostNetwork must be true if pod contains any hostProcess containers",
            );
        }
    }
}

/// `validateHostUsers`: with `hostUsers: false`, no host namespaces and no block devices.
fn host_users(spec: &Node, at: &At, opts: &Options, o: &mut Out) {
    if spec.get("hostUsers").and_then(Node::as_bool) != Some(false) {
        return;
    }
    const WHEN: &str = "when `hostUsers` is false";
    if !opts.allow_user_namespaces_host_network_support && flag(spec, "hostNetwork") {
        o.forbidden(&at.child("hostNetwork"), WHEN);
    }
    // Go's paths are `HostPID` and `HostIPC`, capitalised.
    if flag(spec, "hostPID") {
        o.forbidden(&at.child("HostPID"), WHEN);
    }
    if flag(spec, "hostIPC") {
        o.forbidden(&at.child("HostIPC"), WHEN);
    }
    if !opts.allow_user_namespaces_with_volume_devices {
        each_container(spec, at, |c, c_at| {
            if !c.field("volumeDevices").items().is_empty() {
                o.forbidden(&c_at.child("volumeDevices"), WHEN);
            }
        });
    }
}

/// `validatePodHostName`: `hostnameOverride` (gate HostnameOverride, GA in 1.37).
fn hostname_override(spec: &Node, at: &At, o: &mut Out) {
    let Some(name) = str_of(spec, "hostnameOverride") else {
        return;
    };
    let h_at = at.child("hostnameOverride");
    if flag(spec, "setHostnameAsFQDN") {
        o.forbidden(&h_at, "may not be specified when setHostnameAsFQDN is true");
    }
    if flag(spec, "hostNetwork") {
        o.forbidden(&h_at, "may not be specified when hostNetwork is true");
    }
    if name.len() > 64 {
        o.too_long(&h_at, 64);
    }
    o.invalid_each(&h_at, name, is_dns1123_subdomain(name));
}

// ---------------------------------------------------------------------------------------------
// Tolerations and host aliases.

/// `ValidateTolerations` over a list at `at` (also used for the tolerations annotation).
/// `Lt`/`Gt` need gate TaintTolerationComparisonOperators (off in 1.37).
pub(crate) fn tolerations(list: &[Node], at: &At, opts: &Options, o: &mut Out) {
    for (i, t) in struct_items(list) {
        let p = at.index(i);
        let key = str_of(t, "key").unwrap_or("");
        let op = str_of(t, "operator").unwrap_or("");
        let value = str_of(t, "value").unwrap_or("");
        let effect = str_of(t, "effect").unwrap_or("");
        let op_at = p.child("operator");
        if !key.is_empty() {
            meta::label_name(key, &p.child("key"), o);
        }
        if key.is_empty() && op != "Exists" {
            o.invalid(
                &op_at,
                typed(op),
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            );
        }
        if set(t, "tolerationSeconds").is_some() && effect != "NoExecute" {
            o.invalid(
                &p.child("effect"),
                typed(effect),
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            );
        }
        match op {
            "Equal" | "" => {
                let errs = is_valid_label_value(value);
                if !errs.is_empty() {
                    // Go's path is `operator`, its value the toleration's value (sic).
                    o.invalid(&op_at, value, errs.join(";"));
                }
            }
            "Exists" => {
                if !value.is_empty() {
                    o.invalid(
                        &op_at,
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    );
                }
            }
            "Lt" | "Gt" => {
                if !opts.allow_taint_toleration_comparison_operators {
                    o.not_supported(&op_at, typed(op), &["Equal", "Exists", "Lt", "Gt"]);
                } else {
                    let v_at = p.child("value");
                    for m in decimal_integer(value) {
                        o.invalid(&v_at, value, m);
                    }
                    if let Some(err) = parse_int_error(value) {
                        o.invalid(&v_at, value, err);
                    }
                }
            }
            _ => o.not_supported(&op_at, typed(op), &["Equal", "Exists"]),
        }
        if !effect.is_empty() && !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute")
        {
            o.not_supported(
                &p.child("effect"),
                typed(effect),
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            );
        }
    }
}

/// `content.IsDecimalInteger`: `0`, or an optional `-` and a digit 1-9, then digits.
fn decimal_integer(value: &str) -> Vec<&'static str> {
    const MSG: &str = "must be a valid decimal integer in canonical form";
    if value.is_empty() {
        return vec!["must be non-empty"];
    }
    if value == "0" {
        return Vec::new();
    }
    let digits = value.strip_prefix('-').unwrap_or(value);
    let b = digits.as_bytes();
    match b.first() {
        Some(b'1'..=b'9') if b.iter().all(u8::is_ascii_digit) => Vec::new(),
        _ => vec![MSG],
    }
}

/// The error of Go's `strconv.ParseInt(value, 10, 64)`, if any.
fn parse_int_error(value: &str) -> Option<String> {
    use std::num::IntErrorKind;
    let err = value.parse::<i64>().err()?;
    let why = match err.kind() {
        IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => "value out of range",
        _ => "invalid syntax",
    };
    Some(format!(
        "strconv.ParseInt: parsing {}: {why}",
        Quoted(value)
    ))
}

/// `ValidateHostAliases`: an IP (legacy rules, no old values) and DNS-subdomain host names.
fn host_aliases(list: &[Node], at: &At, o: &mut Out) {
    for (i, alias) in struct_items(list) {
        let a_at = at.index(i);
        let ip = str_of(alias, "ip").unwrap_or("");
        is_valid_ip_for_legacy_field(o, &a_at.child("ip"), ip, true);
        let h_at = a_at.child("hostnames");
        for (j, h) in alias.field("hostnames").items().iter().enumerate() {
            if let Some(h) = h.as_str() {
                o.invalid_each(&h_at.index(j), h, is_dns1123_subdomain(h));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// OS.

/// `validateOS`, then `validateLinux` or `validateWindows` when the name is valid.
fn os(spec: &Node, at: &At, o: &mut Out) {
    let Some(os) = set(spec, "os").filter(|v| v.is_object()) else {
        return;
    };
    let os_at = at.child("os");
    match str_of(os, "name").unwrap_or("") {
        "" => o.required(&os_at.child("name"), ""),
        "linux" => linux(spec, at, o),
        "windows" => windows(spec, at, o),
        other => o.not_supported(&os_at, typed(other), &["linux", "windows"]),
    }
}

/// `validateLinux`: no Windows options, at pod or container level.
fn linux(spec: &Node, at: &At, o: &mut Out) {
    const MSG: &str = "windows options cannot be set for a linux pod";
    if set(spec.field("securityContext"), "windowsOptions").is_some() {
        let sc = at.child("securityContext");
        o.forbidden(&sc.child("windowsOptions"), MSG);
    }
    each_container(spec, at, |c, c_at| {
        if set(c.field("securityContext"), "windowsOptions").is_some() {
            let sc = c_at.child("securityContext");
            o.forbidden(&sc.child("windowsOptions"), MSG);
        }
    });
}

/// `validateWindows`: Linux-only settings are forbidden, set to anything (even `false`).
fn windows(spec: &Node, at: &At, o: &mut Out) {
    const MSG: &str = "cannot be set for a windows pod";
    let sc = spec.field("securityContext");
    let sc_at = at.child("securityContext");
    for key in [
        "appArmorProfile",
        "seLinuxOptions",
        "seccompProfile",
        "fsGroup",
        "fsGroupChangePolicy",
    ] {
        if set(sc, key).is_some() {
            o.forbidden(&sc_at.child(key), MSG);
        }
    }
    if !sc.field("sysctls").items().is_empty() {
        o.forbidden(&sc_at.child("sysctls"), MSG);
    }
    for key in [
        "runAsUser",
        "runAsGroup",
        "supplementalGroups",
        "supplementalGroupsPolicy",
        "seLinuxChangePolicy",
    ] {
        if set(sc, key).is_some() {
            o.forbidden(&sc_at.child(key), MSG);
        }
    }
    if set(spec, "hostUsers").is_some() {
        o.forbidden(&at.child("hostUsers"), MSG);
    }
    if flag(spec, "hostPID") {
        o.forbidden(&at.child("hostPID"), MSG);
    }
    if flag(spec, "hostIPC") {
        o.forbidden(&at.child("hostIPC"), MSG);
    }
    if set(spec, "shareProcessNamespace").is_some() {
        o.forbidden(&at.child("shareProcessNamespace"), MSG);
    }
    each_container(spec, at, |c, c_at| {
        let sc = c.field("securityContext");
        let sc_at = c_at.child("securityContext");
        for key in [
            "appArmorProfile",
            "seLinuxOptions",
            "seccompProfile",
            "capabilities",
            "readOnlyRootFilesystem",
            "privileged",
            "allowPrivilegeEscalation",
            "procMount",
            "runAsUser",
            "runAsGroup",
        ] {
            if set(sc, key).is_some() {
                o.forbidden(&sc_at.child(key), MSG);
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// What an old template used, for the options of an update (`pkg/api/pod/util.go`).

/// `hasInvalidLabelValueInAffinitySelector`: a pod (anti-)affinity term, required or
/// preferred, whose selectors fail `ValidatePodAffinityTermSelector(term, false)`.
pub(crate) fn affinity_selectors_fail_strict(spec: &Node) -> bool {
    let affinity = spec.field("affinity");
    ["podAffinity", "podAntiAffinity"].iter().any(|kind| {
        let pa = affinity.field(kind);
        let required = pa
            .field("requiredDuringSchedulingIgnoredDuringExecution")
            .items();
        let preferred = pa
            .field("preferredDuringSchedulingIgnoredDuringExecution")
            .items();
        required
            .iter()
            .chain(preferred.iter().map(|t| t.field("podAffinityTerm")))
            .any(|term| {
                ["labelSelector", "namespaceSelector"].iter().any(|key| {
                    selector_of(term, key)
                        .and_then(Selector::of)
                        .is_some_and(|s| fails(|o| s.validate(&At::ROOT, false, o)))
                })
            })
    })
}

/// `helper.HasInvalidLabelValueInNodeSelectorTerms` on the required node-affinity terms: a
/// `matchExpressions` value that is not a label value.
pub(crate) fn required_node_affinity_has_invalid_value(spec: &Node) -> bool {
    spec.field("affinity")
        .field("nodeAffinity")
        .field("requiredDuringSchedulingIgnoredDuringExecution")
        .field("nodeSelectorTerms")
        .items()
        .iter()
        .flat_map(|t| t.field("matchExpressions").items())
        .flat_map(|e| e.field("values").items())
        .filter_map(Node::as_str)
        .any(|v| !is_valid_label_value(v).is_empty())
}

/// `hasInvalidTopologySpreadConstraintLabelSelector`: a constraint's selector fails the
/// strict `ValidateLabelSelector`.
pub(crate) fn spread_selectors_fail_strict(spec: &Node) -> bool {
    spec.field("topologySpreadConstraints")
        .items()
        .iter()
        .any(|c| {
            selector_of(c, "labelSelector")
                .and_then(Selector::of)
                .is_some_and(|s| fails(|o| s.validate(&At::ROOT, false, o)))
        })
}

/// `hasInvalidTopologySpreadConstrainMatchLabelKeys`: a constraint's `matchLabelKeys` fail
/// `ValidateMatchLabelKeysAndMismatchLabelKeys`.
pub(crate) fn spread_match_label_keys_fail(spec: &Node) -> bool {
    spec.field("topologySpreadConstraints")
        .items()
        .iter()
        .any(|c| {
            let keys = c.field("matchLabelKeys").items();
            fails(|o| match_label_keys(&At::ROOT, keys, &[], selector_of(c, "labelSelector"), o))
        })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::policy::pod::testutil::{check_rows, pod_errors};

    const P: &str = "spec.template.spec";
    const SUB: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    const LABEL: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    const KEY3: &str = "a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
    const NAME_PART: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    const LVAL: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    const USUB: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*')";

    /// `spec.template.spec<rest>` as a `&'static str` for the rows.
    fn l(rest: impl Display) -> &'static str {
        Box::leak(format!("{P}{rest}").into_boxed_str())
    }

    fn c(extra: Value) -> Value {
        let mut base = json!({"name": "c", "image": "busybox:1.36"});
        if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
            b.extend(e);
        }
        base
    }

    #[test]
    fn resource_claims_rows() {
        check_rows(vec![
            (
                json!({"resourceClaims": [{"name": "c", "resourceClaimName": "a", "resourceClaimTemplateName": "b"}]}),
                vec![l(
                    ".resourceClaims[0]: Invalid value: {\"Name\":\"c\",\"ResourceClaimName\":\"a\",\"ResourceClaimTemplateName\":\"b\"}: at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified",
                )],
                "both sources",
            ),
            (
                json!({"resourceClaims": [{"name": "c"}]}),
                vec![l(
                    ".resourceClaims[0]: Invalid value: {\"Name\":\"c\",\"ResourceClaimName\":null,\"ResourceClaimTemplateName\":null}: must specify one of: `resourceClaimName`, `resourceClaimTemplateName`",
                )],
                "no source",
            ),
            (
                json!({"resourceClaims": [{"name": "", "resourceClaimName": "a"}]}),
                vec![l(".resourceClaims[0].name: Required value")],
                "empty name",
            ),
            (
                json!({"resourceClaims": [{"name": "c", "resourceClaimName": "a"}, {"name": "c", "resourceClaimName": "b"}]}),
                vec![l(".resourceClaims[1].name: Duplicate value: \"c\"")],
                "duplicate name",
            ),
            (
                json!({"resourceClaims": [{"name": "Bad_C", "resourceClaimName": "a"}]}),
                vec![l(format!(
                    ".resourceClaims[0].name: Invalid value: \"Bad_C\": {LABEL}"
                ))],
                "name not a label",
            ),
            (
                json!({"resourceClaims": [{"name": "c", "resourceClaimName": "Bad_X"}]}),
                vec![l(format!(
                    ".resourceClaims[0].resourceClaimName: Invalid value: \"Bad_X\": {SUB}"
                ))],
                "claim name not a subdomain",
            ),
            (
                json!({"resourceClaims": [{"name": "c", "resourceClaimTemplateName": ""}]}),
                vec![l(format!(
                    ".resourceClaims[0].resourceClaimTemplateName: Invalid value: \"\": {SUB}"
                ))],
                "empty template name is set",
            ),
            (
                json!({"resourceClaims": [{"name": "gpu", "resourceClaimTemplateName": "gpu-template"}, {"name": "net", "resourceClaimName": "net.claim"}]}),
                vec![],
                "ok: one source each",
            ),
        ]);
    }

    #[test]
    fn pod_level_resources_rows() {
        let req = |cpu: &str| c(json!({"resources": {"requests": {"cpu": cpu}}}));
        check_rows(vec![
            (
                json!({"resources": {"requests": {"cpu": "1"}}, "containers": [req("2")]}),
                vec![l(
                    ".resources.requests[cpu]: Invalid value: \"1\": must be greater than or equal to aggregate container requests of 2",
                )],
                "pod request below the containers'",
            ),
            (
                json!({"resources": {"requests": {"cpu": "1"}}, "containers": [req("500m"), {"name": "d", "image": "busybox:1.36", "resources": {"requests": {"cpu": "1"}}}]}),
                vec![l(
                    ".resources.requests[cpu]: Invalid value: \"1\": must be greater than or equal to aggregate container requests of 1500m",
                )],
                "sum printed in the first one's notation",
            ),
            (
                json!({"resources": {"requests": {"memory": "1000Mi"}}, "containers": [
                c(json!({"resources": {"requests": {"memory": "512Mi"}}})),
                {"name": "d", "image": "busybox:1.36", "resources": {"requests": {"memory": "512Mi"}}}]}),
                vec![l(
                    ".resources.requests[memory]: Invalid value: \"1000Mi\": must be greater than or equal to aggregate container requests of 1Gi",
                )],
                "binary sum",
            ),
            (
                json!({"resources": {"requests": {"cpu": "1.5"}}, "containers": [req("1")],
                    "initContainers": [{"name": "side", "image": "busybox:1.36", "restartPolicy": "Always", "resources": {"requests": {"cpu": "1"}}}]}),
                vec![l(
                    ".resources.requests[cpu]: Invalid value: \"1500m\": must be greater than or equal to aggregate container requests of 2",
                )],
                "sidecars add up",
            ),
            (
                json!({"resources": {"requests": {"cpu": "2"}}, "containers": [req("1")],
                    "initContainers": [{"name": "init", "image": "busybox:1.36", "resources": {"requests": {"cpu": "3"}}}]}),
                vec![l(
                    ".resources.requests[cpu]: Invalid value: \"2\": must be greater than or equal to aggregate container requests of 3",
                )],
                "an init container's request counts alone",
            ),
            (
                json!({"resources": {"requests": {"cpu": "0.0001"}}, "containers": [req("2m")]}),
                vec![l(
                    ".resources.requests[cpu]: Invalid value: \"1m\": must be greater than or equal to aggregate container requests of 2m",
                )],
                "rounded up to milli first",
            ),
            (
                json!({"resources": {"limits": {"memory": "1Gi"}}, "containers": [c(json!({"resources": {"limits": {"memory": "2Gi"}}}))]}),
                vec![l(
                    ".resources.containers[0][memory].limits: Invalid value: \"2Gi\": must be less than or equal to pod limits of 1Gi",
                )],
                "container limit above the pod's (sic path)",
            ),
            (
                json!({"resources": {"limits": {"nvidia.com/gpu": 1}}}),
                vec![l(
                    ".resources.limits[nvidia.com/gpu]: Unsupported value: \"nvidia.com/gpu\": supported values: \"cpu\", \"hugepages-\", \"memory\"",
                )],
                "only cpu, memory, hugepages",
            ),
            (
                json!({"resources": {"limits": {"storage": "1Gi"}}}),
                vec![l(
                    ".resources.limits[storage]: Unsupported value: \"storage\": supported values: \"cpu\", \"hugepages-\", \"memory\"",
                )],
                "a standard name, but not for pods",
            ),
            (
                json!({"resources": {"limits": {"foo": "1"}}}),
                vec![l(
                    ".resources.limits[foo]: Invalid value: \"foo\": must be a standard resource type or fully qualified",
                )],
                "unknown unprefixed name",
            ),
            (
                json!({"resources": {"limits": {"a/b/c": "1"}}}),
                vec![l(format!(
                    ".resources.limits[a/b/c]: Invalid value: \"a/b/c\": {KEY3}"
                ))],
                "not a qualified name",
            ),
            (
                json!({"os": {"name": "windows"}, "resources": {"limits": {"cpu": "1"}}}),
                vec![l(".resources: Forbidden: may not be set for a windows pod")],
                "windows",
            ),
            (
                json!({"resources": {"claims": [{"name": "x"}]}}),
                vec![
                    l(
                        ".resources.claims: Forbidden: claims may not be set for Resources at pod-level",
                    ),
                    l(
                        ".resources.claims[0]: Not found: \"x\": must be one of the names in pod.spec.resourceClaims which is empty",
                    ),
                ],
                "claims at pod level",
            ),
            (
                json!({"resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}),
                vec![l(
                    ".resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1",
                )],
                "request above limit (unkeyed path)",
            ),
            (
                json!({"resources": {"requests": {"cpu": "-1"}}}),
                vec![l(
                    ".resources.requests[cpu]: Invalid value: \"-1\": must be greater than or equal to 0",
                )],
                "negative",
            ),
            (
                json!({"resources": {"limits": {"hugepages-2Mi": "2Mi"}}}),
                vec![l(".resources: Forbidden: HugePages require cpu or memory")],
                "hugepages alone",
            ),
            (
                json!({"resources": {"limits": {"hugepages-2Mi": "3Mi", "memory": "1Gi"}}}),
                vec![l(
                    ".resources.limits[hugepages-2Mi]: Invalid value: \"3Mi\": 3Mi is not positive integer multiple of hugepages-2Mi",
                )],
                "hugepages not a multiple of the page",
            ),
            (
                json!({"resources": {"limits": {"hugepages-2Mi": "2Mi", "memory": "1Gi"}},
                    "containers": [c(json!({"resources": {"limits": {"hugepages-2Mi": "4Mi", "memory": "1Gi"}}}))]}),
                vec![
                    l(
                        ".resources.limits[hugepages-2Mi]: Invalid value: \"2Mi\": must be greater than or equal to aggregate container limits of 4Mi",
                    ),
                    l(
                        ".resources.containers[0][hugepages-2Mi].limits: Invalid value: \"4Mi\": must be less than or equal to pod limits of 2Mi",
                    ),
                ],
                "hugepages limits add up",
            ),
            (
                json!({"resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "4"}}, "containers": [req("1"), {"name": "d", "image": "busybox:1.36", "resources": {"requests": {"cpu": "1"}}}]}),
                vec![],
                "ok: containers total the pod request",
            ),
            (
                json!({"resources": {"requests": {"cpu": "1"}}, "containers": [c(json!({"resources": {"limits": {"cpu": "2"}}}))]}),
                vec![],
                "ok: template requests are not defaulted from limits",
            ),
            (
                json!({"resources": {"limits": {"hugepages-1Gi": "2Gi", "memory": "4Gi", "cpu": 2}, "requests": {"memory": "1Gi"}}}),
                vec![],
                "ok: hugepages with memory",
            ),
            (
                json!({"resources": {"requests": {"cpu": {"x": 1}}}}),
                vec![],
                "wrong type: nothing",
            ),
            (
                json!({"overhead": {"cpu": "-1"}}),
                vec![l(
                    ".overhead.limits[cpu]: Invalid value: \"-1\": must be greater than or equal to 0",
                )],
                "overhead: the container rules, as limits",
            ),
            (
                json!({"overhead": {"cpu": "250m", "memory": "120Mi"}}),
                vec![],
                "ok overhead",
            ),
            (
                json!({"resources": {"requests": {"cpu": "1e1000000"}}, "containers": [req("1")]}),
                vec![],
                "huge value: no comparison, no panic",
            ),
        ]);
    }

    #[test]
    fn host_network_and_policies_rows() {
        let port = |p: Value| c(json!({"ports": [p]}));
        check_rows(vec![
            (
                json!({"hostNetwork": true, "containers": [port(json!({"containerPort": 80, "hostPort": 8080}))]}),
                vec![l(
                    ".containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true",
                )],
                "host port differs",
            ),
            (
                json!({"hostNetwork": true, "containers": [port(json!({"containerPort": 80}))]}),
                vec![],
                "ok: host port unset in a template",
            ),
            (
                json!({"hostNetwork": true, "containers": [port(json!({"containerPort": 80, "hostPort": 80}))]}),
                vec![],
                "ok: same port",
            ),
            (
                json!({"hostNetwork": true, "initContainers": [{"name": "i", "image": "busybox:1.36", "ports": [{"containerPort": 80, "hostPort": 81}]}]}),
                vec![],
                "ok: init containers are not checked",
            ),
            (
                json!({"hostNetwork": false, "containers": [port(json!({"containerPort": 80, "hostPort": 8080}))]}),
                vec![],
                "ok: no host network",
            ),
            (
                json!({"restartPolicy": "Sometimes"}),
                vec![l(
                    ".restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
                )],
                "bad restart policy",
            ),
            (
                json!({"restartPolicy": "OnFailure"}),
                vec![],
                "ok for the pod rules (the DaemonSet rule refuses it)",
            ),
            (json!({"restartPolicy": ""}), vec![], "ok: defaulted"),
            (
                json!({"dnsPolicy": "Bogus"}),
                vec![l(
                    ".dnsPolicy: Unsupported value: \"Bogus\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"",
                )],
                "bad dns policy",
            ),
            (
                json!({"dnsPolicy": "a<b"}),
                vec![l(
                    ".dnsPolicy: Unsupported value: \"a\\u003cb\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"",
                )],
                "typed value printed as Go JSON",
            ),
            (
                json!({"dnsPolicy": "ClusterFirstWithHostNet"}),
                vec![],
                "ok without host network",
            ),
            (
                json!({"dnsPolicy": "ClusterFirst", "hostNetwork": true}),
                vec![],
                "ok: no cross check",
            ),
            (
                json!({"nodeSelector": {"a/b/c": "x"}}),
                vec![l(format!(
                    ".nodeSelector: Invalid value: \"a/b/c\": {KEY3}"
                ))],
                "bad node selector key",
            ),
            (
                json!({"nodeSelector": {"k": "-bad"}}),
                vec![l(format!(".nodeSelector: Invalid value: \"-bad\": {LVAL}"))],
                "bad node selector value",
            ),
            (
                json!({"nodeSelector": {"kubernetes.io/os": "linux", "empty": ""}}),
                vec![],
                "ok node selector",
            ),
            (
                json!({"shareProcessNamespace": true, "hostPID": true}),
                vec![l(
                    ".shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled",
                )],
                "shared pid namespace with host pid",
            ),
            (
                json!({"shareProcessNamespace": false, "hostPID": true}),
                vec![],
                "ok: not shared",
            ),
            (
                json!({"preemptionPolicy": "Always"}),
                vec![l(
                    ".preemptionPolicy: Unsupported value: \"Always\": supported values: \"PreemptLowerPriority\", \"Never\"",
                )],
                "bad preemption policy",
            ),
            (
                json!({"preemptionPolicy": ""}),
                vec![l(".preemptionPolicy: Required value")],
                "empty preemption policy",
            ),
            (
                json!({"preemptionPolicy": "Never"}),
                vec![],
                "ok preemption policy",
            ),
            (
                json!({"priorityClassName": "High_Prio"}),
                vec![l(format!(
                    ".priorityClassName: Invalid value: \"High_Prio\": {SUB}"
                ))],
                "bad priority class",
            ),
            (
                json!({"priorityClassName": "does-not-exist", "priority": 7}),
                vec![],
                "ok: no existence check, priority unchecked",
            ),
            (
                json!({"runtimeClassName": ""}),
                vec![l(format!(".runtimeClassName: Invalid value: \"\": {SUB}"))],
                "empty runtime class",
            ),
            (
                json!({"runtimeClassName": "gvisor"}),
                vec![],
                "ok runtime class",
            ),
            (
                json!({"serviceAccountName": "Bad_SA"}),
                vec![l(format!(
                    ".serviceAccountName: Invalid value: \"Bad_SA\": {SUB}"
                ))],
                "bad service account",
            ),
            (
                json!({"serviceAccount": "Bad_SA"}),
                vec![l(format!(
                    ".serviceAccountName: Invalid value: \"Bad_SA\": {SUB}"
                ))],
                "the alias is the name",
            ),
            (
                json!({"serviceAccountName": "my.sa", "serviceAccount": "Bad_SA"}),
                vec![],
                "ok: serviceAccountName wins",
            ),
            (
                json!({"serviceAccount": "my-sa"}),
                vec![],
                "ok: alias alone",
            ),
            (
                json!({"nodeName": "Node_1"}),
                vec![l(format!(".nodeName: Invalid value: \"Node_1\": {SUB}"))],
                "bad node name",
            ),
            (
                json!({"nodeName": "node-1.example"}),
                vec![],
                "ok node name",
            ),
            (
                json!({"activeDeadlineSeconds": 0}),
                vec![l(
                    ".activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive",
                )],
                "deadline out of range",
            ),
            (
                json!({"activeDeadlineSeconds": 2147483648u64}),
                vec![l(
                    ".activeDeadlineSeconds: Invalid value: 2147483648: must be between 1 and 2147483647, inclusive",
                )],
                "deadline above int32",
            ),
            (
                json!({"activeDeadlineSeconds": 10}),
                vec![],
                "ok for the pod rules (the DaemonSet rule forbids it)",
            ),
            (
                json!({"hostname": "a.b"}),
                vec![l(
                    ".hostname: Invalid value: \"a.b\": must not contain dots",
                )],
                "hostname with dots",
            ),
            (
                json!({"subdomain": "a".repeat(64)}),
                vec![l(format!(
                    ".subdomain: Invalid value: \"{}\": must be no more than 63 characters",
                    "a".repeat(64)
                ))],
                "subdomain too long",
            ),
            (
                json!({"hostname": "web-0", "subdomain": "svc"}),
                vec![],
                "ok hostname and subdomain",
            ),
            (
                json!({"hostname": "ünïcode"}),
                vec![l(format!(".hostname: Invalid value: \"ünïcode\": {LABEL}"))],
                "unicode hostname",
            ),
        ]);
    }

    #[test]
    fn affinity_rows() {
        let na = |req: Value| json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [req]}}}});
        let expr = |e: Value| na(json!({"matchExpressions": [e]}));
        let field = |e: Value| na(json!({"matchFields": [e]}));
        let term = ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]";
        let anti = |t: Value| json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [t]}}});
        let aff = |t: Value| json!({"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [t]}}});
        let pa = ".affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]";
        check_rows(vec![
            (
                json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}}),
                vec![l(
                    ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term",
                )],
                "no terms",
            ),
            (na(json!({})), vec![], "ok: an empty term"),
            (
                expr(json!({"key": "zone", "operator": "In"})),
                vec![l(format!(
                    "{term}.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
                ))],
                "In without values",
            ),
            (
                expr(json!({"key": "zone", "operator": "Exists", "values": ["a"]})),
                vec![l(format!(
                    "{term}.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                ))],
                "Exists with values",
            ),
            (
                expr(json!({"key": "cpus", "operator": "Gt", "values": ["1", "2"]})),
                vec![l(format!(
                    "{term}.matchExpressions[0].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'"
                ))],
                "Gt with two values",
            ),
            (
                expr(json!({"key": "zone", "operator": "Like", "values": ["a"]})),
                vec![l(format!(
                    "{term}.matchExpressions[0].operator: Invalid value: \"Like\": not a valid selector operator"
                ))],
                "unknown operator",
            ),
            (
                expr(json!({"key": "zone", "operator": "In", "values": ["-bad"]})),
                vec![l(format!(
                    "{term}.matchExpressions[0].values[0]: Invalid value: \"-bad\": {LVAL}"
                ))],
                "bad value in a required term",
            ),
            (
                expr(json!({"key": "", "operator": "Exists"})),
                vec![
                    l(format!(
                        "{term}.matchExpressions[0].key: Invalid value: \"\": name part must be non-empty"
                    )),
                    l(format!(
                        "{term}.matchExpressions[0].key: Invalid value: \"\": {NAME_PART}"
                    )),
                ],
                "empty key: both name-part messages",
            ),
            (
                expr(json!({"key": "cpus", "operator": "Gt", "values": ["abc"]})),
                vec![],
                "ok: Gt value not checked as a number",
            ),
            (
                expr(json!({"key": "zone", "operator": "DoesNotExist"})),
                vec![],
                "ok DoesNotExist",
            ),
            (
                field(json!({"key": "metadata.uid", "operator": "In", "values": ["x"]})),
                vec![l(format!(
                    "{term}.matchFields[0].key: Invalid value: \"metadata.uid\": not a valid field selector key"
                ))],
                "bad field key",
            ),
            (
                field(json!({"key": "metadata.name", "operator": "In", "values": ["a", "b"]})),
                vec![l(format!(
                    "{term}.matchFields[0].values: Required value: must be only one value when `operator` is 'In' or 'NotIn' for node field selector"
                ))],
                "two field values",
            ),
            (
                field(json!({"key": "metadata.name", "operator": "Exists"})),
                vec![l(format!(
                    "{term}.matchFields[0].operator: Invalid value: \"Exists\": not a valid selector operator"
                ))],
                "field Exists",
            ),
            (
                field(json!({"key": "metadata.name", "operator": "In", "values": ["Node_1"]})),
                vec![l(format!(
                    "{term}.matchFields[0].values[0]: Invalid value: \"Node_1\": {SUB}"
                ))],
                "field value not a node name",
            ),
            (
                field(json!({"key": "metadata.name", "operator": "NotIn", "values": ["node-1"]})),
                vec![],
                "ok field selector",
            ),
            (
                json!({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 0, "preference": {}}]}}}),
                vec![l(
                    ".affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100",
                )],
                "weight 0",
            ),
            (
                json!({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["-bad"]}]}}]}}}),
                vec![],
                "ok: weight 100, preferred values unchecked",
            ),
            (
                anti(json!({"labelSelector": {"matchLabels": {"app": "x"}}, "topologyKey": ""})),
                vec![
                    l(
                        ".affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty",
                    ),
                    l(
                        ".affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: \"\": name part must be non-empty",
                    ),
                    l(format!(
                        ".affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: \"\": {NAME_PART}"
                    )),
                ],
                "empty topology key",
            ),
            (
                anti(json!({"topologyKey": "kubernetes.io/hostname"})),
                vec![],
                "ok: no selector",
            ),
            (
                aff(json!({"namespaces": ["Bad_NS"], "topologyKey": "zone"})),
                vec![l(format!(
                    "{pa}.namespace: Invalid value: \"Bad_NS\": {LABEL}"
                ))],
                "bad namespace (singular path)",
            ),
            (
                aff(json!({"matchLabelKeys": ["app"], "topologyKey": "zone"})),
                vec![l(format!(
                    "{pa}.matchLabelKeys: Forbidden: must not be specified when labelSelector is not set"
                ))],
                "keys without selector",
            ),
            (
                aff(json!({"mismatchLabelKeys": ["app"], "topologyKey": "zone"})),
                vec![l(format!(
                    "{pa}.mismatchLabelKeys: Forbidden: must not be specified when labelSelector is not set"
                ))],
                "mismatch keys without selector",
            ),
            (
                aff(
                    json!({"matchLabelKeys": ["app"], "mismatchLabelKeys": ["app"], "labelSelector": {}, "topologyKey": "zone"}),
                ),
                vec![l(format!(
                    "{pa}.matchLabelKeys[0]: Invalid value: \"app\": exists in both matchLabelKeys and mismatchLabelKeys"
                ))],
                "key in both lists",
            ),
            (
                aff(
                    json!({"matchLabelKeys": ["x", "app"], "labelSelector": {"matchLabels": {"app": "a"}, "matchExpressions": [{"key": "app", "operator": "In", "values": ["a"]}]}, "topologyKey": "zone"}),
                ),
                vec![l(format!(
                    "{pa}[1]: Invalid value: \"app\": exists in both matchLabelKeys and labelSelector"
                ))],
                "merged selector key (sic path)",
            ),
            (
                aff(
                    json!({"matchLabelKeys": ["a/b/c"], "labelSelector": {}, "topologyKey": "zone"}),
                ),
                vec![l(format!(
                    "{pa}.matchLabelKeys[0]: Invalid value: \"a/b/c\": {KEY3}"
                ))],
                "bad match label key",
            ),
            (
                aff(
                    json!({"labelSelector": {"matchLabels": {"tier": "web"}}, "matchLabelKeys": ["pod-template-hash"], "topologyKey": "zone"}),
                ),
                vec![],
                "ok match label keys",
            ),
            (
                json!({"affinity": {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 101, "podAffinityTerm": {"topologyKey": "zone"}}]}}}),
                vec![l(
                    ".affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 101: must be in the range 1-100",
                )],
                "weight 101",
            ),
            (
                aff(
                    json!({"labelSelector": {"matchExpressions": [{"key": "app", "operator": "In"}]}, "topologyKey": "zone"}),
                ),
                vec![l(format!(
                    "{pa}.labelSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
                ))],
                "selector In without values",
            ),
            (
                aff(
                    json!({"namespaceSelector": {"matchLabels": {"k": "-bad"}}, "topologyKey": "zone"}),
                ),
                vec![l(format!(
                    "{pa}.namespaceSelector.matchLabels: Invalid value: \"-bad\": {LVAL}"
                ))],
                "bad namespace selector",
            ),
            (
                aff(
                    json!({"labelSelector": {"matchLabels": {"app": "x"}}, "namespaces": ["kube-system"], "namespaceSelector": {}, "topologyKey": "topology.kubernetes.io/zone"}),
                ),
                vec![],
                "ok pod affinity",
            ),
        ]);
    }

    #[test]
    fn dns_rows() {
        let cfg = |c: Value| json!({"dnsConfig": c});
        let searches33: Vec<String> = (0..33).map(|i| format!("s{i}.example")).collect();
        let searches32 = &searches33[..32];
        let long = vec!["a".repeat(250); 9];
        check_rows(vec![
            (
                json!({"dnsPolicy": "None"}),
                vec![l(
                    ".dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None",
                )],
                "None without config",
            ),
            (
                json!({"dnsPolicy": "None", "dnsConfig": {"searches": ["a.b"]}}),
                vec![l(
                    ".dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None",
                )],
                "None without nameservers",
            ),
            (
                json!({"dnsPolicy": "None", "dnsConfig": {"nameservers": ["1.1.1.1"]}}),
                vec![],
                "ok None",
            ),
            (
                json!({"dnsPolicy": "ClusterFirst", "dnsConfig": {"options": [{"name": "ndots", "value": "2"}]}}),
                vec![],
                "ok config with any policy",
            ),
            (
                cfg(json!({"nameservers": ["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"]})),
                vec![l(
                    ".dnsConfig.nameservers: Invalid value: [\"1.1.1.1\",\"1.1.1.2\",\"1.1.1.3\",\"1.1.1.4\"]: must not have more than 3 nameservers",
                )],
                "four nameservers",
            ),
            (
                cfg(json!({"nameservers": ["1.1.1.1", "1.1.1.2", "1.1.1.3"]})),
                vec![],
                "ok: three",
            ),
            (
                cfg(json!({"nameservers": ["1.1.1"]})),
                vec![l(
                    ".dnsConfig.nameservers[0]: Invalid value: \"1.1.1\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                )],
                "not an IP",
            ),
            (
                cfg(json!({"nameservers": ["010.1.1.1"]})),
                vec![l(
                    ".dnsConfig.nameservers[0]: Invalid value: \"010.1.1.1\": must not have leading 0s",
                )],
                "leading zero",
            ),
            (
                cfg(json!({"nameservers": ["::ffff:1.2.3.4"]})),
                vec![l(
                    ".dnsConfig.nameservers[0]: Invalid value: \"::ffff:1.2.3.4\": must not be an IPv4-mapped IPv6 address",
                )],
                "mapped address",
            ),
            (
                cfg(json!({"nameservers": ["2001:db8::1", "10.0.0.10", "FE80:0:0:0:0:0:0:0abc"]})),
                vec![],
                "ok addresses",
            ),
            (
                cfg(json!({"searches": searches33})),
                vec![l(format!(
                    ".dnsConfig.searches: Invalid value: [{}]: must not have more than 32 search paths",
                    searches33
                        .iter()
                        .map(|s| format!("\"{s}\""))
                        .collect::<Vec<_>>()
                        .join(",")
                ))],
                "33 searches",
            ),
            (
                cfg(json!({"searches": searches32})),
                vec![],
                "ok: 32 searches",
            ),
            (
                cfg(json!({"searches": long})),
                vec![l(format!(
                    ".dnsConfig.searches: Invalid value: [{}]: must not have more than 2048 characters (including spaces) in the search list",
                    long.iter()
                        .map(|s| format!("\"{s}\""))
                        .collect::<Vec<_>>()
                        .join(",")
                ))],
                "search list too long",
            ),
            (
                cfg(json!({"searches": vec!["a".repeat(250); 8]})),
                vec![],
                "ok: 2007 characters",
            ),
            (
                cfg(json!({"searches": ["Foo.com."]})),
                vec![l(format!(
                    ".dnsConfig.searches[0]: Invalid value: \"Foo.com\": {USUB}"
                ))],
                "bad search, trailing dot trimmed",
            ),
            (
                cfg(json!({"searches": [""]})),
                vec![l(format!(
                    ".dnsConfig.searches[0]: Invalid value: \"\": {USUB}"
                ))],
                "empty search",
            ),
            (
                cfg(json!({"searches": [".", "example.com.", "_sip._tcp.example.com"]})),
                vec![],
                "ok searches",
            ),
            (
                cfg(json!({"options": [{"name": ""}]})),
                vec![l(
                    ".dnsConfig.options[0]: Required value: must not be empty",
                )],
                "empty option name",
            ),
            (
                cfg(json!({"options": [{"name": "edns0"}]})),
                vec![],
                "ok option",
            ),
            (
                json!({"hostAliases": [{"ip": "foo", "hostnames": ["a"]}]}),
                vec![l(
                    ".hostAliases[0].ip: Invalid value: \"foo\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                )],
                "alias ip",
            ),
            (
                json!({"hostAliases": [{"ip": "1.2.3.4", "hostnames": ["A_b"]}]}),
                vec![l(format!(
                    ".hostAliases[0].hostnames[0]: Invalid value: \"A_b\": {SUB}"
                ))],
                "alias host name",
            ),
            (
                json!({"hostAliases": [{"hostnames": ["a"]}]}),
                vec![l(
                    ".hostAliases[0].ip: Invalid value: \"\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                )],
                "alias without ip",
            ),
            (
                json!({"hostAliases": [{"ip": "::1", "hostnames": ["foo.local"]}, {"ip": "1.2.3.4"}]}),
                vec![],
                "ok aliases",
            ),
        ]);
    }

    #[test]
    fn gates_and_spread_rows() {
        let tsc = |extra: Value| {
            let mut base =
                json!({"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"});
            if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
                b.extend(e);
            }
            json!({"topologySpreadConstraints": [base]})
        };
        let t = ".topologySpreadConstraints[0]";
        check_rows(vec![
            (
                json!({"readinessGates": [{"conditionType": "a/b/c"}]}),
                vec![l(format!(
                    ".readinessGates[0].conditionType: Invalid value: \"a/b/c\": {KEY3}"
                ))],
                "bad gate",
            ),
            (
                json!({"readinessGates": [{"conditionType": "example.com/feature-1"}]}),
                vec![],
                "ok gate",
            ),
            (
                json!({"schedulingGates": [{"name": "g"}, {"name": "g"}]}),
                vec![l(".schedulingGates[1]: Duplicate value: \"g\"")],
                "duplicate scheduling gate",
            ),
            (
                json!({"schedulingGates": [{"name": ""}]}),
                vec![
                    l(".schedulingGates[0]: Invalid value: \"\": name part must be non-empty"),
                    l(format!(
                        ".schedulingGates[0]: Invalid value: \"\": {NAME_PART}"
                    )),
                ],
                "empty scheduling gate",
            ),
            (
                json!({"schedulingGates": [{"name": "example.com/wait"}], "nodeName": "n1"}),
                vec![],
                "ok: gates with nodeName in a template",
            ),
            (
                tsc(json!({"maxSkew": 0})),
                vec![l(format!(
                    "{t}.maxSkew: Invalid value: 0: must be greater than zero"
                ))],
                "max skew 0",
            ),
            (
                json!({"topologySpreadConstraints": [{"topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}]}),
                vec![l(format!(
                    "{t}.maxSkew: Invalid value: 0: must be greater than zero"
                ))],
                "max skew missing",
            ),
            (
                tsc(json!({"topologyKey": ""})),
                vec![l(format!(
                    "{t}.topologyKey: Required value: can not be empty"
                ))],
                "empty topology key",
            ),
            (
                tsc(json!({"whenUnsatisfiable": "Maybe"})),
                vec![l(format!(
                    "{t}.whenUnsatisfiable: Unsupported value: \"Maybe\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\""
                ))],
                "bad action",
            ),
            (
                json!({"topologySpreadConstraints": [
                {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"},
                {"maxSkew": 2, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}]}),
                vec![l(format!(
                    "{t}.{{topologyKey, whenUnsatisfiable}}: Duplicate value: \"{{zone, DoNotSchedule}}\""
                ))],
                "repeated pair, reported on the first",
            ),
            (
                json!({"topologySpreadConstraints": [
                {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"},
                {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}]}),
                vec![],
                "ok: same key, other action",
            ),
            (
                tsc(json!({"whenUnsatisfiable": "ScheduleAnyway", "minDomains": 2})),
                vec![l(format!(
                    "{t}.minDomains: Invalid value: 2: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway"
                ))],
                "minDomains with ScheduleAnyway",
            ),
            (
                tsc(json!({"minDomains": 0})),
                vec![l(format!(
                    "{t}.minDomains: Invalid value: 0: must be greater than zero"
                ))],
                "minDomains 0",
            ),
            (tsc(json!({"minDomains": 1})), vec![], "ok minDomains"),
            (
                tsc(json!({"nodeAffinityPolicy": "Maybe"})),
                vec![l(format!(
                    "{t}.nodeAffinityPolicy: Unsupported value: \"Maybe\": supported values: \"Honor\", \"Ignore\""
                ))],
                "bad node affinity policy",
            ),
            (
                tsc(json!({"nodeTaintsPolicy": "X"})),
                vec![l(format!(
                    "{t}.nodeTaintsPolicy: Unsupported value: \"X\": supported values: \"Honor\", \"Ignore\""
                ))],
                "bad node taints policy",
            ),
            (
                tsc(json!({"nodeAffinityPolicy": "Honor", "nodeTaintsPolicy": "Ignore"})),
                vec![],
                "ok policies",
            ),
            (
                tsc(json!({"matchLabelKeys": ["app"]})),
                vec![l(format!(
                    "{t}.matchLabelKeys: Forbidden: must not be specified when labelSelector is not set"
                ))],
                "keys without selector",
            ),
            (
                tsc(
                    json!({"matchLabelKeys": ["pod-template-hash"], "labelSelector": {"matchLabels": {"app": "x"}}}),
                ),
                vec![],
                "ok keys",
            ),
            (
                tsc(json!({"labelSelector": {"matchLabels": {"app": "-x"}}})),
                vec![l(format!(
                    "{t}.labelSelector.matchLabels: Invalid value: \"-x\": {LVAL}"
                ))],
                "bad selector",
            ),
        ]);
    }

    #[test]
    fn host_process_users_and_hostname_rows() {
        let hp = |v: bool| json!({"securityContext": {"windowsOptions": {"hostProcess": v}}});
        check_rows(vec![
            (
                json!({"securityContext": {"windowsOptions": {"hostProcess": true}}, "hostNetwork": false}),
                vec![l(
                    ".hostNetwork: Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers",
                )],
                "host process without host network",
            ),
            (
                json!({"securityContext": {"windowsOptions": {"hostProcess": true}}, "hostNetwork": true}),
                vec![],
                "ok host process",
            ),
            (
                json!({"securityContext": {"windowsOptions": {"hostProcess": true}}, "hostNetwork": true, "containers": [c(hp(false))]}),
                vec![l(
                    ".containers[0].securityContext.windowsOptions.hostProcess: Invalid value: false: pod hostProcess value must be identical if both are specified, was true",
                )],
                "container disagrees with the pod",
            ),
            (
                json!({"hostNetwork": true, "containers": [c(hp(true))], "initContainers": [{"name": "i", "image": "busybox:1.36"}]}),
                vec![l(
                    ": Invalid value: \"\": If pod contains any hostProcess containers then all containers must be HostProcess containers",
                )],
                "mixed host process",
            ),
            (
                json!({"hostUsers": false, "hostNetwork": true}),
                vec![l(".hostNetwork: Forbidden: when `hostUsers` is false")],
                "user namespace with host network",
            ),
            (
                json!({"hostUsers": false, "hostPID": true}),
                vec![l(".HostPID: Forbidden: when `hostUsers` is false")],
                "user namespace with host pid (sic path)",
            ),
            (
                json!({"hostUsers": false, "hostIPC": true}),
                vec![l(".HostIPC: Forbidden: when `hostUsers` is false")],
                "user namespace with host ipc (sic path)",
            ),
            (
                json!({"hostUsers": false, "volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": "x"}}],
                    "containers": [c(json!({"volumeDevices": [{"name": "v", "devicePath": "/dev/xvda"}]}))]}),
                vec![l(
                    ".containers[0].volumeDevices: Forbidden: when `hostUsers` is false",
                )],
                "user namespace with block devices",
            ),
            (json!({"hostUsers": false}), vec![], "ok user namespace"),
            (
                json!({"hostUsers": true, "hostPID": true}),
                vec![],
                "ok host users",
            ),
            (
                json!({"hostnameOverride": "my-host", "setHostnameAsFQDN": true}),
                vec![l(
                    ".hostnameOverride: Forbidden: may not be specified when setHostnameAsFQDN is true",
                )],
                "override with FQDN",
            ),
            (
                json!({"hostnameOverride": "my-host", "hostNetwork": true}),
                vec![l(
                    ".hostnameOverride: Forbidden: may not be specified when hostNetwork is true",
                )],
                "override with host network",
            ),
            (
                json!({"hostnameOverride": "a".repeat(65)}),
                vec![l(
                    ".hostnameOverride: Too long: may not be more than 64 bytes",
                )],
                "override too long",
            ),
            (
                json!({"hostnameOverride": "My_Host"}),
                vec![l(format!(
                    ".hostnameOverride: Invalid value: \"My_Host\": {SUB}"
                ))],
                "override not a subdomain",
            ),
            (
                json!({"hostnameOverride": ""}),
                vec![l(format!(".hostnameOverride: Invalid value: \"\": {SUB}"))],
                "empty override is set",
            ),
            (
                json!({"hostnameOverride": "a.b-c"}),
                vec![],
                "ok override with dots",
            ),
            (
                json!({"hostnameOverride": "a".repeat(64)}),
                vec![],
                "ok: 64 characters",
            ),
        ]);
    }

    #[test]
    fn toleration_rows() {
        let tol = |t: Value| json!({"tolerations": [t]});
        let t = ".tolerations[0]";
        check_rows(vec![
            (
                tol(json!({"operator": "Equal", "value": "x"})),
                vec![l(format!(
                    "{t}.operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\""
                ))],
                "no key, Equal",
            ),
            (
                tol(json!({"value": ""})),
                vec![l(format!(
                    "{t}.operator: Invalid value: \"\": operator must be Exists when `key` is empty, which means \"match all values and all keys\""
                ))],
                "no key, no operator",
            ),
            (
                tol(json!({"key": "k", "operator": "Exists", "value": "v"})),
                vec![l(format!(
                    "{t}.operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'"
                ))],
                "Exists with value",
            ),
            (
                tol(json!({"key": "k", "value": "-bad"})),
                vec![l(format!("{t}.operator: Invalid value: \"-bad\": {LVAL}"))],
                "bad value (path operator, sic)",
            ),
            (
                tol(json!({"key": "k", "value": "x".repeat(64)})),
                vec![l(format!(
                    "{t}.operator: Invalid value: \"{}\": must be no more than 63 bytes",
                    "x".repeat(64)
                ))],
                "value too long",
            ),
            (
                tol(
                    json!({"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 10}),
                ),
                vec![l(format!(
                    "{t}.effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"
                ))],
                "seconds without NoExecute",
            ),
            (
                tol(json!({"key": "k", "operator": "Gt", "value": "5"})),
                vec![l(format!(
                    "{t}.operator: Unsupported value: \"Gt\": supported values: \"Equal\", \"Exists\", \"Lt\", \"Gt\""
                ))],
                "Gt with the gate off",
            ),
            (
                tol(json!({"key": "k", "operator": "Like"})),
                vec![l(format!(
                    "{t}.operator: Unsupported value: \"Like\": supported values: \"Equal\", \"Exists\""
                ))],
                "unknown operator",
            ),
            (
                tol(json!({"key": "k", "operator": "Exists", "effect": "NoRun"})),
                vec![l(format!(
                    "{t}.effect: Unsupported value: \"NoRun\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\""
                ))],
                "unknown effect",
            ),
            (
                tol(json!({"key": "a/b/c", "operator": "Exists"})),
                vec![l(format!("{t}.key: Invalid value: \"a/b/c\": {KEY3}"))],
                "bad key",
            ),
            (
                json!({"tolerations": [{"operator": "Exists"}, {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": -1}, {"key": "k"}]}),
                vec![],
                "ok tolerations",
            ),
        ]);
    }

    #[test]
    fn comparison_operators_when_allowed() {
        use crate::policy::finding::Findings;
        use crate::policy::rules::RuleId;
        let mut opts = Options::create(true);
        opts.allow_taint_toleration_comparison_operators = true;
        let v = json!([{"key": "k", "operator": "Lt", "value": "007"}, {"key": "k", "operator": "Gt", "value": "abc"},
                       {"key": "k", "operator": "Gt", "value": "99999999999999999999"}, {"key": "k", "operator": "Lt", "value": "-5"}]);
        let n = Node::from(&v);
        let mut f = Findings::default();
        let at = At::ROOT.child("t");
        tolerations(n.items(), &at, &opts, &mut f.rule(RuleId::PodSpec));
        let got: Vec<String> = f.0.iter().map(|(_, p, m)| format!("{p}: {m}")).collect();
        assert_eq!(
            got,
            vec![
                "t[0].value: Invalid value: \"007\": must be a valid decimal integer in canonical form",
                "t[1].value: Invalid value: \"abc\": must be a valid decimal integer in canonical form",
                "t[1].value: Invalid value: \"abc\": strconv.ParseInt: parsing \"abc\": invalid syntax",
                "t[2].value: Invalid value: \"99999999999999999999\": strconv.ParseInt: parsing \"99999999999999999999\": value out of range",
            ]
        );
    }

    #[test]
    fn os_rows() {
        check_rows(vec![
            (
                json!({"os": {"name": ""}}),
                vec![l(".os.name: Required value")],
                "empty os name",
            ),
            (
                json!({"os": {}}),
                vec![l(".os.name: Required value")],
                "no os name",
            ),
            (
                json!({"os": {"name": "darwin"}}),
                vec![l(
                    ".os: Unsupported value: \"darwin\": supported values: \"linux\", \"windows\"",
                )],
                "unknown os",
            ),
            (
                json!({"os": {"name": "linux"}, "securityContext": {"windowsOptions": {"runAsUserName": "u"}}}),
                vec![l(
                    ".securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod",
                )],
                "windows options on linux",
            ),
            (
                json!({"os": {"name": "linux"}, "initContainers": [{"name": "i", "image": "busybox:1.36", "securityContext": {"windowsOptions": {}}}]}),
                vec![l(
                    ".initContainers[0].securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod",
                )],
                "container windows options on linux",
            ),
            (
                json!({"os": {"name": "linux"}, "securityContext": {"runAsUser": 1000}}),
                vec![],
                "ok linux",
            ),
            (
                json!({"os": {"name": "windows"}, "hostPID": true}),
                vec![l(".hostPID: Forbidden: cannot be set for a windows pod")],
                "host pid on windows",
            ),
            (
                json!({"os": {"name": "windows"}, "containers": [c(json!({"securityContext": {"privileged": false}}))]}),
                vec![l(
                    ".containers[0].securityContext.privileged: Forbidden: cannot be set for a windows pod",
                )],
                "privileged false on windows",
            ),
            (
                json!({"os": {"name": "windows"}, "shareProcessNamespace": false}),
                vec![l(
                    ".shareProcessNamespace: Forbidden: cannot be set for a windows pod",
                )],
                "share process namespace on windows",
            ),
            (
                json!({"os": {"name": "windows"}, "hostUsers": true, "hostIPC": true,
                    "securityContext": {"supplementalGroups": [], "fsGroup": 1, "sysctls": [{"name": "vm.max_map_count", "value": "1"}], "seccompProfile": {"type": "RuntimeDefault"}}}),
                vec![
                    l(
                        ".securityContext.seccompProfile: Forbidden: cannot be set for a windows pod",
                    ),
                    l(".securityContext.fsGroup: Forbidden: cannot be set for a windows pod"),
                    l(".securityContext.sysctls: Forbidden: cannot be set for a windows pod"),
                    l(
                        ".securityContext.supplementalGroups: Forbidden: cannot be set for a windows pod",
                    ),
                    l(".hostUsers: Forbidden: cannot be set for a windows pod"),
                    l(".hostIPC: Forbidden: cannot be set for a windows pod"),
                ],
                "linux settings on windows, in Go's order",
            ),
            (
                json!({"os": {"name": "windows"}, "hostNetwork": true, "securityContext": {"runAsNonRoot": true, "windowsOptions": {"runAsUserName": "ContainerUser"}}}),
                vec![],
                "ok windows",
            ),
        ]);
    }

    #[test]
    fn accepted_and_dropped_rows() {
        check_rows(vec![
            (
                json!({"schedulerName": "anything-Goes_Here", "enableServiceLinks": false, "priority": -5,
                    "automountServiceAccountToken": false, "imagePullSecrets": [{"name": ""}],
                    "securityContext": {"runAsNonRoot": true, "runAsUser": 0}, "terminationGracePeriodSeconds": -1}),
                vec![],
                "fields the API server does not check in a template",
            ),
            (
                json!({"schedulingGroup": {}, "evictionResponders": [{"name": "foo", "priority": 5}]}),
                vec![],
                "fields dropped with their gates off",
            ),
        ]);
    }

    #[test]
    fn bad_input_rows() {
        let many: Vec<Value> = (0..10_000)
            .map(|i| json!({"key": format!("k{i}"), "operator": "Exists"}))
            .collect();
        let many_tsc: Vec<Value> = (0..5_000).map(|i| json!({"maxSkew": 1, "topologyKey": format!("k{i}"), "whenUnsatisfiable": "DoNotSchedule"})).collect();
        check_rows(vec![
            (
                json!({"tolerations": "x", "affinity": [], "nodeSelector": 5, "securityContext": "x", "dnsConfig": 7,
                    "os": "linux", "topologySpreadConstraints": [1, "a"], "hostAliases": [3, "x"],
                    "readinessGates": [7], "schedulingGates": ["x"], "resourceClaims": [true], "resources": []}),
                vec![],
                "wrong types: skipped",
            ),
            (
                json!({"topologySpreadConstraints": [null], "hostAliases": [null], "resourceClaims": [null]}),
                vec![
                    l(".resourceClaims[0].name: Required value"),
                    l(
                        ".resourceClaims[0]: Invalid value: {\"Name\":\"\",\"ResourceClaimName\":null,\"ResourceClaimTemplateName\":null}: must specify one of: `resourceClaimName`, `resourceClaimTemplateName`",
                    ),
                    l(
                        ".topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero",
                    ),
                    l(
                        ".topologySpreadConstraints[0].topologyKey: Required value: can not be empty",
                    ),
                    l(
                        ".topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: \"\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\"",
                    ),
                    l(
                        ".hostAliases[0].ip: Invalid value: \"\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                    ),
                ],
                "null items decode as zero values",
            ),
            (
                json!({"activeDeadlineSeconds": 1.5e30, "hostname": 7, "nodeName": ["x"], "preemptionPolicy": 3,
                    "securityContext": {"supplementalGroups": [9223372036854775808u64, "x"], "runAsUser": "0"}}),
                vec![],
                "huge or mistyped numbers: skipped",
            ),
            (
                json!({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1e10, "preference": 5}]}}}),
                vec![],
                "weight of the wrong type",
            ),
            (
                json!({"affinity": {
                    "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [5, {"matchExpressions": [7], "matchFields": ["x"]}]}},
                    "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": ["x"],
                                    "preferredDuringSchedulingIgnoredDuringExecution": [1]}}}),
                vec![],
                "affinity items of the wrong type",
            ),
            (
                json!({"nodeSelector": {"ключ": "значение"}}),
                vec![
                    l(format!(
                        ".nodeSelector: Invalid value: \"ключ\": {NAME_PART}"
                    )),
                    l(format!(
                        ".nodeSelector: Invalid value: \"значение\": {LVAL}"
                    )),
                ],
                "unicode labels",
            ),
            (json!({"tolerations": many}), vec![], "10,000 tolerations"),
            (
                json!({"topologySpreadConstraints": many_tsc}),
                vec![],
                "5,000 spread constraints",
            ),
        ]);
        let huge = format!("{}_", "a".repeat(100_000));
        let got = pod_errors(json!({"hostnameOverride": huge}));
        let short: Vec<&str> = got.iter().map(|s| s.get(..60).unwrap_or(s)).collect();
        assert_eq!(got.len(), 3, "{short:?}");
        assert_eq!(
            got[0],
            l(".hostnameOverride: Too long: may not be more than 64 bytes")
        );
        assert!(
            got[1].ends_with(": must be no more than 253 characters"),
            "{short:?}"
        );
        assert!(got[2].ends_with(SUB), "{short:?}");
    }

    #[test]
    fn canonical_quantities() {
        let rows = [
            (1_500_000_000i128, Format::DecimalSi, "1500m"),
            (2_000_000_000, Format::DecimalSi, "2"),
            (1_000_000_000_000, Format::DecimalSi, "1k"),
            (1_073_741_824 * NANO, Format::BinarySi, "1Gi"),
            (1536 * 1024 * 1024 * NANO, Format::BinarySi, "1536Mi"),
            (1000 * NANO, Format::BinarySi, "1k"),
            (1_500_000_000, Format::BinarySi, "1500m"),
            (-3 * NANO, Format::DecimalSi, "-3"),
            (12_000 * NANO, Format::DecimalExponent, "12e3"),
            (1_000_000, Format::DecimalSi, "1m"),
            (0, Format::BinarySi, "0"),
        ];
        for (nanos, format, want) in rows {
            assert_eq!(canonical(nanos, format), want, "{nanos} {format:?}");
        }
        let q = |s: &str| Amount::of(&Quantity::parse(s).unwrap()).unwrap();
        assert_eq!(q("0.0001").to_string(), "1m", "rounded up");
        assert_eq!(q("-0.0001").to_string(), "-1m", "away from zero");
        assert_eq!(q("1.5").to_string(), "1500m");
        assert_eq!(q("100m").to_string(), "100m");
        let mut a = q("0");
        a.add(&q("1Gi"));
        assert_eq!(a.to_string(), "1Gi", "a zero takes the other's notation");
    }

    #[test]
    fn go_json_strings() {
        assert_eq!(
            GoJson("a<b>&\"c\\\n\u{1}\u{2028}é").to_string(),
            "\"a\\u003cb\\u003e\\u0026\\\"c\\\\\\n\\u0001\\u2028é\""
        );
    }
}
