//! Output of `dsguard mutate`: the fixed documents as YAML or JSON, the JSON Patch of each,
//! or a unified diff of what would change.

use std::io::{self, Write};

use serde_json::Value;

use crate::yaml;

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
    /// Lines of the document's fields, when it was read from text.
    pub lines: Option<&'a crate::yaml::LineIndex>,
}

/// Writes `mutate`'s output as documents come.
pub struct MutateWriter<W: Write> {
    out: W,
    format: MutateFormat,
    first_yaml: bool,
    objects: Vec<Value>,
    patches: Vec<Value>,
    before: String,
    after: String,
    annotations: Vec<String>,
}

impl<W: Write> MutateWriter<W> {
    /// A writer to `out`.
    pub fn new(out: W, format: MutateFormat) -> Self {
        Self {
            out,
            format,
            first_yaml: true,
            objects: Vec::new(),
            patches: Vec::new(),
            before: String::new(),
            after: String::new(),
            annotations: Vec::new(),
        }
    }

    /// Takes one document of `file`.
    pub fn document(&mut self, file: &str, doc: MutatedDoc) -> io::Result<()> {
        match self.format {
            MutateFormat::Yaml => {
                if !self.first_yaml {
                    writeln!(self.out, "---")?;
                }
                self.first_yaml = false;
                write!(self.out, "{}", yaml::to_yaml(doc.after))?;
            }
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
            MutateFormat::Diff | MutateFormat::DiffGithub => {
                self.before
                    .push_str(&format!("---\n{}", yaml::to_yaml(doc.before)));
                self.after
                    .push_str(&format!("---\n{}", yaml::to_yaml(doc.after)));
                if self.format == MutateFormat::DiffGithub {
                    self.annotate(file, &doc);
                }
            }
        }
        Ok(())
    }

    /// One annotation per patch operation, on the line of the field it changes (or of its
    /// parent, for a field it adds).
    fn annotate(&mut self, file: &str, doc: &MutatedDoc) {
        for op in &doc.patch.0 {
            let (verb, path, value) = match op {
                json_patch::PatchOperation::Add(a) => ("add", a.path.to_string(), Some(&a.value)),
                json_patch::PatchOperation::Remove(r) => ("remove", r.path.to_string(), None),
                json_patch::PatchOperation::Replace(r) => {
                    ("replace", r.path.to_string(), Some(&r.value))
                }
                other => ("change", other.path().to_string(), None),
            };
            let line = doc.lines.and_then(|l| l.line_of(&path)).unwrap_or(doc.line);
            let what = match value {
                Some(v) => format!("dsguard mutate would {verb} {path}: {v}"),
                None => format!("dsguard mutate would {verb} {path}"),
            };
            self.annotations.push(super::github::annotation(
                "warning",
                Some(file),
                line,
                "dsguard mutate",
                &what,
            ));
        }
    }

    /// Ends one file (the diff is written per file).
    pub fn end_file(&mut self, file: &str) -> io::Result<()> {
        let diff = matches!(self.format, MutateFormat::Diff | MutateFormat::DiffGithub);
        if diff && self.before != self.after {
            let text = similar::TextDiff::from_lines(&self.before, &self.after);
            write!(
                self.out,
                "{}",
                text.unified_diff().context_radius(3).header(file, file)
            )?;
        }
        self.before.clear();
        self.after.clear();
        for a in self.annotations.drain(..) {
            writeln!(self.out, "{a}")?;
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
