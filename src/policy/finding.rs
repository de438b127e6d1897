//! Findings: what a rule reports, worded as the API server words its field errors.
//!
//! The API server's validation returns `field.Error`s, printed as `path: Type: value: detail`
//! (k8s.io/apimachinery `pkg/util/validation/field/errors.go`, `(*Error).Error` and
//! `ErrorBody`). [`Out`] has one method per error type with the same rendering, so that a
//! port of a Go check reads like the Go: `field.Invalid(path, value, detail)` becomes
//! `o.invalid(&at, value, detail)`. The path is kept apart from the message
//! ([`Violation::path`]); the message is the rest of the line.

use std::fmt::{self, Display, Write};

use serde::Serialize;

use super::path::{At, FieldPath};
use super::rules::{RuleId, Severity};
use super::view::Node;

/// One finding of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The rule's stable id.
    pub rule: RuleId,
    /// Severity after configuration.
    pub severity: Severity,
    /// The field, as the API server writes it (`spec.template.metadata.labels`).
    pub path: FieldPath,
    /// The API server's wording where it has one, then what to do.
    pub message: String,
}

/// Raw findings, before the configured severities are applied.
#[derive(Debug, Default)]
pub(crate) struct Findings(pub(crate) Vec<(RuleId, FieldPath, String)>);

impl Findings {
    /// Records a finding at a walking path.
    pub(crate) fn add(&mut self, rule: RuleId, at: &At, message: impl Into<String>) {
        self.0.push((rule, at.path(), message.into()));
    }

    /// Records a finding at an owned path.
    pub(crate) fn add_path(&mut self, rule: RuleId, path: &FieldPath, message: impl Into<String>) {
        self.0.push((rule, path.clone(), message.into()));
    }

    /// A writer of findings of `rule`.
    pub(crate) fn rule(&mut self, rule: RuleId) -> Out<'_> {
        Out {
            findings: self,
            rule,
        }
    }

    /// How many findings so far (to tell whether a check added any).
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

/// Runs `check` into a scratch list and says whether it found anything: the API server's
/// `len(validateX(...)) != 0`, used where an option depends on whether old data was valid.
pub(crate) fn fails(check: impl FnOnce(&mut Out)) -> bool {
    let mut scratch = Findings::default();
    check(&mut scratch.rule(RuleId::PodSpec));
    scratch.len() > 0
}

/// Writes findings of one rule, with the API server's error types.
pub(crate) struct Out<'f> {
    findings: &'f mut Findings,
    /// The rule the findings are filed under.
    pub(crate) rule: RuleId,
}

impl Out<'_> {
    /// The same findings, filed under another rule.
    pub(crate) fn under(&mut self, rule: RuleId) -> Out<'_> {
        Out {
            findings: self.findings,
            rule,
        }
    }

    /// How many findings so far, of every rule.
    pub(crate) fn count(&self) -> usize {
        self.findings.len()
    }

    /// A finding with a message as given.
    pub(crate) fn add(&mut self, at: &At, message: impl Into<String>) {
        self.findings.add(self.rule, at, message);
    }

    /// `field.Required(path, detail)`: `Required value` or `Required value: detail`.
    pub(crate) fn required(&mut self, at: &At, detail: impl Display) {
        self.add(at, with_detail("Required value".into(), detail));
    }

    /// `field.Forbidden(path, detail)`.
    pub(crate) fn forbidden(&mut self, at: &At, detail: impl Display) {
        self.add(at, with_detail("Forbidden".into(), detail));
    }

    /// `field.Invalid(path, value, detail)`: `Invalid value: <value>: detail`.
    pub(crate) fn invalid(&mut self, at: &At, value: impl GoValue, detail: impl Display) {
        self.add(
            at,
            with_detail(format!("Invalid value: {}", Go(&value)), detail),
        );
    }

    /// `field.NotSupported(path, value, valid)`: `Unsupported value: <value>: supported
    /// values: "a", "b"` (the list as given; Go sorts nothing here).
    pub(crate) fn not_supported(&mut self, at: &At, value: impl GoValue, valid: &[&str]) {
        self.add(at, not_supported_message(&value, valid));
    }

    /// `field.Duplicate(path, value)`.
    pub(crate) fn duplicate(&mut self, at: &At, value: impl GoValue) {
        self.add(at, format!("Duplicate value: {}", Go(&value)));
    }

    /// `field.NotFound(path, value)`.
    pub(crate) fn not_found(&mut self, at: &At, value: impl GoValue) {
        self.add(at, format!("Not found: {}", Go(&value)));
    }

    /// `field.TooLong(path, value, max)` of a string: `Too long: may not be more than N bytes`.
    pub(crate) fn too_long(&mut self, at: &At, max: usize) {
        let unit = if max == 1 { "byte" } else { "bytes" };
        self.add(at, format!("Too long: may not be more than {max} {unit}"));
    }

    /// `field.TooMany(path, actual, max)`: `Too many: N: must have at most M items`.
    pub(crate) fn too_many(&mut self, at: &At, actual: usize, max: usize) {
        let unit = if max == 1 { "item" } else { "items" };
        self.add(
            at,
            format!("Too many: {actual}: must have at most {max} {unit}"),
        );
    }

    /// `field.Invalid` once per message of a name or syntax check (`IsDNS1123Label` …).
    pub(crate) fn invalid_each(&mut self, at: &At, value: &str, messages: Vec<String>) {
        for m in messages {
            self.invalid(at, value, m);
        }
    }
}

/// `field.NotSupported`'s message.
pub(crate) fn not_supported_message(value: &dyn GoValue, valid: &[&str]) -> String {
    let mut s = format!("Unsupported value: {}", Go(value));
    if !valid.is_empty() {
        s.push_str(": supported values: ");
        for (i, v) in valid.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            let _ = write!(s, "{}", Quoted(v));
        }
    }
    s
}

fn with_detail(mut head: String, detail: impl Display) -> String {
    let start = head.len();
    let _ = write!(head, ": {detail}");
    if head.len() == start + 2 {
        head.truncate(start);
    }
    head
}

/// A value as `ErrorBody` prints it: strings quoted with Go's `%q`, numbers and booleans
/// plain, nil as `null`, other types (structs, maps, lists) as compact JSON (Go prints them
/// with `%#v`, in Go syntax, which says nothing to a YAML author).
pub(crate) trait GoValue {
    /// Writes the value.
    fn go_fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

struct Go<'a, T: ?Sized>(&'a T);

impl<T: GoValue + ?Sized> Display for Go<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.go_fmt(f)
    }
}

impl GoValue for str {
    fn go_fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Quoted(self).fmt(f)
    }
}
impl GoValue for &str {
    fn go_fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Quoted(self).fmt(f)
    }
}
impl GoValue for String {
    fn go_fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Quoted(self).fmt(f)
    }
}
impl GoValue for &String {
    fn go_fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Quoted(self).fmt(f)
    }
}
macro_rules! plain {
    ($($t:ty),*) => {$(
        impl GoValue for $t {
            fn go_fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{self}")
            }
        }
    )*};
}
plain!(i32, i64, u32, u64, usize, bool);

impl GoValue for Node<'_> {
    fn go_fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::String(s) => Quoted(s).fmt(f),
            Node::Null => f.write_str("null"),
            other => write!(f, "{other}"),
        }
    }
}
impl GoValue for &Node<'_> {
    fn go_fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (*self).go_fmt(f)
    }
}

/// A value printed as it is, unquoted: a Go `fmt.Stringer` such as `Quantity.String()`, or
/// Go's `%v` of a list (`[a b]`).
pub(crate) struct Raw<T: Display>(pub(crate) T);

impl<T: Display> GoValue for Raw<T> {
    fn go_fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A string as Go's `encoding/json` writes it (the value of a typed string or a pointer in a
/// field error): `"`, `\` and control characters escaped, and `<`, `>`, `&`, U+2028 and
/// U+2029 as `\u…` (Go's HTML-safe default).
pub(crate) struct GoJson<'a>(pub(crate) &'a str);

impl Display for GoJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                '\u{8}' => f.write_str("\\b")?,
                '\u{c}' => f.write_str("\\f")?,
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => write!(f, "\\u{:04x}", c as u32)?,
                c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

/// A string quoted as Go's `strconv.Quote` (`%q`) does: `"` and `\` escaped, control
/// characters as `\n`, `\t`, `\x1b`, non-printable characters as `\u…`; printable
/// non-ASCII text as it is.
pub(crate) struct Quoted<'a>(pub(crate) &'a str);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\u{7}' => f.write_str("\\a")?,
                '\u{8}' => f.write_str("\\b")?,
                '\u{c}' => f.write_str("\\f")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                '\u{b}' => f.write_str("\\v")?,
                c if (c as u32) < 0x20 || c == '\u{7f}' => write!(f, "\\x{:02x}", c as u32)?,
                c if is_printable(c) => f.write_char(c)?,
                c if (c as u32) < 0x10000 => write!(f, "\\u{:04x}", c as u32)?,
                c => write!(f, "\\U{:08x}", c as u32)?,
            }
        }
        f.write_char('"')
    }
}

/// An approximation of Go's `unicode.IsPrint` for what Kubernetes names and values hold:
/// letters, marks, numbers, punctuation, symbols and the ASCII space are printable; other
/// spaces, controls, format characters, surrogates and private-use characters are not.
fn is_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    // Format characters (Cf) that show up in pasted text, and private use (Co).
    !matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0xE000..=0xF8FF | 0xF0000..=0x10FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(f: impl FnOnce(&mut Out)) -> String {
        let mut findings = Findings::default();
        f(&mut findings.rule(RuleId::PodSpec));
        let (_, path, message) = findings.0.pop().unwrap();
        format!("{path}: {message}")
    }

    #[test]
    fn renders_like_field_errors() {
        let spec = At::ROOT.child("spec");
        let rows: Vec<(String, &str)> = vec![
            (one(|o| o.required(&spec, "")), "spec: Required value"),
            (
                one(|o| o.required(&spec, "must be set")),
                "spec: Required value: must be set",
            ),
            (
                one(|o| o.forbidden(&spec, "not here")),
                "spec: Forbidden: not here",
            ),
            (
                one(|o| o.invalid(&spec, "a\"b", "bad")),
                "spec: Invalid value: \"a\\\"b\": bad",
            ),
            (
                one(|o| o.invalid(&spec, 70000i64, "must be between 1 and 65535, inclusive")),
                "spec: Invalid value: 70000: must be between 1 and 65535, inclusive",
            ),
            (
                one(|o| o.not_supported(&spec, "Dir", &["", "Directory"])),
                "spec: Unsupported value: \"Dir\": supported values: \"\", \"Directory\"",
            ),
            (
                one(|o| o.duplicate(&spec, "x")),
                "spec: Duplicate value: \"x\"",
            ),
            (one(|o| o.not_found(&spec, "v")), "spec: Not found: \"v\""),
            (
                one(|o| o.too_long(&spec, 63)),
                "spec: Too long: may not be more than 63 bytes",
            ),
            (
                one(|o| o.too_many(&spec, 33, 32)),
                "spec: Too many: 33: must have at most 32 items",
            ),
            (
                one(|o| o.invalid(&spec, Raw("2"), "q")),
                "spec: Invalid value: 2: q",
            ),
            (
                one(|o| o.invalid(&spec, &Node::Null, "n")),
                "spec: Invalid value: null: n",
            ),
        ];
        for (got, want) in rows {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn quotes_like_go() {
        let rows = [
            ("plain", "\"plain\""),
            ("tab\there", "\"tab\\there\""),
            ("ünïcödé 日本", "\"ünïcödé 日本\""),
            ("\u{1b}[0m", "\"\\x1b[0m\""),
            ("zero\u{200b}width", "\"zero\\u200bwidth\""),
            ("back\\slash", "\"back\\\\slash\""),
        ];
        for (input, want) in rows {
            assert_eq!(Quoted(input).to_string(), want, "{input:?}");
        }
    }
}
