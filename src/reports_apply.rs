//! `dsguard audit --apply-reports`: writes the audit's policy reports
//! ([`crate::report::policyreport`]) into the cluster by server-side apply, and deletes
//! dsguard's reports of namespaces that no longer have DaemonSets.
//!
//! * Each report is applied whole (`PATCH`, `application/apply-patch+yaml`,
//!   `fieldManager=dsguard`, `force=true`) to
//!   `/apis/openreports.io/v1alpha1/namespaces/NS/reports/dsguard` (or the
//!   `wgpolicyk8s.io/v1alpha2` `policyreports` path). `results` is a list without merge keys
//!   (atomic), and dsguard is its only manager, so the applied list replaces the stored one:
//!   the results of DaemonSets deleted since the last audit go with it.
//! * A namespace whose DaemonSets are all gone gets no report from this audit; its old one
//!   is deleted: the reports labelled `app.kubernetes.io/managed-by=dsguard` are listed
//!   (all namespaces) before applying, and those this audit did not write are deleted
//!   afterwards. Only when the audit covered every DaemonSet (no `--namespace`, no
//!   `--selector`): a partial audit cannot tell a namespace without DaemonSets from one it
//!   did not look at. Cluster-scoped reports are never listed or deleted (an audit of live
//!   DaemonSets, which are namespaced, writes none).
//! * A missing CRD is a 404 on the resource's path that names no object (a `Status` saying
//!   the server could not find the requested resource, or a plain-text body): said as such,
//!   with where to get the CRD.

use std::collections::BTreeSet;

use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::Value;

use crate::audit::{AuditError, Target};
use crate::report::policyreport::{MANAGED_BY, MANAGER, ReportApi};

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// The reports applied, as `namespace/name` (`name` for a cluster-scoped one).
    pub applied: Vec<String>,
    /// The stale reports deleted, as `namespace/name`.
    pub deleted: Vec<String>,
}

impl Applied {
    /// One line for stderr: what was applied and deleted.
    pub fn line(&self, api: ReportApi) -> String {
        let list = |v: &[String]| {
            if v.is_empty() {
                String::new()
            } else {
                format!(" ({})", v.join(", "))
            }
        };
        let mut line = format!(
            "applied {} {} {}(s){}",
            self.applied.len(),
            api.api_version(),
            api.kind(true),
            list(&self.applied)
        );
        if !self.deleted.is_empty() {
            line.push_str(&format!(
                "; deleted {} stale{}",
                self.deleted.len(),
                list(&self.deleted)
            ));
        }
        line
    }
}

fn resource(api: ReportApi, namespaced: bool) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(api.group(), api.version(), api.kind(namespaced)),
        api.plural(namespaced),
    )
}

/// Applies `reports` (built by [`crate::report::Reporter::policy_reports`]); with `prune`,
/// deletes dsguard's reports that are not among them.
pub(crate) async fn apply(
    client: &Client,
    target: &Target,
    reports: &[Value],
    api: ReportApi,
    prune: bool,
    page_size: u32,
) -> Result<Applied, AuditError> {
    let namespaced = resource(api, true);
    let existing = if prune {
        list_managed(client, target, api, &namespaced, page_size).await?
    } else {
        Vec::new()
    };
    let params = PatchParams::apply(MANAGER).force();
    let mut applied = Applied::default();
    let mut written = BTreeSet::new();
    for report in reports {
        let name = report["metadata"]["name"].as_str().unwrap_or_default();
        let ns = report["metadata"]["namespace"].as_str();
        let (objects, key): (Api<DynamicObject>, String) = match ns {
            Some(ns) => (
                Api::namespaced_with(client.clone(), ns, &namespaced),
                format!("{ns}/{name}"),
            ),
            None => (
                Api::all_with(client.clone(), &resource(api, false)),
                name.to_string(),
            ),
        };
        objects
            .patch(name, &params, &Patch::Apply(report))
            .await
            .map_err(|e| request_error(e, "patch", api, ns.is_some(), ns, target))?;
        written.insert((ns.map(String::from), name.to_string()));
        applied.applied.push(key);
    }
    for (ns, name) in existing {
        if written.contains(&(Some(ns.clone()), name.clone())) {
            continue;
        }
        let objects: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &namespaced);
        match objects.delete(&name, &DeleteParams::default()).await {
            Ok(_) => {}
            // Deleted meanwhile: what was wanted.
            Err(kube::Error::Api(s)) if s.code == 404 && names_object(&s) => {}
            Err(e) => return Err(request_error(e, "delete", api, true, Some(&ns), target)),
        }
        applied.deleted.push(format!("{ns}/{name}"));
    }
    Ok(applied)
}

/// The `(namespace, name)` of every namespaced report labelled as dsguard's, in pages.
async fn list_managed(
    client: &Client,
    target: &Target,
    api: ReportApi,
    resource: &ApiResource,
    page_size: u32,
) -> Result<Vec<(String, String)>, AuditError> {
    let objects: Api<DynamicObject> = Api::all_with(client.clone(), resource);
    let mut params = ListParams::default()
        .labels(&format!("{MANAGED_BY}={MANAGER}"))
        .limit(page_size.max(1));
    let mut out = Vec::new();
    loop {
        let page = objects
            .list(&params)
            .await
            .map_err(|e| request_error(e, "list", api, true, None, target))?;
        let next = page.metadata.continue_.clone().filter(|c| !c.is_empty());
        for item in page.items {
            let m = &item.metadata;
            // The selector asked the server; check again rather than delete another's report.
            let ours = m
                .labels
                .as_ref()
                .and_then(|l| l.get(MANAGED_BY))
                .is_some_and(|v| v == MANAGER);
            if let (true, Some(ns), Some(name)) = (ours, &m.namespace, &m.name) {
                out.push((ns.clone(), name.clone()));
            }
        }
        match next {
            Some(token) => params = params.continue_token(&token),
            None => break,
        }
    }
    Ok(out)
}

/// Whether a 404 is about a named object (`reports.openreports.io "x" not found`,
/// `namespaces "x" not found`) rather than about the resource path itself.
fn names_object(s: &kube::core::Status) -> bool {
    s.details.as_ref().is_some_and(|d| !d.name.is_empty())
}

/// The message for a failed request on reports: `verb` is the RBAC verb.
fn request_error(
    e: kube::Error,
    verb: &str,
    api: ReportApi,
    namespaced: bool,
    namespace: Option<&str>,
    target: &Target,
) -> AuditError {
    let url = &target.url;
    let resource = format!("{}.{}", api.plural(namespaced), api.group());
    let scope = match namespace {
        Some(ns) => format!("in namespace {ns:?}"),
        None if namespaced => "cluster-wide (all namespaces)".to_string(),
        None => "(cluster-scoped)".to_string(),
    };
    AuditError(match e {
        kube::Error::Api(status) if status.code == 404 && !names_object(&status) => {
            format!(
                "the {} {} CRD is not installed in this cluster: install it (kubectl apply -f {}) or use --policyreport-api {}",
                api.api_version(),
                api.kind(namespaced),
                api.crd_url(),
                api.other().api_version()
            )
        }
        kube::Error::Api(status) => match status.code {
            401 => format!(
                "{url} refused the credentials (401 Unauthorized): {}; log in again or fix the user of context {:?} in the kubeconfig",
                status.message, target.context
            ),
            403 => format!(
                "forbidden (403): RBAC must allow the verb `{verb}` on `{resource}` {scope} for --apply-reports; grant it (manifests/components/audit-cronjob): {}",
                status.message
            ),
            code => format!(
                "cannot {verb} {resource} {scope}: {url} answered {code} {}: {}",
                status.reason, status.message
            ),
        },
        other => format!(
            "cannot {verb} {resource} {scope} at {url}: {}",
            crate::audit::error_chain(&other).join(": ")
        ),
    })
}
