//! The `dsguard` command line. Exit codes: 0 clean (warnings allowed), 1 at least one
//! error-severity violation or unreadable document, 2 usage, configuration or input-path error.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::Value;

use dsguard::admission::{self, Endpoint};
use dsguard::manifest::{self, Input};
use dsguard::offline;
use dsguard::policy::Policy;
use dsguard::report::{Format, Reporter};
use dsguard::{config, yaml};

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
    }
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
        Ok(resp) => {
            let text = serde_json::to_string_pretty(&resp).map_err(|e| e.to_string())?;
            println!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            // What the server answers with HTTP 400.
            let err = serde_json::json!({"error": e.to_string()});
            eprintln!("{file}: {err}");
            Ok(ExitCode::from(1))
        }
    }
}
