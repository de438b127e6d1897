//! The policy rules that are not API-server parity: `image-latest` and `resources-missing`.
//!
//! Offline they run inside the pod-spec walk ([`super::podspec`]), so that each container's
//! findings stay together. The validating webhook runs only this pass: the API server
//! validates an object (`rest.BeforeCreate` / `rest.BeforeUpdate`, which call the
//! strategy's `Validate`) before it calls validating webhooks (k8s.io/apiserver
//! `pkg/registry/generic/registry/store.go`, `(*Store).Create` and `(*Store).Update`), so
//! a parity rule can never fire there.

use serde_json::Value;

use super::path::get_in;
use super::{FieldPath, Findings, podspec};

/// Runs the policy rules over the regular containers of `obj`'s pod template.
pub(crate) fn check(obj: &Value, out: &mut Findings) {
    let Some(Value::Array(containers)) = get_in(obj, &["spec", "template", "spec", "containers"])
    else {
        return;
    };
    // Paths are built only for a finding (most containers pass).
    let path = |i: usize, field: &str| {
        FieldPath::new(&["spec", "template", "spec", "containers"])
            .index(i)
            .child(field)
    };
    for (i, c) in containers.iter().enumerate() {
        let Some(c) = c.as_object() else { continue };
        if let Some(image) = c
            .get("image")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            podspec::image_latest(image, || path(i, "image"), out);
        }
        podspec::resources(c.get("resources"), || path(i, "resources"), out);
    }
}
