//! Volumes and how containers use them, after kubernetes/kubernetes
//! `pkg/apis/core/validation/validation.go` (1.37-era: `ValidateVolumes`,
//! `validateVolumeSource` and every volume source validator, `validateKeyToPath`,
//! `ValidateVolumeMounts`, `ValidateVolumeDevices`, `validateFileKeyRefVolumes`), with
//! `pkg/apis/core/validation/names.go` (`ValidateSignerName`, ClusterTrustBundle names) and
//! `pkg/apis/core/pods/helpers.go` (`ConvertDownwardAPIFieldLabel`).
//!
//! Defaults the API server applies first (`pkg/apis/core/v1/defaults.go`) are read in place:
//! a volume without a source is an `emptyDir` (`SetDefaults_Volume`), `fieldRef.apiVersion`
//! is `v1` (`SetDefaults_ObjectFieldSelector`), a projected token's `expirationSeconds` is
//! 3600 (`SetDefaults_ServiceAccountTokenProjection`), an Azure disk's `kind` is `Shared` and
//! its `cachingMode` `ReadWrite`, an ephemeral claim's `volumeMode` is `Filesystem`
//! (`SetDefaults_PersistentVolumeClaimSpec`) and its requests are rounded up to milli units
//! (`SetDefaults_ResourceList`), an image volume's `pullPolicy` is set from its reference.
//! Fields whose gate is off in 1.37 (`emptyDir.mode`, `defaultUser`/`user`,
//! `volumeMounts[].bindMountOptions`) are dropped by the API server and not read here.
//!
//! A field of the wrong JSON type fails decoding in the API server (the schema rule's
//! business): the checks of that field are skipped.

use std::collections::{HashMap, HashSet};
use std::fmt::{self, Display, Write as _};

use super::helpers::{convert_downward_api_field_label, split_subscripted};
use super::local_descending_path;
use super::options::Options;
use super::quantity_field::quantity;
use crate::policy::finding::{GoJson, Out, Quoted, Raw, fails};
use crate::policy::meta;
use crate::policy::names::{is_dns1123_label, is_dns1123_subdomain, is_qualified_name};
use crate::policy::path::At;
use crate::policy::quantity::{Format, Quantity};
use crate::policy::view::Node;

/// The volumes `ValidateVolumes` accepted, by name: what mounts and devices may name.
#[derive(Debug, Default)]
pub(crate) struct Volumes<'a>(HashMap<&'a str, &'a Node<'a>>);

impl<'a> Volumes<'a> {
    /// The volume named `name`, if it validated: the volume object as written (with its one
    /// source, or none at all, which the API server reads as `emptyDir`).
    pub(crate) fn get(&self, name: &str) -> Option<&'a Node<'a>> {
        self.0.get(name).copied()
    }
}

/// The volume sources in `validateVolumeSource`'s order: the JSON key, the child named in
/// its "more than 1 volume type" error (Go's `cephFS` and `downwarAPI` as printed), and
/// the child its validator reports under (`persistentDisk` for a GCE disk).
const SOURCES: [(&str, &str, &str); 30] = [
    ("emptyDir", "emptyDir", "emptyDir"),
    ("hostPath", "hostPath", "hostPath"),
    ("gitRepo", "gitRepo", "gitRepo"),
    ("gcePersistentDisk", "gcePersistentDisk", "persistentDisk"),
    (
        "awsElasticBlockStore",
        "awsElasticBlockStore",
        "awsElasticBlockStore",
    ),
    ("secret", "secret", "secret"),
    ("nfs", "nfs", "nfs"),
    ("iscsi", "iscsi", "iscsi"),
    ("glusterfs", "glusterfs", "glusterfs"),
    ("flocker", "flocker", "flocker"),
    (
        "persistentVolumeClaim",
        "persistentVolumeClaim",
        "persistentVolumeClaim",
    ),
    ("rbd", "rbd", "rbd"),
    ("cinder", "cinder", "cinder"),
    ("cephfs", "cephFS", "cephfs"),
    ("quobyte", "quobyte", "quobyte"),
    ("downwardAPI", "downwarAPI", "downwardAPI"),
    ("fc", "fc", "fc"),
    ("flexVolume", "flexVolume", "flexVolume"),
    ("configMap", "configMap", "configMap"),
    ("azureFile", "azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume", "vsphereVolume"),
    (
        "photonPersistentDisk",
        "photonPersistentDisk",
        "photonPersistentDisk",
    ),
    ("portworxVolume", "portworxVolume", "portworxVolume"),
    ("azureDisk", "azureDisk", "azureDisk"),
    ("storageos", "storageos", "storageos"),
    ("projected", "projected", "projected"),
    ("scaleIO", "scaleIO", "scaleIO"),
    ("csi", "csi", "csi"),
    ("ephemeral", "ephemeral", "ephemeral"),
    ("image", "image", "image"),
];

const FILE_MODE_MSG: &str = "must be a number between 0 and 0777 (octal), both inclusive";
/// `pdPartitionErrorMsg`: says 1, although 0 is accepted.
const PARTITION_MSG: &str = "must be between 1 and 255, inclusive";
const RANGE_0_255: &str = "must be between 0 and 255, inclusive";
const MORE_THAN_ONE: &str = "may not specify more than 1 volume type";
const DUPLICATE_PATHS: &str = "conflicting duplicate paths";

// ----------------------------------------------------------------------------------------
// Reading fields as Go decodes them.

/// A string field: `""` when absent or null; `None` when of another JSON type.
fn text<'n>(obj: &'n Node<'_>, key: &str) -> Option<&'n str> {
    match obj.get(key) {
        None | Some(Node::Null) => Some(""),
        Some(Node::String(s)) => Some(s),
        Some(_) => None,
    }
}

/// A string pointer (`*string`, or a typed string that defaulting fills): `None` when
/// unset (or of another type).
fn opt_text<'n>(obj: &'n Node<'_>, key: &str) -> Option<&'n str> {
    obj.get(key).and_then(Node::as_str)
}

/// An `int32` field (a value out of range fails decoding).
fn int32(obj: &Node, key: &str) -> Option<i64> {
    obj.get(key)
        .and_then(Node::as_i64)
        .filter(|v| i32::try_from(*v).is_ok())
}

/// A list field: empty when absent or null; `None` when of another type.
fn list<'n, 'a>(obj: &'n Node<'a>, key: &str) -> Option<&'n [Node<'a>]> {
    match obj.get(key) {
        None | Some(Node::Null) => Some(&[]),
        Some(Node::Array(a)) => Some(a),
        Some(_) => None,
    }
}

/// A struct pointer field: `Some` when it holds an object.
fn object<'n, 'a>(obj: &'n Node<'a>, key: &str) -> Option<&'n Node<'a>> {
    obj.get(key).filter(|v| v.is_object())
}

/// A boolean field (false when unset).
fn flag(obj: &Node, key: &str) -> bool {
    obj.get(key).and_then(Node::as_bool).unwrap_or(false)
}

/// A file mode field (`defaultMode`, `mode`): 0 to 0777.
fn file_mode(obj: &Node, key: &str, at: &At, o: &mut Out) {
    if let Some(m) = int32(obj, key)
        && !(0..=0o777).contains(&m)
    {
        o.invalid(&at.child(key), m, FILE_MODE_MSG);
    }
}

// ----------------------------------------------------------------------------------------
// Values printed as Go prints them.

/// A JSON value with Go's string escaping (objects in the order written).
struct NodeJson<'a>(&'a Node<'a>);

impl Display for NodeJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Node::String(s) => GoJson(s).fmt(f),
            Node::Array(items) => {
                f.write_char('[')?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    NodeJson(v).fmt(f)?;
                }
                f.write_char(']')
            }
            Node::Object(obj) => {
                f.write_char('{')?;
                for (i, (k, v)) in obj.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{}:{}", GoJson(k), NodeJson(v))?;
                }
                f.write_char('}')
            }
            other => write!(f, "{other}"),
        }
    }
}

/// A `*metav1.LabelSelector` as `json.Marshal` writes it: `matchLabels` (keys sorted) and
/// `matchExpressions` (`key`, `operator`, `values`), empty ones left out.
struct SelectorJson<'a>(&'a Node<'a>);

impl Display for SelectorJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_null() {
            return f.write_str("null");
        }
        f.write_char('{')?;
        let mut labels: Vec<(&str, &Node)> = self.0.field("matchLabels").entries().collect();
        labels.sort_by(|a, b| a.0.cmp(b.0));
        let exprs = self.0.field("matchExpressions").items();
        if !labels.is_empty() {
            f.write_str("\"matchLabels\":{")?;
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    f.write_char(',')?;
                }
                write!(f, "{}:{}", GoJson(k), NodeJson(v))?;
            }
            f.write_char('}')?;
        }
        if !exprs.is_empty() {
            if !labels.is_empty() {
                f.write_char(',')?;
            }
            f.write_str("\"matchExpressions\":[")?;
            for (i, e) in exprs.iter().enumerate() {
                if i > 0 {
                    f.write_char(',')?;
                }
                let key = e.get("key").and_then(Node::as_str).unwrap_or("");
                let op = e.get("operator").and_then(Node::as_str).unwrap_or("");
                write!(f, "{{\"key\":{},\"operator\":{}", GoJson(key), GoJson(op))?;
                let values = e.field("values");
                if !values.items().is_empty() {
                    write!(f, ",\"values\":{}", NodeJson(values))?;
                }
                f.write_char('}')?;
            }
            f.write_char(']')?;
        }
        f.write_char('}')
    }
}

/// The internal `core.ClusterTrustBundleProjection` as `json.Marshal` writes it: Go field
/// names, as the internal type has no JSON tags. (A 1.37 build may carry one more field,
/// `User`, for the gated `AtomicWriteVolumeUserFields`; not seen in the Go read.)
struct TrustBundleJson<'a>(&'a Node<'a>);

impl Display for TrustBundleJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ptr = |key: &str| -> String {
            match self.0.get(key).and_then(Node::as_str) {
                Some(s) => GoJson(s).to_string(),
                None => "null".into(),
            }
        };
        let optional = match self.0.get("optional").and_then(Node::as_bool) {
            Some(b) => b.to_string(),
            None => "null".into(),
        };
        write!(
            f,
            "{{\"Name\":{},\"SignerName\":{},\"LabelSelector\":{},\"Optional\":{},\"Path\":{}}}",
            ptr("name"),
            ptr("signerName"),
            SelectorJson(self.0.field("labelSelector")),
            optional,
            GoJson(self.0.get("path").and_then(Node::as_str).unwrap_or("")),
        )
    }
}

// ----------------------------------------------------------------------------------------
// Path helpers.

/// `validatePathNoBacksteps`: no element `..` (split on `/`; `filepath.ToSlash` leaves `\`
/// alone on Linux). One error however many.
fn has_backsteps(p: &str) -> bool {
    p.split('/').any(|part| part == "..")
}

fn path_no_backsteps(p: &str, at: &At, o: &mut Out) {
    if has_backsteps(p) {
        o.invalid(at, p, "must not contain '..'");
    }
}

/// `ValidateLocalNonReservedPath`: relative, no `..` element, not starting with `..`
/// (unless the `..` element error already said so).
fn local_non_reserved_path(p: &str, at: &At, o: &mut Out) {
    local_descending_path(p, at, o);
    if p.starts_with("..") && !p.starts_with("../") {
        o.invalid(at, p, "must not start with '..'");
    }
}

// ----------------------------------------------------------------------------------------
// ValidateVolumes.

/// `ValidateVolumes(spec.volumes, nil, "spec.template.spec.volumes", opts)`: each volume's
/// source, then its name (a DNS-1123 label, unique among the volumes that passed). Only a
/// volume without any error is accepted (and can be mounted): a duplicate of a volume that
/// had errors is not reported as a duplicate. (The Pod-only checks against the names of the
/// claims ephemeral volumes create need the pod's name, which a template has not.)
pub(crate) fn validate<'a>(
    volumes: &'a Node<'a>,
    at: &At,
    opts: &Options,
    o: &mut Out,
) -> Volumes<'a> {
    let mut accepted: HashMap<&'a str, &'a Node<'a>> = HashMap::new();
    for (i, vol) in volumes.items().iter().enumerate() {
        if !vol.is_object() {
            continue;
        }
        let v_at = at.index(i);
        let before = o.count();
        let name = text(vol, "name");
        validate_volume_source(vol, &v_at, name.unwrap_or(""), opts, o);
        let Some(name) = name else { continue };
        let name_at = v_at.child("name");
        if name.is_empty() {
            o.required(&name_at, "");
        } else {
            o.invalid_each(&name_at, name, is_dns1123_label(name));
        }
        if accepted.contains_key(name) {
            o.duplicate(&name_at, name);
        }
        if o.count() == before {
            accepted.insert(name, vol);
        }
    }
    Volumes(accepted)
}

/// `validateVolumeSource`: exactly one source, the first one present validated, every later
/// one refused. None at all is an `emptyDir` after `SetDefaults_Volume`, so "must specify a
/// volume type" cannot happen.
fn validate_volume_source(vol: &Node, at: &At, vol_name: &str, opts: &Options, o: &mut Out) {
    let mut found = false;
    for (key, dup_name, child) in SOURCES {
        let Some(src) = object(vol, key) else {
            continue;
        };
        if found {
            o.forbidden(&at.child(dup_name), MORE_THAN_ONE);
        } else {
            found = true;
            let s_at = at.child(child);
            source(key, src, &s_at, opts, o);
        }
        // Checked even when iscsi is a second source.
        if key == "iscsi"
            && opt_text(src, "initiatorName").is_some()
            && vol_name.len() + 1 + text(src, "targetPortal").unwrap_or("").len() > 64
        {
            o.invalid(
                &at.child("name"),
                vol_name,
                "Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.",
            );
        }
    }
}

fn source(key: &str, src: &Node, at: &At, opts: &Options, o: &mut Out) {
    match key {
        "emptyDir" => empty_dir(src, at, opts, o),
        "hostPath" => host_path(src, at, o),
        "gitRepo" => git_repo(src, at, o),
        "gcePersistentDisk" => disk_with_partition(src, "pdName", at, o),
        "awsElasticBlockStore" => disk_with_partition(src, "volumeID", at, o),
        "secret" => secret(src, at, o),
        "nfs" => nfs(src, at, o),
        "iscsi" => iscsi(src, at, o),
        "glusterfs" => required_texts(src, &["endpoints", "path"], at, o),
        "flocker" => flocker(src, at, o),
        "persistentVolumeClaim" => required_texts(src, &["claimName"], at, o),
        "rbd" => {
            required_list(src, "monitors", at, o);
            required_texts(src, &["image"], at, o);
        }
        "cinder" => {
            required_texts(src, &["volumeID"], at, o);
            secret_ref_name(src, at, o);
        }
        "cephfs" => required_list(src, "monitors", at, o),
        "quobyte" => quobyte(src, at, o),
        "downwardAPI" => downward_api(src, at, opts, o),
        "fc" => fc(src, at, o),
        "flexVolume" => flex_volume(src, at, o),
        "configMap" => config_map(src, at, o),
        "azureFile" => required_texts(src, &["secretName", "shareName"], at, o),
        "vsphereVolume" => required_texts(src, &["volumePath"], at, o),
        "photonPersistentDisk" => required_texts(src, &["pdID"], at, o),
        "portworxVolume" => required_texts(src, &["volumeID"], at, o),
        "azureDisk" => azure_disk(src, at, o),
        "storageos" => storageos(src, at, o),
        "projected" => projected(src, at, opts, o),
        "scaleIO" => required_texts(src, &["gateway", "system", "volumeName"], at, o),
        "csi" => csi(src, at, o),
        "ephemeral" => ephemeral(src, at, opts, o),
        "image" => image(src, at, opts, o),
        _ => {}
    }
}

/// String fields that must not be empty (`Required(fldPath.Child(name), "")` each).
fn required_texts(src: &Node, keys: &[&str], at: &At, o: &mut Out) {
    for key in keys {
        if text(src, key) == Some("") {
            o.required(&at.child(key), "");
        }
    }
}

/// A list that must not be empty.
fn required_list(src: &Node, key: &str, at: &At, o: &mut Out) {
    if list(src, key).is_some_and(<[Node]>::is_empty) {
        o.required(&at.child(key), "");
    }
}

/// A `secretRef` that, when set, needs a name (cinder, storageos).
fn secret_ref_name(src: &Node, at: &At, o: &mut Out) {
    if let Some(r) = object(src, "secretRef")
        && text(r, "name") == Some("")
    {
        let r_at = at.child("secretRef");
        o.required(&r_at.child("name"), "");
    }
}

/// The `emptyDir` part of `validateVolumeSource`: a negative `sizeLimit` is refused;
/// `medium` is not checked at all.
fn empty_dir(src: &Node, at: &At, opts: &Options, o: &mut Out) {
    if let Some(v) = src.get("sizeLimit").filter(|v| !v.is_null()) {
        let l_at = at.child("sizeLimit");
        if quantity(v, &l_at, opts, o).is_some_and(|q| q.is_negative()) {
            o.forbidden(&l_at, "SizeLimit field must be a valid resource quantity");
        }
    }
}

/// `validateHostPathVolumeSource` and `validateHostPathType` (`type` unset is `""`,
/// `SetDefaults_HostPathVolumeSource`). A relative path is accepted.
fn host_path(src: &Node, at: &At, o: &mut Out) {
    let Some(path) = text(src, "path") else {
        return;
    };
    let p_at = at.child("path");
    if path.is_empty() {
        o.required(&p_at, "");
        return;
    }
    path_no_backsteps(path, &p_at, o);
    if let Some(t) = opt_text(src, "type")
        && !matches!(
            t,
            "" | "BlockDevice"
                | "CharDevice"
                | "Directory"
                | "DirectoryOrCreate"
                | "File"
                | "FileOrCreate"
                | "Socket"
        )
    {
        o.not_supported(
            &at.child("type"),
            Raw(GoJson(t)),
            &[
                "",
                "BlockDevice",
                "CharDevice",
                "Directory",
                "DirectoryOrCreate",
                "File",
                "FileOrCreate",
                "Socket",
            ],
        );
    }
}

/// `validateGitRepoVolumeSource`.
fn git_repo(src: &Node, at: &At, o: &mut Out) {
    required_texts(src, &["repository"], at, o);
    if let Some(dir) = text(src, "directory") {
        local_descending_path(dir, &at.child("directory"), o);
    }
}

/// `validateGCEPersistentDiskVolumeSource` (under `persistentDisk`) and
/// `validateAWSElasticBlockStoreVolumeSource`. (`ValidateReadOnlyPersistentDisks` is no
/// longer called for DaemonSets: `readOnly: false` is accepted.)
fn disk_with_partition(src: &Node, id_key: &str, at: &At, o: &mut Out) {
    required_texts(src, &[id_key], at, o);
    if let Some(p) = int32(src, "partition")
        && !(0..=255).contains(&p)
    {
        o.invalid(&at.child("partition"), p, PARTITION_MSG);
    }
}

/// `validateSecretVolumeSource` (the secret's name is not checked for format).
fn secret(src: &Node, at: &At, o: &mut Out) {
    required_texts(src, &["secretName"], at, o);
    file_mode(src, "defaultMode", at, o);
    key_to_paths(src, at, o);
}

/// `validateConfigMapVolumeSource`.
fn config_map(src: &Node, at: &At, o: &mut Out) {
    required_texts(src, &["name"], at, o);
    file_mode(src, "defaultMode", at, o);
    key_to_paths(src, at, o);
}

fn key_to_paths(src: &Node, at: &At, o: &mut Out) {
    let items_at = at.child("items");
    for (j, item) in src.field("items").items().iter().enumerate() {
        if item.is_object() {
            key_to_path(item, &items_at.index(j), o);
        }
    }
}

/// `validateKeyToPath`: a key (any text) and a local path; the key's format is not checked.
fn key_to_path(kp: &Node, at: &At, o: &mut Out) {
    if text(kp, "key") == Some("") {
        o.required(&at.child("key"), "");
    }
    if let Some(path) = text(kp, "path") {
        let p_at = at.child("path");
        if path.is_empty() {
            o.required(&p_at, "");
        }
        local_non_reserved_path(path, &p_at, o);
    }
    file_mode(kp, "mode", at, o);
}

/// `validateNFSVolumeSource`: an empty path is both required and not absolute.
fn nfs(src: &Node, at: &At, o: &mut Out) {
    required_texts(src, &["server"], at, o);
    if let Some(path) = text(src, "path") {
        let p_at = at.child("path");
        if path.is_empty() {
            o.required(&p_at, "");
        }
        if !path.starts_with('/') {
            o.invalid(&p_at, path, "must be an absolute path");
        }
    }
}

/// `validateISCSIVolumeSource` (the name length check is in `validate_volume_source`).
fn iscsi(src: &Node, at: &At, o: &mut Out) {
    required_texts(src, &["targetPortal"], at, o);
    if let Some(iqn) = text(src, "iqn") {
        let i_at = at.child("iqn");
        if iqn.is_empty() {
            o.required(&i_at, "");
        } else {
            iscsi_name(iqn, &i_at, o);
        }
    }
    if let Some(lun) = int32(src, "lun")
        && !(0..=255).contains(&lun)
    {
        o.invalid(&at.child("lun"), lun, RANGE_0_255);
    }
    if (flag(src, "chapAuthDiscovery") || flag(src, "chapAuthSession"))
        && matches!(src.get("secretRef"), None | Some(Node::Null))
    {
        o.required(&at.child("secretRef"), "");
    }
    if let Some(initiator) = opt_text(src, "initiatorName") {
        // Go's path is lower case here.
        iscsi_name(initiator, &at.child("initiatorname"), o);
    }
}

/// An iSCSI qualified name: `iqn`, `eui` or `naa` and its format.
fn iscsi_name(v: &str, at: &At, o: &mut Out) {
    let ok = if v.starts_with("iqn") {
        iqn_matches(v)
    } else if v.starts_with("eui") {
        prefixed_alnum(v, "eui", 16)
    } else if v.starts_with("naa") {
        prefixed_alnum(v, "naa", 32)
    } else {
        o.invalid(at, v, "must be valid format starting with iqn, eui, or naa");
        return;
    };
    if !ok {
        o.invalid(at, v, "must be valid format");
    }
}

/// `^eui.[[:alnum:]]{16}$` and `^naa.[[:alnum:]]{32}$` (`.` is any character but `\n`).
fn prefixed_alnum(v: &str, prefix: &str, n: usize) -> bool {
    let Some(rest) = v.strip_prefix(prefix) else {
        return false;
    };
    let mut chars = rest.chars();
    if matches!(chars.next(), None | Some('\n')) {
        return false;
    }
    let tail = chars.as_str();
    tail.len() == n && tail.bytes().all(|c| c.is_ascii_alphanumeric())
}

/// `iqn\.\d{4}-\d{2}\.([[:alnum:]-.]+)(:[^,;*&$|\s]+)$`, unanchored at the start as in Go:
/// some `iqn.` in the text starts a match that runs to the end. Linear: the class run
/// after one candidate is reused by the next candidate that starts inside it.
fn iqn_matches(v: &str) -> bool {
    let b = v.as_bytes();
    let bad = |c: u8| {
        matches!(
            c,
            b',' | b';' | b'*' | b'&' | b'$' | b'|' | b' ' | b'\t' | b'\n' | b'\r' | 0x0c
        )
    };
    let last_bad = b.iter().rposition(|&c| bad(c));
    let class = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'.';
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let mut run_end = 0;
    let mut from = 0;
    while let Some(off) = v.get(from..).and_then(|s| s.find("iqn.")) {
        let start = from + off;
        from = start + 1;
        let host = start + 12;
        if !(digits(start + 4..start + 8)
            && b.get(start + 8) == Some(&b'-')
            && digits(start + 9..start + 11)
            && b.get(start + 11) == Some(&b'.'))
        {
            continue;
        }
        if run_end <= host {
            run_end = host;
            while run_end < b.len() && class(b[run_end]) {
                run_end += 1;
            }
        }
        let colon = run_end;
        if colon > host
            && b.get(colon) == Some(&b':')
            && colon + 1 < b.len()
            && last_bad.is_none_or(|l| l <= colon)
        {
            return true;
        }
    }
    false
}

/// `validateFlockerVolumeSource`.
fn flocker(src: &Node, at: &At, o: &mut Out) {
    let (Some(name), Some(uuid)) = (text(src, "datasetName"), text(src, "datasetUUID")) else {
        return;
    };
    if name.is_empty() && uuid.is_empty() {
        o.required(at, "one of datasetName and datasetUUID is required");
    }
    if !name.is_empty() && !uuid.is_empty() {
        o.invalid(
            at,
            "resource",
            "datasetName and datasetUUID can not be specified simultaneously",
        );
    }
    if name.contains('/') {
        o.invalid(&at.child("datasetName"), name, "must not contain '/'");
    }
}

/// `validateQuobyteVolumeSource`: a registry of `host:port` pairs (one error per bad pair,
/// each with the whole registry), a tenant under 65 bytes (reported as Required), a volume.
fn quobyte(src: &Node, at: &At, o: &mut Out) {
    const PAIRS: &str = "must be a host:port pair or multiple pairs separated by commas";
    if let Some(registry) = text(src, "registry") {
        let r_at = at.child("registry");
        if registry.is_empty() {
            o.required(&r_at, PAIRS);
        } else if text(src, "tenant").unwrap_or("").len() >= 65 {
            o.required(
                &at.child("tenant"),
                "must be a UUID and may not exceed a length of 64 characters",
            );
        } else {
            // Go adds one error per bad pair, all the same line (path, whole registry,
            // detail), which is printed once: one is added here, so that a registry of many
            // commas does not make many copies of itself.
            if !registry.split(',').all(split_host_port_ok) {
                o.invalid(&r_at, registry, PAIRS);
            }
        }
    }
    required_texts(src, &["volume"], at, o);
}

/// Whether Go's `net.SplitHostPort` accepts the text (the port may be empty).
fn split_host_port_ok(hp: &str) -> bool {
    let Some(last) = hp.rfind(':') else {
        return false;
    };
    let (j, k) = if hp.starts_with('[') {
        let Some(end) = hp.find(']') else {
            return false;
        };
        if end + 1 != last {
            return false;
        }
        (1, end + 1)
    } else {
        if hp[..last].contains(':') {
            return false;
        }
        (0, 0)
    };
    !hp[j..].contains('[') && !hp[k..].contains(']')
}

/// `validateFCVolumeSource`.
fn fc(src: &Node, at: &At, o: &mut Out) {
    let (Some(wwns), Some(wwids)) = (list(src, "targetWWNs"), list(src, "wwids")) else {
        return;
    };
    let w_at = at.child("targetWWNs");
    if wwns.is_empty() && wwids.is_empty() {
        o.required(
            &w_at,
            "must specify either targetWWNs or wwids, but not both",
        );
    }
    if !wwns.is_empty() && !wwids.is_empty() {
        o.invalid(
            &w_at,
            Raw(NodeJson(src.field("targetWWNs"))),
            "targetWWNs and wwids can not be specified simultaneously",
        );
    }
    if !wwns.is_empty() {
        let l_at = at.child("lun");
        match src.get("lun") {
            None | Some(Node::Null) => {
                o.required(&l_at, "lun is required if targetWWNs is specified")
            }
            Some(_) => {
                if let Some(lun) = int32(src, "lun")
                    && !(0..=255).contains(&lun)
                {
                    o.invalid(&l_at, lun, RANGE_0_255);
                }
            }
        }
    }
}

/// `validateFlexVolumeSource`: options may not use the `kubernetes.io` or `k8s.io`
/// namespaces (the driver's format is not checked).
fn flex_volume(src: &Node, at: &At, o: &mut Out) {
    required_texts(src, &["driver"], at, o);
    let opts_at = at.child("options");
    for (k, _) in src.field("options").entries() {
        let ns = k.split_once('/').map_or(k, |(ns, _)| ns);
        if reserved_namespace(ns) {
            o.invalid(
                &opts_at.key(k),
                k,
                "kubernetes.io and k8s.io namespaces are reserved",
            );
        }
    }
}

/// Whether `"." + lower(ns)` ends with `.kubernetes.io` or `.k8s.io`.
fn reserved_namespace(ns: &str) -> bool {
    if !ns.is_ascii() {
        // Go's ToLower maps some non-ASCII letters to ASCII ones (the Kelvin sign to `k`).
        let lower = ns.to_lowercase();
        return lower.is_ascii() && reserved_namespace(&lower);
    }
    let ends = |bare: &str| {
        let b = ns.as_bytes();
        b.len() >= bare.len()
            && b[b.len() - bare.len()..].eq_ignore_ascii_case(bare.as_bytes())
            && (b.len() == bare.len() || b[b.len() - bare.len() - 1] == b'.')
    };
    ends("kubernetes.io") || ends("k8s.io")
}

/// `validateAzureDisk`, after defaulting (`kind` `Shared`, `cachingMode` `ReadWrite`): so a
/// blob disk URI must start with `https://` unless the kind is `Managed`.
fn azure_disk(src: &Node, at: &At, o: &mut Out) {
    required_texts(src, &["diskName"], at, o);
    let Some(uri) = text(src, "diskURI") else {
        return;
    };
    let u_at = at.child("diskURI");
    if uri.is_empty() {
        o.required(&u_at, "");
    }
    let caching = opt_text(src, "cachingMode").unwrap_or("ReadWrite");
    if !matches!(caching, "None" | "ReadOnly" | "ReadWrite") {
        o.not_supported(
            &at.child("cachingMode"),
            Raw(GoJson(caching)),
            &["None", "ReadOnly", "ReadWrite"],
        );
    }
    let kind = opt_text(src, "kind").unwrap_or("Shared");
    if !matches!(kind, "Shared" | "Dedicated" | "Managed") {
        o.not_supported(
            &at.child("kind"),
            Raw(GoJson(kind)),
            &["Dedicated", "Managed", "Shared"],
        );
    }
    if kind == "Managed" && !uri.starts_with("/subscriptions/") {
        o.not_supported(
            &u_at,
            uri,
            &["/subscriptions/{sub-id}/resourcegroups/{group-name}/providers/microsoft.compute/disks/{disk-id}"],
        );
    }
    if kind != "Managed" && !uri.starts_with("https://") {
        o.not_supported(
            &u_at,
            uri,
            &["https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd"],
        );
    }
}

/// `validateStorageOSVolumeSource`.
fn storageos(src: &Node, at: &At, o: &mut Out) {
    if let Some(name) = text(src, "volumeName") {
        let n_at = at.child("volumeName");
        if name.is_empty() {
            o.required(&n_at, "");
        } else {
            o.invalid_each(&n_at, name, is_dns1123_label(name));
        }
    }
    if let Some(ns) = text(src, "volumeNamespace")
        && !ns.is_empty()
    {
        o.invalid_each(&at.child("volumeNamespace"), ns, is_dns1123_label(ns));
    }
    secret_ref_name(src, at, o);
}

/// `validateCSIVolumeSource`: the driver by `ValidateCSIDriverName` (an empty one is only
/// required; a long one too long; case is ignored for the format), and the publish secret's
/// name, reported under `csi.name` as Go does.
fn csi(src: &Node, at: &At, o: &mut Out) {
    if let Some(driver) = text(src, "driver") {
        let d_at = at.child("driver");
        if driver.is_empty() {
            o.required(&d_at, "");
        } else {
            if driver.len() > 63 {
                o.too_long(&d_at, 63);
            }
            let errs = if driver.bytes().any(|c| c.is_ascii_uppercase()) || !driver.is_ascii() {
                is_dns1123_subdomain(&driver.to_lowercase())
            } else {
                is_dns1123_subdomain(driver)
            };
            o.invalid_each(&d_at, driver, errs);
        }
    }
    if let Some(r) = object(src, "nodePublishSecretRef")
        && let Some(name) = text(r, "name")
    {
        if name.is_empty() {
            let r_at = at.child("nodePublishSecretRef");
            o.required(&r_at.child("name"), "");
        } else {
            o.invalid_each(&at.child("name"), name, is_dns1123_subdomain(name));
        }
    }
}

/// `validateImageVolumeSource`: a reference (also in templates since 1.36,
/// `AllowEmptyImageVolumeReference` being false on create) and a pull policy (never empty
/// after `SetDefaults_Volume`).
fn image(src: &Node, at: &At, opts: &Options, o: &mut Out) {
    if !opts.allow_empty_image_volume_reference && text(src, "reference") == Some("") {
        o.required(&at.child("reference"), "");
    }
    if let Some(p) = opt_text(src, "pullPolicy")
        && !matches!(p, "" | "Always" | "IfNotPresent" | "Never")
    {
        o.not_supported(
            &at.child("pullPolicy"),
            Raw(GoJson(p)),
            &["Always", "IfNotPresent", "Never"],
        );
    }
}

// ----------------------------------------------------------------------------------------
// Downward API.

/// `validateDownwardAPIVolumeSource`: the items are reported without their index, as Go
/// passes the source's path to each.
fn downward_api(src: &Node, at: &At, opts: &Options, o: &mut Out) {
    file_mode(src, "defaultMode", at, o);
    for item in src.field("items").items() {
        if item.is_object() {
            downward_api_file(item, at, opts, o);
        }
    }
}

/// `validateDownwardAPIVolumeFile` at `at` (the source's path, no item index).
fn downward_api_file(file: &Node, at: &At, opts: &Options, o: &mut Out) {
    if let Some(path) = text(file, "path") {
        let p_at = at.child("path");
        if path.is_empty() {
            o.required(&p_at, "");
        }
        local_non_reserved_path(path, &p_at, o);
    }
    if let Some(fr) = object(file, "fieldRef") {
        object_field_selector(fr, &at.child("fieldRef"), o);
        if object(file, "resourceFieldRef").is_some() {
            o.invalid(
                at,
                "resource",
                "fieldRef and resourceFieldRef can not be specified simultaneously",
            );
        }
    } else if let Some(rf) = object(file, "resourceFieldRef") {
        resource_field_selector(rf, &at.child("resourceFieldRef"), opts, o);
    } else {
        o.required(at, "one of fieldRef and resourceFieldRef is required");
    }
    file_mode(file, "mode", at, o);
}

/// Fields a downward API volume may project.
const VOLUME_FIELD_PATHS: [&str; 5] = [
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
];

/// `validateObjectFieldSelector` with the volume field paths.
fn object_field_selector(fs: &Node, at: &At, o: &mut Out) {
    let (Some(api_version), Some(field_path)) = (text(fs, "apiVersion"), text(fs, "fieldPath"))
    else {
        return;
    };
    // SetDefaults_ObjectFieldSelector.
    let api_version = if api_version.is_empty() {
        "v1"
    } else {
        api_version
    };
    if field_path.is_empty() {
        o.required(&at.child("fieldPath"), "");
        return;
    }
    let internal = match convert_downward_api_field_label(api_version, field_path) {
        Ok(p) => p,
        Err(e) => {
            o.invalid(
                &at.child("fieldPath"),
                field_path,
                format!("error converting fieldPath: {e}"),
            );
            return;
        }
    };
    if let Some((path, subscript)) = split_subscripted(internal) {
        match path {
            "metadata.annotations" => {
                let lower = lowercase(subscript);
                o.invalid_each(at, &lower, is_qualified_name(&lower));
            }
            "metadata.labels" => o.invalid_each(at, subscript, is_qualified_name(subscript)),
            _ => o.invalid(at, path, "does not support subscript"),
        }
    } else if !VOLUME_FIELD_PATHS.contains(&internal) {
        o.not_supported(&at.child("fieldPath"), internal, &VOLUME_FIELD_PATHS);
    }
}

/// Go's `strings.ToLower`, without a copy when there is nothing to lower.
fn lowercase(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() && !s.bytes().any(|c| c.is_ascii_uppercase()) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.to_lowercase())
    }
}

/// Resources a downward API volume may project (hugepages by prefix).
const RESOURCE_FIELD_PATHS: [&str; 6] = [
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
];

const BYTE_DIVISORS: [&str; 13] = [
    "1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei",
];

/// `validateContainerResourceFieldSelector` for a volume (a container name is required, not
/// checked to exist), then `validateContainerResourceDivisor`.
fn resource_field_selector(rf: &Node, at: &At, opts: &Options, o: &mut Out) {
    let resource = text(rf, "resource");
    if text(rf, "containerName") == Some("") {
        o.required(&at.child("containerName"), "");
    } else if resource == Some("") {
        o.required(&at.child("resource"), "");
    } else if let Some(r) = resource
        && !RESOURCE_FIELD_PATHS.contains(&r)
        && !is_hugepages_field(r)
    {
        o.not_supported(&at.child("resource"), r, &RESOURCE_FIELD_PATHS);
    }
    let Some(divisor) = rf.get("divisor").filter(|d| !d.is_null()) else {
        return;
    };
    let d_at = at.child("divisor");
    let Some(q) = quantity(divisor, &d_at, opts, o) else {
        return;
    };
    if q.is_zero() {
        return;
    }
    let r = resource.unwrap_or("");
    let shown = q.to_string();
    let detail = match r {
        "limits.cpu" | "requests.cpu" if !matches!(shown.as_str(), "1m" | "1") => {
            Some("only divisor's values 1m and 1 are supported with the cpu resource")
        }
        "limits.memory" | "requests.memory" if !BYTE_DIVISORS.contains(&shown.as_str()) => Some(
            "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource",
        ),
        "limits.ephemeral-storage" | "requests.ephemeral-storage"
            if !BYTE_DIVISORS.contains(&shown.as_str()) =>
        {
            Some(
                "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the local ephemeral storage resource",
            )
        }
        _ => None,
    };
    if let Some(detail) = detail {
        o.invalid(&d_at, r, detail);
    }
    if is_hugepages_field(r) && !BYTE_DIVISORS.contains(&shown.as_str()) {
        o.invalid(
            &d_at,
            r,
            "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the hugepages resource",
        );
    }
}

fn is_hugepages_field(r: &str) -> bool {
    r.starts_with("requests.hugepages-") || r.starts_with("limits.hugepages-")
}

// ----------------------------------------------------------------------------------------
// Projected volumes.

/// `validateProjectedVolumeSource` and `validateProjectionSources`: every projection of an
/// entry is checked, then more than one in an entry is refused; the paths of secret,
/// configMap, downwardAPI, clusterTrustBundle and podCertificate projections must not
/// repeat across the volume (a service account token's path is not counted).
fn projected(src: &Node, at: &At, opts: &Options, o: &mut Out) {
    file_mode(src, "defaultMode", at, o);
    let mut all_paths: HashSet<&str> = HashSet::new();
    let sources_at = at.child("sources");
    for (i, s) in src.field("sources").items().iter().enumerate() {
        let src_at = sources_at.index(i);
        let mut n = 0;
        for kind in ["secret", "configMap"] {
            let Some(p) = object(s, kind) else { continue };
            n += 1;
            // The findings count just after this projection's last duplicate error: a
            // duplicate right after it is the same line (printed once), not added again,
            // so that many items do not copy the name many times.
            let mut after_dup = usize::MAX;
            let p_at = src_at.child(kind);
            let name = text(p, "name").unwrap_or("");
            if text(p, "name") == Some("") {
                o.required(&p_at.child("name"), "");
            }
            let items_at = p_at.child("items");
            for (j, item) in p.field("items").items().iter().enumerate() {
                if !item.is_object() {
                    continue;
                }
                key_to_path(item, &items_at.index(j), o);
                if let Some(path) = text(item, "path")
                    && !path.is_empty()
                    && !all_paths.insert(path)
                    && o.count() != after_dup
                {
                    o.invalid(at, name, DUPLICATE_PATHS);
                    after_dup = o.count();
                }
            }
        }
        if let Some(p) = object(s, "downwardAPI") {
            n += 1;
            let p_at = src_at.child("downwardAPI");
            for item in p.field("items").items() {
                if !item.is_object() {
                    continue;
                }
                downward_api_file(item, &p_at, opts, o);
                if let Some(path) = text(item, "path")
                    && !path.is_empty()
                    && !all_paths.insert(path)
                {
                    o.invalid(at, path, DUPLICATE_PATHS);
                }
            }
        }
        if let Some(p) = object(s, "serviceAccountToken") {
            n += 1;
            service_account_token(p, &src_at.child("serviceAccountToken"), at, opts, o);
        }
        if let Some(p) = object(s, "clusterTrustBundle") {
            n += 1;
            cluster_trust_bundle(
                p,
                &src_at.child("clusterTrustBundle"),
                at,
                &mut all_paths,
                o,
            );
        }
        if let Some(p) = object(s, "podCertificate") {
            n += 1;
            pod_certificate(p, &src_at.child("podCertificate"), at, &mut all_paths, o);
        }
        if n > 1 {
            o.forbidden(
                &src_at,
                "may not specify more than 1 volume type per source",
            );
        }
    }
}

/// A projected service account token (`expirationSeconds` 3600 when unset). Its path is
/// reported under the projected volume (`projected.path`), as Go does.
fn service_account_token(p: &Node, at: &At, pj: &At, opts: &Options, o: &mut Out) {
    let expiration = match p.get("expirationSeconds") {
        None | Some(Node::Null) => Some(3600),
        Some(n) => n.as_i64(),
    };
    if let Some(e) = expiration {
        let e_at = at.child("expirationSeconds");
        if e < 600 {
            o.invalid(&e_at, e, "may not specify a duration less than 10 minutes");
        }
        if e > 1 << 32 {
            o.invalid(
                &e_at,
                e,
                "may not specify a duration larger than 2^32 seconds",
            );
        }
    }
    if let Some(path) = text(p, "path") {
        let p_at = pj.child("path");
        if path.is_empty() {
            o.required(&p_at, "");
        } else if !opts.allow_non_local_projected_token_path {
            local_non_reserved_path(path, &p_at, o);
        }
    }
}

/// A ClusterTrustBundle projection: by name or by signer name (with a label selector).
fn cluster_trust_bundle<'n>(
    p: &'n Node,
    at: &At,
    pj: &At,
    all_paths: &mut HashSet<&'n str>,
    o: &mut Out,
) {
    match (opt_text(p, "name"), opt_text(p, "signerName")) {
        (Some(_), Some(_)) => o.invalid(
            at,
            Raw(TrustBundleJson(p)),
            "only one of name and signerName may be used",
        ),
        (Some(name), None) => {
            let n_at = at.child("name");
            if name.is_empty() {
                o.required(&n_at, "must be a valid object name");
            }
            for m in cluster_trust_bundle_name_errors(name) {
                o.invalid(
                    &n_at,
                    name,
                    format!("not a valid clustertrustbundlename: {m}"),
                );
            }
            if let Some(sel) = p.get("labelSelector").filter(|s| !s.is_null()) {
                o.invalid(
                    &at.child("labelSelector"),
                    Raw(SelectorJson(sel)),
                    "labelSelector must be unset if name is specified",
                );
            }
        }
        (None, Some(signer)) => {
            let s_at = at.child("signerName");
            if signer.is_empty() {
                o.required(&s_at, "must be a valid signer name");
            }
            signer_name(signer, &s_at, o);
            if let Some(sel) = meta::Selector::of(p.field("labelSelector")) {
                sel.validate(&at.child("labelSelector"), false, o);
            }
        }
        (None, None) => o.required(at, "either name or signerName must be specified"),
    }
    let Some(path) = text(p, "path") else { return };
    let p_at = at.child("path");
    if path.is_empty() {
        o.required(&p_at, "");
    }
    local_non_reserved_path(path, &p_at, o);
    // Even an empty path counts.
    if !all_paths.insert(path) {
        o.invalid(pj, path, DUPLICATE_PATHS);
    }
}

/// `ValidateClusterTrustBundleName`, with the signer taken from the name as
/// `extractSignerNameFromClusterTrustBundleName` does (`signer:name`, the signer's `/` as `:`).
fn cluster_trust_bundle_name_errors(name: &str) -> Vec<String> {
    match name.rfind(':') {
        None => is_dns1123_subdomain(name),
        Some(split) => {
            let head = &name[..split];
            if head.contains('/') {
                let signer = head.replace(':', "/");
                let prefix = format!("{}:", signer.replace('/', ":"));
                vec![format!(
                    "ClusterTrustBundle for signerName {signer} must be named with prefix {prefix}"
                )]
            } else {
                is_dns1123_subdomain(&name[split + 1..])
            }
        }
    }
}

/// `ValidateSignerName` (`names.go`): `domain/path`, the domain of DNS labels (at least
/// two), the path of DNS subdomains, at most 571 bytes.
fn signer_name(s: &str, at: &At, o: &mut Out) {
    if s.is_empty() {
        o.required(at, "");
        return;
    }
    let Some((domain, path)) = s.split_once('/').filter(|(_, p)| !p.contains('/')) else {
        o.invalid(
            at,
            s,
            "must be a fully qualified domain and path of the form 'example.com/signer-name'",
        );
        return;
    };
    if domain.len() > 253 {
        o.too_long(at, 253);
    }
    for label in domain.split('.') {
        let errs = is_dns1123_label(label);
        if !errs.is_empty() {
            for e in errs {
                o.invalid(
                    at,
                    domain,
                    format!("validating label {}: {e}", Quoted(label)),
                );
            }
            break;
        }
    }
    if !domain.contains('.') {
        o.invalid(
            at,
            domain,
            "should be a domain with at least two segments separated by dots",
        );
    }
    for label in path.split('.') {
        let errs = is_dns1123_subdomain(label);
        if !errs.is_empty() {
            for e in errs {
                o.invalid(at, path, format!("validating label {}: {e}", Quoted(label)));
            }
            break;
        }
    }
    const MAX: usize = 253 + (253 + 63 + 1) + 1;
    if s.len() > MAX {
        o.too_long(at, MAX);
    }
}

/// `IsKubernetesSignerName`.
fn is_kubernetes_signer_name(s: &str) -> bool {
    let host = s.split_once('/').map_or(s, |(h, _)| h);
    host == "kubernetes.io" || host.ends_with(".kubernetes.io")
}

/// A podCertificate projection: signer, user annotations, key type, lifetime, and at least
/// one of its three paths.
fn pod_certificate<'n>(
    p: &'n Node,
    at: &At,
    pj: &At,
    all_paths: &mut HashSet<&'n str>,
    o: &mut Out,
) {
    let signer = text(p, "signerName").unwrap_or("");
    signer_name(signer, &at.child("signerName"), o);
    if let Some(ua) = p.get("userAnnotations").filter(|u| u.is_object()) {
        user_annotations(ua, &at.child("userAnnotations"), o);
    }
    if let Some(kt) = text(p, "keyType") {
        const KEY_TYPES: [&str; 6] = [
            "RSA3072",
            "RSA4096",
            "ECDSAP256",
            "ECDSAP384",
            "ECDSAP521",
            "ED25519",
        ];
        if !KEY_TYPES.contains(&kt) {
            o.not_supported(&at.child("keyType"), kt, &KEY_TYPES);
        }
    }
    if let Some(max) = int32(p, "maxExpirationSeconds") {
        let m_at = at.child("maxExpirationSeconds");
        if max < 3600 {
            o.invalid(
                &m_at,
                max,
                "if provided, maxExpirationSeconds must be >= 3600",
            );
        }
        // certificates.KubernetesMaxMaxExpirationSeconds, MaxMaxExpirationSeconds.
        let limit: i64 = if is_kubernetes_signer_name(signer) {
            24 * 60 * 60
        } else {
            91 * 24 * 60 * 60
        };
        if max > limit {
            o.invalid(
                &m_at,
                max,
                format!("if provided, maxExpirationSeconds must be <= {limit}"),
            );
        }
    }
    let mut paths = 0;
    for key in ["credentialBundlePath", "keyPath", "certificateChainPath"] {
        let Some(path) = text(p, key).filter(|s| !s.is_empty()) else {
            continue;
        };
        paths += 1;
        local_non_reserved_path(path, &at.child(key), o);
        if !all_paths.insert(path) {
            o.invalid(pj, path, DUPLICATE_PATHS);
        }
    }
    if paths == 0 {
        o.required(
            at,
            "specify at least one of credentialBundlePath, keyPath, and certificateChainPath",
        );
    }
}

/// `ValidateUserAnnotations`: domain-prefixed keys (checked lower-cased), at most 256 KiB.
fn user_annotations(ua: &Node, at: &At, o: &mut Out) {
    let mut total = 0usize;
    for (k, v) in ua.entries() {
        total += k.len() + v.as_str().map_or(0, str::len);
        let key = lowercase(k);
        if key.is_empty() {
            o.required(at, "");
            continue;
        }
        let errs = is_qualified_name(&key);
        if !errs.is_empty() {
            o.invalid_each(at, &key, errs);
            continue;
        }
        if !key.contains('/') {
            o.invalid(
                at,
                &*key,
                "must be a domain-prefixed key (such as \"acme.io/foo\")",
            );
        }
    }
    const LIMIT: usize = 256 * 1024;
    if total > LIMIT {
        o.too_long(at, LIMIT);
    }
}

// ----------------------------------------------------------------------------------------
// Generic ephemeral volumes.

/// `validateEphemeralVolumeSource`: `ValidatePersistentVolumeClaimTemplate` with
/// `ValidationOptionsForPersistentVolumeClaimTemplate(tmpl, nil)` (label values in the
/// selector checked, VolumeAttributesClass on). The Pod-only check of the claim's name
/// (`<pod>-<volume>`) needs the pod's name and is not run for templates.
fn ephemeral(src: &Node, at: &At, opts: &Options, o: &mut Out) {
    let t_at = at.child("volumeClaimTemplate");
    let Some(tmpl) = src.get("volumeClaimTemplate").filter(|t| !t.is_null()) else {
        o.required(&t_at, "");
        return;
    };
    if !tmpl.is_object() {
        return;
    }
    template_object_meta(tmpl.field("metadata"), &t_at.child("metadata"), o);
    claim_spec(tmpl.field("spec"), &t_at.child("spec"), opts, o);
}

/// `ValidateTemplateObjectMeta`: labels and annotations, and nothing else set (the name in
/// the error is Go's field name with its first letter lowered: `uID`). A list field given
/// as `[]` is set for Go's `reflect.DeepEqual`.
fn template_object_meta(m: &Node, at: &At, o: &mut Out) {
    meta::annotations(m.field("annotations"), &at.child("annotations"), o);
    meta::labels(m.field("labels"), &at.child("labels"), o);
    // (JSON key, Go name, whether only a non-zero value counts (strings, numbers))
    const FIELDS: [(&str, &str, bool); 13] = [
        ("name", "name", true),
        ("generateName", "generateName", true),
        ("namespace", "namespace", true),
        ("selfLink", "selfLink", true),
        ("uid", "uID", true),
        ("resourceVersion", "resourceVersion", true),
        ("generation", "generation", true),
        ("creationTimestamp", "creationTimestamp", false),
        ("deletionTimestamp", "deletionTimestamp", false),
        (
            "deletionGracePeriodSeconds",
            "deletionGracePeriodSeconds",
            false,
        ),
        ("ownerReferences", "ownerReferences", false),
        ("finalizers", "finalizers", false),
        ("managedFields", "managedFields", false),
    ];
    for (key, go_name, by_value) in FIELDS {
        let set = match m.get(key) {
            None | Some(Node::Null) => false,
            Some(v) => !by_value || !v.is_zero(),
        };
        if set {
            o.forbidden(&at.child(go_name), "cannot be set");
        }
    }
}

/// `ValidatePersistentVolumeClaimSpec` of an ephemeral volume's claim template.
fn claim_spec(spec: &Node, at: &At, opts: &Options, o: &mut Out) {
    let modes_at = at.child("accessModes");
    let modes = list(spec, "accessModes");
    if modes.is_some_and(<[Node]>::is_empty) {
        o.required(&modes_at, "at least 1 access mode is required");
    }
    if let Some(sel) = spec.get("selector").filter(|s| !s.is_null())
        && let Some(sel) = meta::Selector::of(sel)
    {
        sel.validate(&at.child("selector"), false, o);
    }
    let (mut once_pod, mut other) = (false, false);
    for mode in modes.unwrap_or(&[]).iter().filter_map(Node::as_str) {
        match mode {
            "ReadWriteOncePod" => once_pod = true,
            "ReadWriteOnce" | "ReadOnlyMany" | "ReadWriteMany" => other = true,
            _ => o.not_supported(
                &modes_at,
                Raw(GoJson(mode)),
                &[
                    "ReadOnlyMany",
                    "ReadWriteMany",
                    "ReadWriteOnce",
                    "ReadWriteOncePod",
                ],
            ),
        }
    }
    if once_pod && other {
        o.forbidden(
            &modes_at,
            "may not use ReadWriteOncePod with other access modes",
        );
    }
    let resources_at = at.child("resources");
    let storage_at = resources_at.key("storage");
    match spec.field("resources").field("requests").get("storage") {
        None => o.required(&storage_at, ""),
        // Quantity.UnmarshalJSON reads null as zero, and the key is there.
        Some(Node::Null) => o.invalid(&storage_at, "0", "must be greater than zero"),
        Some(v) => {
            let requests_at = resources_at.child("requests");
            if let Some(q) = quantity(v, &requests_at.key("storage"), opts, o)
                && (q.is_zero() || q.is_negative())
            {
                o.invalid(
                    &storage_at,
                    rounded_up_to_milli(&q),
                    "must be greater than zero",
                );
            }
        }
    }
    if let Some(class) = opt_text(spec, "storageClassName").filter(|s| !s.is_empty()) {
        o.invalid_each(
            &at.child("storageClassName"),
            class,
            is_dns1123_subdomain(class),
        );
    }
    // SetDefaults_PersistentVolumeClaimSpec: Filesystem when unset.
    let mode = opt_text(spec, "volumeMode").unwrap_or("Filesystem");
    if !matches!(mode, "Block" | "Filesystem") {
        o.not_supported(
            &at.child("volumeMode"),
            Raw(GoJson(mode)),
            &["Block", "Filesystem"],
        );
    }
    let ds = object(spec, "dataSource");
    let dsr = object(spec, "dataSourceRef");
    if let Some(ds) = ds {
        data_source(ds, &at.child("dataSource"), false, o);
    }
    if let Some(dsr) = dsr {
        data_source(dsr, &at.child("dataSourceRef"), true, o);
    }
    // The bad value is a *field.Path, which json.Marshal prints as {}.
    if dsr
        .and_then(|r| opt_text(r, "namespace"))
        .is_some_and(|n| !n.is_empty())
    {
        if ds.is_some() {
            o.invalid(
                at,
                Raw("{}"),
                "may not be specified when dataSourceRef.namespace is specified",
            );
        }
    } else if let (Some(a), Some(b)) = (ds, dsr) {
        let same = opt_text(a, "apiGroup") == opt_text(b, "apiGroup")
            && text(a, "kind") == text(b, "kind")
            && text(a, "name") == text(b, "name");
        if !same {
            o.invalid(at, Raw("{}"), "must match dataSourceRef");
        }
    }
    if let Some(class) = opt_text(spec, "volumeAttributesClassName").filter(|s| !s.is_empty()) {
        o.invalid_each(
            &at.child("volumeAttributesClassName"),
            class,
            is_dns1123_subdomain(class),
        );
    }
}

/// `validateDataSource` / `validateDataSourceRef` (with the namespace for a ref).
fn data_source(ds: &Node, at: &At, is_ref: bool, o: &mut Out) {
    required_texts(ds, &["name", "kind"], at, o);
    let kind = text(ds, "kind").unwrap_or("");
    let group = opt_text(ds, "apiGroup").unwrap_or("");
    if group.is_empty() && kind != "PersistentVolumeClaim" {
        o.invalid(
            at,
            kind,
            "must be 'PersistentVolumeClaim' when referencing the default apiGroup",
        );
    }
    if !group.is_empty() {
        o.invalid_each(&at.child("apiGroup"), group, is_dns1123_subdomain(group));
    }
    if is_ref && let Some(ns) = opt_text(ds, "namespace").filter(|n| !n.is_empty()) {
        o.invalid_each(&at.child("namespace"), ns, is_dns1123_label(ns));
    }
}

/// `Quantity.String()` after `SetDefaults_ResourceList`'s `RoundUp(-3)`, for a value that is
/// not positive: zero stays zero, a negative value below milli precision is rounded away
/// from zero and printed canonically.
fn rounded_up_to_milli(q: &Quantity) -> String {
    let (_, exponent) = q.magnitude_size();
    if q.is_zero() || exponent >= -3 {
        return q.to_string();
    }
    let Some(milli) = q.milli_value() else {
        return q.to_string();
    };
    let text = match q.format() {
        Format::DecimalExponent => format!("{milli}e-3"),
        _ => format!("{milli}m"),
    };
    Quantity::parse(&text).map_or(text, |r| r.to_string())
}

// ----------------------------------------------------------------------------------------
// Containers' mounts and devices.

/// Whether the container is `securityContext.privileged: true`.
fn privileged(container: &Node) -> bool {
    container
        .field("securityContext")
        .get("privileged")
        .and_then(Node::as_bool)
        .unwrap_or(false)
}

/// `GetVolumeMountMap` / `GetVolumeDeviceMap`: name to path, the last one for a name.
fn path_map<'n>(list: &'n [Node<'_>], path_key: &str) -> HashMap<&'n str, &'n str> {
    let mut map = HashMap::new();
    for item in list {
        if let (Some(name), Some(path)) = (text(item, "name"), text(item, path_key))
            && item.is_object()
        {
            map.insert(name, path);
        }
    }
    map
}

/// `ValidateVolumeMounts` for one container at `at` (its path). Several paths have no
/// mount index, as in Go (`volumeMounts.subPath`, `.subPathExpr`, `.mountPropagation`,
/// `.recursiveReadOnly`). Subpaths of image volumes are accepted (1.33+).
pub(crate) fn mounts(container: &Node, at: &At, vols: &Volumes, o: &mut Out) {
    let list = container.field("volumeMounts").items();
    if list.is_empty() {
        return;
    }
    let devices = path_map(container.field("volumeDevices").items(), "devicePath");
    let device_paths: HashSet<&str> = devices.values().copied().collect();
    let is_privileged = privileged(container);
    let mounts_at = at.child("volumeMounts");
    let mut mount_points: HashSet<&str> = HashSet::new();
    for (j, m) in list.iter().enumerate() {
        let (Some(name), Some(path)) = (text(m, "name"), text(m, "mountPath")) else {
            continue;
        };
        if !m.is_object() {
            continue;
        }
        let m_at = mounts_at.index(j);
        let name_at = m_at.child("name");
        let path_at = m_at.child("mountPath");
        if name.is_empty() {
            o.required(&name_at, "");
        }
        if vols.get(name).is_none() {
            o.not_found(&name_at, name);
        }
        if path.is_empty() {
            o.required(&path_at, "");
        }
        if !mount_points.insert(path) {
            o.invalid(&path_at, path, "must be unique");
        }
        if devices.contains_key(name) {
            o.invalid(&name_at, name, "must not already exist in volumeDevices");
        }
        if device_paths.contains(path) {
            o.invalid(
                &path_at,
                path,
                "must not already exist as a path in volumeDevices",
            );
        }
        let sub_path = text(m, "subPath").unwrap_or("");
        if !sub_path.is_empty() {
            local_descending_path(sub_path, &mounts_at.child("subPath"), o);
        }
        let expr = text(m, "subPathExpr").unwrap_or("");
        if !expr.is_empty() {
            if !sub_path.is_empty() {
                o.invalid(
                    &m_at.child("subPathExpr"),
                    expr,
                    "subPathExpr and subPath are mutually exclusive",
                );
            }
            local_descending_path(expr, &mounts_at.child("subPathExpr"), o);
        }
        let propagation = opt_text(m, "mountPropagation");
        if let Some(p) = propagation {
            let p_at = mounts_at.child("mountPropagation");
            if !matches!(p, "Bidirectional" | "HostToContainer" | "None") {
                o.not_supported(
                    &p_at,
                    Raw(GoJson(p)),
                    &["Bidirectional", "HostToContainer", "None"],
                );
            }
            if p == "Bidirectional" && !is_privileged {
                o.forbidden(
                    &p_at,
                    "Bidirectional mount propagation is available only to privileged containers",
                );
            }
        }
        if let Some(rro) = opt_text(m, "recursiveReadOnly") {
            let r_at = mounts_at.child("recursiveReadOnly");
            match rro {
                "Disabled" => {}
                "Enabled" | "IfPossible" => {
                    if !flag(m, "readOnly") {
                        o.forbidden(&r_at, "may only be specified when readOnly is true");
                    }
                    if propagation.is_some_and(|p| p != "None") {
                        o.forbidden(
                            &r_at,
                            "may only be specified when mountPropagation is None or not specified",
                        );
                    }
                }
                other => o.not_supported(
                    &r_at,
                    Raw(GoJson(other)),
                    &["Disabled", "Enabled", "IfPossible"],
                ),
            }
        }
    }
}

/// `ValidateVolumeDevices` for one container at `at` (its path): block devices come from
/// claims (a `persistentVolumeClaim` or `ephemeral` volume).
pub(crate) fn devices(container: &Node, at: &At, vols: &Volumes, o: &mut Out) {
    let list = container.field("volumeDevices").items();
    if list.is_empty() {
        return;
    }
    let mounts = path_map(container.field("volumeMounts").items(), "mountPath");
    let mount_paths: HashSet<&str> = mounts.values().copied().collect();
    let devices_at = at.child("volumeDevices");
    let mut paths: HashSet<&str> = HashSet::new();
    let mut names: HashSet<&str> = HashSet::new();
    for (j, d) in list.iter().enumerate() {
        let (Some(name), Some(path)) = (text(d, "name"), text(d, "devicePath")) else {
            continue;
        };
        if !d.is_object() {
            continue;
        }
        let d_at = devices_at.index(j);
        let name_at = d_at.child("name");
        let path_at = d_at.child("devicePath");
        let volume = vols.get(name);
        if name.is_empty() {
            o.required(&name_at, "");
        }
        if names.contains(name) {
            o.invalid(&name_at, name, "must be unique");
        }
        if let Some(v) = volume
            && object(v, "persistentVolumeClaim").is_none()
            && object(v, "ephemeral").is_none()
        {
            o.invalid(
                &name_at,
                name,
                "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode",
            );
        }
        if volume.is_none() {
            o.not_found(&name_at, name);
        }
        if path.is_empty() {
            o.required(&path_at, "");
        }
        if paths.contains(path) {
            o.invalid(&path_at, path, "must be unique");
        }
        if !path.is_empty() && has_backsteps(path) {
            o.invalid(&path_at, path, "can not contain backsteps ('..')");
        } else {
            paths.insert(path);
        }
        if mounts.contains_key(name) {
            o.invalid(&name_at, name, "must not already exist in volumeMounts");
        }
        if mount_paths.contains(path) {
            o.invalid(
                &path_at,
                path,
                "must not already exist as a path in volumeMounts",
            );
        }
        if !name.is_empty() {
            names.insert(name);
        }
    }
}

/// Whether a volume is an `emptyDir` for the API server: one is given, or no source at all
/// (`SetDefaults_Volume`).
fn is_empty_dir(vol: &Node) -> bool {
    object(vol, "emptyDir").is_some() || SOURCES.iter().all(|(k, _, _)| object(vol, k).is_none())
}

/// `validateFileKeyRefVolumes`: the last check of `ValidatePodSpec`. Every
/// `env[].valueFrom.fileKeyRef` of init, regular and ephemeral containers must name a
/// volume of the spec (any, even one with errors; the last of a name) that is an `emptyDir`.
pub(crate) fn file_key_ref_volumes(spec: &Node, at: &At, o: &mut Out) {
    let mut volumes: Option<HashMap<&str, bool>> = None;
    for kind in ["initContainers", "containers", "ephemeralContainers"] {
        let kind_at = at.child(kind);
        for (i, c) in spec.field(kind).items().iter().enumerate() {
            for (k, env) in c.field("env").items().iter().enumerate() {
                let Some(fkr) = object(env.field("valueFrom"), "fileKeyRef") else {
                    continue;
                };
                let Some(name) = text(fkr, "volumeName") else {
                    continue;
                };
                let volumes = volumes.get_or_insert_with(|| {
                    let mut map = HashMap::new();
                    for v in spec.field("volumes").items() {
                        if v.is_object()
                            && let Some(n) = text(v, "name")
                        {
                            map.insert(n, is_empty_dir(v));
                        }
                    }
                    map
                });
                let found = volumes.get(name).copied();
                if found == Some(true) {
                    continue;
                }
                let c_at = kind_at.index(i);
                let env_at = c_at.child("env");
                let e_at = env_at.index(k);
                let vf_at = e_at.child("valueFrom");
                let f_at = vf_at.child("fileKeyRef");
                let n_at = f_at.child("volumeName");
                match found {
                    None => o.not_found(&n_at, name),
                    Some(_) => o.invalid(&n_at, name, "referenced volume must be of type emptyDir"),
                }
            }
        }
    }
}

/// `hasNonLocalProjectedTokenPath`: a projected service account token whose path fails
/// `ValidateLocalNonReservedPath`.
pub(crate) fn has_non_local_projected_token_path(spec: &Node) -> bool {
    spec.field("volumes")
        .items()
        .iter()
        .flat_map(|v| v.field("projected").field("sources").items())
        .filter_map(|s| s.get("serviceAccountToken").filter(|t| t.is_object()))
        .any(|t| {
            let path = text(t, "path").unwrap_or("");
            fails(|o| local_non_reserved_path(path, &At::ROOT, o))
        })
}

/// `hasEmptyImageVolumeReference`: an image volume without a reference.
pub(crate) fn has_empty_image_reference(spec: &Node) -> bool {
    spec.field("volumes")
        .items()
        .iter()
        .filter_map(|v| v.get("image").filter(|i| i.is_object()))
        .any(|i| text(i, "reference") == Some(""))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::policy::finding::Findings;
    use crate::policy::pod::testutil::{check_rows, check_rows_with, daemonset};
    use crate::policy::rules::RuleId;

    /// A message, leaked for the rows' `&str`.
    fn s(text: String) -> &'static str {
        Box::leak(text.into_boxed_str())
    }

    const LABEL: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    const SUBDOMAIN: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    const NAME_PART: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    const V0: &str = "spec.template.spec.volumes[0]";
    const FILE_MODE: &str = "must be a number between 0 and 0777 (octal), both inclusive";

    /// `volumes: [{name: d, <source>}]`.
    fn vol(source: Value) -> Value {
        let mut v = json!({"name": "d"});
        if let (Value::Object(m), Value::Object(src)) = (&mut v, source) {
            m.extend(src);
        }
        json!({"volumes": [v]})
    }

    /// `"<V0>.<rest>"`.
    fn v0(rest: &str) -> &'static str {
        s(format!("{V0}.{rest}"))
    }

    fn projected(sources: Value) -> Value {
        vol(json!({"projected": {"sources": sources}}))
    }

    fn claim(spec: Value) -> Value {
        vol(json!({"ephemeral": {"volumeClaimTemplate": {"spec": spec}}}))
    }

    fn good_claim() -> Value {
        json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}})
    }

    fn claim_with(extra: Value) -> Value {
        let mut spec = good_claim();
        if let (Value::Object(m), Value::Object(e)) = (&mut spec, extra) {
            m.extend(e);
        }
        claim(spec)
    }

    #[test]
    fn names_and_structure() {
        check_rows(vec![
            (
                json!({"volumes": [{"name": "Data", "emptyDir": {}}]}),
                vec![s(format!("{V0}.name: Invalid value: \"Data\": {LABEL}"))],
                "§10.1 upper case",
            ),
            (
                json!({"volumes": [{"name": "data-1", "emptyDir": {}}]}),
                vec![],
                "§10.1 near-miss",
            ),
            (
                json!({"volumes": [{"name": "a.b", "emptyDir": {}}]}),
                vec![v0("name: Invalid value: \"a.b\": must not contain dots")],
                "§10.2 dots",
            ),
            (
                json!({"volumes": [{"name": "a-b", "emptyDir": {}}]}),
                vec![],
                "§10.2 near-miss",
            ),
            (
                json!({"volumes": [{"name": "", "emptyDir": {}}]}),
                vec![v0("name: Required value")],
                "§10.3",
            ),
            (
                json!({"volumes": [{"emptyDir": {}}]}),
                vec![v0("name: Required value")],
                "absent name",
            ),
            (
                json!({"volumes": [{"name": "a".repeat(64), "emptyDir": {}}]}),
                vec![s(format!(
                    "{V0}.name: Invalid value: \"{}\": must be no more than 63 characters",
                    "a".repeat(64)
                ))],
                "§10.4 too long",
            ),
            (
                json!({"volumes": [{"name": "a".repeat(63), "emptyDir": {}}]}),
                vec![],
                "§10.4 near-miss",
            ),
            (
                json!({"volumes": [{"name": "d", "emptyDir": {}}, {"name": "d", "emptyDir": {}}]}),
                vec!["spec.template.spec.volumes[1].name: Duplicate value: \"d\""],
                "§10.5 duplicate",
            ),
            (
                json!({"volumes": [{"name": "d", "emptyDir": {}}, {"name": "e", "emptyDir": {}}]}),
                vec![],
                "§10.5 near-miss",
            ),
            (
                json!({"volumes": [{"name": "d", "hostPath": {"path": ""}}, {"name": "d", "emptyDir": {}}]}),
                vec![v0("hostPath.path: Required value")],
                "§10.6 no duplicate of a volume with errors",
            ),
            (
                json!({"volumes": [{"name": "", "emptyDir": {}}, {"name": "", "emptyDir": {}}]}),
                vec![
                    v0("name: Required value"),
                    "spec.template.spec.volumes[1].name: Required value",
                ],
                "two empty names: no duplicate",
            ),
            (
                json!({"volumes": [{"name": "d", "emptyDir": {}, "hostPath": {"path": "/x"}}]}),
                vec![v0(
                    "hostPath: Forbidden: may not specify more than 1 volume type",
                )],
                "§10.7",
            ),
            (
                json!({"volumes": [{"name": "d", "secret": {"secretName": "s"}, "downwardAPI": {}}]}),
                vec![v0(
                    "downwarAPI: Forbidden: may not specify more than 1 volume type",
                )],
                "§10.8 Go's typo",
            ),
            (
                json!({"volumes": [{"name": "d", "secret": {"secretName": "s"}, "cephfs": {"monitors": ["m"]}}]}),
                vec![v0(
                    "cephFS: Forbidden: may not specify more than 1 volume type",
                )],
                "§10.9 Go's capital",
            ),
            (
                json!({"volumes": [{"name": "d", "hostPath": {"path": ""}, "nfs": {}}]}),
                vec![
                    v0("hostPath.path: Required value"),
                    v0("nfs: Forbidden: may not specify more than 1 volume type"),
                ],
                "the second source is refused, not validated",
            ),
            (
                json!({"volumes": [{"name": "d", "gcePersistentDisk": {"pdName": "p"}, "awsElasticBlockStore": {"volumeID": ""}}]}),
                vec![v0(
                    "awsElasticBlockStore: Forbidden: may not specify more than 1 volume type",
                )],
                "gce first",
            ),
            (
                json!({"volumes": [{"name": "d"}]}),
                vec![],
                "§10.10 no source: emptyDir",
            ),
            (
                json!({"volumes": [{"name": "d", "hostPath": null, "emptyDir": null}]}),
                vec![],
                "null sources: emptyDir",
            ),
            (
                json!({"volumes": [{"name": "d", "emptyDir": {}, "hostPath": null}]}),
                vec![],
                "a null second source is absent",
            ),
        ]);
    }

    #[test]
    fn host_path_empty_dir_git_nfs() {
        let types = "supported values: \"\", \"BlockDevice\", \"CharDevice\", \"Directory\", \"DirectoryOrCreate\", \"File\", \"FileOrCreate\", \"Socket\"";
        check_rows(vec![
            (
                vol(json!({"hostPath": {"path": ""}})),
                vec![v0("hostPath.path: Required value")],
                "§10.11",
            ),
            (
                vol(json!({"hostPath": {"path": "", "type": "Dir"}})),
                vec![v0("hostPath.path: Required value")],
                "the type is not checked without a path",
            ),
            (
                vol(json!({"hostPath": {"path": "var/log"}})),
                vec![],
                "§10.11 near-miss: relative is fine",
            ),
            (
                vol(json!({"hostPath": {"path": "/a/../b"}})),
                vec![v0(
                    "hostPath.path: Invalid value: \"/a/../b\": must not contain '..'",
                )],
                "§10.12",
            ),
            (
                vol(json!({"hostPath": {"path": "/a/..b"}})),
                vec![],
                "§10.12 near-miss",
            ),
            (
                vol(json!({"hostPath": {"path": "/x", "type": "Dir"}})),
                vec![s(format!(
                    "{V0}.hostPath.type: Unsupported value: \"Dir\": {types}"
                ))],
                "§10.13",
            ),
            (
                vol(json!({"hostPath": {"path": "/x", "type": "a<b"}})),
                vec![s(format!(
                    "{V0}.hostPath.type: Unsupported value: \"a\\u003cb\": {types}"
                ))],
                "a typed value prints as JSON",
            ),
            (
                vol(json!({"hostPath": {"path": "/x", "type": "DirectoryOrCreate"}})),
                vec![],
                "§10.13 near-miss",
            ),
            (
                vol(json!({"hostPath": {"path": "/x", "type": ""}})),
                vec![],
                "§10.13 near-miss: unset type",
            ),
            (
                vol(json!({"emptyDir": {"sizeLimit": "-1Gi"}})),
                vec![v0(
                    "emptyDir.sizeLimit: Forbidden: SizeLimit field must be a valid resource quantity",
                )],
                "§10.14",
            ),
            (
                vol(json!({"emptyDir": {"sizeLimit": "0", "medium": "Bogus"}})),
                vec![],
                "§10.14 near-miss",
            ),
            (
                vol(json!({"emptyDir": {"sizeLimit": 1024, "medium": "Memory", "mode": 4095}})),
                vec![],
                "a number quantity; mode is dropped (gate off)",
            ),
            (
                vol(json!({"gitRepo": {"repository": "", "directory": "/abs"}})),
                vec![
                    v0("gitRepo.repository: Required value"),
                    v0("gitRepo.directory: Invalid value: \"/abs\": must be a relative path"),
                ],
                "§10.15",
            ),
            (
                vol(json!({"gitRepo": {"repository": "r", "directory": "a/../.."}})),
                vec![v0(
                    "gitRepo.directory: Invalid value: \"a/../..\": must not contain '..'",
                )],
                "one backstep error",
            ),
            (
                vol(json!({"gitRepo": {"repository": "r", "directory": "."}})),
                vec![],
                "§10.15 near-miss",
            ),
            (
                vol(json!({"nfs": {"server": "s", "path": "exports"}})),
                vec![v0(
                    "nfs.path: Invalid value: \"exports\": must be an absolute path",
                )],
                "§10.16",
            ),
            (
                vol(json!({"nfs": {"server": "s", "path": "/exports"}})),
                vec![],
                "§10.16 near-miss",
            ),
            (
                vol(json!({"nfs": {"server": "", "path": ""}})),
                vec![
                    v0("nfs.server: Required value"),
                    v0("nfs.path: Required value"),
                    v0("nfs.path: Invalid value: \"\": must be an absolute path"),
                ],
                "§10.17",
            ),
        ]);
    }

    #[test]
    fn secret_config_map_key_to_path() {
        let mode = |v: i64| {
            s(format!(
                "{V0}.secret.defaultMode: Invalid value: {v}: {FILE_MODE}"
            ))
        };
        check_rows(vec![
            (
                vol(json!({"secret": {}})),
                vec![v0("secret.secretName: Required value")],
                "§10.18",
            ),
            (
                vol(json!({"secret": {"secretName": "Not_A_DNS_Name"}})),
                vec![],
                "§10.18 near-miss: format unchecked",
            ),
            (
                vol(json!({"secret": {"secretName": "s", "defaultMode": 512}})),
                vec![mode(512)],
                "§10.19",
            ),
            (
                vol(json!({"secret": {"secretName": "s", "defaultMode": -1}})),
                vec![mode(-1)],
                "negative mode",
            ),
            (
                vol(json!({"secret": {"secretName": "s", "defaultMode": 511}})),
                vec![],
                "§10.19 near-miss 0777",
            ),
            (
                vol(json!({"secret": {"secretName": "s", "defaultMode": 0}})),
                vec![],
                "§10.19 near-miss 0",
            ),
            (
                vol(json!({"secret": {"secretName": "s", "items": [{"key": "", "path": "a"}]}})),
                vec![v0("secret.items[0].key: Required value")],
                "§10.20",
            ),
            (
                vol(
                    json!({"secret": {"secretName": "s", "items": [{"key": "weird key!", "path": "a"}]}}),
                ),
                vec![],
                "§10.20 near-miss: key format unchecked",
            ),
            (
                vol(json!({"secret": {"secretName": "s", "items": [{"key": "k", "path": ""}]}})),
                vec![v0("secret.items[0].path: Required value")],
                "empty item path",
            ),
            (
                vol(
                    json!({"secret": {"secretName": "s", "items": [{"key": "k", "path": "/abs"}]}}),
                ),
                vec![v0(
                    "secret.items[0].path: Invalid value: \"/abs\": must be a relative path",
                )],
                "§10.21",
            ),
            (
                vol(json!({"secret": {"secretName": "s", "items": [{"key": "k", "path": "a/b"}]}})),
                vec![],
                "§10.21 near-miss",
            ),
            (
                vol(
                    json!({"secret": {"secretName": "s", "items": [{"key": "k", "path": "..data"}]}}),
                ),
                vec![v0(
                    "secret.items[0].path: Invalid value: \"..data\": must not start with '..'",
                )],
                "§10.22",
            ),
            (
                vol(
                    json!({"secret": {"secretName": "s", "items": [{"key": "k", "path": ".data"}]}}),
                ),
                vec![],
                "§10.22 near-miss",
            ),
            (
                vol(
                    json!({"secret": {"secretName": "s", "items": [{"key": "k", "path": "../x"}]}}),
                ),
                vec![v0(
                    "secret.items[0].path: Invalid value: \"../x\": must not contain '..'",
                )],
                "§10.23",
            ),
            (
                vol(
                    json!({"secret": {"secretName": "s", "items": [{"key": "k", "path": "x/..y"}]}}),
                ),
                vec![],
                "§10.23 near-miss",
            ),
            (
                vol(json!({"secret": {"secretName": "s", "items": [{"key": "k", "path": ".."}]}})),
                vec![
                    v0("secret.items[0].path: Invalid value: \"..\": must not contain '..'"),
                    v0("secret.items[0].path: Invalid value: \"..\": must not start with '..'"),
                ],
                "§10.24",
            ),
            (
                vol(json!({"secret": {"secretName": "s", "items": [{"key": "k", "path": "..."}]}})),
                vec![v0(
                    "secret.items[0].path: Invalid value: \"...\": must not start with '..'",
                )],
                "three dots",
            ),
            (
                vol(
                    json!({"secret": {"secretName": "s", "items": [{"key": "k", "path": "a", "mode": -1}]}}),
                ),
                vec![s(format!(
                    "{V0}.secret.items[0].mode: Invalid value: -1: {FILE_MODE}"
                ))],
                "§10.25",
            ),
            (
                vol(
                    json!({"secret": {"secretName": "s", "items": [{"key": "k", "path": "a", "mode": 0}]}}),
                ),
                vec![],
                "§10.25 near-miss",
            ),
            (
                vol(
                    json!({"secret": {"secretName": "s", "items": [{"key": "k", "path": "a"}, {"key": "k", "path": "a"}]}}),
                ),
                vec![],
                "repeated item paths are not checked in a secret volume",
            ),
            (
                vol(json!({"configMap": {}})),
                vec![v0("configMap.name: Required value")],
                "§10.26",
            ),
            (
                vol(json!({"configMap": {"name": "cm"}})),
                vec![],
                "§10.26 near-miss",
            ),
            (
                vol(
                    json!({"configMap": {"name": "cm", "defaultMode": 4096, "items": [{"key": "", "path": "/a"}]}}),
                ),
                vec![
                    s(format!(
                        "{V0}.configMap.defaultMode: Invalid value: 4096: {FILE_MODE}"
                    )),
                    v0("configMap.items[0].key: Required value"),
                    v0("configMap.items[0].path: Invalid value: \"/a\": must be a relative path"),
                ],
                "configMap mode and items",
            ),
        ]);
    }

    #[test]
    fn downward_api() {
        let item = |i: Value| vol(json!({"downwardAPI": {"items": [i]}}));
        let fields = "supported values: \"metadata.annotations\", \"metadata.labels\", \"metadata.name\", \"metadata.namespace\", \"metadata.uid\"";
        let resources = "supported values: \"limits.cpu\", \"limits.ephemeral-storage\", \"limits.memory\", \"requests.cpu\", \"requests.ephemeral-storage\", \"requests.memory\"";
        let bytes = "1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei";
        check_rows(vec![
            (
                item(json!({"path": "", "fieldRef": {"fieldPath": "metadata.name"}})),
                vec![v0("downwardAPI.path: Required value")],
                "§10.27 no item index",
            ),
            (
                item(json!({"path": "name", "fieldRef": {"fieldPath": "metadata.name"}})),
                vec![],
                "§10.27 near-miss",
            ),
            (
                item(json!({"path": "/n", "fieldRef": {"fieldPath": "metadata.name"}})),
                vec![v0(
                    "downwardAPI.path: Invalid value: \"/n\": must be a relative path",
                )],
                "absolute path",
            ),
            (
                item(json!({"path": "n", "fieldRef": {"fieldPath": "spec.nodeName"}})),
                vec![s(format!(
                    "{V0}.downwardAPI.fieldRef.fieldPath: Unsupported value: \"spec.nodeName\": {fields}"
                ))],
                "§10.28",
            ),
            (
                item(json!({"path": "n", "fieldRef": {"fieldPath": "spec.host"}})),
                vec![s(format!(
                    "{V0}.downwardAPI.fieldRef.fieldPath: Unsupported value: \"spec.nodeName\": {fields}"
                ))],
                "spec.host is converted first",
            ),
            (
                item(json!({"path": "n", "fieldRef": {"fieldPath": "metadata.uid"}})),
                vec![],
                "§10.28 near-miss",
            ),
            (
                item(json!({"path": "n", "fieldRef": {"fieldPath": "metadata.labels['app']"}})),
                vec![],
                "§10.28 near-miss: subscript",
            ),
            (
                item(json!({"path": "n", "fieldRef": {"fieldPath": "status.foo"}})),
                vec![v0(
                    "downwardAPI.fieldRef.fieldPath: Invalid value: \"status.foo\": error converting fieldPath: field label not supported: status.foo",
                )],
                "§10.29",
            ),
            (
                item(json!({"path": "n", "fieldRef": {"fieldPath": "metadata.name['x']"}})),
                vec![v0(
                    "downwardAPI.fieldRef.fieldPath: Invalid value: \"metadata.name['x']\": error converting fieldPath: field label does not support subscript: metadata.name['x']",
                )],
                "subscript of a plain field",
            ),
            (
                item(
                    json!({"path": "n", "fieldRef": {"apiVersion": "v2", "fieldPath": "metadata.name"}}),
                ),
                vec![v0(
                    "downwardAPI.fieldRef.fieldPath: Invalid value: \"metadata.name\": error converting fieldPath: unsupported pod version: v2",
                )],
                "§10.30",
            ),
            (
                item(
                    json!({"path": "n", "fieldRef": {"apiVersion": "", "fieldPath": "metadata.name"}}),
                ),
                vec![],
                "§10.30 near-miss: apiVersion defaulted",
            ),
            (
                item(json!({"path": "n", "fieldRef": {"fieldPath": ""}})),
                vec![v0("downwardAPI.fieldRef.fieldPath: Required value")],
                "empty field path",
            ),
            (
                item(json!({"path": "n"})),
                vec![v0(
                    "downwardAPI: Required value: one of fieldRef and resourceFieldRef is required",
                )],
                "§10.31",
            ),
            (
                item(
                    json!({"path": "n", "fieldRef": {"fieldPath": "metadata.name"},
                         "resourceFieldRef": {"containerName": "c", "resource": "limits.cpu"}}),
                ),
                vec![v0(
                    "downwardAPI: Invalid value: \"resource\": fieldRef and resourceFieldRef can not be specified simultaneously",
                )],
                "§10.32",
            ),
            (
                item(json!({"path": "n", "resourceFieldRef": {"resource": "limits.cpu"}})),
                vec![v0(
                    "downwardAPI.resourceFieldRef.containerName: Required value",
                )],
                "§10.33",
            ),
            (
                item(
                    json!({"path": "n", "resourceFieldRef": {"containerName": "c", "resource": "limits.cpu"}}),
                ),
                vec![],
                "§10.33 near-miss: container not checked to exist",
            ),
            (
                item(
                    json!({"path": "n", "resourceFieldRef": {"containerName": "c", "resource": ""}}),
                ),
                vec![v0("downwardAPI.resourceFieldRef.resource: Required value")],
                "empty resource",
            ),
            (
                item(
                    json!({"path": "n", "resourceFieldRef": {"containerName": "c", "resource": "limits.gpu"}}),
                ),
                vec![s(format!(
                    "{V0}.downwardAPI.resourceFieldRef.resource: Unsupported value: \"limits.gpu\": {resources}"
                ))],
                "§10.34",
            ),
            (
                item(
                    json!({"path": "n", "resourceFieldRef": {"containerName": "c", "resource": "requests.hugepages-2Mi"}}),
                ),
                vec![],
                "§10.34 near-miss: hugepages",
            ),
            (
                item(
                    json!({"path": "n", "resourceFieldRef": {"containerName": "c", "resource": "limits.cpu", "divisor": "2"}}),
                ),
                vec![v0(
                    "downwardAPI.resourceFieldRef.divisor: Invalid value: \"limits.cpu\": only divisor's values 1m and 1 are supported with the cpu resource",
                )],
                "§10.35",
            ),
            (
                item(
                    json!({"path": "n", "resourceFieldRef": {"containerName": "c", "resource": "limits.cpu", "divisor": "1m"}}),
                ),
                vec![],
                "§10.35 near-miss",
            ),
            (
                item(
                    json!({"path": "n", "resourceFieldRef": {"containerName": "c", "resource": "limits.cpu", "divisor": "0"}}),
                ),
                vec![],
                "a zero divisor is unset",
            ),
            (
                item(
                    json!({"path": "n", "resourceFieldRef": {"containerName": "c", "resource": "requests.memory", "divisor": "3"}}),
                ),
                vec![s(format!(
                    "{V0}.downwardAPI.resourceFieldRef.divisor: Invalid value: \"requests.memory\": only divisor's values {bytes} are supported with the memory resource"
                ))],
                "memory divisor",
            ),
            (
                item(
                    json!({"path": "n", "resourceFieldRef": {"containerName": "c", "resource": "requests.memory", "divisor": "1Mi"}}),
                ),
                vec![],
                "memory divisor near-miss",
            ),
            (
                item(
                    json!({"path": "n", "resourceFieldRef": {"containerName": "c", "resource": "limits.ephemeral-storage", "divisor": "1024"}}),
                ),
                vec![s(format!(
                    "{V0}.downwardAPI.resourceFieldRef.divisor: Invalid value: \"limits.ephemeral-storage\": only divisor's values {bytes} are supported with the local ephemeral storage resource"
                ))],
                "ephemeral-storage divisor",
            ),
            (
                item(
                    json!({"path": "n", "resourceFieldRef": {"containerName": "c", "resource": "limits.hugepages-1Gi", "divisor": "2Mi"}}),
                ),
                vec![s(format!(
                    "{V0}.downwardAPI.resourceFieldRef.divisor: Invalid value: \"limits.hugepages-1Gi\": only divisor's values {bytes} are supported with the hugepages resource"
                ))],
                "hugepages divisor",
            ),
            (
                item(
                    json!({"path": "n", "fieldRef": {"fieldPath": "metadata.annotations['bad key']"}}),
                ),
                vec![s(format!(
                    "{V0}.downwardAPI.fieldRef: Invalid value: \"bad key\": {NAME_PART}"
                ))],
                "§10.36",
            ),
            (
                item(
                    json!({"path": "n", "fieldRef": {"fieldPath": "metadata.annotations['Bad Key']"}}),
                ),
                vec![s(format!(
                    "{V0}.downwardAPI.fieldRef: Invalid value: \"bad key\": {NAME_PART}"
                ))],
                "an annotation key is checked lower-cased",
            ),
            (
                item(
                    json!({"path": "n", "fieldRef": {"fieldPath": "metadata.annotations['example.com/Key']"}}),
                ),
                vec![],
                "§10.36 near-miss",
            ),
            (
                item(
                    json!({"path": "n", "fieldRef": {"fieldPath": "metadata.name"}, "mode": 1000}),
                ),
                vec![s(format!(
                    "{V0}.downwardAPI.mode: Invalid value: 1000: {FILE_MODE}"
                ))],
                "item mode",
            ),
            (
                vol(json!({"downwardAPI": {"defaultMode": -5}})),
                vec![s(format!(
                    "{V0}.downwardAPI.defaultMode: Invalid value: -5: {FILE_MODE}"
                ))],
                "default mode",
            ),
            (vol(json!({"downwardAPI": {}})), vec![], "no items"),
        ]);
    }

    #[test]
    fn projected_sources() {
        let pc = |extra: Value| {
            let mut p = json!({"signerName": "example.com/s", "keyType": "ED25519", "credentialBundlePath": "b.pem"});
            if let (Value::Object(m), Value::Object(e)) = (&mut p, extra) {
                m.extend(e);
            }
            projected(json!([{"podCertificate": p}]))
        };
        let key_types = "supported values: \"RSA3072\", \"RSA4096\", \"ECDSAP256\", \"ECDSAP384\", \"ECDSAP521\", \"ED25519\"";
        check_rows(vec![
            (
                projected(
                    json!([{"serviceAccountToken": {"path": "t", "expirationSeconds": 300}}]),
                ),
                vec![v0(
                    "projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes",
                )],
                "§10.37",
            ),
            (
                projected(json!([{"serviceAccountToken": {"path": "t", "expirationSeconds": 0}}])),
                vec![v0(
                    "projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 0: may not specify a duration less than 10 minutes",
                )],
                "an explicit 0 is not defaulted",
            ),
            (
                projected(
                    json!([{"serviceAccountToken": {"path": "t", "expirationSeconds": 600}}]),
                ),
                vec![],
                "§10.37 near-miss",
            ),
            (
                projected(json!([{"serviceAccountToken": {"path": "t"}}])),
                vec![],
                "§10.37 near-miss: 3600 by default",
            ),
            (
                projected(
                    json!([{"serviceAccountToken": {"path": "t", "expirationSeconds": 4294967297u64}}]),
                ),
                vec![v0(
                    "projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds",
                )],
                "§10.38",
            ),
            (
                projected(
                    json!([{"serviceAccountToken": {"path": "t", "expirationSeconds": 4294967296u64}}]),
                ),
                vec![],
                "§10.38 near-miss",
            ),
            (
                projected(json!([{"serviceAccountToken": {"path": "/token"}}])),
                vec![v0(
                    "projected.path: Invalid value: \"/token\": must be a relative path",
                )],
                "§10.39 reported under projected",
            ),
            (
                projected(json!([{"serviceAccountToken": {"path": "token"}}])),
                vec![],
                "§10.39 near-miss",
            ),
            (
                projected(json!([{"serviceAccountToken": {"path": ""}}])),
                vec![v0("projected.path: Required value")],
                "§10.40",
            ),
            (
                projected(
                    json!([{"secret": {"name": "s", "items": [{"key": "k", "path": "a"}]}},
                              {"configMap": {"name": "cm", "items": [{"key": "k", "path": "a"}]}}]),
                ),
                vec![v0(
                    "projected: Invalid value: \"cm\": conflicting duplicate paths",
                )],
                "§10.41 the value is the name",
            ),
            (
                projected(
                    json!([{"secret": {"name": "s", "items": [{"key": "k", "path": "a"}]}},
                              {"configMap": {"name": "cm", "items": [{"key": "k", "path": "b"}]}}]),
                ),
                vec![],
                "§10.41 near-miss",
            ),
            (
                projected(
                    json!([{"secret": {"name": "s", "items": [{"key": "k", "path": "a"}]}},
                              {"serviceAccountToken": {"path": "a"}}]),
                ),
                vec![],
                "§10.41 near-miss: token paths not counted",
            ),
            (
                projected(
                    json!([{"downwardAPI": {"items": [{"path": "x", "fieldRef": {"fieldPath": "metadata.name"}}]}},
                              {"secret": {"name": "s", "items": [{"key": "k", "path": "x"}]}}]),
                ),
                vec![v0(
                    "projected: Invalid value: \"s\": conflicting duplicate paths",
                )],
                "downwardAPI then secret",
            ),
            (
                projected(
                    json!([{"secret": {"name": "s", "items": [{"key": "k", "path": "x"}]}},
                              {"downwardAPI": {"items": [{"path": "x", "fieldRef": {"fieldPath": "metadata.name"}}]}}]),
                ),
                vec![v0(
                    "projected: Invalid value: \"x\": conflicting duplicate paths",
                )],
                "a downwardAPI duplicate prints its path",
            ),
            (
                projected(
                    json!([{"downwardAPI": {"items": [{"path": "", "fieldRef": {"fieldPath": "spec.nodeName"}}]}}]),
                ),
                vec![
                    v0("projected.sources[0].downwardAPI.path: Required value"),
                    s(format!(
                        "{V0}.projected.sources[0].downwardAPI.fieldRef.fieldPath: Unsupported value: \"spec.nodeName\": supported values: \"metadata.annotations\", \"metadata.labels\", \"metadata.name\", \"metadata.namespace\", \"metadata.uid\""
                    )),
                ],
                "projected downwardAPI items",
            ),
            (
                projected(json!([{"secret": {"name": "s"}, "configMap": {"name": "c"}}])),
                vec![v0(
                    "projected.sources[0]: Forbidden: may not specify more than 1 volume type per source",
                )],
                "§10.42",
            ),
            (
                projected(json!([{"secret": {}, "configMap": {}}])),
                vec![
                    v0("projected.sources[0].secret.name: Required value"),
                    v0("projected.sources[0].configMap.name: Required value"),
                    v0(
                        "projected.sources[0]: Forbidden: may not specify more than 1 volume type per source",
                    ),
                ],
                "every projection of an entry is checked",
            ),
            (
                projected(json!([{}])),
                vec![],
                "§10.42 near-miss: an empty entry",
            ),
            (projected(json!([])), vec![], "no sources"),
            (vol(json!({"projected": {}})), vec![], "no sources at all"),
            (
                vol(json!({"projected": {"defaultMode": 1000}})),
                vec![s(format!(
                    "{V0}.projected.defaultMode: Invalid value: 1000: {FILE_MODE}"
                ))],
                "projected default mode",
            ),
            (
                projected(json!([{"secret": {}}])),
                vec![v0("projected.sources[0].secret.name: Required value")],
                "§10.43",
            ),
            (
                projected(
                    json!([{"secret": {"name": "s", "items": [{"key": "k", "path": "../a"}]}}]),
                ),
                vec![v0(
                    "projected.sources[0].secret.items[0].path: Invalid value: \"../a\": must not contain '..'",
                )],
                "projected item path",
            ),
            (
                projected(json!([{"clusterTrustBundle": {"path": "ca.pem"}}])),
                vec![v0(
                    "projected.sources[0].clusterTrustBundle: Required value: either name or signerName must be specified",
                )],
                "§10.44",
            ),
            (
                projected(json!([{"clusterTrustBundle": {"name": "my-bundle", "path": "ca.pem"}}])),
                vec![],
                "§10.44 near-miss",
            ),
            (
                projected(
                    json!([{"clusterTrustBundle": {"signerName": "example.com", "path": "ca.pem"}}]),
                ),
                vec![v0(
                    "projected.sources[0].clusterTrustBundle.signerName: Invalid value: \"example.com\": must be a fully qualified domain and path of the form 'example.com/signer-name'",
                )],
                "§10.45",
            ),
            (
                projected(
                    json!([{"clusterTrustBundle": {"signerName": "example.com/foo", "path": "ca.pem"}}]),
                ),
                vec![],
                "§10.45 near-miss",
            ),
            (
                projected(json!([{"clusterTrustBundle": {"signerName": "", "path": "ca.pem"}}])),
                vec![
                    v0(
                        "projected.sources[0].clusterTrustBundle.signerName: Required value: must be a valid signer name",
                    ),
                    v0("projected.sources[0].clusterTrustBundle.signerName: Required value"),
                ],
                "empty signer: two errors",
            ),
            (
                projected(
                    json!([{"clusterTrustBundle": {"signerName": "example.com/foo", "path": "ca.pem",
                                "labelSelector": {"matchExpressions": [{"key": "a", "operator": "Is"}]}}}]),
                ),
                vec![v0(
                    "projected.sources[0].clusterTrustBundle.labelSelector.matchExpressions[0].operator: Invalid value: \"Is\": not a valid selector operator",
                )],
                "the label selector of a signer",
            ),
            (
                projected(json!([{"clusterTrustBundle": {"name": "Bad_Name", "path": "ca.pem"}}])),
                vec![s(format!(
                    "{V0}.projected.sources[0].clusterTrustBundle.name: Invalid value: \"Bad_Name\": not a valid clustertrustbundlename: {SUBDOMAIN}"
                ))],
                "§10.46",
            ),
            (
                projected(
                    json!([{"clusterTrustBundle": {"name": "example.com:foo:bundle1", "path": "ca.pem"}}]),
                ),
                vec![],
                "§10.46 near-miss",
            ),
            (
                projected(json!([{"clusterTrustBundle": {"name": "a/b:c", "path": "ca.pem"}}])),
                vec![v0(
                    "projected.sources[0].clusterTrustBundle.name: Invalid value: \"a/b:c\": not a valid clustertrustbundlename: ClusterTrustBundle for signerName a/b must be named with prefix a:b:",
                )],
                "a signer-named bundle with a slash",
            ),
            (
                projected(json!([{"clusterTrustBundle": {"name": "", "path": "ca.pem"}}])),
                vec![
                    v0(
                        "projected.sources[0].clusterTrustBundle.name: Required value: must be a valid object name",
                    ),
                    s(format!(
                        "{V0}.projected.sources[0].clusterTrustBundle.name: Invalid value: \"\": not a valid clustertrustbundlename: {SUBDOMAIN}"
                    )),
                ],
                "an empty name: both",
            ),
            (
                projected(
                    json!([{"clusterTrustBundle": {"name": "b", "path": "ca.pem", "labelSelector": {"matchLabels": {"z": "1", "a": "b<"}}}}]),
                ),
                vec![v0(
                    "projected.sources[0].clusterTrustBundle.labelSelector: Invalid value: {\"matchLabels\":{\"a\":\"b\\u003c\",\"z\":\"1\"}}: labelSelector must be unset if name is specified",
                )],
                "no selector with a name",
            ),
            (
                projected(json!([{"clusterTrustBundle": {"name": "b", "path": ""}}])),
                vec![v0(
                    "projected.sources[0].clusterTrustBundle.path: Required value",
                )],
                "bundle path required",
            ),
            (
                projected(
                    json!([{"clusterTrustBundle": {"name": "b", "path": ""}}, {"clusterTrustBundle": {"name": "c", "path": ""}}]),
                ),
                vec![
                    v0("projected.sources[0].clusterTrustBundle.path: Required value"),
                    v0("projected.sources[1].clusterTrustBundle.path: Required value"),
                    v0("projected: Invalid value: \"\": conflicting duplicate paths"),
                ],
                "an empty bundle path counts as a path",
            ),
            (
                pc(json!({"keyType": "RSA2048"})),
                vec![s(format!(
                    "{V0}.projected.sources[0].podCertificate.keyType: Unsupported value: \"RSA2048\": {key_types}"
                ))],
                "§10.47",
            ),
            (
                pc(json!({"keyType": "ED25519"})),
                vec![],
                "§10.47 near-miss",
            ),
            (
                projected(
                    json!([{"podCertificate": {"signerName": "example.com/s", "keyType": "ED25519"}}]),
                ),
                vec![v0(
                    "projected.sources[0].podCertificate: Required value: specify at least one of credentialBundlePath, keyPath, and certificateChainPath",
                )],
                "§10.48",
            ),
            (
                projected(
                    json!([{"podCertificate": {"signerName": "example.com/s", "keyType": "ED25519", "keyPath": "k.pem"}}]),
                ),
                vec![],
                "§10.48 near-miss: keyPath alone",
            ),
            (
                pc(json!({"maxExpirationSeconds": 1800})),
                vec![v0(
                    "projected.sources[0].podCertificate.maxExpirationSeconds: Invalid value: 1800: if provided, maxExpirationSeconds must be >= 3600",
                )],
                "§10.49",
            ),
            (
                pc(json!({"maxExpirationSeconds": 3600})),
                vec![],
                "§10.49 near-miss",
            ),
            (
                pc(json!({"signerName": "kubernetes.io/x", "maxExpirationSeconds": 90000})),
                vec![v0(
                    "projected.sources[0].podCertificate.maxExpirationSeconds: Invalid value: 90000: if provided, maxExpirationSeconds must be <= 86400",
                )],
                "§10.50",
            ),
            (
                pc(json!({"signerName": "example.com/x", "maxExpirationSeconds": 90000})),
                vec![],
                "§10.50 near-miss",
            ),
            (
                pc(json!({"maxExpirationSeconds": 7862401})),
                vec![v0(
                    "projected.sources[0].podCertificate.maxExpirationSeconds: Invalid value: 7862401: if provided, maxExpirationSeconds must be <= 7862400",
                )],
                "other signers: 91 days",
            ),
            (
                pc(json!({"signerName": ""})),
                vec![v0(
                    "projected.sources[0].podCertificate.signerName: Required value",
                )],
                "signer required",
            ),
            (
                pc(json!({"signerName": "Example.com/x"})),
                vec![s(format!(
                    "{V0}.projected.sources[0].podCertificate.signerName: Invalid value: \"Example.com\": validating label \"Example\": {LABEL}"
                ))],
                "signer domain label",
            ),
            (
                pc(json!({"signerName": "com/x"})),
                vec![v0(
                    "projected.sources[0].podCertificate.signerName: Invalid value: \"com\": should be a domain with at least two segments separated by dots",
                )],
                "one-label signer domain",
            ),
            (
                pc(json!({"signerName": "example.com/Bad_Path"})),
                vec![s(format!(
                    "{V0}.projected.sources[0].podCertificate.signerName: Invalid value: \"Bad_Path\": validating label \"Bad_Path\": {SUBDOMAIN}"
                ))],
                "signer path label",
            ),
            (
                pc(json!({"signerName": "a.b/c/d"})),
                vec![v0(
                    "projected.sources[0].podCertificate.signerName: Invalid value: \"a.b/c/d\": must be a fully qualified domain and path of the form 'example.com/signer-name'",
                )],
                "two slashes",
            ),
            (
                pc(json!({"userAnnotations": {"foo": "x"}})),
                vec![v0(
                    "projected.sources[0].podCertificate.userAnnotations: Invalid value: \"foo\": must be a domain-prefixed key (such as \"acme.io/foo\")",
                )],
                "user annotation without a domain",
            ),
            (
                pc(json!({"userAnnotations": {"Example.COM/Foo": "x"}})),
                vec![],
                "user annotations near-miss (lower-cased)",
            ),
            (
                pc(json!({"userAnnotations": {"a b/c": "x"}})),
                vec![s(format!(
                    "{V0}.projected.sources[0].podCertificate.userAnnotations: Invalid value: \"a b/c\": prefix part {SUBDOMAIN}"
                ))],
                "user annotation key format",
            ),
            (
                pc(json!({"userAnnotations": {"": "x"}})),
                vec![v0(
                    "projected.sources[0].podCertificate.userAnnotations: Required value",
                )],
                "empty user annotation key",
            ),
            (
                pc(json!({"userAnnotations": {"example.com/a": "x".repeat(262144)}})),
                vec![v0(
                    "projected.sources[0].podCertificate.userAnnotations: Too long: may not be more than 262144 bytes",
                )],
                "user annotations size",
            ),
            (
                pc(json!({"keyPath": "/k.pem", "certificateChainPath": "b.pem"})),
                vec![
                    v0(
                        "projected.sources[0].podCertificate.keyPath: Invalid value: \"/k.pem\": must be a relative path",
                    ),
                    v0("projected: Invalid value: \"b.pem\": conflicting duplicate paths"),
                ],
                "podCertificate paths",
            ),
        ]);
    }

    #[test]
    fn trust_bundle_with_both_names() {
        let got = crate::policy::pod::testutil::pod_errors(projected(
            json!([{"clusterTrustBundle": {"name": "a", "signerName": "b/c", "path": "x"}}]),
        ));
        // The value is Go's internal struct; its exact fields may differ in 1.37.
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with(&format!("{V0}.projected.sources[0].clusterTrustBundle: Invalid value: {{\"Name\":\"a\",\"SignerName\":\"b/c\""))
                && got[0].ends_with(": only one of name and signerName may be used"),
            "{got:?}"
        );
        assert_eq!(
            got[0],
            format!(
                "{V0}.projected.sources[0].clusterTrustBundle: Invalid value: {{\"Name\":\"a\",\"SignerName\":\"b/c\",\"LabelSelector\":null,\"Optional\":null,\"Path\":\"x\"}}: only one of name and signerName may be used"
            )
        );
    }

    #[test]
    fn csi_ephemeral_image() {
        let modes = "supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"";
        let t = "ephemeral.volumeClaimTemplate";
        check_rows(vec![
            (
                vol(json!({"csi": {"driver": ""}})),
                vec![v0("csi.driver: Required value")],
                "§10.51 only Required",
            ),
            (
                vol(json!({"csi": {"driver": "my_driver"}})),
                vec![s(format!(
                    "{V0}.csi.driver: Invalid value: \"my_driver\": {SUBDOMAIN}"
                ))],
                "§10.52",
            ),
            (
                vol(json!({"csi": {"driver": "CSI.Example.com"}})),
                vec![],
                "§10.52 near-miss: case ignored",
            ),
            (
                vol(json!({"csi": {"driver": "a".repeat(64)}})),
                vec![v0("csi.driver: Too long: may not be more than 63 bytes")],
                "§10.53",
            ),
            (
                vol(json!({"csi": {"driver": "a".repeat(63)}})),
                vec![],
                "§10.53 near-miss",
            ),
            (
                vol(
                    json!({"csi": {"driver": "d.example.com", "nodePublishSecretRef": {"name": "Bad"}}}),
                ),
                vec![s(format!(
                    "{V0}.csi.name: Invalid value: \"Bad\": {SUBDOMAIN}"
                ))],
                "§10.54 csi.name",
            ),
            (
                vol(
                    json!({"csi": {"driver": "d.example.com", "nodePublishSecretRef": {"name": "bad"}}}),
                ),
                vec![],
                "§10.54 near-miss",
            ),
            (
                vol(json!({"csi": {"driver": "d.example.com", "nodePublishSecretRef": {}}})),
                vec![v0("csi.nodePublishSecretRef.name: Required value")],
                "secret ref without a name",
            ),
            (
                vol(json!({"ephemeral": {}})),
                vec![v0("ephemeral.volumeClaimTemplate: Required value")],
                "§10.55",
            ),
            (
                claim(json!({"resources": {"requests": {"storage": "1Gi"}}})),
                vec![s(format!(
                    "{V0}.{t}.spec.accessModes: Required value: at least 1 access mode is required"
                ))],
                "§10.56",
            ),
            (claim(good_claim()), vec![], "§10.56 near-miss"),
            (
                claim(json!({"accessModes": ["ReadWriteOnce"]})),
                vec![s(format!(
                    "{V0}.{t}.spec.resources[storage]: Required value"
                ))],
                "§10.57",
            ),
            (
                claim(json!({})),
                vec![
                    s(format!(
                        "{V0}.{t}.spec.accessModes: Required value: at least 1 access mode is required"
                    )),
                    s(format!("{V0}.{t}.spec.resources[storage]: Required value")),
                ],
                "empty claim spec",
            ),
            (
                claim(
                    json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "0"}}}),
                ),
                vec![s(format!(
                    "{V0}.{t}.spec.resources[storage]: Invalid value: \"0\": must be greater than zero"
                ))],
                "§10.58",
            ),
            (
                claim(
                    json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "-1"}}}),
                ),
                vec![s(format!(
                    "{V0}.{t}.spec.resources[storage]: Invalid value: \"-1\": must be greater than zero"
                ))],
                "negative",
            ),
            (
                claim(
                    json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "-0.0001"}}}),
                ),
                vec![s(format!(
                    "{V0}.{t}.spec.resources[storage]: Invalid value: \"-1m\": must be greater than zero"
                ))],
                "rounded up to milli, away from zero",
            ),
            (
                claim(
                    json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": null}}}),
                ),
                vec![s(format!(
                    "{V0}.{t}.spec.resources[storage]: Invalid value: \"0\": must be greater than zero"
                ))],
                "null is a zero quantity",
            ),
            (
                claim(
                    json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "0.0001"}}}),
                ),
                vec![],
                "§10.58 near-miss: rounds to 1m",
            ),
            (
                claim(
                    json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": 5}}}),
                ),
                vec![],
                "a number",
            ),
            (
                vol(
                    json!({"ephemeral": {"volumeClaimTemplate": {"metadata": {"name": "x"}, "spec": good_claim()}}}),
                ),
                vec![s(format!(
                    "{V0}.{t}.metadata.name: Forbidden: cannot be set"
                ))],
                "§10.59",
            ),
            (
                vol(
                    json!({"ephemeral": {"volumeClaimTemplate": {"metadata": {"labels": {"a": "b"}}, "spec": good_claim()}}}),
                ),
                vec![],
                "§10.59 near-miss",
            ),
            (
                vol(
                    json!({"ephemeral": {"volumeClaimTemplate": {"metadata": {"uid": "u", "finalizers": [], "generation": 0,
                        "creationTimestamp": null, "namespace": "", "deletionGracePeriodSeconds": 0}, "spec": good_claim()}}}),
                ),
                vec![
                    s(format!("{V0}.{t}.metadata.uID: Forbidden: cannot be set")),
                    s(format!(
                        "{V0}.{t}.metadata.deletionGracePeriodSeconds: Forbidden: cannot be set"
                    )),
                    s(format!(
                        "{V0}.{t}.metadata.finalizers: Forbidden: cannot be set"
                    )),
                ],
                "Go's field names, in struct order; zero values are unset",
            ),
            (
                vol(
                    json!({"ephemeral": {"volumeClaimTemplate": {"metadata": {"labels": {"a": "b c"}, "annotations": {"a b": "x"}}, "spec": good_claim()}}}),
                ),
                vec![
                    s(format!(
                        "{V0}.{t}.metadata.annotations: Invalid value: \"a b\": {NAME_PART}"
                    )),
                    s(format!(
                        "{V0}.{t}.metadata.labels: Invalid value: \"b c\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
                    )),
                ],
                "template labels and annotations",
            ),
            (
                claim_with(json!({"accessModes": ["ReadWriteOncePod", "ReadWriteOnce"]})),
                vec![s(format!(
                    "{V0}.{t}.spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"
                ))],
                "§10.60",
            ),
            (
                claim_with(json!({"accessModes": ["ReadWriteOncePod"]})),
                vec![],
                "§10.60 near-miss",
            ),
            (
                claim_with(json!({"accessModes": ["RWO"]})),
                vec![s(format!(
                    "{V0}.{t}.spec.accessModes: Unsupported value: \"RWO\": {modes}"
                ))],
                "§10.61",
            ),
            (
                claim_with(json!({"volumeMode": "Raw"})),
                vec![s(format!(
                    "{V0}.{t}.spec.volumeMode: Unsupported value: \"Raw\": supported values: \"Block\", \"Filesystem\""
                ))],
                "§10.62",
            ),
            (
                claim_with(json!({"volumeMode": "Block"})),
                vec![],
                "§10.62 near-miss",
            ),
            (
                claim_with(json!({"dataSource": {"kind": "Foo", "name": "n"}})),
                vec![s(format!(
                    "{V0}.{t}.spec.dataSource: Invalid value: \"Foo\": must be 'PersistentVolumeClaim' when referencing the default apiGroup"
                ))],
                "§10.63",
            ),
            (
                claim_with(
                    json!({"dataSource": {"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "n"}}),
                ),
                vec![],
                "§10.63 near-miss",
            ),
            (
                claim_with(json!({"dataSource": {}})),
                vec![
                    s(format!("{V0}.{t}.spec.dataSource.name: Required value")),
                    s(format!("{V0}.{t}.spec.dataSource.kind: Required value")),
                    s(format!(
                        "{V0}.{t}.spec.dataSource: Invalid value: \"\": must be 'PersistentVolumeClaim' when referencing the default apiGroup"
                    )),
                ],
                "empty data source",
            ),
            (
                claim_with(
                    json!({"dataSource": {"apiGroup": "Bad_Group", "kind": "K", "name": "n"}}),
                ),
                vec![s(format!(
                    "{V0}.{t}.spec.dataSource.apiGroup: Invalid value: \"Bad_Group\": {SUBDOMAIN}"
                ))],
                "data source group",
            ),
            (
                claim_with(
                    json!({"dataSourceRef": {"kind": "PersistentVolumeClaim", "name": "n", "namespace": "Bad_NS"}}),
                ),
                vec![s(format!(
                    "{V0}.{t}.spec.dataSourceRef.namespace: Invalid value: \"Bad_NS\": {LABEL}"
                ))],
                "ref namespace",
            ),
            (
                claim_with(
                    json!({"dataSource": {"kind": "PersistentVolumeClaim", "name": "n"},
                               "dataSourceRef": {"kind": "PersistentVolumeClaim", "name": "n", "namespace": "ns"}}),
                ),
                vec![s(format!(
                    "{V0}.{t}.spec: Invalid value: {{}}: may not be specified when dataSourceRef.namespace is specified"
                ))],
                "data source with a cross-namespace ref",
            ),
            (
                claim_with(
                    json!({"dataSource": {"kind": "PersistentVolumeClaim", "name": "n"},
                               "dataSourceRef": {"kind": "PersistentVolumeClaim", "name": "m"}}),
                ),
                vec![s(format!(
                    "{V0}.{t}.spec: Invalid value: {{}}: must match dataSourceRef"
                ))],
                "data source and ref differ",
            ),
            (
                claim_with(
                    json!({"dataSource": {"kind": "PersistentVolumeClaim", "name": "n", "apiGroup": ""},
                               "dataSourceRef": {"kind": "PersistentVolumeClaim", "name": "n"}}),
                ),
                vec![s(format!(
                    "{V0}.{t}.spec: Invalid value: {{}}: must match dataSourceRef"
                ))],
                "an empty group is not an absent one",
            ),
            (
                claim_with(
                    json!({"dataSource": {"kind": "PersistentVolumeClaim", "name": "n"},
                               "dataSourceRef": {"kind": "PersistentVolumeClaim", "name": "n"}}),
                ),
                vec![],
                "the same source twice",
            ),
            (
                claim_with(
                    json!({"storageClassName": "Fast_SSD", "volumeAttributesClassName": "Gold_"}),
                ),
                vec![
                    s(format!(
                        "{V0}.{t}.spec.storageClassName: Invalid value: \"Fast_SSD\": {SUBDOMAIN}"
                    )),
                    s(format!(
                        "{V0}.{t}.spec.volumeAttributesClassName: Invalid value: \"Gold_\": {SUBDOMAIN}"
                    )),
                ],
                "class names",
            ),
            (
                claim_with(json!({"storageClassName": "", "volumeAttributesClassName": ""})),
                vec![],
                "empty class names",
            ),
            (
                claim_with(json!({"selector": {"matchLabels": {"a": "b c"}}})),
                vec![s(format!(
                    "{V0}.{t}.spec.selector.matchLabels: Invalid value: \"b c\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
                ))],
                "claim selector",
            ),
            (
                vol(json!({"image": {"reference": ""}})),
                vec![v0("image.reference: Required value")],
                "§10.64",
            ),
            (
                vol(json!({"image": {}})),
                vec![v0("image.reference: Required value")],
                "absent reference",
            ),
            (
                vol(json!({"image": {"reference": "busybox:1.36"}})),
                vec![],
                "§10.64 near-miss",
            ),
            (
                vol(json!({"image": {"reference": "busybox", "pullPolicy": "Sometimes"}})),
                vec![v0(
                    "image.pullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"",
                )],
                "§10.65",
            ),
            (
                vol(json!({"image": {"reference": "busybox", "pullPolicy": ""}})),
                vec![],
                "§10.65 near-miss: defaulted",
            ),
        ]);
    }

    #[test]
    fn other_in_tree_sources() {
        let portal = "p".repeat(60);
        check_rows(vec![
            (
                vol(json!({"gcePersistentDisk": {"pdName": ""}})),
                vec![v0("persistentDisk.pdName: Required value")],
                "§10.66 persistentDisk",
            ),
            (
                vol(json!({"gcePersistentDisk": {"pdName": "d", "readOnly": false}})),
                vec![],
                "§10.66 near-miss",
            ),
            (
                vol(json!({"gcePersistentDisk": {"pdName": "d", "partition": 300}})),
                vec![v0(
                    "persistentDisk.partition: Invalid value: 300: must be between 1 and 255, inclusive",
                )],
                "§10.67",
            ),
            (
                vol(json!({"gcePersistentDisk": {"pdName": "d", "partition": 0}})),
                vec![],
                "§10.67 near-miss",
            ),
            (
                vol(json!({"awsElasticBlockStore": {"volumeID": "", "partition": -1}})),
                vec![
                    v0("awsElasticBlockStore.volumeID: Required value"),
                    v0(
                        "awsElasticBlockStore.partition: Invalid value: -1: must be between 1 and 255, inclusive",
                    ),
                ],
                "aws",
            ),
            (
                vol(json!({"awsElasticBlockStore": {"volumeID": "v", "partition": 255}})),
                vec![],
                "aws near-miss",
            ),
            (
                vol(json!({"iscsi": {"targetPortal": "p", "iqn": "foo", "lun": 300}})),
                vec![
                    v0(
                        "iscsi.iqn: Invalid value: \"foo\": must be valid format starting with iqn, eui, or naa",
                    ),
                    v0("iscsi.lun: Invalid value: 300: must be between 0 and 255, inclusive"),
                ],
                "§10.68",
            ),
            (
                vol(
                    json!({"iscsi": {"targetPortal": "p", "iqn": "iqn.2001-04.com.example:storage.disk1", "lun": 0}}),
                ),
                vec![],
                "§10.68 near-miss",
            ),
            (
                vol(json!({"iscsi": {"targetPortal": "", "iqn": ""}})),
                vec![
                    v0("iscsi.targetPortal: Required value"),
                    v0("iscsi.iqn: Required value"),
                ],
                "iscsi required",
            ),
            (
                vol(json!({"iscsi": {"targetPortal": "p", "iqn": "iqn.2001-04.com.example"}})),
                vec![v0(
                    "iscsi.iqn: Invalid value: \"iqn.2001-04.com.example\": must be valid format",
                )],
                "iqn without a name",
            ),
            (
                vol(json!({"iscsi": {"targetPortal": "p", "iqn": "iqn.2001-04.com.example:a b"}})),
                vec![v0(
                    "iscsi.iqn: Invalid value: \"iqn.2001-04.com.example:a b\": must be valid format",
                )],
                "iqn with a space",
            ),
            (
                vol(
                    json!({"iscsi": {"targetPortal": "p", "iqn": "iqnX-iqn.2001-04.com.example:a"}}),
                ),
                vec![],
                "Go's iqn pattern is not anchored at the start",
            ),
            (
                vol(json!({"iscsi": {"targetPortal": "p", "iqn": "eui.02004567A425678D"}})),
                vec![],
                "eui near-miss",
            ),
            (
                vol(json!({"iscsi": {"targetPortal": "p", "iqn": "eui.02004567A425678"}})),
                vec![v0(
                    "iscsi.iqn: Invalid value: \"eui.02004567A425678\": must be valid format",
                )],
                "short eui",
            ),
            (
                vol(
                    json!({"iscsi": {"targetPortal": "p", "iqn": format!("naa:{}", "0".repeat(32))}}),
                ),
                vec![],
                "naa near-miss",
            ),
            (
                vol(
                    json!({"iscsi": {"targetPortal": "p", "iqn": format!("naa.{}x", "0".repeat(32))}}),
                ),
                vec![s(format!(
                    "{V0}.iscsi.iqn: Invalid value: \"naa.{}x\": must be valid format",
                    "0".repeat(32)
                ))],
                "long naa",
            ),
            (
                vol(
                    json!({"iscsi": {"targetPortal": "p", "iqn": "eui.02004567A425678D", "chapAuthSession": true}}),
                ),
                vec![v0("iscsi.secretRef: Required value")],
                "CHAP needs a secret",
            ),
            (
                vol(
                    json!({"iscsi": {"targetPortal": "p", "iqn": "eui.02004567A425678D", "chapAuthDiscovery": true, "secretRef": {"name": "s"}}}),
                ),
                vec![],
                "CHAP near-miss",
            ),
            (
                vol(
                    json!({"iscsi": {"targetPortal": "p", "iqn": "eui.02004567A425678D", "initiatorName": "bad"}}),
                ),
                vec![v0(
                    "iscsi.initiatorname: Invalid value: \"bad\": must be valid format starting with iqn, eui, or naa",
                )],
                "initiator name, lower-case path",
            ),
            (
                vol(
                    json!({"iscsi": {"targetPortal": "p", "iqn": "eui.02004567A425678D", "initiatorName": "iqn.x"}}),
                ),
                vec![v0(
                    "iscsi.initiatorname: Invalid value: \"iqn.x\": must be valid format",
                )],
                "initiator format",
            ),
            (
                json!({"volumes": [{"name": "data", "iscsi": {"targetPortal": portal, "iqn": "iqn.2001-04.com.example:x",
                                                             "initiatorName": "iqn.2001-04.com.example:y"}}]}),
                vec![v0(
                    "name: Invalid value: \"data\": Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.",
                )],
                "§10.69",
            ),
            (
                json!({"volumes": [{"name": "data", "iscsi": {"targetPortal": portal, "iqn": "iqn.2001-04.com.example:x"}}]}),
                vec![],
                "§10.69 near-miss",
            ),
            (
                json!({"volumes": [{"name": "data", "emptyDir": {}, "iscsi": {"targetPortal": portal, "initiatorName": "x"}}]}),
                vec![
                    v0("iscsi: Forbidden: may not specify more than 1 volume type"),
                    v0(
                        "name: Invalid value: \"data\": Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.",
                    ),
                ],
                "the length check also for a second iscsi",
            ),
            (
                vol(json!({"glusterfs": {}})),
                vec![
                    v0("glusterfs.endpoints: Required value"),
                    v0("glusterfs.path: Required value"),
                ],
                "glusterfs",
            ),
            (
                vol(json!({"glusterfs": {"endpoints": "e", "path": "p"}})),
                vec![],
                "glusterfs near-miss",
            ),
            (
                vol(json!({"flocker": {}})),
                vec![v0(
                    "flocker: Required value: one of datasetName and datasetUUID is required",
                )],
                "§10.73",
            ),
            (
                vol(json!({"flocker": {"datasetName": "x"}})),
                vec![],
                "§10.73 near-miss",
            ),
            (
                vol(json!({"flocker": {"datasetName": "a/b", "datasetUUID": "u"}})),
                vec![
                    v0(
                        "flocker: Invalid value: \"resource\": datasetName and datasetUUID can not be specified simultaneously",
                    ),
                    v0("flocker.datasetName: Invalid value: \"a/b\": must not contain '/'"),
                ],
                "flocker both",
            ),
            (
                vol(json!({"persistentVolumeClaim": {"claimName": ""}})),
                vec![v0("persistentVolumeClaim.claimName: Required value")],
                "§10.76",
            ),
            (
                vol(json!({"persistentVolumeClaim": {"claimName": "UPPER"}})),
                vec![],
                "§10.76 near-miss",
            ),
            (
                vol(json!({"rbd": {}})),
                vec![
                    v0("rbd.monitors: Required value"),
                    v0("rbd.image: Required value"),
                ],
                "rbd",
            ),
            (
                vol(json!({"rbd": {"monitors": ["m"], "image": "i"}})),
                vec![],
                "rbd near-miss",
            ),
            (
                vol(json!({"cinder": {"secretRef": {}}})),
                vec![
                    v0("cinder.volumeID: Required value"),
                    v0("cinder.secretRef.name: Required value"),
                ],
                "cinder",
            ),
            (
                vol(json!({"cinder": {"volumeID": "v"}})),
                vec![],
                "cinder near-miss",
            ),
            (
                vol(json!({"cephfs": {"monitors": []}})),
                vec![v0("cephfs.monitors: Required value")],
                "cephfs",
            ),
            (
                vol(json!({"cephfs": {"monitors": ["m"]}})),
                vec![],
                "cephfs near-miss",
            ),
            (
                vol(json!({"quobyte": {"registry": "host", "volume": "v"}})),
                vec![v0(
                    "quobyte.registry: Invalid value: \"host\": must be a host:port pair or multiple pairs separated by commas",
                )],
                "§10.72",
            ),
            (
                vol(json!({"quobyte": {"registry": "host:7861,[::1]:7861,h:", "volume": "v"}})),
                vec![],
                "§10.72 near-miss",
            ),
            (
                vol(json!({"quobyte": {"registry": "a:1,b,c:d:e", "volume": "v"}})),
                vec![v0(
                    "quobyte.registry: Invalid value: \"a:1,b,c:d:e\": must be a host:port pair or multiple pairs separated by commas",
                )],
                "one error per bad pair (identical lines are printed once)",
            ),
            (
                vol(json!({"quobyte": {"registry": ""}})),
                vec![
                    v0(
                        "quobyte.registry: Required value: must be a host:port pair or multiple pairs separated by commas",
                    ),
                    v0("quobyte.volume: Required value"),
                ],
                "quobyte required",
            ),
            (
                vol(
                    json!({"quobyte": {"registry": "bad", "tenant": "t".repeat(65), "volume": "v"}}),
                ),
                vec![v0(
                    "quobyte.tenant: Required value: must be a UUID and may not exceed a length of 64 characters",
                )],
                "a long tenant (and the registry unchecked)",
            ),
            (
                vol(json!({"fc": {"targetWWNs": ["w"]}})),
                vec![v0(
                    "fc.lun: Required value: lun is required if targetWWNs is specified",
                )],
                "§10.74",
            ),
            (
                vol(json!({"fc": {"targetWWNs": ["w"], "lun": 0}})),
                vec![],
                "§10.74 near-miss",
            ),
            (vol(json!({"fc": {"wwids": ["w"]}})), vec![], "wwids alone"),
            (
                vol(json!({"fc": {}})),
                vec![v0(
                    "fc.targetWWNs: Required value: must specify either targetWWNs or wwids, but not both",
                )],
                "fc empty",
            ),
            (
                vol(json!({"fc": {"targetWWNs": ["a", "b"], "wwids": ["w"], "lun": 256}})),
                vec![
                    v0(
                        "fc.targetWWNs: Invalid value: [\"a\",\"b\"]: targetWWNs and wwids can not be specified simultaneously",
                    ),
                    v0("fc.lun: Invalid value: 256: must be between 0 and 255, inclusive"),
                ],
                "fc both",
            ),
            (
                vol(json!({"flexVolume": {"driver": "d", "options": {"kubernetes.io/foo": "x"}}})),
                vec![v0(
                    "flexVolume.options[kubernetes.io/foo]: Invalid value: \"kubernetes.io/foo\": kubernetes.io and k8s.io namespaces are reserved",
                )],
                "§10.71",
            ),
            (
                vol(
                    json!({"flexVolume": {"driver": "d", "options": {"Sub.K8S.io": "x", "kubernetes.io": "y"}}}),
                ),
                vec![
                    v0(
                        "flexVolume.options[Sub.K8S.io]: Invalid value: \"Sub.K8S.io\": kubernetes.io and k8s.io namespaces are reserved",
                    ),
                    v0(
                        "flexVolume.options[kubernetes.io]: Invalid value: \"kubernetes.io\": kubernetes.io and k8s.io namespaces are reserved",
                    ),
                ],
                "reserved namespaces, any case",
            ),
            (
                vol(
                    json!({"flexVolume": {"driver": "d", "options": {"example.com/foo": "x", "notk8s.io/x": "y", "\u{212A}8s.io/x": "z"}}}),
                ),
                vec![v0(
                    "flexVolume.options[\u{212A}8s.io/x]: Invalid value: \"\u{212A}8s.io/x\": kubernetes.io and k8s.io namespaces are reserved",
                )],
                "§10.71 near-miss; Go lowers the Kelvin sign to k",
            ),
            (
                vol(json!({"flexVolume": {}})),
                vec![v0("flexVolume.driver: Required value")],
                "flex driver",
            ),
            (
                vol(json!({"azureFile": {}})),
                vec![
                    v0("azureFile.secretName: Required value"),
                    v0("azureFile.shareName: Required value"),
                ],
                "azureFile",
            ),
            (
                vol(json!({"azureFile": {"secretName": "s", "shareName": "x"}})),
                vec![],
                "azureFile near-miss",
            ),
            (
                vol(json!({"vsphereVolume": {}})),
                vec![v0("vsphereVolume.volumePath: Required value")],
                "vsphere",
            ),
            (
                vol(json!({"photonPersistentDisk": {}})),
                vec![v0("photonPersistentDisk.pdID: Required value")],
                "photon",
            ),
            (
                vol(json!({"portworxVolume": {}})),
                vec![v0("portworxVolume.volumeID: Required value")],
                "portworx",
            ),
            (
                vol(json!({"portworxVolume": {"volumeID": "v"}})),
                vec![],
                "portworx near-miss",
            ),
            (
                vol(json!({"azureDisk": {"diskName": "d", "diskURI": "disk1"}})),
                vec![v0(
                    "azureDisk.diskURI: Unsupported value: \"disk1\": supported values: \"https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd\"",
                )],
                "§10.70 kind defaults to Shared",
            ),
            (
                vol(
                    json!({"azureDisk": {"diskName": "d", "diskURI": "https://a.blob.core.windows.net/c/d.vhd"}}),
                ),
                vec![],
                "§10.70 near-miss",
            ),
            (
                vol(json!({"azureDisk": {}})),
                vec![
                    v0("azureDisk.diskName: Required value"),
                    v0("azureDisk.diskURI: Required value"),
                    v0(
                        "azureDisk.diskURI: Unsupported value: \"\": supported values: \"https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd\"",
                    ),
                ],
                "empty azure disk",
            ),
            (
                vol(
                    json!({"azureDisk": {"diskName": "d", "diskURI": "https://x", "kind": "Managed", "cachingMode": "All"}}),
                ),
                vec![
                    v0(
                        "azureDisk.cachingMode: Unsupported value: \"All\": supported values: \"None\", \"ReadOnly\", \"ReadWrite\"",
                    ),
                    v0(
                        "azureDisk.diskURI: Unsupported value: \"https://x\": supported values: \"/subscriptions/{sub-id}/resourcegroups/{group-name}/providers/microsoft.compute/disks/{disk-id}\"",
                    ),
                ],
                "managed disk URI",
            ),
            (
                vol(
                    json!({"azureDisk": {"diskName": "d", "diskURI": "/subscriptions/s", "kind": "Managed"}}),
                ),
                vec![],
                "managed near-miss",
            ),
            (
                vol(
                    json!({"azureDisk": {"diskName": "d", "diskURI": "https://x", "kind": "Other"}}),
                ),
                vec![v0(
                    "azureDisk.kind: Unsupported value: \"Other\": supported values: \"Dedicated\", \"Managed\", \"Shared\"",
                )],
                "kind",
            ),
            (
                vol(json!({"storageos": {"volumeName": "Bad"}})),
                vec![s(format!(
                    "{V0}.storageos.volumeName: Invalid value: \"Bad\": {LABEL}"
                ))],
                "§10.75",
            ),
            (
                vol(json!({"storageos": {"volumeName": "bad"}})),
                vec![],
                "§10.75 near-miss",
            ),
            (
                vol(
                    json!({"storageos": {"volumeName": "", "volumeNamespace": "a.b", "secretRef": {}}}),
                ),
                vec![
                    v0("storageos.volumeName: Required value"),
                    v0("storageos.volumeNamespace: Invalid value: \"a.b\": must not contain dots"),
                    v0("storageos.secretRef.name: Required value"),
                ],
                "storageos",
            ),
            (
                vol(json!({"scaleIO": {}})),
                vec![
                    v0("scaleIO.gateway: Required value"),
                    v0("scaleIO.system: Required value"),
                    v0("scaleIO.volumeName: Required value"),
                ],
                "scaleIO",
            ),
            (
                vol(json!({"scaleIO": {"gateway": "g", "system": "s", "volumeName": "v"}})),
                vec![],
                "scaleIO near-miss",
            ),
        ]);
    }

    #[test]
    fn more_near_misses() {
        check_rows(vec![
            (
                vol(json!({"vsphereVolume": {"volumePath": "[ds] v.vmdk"}})),
                vec![],
                "vsphere",
            ),
            (
                vol(json!({"photonPersistentDisk": {"pdID": "p"}})),
                vec![],
                "photon",
            ),
            (
                vol(json!({"cinder": {"volumeID": "v", "secretRef": {"name": "s"}}})),
                vec![],
                "cinder secret",
            ),
            (
                vol(
                    json!({"storageos": {"volumeName": "v", "volumeNamespace": "ns", "secretRef": {"name": "s"}}}),
                ),
                vec![],
                "storageos",
            ),
            (
                vol(
                    json!({"quobyte": {"registry": "h:1", "tenant": "t".repeat(64), "volume": "v"}}),
                ),
                vec![],
                "quobyte tenant of 64",
            ),
            (
                vol(
                    json!({"projected": {"defaultMode": 420, "sources": [{"configMap": {"name": "c"}}]}}),
                ),
                vec![],
                "projected mode",
            ),
            (
                vol(
                    json!({"downwardAPI": {"defaultMode": 511, "items": [{"path": "a", "mode": 0,
                    "fieldRef": {"fieldPath": "metadata.namespace"}}]}}),
                ),
                vec![],
                "downward modes",
            ),
            (
                vol(
                    json!({"iscsi": {"targetPortal": "p", "iqn": "iqn.2001-04.com.example:x", "chapAuthSession": false,
                    "initiatorName": "naa.0123456789abcdef0123456789abcdef"}}),
                ),
                vec![],
                "iscsi initiator",
            ),
            (
                vol(json!({"fc": {"targetWWNs": ["a"], "lun": 255}})),
                vec![],
                "fc lun 255",
            ),
            (
                projected(
                    json!([{"clusterTrustBundle": {"signerName": "example.com/foo", "path": "ca.pem",
                    "labelSelector": {"matchLabels": {"a": "b"}}}}]),
                ),
                vec![],
                "signer bundle with a selector",
            ),
        ]);
    }

    #[test]
    fn bad_input_does_not_panic() {
        check_rows(vec![
            (json!({"volumes": "nope"}), vec![], "volumes not a list"),
            (
                json!({"volumes": [5, "x", null, []]}),
                vec![],
                "volumes not objects",
            ),
            (
                json!({"volumes": [{"name": "d", "hostPath": "x"}]}),
                vec![],
                "a source of the wrong type is the schema rule's",
            ),
            (
                vol(json!({"secret": {"secretName": 5, "defaultMode": "x", "items": "y"}})),
                vec![],
                "wrong field types",
            ),
            (
                vol(json!({"secret": {"secretName": "s", "defaultMode": 4294967296u64}})),
                vec![],
                "mode beyond int32",
            ),
            (
                vol(
                    json!({"projected": {"sources": [5, {"secret": 3}, {"serviceAccountToken": {"expirationSeconds": "x", "path": 1}}]}}),
                ),
                vec![],
                "projected garbage",
            ),
            (
                vol(
                    json!({"iscsi": {"targetPortal": 1, "iqn": [], "lun": "x", "secretRef": 4, "chapAuthSession": true}}),
                ),
                vec![],
                "iscsi garbage",
            ),
            (
                vol(
                    json!({"downwardAPI": {"items": [5, {"path": 1, "fieldRef": {"fieldPath": 2}}]}}),
                ),
                vec![],
                "downward garbage",
            ),
            (
                vol(json!({"ephemeral": {"volumeClaimTemplate": 5}})),
                vec![],
                "template garbage",
            ),
            (
                vol(json!({"fc": {"targetWWNs": "w", "lun": 1}})),
                vec![],
                "fc garbage",
            ),
            (
                vol(json!({"rbd": {"monitors": "m", "image": "i"}})),
                vec![],
                "monitors not a list",
            ),
            (
                json!({"volumes": [{"name": "données", "emptyDir": {}}]}),
                vec![s(format!("{V0}.name: Invalid value: \"données\": {LABEL}"))],
                "unicode name",
            ),
            (
                json!({"volumes": [{"name": "d", "hostPath": {"path": "/日本/../x", "type": "ディレクトリ"}}]}),
                vec![
                    v0("hostPath.path: Invalid value: \"/日本/../x\": must not contain '..'"),
                    s(format!(
                        "{V0}.hostPath.type: Unsupported value: \"ディレクトリ\": supported values: \"\", \"BlockDevice\", \"CharDevice\", \"Directory\", \"DirectoryOrCreate\", \"File\", \"FileOrCreate\", \"Socket\""
                    )),
                ],
                "unicode values",
            ),
            (
                vol(json!({"iscsi": {"targetPortal": "p", "iqn": "eui\u{e9}0123456789abcdef"}})),
                vec![],
                "any character after eui",
            ),
            (
                vol(json!({"emptyDir": {"sizeLimit": "-1e1000000"}})),
                vec![v0(
                    "emptyDir.sizeLimit: Forbidden: SizeLimit field must be a valid resource quantity",
                )],
                "huge quantity",
            ),
        ]);
    }

    /// Volumes, then each container's mounts and devices, then the fileKeyRef volumes, as
    /// `ValidatePodSpec` calls them (containers.rs calls `mounts` and `devices`).
    fn mount_errors(spec: Value) -> Vec<String> {
        let ds = daemonset(spec);
        let node = Node::from(&ds["spec"]["template"]["spec"]);
        let mut findings = Findings::default();
        let mut o = findings.rule(RuleId::PodSpec);
        let opts = Options::create(true);
        let root = At::ROOT.child("spec");
        let template = root.child("template");
        let at = template.child("spec");
        let vols = validate(node.field("volumes"), &at.child("volumes"), &opts, &mut o);
        for kind in ["containers", "initContainers", "ephemeralContainers"] {
            let kind_at = at.child(kind);
            for (i, c) in node.field(kind).items().iter().enumerate() {
                let c_at = kind_at.index(i);
                mounts(c, &c_at, &vols, &mut o);
                devices(c, &c_at, &vols, &mut o);
            }
        }
        file_key_ref_volumes(&node, &at, &mut o);
        findings
            .0
            .iter()
            .map(|(_, p, m)| format!("{p}: {m}"))
            .collect()
    }

    fn check_mount_rows(rows: Vec<(Value, Vec<&str>, &str)>) {
        check_rows_with(rows, mount_errors);
    }

    fn ctr(extra: Value) -> Value {
        let mut c = json!({"name": "c", "image": "busybox:1.36"});
        if let (Value::Object(m), Value::Object(e)) = (&mut c, extra) {
            m.extend(e);
        }
        c
    }

    fn with(volumes: Value, container: Value) -> Value {
        json!({"volumes": volumes, "containers": [ctr(container)]})
    }

    const C0: &str = "spec.template.spec.containers[0]";

    fn c0(rest: &str) -> &'static str {
        s(format!("{C0}.{rest}"))
    }

    #[test]
    fn mounts_and_devices() {
        let data = json!([{"name": "data", "emptyDir": {}}]);
        let pvc = json!([{"name": "data", "persistentVolumeClaim": {"claimName": "c"}}]);
        let mount = |m: Value| json!({"volumeMounts": [m]});
        check_mount_rows(vec![
            (
                with(json!([]), mount(json!({"name": "data", "mountPath": "/d"}))),
                vec![c0("volumeMounts[0].name: Not found: \"data\"")],
                "§10.77",
            ),
            (
                with(
                    data.clone(),
                    mount(json!({"name": "data", "mountPath": "/d"})),
                ),
                vec![],
                "§10.77 near-miss",
            ),
            (
                with(
                    json!([{"name": "data"}]),
                    mount(json!({"name": "data", "mountPath": "/d"})),
                ),
                vec![],
                "a volume without source is an emptyDir",
            ),
            (
                with(
                    json!([{"name": "data", "hostPath": {"path": ""}}]),
                    mount(json!({"name": "data", "mountPath": "/d"})),
                ),
                vec![
                    v0("hostPath.path: Required value"),
                    c0("volumeMounts[0].name: Not found: \"data\""),
                ],
                "§10.78",
            ),
            (
                with(
                    data.clone(),
                    mount(json!({"name": "data", "mountPath": "/d", "subPath": "/x"})),
                ),
                vec![c0(
                    "volumeMounts.subPath: Invalid value: \"/x\": must be a relative path",
                )],
                "§10.79 no index",
            ),
            (
                with(
                    data.clone(),
                    mount(json!({"name": "data", "mountPath": "/d", "subPath": "x"})),
                ),
                vec![],
                "§10.79 near-miss",
            ),
            (
                with(
                    data.clone(),
                    json!({"volumeMounts": [{"name": "data", "mountPath": "/d"}, {"name": "data", "mountPath": "/d"}]}),
                ),
                vec![c0(
                    "volumeMounts[1].mountPath: Invalid value: \"/d\": must be unique",
                )],
                "§10.80",
            ),
            (
                with(
                    data.clone(),
                    json!({"volumeMounts": [{"name": "data", "mountPath": "/d"}, {"name": "data", "mountPath": "/e"}]}),
                ),
                vec![],
                "§10.80 near-miss: a volume mounted twice",
            ),
            (
                with(
                    data.clone(),
                    json!({"volumeDevices": [{"name": "data", "devicePath": "/dev/x"}]}),
                ),
                vec![c0(
                    "volumeDevices[0].name: Invalid value: \"data\": can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode",
                )],
                "§10.81",
            ),
            (
                with(
                    pvc.clone(),
                    json!({"volumeDevices": [{"name": "data", "devicePath": "/dev/x"}]}),
                ),
                vec![],
                "§10.81 near-miss",
            ),
            (
                with(
                    json!([{"name": "data", "ephemeral": {"volumeClaimTemplate": {"spec": good_claim()}}}]),
                    json!({"volumeDevices": [{"name": "data", "devicePath": "/dev/x"}]}),
                ),
                vec![],
                "an ephemeral block device",
            ),
            (
                with(
                    json!([{"name": "img", "image": {"reference": "busybox:1.36"}}]),
                    mount(json!({"name": "img", "mountPath": "/i", "subPath": "sub"})),
                ),
                vec![],
                "§10.82 image subPath (1.33+)",
            ),
            (
                with(
                    data.clone(),
                    mount(
                        json!({"name": "data", "mountPath": "/d", "mountPropagation": "Bidirectional"}),
                    ),
                ),
                vec![c0(
                    "volumeMounts.mountPropagation: Forbidden: Bidirectional mount propagation is available only to privileged containers",
                )],
                "§10.83",
            ),
            (
                with(
                    data.clone(),
                    json!({"securityContext": {"privileged": true},
                  "volumeMounts": [{"name": "data", "mountPath": "/d", "mountPropagation": "Bidirectional"}]}),
                ),
                vec![],
                "§10.83 near-miss",
            ),
            (
                with(
                    data.clone(),
                    mount(json!({"name": "data", "mountPath": "/d", "mountPropagation": "Shared"})),
                ),
                vec![c0(
                    "volumeMounts.mountPropagation: Unsupported value: \"Shared\": supported values: \"Bidirectional\", \"HostToContainer\", \"None\"",
                )],
                "propagation value",
            ),
            (
                with(data.clone(), mount(json!({"name": "", "mountPath": ""}))),
                vec![
                    c0("volumeMounts[0].name: Required value"),
                    c0("volumeMounts[0].name: Not found: \"\""),
                    c0("volumeMounts[0].mountPath: Required value"),
                ],
                "empty mount",
            ),
            (
                with(
                    data.clone(),
                    mount(
                        json!({"name": "data", "mountPath": "/d", "subPath": "a", "subPathExpr": "$(X)/../y"}),
                    ),
                ),
                vec![
                    c0(
                        "volumeMounts[0].subPathExpr: Invalid value: \"$(X)/../y\": subPathExpr and subPath are mutually exclusive",
                    ),
                    c0(
                        "volumeMounts.subPathExpr: Invalid value: \"$(X)/../y\": must not contain '..'",
                    ),
                ],
                "subPathExpr",
            ),
            (
                with(
                    data.clone(),
                    mount(json!({"name": "data", "mountPath": "/d", "subPathExpr": "$(POD_NAME)"})),
                ),
                vec![],
                "subPathExpr near-miss",
            ),
            (
                with(
                    data.clone(),
                    mount(
                        json!({"name": "data", "mountPath": "/d", "recursiveReadOnly": "Enabled"}),
                    ),
                ),
                vec![c0(
                    "volumeMounts.recursiveReadOnly: Forbidden: may only be specified when readOnly is true",
                )],
                "rro without readOnly",
            ),
            (
                with(
                    data.clone(),
                    mount(
                        json!({"name": "data", "mountPath": "/d", "recursiveReadOnly": "IfPossible",
                                              "readOnly": true, "mountPropagation": "HostToContainer"}),
                    ),
                ),
                vec![c0(
                    "volumeMounts.recursiveReadOnly: Forbidden: may only be specified when mountPropagation is None or not specified",
                )],
                "rro with propagation",
            ),
            (
                with(
                    data.clone(),
                    mount(json!({"name": "data", "mountPath": "/d", "recursiveReadOnly": "Yes"})),
                ),
                vec![c0(
                    "volumeMounts.recursiveReadOnly: Unsupported value: \"Yes\": supported values: \"Disabled\", \"Enabled\", \"IfPossible\"",
                )],
                "rro value",
            ),
            (
                with(
                    data.clone(),
                    mount(
                        json!({"name": "data", "mountPath": "/d", "recursiveReadOnly": "Enabled",
                                              "readOnly": true, "mountPropagation": "None"}),
                    ),
                ),
                vec![],
                "rro near-miss",
            ),
            (
                with(
                    data.clone(),
                    mount(
                        json!({"name": "data", "mountPath": "/d", "recursiveReadOnly": "Disabled"}),
                    ),
                ),
                vec![],
                "rro disabled",
            ),
            (
                with(
                    data.clone(),
                    mount(
                        json!({"name": "data", "mountPath": "/d", "bindMountOptions": ["bogus"]}),
                    ),
                ),
                vec![],
                "bindMountOptions dropped (gate off)",
            ),
            (
                with(
                    pvc.clone(),
                    json!({"volumeMounts": [{"name": "data", "mountPath": "/x"}],
                                      "volumeDevices": [{"name": "data", "devicePath": "/x"}]}),
                ),
                vec![
                    c0(
                        "volumeMounts[0].name: Invalid value: \"data\": must not already exist in volumeDevices",
                    ),
                    c0(
                        "volumeMounts[0].mountPath: Invalid value: \"/x\": must not already exist as a path in volumeDevices",
                    ),
                    c0(
                        "volumeDevices[0].name: Invalid value: \"data\": must not already exist in volumeMounts",
                    ),
                    c0(
                        "volumeDevices[0].devicePath: Invalid value: \"/x\": must not already exist as a path in volumeMounts",
                    ),
                ],
                "a volume both mounted and a device",
            ),
            (
                with(
                    pvc.clone(),
                    json!({"volumeDevices": [{"name": "", "devicePath": ""}, {"name": "data", "devicePath": ""}]}),
                ),
                vec![
                    c0("volumeDevices[0].name: Required value"),
                    c0("volumeDevices[0].name: Not found: \"\""),
                    c0("volumeDevices[0].devicePath: Required value"),
                    c0("volumeDevices[1].devicePath: Required value"),
                    c0("volumeDevices[1].devicePath: Invalid value: \"\": must be unique"),
                ],
                "empty devices",
            ),
            (
                with(
                    pvc.clone(),
                    json!({"volumeDevices": [{"name": "data", "devicePath": "/a"}, {"name": "data", "devicePath": "/a"}]}),
                ),
                vec![
                    c0("volumeDevices[1].name: Invalid value: \"data\": must be unique"),
                    c0("volumeDevices[1].devicePath: Invalid value: \"/a\": must be unique"),
                ],
                "duplicate device",
            ),
            (
                with(
                    pvc.clone(),
                    json!({"volumeDevices": [{"name": "data", "devicePath": "/dev/../x"}, {"name": "other", "devicePath": "/dev/../x"}]}),
                ),
                vec![
                    c0(
                        "volumeDevices[0].devicePath: Invalid value: \"/dev/../x\": can not contain backsteps ('..')",
                    ),
                    c0("volumeDevices[1].name: Not found: \"other\""),
                    c0(
                        "volumeDevices[1].devicePath: Invalid value: \"/dev/../x\": can not contain backsteps ('..')",
                    ),
                ],
                "backsteps (a bad path is not recorded)",
            ),
            (
                json!({"volumes": pvc, "initContainers": [ctr(json!({"name": "i", "volumeMounts": [{"name": "nope", "mountPath": "/n"}]}))]}),
                vec![
                    "spec.template.spec.initContainers[0].volumeMounts[0].name: Not found: \"nope\"",
                ],
                "init containers too",
            ),
        ]);
    }

    /// The same rows through the whole template check (containers.rs calls `mounts` and
    /// `devices`, spec.rs `file_key_ref_volumes`).
    #[test]
    fn mounts_through_the_pod_spec() {
        let data = json!([{"name": "data", "emptyDir": {}}]);
        check_rows(vec![
            (
                with(
                    json!([]),
                    json!({"volumeMounts": [{"name": "data", "mountPath": "/d"}]}),
                ),
                vec![c0("volumeMounts[0].name: Not found: \"data\"")],
                "§10.77",
            ),
            (
                with(
                    data.clone(),
                    json!({"volumeMounts": [{"name": "data", "mountPath": "/d", "subPath": "/x"}]}),
                ),
                vec![c0(
                    "volumeMounts.subPath: Invalid value: \"/x\": must be a relative path",
                )],
                "§10.79",
            ),
            (
                with(
                    data.clone(),
                    json!({"volumeMounts": [{"name": "data", "mountPath": "/d"}, {"name": "data", "mountPath": "/d"}]}),
                ),
                vec![c0(
                    "volumeMounts[1].mountPath: Invalid value: \"/d\": must be unique",
                )],
                "§10.80",
            ),
            (
                with(
                    data.clone(),
                    json!({"volumeDevices": [{"name": "data", "devicePath": "/dev/x"}]}),
                ),
                vec![c0(
                    "volumeDevices[0].name: Invalid value: \"data\": can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode",
                )],
                "§10.81",
            ),
            (
                with(
                    data.clone(),
                    json!({"volumeMounts": [{"name": "data", "mountPath": "/d", "mountPropagation": "Bidirectional"}]}),
                ),
                vec![c0(
                    "volumeMounts.mountPropagation: Forbidden: Bidirectional mount propagation is available only to privileged containers",
                )],
                "§10.83",
            ),
            (
                with(
                    json!([{"name": "cfg", "configMap": {"name": "c"}}]),
                    json!({"env": [{"name": "E", "valueFrom": {"fileKeyRef": {"volumeName": "cfg", "path": "f", "key": "K"}}}]}),
                ),
                vec![c0(
                    "env[0].valueFrom.fileKeyRef.volumeName: Invalid value: \"cfg\": referenced volume must be of type emptyDir",
                )],
                "§10.84",
            ),
            (
                with(
                    data,
                    json!({"volumeMounts": [{"name": "data", "mountPath": "/d", "subPath": "x"}],
                                  "env": [{"name": "E", "valueFrom": {"fileKeyRef": {"volumeName": "data", "path": "f", "key": "K"}}}]}),
                ),
                vec![],
                "near-misses",
            ),
        ]);
    }

    #[test]
    fn file_key_refs() {
        let env = |volume: &str| json!({"env": [{"name": "E", "valueFrom": {"fileKeyRef": {"volumeName": volume, "path": "f", "key": "K"}}}]});
        check_mount_rows(vec![
            (
                with(
                    json!([{"name": "cfg", "configMap": {"name": "c"}}]),
                    env("cfg"),
                ),
                vec![c0(
                    "env[0].valueFrom.fileKeyRef.volumeName: Invalid value: \"cfg\": referenced volume must be of type emptyDir",
                )],
                "§10.84",
            ),
            (
                with(json!([{"name": "cfg", "emptyDir": {}}]), env("cfg")),
                vec![],
                "§10.84 near-miss",
            ),
            (
                with(json!([{"name": "cfg"}]), env("cfg")),
                vec![],
                "no source: emptyDir by default",
            ),
            (
                with(json!([]), env("cfg")),
                vec![c0(
                    "env[0].valueFrom.fileKeyRef.volumeName: Not found: \"cfg\"",
                )],
                "no such volume",
            ),
            (
                with(
                    json!([{"name": "cfg", "emptyDir": {"sizeLimit": "-1"}}]),
                    env("cfg"),
                ),
                vec![v0(
                    "emptyDir.sizeLimit: Forbidden: SizeLimit field must be a valid resource quantity",
                )],
                "any volume of the spec counts, even one with errors",
            ),
            (
                with(
                    json!([{"name": "cfg", "emptyDir": {}}, {"name": "cfg", "secret": {"secretName": "s"}}]),
                    env("cfg"),
                ),
                vec![
                    "spec.template.spec.volumes[1].name: Duplicate value: \"cfg\"",
                    c0(
                        "env[0].valueFrom.fileKeyRef.volumeName: Invalid value: \"cfg\": referenced volume must be of type emptyDir",
                    ),
                ],
                "the last volume of a name",
            ),
            (
                json!({"volumes": [], "initContainers": [ctr(json!({"name": "i", "env": [{"name": "A", "value": "x"},
                    {"name": "E", "valueFrom": {"fileKeyRef": {"volumeName": "v"}}}]}))]}),
                vec![
                    "spec.template.spec.initContainers[0].env[1].valueFrom.fileKeyRef.volumeName: Not found: \"v\"",
                ],
                "init container",
            ),
        ]);
    }

    #[test]
    fn large_inputs_are_linear() {
        let n = 10_000;
        let volumes: Vec<Value> = (0..n)
            .map(|i| json!({"name": format!("v{i}"), "emptyDir": {}}))
            .collect();
        let mounts: Vec<Value> = (0..n)
            .map(|i| json!({"name": format!("v{i}"), "mountPath": format!("/m/{i}")}))
            .collect();
        let start = std::time::Instant::now();
        assert!(
            mount_errors(
                json!({"volumes": volumes, "containers": [ctr(json!({"volumeMounts": mounts}))]})
            )
            .is_empty()
        );
        let iqn = "iqn.".repeat(100_000);
        let registry = ",".repeat(100_000);
        let got = mount_errors(json!({"volumes": [
            {"name": "a", "iscsi": {"targetPortal": "p", "iqn": iqn}},
            {"name": "b", "iscsi": {"targetPortal": "p", "iqn": format!("{}2001-04.{}:x", "iqn.".repeat(50_000), "a".repeat(100_000))}},
            {"name": "c", "quobyte": {"registry": registry, "volume": "v"}},
        ]}));
        assert_eq!(
            got.len(),
            2,
            "one iqn error, one registry error for all the bad pairs"
        );
        let items: Vec<Value> = (0..n).map(|_| json!({"key": "k", "path": "p"})).collect();
        let name = "n".repeat(100_000);
        let got = mount_errors(projected(
            json!([{"secret": {"name": name, "items": items}}]),
        ));
        assert_eq!(got.len(), 1, "repeated duplicate lines are one line");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn go_patterns() {
        assert!(iqn_matches("iqn.2001-04.com.example:storage.disk1"));
        assert!(iqn_matches("iqn.2001-04.com.example:a:b"));
        assert!(!iqn_matches("iqn.2001-04.com.example:"));
        assert!(!iqn_matches("iqn.2001-04..com:a$"));
        assert!(iqn_matches("iqn.2001-04..com:a"));
        assert!(!iqn_matches("iqn.201-04.com:a"));
        assert!(iqn_matches("iqn.1-iqn.2001-04.x:y"));
        assert!(!iqn_matches("iqn.2001-04.x:y z"));
        assert!(
            split_host_port_ok("h:1") && split_host_port_ok("[::1]:1") && split_host_port_ok(":")
        );
        assert!(
            !split_host_port_ok("h")
                && !split_host_port_ok("a:b:c")
                && !split_host_port_ok("[::1]")
        );
        assert!(
            !split_host_port_ok("[a]b:1")
                && !split_host_port_ok("a[:1")
                && !split_host_port_ok("a]:1")
        );
        assert!(reserved_namespace("KUBERNETES.IO") && reserved_namespace("a.k8s.io"));
        assert!(!reserved_namespace("xk8s.io") && !reserved_namespace("k8s.io.x"));
        assert_eq!(
            GoJson("a\"<\u{1}\u{2028}\\").to_string(),
            "\"a\\\"\\u003c\\u0001\\u2028\\\\\""
        );
    }
}
