//! The HTTP handlers: `POST /validate` and `POST /mutate` on the TLS port, the probes on the
//! side port. They add transport only (deadline, body limit, metrics, the log line); the
//! answer comes from [`crate::admission`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use http_body_util::BodyExt;

use super::errors::{Failure, error_response, json_response};
use super::logging::log_review;
use super::metrics::{Metrics, RequestResult};
use super::state::{App, Health, Limits};
use crate::admission::{self, Endpoint, Reviewed};
use crate::policy::Severity;

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
        .fallback(|req: Request| async move {
            error_response(
                StatusCode::NOT_FOUND,
                &format!(
                    "no route {}; this port serves /healthz, /readyz and /metrics",
                    req.uri().path()
                ),
            )
        })
}

async fn not_found(State(app): State<Arc<App>>, req: Request) -> Response {
    let message = format!(
        "no route {}; the webhook serves POST /validate and POST /mutate",
        req.uri().path()
    );
    drain(req.into_body(), &app.limits).await;
    error_response(StatusCode::NOT_FOUND, &message)
}

async fn method_not_allowed(State(app): State<Arc<App>>, req: Request) -> Response {
    let message = format!(
        "{} {}: only POST is served here",
        req.method(),
        req.uri().path()
    );
    drain(req.into_body(), &app.limits).await;
    let mut resp = error_response(StatusCode::METHOD_NOT_ALLOWED, &message);
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    resp
}

/// Reads and discards what is left of a request body, up to `limits.drain_bytes` and
/// `limits.drain_time`, before an early answer is sent.
///
/// Answering before the body is read lets hyper's HTTP/2 stream end in a `RST_STREAM`
/// (`CANCEL` when the request body is dropped before the response is flushed), which
/// clients such as curl and Go's `net/http` report as a stream error instead of the status
/// the server chose; over HTTP/1.1 it costs the keep-alive connection. RFC 9113 §8.1 lets a
/// server answer early; reading the rest first is what makes every client see the answer.
/// A body larger than the bound is left unread (the client then sees a reset, as it would
/// from any server that stops reading).
async fn drain(mut body: Body, limits: &Limits) {
    let mut left = limits.drain_bytes;
    let read = async {
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return };
            if let Some(data) = frame.data_ref() {
                if data.len() >= left {
                    return;
                }
                left -= data.len();
            }
        }
    };
    let _ = tokio::time::timeout(limits.drain_time, read).await;
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

/// The longest `?timeout=` text read, and the largest number in it: far beyond the
/// API server's 30 s limit, and small enough that the sum cannot overflow a duration.
const MAX_TIMEOUT_TEXT: usize = 32;
const MAX_TIMEOUT_NUMBER: f64 = 1e9;

/// A `?timeout=` value: a Go `time.Duration` as client-go writes it
/// (`k8s.io/client-go/rest/request.go`, `(*Request).URL`: `r.timeout.String()`, such as
/// `10s` or `1m0s`), parsed by kube-core's `Duration`. A negative or zero one is refused.
fn parse_timeout(v: &str) -> Option<Duration> {
    // kube-core's parser panics on a duration too large for `std::time::Duration`; no
    // real deadline comes near the bounds checked first.
    let numbers_small = v
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|n| !n.is_empty())
        .all(|n| n.parse::<f64>().is_ok_and(|x| x < MAX_TIMEOUT_NUMBER));
    if v.is_empty() || v.len() > MAX_TIMEOUT_TEXT || !numbers_small {
        return None;
    }
    let d: kube::core::Duration = v.parse().ok()?;
    if d.is_negative() {
        return None;
    }
    Some(d.into())
}

/// The deadline of a request: its `timeout` query parameter, capped, or the default.
fn deadline(query: Option<&str>, limits: &Limits) -> Result<Duration, String> {
    let value = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("timeout="));
    match value {
        None => Ok(limits.default_timeout),
        Some(v) => match parse_timeout(v) {
            Some(d) if !d.is_zero() => Ok(d.min(limits.max_timeout)),
            _ => Err(format!(
                "query parameter timeout={v:?} is not a positive duration such as 10s"
            )),
        },
    }
}

/// The `Content-Length` a request declares, if any.
fn content_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// What the parsed view of a body costs beyond the body itself, per JSON value: every
/// value but the root starts after a `,`, `[`, `{` or `:` of the text, and costs a `Node`
/// (32 bytes) and, in an object, a key (24 bytes). Counting those bytes bounds the memory a
/// body can make the server build, whatever its shape (a body of `[{},{},…]` builds far
/// more than one of long strings).
const BYTES_PER_VALUE: usize = 64;

fn structural_bytes(data: &[u8]) -> usize {
    // `[` (0x5B) and `{` (0x7B) differ only in bit 0x20. Counted in blocks whose tally fits
    // a `u8`, without branches, so that the compiler vectorises the loop: every body byte
    // passes through here, and a byte-at-a-time filter cost as much as the policy checks.
    fn structural(b: u8) -> u8 {
        u8::from(b == b',') | u8::from(b == b':') | u8::from(b | 0x20 == b'{')
    }
    let mut blocks = data.chunks_exact(255);
    let mut total = 0usize;
    for block in &mut blocks {
        let n = block
            .iter()
            .fold(0u8, |n, &b| n.wrapping_add(structural(b)));
        total += usize::from(n);
    }
    total
        + blocks
            .remainder()
            .iter()
            .map(|&b| usize::from(structural(b)))
            .sum::<usize>()
}

/// What a request with a declared length takes from the budget before its body is read:
/// the body and about twice its size for the view built from it (a Kubernetes object in
/// JSON builds about two to three bytes of view per byte of text).
const RESERVE_FACTOR: usize = 3;

/// Reads a request body into memory, at most `limits.max_body_bytes`, holding budget
/// (`app.body_budget`, in KiB) for the body and the view that will be built from it until
/// the review is answered.
///
/// A request that declares its length (the API server always does) reserves
/// [`RESERVE_FACTOR`] times it at once, all or nothing, waiting at most
/// `limits.budget_wait` (429 after that); what its text then turns out to need beyond that
/// (counted from its structure, [`BYTES_PER_VALUE`] per JSON value) is taken without
/// waiting, or the request gets a 429. A request without a length takes its budget as the
/// body arrives, without waiting. Nothing waits while holding budget, so a flood of large
/// reviews cannot starve every one of them: some are answered, the rest refused quickly,
/// and memory stays within the budget.
async fn read_body<'a>(
    app: &'a App,
    body: &mut Body,
    declared: Option<u64>,
) -> Result<(Bytes, Option<tokio::sync::SemaphorePermit<'a>>), Failure> {
    let max = app.limits.max_body_bytes;
    let mut held: Option<tokio::sync::SemaphorePermit<'a>> = None;
    let mut reserved = 0usize;
    if let Some(n) = declared {
        let n = usize::try_from(n).unwrap_or(usize::MAX).min(max);
        let want = n
            .saturating_mul(RESERVE_FACTOR)
            .min(app.limits.max_body_bytes_in_flight);
        take_budget(app, want, &mut held, true).await?;
        reserved = want;
    }
    // A body that arrives in one frame (most reviews: an HTTP/2 DATA frame holds 16 KiB)
    // is kept as it came; only a body in several frames is copied into one buffer.
    let mut first: Option<Bytes> = None;
    let mut buf = bytes::BytesMut::new();
    let mut len = 0usize;
    let mut needed = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Failure::BadRequest(format!("cannot read the body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if len + data.len() > max {
            return Err(Failure::TooLarge(max));
        }
        len += data.len();
        needed += data.len() + structural_bytes(&data).saturating_mul(BYTES_PER_VALUE);
        if needed > reserved {
            take_budget(app, needed - reserved, &mut held, false).await?;
            reserved = needed;
        }
        match first.take() {
            None if buf.is_empty() => first = Some(data),
            None => buf.extend_from_slice(&data),
            Some(earlier) => {
                buf.reserve(declared.map_or(0, |n| n.min(max as u64) as usize).max(len));
                buf.extend_from_slice(&earlier);
                buf.extend_from_slice(&data);
            }
        }
    }
    Ok((first.unwrap_or_else(|| buf.freeze()), held))
}

/// Takes `n` bytes (rounded up to KiB) from the budget of memory in flight and adds them
/// to `held`; when there is no room, waits at most `limits.budget_wait` if `wait`, else
/// fails at once.
async fn take_budget<'a>(
    app: &'a App,
    n: usize,
    held: &mut Option<tokio::sync::SemaphorePermit<'a>>,
    wait: bool,
) -> Result<(), Failure> {
    let want = u32::try_from(n.div_ceil(1024)).unwrap_or(u32::MAX);
    if want == 0 {
        return Ok(());
    }
    let permit = match app.body_budget.try_acquire_many(want) {
        Ok(p) => p,
        Err(_) if !wait => return Err(Failure::Busy),
        Err(_) => tokio::time::timeout(app.limits.budget_wait, app.body_budget.acquire_many(want))
            .await
            .map_err(|_| Failure::Busy)?
            .map_err(|_| Failure::Overloaded)?,
    };
    match held {
        Some(h) => h.merge(permit),
        None => *held = Some(permit),
    }
    Ok(())
}

/// Everything between the request and the review: deadline, size, budget, parse, answer.
async fn answer(
    app: &App,
    endpoint: Endpoint,
    parts: &axum::http::request::Parts,
    body: &mut Body,
) -> Result<Reviewed, Failure> {
    let deadline = deadline(parts.uri.query(), &app.limits).map_err(Failure::BadRequest)?;
    let declared = content_length(&parts.headers);
    if declared.is_some_and(|n| n > app.limits.max_body_bytes as u64) {
        return Err(Failure::TooLarge(app.limits.max_body_bytes));
    }
    let work = async {
        let _permit = app
            .in_flight
            .acquire()
            .await
            .map_err(|_| Failure::Overloaded)?;
        let (bytes, _budget) = read_body(app, body, declared).await?;
        admission::review_bytes(&bytes, endpoint, &app.policy)
            .map_err(|e| Failure::BadRequest(e.to_string()))
    };
    tokio::time::timeout(deadline, work)
        .await
        .unwrap_or(Err(Failure::Timeout(deadline)))
}

async fn review(app: Arc<App>, endpoint: Endpoint, req: Request) -> Response {
    let start = Instant::now();
    let _in_flight = app.metrics.in_flight();
    let (parts, mut body) = req.into_parts();
    let result = answer(&app, endpoint, &parts, &mut body).await;
    let elapsed = start.elapsed();
    match result {
        Ok(reviewed) => {
            let body = serde_json::to_vec(&reviewed.response).unwrap_or_default();
            log_review(endpoint, &reviewed, body.len(), elapsed);
            count_review(&app.metrics, endpoint, &reviewed, elapsed);
            json_response(StatusCode::OK, body)
        }
        Err(failure) => {
            tracing::warn!(
                endpoint = endpoint.as_str(),
                status = failure.status().as_u16(),
                error = %failure.message(),
                latency_us = elapsed.as_micros() as u64,
                "review refused"
            );
            app.metrics
                .request(endpoint, None, failure.result(), elapsed.as_secs_f64());
            if failure.unread_body() {
                drain(body, &app.limits).await;
            }
            failure.response()
        }
    }
}

fn result_of(reviewed: &Reviewed) -> RequestResult {
    let r = &reviewed.response.response;
    if !r.allowed {
        RequestResult::Denied
    } else if r.patch.is_some() {
        RequestResult::Patched
    } else {
        RequestResult::Allowed
    }
}

fn count_review(metrics: &Metrics, endpoint: Endpoint, reviewed: &Reviewed, elapsed: Duration) {
    metrics.request(
        endpoint,
        Some(&reviewed.request.operation),
        result_of(reviewed),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structural_bytes_counts_separators_and_openers() {
        let naive = |d: &[u8]| {
            d.iter()
                .filter(|b| matches!(b, b',' | b'[' | b'{' | b':'))
                .count()
        };
        // Every byte value, in lengths around the block size.
        let all: Vec<u8> = (0..=255u8).cycle().take(255 * 3 + 17).collect();
        for len in [0, 1, 254, 255, 256, 510, all.len()] {
            assert_eq!(
                structural_bytes(&all[..len]),
                naive(&all[..len]),
                "len {len}"
            );
        }
        let dense = b"[{:,".repeat(200);
        assert_eq!(structural_bytes(&dense), 800);
        assert_eq!(structural_bytes(br#"{"a":[1,{}]}"#), 5);
    }

    #[test]
    fn go_durations() {
        let rows: &[(&str, Option<f64>, &str)] = &[
            (
                "99999999999999999999h",
                None,
                "a number too large for a duration is refused, not a panic",
            ),
            ("+10s", Some(10.0), "a plus sign"),
            ("10s", Some(10.0), "what the API server sends by default"),
            ("1m0s", Some(60.0), "Go prints a minute this way"),
            ("1.5s", Some(1.5), "fractions"),
            ("500ms", Some(0.5), "milliseconds"),
            ("1h2m3s", Some(3723.0), "every unit at once"),
            ("250us", Some(0.000_25), "microseconds, ASCII"),
            ("250µs", Some(0.000_25), "microseconds, as Go prints them"),
            (
                "0",
                Some(0.0),
                "bare zero (refused by deadline as not positive)",
            ),
            ("", None, "empty"),
            ("10", None, "a number needs a unit"),
            ("-1s", None, "negative"),
            ("10x", None, "unknown unit"),
            ("s", None, "unit without number"),
        ];
        for (input, want, why) in rows {
            let got = parse_timeout(input).map(|d| d.as_secs_f64());
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
