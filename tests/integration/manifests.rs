//! manifests/ rendered with the real `kubectl kustomize`, checked for what makes the
//! install work: the webhook paths are the server's routes, the Service reaches the TLS
//! port, the caBundle is wired, dsguard's own namespace is excluded, the pods are locked
//! down and the serve flags match the ports; the optional components (audit RBAC, the
//! audit CronJob that writes policy reports) grant exactly what they need.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::{dsguard, root};

/// `kubectl kustomize DIR`, as JSON documents.
pub(crate) fn render(dir: &Path) -> Vec<Value> {
    let o = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("kubectl is installed (.ci/run installs it)");
    assert!(
        o.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    dsguard::manifest::read_documents(&o.stdout)
        .into_iter()
        .map(|e| e.content.expect("kustomize output parses").value)
        .collect()
}

/// A copy of manifests/ in `dir`, so that a test writes nothing into the repository.
fn copy_manifests(dir: &Path) -> std::path::PathBuf {
    let copy = dir.join("manifests");
    let o = Command::new("cp")
        .arg("-r")
        .arg(root().join("manifests"))
        .arg(&copy)
        .status()
        .unwrap();
    assert!(o.success());
    copy
}

/// An overlay `name` on the cert-manager one with `components`, in a copy of manifests/ in
/// `dir` (kustomize wants relative paths: the overlay sits beside the others).
fn overlay_with_components(dir: &Path, name: &str, components: &[&str]) -> std::path::PathBuf {
    let overlay = copy_manifests(dir).join("overlays").join(name);
    std::fs::create_dir(&overlay).unwrap();
    let listed: String = components
        .iter()
        .map(|c| format!("  - ../../components/{c}\n"))
        .collect();
    std::fs::write(
        overlay.join("kustomization.yaml"),
        format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../cert-manager\ncomponents:\n{listed}"
        ),
    )
    .unwrap();
    overlay
}

fn find<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn one<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    let found = find(docs, kind);
    assert_eq!(found.len(), 1, "one {kind}");
    found[0]
}

/// The Secret the Deployment mounts as its `tls` volume.
fn mounted_tls_secret(docs: &[Value]) -> Value {
    one(docs, "Deployment")["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .expect("the Deployment has volumes")
        .iter()
        .find(|v| v["name"] == "tls")
        .expect("a volume named tls")["secret"]["secretName"]
        .clone()
}

/// The port of a `--flag=host:port` argument.
fn flag_port(args: &[Value], flag: &str) -> u16 {
    args.iter()
        .filter_map(Value::as_str)
        .find_map(|a| a.strip_prefix(&format!("{flag}=")))
        .and_then(|v| v.rsplit_once(':'))
        .map(|(_, p)| p.parse().unwrap())
        .unwrap_or_else(|| panic!("{flag} is set: {args:?}"))
}

/// Checks shared by every overlay; returns the webhook configurations.
/// The restricted Pod Security profile's demands on a pod and its container: non-root,
/// the runtime's seccomp profile, a read-only root, no privilege escalation, no capabilities.
fn assert_locked_down(pod: &Value, container: &Value) {
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let sc = &container["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
}

fn check_install(docs: &[Value]) -> (Value, Value) {
    let service = one(docs, "Service");
    let ns = service["metadata"]["namespace"].as_str().unwrap();
    let deployment = one(docs, "Deployment");
    assert_eq!(deployment["metadata"]["namespace"], ns);
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let args = container["args"].as_array().unwrap();
    assert_eq!(args[0], "serve");

    // Service 443 -> the container port the server listens on.
    let https = service["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["port"] == 443)
        .expect("the Service exposes 443");
    let port_of = |name: &Value| -> u16 {
        container["ports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| &p["name"] == name)
            .and_then(|p| p["containerPort"].as_u64())
            .unwrap_or_else(|| panic!("container port {name}")) as u16
    };
    assert_eq!(port_of(&https["targetPort"]), flag_port(args, "--listen"));
    // Probes on the side port, on the server's probe routes.
    let probe_port = flag_port(args, "--probe-listen");
    for (probe, path) in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")] {
        assert_eq!(container[probe]["httpGet"]["path"], path);
        assert_eq!(port_of(&container[probe]["httpGet"]["port"]), probe_port);
    }
    // Selector of the Service and PDB select the pods.
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    for (k, v) in service["spec"]["selector"].as_object().unwrap() {
        assert_eq!(&labels[k], v, "Service selector {k}");
    }
    let pdb = one(docs, "PodDisruptionBudget");
    for (k, v) in pdb["spec"]["selector"]["matchLabels"].as_object().unwrap() {
        assert_eq!(&labels[k], v, "PDB selector {k}");
    }
    assert_eq!(deployment["spec"]["replicas"], 2);

    // Locked down.
    assert_locked_down(pod, container);
    for kind in ["requests", "limits"] {
        for r in ["cpu", "memory"] {
            assert!(container["resources"][kind][r].is_string(), "{kind}.{r}");
        }
    }
    // The certificate Secret is mounted where --tls-cert points.
    let tls_volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "tls")
        .unwrap();
    let mount = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "tls")
        .unwrap();
    let cert_flag = args
        .iter()
        .filter_map(Value::as_str)
        .find_map(|a| a.strip_prefix("--tls-cert="))
        .unwrap();
    assert!(cert_flag.starts_with(mount["mountPath"].as_str().unwrap()));
    assert!(
        mount.get("subPath").is_none(),
        "no subPath, so renewals reach the pod"
    );
    assert!(tls_volume["secret"]["secretName"].is_string());
    // The config file the flags name comes from the ConfigMap, and dsguard accepts it.
    let config = one(docs, "ConfigMap");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yaml");
    std::fs::write(&file, config["data"]["config.yaml"].as_str().unwrap()).unwrap();
    let o = dsguard(
        &[
            "validate",
            "--config",
            file.to_str().unwrap(),
            "examples/node-exporter.yaml",
        ],
        None,
    );
    assert_eq!(
        crate::code(&o),
        0,
        "the shipped config loads: {}",
        crate::err(&o)
    );

    // Webhooks.
    let validating = one(docs, "ValidatingWebhookConfiguration").clone();
    let mutating = one(docs, "MutatingWebhookConfiguration").clone();
    for (cfg, path) in [(&validating, "/validate"), (&mutating, "/mutate")] {
        let hooks = cfg["webhooks"].as_array().unwrap();
        assert_eq!(hooks.len(), 1);
        let w = &hooks[0];
        let svc = &w["clientConfig"]["service"];
        assert_eq!(svc["path"], path, "the server's route");
        assert_eq!(svc["name"], service["metadata"]["name"]);
        assert_eq!(svc["namespace"], ns);
        assert_eq!(svc["port"], 443);
        assert_eq!(w["admissionReviewVersions"], serde_json::json!(["v1"]));
        assert_eq!(w["sideEffects"], "None");
        assert_eq!(w["matchPolicy"], "Equivalent");
        assert!(
            w["failurePolicy"].is_string(),
            "failurePolicy chosen explicitly"
        );
        assert!(
            w["timeoutSeconds"]
                .as_u64()
                .is_some_and(|t| (1..=30).contains(&t))
        );
        assert_eq!(
            w["rules"],
            serde_json::json!([{"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                               "resources": ["daemonsets"], "scope": "Namespaced"}])
        );
        // Self-exclusion, by name and by the opt-out label the Namespace carries.
        let exprs = w["namespaceSelector"]["matchExpressions"]
            .as_array()
            .unwrap();
        let by_name = exprs
            .iter()
            .find(|e| e["key"] == "kubernetes.io/metadata.name")
            .expect("a selector on the namespace name");
        assert_eq!(by_name["operator"], "NotIn");
        assert!(
            by_name["values"]
                .as_array()
                .unwrap()
                .contains(&Value::from(ns))
        );
        let opt_out = exprs
            .iter()
            .find(|e| e["key"] == "dsguard.io/ignore")
            .unwrap();
        assert_eq!(opt_out["operator"], "NotIn");
        let namespace = one(docs, "Namespace");
        assert_eq!(namespace["metadata"]["name"], ns);
        assert_eq!(namespace["metadata"]["labels"]["dsguard.io/ignore"], "true");
    }
    assert_eq!(validating["webhooks"][0]["failurePolicy"], "Fail");
    assert_eq!(mutating["webhooks"][0]["failurePolicy"], "Ignore");
    assert_eq!(mutating["webhooks"][0]["reinvocationPolicy"], "IfNeeded");
    (validating, mutating)
}

#[test]
fn cert_manager_overlay_injects_the_ca_and_issues_the_mounted_secret() {
    let docs = render(&root().join("manifests/overlays/cert-manager"));
    let (validating, mutating) = check_install(&docs);
    let serving = find(&docs, "Certificate")
        .into_iter()
        .find(|c| c["spec"]["isCA"] != true)
        .expect("a serving Certificate");
    let ns = serving["metadata"]["namespace"].as_str().unwrap();
    let want = format!("{ns}/{}", serving["metadata"]["name"].as_str().unwrap());
    for cfg in [&validating, &mutating] {
        assert_eq!(
            cfg["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
            want.as_str()
        );
    }
    let secret = mounted_tls_secret(&docs);
    assert_eq!(
        serving["spec"]["secretName"], secret,
        "the issued Secret is the mounted one"
    );
    let dns: Vec<&str> = serving["spec"]["dnsNames"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        dns.contains(&"dsguard.dsguard-system.svc"),
        "the name the API server dials"
    );
}

#[test]
fn self_signed_overlay_carries_the_ca_bundle_from_dsguard_certs() {
    let dir = tempfile::tempdir().unwrap();
    let overlay = copy_manifests(dir.path()).join("overlays/self-signed");
    for f in ["tls.crt", "tls.key", "ca-bundle.yaml"] {
        let _ = std::fs::remove_file(overlay.join(f));
    }
    let certs = dir.path().join("certs");
    let o = dsguard(
        &[
            "certs",
            "--out",
            certs.to_str().unwrap(),
            "--overlay",
            overlay.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(crate::code(&o), 0, "{}", crate::err(&o));
    let ca_bundle = crate::out(&o).trim().to_string();
    let docs = render(&overlay);
    let (validating, mutating) = check_install(&docs);
    for cfg in [&validating, &mutating] {
        assert_eq!(
            cfg["webhooks"][0]["clientConfig"]["caBundle"],
            ca_bundle.as_str()
        );
    }
    use base64::Engine;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(&ca_bundle)
        .unwrap();
    assert_eq!(
        pem,
        std::fs::read(certs.join("ca.crt")).unwrap(),
        "caBundle is ca.crt"
    );
    // The TLS Secret holds the serving pair, and the Deployment mounts it.
    let secret = one(&docs, "Secret");
    assert_eq!(secret["type"], "kubernetes.io/tls");
    let crt = base64::engine::general_purpose::STANDARD
        .decode(
            secret["data"]["tls.crt"]
                .as_str()
                .unwrap()
                .replace(['\n', ' '], ""),
        )
        .unwrap();
    assert_eq!(crt, std::fs::read(certs.join("tls.crt")).unwrap());
    assert_eq!(mounted_tls_secret(&docs), secret["metadata"]["name"]);
}

#[test]
fn certs_names_every_service_form_and_reuses_its_ca() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "certs",
            "--out",
            out.to_str().unwrap(),
            "--service",
            "hook",
            "--namespace",
            "ops",
        ];
        args.extend(extra);
        dsguard(&args, None)
    };
    let first = run(&["--san", "10.0.0.7", "--san", "hook.example.com"]);
    assert_eq!(crate::code(&first), 0, "{}", crate::err(&first));
    use rustls::pki_types::pem::PemObject;
    let der = rustls::pki_types::CertificateDer::from_pem_file(out.join("tls.crt")).unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
    let sans: Vec<String> = cert
        .subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names
        .iter()
        .map(|n| n.to_string())
        .collect();
    for want in [
        "DNSName(hook)",
        "DNSName(hook.ops)",
        "DNSName(hook.ops.svc)",
        "DNSName(hook.ops.svc.cluster.local)",
        "DNSName(hook.example.com)",
        "IPAddress(0a:00:00:07)",
    ] {
        assert!(sans.iter().any(|s| s == want), "{want} in {sans:?}");
    }
    use std::os::unix::fs::PermissionsExt;
    for key in ["ca.key", "tls.key"] {
        let mode = std::fs::metadata(out.join(key))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{key} is private");
    }
    // Again: the CA (and so the caBundle) stays, the serving certificate is new.
    let ca = std::fs::read(out.join("ca.crt")).unwrap();
    let crt = std::fs::read(out.join("tls.crt")).unwrap();
    let second = run(&[]);
    assert_eq!(crate::out(&first), crate::out(&second), "same caBundle");
    assert!(crate::err(&second).contains("reused the CA"));
    assert_eq!(std::fs::read(out.join("ca.crt")).unwrap(), ca);
    assert_ne!(std::fs::read(out.join("tls.crt")).unwrap(), crt);
    let third = run(&["--new-ca"]);
    assert_ne!(
        crate::out(&first),
        crate::out(&third),
        "--new-ca makes a new CA"
    );
    // Bad input.
    let bad = run(&["--san", "not a name!"]);
    assert_eq!(crate::code(&bad), 2);
    assert!(
        crate::err(&bad).contains("--san \"not a name!\""),
        "{}",
        crate::err(&bad)
    );
    // A wrong overlay directory is refused before anything is written.
    let fresh = dir.path().join("fresh");
    let o = dsguard(
        &[
            "certs",
            "--out",
            fresh.to_str().unwrap(),
            "--overlay",
            dir.path().to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(crate::code(&o), 2);
    assert!(
        crate::err(&o).contains("no kustomization.yaml here")
            && crate::err(&o).contains("(nothing was written)"),
        "{}",
        crate::err(&o)
    );
    assert!(!fresh.exists(), "no CA or key written for a refused run");
}

#[test]
fn audit_rbac_component_grants_read_only_daemonset_access() {
    let dir = tempfile::tempdir().unwrap();
    let docs = render(&overlay_with_components(
        dir.path(),
        "with-audit",
        &["audit-rbac"],
    ));
    let role = one(&docs, "ClusterRole");
    assert_eq!(
        role["rules"],
        serde_json::json!([{"apiGroups": ["apps"], "resources": ["daemonsets"], "verbs": ["get", "list"]}]),
        "read-only: exactly what dsguard audit needs"
    );
    let binding = one(&docs, "ClusterRoleBinding");
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    let sa = find(&docs, "ServiceAccount")
        .into_iter()
        .find(|s| s["metadata"]["name"] == binding["subjects"][0]["name"])
        .expect("the bound ServiceAccount is installed");
    assert_eq!(
        sa["metadata"]["namespace"],
        binding["subjects"][0]["namespace"]
    );
    // The webhook's own ServiceAccount gets no API access.
    let webhook_sa =
        one(&docs, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"].clone();
    assert_ne!(webhook_sa, binding["subjects"][0]["name"]);
}

#[test]
fn audit_cronjob_component_runs_apply_reports_hourly_with_exactly_its_rbac() {
    // An overlay on cert-manager with the CronJob component, and with audit-rbac beside it
    // (both may be used at once: no object of one is named like one of the other).
    let dir = tempfile::tempdir().unwrap();
    let docs = render(&overlay_with_components(
        dir.path(),
        "with-reports",
        &["audit-rbac", "audit-cronjob"],
    ));
    check_install(&docs);
    let named = |kind: &str, name: &str| -> Value {
        find(&docs, kind)
            .into_iter()
            .find(|d| d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{kind} {name}"))
            .clone()
    };
    let cron = one(&docs, "CronJob");
    let ns = one(&docs, "Namespace")["metadata"]["name"].clone();
    assert_eq!(cron["metadata"]["namespace"], ns);
    assert_eq!(cron["spec"]["schedule"], "0 * * * *", "hourly");
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let deployment = one(&docs, "Deployment");
    assert_eq!(
        container["image"], deployment["spec"]["template"]["spec"]["containers"][0]["image"],
        "the webhook's image"
    );
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args[..2], ["audit", "--apply-reports"]);
    // The audit applies the webhook's own configuration: the ConfigMap, generated name and
    // all, mounted where --config points.
    let config = one(&docs, "ConfigMap");
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["configMap"].is_object())
        .expect("a configMap volume");
    assert_eq!(volume["configMap"]["name"], config["metadata"]["name"]);
    let mount = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == volume["name"])
        .unwrap();
    let flag = args
        .iter()
        .find_map(|a| a.strip_prefix("--config="))
        .expect("--config");
    assert!(flag.starts_with(mount["mountPath"].as_str().unwrap()));
    // Locked down as the webhook is (the namespace enforces the restricted profile).
    assert_locked_down(pod, container);
    assert_eq!(pod["restartPolicy"], "Never");
    // Its own ServiceAccount, bound to exactly what `audit --apply-reports` does.
    let sa_name = pod["serviceAccountName"].as_str().unwrap();
    let sa = named("ServiceAccount", sa_name);
    assert_eq!(sa["metadata"]["namespace"], ns);
    assert_ne!(
        pod["automountServiceAccountToken"], false,
        "the audit needs its token"
    );
    let binding = find(&docs, "ClusterRoleBinding")
        .into_iter()
        .find(|b| b["subjects"][0]["name"] == sa_name)
        .expect("a binding for the CronJob's ServiceAccount");
    assert_eq!(
        binding["subjects"],
        serde_json::json!([{"kind": "ServiceAccount", "name": sa_name, "namespace": ns}])
    );
    assert_eq!(binding["roleRef"]["kind"], "ClusterRole");
    let role = named("ClusterRole", binding["roleRef"]["name"].as_str().unwrap());
    assert_eq!(
        role["rules"],
        serde_json::json!([
            {"apiGroups": ["apps"], "resources": ["daemonsets"], "verbs": ["get", "list"]},
            {"apiGroups": ["openreports.io"], "resources": ["reports"],
             "verbs": ["get", "list", "create", "patch", "delete"]}
        ]),
        "read DaemonSets, write Reports, nothing else"
    );
    // The read-only audit role of audit-rbac is untouched.
    assert_eq!(
        named("ClusterRole", "dsguard-audit")["rules"],
        serde_json::json!([{"apiGroups": ["apps"], "resources": ["daemonsets"], "verbs": ["get", "list"]}])
    );
    // The webhook's ServiceAccount is not the audit's.
    assert_ne!(
        deployment["spec"]["template"]["spec"]["serviceAccountName"],
        sa_name
    );
}
