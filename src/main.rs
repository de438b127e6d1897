//! The `dsguard` command line. Exit codes: 0 clean (warnings allowed), 1 at least one
//! error-severity violation or unreadable document, 2 usage, configuration, input-path or
//! connection error.

use std::io::{IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use dsguard::admission::Endpoint;
use dsguard::audit::AuditOptions;
use dsguard::certs::CertOptions;
use dsguard::commands::{self, ReviewOutput};
use dsguard::config;
use dsguard::manifest;
use dsguard::policy::{KubernetesVersion, Policy};
use dsguard::previous::{self, PreviousSource};
use dsguard::report::mutate::MutateFormat;
use dsguard::report::policyreport::ReportApi;
use dsguard::report::{Format, Reporter};
use dsguard::server::tls::TlsPaths;
use dsguard::server::{self, LogFormat, ServeOptions};

/// mimalloc instead of glibc's allocator: building a `serde_json::Value` per review is
/// allocation-heavy, and mimalloc halves the webhook's allocator time (scripts/load.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "dsguard",
    propagate_version = true,
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

/// The Kubernetes version whose DaemonSet schema the strict schema check uses (validate
/// and audit: the commands that run it).
#[derive(clap::Args)]
struct SchemaArg {
    #[arg(
        long,
        env = "DSGUARD_KUBERNETES_VERSION",
        value_name = "VERSION",
        default_value = "latest",
        help = kubernetes_version_help()
    )]
    kubernetes_version: KubernetesVersion,
}

fn kubernetes_version_help() -> String {
    format!(
        "The cluster's Kubernetes version: a field it does not know yet is an unknown-field \
         ({} to {}, or latest)",
        KubernetesVersion::OLDEST,
        KubernetesVersion::LATEST
    )
}

#[derive(Subcommand)]
enum Command {
    /// Check manifests offline, with the API server's messages and the policy rules.
    Validate(Box<ValidateArgs>),
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
        /// Fix the files in place: only the lines that change differ; comments, order,
        /// quoting and indentation are kept.
        #[arg(long, short = 'w')]
        write: bool,
        /// Accept a directory that holds no manifest (otherwise an error, exit 2).
        #[arg(long)]
        allow_empty: bool,
        /// Files, directories, or - for stdin.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<String>,
    },
    /// Answer one AdmissionReview (a file or -) exactly as the webhook would.
    Review {
        /// Which webhook endpoint answers.
        #[arg(value_enum)]
        endpoint: EndpointArg,
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
    /// Print the policy as a MutatingAdmissionPolicy and a ValidatingAdmissionPolicy with
    /// their bindings: the webhook-free mode, run by the API server itself.
    Policies {
        #[command(flatten)]
        config: ConfigArg,
        /// Output format.
        #[arg(long, short, env = "DSGUARD_OUTPUT", value_enum, default_value_t = PoliciesOutput::Yaml)]
        output: PoliciesOutput,
    },
    /// Print a shell completion script, e.g. `dsguard completions bash > /etc/bash_completion.d/dsguard`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `dsguard man | man -l -`; with a command, its own page.
    Man {
        /// A command (validate, mutate, review, serve, certs, audit, policies, completions).
        #[arg(value_name = "COMMAND")]
        command: Option<String>,
    },
}

#[derive(clap::Args)]
struct ValidateArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Output format.
    #[arg(long, short, env = "DSGUARD_OUTPUT", value_enum, default_value_t = OutputArg::Text)]
    output: OutputArg,
    /// API of --output policyreport [default: openreports.io/v1alpha1].
    #[arg(long, value_enum, value_name = "API")]
    policyreport_api: Option<ReportApiArg>,
    /// Check each DaemonSet as an update of its previous version: a file or directory of the
    /// old manifests, git:REV (the same paths at a git revision), or cluster (the live objects).
    #[arg(long, env = "DSGUARD_PREVIOUS", value_name = "SOURCE")]
    previous: Option<String>,
    /// Namespace of manifests that name none (for matching previous versions), as kubectl -n.
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    namespace: String,
    #[command(flatten)]
    schema: SchemaArg,
    #[command(flatten)]
    cluster: ClusterArgs,
    /// Accept a directory that holds no manifest (otherwise an error, exit 2).
    #[arg(long)]
    allow_empty: bool,
    /// Files, directories (searched for *.yaml, *.yml, *.json), or - for stdin.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
}

/// How to reach a cluster (audit, and validate --previous cluster).
#[derive(clap::Args)]
struct ClusterArgs {
    /// Kubeconfig file; otherwise KUBECONFIG, ~/.kube/config, or the pod's service account.
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,
    /// Kubeconfig context; otherwise the current context.
    #[arg(long, value_name = "NAME")]
    context: Option<String>,
    /// Seconds to wait for the API server to connect and to answer each request.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    request_timeout: f64,
    /// Objects asked for per list request (limit/continue paging).
    #[arg(long, default_value_t = 500)]
    page_size: u32,
}

impl ClusterArgs {
    fn options(
        &self,
        namespace: Option<String>,
        selector: Option<String>,
    ) -> Result<AuditOptions, String> {
        Ok(AuditOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            namespace,
            selector,
            page_size: self.page_size,
            timeout: seconds("request-timeout", self.request_timeout)?,
        })
    }
}

#[derive(clap::Args)]
struct AuditArgs {
    #[command(flatten)]
    config: ConfigArg,
    #[command(flatten)]
    cluster: ClusterArgs,
    /// Only this namespace (default: all namespaces).
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    namespace: Option<String>,
    /// Label selector, as kubectl -l (e.g. app=node-exporter,tier!=test).
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    selector: Option<String>,
    #[command(flatten)]
    schema: SchemaArg,
    /// Output format.
    #[arg(long, short, env = "DSGUARD_OUTPUT", value_enum, default_value_t = OutputArg::Text)]
    output: OutputArg,
    /// After auditing, write the policy reports to the cluster (server-side apply, one
    /// report per namespace); without -n and -l, also delete dsguard's reports of
    /// namespaces that have no DaemonSet any more.
    #[arg(long)]
    apply_reports: bool,
    /// API of --output policyreport and --apply-reports [default: openreports.io/v1alpha1].
    #[arg(long, value_enum, value_name = "API")]
    policyreport_api: Option<ReportApiArg>,
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
    #[arg(long, env = "DSGUARD_LOG_FORMAT", value_enum, default_value_t = LogFormatArg::Json)]
    log_format: LogFormatArg,
    /// Least severe level logged: error, warn, info (one line per review), debug, trace.
    #[arg(long, env = "DSGUARD_LOG_LEVEL", default_value = "info")]
    log_level: tracing::Level,
    /// Largest request body accepted; larger ones get 413. The default admits the largest
    /// UPDATE review an API server sends (two objects of up to 3 MiB, written as JSON).
    #[arg(long, env = "DSGUARD_MAX_BODY_BYTES", default_value_t = dsguard::server::state::DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Body bytes held at once across all requests; a review that finds no room within a
    /// second gets 429. Bounds the server's memory under a flood of large reviews.
    #[arg(long, env = "DSGUARD_MAX_BODY_BYTES_IN_FLIGHT", default_value_t = 4 * dsguard::server::state::DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes_in_flight: usize,
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

/// `--output` of validate and audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputArg {
    /// `file:line: severity[rule] namespace/name: path: message` (audit: the object's
    /// `k8s://CONTEXT/namespaces/NS/daemonsets/NAME` instead of `file:line`), one summary line.
    Text,
    /// One JSON object: summary and results.
    Json,
    /// JUnit XML, for CI test reports.
    Junit,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// GitHub Actions annotations (::error file=…,line=…::…), then the summary line.
    Github,
    /// Policy reports (openreports.io Report, or --policyreport-api), as a YAML stream.
    Policyreport,
}

impl OutputArg {
    /// The format; `api` is the policy report API of `--output policyreport`.
    fn format(self, api: ReportApi) -> Format {
        match self {
            OutputArg::Text => Format::Text,
            OutputArg::Json => Format::Json,
            OutputArg::Junit => Format::Junit,
            OutputArg::Sarif => Format::Sarif,
            OutputArg::Github => Format::Github,
            OutputArg::Policyreport => Format::PolicyReport(api),
        }
    }
}

/// `--policyreport-api` of validate and audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportApiArg {
    /// OpenReports `Report` and `ClusterReport`.
    #[value(name = "openreports.io/v1alpha1")]
    OpenReports,
    /// The Kubernetes Policy WG's older `PolicyReport` and `ClusterPolicyReport`.
    #[value(name = "wgpolicyk8s.io/v1alpha2")]
    WgPolicy,
}

/// The API `--policyreport-api` chose; an error when nothing uses it.
fn report_api(arg: Option<ReportApiArg>, used: bool) -> Result<ReportApi, String> {
    match arg {
        Some(_) if !used => Err(
            "--policyreport-api chooses the API of --output policyreport (and of audit --apply-reports); add one of them"
                .into(),
        ),
        Some(ReportApiArg::WgPolicy) => Ok(ReportApi::WgPolicy),
        Some(ReportApiArg::OpenReports) | None => Ok(ReportApi::OpenReports),
    }
}

/// The endpoint `review` answers as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EndpointArg {
    /// The ValidatingWebhookConfiguration's endpoint.
    Validate,
    /// The MutatingWebhookConfiguration's endpoint.
    Mutate,
}

impl From<EndpointArg> for Endpoint {
    fn from(a: EndpointArg) -> Endpoint {
        match a {
            EndpointArg::Validate => Endpoint::Validate,
            EndpointArg::Mutate => Endpoint::Mutate,
        }
    }
}

/// `--log-format` of serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormatArg {
    /// One JSON object per line.
    Json,
    /// Human-readable text.
    Text,
}

impl From<LogFormatArg> for LogFormat {
    fn from(a: LogFormatArg) -> LogFormat {
        match a {
            LogFormatArg::Json => LogFormat::Json,
            LogFormatArg::Text => LogFormat::Text,
        }
    }
}

/// `--output` of policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PoliciesOutput {
    /// YAML documents.
    Yaml,
    /// A JSON List.
    Json,
}

/// `--output` of mutate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MutateOutput {
    /// The fixed manifests as YAML documents.
    Yaml,
    /// The fixed manifests as JSON (a List when there are several).
    Json,
    /// The JSON Patch of each document.
    Patch,
    /// With --diff: a GitHub Actions annotation per change, after the diff.
    Github,
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
        Command::Validate(args) => validate(*args),
        Command::Mutate {
            config,
            output,
            diff,
            write,
            allow_empty,
            paths,
        } => {
            if write && paths.iter().any(|p| p == "-") {
                return Err("--write edits files in place; stdin has no file to write (drop --write to print the result)".into());
            }
            if write && matches!(output, MutateOutput::Json | MutateOutput::Patch) {
                return Err(
                    "--write writes the YAML files themselves; --output json and patch only print"
                        .into(),
                );
            }
            let policy = load_policy(&config)?;
            let inputs = manifest::expand_paths(&paths, allow_empty).map_err(|e| e.to_string())?;
            let format = match (diff, output) {
                (true, MutateOutput::Github) => MutateFormat::DiffGithub,
                (true, _) => MutateFormat::Diff,
                (false, MutateOutput::Github) => {
                    return Err("--output github annotates what --diff shows; add --diff".into());
                }
                (false, MutateOutput::Yaml) => MutateFormat::Yaml,
                (false, MutateOutput::Json) => MutateFormat::Json,
                (false, MutateOutput::Patch) => MutateFormat::Patch,
            };
            let stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let options = commands::MutateOptions { format, write };
            let failed = commands::mutate(&inputs, &policy, options, stdout, std::io::stderr())
                .map_err(|e| e.to_string())?;
            Ok(ExitCode::from(u8::from(failed)))
        }
        Command::Review {
            endpoint,
            config,
            file,
        } => {
            let policy = load_policy(&config)?;
            review(&file, endpoint.into(), &policy)
        }
        Command::Serve(args) => serve(*args),
        Command::Certs(args) => certs(args),
        Command::Audit(args) => audit(*args),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "dsguard", &mut script);
            print_stdout(&script)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { command } => man(command.as_deref()),
        Command::Policies { config, output } => {
            let policy = load_policy(&config)?;
            let format = match output {
                PoliciesOutput::Yaml => dsguard::policies::PoliciesFormat::Yaml,
                PoliciesOutput::Json => dsguard::policies::PoliciesFormat::Json,
            };
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            dsguard::policies::run(&policy, format, &mut stdout, &mut std::io::stderr())
                .map_err(|e| format!("cannot write output: {e}"))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `dsguard man [COMMAND]`: the page of dsguard, or of one command (`dsguard-validate(1)`).
fn man(command: Option<&str>) -> Result<ExitCode, String> {
    let mut cmd = Cli::command();
    cmd.build();
    let page = match command {
        None => cmd,
        Some(name) => {
            let names: Vec<String> = cmd
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .filter(|n| n != "help")
                .collect();
            cmd.find_subcommand(name)
                .cloned()
                .ok_or_else(|| format!("no command {name:?}; one of: {}", names.join(", ")))?
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut out)
        .map_err(|e| format!("cannot render the man page: {e}"))?;
    print_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes to stdout; a closed pipe (`dsguard … | head`) or a full disk is an error message,
/// never a panic as `println!` would make it.
fn print_stdout(bytes: &[u8]) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write output: {e}"))
}

fn validate(args: ValidateArgs) -> Result<ExitCode, String> {
    let api = report_api(
        args.policyreport_api,
        args.output == OutputArg::Policyreport,
    )?;
    let mut policy = load_policy(&args.config)?;
    policy.kubernetes_version = args.schema.kubernetes_version;
    let inputs =
        manifest::expand_paths(&args.paths, args.allow_empty).map_err(|e| e.to_string())?;
    let previous = match &args.previous {
        None => None,
        Some(source) => Some(
            previous::load(
                &PreviousSource::parse(source),
                &args.paths,
                &inputs,
                &args.namespace,
                &args.cluster.options(None, None)?,
            )
            .map_err(|e| e.to_string())?,
        ),
    };
    let stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let summary = commands::validate(
        &inputs,
        &policy,
        previous.as_ref(),
        args.output.format(api),
        color(),
        stdout,
    )
    .map_err(|e| e.to_string())?;
    Ok(ExitCode::from(u8::from(summary.failed > 0)))
}

fn audit(args: AuditArgs) -> Result<ExitCode, String> {
    let api = report_api(
        args.policyreport_api,
        args.apply_reports || args.output == OutputArg::Policyreport,
    )?;
    let mut policy = load_policy(&args.config)?;
    policy.kubernetes_version = args.schema.kubernetes_version;
    let options = args.cluster.options(args.namespace, args.selector)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let stdout = std::io::stdout().lock();
    let mut reporter = Reporter::new(
        std::io::BufWriter::new(stdout),
        args.output.format(api),
        color(),
    );
    if args.apply_reports {
        let applied = runtime
            .block_on(dsguard::audit::run_and_apply_reports(
                &options,
                &policy,
                &mut reporter,
                api,
            ))
            .map_err(|e| e.to_string())?;
        eprintln!("dsguard: {}", applied.line(api));
    } else {
        runtime
            .block_on(dsguard::audit::run(&options, &policy, &mut reporter))
            .map_err(|e| e.to_string())?;
    }
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
    let logs = server::init_logging(args.log_format.into(), args.log_level);
    let policy = load_policy(&args.config)?;
    let tls = TlsPaths {
        cert: args.tls_cert,
        key: args.tls_key,
        client_ca: args.client_ca,
    };
    let mut options = ServeOptions::new(args.listen, args.probe_listen, tls);
    options.limits.max_body_bytes = args.max_body_bytes.max(1);
    // A budget smaller than one body would refuse that body forever.
    options.limits.max_body_bytes_in_flight = args
        .max_body_bytes_in_flight
        .max(options.limits.max_body_bytes);
    options.limits.drain_bytes = options.limits.max_body_bytes.saturating_mul(4);
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
    if let Some(dir) = &args.overlay {
        dsguard::certs::check_overlay(dir).map_err(|e| e.to_string())?;
    }
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
    print_stdout(format!("{}\n", made.ca_bundle).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn review(file: &str, endpoint: Endpoint, policy: &Policy) -> Result<ExitCode, String> {
    let mut body = Vec::new();
    let read = if file == "-" {
        std::io::stdin().lock().read_to_end(&mut body)
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut body))
    };
    read.map_err(|e| format!("{file}: cannot read: {e}"))?;
    match commands::review(&body, endpoint, policy) {
        ReviewOutput::Response(text) => {
            print_stdout(format!("{text}\n").as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        ReviewOutput::BadRequest(status) => {
            eprintln!("{file}: {status}");
            Ok(ExitCode::from(1))
        }
    }
}
