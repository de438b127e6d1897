//! One function per offline command, given options the command line has already checked:
//! `validate`, `mutate` and `review`. Each reads its inputs, asks [`crate::check`] and
//! writes through [`crate::report`]; the return value is what the exit code is made of.

use std::io::Write;

use crate::admission::{self, Endpoint};
use crate::check;
use crate::manifest::{self, Input};
use crate::policy::{MutateMode, Node, Policy};
use crate::previous::Previous;
use crate::report::mutate::{MutateFormat, MutateWriter, MutatedDoc};
use crate::report::{Format, Reporter, Summary};

/// Why a command could not finish (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

/// `dsguard validate`: every document of every input through the engine; with
/// `previous`, each DaemonSet against its previous version.
pub fn validate<W: Write>(
    inputs: &[Input],
    policy: &Policy,
    previous: Option<&Previous>,
    format: Format,
    color: bool,
    out: W,
) -> Result<Summary, CommandError> {
    let mut reporter = Reporter::new(out, format, color);
    for input in inputs {
        let name = input.name();
        reporter.count_file();
        for entry in &manifest::read_entries(input) {
            reporter.add(check::validate_entry(&name, entry, policy, previous))?;
        }
    }
    Ok(reporter.finish()?)
}

/// `dsguard mutate`: every document printed, fixed; errors on `err`. Returns whether a
/// document could not be read.
pub fn mutate<W: Write, E: Write>(
    inputs: &[Input],
    policy: &Policy,
    format: MutateFormat,
    out: W,
    mut err: E,
) -> Result<bool, CommandError> {
    let mut writer = MutateWriter::new(out, format);
    let mut failed = false;
    for input in inputs {
        let name = input.name();
        for entry in manifest::read_entries(input) {
            let obj = match entry.content {
                Ok(obj) => obj,
                Err(e) => {
                    failed = true;
                    writeln!(
                        err,
                        "{name}:{}: error[parse] document {}: {e}",
                        entry.line, entry.document
                    )?;
                    continue;
                }
            };
            let patch = check::patch(&Node::from(&obj.value), policy, MutateMode::Offline)
                .unwrap_or_default();
            let mut fixed = obj.value.clone();
            if let Err(e) = json_patch::patch(&mut fixed, &patch) {
                // The engine's patches always apply (property-tested); say so if one ever does not.
                failed = true;
                writeln!(
                    err,
                    "{name}:{}: error document {}: internal error applying the patch: {e}",
                    entry.line, entry.document
                )?;
                continue;
            }
            writer.document(
                &name,
                MutatedDoc {
                    document: entry.document,
                    line: entry.line,
                    before: &obj.value,
                    after: &fixed,
                    patch: &patch,
                    lines: Some(&obj.lines),
                },
            )?;
        }
        writer.end_file(&name)?;
    }
    writer.finish()?;
    Ok(failed)
}

/// What `dsguard review` prints.
pub enum ReviewOutput {
    /// The response, as the server sends it with HTTP 200.
    Response(String),
    /// The `meta/v1` Status the server sends with HTTP 400.
    BadRequest(String),
}

/// `dsguard review`: one AdmissionReview body answered as the server answers it.
pub fn review(body: &[u8], endpoint: Endpoint, policy: &Policy) -> ReviewOutput {
    match admission::review_bytes(body, endpoint, policy) {
        Ok(reviewed) => ReviewOutput::Response(
            serde_json::to_string_pretty(&reviewed.response).unwrap_or_default(),
        ),
        Err(e) => ReviewOutput::BadRequest(
            admission::error_status(400, "BadRequest", &e.to_string()).to_string(),
        ),
    }
}
