//! AdmissionReview `admission.k8s.io/v1` in, the webhook's response out. This is the code
//! path of `dsguard review` and of both server endpoints; it does no I/O.
//!
//! The request envelope is read with its own small types so that `object` stays JSON
//! (no round trip through typed `ObjectMeta`); its `kind`, `resource` and `operation`
//! reuse kube-rs's types. Field names follow k8s.io/api `admission/v1/types.go`.
//!
//! Decisions:
//! * Only `apps` `DaemonSet` CREATE and UPDATE of the main resource are checked; anything
//!   else (other kinds, DELETE, CONNECT, the `status` subresource) is allowed untouched.
//! * The validating endpoint runs the policy rules only (`image-latest`,
//!   `resources-missing`, at their configured severities). The API server decodes the
//!   object (refusing or dropping unknown fields), defaults it, runs mutating webhooks,
//!   then validates it itself, and only then calls validating webhooks (k8s.io/apiserver
//!   `pkg/registry/generic/registry/store.go`, `(*Store).Create`: `rest.BeforeCreate`
//!   before `createValidation`). An object that breaks a parity rule (schema, selector,
//!   labels, pod spec, selector immutability) never reaches it; `dsguard validate` catches
//!   those before apply.
//! * So the object is parsed keeping only what those rules and the mutation read
//!   ([`crate::policy::fields::WEBHOOK`]), which is most of the speed of a review.
//! * A denial carries `status.code` 403 and reason `Forbidden`, as other policy webhooks do;
//!   kubectl prints `admission webhook "..." denied the request: <message>`.
//! * The mutating endpoint never denies; validation is the validating endpoint's job.

use base64::Engine;
use kube::core::admission::Operation;
use kube::core::{GroupVersionKind, GroupVersionResource};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::policy::{self, Checks, MutateMode, Policy, RuleId, Severity};

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
    /// The new object, holding only what the webhook's rules read (see [`prune`]).
    /// `oldObject` is not read: no webhook rule compares with the old object (the API
    /// server itself refuses a changed selector).
    #[serde(default, deserialize_with = "prune::object")]
    pub object: Option<Value>,
    /// Whether this is a dry run.
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// Reading `object` without building what no webhook rule reads.
///
/// Building a `serde_json::Value` is most of the cost of a review, so the object is
/// parsed into a `Value` holding only the fields in [`policy::fields::WEBHOOK`]; the
/// rest is skipped as it is read. `Keep::apply` on the full object gives the same value.
pub mod prune {
    use serde::Deserializer;
    use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Value};

    use crate::policy::fields::{Keep, WEBHOOK};

    /// Deserializes an optional object, keeping what [`WEBHOOK`] lists.
    pub fn object<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        d.deserialize_option(OptionVisitor)
    }

    struct OptionVisitor;

    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<Value>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a Kubernetes object or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            Pruned(WEBHOOK).deserialize(d).map(Some)
        }
    }

    /// Reads a value keeping what its `Keep` says.
    #[derive(Clone, Copy)]
    struct Pruned(Keep);

    impl<'de> DeserializeSeed<'de> for Pruned {
        type Value = Value;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            match self.0 {
                Keep::All => serde::Deserialize::deserialize(d),
                Keep::Fields(_) | Keep::TrueStrings => d.deserialize_any(self),
            }
        }
    }

    impl<'de> Visitor<'de> for Pruned {
        type Value = Value;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            // Sized for every listed key at once: no regrowth (and rehashing) while reading.
            let mut out = match self.0 {
                Keep::Fields(fields) => Map::with_capacity(fields.len()),
                Keep::All | Keep::TrueStrings => Map::new(),
            };
            if self.0 == Keep::TrueStrings {
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    if map.next_value::<IsTrue>()?.0 {
                        out.insert(key.into_owned(), Value::from("true"));
                    }
                }
                return Ok(Value::Object(out));
            }
            // Keys are borrowed from the input where they can be: a skipped key costs no
            // allocation.
            while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                match self.0.child(&key) {
                    Some(keep) => {
                        let value = map.next_value_seed(Pruned(keep))?;
                        out.insert(key.into_owned(), value);
                    }
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(Value::Object(out))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut out = Vec::new();
            while let Some(v) = seq.next_element_seed(self)? {
                out.push(v);
            }
            Ok(Value::Array(out))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
    }

    /// Whether a value is the string `"true"`; any value is read, none is kept.
    struct IsTrue(bool);

    impl<'de> serde::Deserialize<'de> for IsTrue {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct IsTrueVisitor;
            impl<'de> Visitor<'de> for IsTrueVisitor {
                type Value = IsTrue;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a JSON value")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<IsTrue, E> {
                    Ok(IsTrue(v == "true"))
                }
                fn visit_bool<E: de::Error>(self, _: bool) -> Result<IsTrue, E> {
                    Ok(IsTrue(false))
                }
                fn visit_i64<E: de::Error>(self, _: i64) -> Result<IsTrue, E> {
                    Ok(IsTrue(false))
                }
                fn visit_u64<E: de::Error>(self, _: u64) -> Result<IsTrue, E> {
                    Ok(IsTrue(false))
                }
                fn visit_f64<E: de::Error>(self, _: f64) -> Result<IsTrue, E> {
                    Ok(IsTrue(false))
                }
                fn visit_unit<E: de::Error>(self) -> Result<IsTrue, E> {
                    Ok(IsTrue(false))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IsTrue, A::Error> {
                    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(IsTrue(false))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<IsTrue, A::Error> {
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(IsTrue(false))
                }
            }
            d.deserialize_any(IsTrueVisitor)
        }
    }

    /// A map key, borrowed when the input allows.
    struct Key<'de>(std::borrow::Cow<'de, str>);

    impl<'de> serde::Deserialize<'de> for Key<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct KeyVisitor;
            impl<'de> Visitor<'de> for KeyVisitor {
                type Value = Key<'de>;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a string key")
                }
                fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                    Ok(Key(std::borrow::Cow::Borrowed(v)))
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                    Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
                }
                fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                    Ok(Key(std::borrow::Cow::Owned(v)))
                }
            }
            d.deserialize_str(KeyVisitor)
        }
    }

    #[cfg(test)]
    mod tests {
        use serde_json::json;

        use crate::policy::fields::WEBHOOK;

        #[derive(serde::Deserialize)]
        struct Holder {
            #[serde(default, deserialize_with = "super::object")]
            object: Option<serde_json::Value>,
        }

        fn read(body: &str) -> Option<serde_json::Value> {
            serde_json::from_str::<Holder>(body).unwrap().object
        }

        #[test]
        fn keeps_only_the_listed_fields() {
            let full = json!({"kind": "DaemonSet", "status": {"x": 1},
                "metadata": {"name": "a", "managedFields": [{"manager": "kubectl"}], "labels": {"a": "b"},
                             "annotations": {"dsguard.io/exempt": "true", "x": "false", "n": 1, "o": {"true": "true"},
                                             "kubectl.kubernetes.io/last-applied-configuration": "{\"kind\":\"DaemonSet\"}"}},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"a": "b"}},
                         "template": {"metadata": {"labels": {"a": "b"}},
                                      "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 1}]}, 7],
                                               "tolerations": [{"key": "k"}]}}}});
            let want = json!({"kind": "DaemonSet", "metadata": {"name": "a", "annotations": {"dsguard.io/exempt": "true"}},
                "spec": {"replicas": 2, "template": {"spec": {"containers": [{"image": "i"}, 7],
                                                              "tolerations": [{"key": "k"}]}}}});
            let text = format!("{{\"object\": {full}}}");
            assert_eq!(read(&text), Some(want.clone()));
            assert_eq!(
                WEBHOOK.apply(&full),
                want,
                "Keep::apply agrees with the reader"
            );
        }

        #[test]
        fn null_missing_and_non_objects() {
            assert_eq!(read(r#"{"object": null}"#), None);
            assert_eq!(read(r#"{}"#), None);
            assert_eq!(
                read(r#"{"object": [1, {"kind": 2, "x": 3}]}"#),
                Some(json!([1, {"kind": 2}]))
            );
            assert_eq!(read(r#"{"object": "x"}"#), Some(json!("x")));
            assert!(serde_json::from_str::<Holder>(r#"{"object": {"a": }}"#).is_err());
            assert_eq!(
                read(r#"{"object": {"ki\u006ed": "escaped key", "x": 1}}"#),
                Some(json!({"kind": "escaped key"})),
                "an escaped key is unescaped and matched"
            );
        }
    }
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
    /// Not UTF-8, so not JSON.
    #[error("body is not an AdmissionReview: not UTF-8 ({0})")]
    NotUtf8(std::str::Utf8Error),
    /// Wrong apiVersion or kind.
    #[error(
        "expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got apiVersion {0:?} kind {1:?}"
    )]
    Envelope(String, String),
    /// No `request`.
    #[error("AdmissionReview has no request")]
    NoRequest,
}

/// What the server logs and counts about one answered review, besides the response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// False when the request is not a DaemonSet CREATE/UPDATE, or the object is exempt.
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
    /// The request, with `object` taken out: what a log line may show.
    pub request: AdmissionRequest,
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
    // not check each string again.
    let text = std::str::from_utf8(body).map_err(ReviewError::NotUtf8)?;
    let review: AdmissionReview = serde_json::from_str(text)?;
    review_request(review, endpoint, policy)
}

/// Answers a parsed AdmissionReview.
pub fn review_request(
    review: AdmissionReview,
    endpoint: Endpoint,
    policy: &Policy,
) -> Result<Reviewed, ReviewError> {
    if review.api_version != API_VERSION || review.kind != "AdmissionReview" {
        return Err(ReviewError::Envelope(review.api_version, review.kind));
    }
    let mut request = review.request.ok_or(ReviewError::NoRequest)?;
    let (response, outcome) = decide(&request, endpoint, policy);
    request.object = None;
    Ok(Reviewed {
        response: ReviewResponse {
            api_version: review.api_version,
            kind: review.kind,
            response,
        },
        request,
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
pub fn is_checked(req: &AdmissionRequest) -> bool {
    req.kind.group == "apps"
        && req.kind.kind == "DaemonSet"
        && matches!(req.operation, Operation::Create | Operation::Update)
        && req.sub_resource.as_deref().is_none_or(str::is_empty)
        && req.object.as_ref().is_some_and(Value::is_object)
}

/// The response to one request.
pub fn answer(req: &AdmissionRequest, endpoint: Endpoint, policy: &Policy) -> AdmissionResponse {
    decide(req, endpoint, policy).0
}

/// The response to one request, and what was found.
pub fn decide(
    req: &AdmissionRequest,
    endpoint: Endpoint,
    policy: &Policy,
) -> (AdmissionResponse, Outcome) {
    let mut resp = allow(&req.uid);
    let mut outcome = Outcome::default();
    let Some(obj) = req.object.as_ref().filter(|_| is_checked(req)) else {
        return (resp, outcome);
    };
    if policy.exemption(obj).is_some() {
        return (resp, outcome);
    }
    outcome.checked = true;
    match endpoint {
        Endpoint::Mutate => {
            let patch = policy::mutate(obj, policy, MutateMode::Admission);
            outcome.patch_operations = patch.0.len();
            if !patch.0.is_empty() {
                let bytes = serde_json::to_vec(&patch).unwrap_or_default();
                resp.patch_type = Some("JSONPatch".into());
                resp.patch = Some(base64::engine::general_purpose::STANDARD.encode(bytes));
            }
        }
        Endpoint::Validate => {
            let violations = policy::validate(obj, None, policy, Checks::WEBHOOK);
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
