//! AdmissionReview `admission.k8s.io/v1` in, the webhook's response out. This is the code
//! path of `dsguard review` and of both server endpoints; it does no I/O.
//!
//! The request envelope is read with its own small types so that `object` stays raw JSON
//! (no round trip through typed `ObjectMeta`, nothing dropped); its `kind`, `resource` and
//! `operation` reuse kube-rs's types. Field names follow k8s.io/api `admission/v1/types.go`.
//!
//! Decisions:
//! * Only `apps` `DaemonSet` CREATE and UPDATE of the main resource are checked; anything
//!   else (other kinds, DELETE, CONNECT, the `status` subresource) is allowed untouched.
//! * The strict schema check is not run: the API server has already decoded the object
//!   into typed structs, so unknown fields were refused or dropped and types are right.
//! * A denial carries `status.code` 403 and reason `Forbidden`, as other policy webhooks do;
//!   kubectl prints `admission webhook "..." denied the request: <message>`.
//! * The mutating endpoint never denies; validation is the validating endpoint's job.

use base64::Engine;
use kube::core::admission::Operation;
use kube::core::{GroupVersionKind, GroupVersionResource};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::policy::{self, Checks, MutateMode, Policy, Severity};

/// The envelope's apiVersion.
pub const API_VERSION: &str = "admission.k8s.io/v1";

/// An AdmissionReview as the API server sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionReview {
    /// Must be `admission.k8s.io/v1`.
    pub api_version: String,
    /// Must be `AdmissionReview`.
    pub kind: String,
    /// The request.
    pub request: Option<AdmissionRequest>,
}

/// The request part of an AdmissionReview.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
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
    /// The new object.
    #[serde(default)]
    pub object: Option<Value>,
    /// The existing object, on UPDATE and DELETE.
    #[serde(default)]
    pub old_object: Option<Value>,
    /// Whether this is a dry run.
    #[serde(default)]
    pub dry_run: Option<bool>,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Endpoint {
    /// The ValidatingWebhookConfiguration's endpoint.
    Validate,
    /// The MutatingWebhookConfiguration's endpoint.
    Mutate,
}

/// A body that is not an AdmissionReview `admission.k8s.io/v1` request (HTTP 400).
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// Not JSON, or not the AdmissionReview shape.
    #[error("body is not an AdmissionReview: {0}")]
    Decode(#[from] serde_json::Error),
    /// Wrong apiVersion or kind.
    #[error(
        "expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got apiVersion {0:?} kind {1:?}"
    )]
    Envelope(String, String),
    /// No `request`.
    #[error("AdmissionReview has no request")]
    NoRequest,
}

/// Parses a body and answers it.
pub fn review_bytes(
    body: &[u8],
    endpoint: Endpoint,
    policy: &Policy,
) -> Result<ReviewResponse, ReviewError> {
    let review: AdmissionReview = serde_json::from_slice(body)?;
    review_request(review, endpoint, policy)
}

/// Answers a parsed AdmissionReview.
pub fn review_request(
    review: AdmissionReview,
    endpoint: Endpoint,
    policy: &Policy,
) -> Result<ReviewResponse, ReviewError> {
    if review.api_version != API_VERSION || review.kind != "AdmissionReview" {
        return Err(ReviewError::Envelope(review.api_version, review.kind));
    }
    let request = review.request.ok_or(ReviewError::NoRequest)?;
    let response = answer(&request, endpoint, policy);
    Ok(ReviewResponse {
        api_version: review.api_version,
        kind: review.kind,
        response,
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
pub fn is_checked(req: &AdmissionRequest) -> bool {
    req.kind.group == "apps"
        && req.kind.kind == "DaemonSet"
        && matches!(req.operation, Operation::Create | Operation::Update)
        && req.sub_resource.as_deref().is_none_or(str::is_empty)
        && req.object.as_ref().is_some_and(Value::is_object)
}

/// The response to one request.
pub fn answer(req: &AdmissionRequest, endpoint: Endpoint, policy: &Policy) -> AdmissionResponse {
    let mut resp = allow(&req.uid);
    let Some(obj) = req.object.as_ref().filter(|_| is_checked(req)) else {
        return resp;
    };
    if policy.exemption(obj).is_some() {
        return resp;
    }
    match endpoint {
        Endpoint::Mutate => {
            let patch = policy::mutate(obj, policy, MutateMode::Admission);
            if !patch.0.is_empty() {
                let bytes = serde_json::to_vec(&patch).unwrap_or_default();
                resp.patch_type = Some("JSONPatch".into());
                resp.patch = Some(base64::engine::general_purpose::STANDARD.encode(bytes));
            }
        }
        Endpoint::Validate => {
            let old = match req.operation {
                Operation::Update => req.old_object.as_ref(),
                _ => None,
            };
            let violations = policy::validate(obj, old, policy, Checks { schema: false });
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
    resp
}
