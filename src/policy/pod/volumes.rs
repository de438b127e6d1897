//! Volumes and how containers use them: `ValidateVolumes`, every volume source,
//! `ValidateVolumeMounts`, `ValidateVolumeDevices` and `validateFileKeyRefVolumes`, after
//! kubernetes/kubernetes `pkg/apis/core/validation/validation.go`.
//! (Being ported: see /work/notes/PORTING.md.)

use super::options::Options;
use crate::policy::finding::Out;
use crate::policy::path::At;
use crate::policy::view::Node;

/// The volumes `ValidateVolumes` accepted, by name: what mounts and devices may name.
#[derive(Debug, Default)]
pub(crate) struct Volumes<'a>(Vec<(&'a str, &'a Node<'a>)>);

impl<'a> Volumes<'a> {
    /// The volume named `name`, if it validated.
    pub(crate) fn get(&self, name: &str) -> Option<&'a Node<'a>> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

/// `ValidateVolumes(spec.volumes, nil, "spec.template.spec.volumes", opts)`.
pub(crate) fn validate<'a>(
    volumes: &'a Node<'a>,
    at: &At,
    opts: &Options,
    o: &mut Out,
) -> Volumes<'a> {
    let _ = (at, opts, o);
    Volumes(
        volumes
            .items()
            .iter()
            .filter_map(|v| v.get("name").and_then(Node::as_str).map(|n| (n, v)))
            .collect(),
    )
}

/// `ValidateVolumeMounts` for one container at `at` (its path).
pub(crate) fn mounts(container: &Node, at: &At, vols: &Volumes, opts: &Options, o: &mut Out) {
    let _ = (container, at, vols, opts, o);
}

/// `ValidateVolumeDevices` for one container at `at` (its path).
pub(crate) fn devices(container: &Node, at: &At, vols: &Volumes, opts: &Options, o: &mut Out) {
    let _ = (container, at, vols, opts, o);
}

/// `validateFileKeyRefVolumes`: the last check of `ValidatePodSpec`.
pub(crate) fn file_key_ref_volumes(spec: &Node, at: &At, o: &mut Out) {
    let _ = (spec, at, o);
}
