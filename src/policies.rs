//! `dsguard policies`: the webhook's policy as a MutatingAdmissionPolicy and a
//! ValidatingAdmissionPolicy (CEL, run by the API server itself), with their bindings.

use std::io::{self, Write};

use crate::policy::Policy;

/// How `policies` prints the objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoliciesFormat {
    /// YAML documents.
    Yaml,
    /// A JSON `List`.
    Json,
}

/// Writes the objects for `policy` to `out`, and to `err` the rules the webhook enforces
/// that the policies do not.
pub fn run<W: Write, E: Write>(
    policy: &Policy,
    format: PoliciesFormat,
    out: &mut W,
    err: &mut E,
) -> io::Result<()> {
    let _ = (policy, format, out);
    writeln!(err, "dsguard: policies are not written yet")
}
