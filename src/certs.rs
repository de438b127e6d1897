//! `dsguard certs`: a CA and a serving certificate for the webhook Service, for a first
//! install without cert-manager.
//!
//! Files written to the output directory (Kubernetes `kubernetes.io/tls` Secret names):
//! `ca.crt`, `ca.key`, `tls.crt`, `tls.key`. The keys are written with mode 0600.
//! When `ca.crt` and `ca.key` already exist there, the CA is reused and only the serving
//! certificate is made again, so the caBundle registered in the cluster stays valid;
//! `--new-ca` replaces it.
//!
//! The serving certificate names every form a client inside the cluster may dial:
//! `svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`, plus each `--san` (a DNS
//! name or an IP address). The API server dials `svc.ns.svc:port` and checks that name
//! (k8s.io/apiserver `pkg/util/webhook/client.go`, `(*ClientManager).HookClient`).

use std::path::{Path, PathBuf};

use base64::Engine;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

/// What to make.
#[derive(Debug, Clone)]
pub struct CertOptions {
    /// Output directory.
    pub out: PathBuf,
    /// Service name.
    pub service: String,
    /// Service namespace.
    pub namespace: String,
    /// Extra subject alternative names (DNS names or IP addresses).
    pub extra_sans: Vec<String>,
    /// Validity of the serving certificate, in days (the CA gets ten times as long).
    pub days: u32,
    /// Make a new CA even if one exists in `out`.
    pub new_ca: bool,
}

/// What was made.
#[derive(Debug, Clone)]
pub struct CertOutput {
    /// Base64 of `ca.crt`: the webhook configurations' `caBundle`.
    pub ca_bundle: String,
    /// True when an existing CA was reused.
    pub reused_ca: bool,
    /// The serving certificate's names.
    pub sans: Vec<String>,
    /// The files written.
    pub files: Vec<PathBuf>,
}

/// Why certificates could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// A file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An existing CA could not be used.
    #[error("{path}: cannot reuse the existing CA ({what}); fix or remove it, or pass --new-ca")]
    BadCa {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// A name is not usable.
    #[error("{0}")]
    Invalid(String),
    /// rcgen failed.
    #[error("cannot make the certificate: {0}")]
    Rcgen(#[from] rcgen::Error),
}

/// The serving certificate's DNS names for a Service, then the extra names.
pub fn service_sans(service: &str, namespace: &str, extra: &[String]) -> Vec<String> {
    let mut sans = vec![
        service.to_string(),
        format!("{service}.{namespace}"),
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
    ];
    for s in extra {
        if !sans.contains(s) {
            sans.push(s.clone());
        }
    }
    sans
}

/// An RFC 1123 host name, optionally with a leading `*.` wildcard label.
fn is_dns_name(name: &str) -> bool {
    let rest = name.strip_prefix("*.").unwrap_or(name);
    !rest.is_empty()
        && name.len() <= 253
        && rest.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CertError + '_ {
    move |source| CertError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write(path: &Path, contents: &str, secret: bool) -> Result<(), CertError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        opts.mode(if secret { 0o600 } else { 0o644 });
        let mut f = opts.open(path).map_err(io(path))?;
        // An existing file keeps its mode on open: set it.
        let mode = if secret { 0o600 } else { 0o644 };
        f.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(io(path))?;
        f.write_all(contents.as_bytes()).map_err(io(path))
    }
    #[cfg(not(unix))]
    {
        let _ = secret;
        let mut f = opts.open(path).map_err(io(path))?;
        f.write_all(contents.as_bytes()).map_err(io(path))
    }
}

fn validity(params: &mut CertificateParams, days: u32) {
    let now = time::OffsetDateTime::now_utc();
    // An hour of slack for clocks behind ours.
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + time::Duration::days(i64::from(days));
}

fn new_ca(days: u32) -> Result<(CertificateParams, KeyPair, String), CertError> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "dsguard webhook CA");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    validity(&mut params, days.saturating_mul(10));
    let cert = params.self_signed(&key)?;
    Ok((params, key, cert.pem()))
}

/// Makes the CA (or reuses the one in `out`) and the serving certificate, and writes them.
pub fn generate(o: &CertOptions) -> Result<CertOutput, CertError> {
    if o.service.is_empty() || o.namespace.is_empty() {
        return Err(CertError::Invalid(
            "--service and --namespace must not be empty".into(),
        ));
    }
    for (flag, value) in [("--service", &o.service), ("--namespace", &o.namespace)] {
        if value.contains('.') || !is_dns_name(value) {
            return Err(CertError::Invalid(format!(
                "{flag} {value:?} is not a DNS label (lower-case letters, digits and '-')"
            )));
        }
    }
    if o.days == 0 {
        return Err(CertError::Invalid("--days must be at least 1".into()));
    }
    std::fs::create_dir_all(&o.out).map_err(io(&o.out))?;
    let ca_crt = o.out.join("ca.crt");
    let ca_key = o.out.join("ca.key");
    let tls_crt = o.out.join("tls.crt");
    let tls_key = o.out.join("tls.key");

    let reuse = !o.new_ca && ca_crt.exists() && ca_key.exists();
    let (issuer, ca_pem) = if reuse {
        let ca_pem = std::fs::read_to_string(&ca_crt).map_err(io(&ca_crt))?;
        let key_pem = std::fs::read_to_string(&ca_key).map_err(io(&ca_key))?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| CertError::BadCa {
            path: ca_key.clone(),
            what: e.to_string(),
        })?;
        let issuer = Issuer::from_ca_cert_pem(&ca_pem, key).map_err(|e| CertError::BadCa {
            path: ca_crt.clone(),
            what: e.to_string(),
        })?;
        (issuer, ca_pem)
    } else {
        let (params, key, pem) = new_ca(o.days)?;
        write(&ca_key, &key.serialize_pem(), true)?;
        write(&ca_crt, &pem, false)?;
        (Issuer::new(params, key), pem)
    };

    let sans = service_sans(&o.service, &o.namespace, &o.extra_sans);
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    for san in &sans {
        let entry = match san.parse::<std::net::IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) if is_dns_name(san) => {
                SanType::DnsName(san.clone().try_into().map_err(|_| {
                    CertError::Invalid(format!("--san {san:?} is not a usable DNS name"))
                })?)
            }
            Err(_) => {
                return Err(CertError::Invalid(format!(
                    "--san {san:?} is neither a DNS name (RFC 1123, e.g. webhook.example.com) nor an IP address"
                )));
            }
        };
        params.subject_alt_names.push(entry);
    }
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CommonName,
        format!("{}.{}.svc", o.service, o.namespace),
    );
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    validity(&mut params, o.days);
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &issuer)?;
    write(&tls_key, &key.serialize_pem(), true)?;
    write(&tls_crt, &cert.pem(), false)?;

    Ok(CertOutput {
        ca_bundle: base64::engine::general_purpose::STANDARD.encode(ca_pem.as_bytes()),
        reused_ca: reuse,
        sans,
        files: vec![ca_crt, ca_key, tls_crt, tls_key],
    })
}

/// The kustomize patch that sets `caBundle` on both webhook configurations, as written
/// into the self-signed overlay (`ca-bundle.yaml`).
pub fn ca_bundle_patch(ca_bundle: &str) -> String {
    let mut out = String::from(
        "# Written by `dsguard certs --overlay`; do not edit. Regenerate with that command.\n",
    );
    for (kind, name) in [
        ("ValidatingWebhookConfiguration", "dsguard-validate"),
        ("MutatingWebhookConfiguration", "dsguard-mutate"),
    ] {
        out.push_str(&format!(
            "---\napiVersion: admissionregistration.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: {name}\nwebhooks:\n  - name: {name}.dsguard.io\n    clientConfig:\n      caBundle: {ca_bundle}\n"
        ));
    }
    out
}

/// Whether `dir` is an overlay `write_overlay` can write into: checked before anything is
/// generated, so that a wrong directory leaves `--out` untouched.
pub fn check_overlay(dir: &Path) -> Result<(), CertError> {
    if dir.join("kustomization.yaml").is_file() {
        return Ok(());
    }
    Err(CertError::Invalid(format!(
        "{}: no kustomization.yaml here; pass the self-signed overlay, e.g. manifests/overlays/self-signed (nothing was written)",
        dir.display()
    )))
}

/// Copies the serving pair into a kustomize overlay directory and writes `ca-bundle.yaml`
/// there, so that `kubectl apply -k DIR` installs a working webhook.
pub fn write_overlay(
    dir: &Path,
    out: &CertOutput,
    certs_dir: &Path,
) -> Result<Vec<PathBuf>, CertError> {
    check_overlay(dir)?;
    let mut written = Vec::new();
    for name in ["tls.crt", "tls.key"] {
        let from = certs_dir.join(name);
        let to = dir.join(name);
        let text = std::fs::read_to_string(&from).map_err(io(&from))?;
        write(&to, &text, name.ends_with(".key"))?;
        written.push(to);
    }
    let patch = dir.join("ca-bundle.yaml");
    write(&patch, &ca_bundle_patch(&out.ca_bundle), false)?;
    written.push(patch);
    Ok(written)
}
