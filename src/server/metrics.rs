//! Prometheus metrics of the webhook, served as OpenMetrics text on the side port's `/metrics`.
//!
//! Updating a metric is an atomic add (counters, gauges) or a read-locked map lookup
//! (labelled families): nothing here blocks the request path. The series every answered
//! review touches are looked up once and kept ([`Metrics::request`]).

use std::sync::OnceLock;
use std::sync::atomic::AtomicI64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use kube::core::admission::Operation;

use super::logging::operation_name;
use crate::admission::Endpoint;
use crate::policy::RuleId;

/// What became of one webhook request: the `result` label of
/// `dsguard_admission_requests_total`.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum RequestResult {
    /// Answered, allowed without a patch.
    Allowed,
    /// Answered, denied.
    Denied,
    /// Answered, allowed with a patch.
    Patched,
    /// 400: not an AdmissionReview.
    BadRequest,
    /// 413: the body is over the limit.
    TooLarge,
    /// 504: not answered within the deadline.
    Timeout,
    /// 503 or 429: shutting down, or no room for the body.
    Overloaded,
}

impl RequestResult {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestResult::Allowed => "allowed",
            RequestResult::Denied => "denied",
            RequestResult::Patched => "patched",
            RequestResult::BadRequest => "bad_request",
            RequestResult::TooLarge => "too_large",
            RequestResult::Timeout => "timeout",
            RequestResult::Overloaded => "overloaded",
        }
    }

    /// Index among the answered results, for the kept series.
    fn answered_index(self) -> Option<usize> {
        match self {
            RequestResult::Allowed => Some(0),
            RequestResult::Denied => Some(1),
            RequestResult::Patched => Some(2),
            _ => None,
        }
    }
}

/// Labels of `dsguard_admission_requests_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: &'static str,
    operation: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleLabels {
    rule: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

fn latency_histogram() -> Histogram {
    // 50 µs .. ~1.6 s: a review takes tens of microseconds; the API server's limit is 30 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

/// Every metric the server exports.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    denials: Family<RuleLabels, Counter>,
    patches: Counter,
    patch_operations: Counter,
    latency: Family<EndpointLabels, Histogram, fn() -> Histogram>,
    in_flight: Gauge<i64, AtomicI64>,
    connections: Gauge<i64, AtomicI64>,
    connections_rejected: Counter,
    handshake_errors: Counter,
    cert_expiry: Gauge<i64, AtomicI64>,
    cert_reloads: Family<ResultLabels, Counter>,
    /// The series of `requests` and `latency` for answered reviews, by [`answered_slot`]
    /// and endpoint: created on first use (no zero series for combinations never seen),
    /// then reached without hashing the labels.
    answered: [OnceLock<Counter>; ANSWERED_SLOTS],
    latency_by_endpoint: [OnceLock<Histogram>; 2],
}

const ANSWERED_SLOTS: usize = 2 * 4 * 3;

fn endpoint_index(e: Endpoint) -> usize {
    match e {
        Endpoint::Validate => 0,
        Endpoint::Mutate => 1,
    }
}

fn operation_index(op: &Operation) -> usize {
    match op {
        Operation::Create => 0,
        Operation::Update => 1,
        Operation::Delete => 2,
        Operation::Connect => 3,
    }
}

/// Where an answered review's counter is kept, or `None` for failures (whose operation is
/// unknown).
fn answered_slot(
    endpoint: Endpoint,
    operation: Option<&Operation>,
    result: RequestResult,
) -> Option<usize> {
    let o = operation_index(operation?);
    let r = result.answered_index()?;
    Some((endpoint_index(endpoint) * 4 + o) * 3 + r)
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("dsguard");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "admission_requests",
            "AdmissionReview requests answered, by endpoint, operation and result",
            requests.clone(),
        );
        let denials = Family::<RuleLabels, Counter>::default();
        registry.register(
            "admission_denials",
            "Error-severity violations in denied reviews, by rule id",
            denials.clone(),
        );
        let patches = Counter::default();
        registry.register(
            "admission_patches",
            "Mutating responses that carried a JSON Patch",
            patches.clone(),
        );
        let patch_operations = Counter::default();
        registry.register(
            "admission_patch_operations",
            "JSON Patch operations sent in mutating responses",
            patch_operations.clone(),
        );
        let latency = Family::<EndpointLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register_with_unit(
            "admission_duration",
            "Time from request head to response, by endpoint",
            Unit::Seconds,
            latency.clone(),
        );
        let in_flight = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "admission_in_flight",
            "AdmissionReview requests being answered",
            in_flight.clone(),
        );
        let connections = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "tls_connections_open",
            "Open connections on the TLS port",
            connections.clone(),
        );
        let connections_rejected = Counter::default();
        registry.register(
            "tls_connections_rejected",
            "Connections closed at once because the connection limit was reached",
            connections_rejected.clone(),
        );
        let handshake_errors = Counter::default();
        registry.register(
            "tls_handshake_errors",
            "TLS handshakes that failed or timed out",
            handshake_errors.clone(),
        );
        let cert_expiry = Gauge::<i64, AtomicI64>::default();
        registry.register_with_unit(
            "tls_certificate_expiry_timestamp",
            "notAfter of the serving certificate, as a Unix time",
            Unit::Seconds,
            cert_expiry.clone(),
        );
        let cert_reloads = Family::<ResultLabels, Counter>::default();
        registry.register(
            "tls_certificate_reloads",
            "Certificate reloads after the files changed, by result (ok or error)",
            cert_reloads.clone(),
        );
        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register("build_info", "Build information; always 1", build);
        Self {
            registry,
            requests,
            denials,
            patches,
            patch_operations,
            latency,
            in_flight,
            connections,
            connections_rejected,
            handshake_errors,
            cert_expiry,
            cert_reloads,
            answered: std::array::from_fn(|_| OnceLock::new()),
            latency_by_endpoint: std::array::from_fn(|_| OnceLock::new()),
        }
    }

    /// Counts one request and its latency. `operation` is `None` when the body could not be
    /// read (the label is `unknown`).
    pub fn request(
        &self,
        endpoint: Endpoint,
        operation: Option<&Operation>,
        result: RequestResult,
        seconds: f64,
    ) {
        let labels = || RequestLabels {
            endpoint: endpoint.as_str(),
            operation: operation.map_or("unknown", operation_name),
            result: result.as_str(),
        };
        // A family's series shares its value with its clones, so a kept clone counts in
        // the family.
        match answered_slot(endpoint, operation, result) {
            Some(i) => self.answered[i]
                .get_or_init(|| self.requests.get_or_create(&labels()).clone())
                .inc(),
            None => self.requests.get_or_create(&labels()).inc(),
        };
        self.latency_by_endpoint[endpoint_index(endpoint)]
            .get_or_init(|| {
                self.latency
                    .get_or_create(&EndpointLabels {
                        endpoint: endpoint.as_str(),
                    })
                    .clone()
            })
            .observe(seconds);
    }

    /// Counts the error-severity rules of a denial.
    pub fn denied(&self, rules: impl IntoIterator<Item = RuleId>) {
        for rule in rules {
            self.denials
                .get_or_create(&RuleLabels {
                    rule: rule.as_str(),
                })
                .inc();
        }
    }

    /// Counts a response carrying a patch of `operations` operations.
    pub fn patched(&self, operations: usize) {
        self.patches.inc();
        self.patch_operations.inc_by(operations as u64);
    }

    /// Marks a request in flight until the guard is dropped.
    pub fn in_flight(&self) -> GaugeGuard {
        GaugeGuard::new(&self.in_flight)
    }

    /// Reviews being answered now (read by the drain).
    pub fn reviews_in_flight(&self) -> i64 {
        self.in_flight.get()
    }

    /// Marks a connection open until the guard is dropped.
    pub fn connection(&self) -> GaugeGuard {
        GaugeGuard::new(&self.connections)
    }

    /// Counts a connection refused by the connection limit.
    pub fn connection_rejected(&self) {
        self.connections_rejected.inc();
    }

    /// Counts a failed TLS handshake.
    pub fn handshake_error(&self) {
        self.handshake_errors.inc();
    }

    /// Records the serving certificate's notAfter.
    pub fn certificate_expiry(&self, unix_seconds: i64) {
        self.cert_expiry.set(unix_seconds);
    }

    /// Counts a certificate reload.
    pub fn certificate_reload(&self, ok: bool) {
        let result = if ok { "ok" } else { "error" };
        self.cert_reloads
            .get_or_create(&ResultLabels { result })
            .inc();
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Decrements its gauge when dropped.
pub struct GaugeGuard(Gauge<i64, AtomicI64>);

impl GaugeGuard {
    fn new(gauge: &Gauge<i64, AtomicI64>) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
        text.lines().find(|l| l.starts_with(prefix))
    }

    /// Kept series and family lookups count into the same exported series.
    #[test]
    fn kept_series_count_in_their_family() {
        let m = Metrics::new();
        m.request(
            Endpoint::Validate,
            Some(&Operation::Create),
            RequestResult::Allowed,
            0.001,
        );
        m.request(
            Endpoint::Validate,
            Some(&Operation::Create),
            RequestResult::Allowed,
            0.001,
        );
        m.request(Endpoint::Mutate, None, RequestResult::BadRequest, 0.001);
        let ops = [
            Operation::Create,
            Operation::Update,
            Operation::Delete,
            Operation::Connect,
        ];
        let results = [
            RequestResult::Allowed,
            RequestResult::Denied,
            RequestResult::Patched,
        ];
        let slots: std::collections::HashSet<usize> = [Endpoint::Validate, Endpoint::Mutate]
            .into_iter()
            .flat_map(|e| ops.iter().map(move |o| (e, o)))
            .flat_map(|(e, o)| results.iter().map(move |r| (e, o, *r)))
            .filter_map(|(e, o, r)| answered_slot(e, Some(o), r))
            .collect();
        assert_eq!(
            slots.len(),
            ANSWERED_SLOTS,
            "every combination has its own slot"
        );
        assert!(slots.iter().all(|s| *s < ANSWERED_SLOTS));
        let text = m.encode();
        assert_eq!(
            line(
                &text,
                "dsguard_admission_requests_total{endpoint=\"validate\",operation=\"CREATE\",result=\"allowed\"}"
            ),
            Some(
                "dsguard_admission_requests_total{endpoint=\"validate\",operation=\"CREATE\",result=\"allowed\"} 2"
            ),
            "{text}"
        );
        assert!(line(&text, "dsguard_admission_requests_total{endpoint=\"mutate\",operation=\"unknown\",result=\"bad_request\"} 1").is_some());
        assert!(
            line(
                &text,
                "dsguard_admission_duration_seconds_count{endpoint=\"validate\"} 2"
            )
            .is_some(),
            "{text}"
        );
        assert!(
            line(
                &text,
                "dsguard_admission_duration_seconds_count{endpoint=\"mutate\"} 1"
            )
            .is_some()
        );
        assert!(
            line(
                &text,
                "dsguard_admission_requests_total{endpoint=\"validate\",operation=\"UPDATE\""
            )
            .is_none(),
            "no zero series for combinations never seen"
        );
    }
}
