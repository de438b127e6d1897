//! Output of `dsguard validate` and `dsguard audit` (text, JSON, JUnit XML, SARIF 2.1.0 and
//! policy reports), and of `dsguard mutate` ([`mutate`]).

pub mod github;
mod junit;
pub mod mutate;
pub mod policyreport;
mod sarif;

use std::io::{self, Write};

use serde::Serialize;

use crate::policy::{RuleId, Severity};

/// What happened to a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A DaemonSet with no error-severity violation.
    Pass,
    /// An error-severity violation, or a document that cannot be read.
    Fail,
    /// Not a DaemonSet, or exempt.
    Skip,
}

/// A violation with its line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Located {
    /// Rule id.
    pub rule: RuleId,
    /// Severity in force.
    pub severity: Severity,
    /// API-server field path; empty for a whole document.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong and what to do.
    pub message: String,
}

/// The result for one document (or `List` item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocResult {
    /// File name (`<stdin>` for stdin).
    pub file: String,
    /// 0-based index of the document in the file.
    pub document: usize,
    /// 1-based line where it starts.
    pub line: usize,
    /// `apiVersion`, when the document has one.
    pub api_version: Option<String>,
    /// `kind`, when the document has one.
    pub kind: Option<String>,
    /// `metadata.name`.
    pub name: Option<String>,
    /// `metadata.namespace`.
    pub namespace: Option<String>,
    /// pass, fail or skip.
    pub status: Status,
    /// Why it was skipped (text output only).
    #[serde(skip)]
    pub reason: Option<String>,
    /// Violations, by line.
    pub violations: Vec<Located>,
    /// `dsguard audit`: the JSON Patch the mutating webhook would apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<serde_json::Value>,
    /// `dsguard audit`: rollout counts from `.status`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout: Option<crate::policy::rollout::Rollout>,
}

impl DocResult {
    /// `namespace/name`, or `document N` when the document has no name.
    pub fn object_name(&self) -> String {
        match (&self.namespace, &self.name) {
            (Some(ns), Some(n)) => format!("{ns}/{n}"),
            (None, Some(n)) => n.clone(),
            _ => format!("document {}", self.document),
        }
    }
}

/// Counts for the summary line and the JSON `summary`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Files read (stdin counts as one).
    pub files: usize,
    /// Documents and `List` items.
    pub documents: usize,
    /// DaemonSets among them.
    pub daemonsets: usize,
    /// Results that passed.
    pub passed: usize,
    /// Results that failed.
    pub failed: usize,
    /// Results that were skipped.
    pub skipped: usize,
    /// Failed results that are documents which could not be read (the `parse` rule).
    pub unreadable: usize,
}

impl Summary {
    /// Counts one result.
    pub fn add(&mut self, r: &DocResult) {
        self.documents += 1;
        if r.kind.as_deref() == Some("DaemonSet") {
            self.daemonsets += 1;
        }
        match r.status {
            Status::Pass => self.passed += 1,
            Status::Fail => self.failed += 1,
            Status::Skip => self.skipped += 1,
        }
        if r.violations.iter().any(|v| v.rule == RuleId::Parse) {
            self.unreadable += 1;
        }
    }

    /// The summary line: `2 files, 3 documents: 1 passed, 1 failed, 1 skipped (2 DaemonSets,
    /// 1 unreadable)`; the three counts add up to the documents. `scope` replaces the file
    /// count (`dsguard audit`).
    pub fn line(&self, scope: Option<&str>) -> String {
        let n = |count: usize, one: &str, many: &str| {
            format!("{count} {}", if count == 1 { one } else { many })
        };
        let head = match scope {
            Some(scope) => format!("{scope}: {}", n(self.documents, "DaemonSet", "DaemonSets")),
            None => format!(
                "{}, {}",
                n(self.files, "file", "files"),
                n(self.documents, "document", "documents")
            ),
        };
        let mut tail = Vec::new();
        if scope.is_none() {
            tail.push(n(self.daemonsets, "DaemonSet", "DaemonSets"));
        }
        if self.unreadable > 0 {
            tail.push(format!("{} unreadable", self.unreadable));
        }
        let tail = if tail.is_empty() {
            String::new()
        } else {
            format!(" ({})", tail.join(", "))
        };
        format!(
            "{head}: {} passed, {} failed, {} skipped{tail}",
            self.passed, self.failed, self.skipped
        )
    }
}

/// Output format of `validate` and `audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `file:line: severity[rule] namespace/name: message`, one summary line.
    Text,
    /// One JSON object: summary and results.
    Json,
    /// JUnit XML, for CI test reports.
    Junit,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// GitHub Actions workflow commands: one annotation per finding, then the summary line.
    Github,
    /// Policy reports of the given API as a YAML stream ([`policyreport`]).
    PolicyReport(policyreport::ReportApi),
}

/// Writes results as they come (text) or at the end (the others).
pub struct Reporter<W: Write> {
    out: W,
    format: Format,
    color: bool,
    results: Vec<DocResult>,
    summary: Summary,
    scope: Option<String>,
    /// Results with their object's uid, for policy reports (in that format, or after
    /// [`Reporter::keep_for_reports`]).
    reported: Vec<(DocResult, Option<String>)>,
    keep_for_reports: bool,
    /// When the run started: the `timestamp` of policy report results.
    started: std::time::SystemTime,
}

impl<W: Write> Reporter<W> {
    /// A reporter writing to `out`; `color` for ANSI colours in text.
    pub fn new(out: W, format: Format, color: bool) -> Self {
        Reporter {
            out,
            format,
            color,
            results: Vec::new(),
            summary: Summary::default(),
            scope: None,
            reported: Vec::new(),
            keep_for_reports: false,
            started: std::time::SystemTime::now(),
        }
    }

    /// Also keeps every result for [`Reporter::policy_reports`], whatever the format
    /// (`audit --apply-reports`).
    pub fn keep_for_reports(&mut self) {
        self.keep_for_reports = true;
    }

    /// The policy reports of the results so far (kept in the policy report format, or after
    /// [`Reporter::keep_for_reports`]); files are named in `properties` unless a scope was
    /// set (`audit`).
    pub fn policy_reports(&self, api: policyreport::ReportApi) -> Vec<serde_json::Value> {
        policyreport::reports(
            &self.reported,
            &policyreport::Options {
                api,
                timestamp: policyreport::Timestamp::of(self.started),
                locations: self.scope.is_none(),
            },
        )
    }

    /// Counts one input file.
    pub fn count_file(&mut self) {
        self.summary.files += 1;
    }

    /// Names what was read, for the text summary line instead of file counts (`audit`).
    pub fn set_scope(&mut self, scope: String) {
        self.scope = Some(scope);
    }

    /// Writes raw text now, in text format only (the audit's patch lines and table).
    pub fn text_line(&mut self, line: &str) -> io::Result<()> {
        if self.format == Format::Text {
            writeln!(self.out, "{line}")?;
        }
        Ok(())
    }

    /// Takes one result.
    pub fn add(&mut self, r: DocResult) -> io::Result<()> {
        self.add_with_uid(r, None)
    }

    /// Takes one result, with the uid of its object when known (`audit`: the live object's;
    /// policy reports name it).
    pub fn add_with_uid(&mut self, r: DocResult, uid: Option<String>) -> io::Result<()> {
        self.summary.add(&r);
        if let Format::PolicyReport(_) = self.format {
            self.reported.push((r, uid));
            return Ok(());
        }
        if self.keep_for_reports {
            self.reported.push((r.clone(), uid));
        }
        match self.format {
            Format::Text => self.text(&r),
            Format::Github => {
                for v in &r.violations {
                    writeln!(self.out, "{}", github::violation(&r, v))?;
                }
                Ok(())
            }
            _ => {
                self.results.push(r);
                Ok(())
            }
        }
    }

    fn text(&mut self, r: &DocResult) -> io::Result<()> {
        use anstyle::{AnsiColor, Style};
        let paint = |s: Style, t: &str| {
            if self.color {
                format!("{}{t}{}", s.render(), s.render_reset())
            } else {
                t.to_string()
            }
        };
        let red = Style::new().fg_color(Some(AnsiColor::Red.into())).bold();
        let yellow = Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold();
        let dim = Style::new().dimmed();
        if r.status == Status::Skip {
            let what = paint(dim, "skip");
            let reason = r.reason.as_deref().unwrap_or("");
            return writeln!(
                self.out,
                "{}:{}: {what} {}: {reason}",
                r.file,
                r.line,
                r.object_name()
            );
        }
        for v in &r.violations {
            let sev = match v.severity {
                Severity::Error => paint(red, "error"),
                _ => paint(yellow, "warning"),
            };
            let at = if v.path.is_empty() {
                String::new()
            } else {
                format!("{}: ", v.path)
            };
            writeln!(
                self.out,
                "{}:{}: {sev}[{}] {}: {at}{}",
                r.file,
                v.line,
                v.rule,
                r.object_name(),
                v.message
            )?;
        }
        Ok(())
    }

    /// Writes what is left and the summary.
    pub fn finish(mut self) -> io::Result<Summary> {
        let s = self.summary.clone();
        match self.format {
            Format::Text | Format::Github => {
                writeln!(self.out, "{}", s.line(self.scope.as_deref()))?
            }
            Format::Json => {
                #[derive(Serialize)]
                struct Out<'a> {
                    summary: &'a Summary,
                    results: &'a [DocResult],
                }
                serde_json::to_writer(
                    &mut self.out,
                    &Out {
                        summary: &s,
                        results: &self.results,
                    },
                )?;
                writeln!(self.out)?;
            }
            Format::Junit => junit::write(&mut self.out, &self.results)?,
            Format::Sarif => {
                serde_json::to_writer_pretty(&mut self.out, &sarif::log(&self.results))?;
                writeln!(self.out)?;
            }
            Format::PolicyReport(api) => {
                let reports = self.policy_reports(api);
                self.out
                    .write_all(policyreport::yaml_stream(&reports).as_bytes())?;
            }
        }
        self.out.flush()?;
        Ok(s)
    }
}
