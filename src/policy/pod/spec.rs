//! `ValidatePodSpec` (kubernetes/kubernetes `pkg/apis/core/validation/validation.go`) in the
//! API server's order, and the pod-level checks that are neither containers nor volumes.
//! (Being ported: see /work/notes/PORTING.md.)

use super::options::Options;
use super::{containers, volumes};
use crate::policy::finding::Out;
use crate::policy::path::At;
use crate::policy::view::Node;

/// `ValidatePodSpec(spec, nil, "spec.template.spec", opts)`.
pub(crate) fn validate(spec: &Node, at: &At, opts: &Options, o: &mut Out) {
    let vols = volumes::validate(spec.field("volumes"), &at.child("volumes"), opts, o);
    containers::validate_all(spec, at, &vols, opts, o);
    volumes::file_key_ref_volumes(spec, at, o);
}

/// `ValidateTolerations` over a list at `at` (also used for the tolerations annotation).
pub(crate) fn tolerations(list: &[Node], at: &At, opts: &Options, o: &mut Out) {
    let _ = (list, at, opts, o);
}
