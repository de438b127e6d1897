//! The `dsguard` command line. Exit codes: 0 clean (warnings allowed), 1 at least one
//! error-severity violation or unreadable document, 2 usage, configuration, input-path or
//! connection error.

use std::io::{IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::Value;

use dsguard::admission::{self, Endpoint};
use dsguard::audit::AuditOptions;
use dsguard::certs::CertOptions;
use dsguard::manifest::{self, Input};
use dsguard::offline;
use dsguard::policy::Policy;
use dsguard::report::{Format, Reporter};
use dsguard::server::tls::TlsPaths;
use dsguard::server::{self, LogFormat, ServeOptions};
use dsguard::{config, yaml};

/// mimalloc instead of glibc's allocator: building a `serde_json::Value` per review is
/// allocation-heavy, and mimalloc halves the webhook's allocator time (scripts/load.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "dsguard",
    version,
    about = "Keeps Kubernetes DaemonSets correct: offline checks and fixes, and the admission webhook's answers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct ConfigArg {
    /// Configuration file (YAML); the embedded defaults apply without one.
    #[arg(long, env = "DSGUARD_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Check manifests offline, with the API server's messages and the policy rules.
    Validate {
        #[command(flatten)]
        config: ConfigArg,
        /// Output format.
        #[arg(long, short, env = "DSGUARD_OUTPUT", value_enum, default_value_t = Format::Text)]
        output: Format,
        /// Files, directories (searched for *.yaml, *.yml, *.json), or - for stdin.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<String>,
    },
    /// Print manifests with Deployment leftovers removed and default tolerations and nodeSelector added.
    Mutate {
        #[command(flatten)]
        config: ConfigArg,
        /// Output format.
        #[arg(long, short, env = "DSGUARD_OUTPUT", value_enum, default_value_t = MutateOutput::Yaml)]
        output: MutateOutput,
        /// Print a unified diff of what would change instead of the manifests.
        #[arg(long, env = "DSGUARD_DIFF")]
        diff: bool,
        /// Files, directories, or - for stdin.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<String>,
    },
    /// Answer one AdmissionReview (a file or -) exactly as the webhook would.
    Review {
        /// Which webhook endpoint answers.
        #[arg(value_enum)]
        endpoint: Endpoint,
        #[command(flatten)]
        config: ConfigArg,
        /// The AdmissionReview request, or - for stdin.
        #[arg(value_name = "FILE")]
        file: String,
    },
    /// Run the admission webhook: POST /validate and /mutate over TLS, probes and metrics on a side port.
    Serve(Box<ServeArgs>),
    /// Make a CA and a serving certificate for the webhook Service, and print the caBundle.
    Certs(CertsArgs),
    /// Check the DaemonSets running in a cluster: violations, the webhook's patch, rollout health.
    Audit(Box<AuditArgs>),
}

#[derive(clap::Args)]
struct AuditArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Kubeconfig file; otherwise KUBECONFIG, ~/.kube/config, or the pod's service account.
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,
    /// Kubeconfig context; otherwise the current context.
    #[arg(long, value_name = "NAME")]
    context: Option<String>,
    /// Only this namespace (default: all namespaces).
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    namespace: Option<String>,
    /// Label selector, as kubectl -l (e.g. app=node-exporter,tier!=test).
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    selector: Option<String>,
    /// Output format.
    #[arg(long, short, env = "DSGUARD_OUTPUT", value_enum, default_value_t = Format::Text)]
    output: Format,
    /// DaemonSets asked for per request (limit/continue paging).
    #[arg(long, default_value_t = 500)]
    page_size: u32,
    /// Seconds to wait for the API server to connect and to answer each request.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    request_timeout: f64,
}

#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Serving certificate chain (PEM); reloaded when the file changes.
    #[arg(long, env = "DSGUARD_TLS_CERT", value_name = "FILE")]
    tls_cert: PathBuf,
    /// Private key of the serving certificate (PEM); reloaded when the file changes.
    #[arg(long, env = "DSGUARD_TLS_KEY", value_name = "FILE")]
    tls_key: PathBuf,
    /// CA bundle (PEM) for mutual TLS: clients must present a certificate it signed.
    #[arg(long, env = "DSGUARD_CLIENT_CA", value_name = "FILE")]
    client_ca: Option<PathBuf>,
    /// Address of the TLS port.
    #[arg(long, env = "DSGUARD_LISTEN", default_value = "0.0.0.0:8443")]
    listen: SocketAddr,
    /// Address of the plain-HTTP side port (/healthz, /readyz, /metrics).
    #[arg(long, env = "DSGUARD_PROBE_LISTEN", default_value = "0.0.0.0:8080")]
    probe_listen: SocketAddr,
    /// Log line format.
    #[arg(long, env = "DSGUARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
    /// Least severe level logged: error, warn, info (one line per review), debug, trace.
    #[arg(long, env = "DSGUARD_LOG_LEVEL", default_value = "info")]
    log_level: tracing::Level,
    /// Largest request body accepted; larger ones get 413.
    #[arg(long, env = "DSGUARD_MAX_BODY_BYTES", default_value_t = 3 * 1024 * 1024)]
    max_body_bytes: usize,
    /// Most connections open at once on the TLS port; more are closed at once.
    #[arg(long, env = "DSGUARD_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Most reviews answered at once; more wait within their deadline.
    #[arg(long, env = "DSGUARD_MAX_IN_FLIGHT", default_value_t = 256)]
    max_in_flight: usize,
    /// Seconds to keep serving, not ready, after SIGTERM before closing the listener.
    #[arg(
        long,
        env = "DSGUARD_DRAIN_DELAY",
        default_value_t = 0.0,
        value_name = "SECONDS"
    )]
    drain_delay: f64,
    /// Seconds to wait for in-flight reviews once the listener is closed.
    #[arg(
        long,
        env = "DSGUARD_GRACE_PERIOD",
        default_value_t = 25.0,
        value_name = "SECONDS"
    )]
    grace_period: f64,
    /// Seconds an HTTP/1.1 client may take to send request headers, or stay idle between requests.
    #[arg(
        long,
        env = "DSGUARD_HEADER_READ_TIMEOUT",
        default_value_t = 30.0,
        value_name = "SECONDS"
    )]
    header_read_timeout: f64,
}

#[derive(clap::Args)]
struct CertsArgs {
    /// Directory for ca.crt, ca.key, tls.crt and tls.key (an existing CA there is reused).
    #[arg(long, env = "DSGUARD_CERTS_OUT", default_value = "certs")]
    out: PathBuf,
    /// Name of the webhook Service.
    #[arg(long, default_value = "dsguard")]
    service: String,
    /// Namespace of the webhook Service.
    #[arg(long, default_value = "dsguard-system")]
    namespace: String,
    /// Extra subject alternative name (DNS name or IP address); repeat for more.
    #[arg(long = "san", value_name = "NAME")]
    sans: Vec<String>,
    /// Days the serving certificate is valid (the CA: ten times as long).
    #[arg(long, default_value_t = 365)]
    days: u32,
    /// Make a new CA even if ca.crt and ca.key exist in --out.
    #[arg(long)]
    new_ca: bool,
    /// Also copy the serving pair into this kustomize overlay and write its ca-bundle.yaml
    /// (for manifests/overlays/self-signed).
    #[arg(long, value_name = "DIR")]
    overlay: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MutateOutput {
    /// The fixed manifests as YAML documents.
    Yaml,
    /// The fixed manifests as JSON (a List when there are several).
    Json,
    /// The JSON Patch of each document.
    Patch,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "dsguard: {message}");
            ExitCode::from(2)
        }
    }
}

fn load_policy(c: &ConfigArg) -> Result<Policy, String> {
    config::load(c.config.as_deref()).map_err(|e| format!("configuration error: {e}"))
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Validate {
            config,
            output,
            paths,
        } => {
            let policy = load_policy(&config)?;
            let inputs = manifest::expand_paths(&paths).map_err(|e| e.to_string())?;
            validate(&inputs, &policy, output)
        }
        Command::Mutate {
            config,
            output,
            diff,
            paths,
        } => {
            let policy = load_policy(&config)?;
            let inputs = manifest::expand_paths(&paths).map_err(|e| e.to_string())?;
            mutate(&inputs, &policy, output, diff)
        }
        Command::Review {
            endpoint,
            config,
            file,
        } => {
            let policy = load_policy(&config)?;
            review(&file, endpoint, &policy)
        }
        Command::Serve(args) => serve(*args),
        Command::Certs(args) => certs(args),
        Command::Audit(args) => audit(*args),
    }
}

fn audit(args: AuditArgs) -> Result<ExitCode, String> {
    let policy = load_policy(&args.config)?;
    let options = AuditOptions {
        kubeconfig: args.kubeconfig,
        context: args.context,
        namespace: args.namespace,
        selector: args.selector,
        page_size: args.page_size,
        timeout: seconds("request-timeout", args.request_timeout)?,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let stdout = std::io::stdout().lock();
    let mut reporter = Reporter::new(std::io::BufWriter::new(stdout), args.output, color());
    runtime
        .block_on(dsguard::audit::run(&options, &policy, &mut reporter))
        .map_err(|e| e.to_string())?;
    let summary = reporter
        .finish()
        .map_err(|e| format!("cannot write output: {e}"))?;
    Ok(ExitCode::from(u8::from(summary.failed > 0)))
}

fn seconds(flag: &str, value: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| format!("--{flag} {value}: expected a non-negative number of seconds"))
}

fn serve(args: ServeArgs) -> Result<ExitCode, String> {
    let logs = server::init_logging(args.log_format, args.log_level);
    let policy = load_policy(&args.config)?;
    let tls = TlsPaths {
        cert: args.tls_cert,
        key: args.tls_key,
        client_ca: args.client_ca,
    };
    let mut options = ServeOptions::new(args.listen, args.probe_listen, tls);
    options.limits.max_body_bytes = args.max_body_bytes;
    options.max_connections = args.max_connections.max(1);
    options.max_in_flight = args.max_in_flight.max(1);
    options.drain_delay = seconds("drain-delay", args.drain_delay)?;
    options.grace_period = seconds("grace-period", args.grace_period)?;
    options.header_read_timeout = seconds("header-read-timeout", args.header_read_timeout)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let result = runtime.block_on(server::run(options, policy));
    drop(runtime);
    logs.flush();
    result.map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

fn certs(args: CertsArgs) -> Result<ExitCode, String> {
    let options = CertOptions {
        out: args.out,
        service: args.service,
        namespace: args.namespace,
        extra_sans: args.sans,
        days: args.days,
        new_ca: args.new_ca,
    };
    let made = dsguard::certs::generate(&options).map_err(|e| e.to_string())?;
    let mut files = made.files.clone();
    if let Some(dir) = &args.overlay {
        files.extend(
            dsguard::certs::write_overlay(dir, &made, &options.out).map_err(|e| e.to_string())?,
        );
    }
    eprintln!(
        "dsguard: {} CA; serving certificate for {}",
        if made.reused_ca {
            "reused the"
        } else {
            "made a new"
        },
        made.sans.join(", ")
    );
    for f in &files {
        eprintln!("  wrote {}", f.display());
    }
    if args.overlay.is_none() {
        eprintln!("caBundle (base64 of ca.crt) follows on stdout:");
    }
    println!("{}", made.ca_bundle);
    Ok(ExitCode::SUCCESS)
}

fn color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn validate(inputs: &[Input], policy: &Policy, format: Format) -> Result<ExitCode, String> {
    let stdout = std::io::stdout().lock();
    let mut reporter = Reporter::new(std::io::BufWriter::new(stdout), format, color());
    let io = |e: std::io::Error| format!("cannot write output: {e}");
    for input in inputs {
        let name = input.name();
        reporter.summary.files += 1;
        let entries = manifest::read_entries(input);
        for entry in &entries {
            reporter
                .add(offline::validate_entry(&name, entry, policy))
                .map_err(io)?;
        }
    }
    let summary = reporter.finish().map_err(io)?;
    Ok(ExitCode::from(u8::from(summary.failed > 0)))
}

fn mutate(
    inputs: &[Input],
    policy: &Policy,
    output: MutateOutput,
    diff: bool,
) -> Result<ExitCode, String> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let io = |e: std::io::Error| format!("cannot write output: {e}");
    let mut failed = false;
    let mut objects: Vec<Value> = Vec::new();
    let mut patches: Vec<Value> = Vec::new();
    let mut first_yaml = true;
    for input in inputs {
        let name = input.name();
        let entries = manifest::read_entries(input);
        let (mut before, mut after) = (String::new(), String::new());
        for entry in entries {
            let obj = match entry.content {
                Ok(obj) => obj,
                Err(message) => {
                    failed = true;
                    eprintln!(
                        "{name}:{}: error[parse] document {}: {message}",
                        entry.line, entry.document
                    );
                    continue;
                }
            };
            let patch = offline::mutate_object(&obj, policy);
            let mut fixed = obj.value.clone();
            if let Err(e) = json_patch::patch(&mut fixed, &patch) {
                // The engine's patches always apply (property-tested); say so if one ever does not.
                failed = true;
                eprintln!(
                    "{name}:{}: error document {}: internal error applying the patch: {e}",
                    entry.line, entry.document
                );
                continue;
            }
            if diff {
                before.push_str(&format!("---\n{}", yaml::to_yaml(&obj.value)));
                after.push_str(&format!("---\n{}", yaml::to_yaml(&fixed)));
                continue;
            }
            match output {
                MutateOutput::Yaml => {
                    if !first_yaml {
                        writeln!(out, "---").map_err(io)?;
                    }
                    first_yaml = false;
                    write!(out, "{}", yaml::to_yaml(&fixed)).map_err(io)?;
                }
                MutateOutput::Json => objects.push(fixed),
                MutateOutput::Patch => {
                    let meta = |k: &str| {
                        obj.value
                            .get("metadata")
                            .and_then(|m| m.get(k))
                            .cloned()
                            .unwrap_or(Value::Null)
                    };
                    patches.push(serde_json::json!({
                        "file": name, "document": entry.document, "line": entry.line,
                        "kind": obj.value.get("kind").cloned().unwrap_or(Value::Null),
                        "name": meta("name"), "namespace": meta("namespace"),
                        "patch": patch,
                    }));
                }
            }
        }
        if diff && before != after {
            let text = similar::TextDiff::from_lines(&before, &after);
            write!(
                out,
                "{}",
                text.unified_diff().context_radius(3).header(&name, &name)
            )
            .map_err(io)?;
        }
    }
    if !diff {
        match output {
            MutateOutput::Yaml => {}
            MutateOutput::Json => {
                let doc = if objects.len() == 1 {
                    objects.pop().unwrap_or(Value::Null)
                } else {
                    serde_json::json!({"apiVersion": "v1", "kind": "List", "items": objects})
                };
                serde_json::to_writer_pretty(&mut out, &doc).map_err(|e| e.to_string())?;
                writeln!(out).map_err(io)?;
            }
            MutateOutput::Patch => {
                serde_json::to_writer_pretty(&mut out, &patches).map_err(|e| e.to_string())?;
                writeln!(out).map_err(io)?;
            }
        }
    }
    out.flush().map_err(io)?;
    Ok(ExitCode::from(u8::from(failed)))
}

fn review(file: &str, endpoint: Endpoint, policy: &Policy) -> Result<ExitCode, String> {
    let mut body = Vec::new();
    let read = if file == "-" {
        std::io::stdin().lock().read_to_end(&mut body)
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut body))
    };
    read.map_err(|e| format!("{file}: cannot read: {e}"))?;
    match admission::review_bytes(&body, endpoint, policy) {
        Ok(reviewed) => {
            let text =
                serde_json::to_string_pretty(&reviewed.response).map_err(|e| e.to_string())?;
            println!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            // What the server answers with HTTP 400.
            let err = admission::error_status(400, "BadRequest", &e.to_string());
            eprintln!("{file}: {err}");
            Ok(ExitCode::from(1))
        }
    }
}
