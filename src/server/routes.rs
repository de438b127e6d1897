//! HTTP routes: the webhook endpoints on the TLS port and the probes on the side port.
//! The handlers add transport only; the answer comes from [`crate::admission`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tokio::sync::Semaphore;

use super::metrics::{Metrics, RequestLabels};
use crate::admission::{self, Endpoint, Reviewed};
use crate::policy::{Policy, Severity};

/// Limits applied to every webhook request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// Deadline when the request carries no `?timeout=`.
    pub default_timeout: Duration,
    /// Upper bound of a `?timeout=` deadline.
    pub max_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 3 * 1024 * 1024,
            // The API server's default webhook timeout, and its maximum
            // (k8s.io/api admissionregistration/v1 `timeoutSeconds`: 1 to 30, default 10).
            default_timeout: Duration::from_secs(10),
            max_timeout: Duration::from_secs(30),
        }
    }
}

/// Readiness: ready once the certificate is loaded and the policy compiled, not while draining.
#[derive(Debug, Default)]
pub struct Health {
    ready: AtomicBool,
    draining: AtomicBool,
}

impl Health {
    /// Marks the server ready.
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::SeqCst);
    }
    /// Marks the server draining: `/readyz` fails from now on.
    pub fn set_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }
    /// Whether `/readyz` succeeds.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst) && !self.draining.load(Ordering::SeqCst)
    }
}

/// What the handlers share.
pub struct App {
    /// The loaded configuration.
    pub policy: Policy,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Body and time limits.
    pub limits: Limits,
    /// Bounds the reviews answered at once; others wait within their deadline.
    pub in_flight: Semaphore,
    /// Readiness.
    pub health: Arc<Health>,
}

/// The webhook router: `POST /validate`, `POST /mutate`; 405 for other methods there, 404
/// elsewhere; a panic becomes a 500 and a log line.
pub fn webhook_router(app: Arc<App>) -> Router {
    let router = Router::new()
        .route(
            "/validate",
            post(|State(app): State<Arc<App>>, req: Request| review(app, Endpoint::Validate, req))
                .fallback(method_not_allowed),
        )
        .route(
            "/mutate",
            post(|State(app): State<Arc<App>>, req: Request| review(app, Endpoint::Mutate, req))
                .fallback(method_not_allowed),
        )
        .fallback(not_found)
        .with_state(app);
    guarded(router)
}

/// The layers around every webhook route: a panic becomes a 500 and a log line.
fn guarded(router: Router) -> Router {
    router.layer(tower_http::catch_panic::CatchPanicLayer::custom(
        panic_response,
    ))
}

/// The side-port router: `/healthz`, `/readyz`, `/metrics`.
pub fn probe_router(metrics: Arc<Metrics>, health: Arc<Health>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/readyz",
            get(move || {
                let ready = health.is_ready();
                async move {
                    if ready {
                        (StatusCode::OK, "ok\n")
                    } else {
                        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
                    }
                }
            }),
        )
        .route(
            "/metrics",
            get(move || {
                let text = metrics.encode();
                async move {
                    (
                        [(
                            header::CONTENT_TYPE,
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        )],
                        text,
                    )
                }
            }),
        )
        .fallback(not_found)
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn error_response(status: StatusCode, message: &str) -> Response {
    let reason = match status {
        StatusCode::BAD_REQUEST => "BadRequest",
        StatusCode::NOT_FOUND => "NotFound",
        StatusCode::METHOD_NOT_ALLOWED => "MethodNotAllowed",
        StatusCode::PAYLOAD_TOO_LARGE => "RequestEntityTooLarge",
        StatusCode::SERVICE_UNAVAILABLE => "ServiceUnavailable",
        StatusCode::GATEWAY_TIMEOUT => "Timeout",
        _ => "InternalError",
    };
    let body = admission::error_status(status.as_u16(), reason, message);
    json_response(status, serde_json::to_vec(&body).unwrap_or_default())
}

async fn not_found(req: Request) -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        &format!(
            "no route {}; the webhook serves POST /validate and POST /mutate",
            req.uri().path()
        ),
    )
}

async fn method_not_allowed(req: Request) -> Response {
    let mut resp = error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!(
            "{} {}: only POST is served here",
            req.method(),
            req.uri().path()
        ),
    );
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    resp
}

fn panic_response(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    tracing::error!(panic = %what, "handler panicked; answered 500");
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error while answering this review; the server logged it",
    )
}

/// Parses a Go `time.Duration` string as client-go writes the `timeout` query parameter
/// (`k8s.io/client-go/rest/request.go`, `(*Request).URL`: `r.timeout.String()`), such as
/// `10s`, `1m0s`, `1.5s` or `500ms`.
pub fn parse_go_duration(s: &str) -> Option<Duration> {
    if s == "0" {
        return Some(Duration::ZERO);
    }
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest.is_empty() || rest.starts_with('-') {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * scale;
    }
    Duration::try_from_secs_f64(total).ok()
}

/// The deadline of a request: its `timeout` query parameter, capped, or the default.
fn deadline(query: Option<&str>, limits: &Limits) -> Result<Duration, String> {
    let value = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("timeout="));
    match value {
        None => Ok(limits.default_timeout),
        Some(v) => match parse_go_duration(v) {
            Some(d) if !d.is_zero() => Ok(d.min(limits.max_timeout)),
            _ => Err(format!(
                "query parameter timeout={v:?} is not a positive duration such as 10s"
            )),
        },
    }
}

enum Failure {
    BadRequest(String),
    TooLarge(usize),
    Timeout(Duration),
    Overloaded,
}

impl Failure {
    fn result(&self) -> &'static str {
        match self {
            Failure::BadRequest(_) => "bad_request",
            Failure::TooLarge(_) => "too_large",
            Failure::Timeout(_) => "timeout",
            Failure::Overloaded => "overloaded",
        }
    }

    fn response(&self) -> Response {
        match self {
            Failure::BadRequest(m) => error_response(StatusCode::BAD_REQUEST, m),
            Failure::TooLarge(limit) => error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "request body is larger than the limit of {limit} bytes (--max-body-bytes)"
                ),
            ),
            Failure::Timeout(d) => error_response(
                StatusCode::GATEWAY_TIMEOUT,
                &format!("the review was not answered within its deadline of {d:?}"),
            ),
            Failure::Overloaded => error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is shutting down",
            ),
        }
    }
}

async fn read_and_review(app: &App, endpoint: Endpoint, body: Body) -> Result<Reviewed, Failure> {
    let _permit = app
        .in_flight
        .acquire()
        .await
        .map_err(|_| Failure::Overloaded)?;
    let max = app.limits.max_body_bytes;
    let bytes = match Limited::new(body, max).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => return Err(Failure::TooLarge(max)),
        Err(e) => return Err(Failure::BadRequest(format!("cannot read the body: {e}"))),
    };
    admission::review_bytes(&bytes, endpoint, &app.policy)
        .map_err(|e| Failure::BadRequest(e.to_string()))
}

fn endpoint_name(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Validate => "validate",
        Endpoint::Mutate => "mutate",
    }
}

async fn review(app: Arc<App>, endpoint: Endpoint, req: Request) -> Response {
    let start = Instant::now();
    let _in_flight = app.metrics.in_flight();
    let name = endpoint_name(endpoint);
    let result = async {
        let deadline = deadline(req.uri().query(), &app.limits).map_err(Failure::BadRequest)?;
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > app.limits.max_body_bytes as u64) {
            return Err(Failure::TooLarge(app.limits.max_body_bytes));
        }
        tokio::time::timeout(deadline, read_and_review(&app, endpoint, req.into_body()))
            .await
            .unwrap_or(Err(Failure::Timeout(deadline)))
    }
    .await;
    let elapsed = start.elapsed();
    match result {
        Ok(reviewed) => {
            let body = serde_json::to_vec(&reviewed.response).unwrap_or_default();
            log_review(name, &reviewed, body.len(), elapsed);
            count_review(&app.metrics, name, &reviewed, elapsed);
            json_response(StatusCode::OK, body)
        }
        Err(failure) => {
            tracing::warn!(
                endpoint = name,
                status = failure.response().status().as_u16(),
                error = %match &failure {
                    Failure::BadRequest(m) => m.clone(),
                    _ => failure.result().to_string(),
                },
                latency_us = elapsed.as_micros() as u64,
                "review refused"
            );
            app.metrics.request(
                &RequestLabels {
                    endpoint: name,
                    operation: "unknown",
                    result: failure.result(),
                },
                elapsed.as_secs_f64(),
            );
            failure.response()
        }
    }
}

fn operation_name(op: &kube::core::admission::Operation) -> &'static str {
    use kube::core::admission::Operation;
    match op {
        Operation::Create => "CREATE",
        Operation::Update => "UPDATE",
        Operation::Delete => "DELETE",
        Operation::Connect => "CONNECT",
    }
}

fn result_name(reviewed: &Reviewed) -> &'static str {
    let r = &reviewed.response.response;
    if !r.allowed {
        "denied"
    } else if r.patch.is_some() {
        "patched"
    } else {
        "allowed"
    }
}

fn count_review(metrics: &Metrics, endpoint: &'static str, reviewed: &Reviewed, elapsed: Duration) {
    metrics.request(
        &RequestLabels {
            endpoint,
            operation: operation_name(&reviewed.request.operation),
            result: result_name(reviewed),
        },
        elapsed.as_secs_f64(),
    );
    if !reviewed.response.response.allowed {
        metrics.denied(
            reviewed
                .outcome
                .rules
                .iter()
                .filter(|(_, s)| *s == Severity::Error)
                .map(|(r, _)| *r),
        );
    }
    if reviewed.response.response.patch.is_some() {
        metrics.patched(reviewed.outcome.patch_operations);
    }
}

/// One line per review; never the object.
fn log_review(
    endpoint: &'static str,
    reviewed: &Reviewed,
    response_bytes: usize,
    elapsed: Duration,
) {
    let req = &reviewed.request;
    let rules = reviewed
        .outcome
        .rules
        .iter()
        .map(|(r, _)| r.as_str())
        .collect::<Vec<_>>()
        .join(",");
    tracing::info!(
        target: super::REVIEW_TARGET,
        uid = %req.uid,
        endpoint,
        kind = %format_args!("{}/{}", req.kind.group, req.kind.kind),
        namespace = req.namespace.as_deref().unwrap_or(""),
        name = %req.name,
        operation = operation_name(&req.operation),
        allowed = reviewed.response.response.allowed,
        checked = reviewed.outcome.checked,
        rules = %rules,
        patch_ops = reviewed.outcome.patch_operations,
        response_bytes,
        latency_us = elapsed.as_micros() as u64,
        "review"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        let rows: &[(&str, Option<f64>, &str)] = &[
            ("10s", Some(10.0), "what the API server sends by default"),
            ("1m0s", Some(60.0), "Go prints a minute this way"),
            ("1.5s", Some(1.5), "fractions"),
            ("500ms", Some(0.5), "milliseconds"),
            ("1h2m3s", Some(3723.0), "every unit at once"),
            ("250us", Some(0.000_25), "microseconds, ASCII"),
            ("250µs", Some(0.000_25), "microseconds, as Go prints them"),
            ("0", Some(0.0), "bare zero"),
            ("", None, "empty"),
            ("10", None, "a number needs a unit"),
            ("-1s", None, "negative"),
            ("10x", None, "unknown unit"),
            ("s", None, "unit without number"),
        ];
        for (input, want, why) in rows {
            let got = parse_go_duration(input).map(|d| d.as_secs_f64());
            match (got, want) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{input}: {why}: {g}"),
                (None, None) => {}
                _ => panic!("{input}: {why}: got {got:?}"),
            }
        }
    }

    #[test]
    fn deadline_from_query() {
        let limits = Limits::default();
        assert_eq!(deadline(None, &limits), Ok(Duration::from_secs(10)));
        assert_eq!(
            deadline(Some("timeout=5s"), &limits),
            Ok(Duration::from_secs(5))
        );
        assert_eq!(
            deadline(Some("a=b&timeout=2m0s"), &limits),
            Ok(Duration::from_secs(30)),
            "capped at the API server's maximum"
        );
        assert!(deadline(Some("timeout=soon"), &limits).is_err());
        assert!(deadline(Some("timeout=0s"), &limits).is_err());
    }

    /// A panic anywhere under the layer stack is a 500 with a Status body, not a crash.
    #[tokio::test]
    async fn panic_becomes_500() {
        use tower::ServiceExt;
        async fn boom() -> &'static str {
            panic!("boom")
        }
        let router = guarded(Router::new().route("/boom", get(boom)));
        let resp = router
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], 500);
        assert_eq!(v["kind"], "Status");
    }
}
