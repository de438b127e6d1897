//! dsguard: an admission webhook and offline policy validator for Kubernetes DaemonSets.
//!
//! The policy engine ([`policy`]) is pure: it takes a `serde_json::Value` and a [`policy::Policy`]
//! and returns violations and JSON patches. Around it sit manifest reading ([`manifest`],
//! [`yaml`]), configuration ([`config`]), the AdmissionReview code path ([`admission`]) and
//! output formats ([`report`]). The binary (`src/main.rs`) is a thin command-line shell.
#![deny(missing_docs)]

pub mod admission;
pub mod config;
pub mod manifest;
pub mod offline;
pub mod policy;
pub mod report;
pub mod yaml;
