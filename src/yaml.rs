//! YAML reading and writing, the way kubectl reads manifests.
//!
//! * Documents are split on `---` lines first, as kubectl's reader does
//!   (k8s.io/apimachinery `pkg/util/yaml/decoder.go`, `YAMLReader.Read`), so a syntax error
//!   in one document does not hide the others.
//! * Plain scalars are resolved with YAML 1.1 rules, as sigs.k8s.io/yaml (go-yaml v2,
//!   `resolve.go`, `resolve`) does: unquoted `yes`, `on`, `y` are booleans, `0755` is octal,
//!   timestamps stay strings.
//! * Every node's line is recorded by JSON pointer, so violations can name a line.
//! * Input is bounded: nesting depth, alias expansion (billion laughs) and document size
//!   are limited, and nothing recurses on input depth.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

/// Deepest nesting accepted; serde_json refuses JSON deeper than this too.
pub const MAX_DEPTH: usize = 128;
/// Most nodes one document may expand to through aliases.
pub const MAX_NODES: usize = 1_000_000;
/// Largest document accepted: the API server refuses request bodies over 3 MiB
/// (k8s.io/apiserver `pkg/server/config.go`, `MaxRequestBodyBytes`).
pub const MAX_DOCUMENT_BYTES: usize = 3 * 1024 * 1024;

/// Line numbers of the nodes of one document, keyed by JSON pointer (`/spec/selector`).
#[derive(Debug, Default, Clone)]
pub struct LineIndex {
    lines: HashMap<String, usize>,
}

impl LineIndex {
    /// The line of the node at `pointer`, or of its nearest ancestor that has one.
    pub fn line_of(&self, pointer: &str) -> Option<usize> {
        let mut p = pointer;
        loop {
            if let Some(l) = self.lines.get(p) {
                return Some(*l);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }

    /// A copy of the entries under `prefix`, re-rooted there (for `List` items).
    pub fn subtree(&self, prefix: &str) -> LineIndex {
        let lines = self
            .lines
            .iter()
            .filter_map(|(k, v)| {
                if k == prefix {
                    Some((String::new(), *v))
                } else {
                    k.strip_prefix(prefix)
                        .filter(|rest| rest.starts_with('/'))
                        .map(|rest| (rest.to_string(), *v))
                }
            })
            .collect();
        LineIndex { lines }
    }
}

/// One parsed YAML document.
#[derive(Debug, Clone)]
pub struct YamlDocument {
    /// The document as JSON, as kubectl would send it.
    pub value: Value,
    /// 1-based line where the document's content starts.
    pub line: usize,
    /// Lines of its nodes.
    pub lines: LineIndex,
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct YamlError {
    /// 1-based line of the problem.
    pub line: usize,
    /// What is wrong and what to do.
    pub message: String,
}

/// A piece of a stream between `---` separator lines.
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    /// The bytes of the piece.
    pub bytes: &'a [u8],
    /// 1-based line of its first byte in the stream.
    pub start_line: usize,
}

/// Splits a stream on separator lines: a line that starts with `---` followed only by
/// white space (k8s.io/apimachinery `pkg/util/yaml/decoder.go`, `YAMLReader.Read`).
pub fn split_documents(input: &[u8]) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut start_line = 1;
    let mut line_no = 1;
    let mut pos = 0;
    while pos < input.len() {
        let end = memchr_newline(&input[pos..]).map_or(input.len(), |i| pos + i + 1);
        let line = &input[pos..end];
        if line.starts_with(b"---") && line[3..].iter().all(|b| b.is_ascii_whitespace()) {
            chunks.push(Chunk {
                bytes: &input[start..pos],
                start_line,
            });
            start = end;
            start_line = line_no + 1;
        }
        pos = end;
        line_no += 1;
    }
    chunks.push(Chunk {
        bytes: &input[start..],
        start_line,
    });
    chunks
}

fn memchr_newline(s: &[u8]) -> Option<usize> {
    s.iter().position(|&b| b == b'\n')
}

/// Parses every YAML document in `text` (normally one chunk). `first_line` is the line of
/// `text`'s first byte in the whole file. Empty documents are left out.
pub fn parse_documents(text: &str, first_line: usize) -> Result<Vec<YamlDocument>, YamlError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(YamlError {
            line: first_line,
            message: format!(
                "document is {:.1} MiB; the API server refuses objects over 3 MiB, so it is not read",
                text.len() as f64 / (1024.0 * 1024.0)
            ),
        });
    }
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    let mut builder: Option<Builder> = None;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| YamlError {
            line: e.marker().line() + first_line - 1,
            message: if e.info().contains("recursion limit") {
                format!("nesting is deeper than {MAX_DEPTH} levels; no Kubernetes object is nested this deep")
            } else {
                format!("YAML syntax error: {}", e.info())
            },
        })?;
        let line = mark.line() + first_line - 1;
        match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing => {}
            Event::DocumentStart => builder = Some(Builder::new(line)),
            Event::DocumentEnd => {
                if let Some(b) = builder.take()
                    && let Some(doc) = b.finish()
                {
                    docs.push(doc);
                }
            }
            other => {
                let b = builder.get_or_insert_with(|| Builder::new(line));
                b.event(other, line)?;
            }
        }
    }
    Ok(docs)
}

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
    },
    Map {
        map: Map<String, Value>,
        key: Option<String>,
        merges: Vec<Value>,
        anchor: usize,
    },
}

struct Builder {
    stack: Vec<Frame>,
    /// JSON pointer of each open frame's own position (parallel to `stack`).
    pointers: Vec<String>,
    anchors: HashMap<usize, (Value, usize)>,
    lines: HashMap<String, usize>,
    root: Option<Value>,
    start_line: usize,
    nodes: usize,
    /// Line of the pending map key, used as the line of its value.
    key_line: Option<usize>,
}

impl Builder {
    fn new(line: usize) -> Self {
        Builder {
            stack: Vec::new(),
            pointers: Vec::new(),
            anchors: HashMap::new(),
            lines: HashMap::new(),
            root: None,
            start_line: line,
            nodes: 0,
            key_line: None,
        }
    }

    fn finish(self) -> Option<YamlDocument> {
        let value = self.root?;
        if value.is_null() {
            return None;
        }
        let line = self.lines.get("").copied().unwrap_or(self.start_line);
        Some(YamlDocument {
            value,
            line,
            lines: LineIndex { lines: self.lines },
        })
    }

    /// Pointer of the node about to be placed in the current container.
    fn child_pointer(&self) -> String {
        match (self.stack.last(), self.pointers.last()) {
            (Some(Frame::Seq { items, .. }), Some(p)) => format!("{p}/{}", items.len()),
            (Some(Frame::Map { key: Some(k), .. }), Some(p)) => {
                format!("{p}/{}", crate::policy::escape_token(k))
            }
            _ => String::new(),
        }
    }

    /// True when the next node is a mapping key.
    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    fn count(&mut self, n: usize, line: usize) -> Result<(), YamlError> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(YamlError {
                line,
                message: format!(
                    "document expands to more than {MAX_NODES} nodes through YAML aliases (an alias bomb?); it is not read"
                ),
            });
        }
        Ok(())
    }

    fn event(&mut self, event: Event, line: usize) -> Result<(), YamlError> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, line)?;
                if self.expecting_key() {
                    if anchor != 0 {
                        self.anchors
                            .insert(anchor, (Value::String(text.clone()), 1));
                    }
                    let key = key_string(&text, style, tag.as_ref().map(|t| t.suffix.as_str()));
                    if let Some(Frame::Map { key: k, .. }) = self.stack.last_mut() {
                        *k = Some(key);
                    }
                    self.key_line = Some(line);
                    return Ok(());
                }
                let value = resolve_scalar(&text, style, tag.as_ref().map(|t| t.suffix.as_str()))
                    .map_err(|message| YamlError { line, message })?;
                if anchor != 0 {
                    self.anchors.insert(anchor, (value.clone(), 1));
                }
                self.place(value, line)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.count(1, line)?;
                if self.expecting_key() {
                    return Err(YamlError {
                        line,
                        message: "a mapping key must be a scalar, not a list or mapping".into(),
                    });
                }
                if self.stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        line,
                        message: format!(
                            "nesting is deeper than {MAX_DEPTH} levels; no Kubernetes object is nested this deep"
                        ),
                    });
                }
                let pointer = self.child_pointer();
                let node_line = self.key_line.take().unwrap_or(line);
                self.lines.insert(pointer.clone(), node_line);
                self.pointers.push(pointer);
                self.stack
                    .push(if matches!(event, Event::SequenceStart(..)) {
                        Frame::Seq {
                            items: Vec::new(),
                            anchor,
                        }
                    } else {
                        Frame::Map {
                            map: Map::new(),
                            key: None,
                            merges: Vec::new(),
                            anchor,
                        }
                    });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = self.stack.pop();
                let pointer = self.pointers.pop().unwrap_or_default();
                let (value, anchor) = match frame {
                    Some(Frame::Seq { items, anchor }) => (Value::Array(items), anchor),
                    Some(Frame::Map {
                        mut map,
                        merges,
                        anchor,
                        ..
                    }) => {
                        apply_merges(&mut map, merges);
                        (Value::Object(map), anchor)
                    }
                    None => return Ok(()),
                };
                if anchor != 0 {
                    let size = node_count(&value);
                    self.anchors.insert(anchor, (value.clone(), size));
                }
                let line = self.lines.get(&pointer).copied().unwrap_or(self.start_line);
                self.place_built(value, line)
            }
            Event::Alias(id) => {
                let (value, size) = self.anchors.get(&id).cloned().ok_or_else(|| YamlError {
                    line,
                    message: "alias refers to an unknown anchor".into(),
                })?;
                self.count(size, line)?;
                if self.expecting_key() {
                    let key = match &value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    if let Some(Frame::Map { key: k, .. }) = self.stack.last_mut() {
                        *k = Some(key);
                    }
                    self.key_line = Some(line);
                    return Ok(());
                }
                self.place(value, line)
            }
            _ => Ok(()),
        }
    }

    /// Places a scalar or alias value, recording its line.
    fn place(&mut self, value: Value, line: usize) -> Result<(), YamlError> {
        let pointer = self.child_pointer();
        let node_line = self.key_line.take().unwrap_or(line);
        self.lines.insert(pointer, node_line);
        self.place_built(value, node_line)
    }

    /// Puts a finished value into its parent (or makes it the root). A key defined twice in
    /// one mapping is an error, whatever its value.
    fn place_built(&mut self, value: Value, line: usize) -> Result<(), YamlError> {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                map, key, merges, ..
            }) => {
                if let Some(k) = key.take() {
                    if k == "<<" && (value.is_object() || value.is_array()) {
                        merges.push(value);
                    } else if map.contains_key(&k) {
                        return Err(YamlError {
                            line,
                            message: format!(
                                "mapping key \"{k}\" is already defined; remove the duplicate"
                            ),
                        });
                    } else {
                        map.insert(k, value);
                    }
                }
            }
        }
        Ok(())
    }
}

/// YAML merge keys (`<<: *base`): merged entries never override explicit ones.
fn apply_merges(map: &mut Map<String, Value>, merges: Vec<Value>) {
    for merge in merges {
        let sources = match merge {
            Value::Array(items) => items,
            other => vec![other],
        };
        for source in sources {
            if let Value::Object(src) = source {
                for (k, v) in src {
                    map.entry(k).or_insert(v);
                }
            }
        }
    }
}

fn node_count(v: &Value) -> usize {
    let mut count = 0;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        count += 1;
        match v {
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(m) => stack.extend(m.values()),
            _ => {}
        }
    }
    count
}

/// A mapping key as sigs.k8s.io/yaml turns it into a JSON key: booleans and numbers are
/// written out as text (`yes:` becomes `"true"`).
pub(crate) fn key_string(text: &str, style: TScalarStyle, tag: Option<&str>) -> String {
    match resolve_scalar(text, style, tag) {
        Ok(Value::String(s)) => s,
        Ok(Value::Null) => "null".into(),
        Ok(other) => other.to_string(),
        Err(_) => text.to_string(),
    }
}

/// Resolves a scalar to JSON with YAML 1.1 rules (go-yaml v2 `resolve.go`, `resolve`).
pub fn resolve_scalar(text: &str, style: TScalarStyle, tag: Option<&str>) -> Result<Value, String> {
    match tag {
        Some("str") => return Ok(Value::String(text.into())),
        Some("bool") | Some("int") | Some("float") | Some("null") => {}
        _ => {
            if style != TScalarStyle::Plain {
                return Ok(Value::String(text.into()));
            }
        }
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Ok(Value::Bool(true));
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Ok(Value::Bool(false));
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => {
            return Err(format!(
                "{text} (infinity or NaN) cannot be represented in JSON; quote it if you mean a string"
            ));
        }
        _ => {}
    }
    if let Some(n) = parse_int(text) {
        return Ok(Value::Number(n));
    }
    if let Some(f) = parse_float(text) {
        return Ok(Number::from_f64(f).map_or(Value::String(text.into()), Value::Number));
    }
    Ok(Value::String(text.into()))
}

/// Integers as Go's `strconv.ParseInt(s, 0, 64)` reads them after go-yaml drops `_`:
/// decimal, `0x` hex, `0o` or leading-`0` octal, `0b` binary, with an optional sign.
fn parse_int(text: &str) -> Option<Number> {
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    let (neg, digits) = match plain.as_bytes().first()? {
        b'-' => (true, &plain[1..]),
        b'+' => (false, &plain[1..]),
        _ => (false, plain.as_str()),
    };
    if digits.is_empty() {
        return None;
    }
    let (radix, body) = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, h)
    } else if let Some(o) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        (8, o)
    } else if let Some(b) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        (2, b)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(body, radix).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            Some(Number::from((magnitude as i128).wrapping_neg() as i64))
        } else {
            None
        }
    } else {
        Some(Number::from(magnitude))
    }
}

/// Floats matching go-yaml v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn parse_float(text: &str) -> Option<f64> {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()),
        Some((int, frac)) => {
            !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    if mantissa_ok && exponent_ok {
        text.parse().ok()
    } else {
        None
    }
}

/// Writes a JSON value as a YAML document (block style, keys in their order).
pub fn to_yaml(value: &Value) -> String {
    use yaml_rust2::{Yaml, YamlEmitter};
    fn convert(v: &Value) -> Yaml {
        match v {
            Value::Null => Yaml::Null,
            Value::Bool(b) => Yaml::Boolean(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Yaml::Integer(i),
                None => Yaml::Real(n.to_string()),
            },
            Value::String(s) => Yaml::String(s.clone()),
            Value::Array(a) => Yaml::Array(a.iter().map(convert).collect()),
            Value::Object(m) => Yaml::Hash(
                m.iter()
                    .map(|(k, v)| (Yaml::String(k.clone()), convert(v)))
                    .collect(),
            ),
        }
    }
    let mut out = String::new();
    let mut emitter = YamlEmitter::new(&mut out);
    emitter.multiline_strings(true);
    // Writing to a String cannot fail; the emitter only reports fmt errors.
    let _ = emitter.dump(&convert(value));
    let body = out.strip_prefix("---\n").unwrap_or(&out);
    format!("{body}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(text: &str) -> YamlDocument {
        let mut docs = parse_documents(text, 1).expect("parses");
        assert_eq!(docs.len(), 1);
        docs.remove(0)
    }

    #[test]
    fn yaml_1_1_scalars() {
        let rows: &[(&str, Value, &str)] = &[
            ("a: yes", json!({"a": true}), "yes is a YAML 1.1 boolean"),
            ("a: 'yes'", json!({"a": "yes"}), "quoted stays a string"),
            ("a: Off", json!({"a": false}), "Off is false"),
            ("a: 0755", json!({"a": 493}), "leading zero is octal"),
            ("a: 0x1F", json!({"a": 31}), "hex"),
            ("a: 1_000", json!({"a": 1000}), "underscores"),
            ("a: -5", json!({"a": -5}), "negative"),
            (
                "a: 1.10",
                json!({"a": 1.1}),
                "a version number becomes a float",
            ),
            ("a: 1e3", json!({"a": 1000.0}), "exponent"),
            ("a: ~", json!({"a": null}), "tilde is null"),
            (
                "a: 2001-12-14",
                json!({"a": "2001-12-14"}),
                "timestamps stay strings",
            ),
            (
                "a: nginx:1.27",
                json!({"a": "nginx:1.27"}),
                "image is a string",
            ),
            ("yes: 1", json!({"true": 1}), "boolean keys become text"),
            ("a: !!str 10", json!({"a": "10"}), "explicit str tag"),
        ];
        for (text, want, why) in rows {
            assert_eq!(&one(text).value, want, "{why}");
        }
    }

    #[test]
    fn lines_by_pointer() {
        let doc = one(
            "kind: DaemonSet\nspec:\n  selector:\n    matchLabels:\n      app: x\n  list:\n  - a\n  - b\n",
        );
        assert_eq!(doc.lines.line_of("/spec/selector"), Some(3));
        assert_eq!(doc.lines.line_of("/spec/selector/matchLabels/app"), Some(5));
        assert_eq!(doc.lines.line_of("/spec/list/1"), Some(8));
        assert_eq!(doc.lines.line_of("/spec/missing/deep"), Some(2));
    }

    #[test]
    fn split_on_separator_lines_only() {
        let chunks = split_documents(b"a: 1\n---\nb: 2\n--- \n---x: 3\n");
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[1].start_line, 3);
        assert_eq!(chunks[2].bytes, b"---x: 3\n");
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = parse_documents(&text, 1).unwrap_err();
        assert!(err.message.contains("alias bomb"), "{err}");
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_documents(&text, 1).is_err());
        let block = format!("{}a", "- ".repeat(10_000));
        let err = parse_documents(&block, 1).unwrap_err();
        assert!(err.message.contains("deeper than"), "{err}");
    }

    #[test]
    fn duplicate_keys_name_the_line() {
        let err = parse_documents("a: 1\nb: 2\na: 3\n", 10).unwrap_err();
        assert_eq!(err.line, 12);
        assert!(err.message.contains("\"a\""));
    }

    #[test]
    fn duplicate_keys_with_mapping_values() {
        let err = parse_documents("spec:\n  template:\n    a: 1\n  template:\n    b: 2\n", 1)
            .unwrap_err();
        assert_eq!(err.line, 4);
        assert!(
            err.message.contains("\"template\" is already defined"),
            "{err}"
        );
    }

    #[test]
    fn merge_keys() {
        let doc = one("base: &b {a: 1, b: 2}\nc:\n  <<: *b\n  b: 3\n");
        assert_eq!(doc.value["c"], json!({"a": 1, "b": 3}));
        // go-yaml v2 reads a bare `y` key as the boolean true, as kubectl does.
        assert_eq!(one("y: 1").value, json!({"true": 1}));
    }

    #[test]
    fn yaml_output_quotes_ambiguous_strings() {
        let out = to_yaml(&json!({"a": "yes", "b": "0755", "c": 1, "d": true}));
        let back = one(&out).value;
        assert_eq!(back, json!({"a": "yes", "b": "0755", "c": 1, "d": true}));
    }
}
