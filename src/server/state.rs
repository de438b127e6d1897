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
