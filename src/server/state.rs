//! What the webhook's handlers share: the policy, metrics, limits and readiness.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::metrics::Metrics;
use crate::policy::Policy;

/// Limits applied to every webhook request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// Body bytes held in memory across all requests at once.
    pub max_body_bytes_in_flight: usize,
    /// How long a request waits for room in that budget before a 429.
    pub budget_wait: Duration,
    /// Most bytes of an unread body read and discarded before an early answer.
    pub drain_bytes: usize,
    /// Longest time spent doing so.
    pub drain_time: Duration,
    /// Deadline when the request carries no `?timeout=`.
    pub default_timeout: Duration,
    /// Upper bound of a `?timeout=` deadline.
    pub max_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_body_bytes_in_flight: 4 * DEFAULT_MAX_BODY_BYTES,
            budget_wait: Duration::from_secs(1),
            drain_bytes: 4 * DEFAULT_MAX_BODY_BYTES,
            drain_time: Duration::from_secs(5),
            // The API server's default webhook timeout, and its maximum
            // (k8s.io/api admissionregistration/v1 `timeoutSeconds`: 1 to 30, default 10).
            default_timeout: Duration::from_secs(10),
            max_timeout: Duration::from_secs(30),
        }
    }
}

/// The largest request body accepted by default: room for the largest UPDATE an API server
/// can send. Each object of a request is at most 3 MiB as the API server reads it
/// (k8s.io/apiserver `pkg/server/config.go`, `NewConfig`: `MaxRequestBodyBytes: 3 * 1024 *
/// 1024`), an UPDATE review carries two (`object` and `oldObject`), and an object the API
/// server received as protobuf or YAML is written to the webhook as JSON, which can be
/// about twice as large (field names instead of tags, base64 for bytes): 2 × 3 MiB × 2,
/// plus the envelope, rounded up to 16 MiB. Memory is bounded by the budget of bytes in
/// flight across all requests, not by this per-request cap.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

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
    /// The budget of body bytes in flight, in KiB permits.
    pub body_budget: Semaphore,
    /// Readiness.
    pub health: Arc<Health>,
}

impl App {
    /// The shared state of a server with these settings.
    pub fn new(
        policy: Policy,
        metrics: Arc<Metrics>,
        limits: Limits,
        max_in_flight: usize,
        health: Arc<Health>,
    ) -> Self {
        let budget_kib = limits.max_body_bytes_in_flight.div_ceil(1024).max(1);
        App {
            policy,
            metrics,
            limits,
            in_flight: Semaphore::new(max_in_flight),
            body_budget: Semaphore::new(budget_kib.min(Semaphore::MAX_PERMITS)),
            health,
        }
    }
}
