//! GitHub Actions workflow commands: one `::error` or `::warning` annotation per finding,
//! placed on the file and line, so that findings show on the pull request's diff.
//!
//! Escaping follows the Actions runner (actions/toolkit `command.ts`, `escapeData` and
//! `escapeProperty`): `%`, `\r` and `\n` in the message; also `:` and `,` in properties.
//! A finding without a file in the repository (`dsguard audit`'s `k8s://` objects) is
//! annotated without `file` and `line`.

use std::fmt::Write as _;

use super::{DocResult, Located};
use crate::policy::Severity;

/// The message part of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One annotation: `::error file=F,line=L,title=T::message`.
pub fn annotation(
    level: &str,
    file: Option<&str>,
    line: usize,
    title: &str,
    message: &str,
) -> String {
    let mut props = String::new();
    if let Some(f) = file.filter(|f| !f.starts_with("k8s://") && *f != "<stdin>") {
        let _ = write!(props, "file={},line={line},", escape_property(f));
    }
    let _ = write!(props, "title={}", escape_property(title));
    format!("::{level} {props}::{}", escape_data(message))
}

/// The annotation of one violation of one result.
pub(super) fn violation(r: &DocResult, v: &Located) -> String {
    let level = match v.severity {
        Severity::Error => "error",
        _ => "warning",
    };
    let at = if v.path.is_empty() {
        String::new()
    } else {
        format!("{}: ", v.path)
    };
    let message = if r.file.starts_with("k8s://") {
        format!("{}: {at}{}", r.file, v.message)
    } else {
        format!("{}: {at}{}", r.object_name(), v.message)
    };
    annotation(
        level,
        Some(&r.file),
        v.line,
        &format!("dsguard {}", v.rule),
        &message,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_requires() {
        assert_eq!(
            annotation("error", Some("a,b:c.yaml"), 7, "dsguard x", "50% of\r\nit"),
            "::error file=a%2Cb%3Ac.yaml,line=7,title=dsguard x::50%25 of%0D%0Ait"
        );
        assert_eq!(
            annotation(
                "warning",
                Some("k8s://ctx/namespaces/a/daemonsets/b"),
                1,
                "t",
                "m"
            ),
            "::warning title=t::m"
        );
    }
}
