//! One function per offline command, given options the command line has already checked:
//! `validate`, `mutate` and `review`. Each reads its inputs, asks [`crate::check`] and
//! writes through [`crate::report`]; the return value is what the exit code is made of.

use std::io::Write;

use crate::admission::{self, Endpoint};
use crate::check;
use crate::fix;
use crate::manifest::{self, Input};
use crate::policy::{MutateMode, Policy};
use crate::previous::Previous;
use crate::progress::Progress;
use crate::report::mutate::{self as mutate_report, MutateFormat, MutateWriter, MutatedDoc};
use crate::report::{Format, Reporter, Summary};

/// Why a command could not finish (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    /// Writing a fixed file back failed.
    #[error("{0}: cannot write the fixed file: {1}; it is left as it was")]
    Write(String, std::io::Error),
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
    let mut progress = Progress::for_stderr();
    let mut documents = 0;
    for (i, input) in inputs.iter().enumerate() {
        let name = input.name();
        reporter.count_file();
        for entry in &manifest::read_entries(input) {
            reporter.add(check::validate_entry(&name, entry, policy, previous))?;
            documents += 1;
        }
        progress.update(
            &format!("{} of {} files, ", i + 1, inputs.len()),
            documents,
            "documents",
        );
    }
    progress.finish();
    Ok(reporter.finish()?)
}

/// What `dsguard mutate` is asked to do besides printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MutateOptions {
    /// How to print.
    pub format: MutateFormat,
    /// Write the fixed text back into each file (`--write`).
    pub write: bool,
}

/// `dsguard mutate`: every document fixed; errors on `err`. YAML output, `--diff` and
/// `--write` edit each file's text in place ([`crate::fix`]); JSON and patch output print
/// the objects. Returns whether a document could not be read or fixed.
pub fn mutate<W: Write, E: Write>(
    inputs: &[Input],
    policy: &Policy,
    options: MutateOptions,
    mut out: W,
    mut err: E,
) -> Result<bool, CommandError> {
    match options.format {
        MutateFormat::Json | MutateFormat::Patch => {
            mutate_objects(inputs, policy, options.format, out, err)
        }
        MutateFormat::Yaml | MutateFormat::Diff | MutateFormat::DiffGithub => {
            let mut failed = false;
            let mut first = true;
            for input in inputs {
                failed |= mutate_text(input, policy, options, &mut first, &mut out, &mut err)?;
            }
            out.flush()?;
            Ok(failed)
        }
    }
}

/// One file through [`crate::fix`]: printed, diffed, annotated or written back.
fn mutate_text<W: Write, E: Write>(
    input: &Input,
    policy: &Policy,
    options: MutateOptions,
    first: &mut bool,
    out: &mut W,
    err: &mut E,
) -> Result<bool, CommandError> {
    let name = input.name();
    let bytes = match manifest::read_input(input) {
        Ok(b) => b,
        Err(e) => {
            writeln!(err, "{name}:1: error[parse] {e}")?;
            return Ok(true);
        }
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            writeln!(
                err,
                "{name}:1: error[parse] not valid UTF-8 (byte {}); save the file as UTF-8; it is left as it is",
                e.valid_up_to()
            )?;
            if options.format == MutateFormat::Yaml && !options.write {
                out.write_all(&bytes)?;
            }
            return Ok(true);
        }
    };
    let fixed = fix::fix_text(text, policy);
    for doc in fixed.docs.iter().filter(|d| d.error.is_some()) {
        writeln!(
            err,
            "{name}:{}: error[parse] document {}: {}",
            doc.line,
            doc.document,
            doc.error.as_deref().unwrap_or("")
        )?;
    }
    match options.format {
        MutateFormat::Diff | MutateFormat::DiffGithub => {
            out.write_all(mutate_report::diff(&name, text, &fixed.text).as_bytes())?;
            if options.format == MutateFormat::DiffGithub {
                for doc in &fixed.docs {
                    for line in mutate_report::annotations(&name, doc) {
                        writeln!(out, "{line}")?;
                    }
                }
            }
        }
        _ if options.write => {}
        _ => {
            if !*first {
                if !out_ends_with_newline(text) {
                    writeln!(out)?;
                }
                writeln!(out, "---")?;
            }
            out.write_all(fixed.text.as_bytes())?;
        }
    }
    *first = false;
    if options.write && fixed.text != text {
        write_atomically(input, fixed.text.as_bytes())
            .map_err(|e| CommandError::Write(name.clone(), e))?;
        let changed = fixed.docs.iter().filter(|d| !d.patch.0.is_empty()).count();
        let noun = if changed == 1 {
            "document"
        } else {
            "documents"
        };
        writeln!(err, "{name}: fixed {changed} {noun}")?;
    }
    Ok(fixed.failed())
}

fn out_ends_with_newline(text: &str) -> bool {
    text.is_empty() || text.ends_with('\n')
}

/// Replaces a file's content: a temporary file in the same directory, its permissions set
/// to the old file's, then renamed over it (atomic on one file system).
fn write_atomically(input: &Input, bytes: &[u8]) -> std::io::Result<()> {
    let Input::File(path) = input else {
        return Err(std::io::Error::other("only files can be written"));
    };
    // Write through a symbolic link to the file it names, as editors do.
    let path = std::fs::canonicalize(path)?;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let permissions = std::fs::metadata(&path)?.permissions();
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    std::fs::set_permissions(tmp.path(), permissions)?;
    tmp.persist(&path).map_err(|e| e.error)?;
    Ok(())
}

/// `mutate --output json|patch`: every object, fixed, or its patch.
fn mutate_objects<W: Write, E: Write>(
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
            let patch = check::patch_value(&obj.value, policy, MutateMode::Offline);
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
                },
            )?;
        }
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
