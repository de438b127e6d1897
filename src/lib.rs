//! dsguard: an admission webhook and offline policy validator for Kubernetes DaemonSets.
//!
//! The policy engine ([`policy`]) is pure: it takes a `serde_json::Value` and a [`policy::Policy`]
//! and returns violations and JSON patches. Around it sit manifest reading ([`manifest`],
//! [`yaml`]), configuration ([`config`]), the AdmissionReview code path ([`admission`]) and
//! output formats ([`report`]), the webhook server ([`server`]) and certificate making
//! ([`certs`]). The binary (`src/main.rs`) is a thin command-line shell.
//!
//! ```
//! use dsguard::policy::{self, Checks, MutateMode, Policy, RuleId};
//! let ds = serde_json::json!({
//!     "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
//!     "spec": {"selector": {"matchLabels": {"app": "agent"}},
//!              "template": {"metadata": {"labels": {"app": "agent-v2"}},
//!                           "spec": {"containers": [{"name": "agent", "image": "agent:1.0",
//!                                     "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}}}]}}}
//! });
//! let policy = Policy::default();
//! let violations = policy::validate(&ds, None, &policy, Checks::OFFLINE);
//! assert_eq!(violations[0].rule, RuleId::SelectorMismatch);
//! assert_eq!(violations[0].path.to_string(), "spec.template.metadata.labels");
//! // The default toleration and nodeSelector are added.
//! assert_eq!(policy::mutate(&ds, &policy, MutateMode::Offline).0.len(), 2);
//! ```
#![deny(missing_docs)]

pub mod admission;
pub mod audit;
pub mod certs;
pub mod check;
pub mod commands;
pub mod config;
pub mod fix;
pub mod kube_client;
pub mod manifest;
pub mod policies;
pub mod policy;
pub mod previous;
pub mod progress;
pub mod report;
pub mod reports_apply;
pub mod server;
pub mod yaml;
pub mod yaml_edit;
