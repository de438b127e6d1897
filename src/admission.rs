//! AdmissionReview in, the webhook's response out. This is the code path of `dsguard review`
//! and of both server endpoints; it does no I/O.
//!
//! The request envelope is read with its own small types so that `object` and `oldObject`
//! are parsed straight into the engine's borrowed view ([`Node`]), keeping only what the
//! answering endpoint reads ([`Endpoint`]'s [`Reads`]: the validating endpoint everything
//! its rules read, [`crate::policy::fields::WEBHOOK`]; the mutating endpoint the few fields
//! the patch depends on, [`crate::policy::fields::MUTATE`], and no `oldObject`); `kind`,
//! `resource` and `operation` reuse kube-rs's types. Field names follow k8s.io/api
//! `admission/v1/types.go`.
//!
//! Decisions:
//! * `admission.k8s.io/v1` and `v1beta1` are answered, each in the version asked (the two
//!   have the same fields; a webhook registered with `admissionReviewVersions: [v1,
//!   v1beta1]` may get either).
//! * Only `apps` `DaemonSet` CREATE and UPDATE of the main resource are checked; anything
//!   else (other kinds, DELETE, CONNECT, the `status` subresource) is allowed untouched,
//!   and so is an object [`Policy::skip_reason`] skips.
//! * The validating endpoint gives the verdict `dsguard validate` gives, minus the rules
//!   that belong to decoding (`parse`, `schema`, `unknown-field`, `deployment-field`: the
//!   API server decoded the object already). On UPDATE the stored object
//!   (`request.oldObject`) is the old one for `selector-immutable` and the update rules.
//!   A stock kube-apiserver validates an object itself before it calls validating
//!   webhooks (k8s.io/apiserver `pkg/registry/generic/registry/store.go`,
//!   `(*Store).Create`: `rest.BeforeCreate`, which runs the strategy's `Validate`, before
//!   the admission validators), so there the parity rules rarely fire; the webhook still
//!   checks them for API servers that validate less, and for reviews replayed by tools.
//! * A denial carries `status.code` 403 and reason `Forbidden`, as other policy webhooks do;
//!   kubectl prints `admission webhook "..." denied the request: <message>`, and the
//!   message lists every violation as `[rule] path: message`.
//! * The mutating endpoint never denies; validation is the validating endpoint's job.

use std::borrow::Cow;
use std::marker::PhantomData;

use base64::Engine;
use kube::core::admission::Operation;
use kube::core::{GroupVersionKind, GroupVersionResource};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::check::{self, Verdict};
use crate::policy::view::Keep;
use crate::policy::{self, Checks, MutateMode, Node, Policy, RuleId, Severity};

/// The envelope apiVersions answered.
pub const API_VERSIONS: [&str; 2] = ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"];

/// What an endpoint builds of a review's objects while parsing it: each endpoint reads its
/// own parts, and skipping the rest while parsing is most of the speed of a review.
pub trait Reads {
    /// The endpoint that answers the review.
    const ENDPOINT: Endpoint;
    /// What is built of `request.object`.
    const OBJECT: Keep;
    /// What is built of `request.oldObject`; with [`Keep::Drop`] it is skipped (`None`).
    const OLD_OBJECT: Keep;
}

/// The validating endpoint: both objects, without what no rule reads.
#[derive(Debug, Clone, Copy)]
pub enum Validating {}

impl Reads for Validating {
    const ENDPOINT: Endpoint = Endpoint::Validate;
    const OBJECT: Keep = policy::fields::WEBHOOK;
    const OLD_OBJECT: Keep = policy::fields::WEBHOOK;
}

/// The mutating endpoint: what the patch depends on; the stored object is not read.
#[derive(Debug, Clone, Copy)]
pub enum Mutating {}

impl Reads for Mutating {
    const ENDPOINT: Endpoint = Endpoint::Mutate;
    const OBJECT: Keep = policy::fields::MUTATE;
    const OLD_OBJECT: Keep = Keep::Drop;
}

/// An AdmissionReview as the API server sends it, borrowing from the body, with the parts
/// of its objects that endpoint `R` reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", bound = "")]
pub struct AdmissionReview<'a, R: Reads> {
    /// `admission.k8s.io/v1` or `admission.k8s.io/v1beta1`.
    #[serde(borrow)]
    pub api_version: Cow<'a, str>,
    /// Must be `AdmissionReview`.
    #[serde(borrow)]
    pub kind: Cow<'a, str>,
    /// The request.
    #[serde(borrow)]
    pub request: Option<AdmissionRequest<'a, R>>,
}

/// The request part of an AdmissionReview.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", bound = "")]
pub struct AdmissionRequest<'a, R: Reads> {
    /// Echoed in the response.
    pub uid: String,
    /// Kind of the object.
    pub kind: GroupVersionKind,
    /// Resource being changed.
    pub resource: GroupVersionResource,
    /// Subresource, such as `status`.
    #[serde(default)]
    pub sub_resource: Option<String>,
    /// Object name (may be empty on CREATE with generateName).
    #[serde(default)]
    pub name: String,
    /// Object namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// CREATE, UPDATE, DELETE or CONNECT.
    pub operation: Operation,
    /// The new object: what endpoint `R` reads of it.
    #[serde(default, borrow, deserialize_with = "object::<R, _>")]
    pub object: Option<Node<'a>>,
    /// The stored object on UPDATE: what endpoint `R` reads of it.
    #[serde(default, borrow, deserialize_with = "old_object::<R, _>")]
    pub old_object: Option<Node<'a>>,
    /// Whether this is a dry run.
    #[serde(default)]
    pub dry_run: Option<bool>,
    #[serde(skip)]
    reads: PhantomData<R>,
}

fn object<'de, R: Reads, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Node<'de>>, D::Error> {
    pruned(d, R::OBJECT)
}

fn old_object<'de, R: Reads, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Node<'de>>, D::Error> {
    pruned(d, R::OLD_OBJECT)
}

/// Reads an optional object into a [`Node`], keeping what `keep` keeps; nothing (`None`,
/// the value skipped) with [`Keep::Drop`].
fn pruned<'de, D: serde::Deserializer<'de>>(
    d: D,
    keep: Keep,
) -> Result<Option<Node<'de>>, D::Error> {
    use serde::de::DeserializeSeed;
    struct OptionVisitor(Keep);
    impl<'de> serde::de::Visitor<'de> for OptionVisitor {
        type Value = Option<Node<'de>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a Kubernetes object or null")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            self.0.deserialize(d).map(Some)
        }
    }
    if keep == Keep::Drop {
        serde::de::IgnoredAny::deserialize(d)?;
        return Ok(None);
    }
    d.deserialize_option(OptionVisitor(keep))
}

/// What a log line may show of a request: never the objects.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestInfo {
    /// The request's uid.
    pub uid: String,
    /// Group and kind of the object.
    pub kind: GroupVersionKind,
    /// Namespace, when there is one.
    pub namespace: Option<String>,
    /// Object name.
    pub name: String,
    /// CREATE, UPDATE, DELETE or CONNECT.
    pub operation: Operation,
}

/// `status` of a denial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseStatus {
    /// HTTP-like status code.
    pub code: u16,
    /// Machine-readable reason.
    pub reason: String,
    /// Every violation, one per line.
    pub message: String,
}

/// The response part of an AdmissionReview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    /// The request's uid.
    pub uid: String,
    /// Whether the request is admitted.
    pub allowed: bool,
    /// Why not, when denied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ResponseStatus>,
    /// Warnings shown to the client (warning-severity rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
    /// `JSONPatch` when a patch is present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<String>,
    /// Base64 of the RFC 6902 patch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
}

/// A whole AdmissionReview response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewResponse {
    /// Echoed from the request.
    pub api_version: String,
    /// Echoed from the request.
    pub kind: String,
    /// The answer.
    pub response: AdmissionResponse,
}

/// Which endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// The ValidatingWebhookConfiguration's endpoint.
    Validate,
    /// The MutatingWebhookConfiguration's endpoint.
    Mutate,
}

impl Endpoint {
    /// `validate` or `mutate`, as paths, logs and metrics name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Validate => "validate",
            Endpoint::Mutate => "mutate",
        }
    }
}

/// A body that is not an AdmissionReview request (HTTP 400).
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// Not JSON, or not the AdmissionReview shape.
    #[error("body is not an AdmissionReview: {0}")]
    Decode(#[from] serde_json::Error),
    /// Not UTF-8, so not JSON.
    #[error("body is not an AdmissionReview: not UTF-8 ({0})")]
    NotUtf8(std::str::Utf8Error),
    /// Wrong apiVersion or kind.
    #[error(
        "expected apiVersion admission.k8s.io/v1 or admission.k8s.io/v1beta1 and kind AdmissionReview, got apiVersion {0:?} kind {1:?}"
    )]
    Envelope(String, String),
    /// No `request`.
    #[error("AdmissionReview has no request")]
    NoRequest,
}

/// What the server logs and counts about one answered review, besides the response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// False when the request is not a DaemonSet CREATE/UPDATE, or the object is skipped.
    pub checked: bool,
    /// The rule and severity of every violation found (validating endpoint).
    pub rules: Vec<(RuleId, Severity)>,
    /// Operations in the patch (mutating endpoint).
    pub patch_operations: usize,
}

/// One answered AdmissionReview.
#[derive(Debug, Clone)]
pub struct Reviewed {
    /// The response to send.
    pub response: ReviewResponse,
    /// What a log line may show of the request.
    pub request: RequestInfo,
    /// What was found.
    pub outcome: Outcome,
}

/// Parses a body and answers it.
pub fn review_bytes(
    body: &[u8],
    endpoint: Endpoint,
    policy: &Policy,
) -> Result<Reviewed, ReviewError> {
    // JSON text is UTF-8 (RFC 8259 §8.1). Checked once for the whole body, the parser need
    // not check each string again, and strings without escapes are borrowed from it.
    let text = std::str::from_utf8(body).map_err(ReviewError::NotUtf8)?;
    match endpoint {
        Endpoint::Validate => review_request::<Validating>(serde_json::from_str(text)?, policy),
        Endpoint::Mutate => review_request::<Mutating>(serde_json::from_str(text)?, policy),
    }
}

/// Answers a parsed AdmissionReview at the endpoint it was read for.
pub fn review_request<R: Reads>(
    review: AdmissionReview<R>,
    policy: &Policy,
) -> Result<Reviewed, ReviewError> {
    if !API_VERSIONS.contains(&review.api_version.as_ref()) || review.kind != "AdmissionReview" {
        return Err(ReviewError::Envelope(
            review.api_version.into_owned(),
            review.kind.into_owned(),
        ));
    }
    let request = review.request.ok_or(ReviewError::NoRequest)?;
    let (response, outcome) = decide(&request, policy);
    Ok(Reviewed {
        response: ReviewResponse {
            api_version: review.api_version.into_owned(),
            kind: review.kind.into_owned(),
            response,
        },
        request: RequestInfo {
            uid: request.uid,
            kind: request.kind,
            namespace: request.namespace,
            name: request.name,
            operation: request.operation,
        },
        outcome,
    })
}

fn allow(uid: &str) -> AdmissionResponse {
    AdmissionResponse {
        uid: uid.to_string(),
        allowed: true,
        status: None,
        warnings: None,
        patch_type: None,
        patch: None,
    }
}

/// True for the requests dsguard checks: DaemonSet CREATE or UPDATE of the main resource.
pub fn is_checked<R: Reads>(req: &AdmissionRequest<R>) -> bool {
    req.kind.group == "apps"
        && req.kind.kind == "DaemonSet"
        && matches!(req.operation, Operation::Create | Operation::Update)
        && req.sub_resource.as_deref().is_none_or(str::is_empty)
        && req.object.as_ref().is_some_and(Node::is_object)
}

/// The response to one request, and what was found.
pub fn decide<R: Reads>(
    req: &AdmissionRequest<R>,
    policy: &Policy,
) -> (AdmissionResponse, Outcome) {
    let mut resp = allow(&req.uid);
    let mut outcome = Outcome::default();
    let Some(obj) = req.object.as_ref().filter(|_| is_checked(req)) else {
        return (resp, outcome);
    };
    let old = match req.operation {
        Operation::Update => req.old_object.as_ref().filter(|o| o.is_object()),
        _ => None,
    };
    match R::ENDPOINT {
        Endpoint::Mutate => {
            let Some(patch) = check::patch(obj, policy, MutateMode::Admission) else {
                return (resp, outcome);
            };
            outcome.checked = true;
            outcome.patch_operations = patch.0.len();
            if !patch.0.is_empty() {
                let bytes = serde_json::to_vec(&patch).unwrap_or_default();
                resp.patch_type = Some("JSONPatch".into());
                resp.patch = Some(base64::engine::general_purpose::STANDARD.encode(bytes));
            }
        }
        Endpoint::Validate => {
            let violations = match check::verdict(obj, old, policy, Checks::ADMISSION) {
                Verdict::Skipped(_) => return (resp, outcome),
                Verdict::Checked(v) => v,
            };
            outcome.checked = true;
            outcome.rules = violations.iter().map(|v| (v.rule, v.severity)).collect();
            let line = |v: &policy::Violation| format!("[{}] {}: {}", v.rule, v.path, v.message);
            let warnings: Vec<String> = violations
                .iter()
                .filter(|v| v.severity == Severity::Warning)
                .map(line)
                .collect();
            let errors: Vec<String> = violations
                .iter()
                .filter(|v| v.severity == Severity::Error)
                .map(line)
                .collect();
            if !warnings.is_empty() {
                resp.warnings = Some(warnings);
            }
            if !errors.is_empty() {
                let who = match req.namespace.as_deref() {
                    Some(ns) if !ns.is_empty() => format!("{ns}/{}", req.name),
                    _ => req.name.clone(),
                };
                let noun = if errors.len() == 1 {
                    "violation"
                } else {
                    "violations"
                };
                resp.allowed = false;
                resp.status = Some(ResponseStatus {
                    code: 403,
                    reason: "Forbidden".into(),
                    message: format!(
                        "DaemonSet {who}: {} {noun}:\n{}",
                        errors.len(),
                        errors.join("\n")
                    ),
                });
            }
        }
    }
    (resp, outcome)
}

/// The JSON body of an HTTP error answer (400, 404, 405, 413, 500, 503, 504): a
/// `meta/v1` `Status`, the shape the API server's own errors have, so that `kubectl` and
/// people reading a webhook failure see a familiar object.
pub fn error_status(code: u16, reason: &str, message: &str) -> Value {
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Status",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    })
}
