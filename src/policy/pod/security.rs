//! Security contexts: the pod's (`validatePodSpecSecurityContext`) and the profile checks
//! pods and containers share (`validateSeccompProfileField`, `ValidateAppArmorProfileField`,
//! `validateWindowsSecurityContextOptions`), after kubernetes/kubernetes
//! `pkg/apis/core/validation/validation.go`. (Being ported: see /work/notes/PORTING.md.)

use super::options::Options;
use crate::policy::finding::Out;
use crate::policy::path::At;
use crate::policy::view::Node;

/// `validatePodSpecSecurityContext` at `spec.securityContext`.
pub(crate) fn pod_security_context(spec: &Node, at: &At, opts: &Options, o: &mut Out) {
    let _ = (spec, at, opts, o);
}

/// `validateSeccompProfileField` at `…securityContext.seccompProfile`.
pub(crate) fn seccomp_profile_field(profile: &Node, at: &At, o: &mut Out) {
    let _ = (profile, at, o);
}

/// `ValidateAppArmorProfileField` at `…securityContext.appArmorProfile`.
pub(crate) fn apparmor_profile_field(profile: &Node, at: &At, o: &mut Out) {
    let _ = (profile, at, o);
}

/// `validateWindowsSecurityContextOptions` at `…securityContext.windowsOptions`.
pub(crate) fn windows_options(options: &Node, at: &At, o: &mut Out) {
    let _ = (options, at, o);
}
