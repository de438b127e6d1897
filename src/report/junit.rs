//! JUnit XML: one `testsuite` per file, one `testcase` per document; error-severity
//! violations are `failure`s, skipped documents `skipped`, warnings go to `system-out`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::{DocResult, Status};
use crate::policy::Severity;

pub(super) fn write<W: Write>(out: &mut W, results: &[DocResult]) -> io::Result<()> {
    let mut by_file: BTreeMap<&str, Vec<&DocResult>> = BTreeMap::new();
    for r in results {
        by_file.entry(r.file.as_str()).or_default().push(r);
    }
    let mut w = Writer::new_with_indent(out, b' ', 2);
    let ev = |w: &mut Writer<&mut W>, e: Event| w.write_event(e);
    ev(
        &mut w,
        Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)),
    )?;
    let failures = results.iter().filter(|r| r.status == Status::Fail).count();
    let skipped = results.iter().filter(|r| r.status == Status::Skip).count();
    let mut root = BytesStart::new("testsuites");
    root.push_attribute(("name", "dsguard"));
    root.push_attribute(("tests", results.len().to_string().as_str()));
    root.push_attribute(("failures", failures.to_string().as_str()));
    root.push_attribute(("skipped", skipped.to_string().as_str()));
    ev(&mut w, Event::Start(root))?;
    for (file, docs) in by_file {
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", file));
        suite.push_attribute(("tests", docs.len().to_string().as_str()));
        suite.push_attribute((
            "failures",
            docs.iter()
                .filter(|r| r.status == Status::Fail)
                .count()
                .to_string()
                .as_str(),
        ));
        suite.push_attribute((
            "skipped",
            docs.iter()
                .filter(|r| r.status == Status::Skip)
                .count()
                .to_string()
                .as_str(),
        ));
        ev(&mut w, Event::Start(suite))?;
        for r in docs {
            let name = format!(
                "{} {} (document {}, line {})",
                r.kind.as_deref().unwrap_or("document"),
                r.object_name(),
                r.document,
                r.line
            );
            let mut case = BytesStart::new("testcase");
            case.push_attribute(("name", name.as_str()));
            case.push_attribute(("classname", file));
            case.push_attribute(("file", file));
            case.push_attribute(("line", r.line.to_string().as_str()));
            ev(&mut w, Event::Start(case))?;
            match r.status {
                Status::Skip => {
                    let mut s = BytesStart::new("skipped");
                    s.push_attribute(("message", r.reason.as_deref().unwrap_or("")));
                    ev(&mut w, Event::Empty(s))?;
                }
                Status::Fail => {
                    let errors: Vec<_> = r
                        .violations
                        .iter()
                        .filter(|v| v.severity == Severity::Error)
                        .collect();
                    let mut f = BytesStart::new("failure");
                    let msg = errors.first().map(|v| v.message.as_str()).unwrap_or("");
                    f.push_attribute(("message", msg));
                    f.push_attribute((
                        "type",
                        errors.first().map(|v| v.rule.as_str()).unwrap_or("error"),
                    ));
                    ev(&mut w, Event::Start(f))?;
                    let body: Vec<String> = errors
                        .iter()
                        .map(|v| {
                            format!(
                                "{}:{}: [{}] {}: {}",
                                r.file, v.line, v.rule, v.path, v.message
                            )
                        })
                        .collect();
                    ev(&mut w, Event::Text(BytesText::new(&body.join("\n"))))?;
                    ev(&mut w, Event::End(BytesEnd::new("failure")))?;
                }
                Status::Pass => {}
            }
            let warnings: Vec<String> = r
                .violations
                .iter()
                .filter(|v| v.severity == Severity::Warning)
                .map(|v| {
                    format!(
                        "{}:{}: warning[{}] {}: {}",
                        r.file, v.line, v.rule, v.path, v.message
                    )
                })
                .collect();
            if !warnings.is_empty() {
                ev(&mut w, Event::Start(BytesStart::new("system-out")))?;
                ev(&mut w, Event::Text(BytesText::new(&warnings.join("\n"))))?;
                ev(&mut w, Event::End(BytesEnd::new("system-out")))?;
            }
            ev(&mut w, Event::End(BytesEnd::new("testcase")))?;
        }
        ev(&mut w, Event::End(BytesEnd::new("testsuite")))?;
    }
    ev(&mut w, Event::End(BytesEnd::new("testsuites")))?;
    writeln!(w.into_inner())
}
