//! Output of `dsguard mutate`: the fixed objects as JSON, the JSON Patch of each, a unified
//! diff of a file's text before and after ([`diff`]), and a GitHub Actions annotation per
//! change ([`annotations`]). The fixed YAML text itself comes from [`crate::fix`].

use std::io::{self, Write};

use serde_json::Value;

use crate::fix::DocFix;

/// How `mutate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MutateFormat {
    /// The fixed manifests as YAML documents.
    Yaml,
    /// The fixed manifests as JSON (a `List` when there are several).
    Json,
    /// The JSON Patch of each document.
    Patch,
    /// A unified diff of what would change, per file.
    Diff,
    /// The unified diff, and a GitHub Actions annotation per change on its line.
    DiffGithub,
}

/// One document of one file, before and after.
pub struct MutatedDoc<'a> {
    /// 0-based document index.
    pub document: usize,
    /// 1-based line where it starts.
    pub line: usize,
    /// The document as read.
    pub before: &'a Value,
    /// The document fixed.
    pub after: &'a Value,
    /// The patch that turned one into the other.
    pub patch: &'a json_patch::Patch,
}

/// Writes `mutate`'s output as documents come.
pub struct MutateWriter<W: Write> {
    out: W,
    format: MutateFormat,
    objects: Vec<Value>,
    patches: Vec<Value>,
}

impl<W: Write> MutateWriter<W> {
    /// A writer to `out`.
    pub fn new(out: W, format: MutateFormat) -> Self {
        Self {
            out,
            format,
            objects: Vec::new(),
            patches: Vec::new(),
        }
    }

    /// Takes one document of `file`.
    pub fn document(&mut self, file: &str, doc: MutatedDoc) -> io::Result<()> {
        match self.format {
            MutateFormat::Json => self.objects.push(doc.after.clone()),
            MutateFormat::Patch => {
                let meta = |k: &str| {
                    doc.before
                        .get("metadata")
                        .and_then(|m| m.get(k))
                        .cloned()
                        .unwrap_or(Value::Null)
                };
                self.patches.push(serde_json::json!({
                    "file": file, "document": doc.document, "line": doc.line,
                    "kind": doc.before.get("kind").cloned().unwrap_or(Value::Null),
                    "name": meta("name"), "namespace": meta("namespace"),
                    "patch": doc.patch,
                }));
            }
            // Text output is written from the file's text (crate::fix).
            MutateFormat::Yaml | MutateFormat::Diff | MutateFormat::DiffGithub => {}
        }
        Ok(())
    }

    /// Writes what is kept until the end.
    pub fn finish(mut self) -> io::Result<()> {
        match self.format {
            MutateFormat::Yaml | MutateFormat::Diff | MutateFormat::DiffGithub => {}
            MutateFormat::Json => {
                let doc = if self.objects.len() == 1 {
                    self.objects.pop().unwrap_or(Value::Null)
                } else {
                    serde_json::json!({"apiVersion": "v1", "kind": "List", "items": self.objects})
                };
                serde_json::to_writer_pretty(&mut self.out, &doc)?;
                writeln!(self.out)?;
            }
            MutateFormat::Patch => {
                serde_json::to_writer_pretty(&mut self.out, &self.patches)?;
                writeln!(self.out)?;
            }
        }
        self.out.flush()
    }
}

/// A unified diff of a file's text before and after, with the file's name in the header;
/// empty when nothing changed.
pub fn diff(file: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(file, file)
        .to_string()
}

/// One GitHub Actions annotation per patch operation of a document, on the line of the
/// field it changes (or of its parent, for a field it adds).
pub fn annotations(file: &str, doc: &DocFix) -> Vec<String> {
    doc.patch
        .0
        .iter()
        .map(|op| {
            let (verb, path, value) = match op {
                json_patch::PatchOperation::Add(a) => ("add", a.path.to_string(), Some(&a.value)),
                json_patch::PatchOperation::Remove(r) => ("remove", r.path.to_string(), None),
                json_patch::PatchOperation::Replace(r) => {
                    ("replace", r.path.to_string(), Some(&r.value))
                }
                other => ("change", other.path().to_string(), None),
            };
            let line = doc.lines.line_of(&path).unwrap_or(doc.line);
            let what = match value {
                Some(v) => format!("dsguard mutate would {verb} {path}: {v}"),
                None => format!("dsguard mutate would {verb} {path}"),
            };
            super::github::annotation("warning", Some(file), line, "dsguard mutate", &what)
        })
        .collect()
}
