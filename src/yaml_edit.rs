//! Surgical edits of YAML text: a JSON Patch from `mutate` applied to the text of one
//! document so that only the lines the patch changes differ.
//!
//! The document is parsed with yaml-rust2's event parser into a small located tree (byte
//! ranges of every node, the keys of every mapping, the dash of every block list item), each
//! operation becomes text splices, and the text is parsed again before the next operation.
//! Comments, key order, quoting, indentation, flow or block style, blank lines and line
//! endings outside the edited lines stay byte for byte. New keys are written where a person
//! would put them: at the sorted position when the mapping's keys are sorted (as kubectl
//! prints them), else after the last key, in the document's own indentation and list style.
//!
//! Safety net: the edited text is read back with [`crate::yaml::parse_documents`] and must
//! give exactly the original object with the patch applied; otherwise nothing is returned
//! but [`EditError::Unsupported`].

use json_patch::{Patch, PatchOperation};
use serde_json::Value;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

use crate::policy::{escape_token, unescape_token};
use crate::yaml::{MAX_DEPTH, key_string, parse_documents, resolve_scalar};

/// Why a patch could not be applied to the text in place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The text or the patch has a shape the editor does not handle.
    #[error("cannot edit in place: {0}")]
    Unsupported(String),
}

fn unsupported<T>(why: impl Into<String>) -> Result<T, EditError> {
    Err(EditError::Unsupported(why.into()))
}

/// Applies `patch` to `text`, the text of one YAML document (a chunk between `---` lines, as
/// [`crate::yaml::split_documents`] returns it). Only the lines the patch changes differ in
/// the result; an empty patch returns `text` unchanged.
pub fn apply(text: &str, patch: &Patch) -> Result<String, EditError> {
    if patch.0.is_empty() {
        return Ok(text.to_string());
    }
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    if body.contains('\0') {
        return unsupported("the text contains NUL characters");
    }
    if has_lone_cr(body) {
        return unsupported(
            "the text has line breaks that are a bare carriage return (CR without LF)",
        );
    }
    let mut expected = read_one(body).map_err(EditError::Unsupported)?;
    json_patch::patch(&mut expected, &patch.0).map_err(|e| {
        EditError::Unsupported(format!("the patch does not apply to the document: {e}"))
    })?;
    let mut out = body.to_string();
    for op in &patch.0 {
        out = apply_op(&out, op)?;
    }
    match read_one(&out) {
        Ok(got) if got == expected => Ok(format!("{bom}{out}")),
        Ok(_) => unsupported(
            "the edited text would not read back as the patched object, so the text is left as it is",
        ),
        Err(e) => unsupported(format!(
            "the edited text would not read back ({e}), so the text is left as it is"
        )),
    }
}

fn has_lone_cr(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter()
        .enumerate()
        .any(|(i, &c)| c == b'\r' && b.get(i + 1) != Some(&b'\n'))
}

/// The single document of `text`, as JSON.
fn read_one(text: &str) -> Result<Value, String> {
    let mut docs =
        parse_documents(text, 1).map_err(|e| format!("the document does not read: {e}"))?;
    match docs.len() {
        1 => Ok(docs.remove(0).value),
        0 => Err("the text holds no document".into()),
        n => Err(format!("the text holds {n} documents, not one")),
    }
}

/// Splits a JSON pointer into decoded tokens (`~1` is `/`, `~0` is `~`).
fn tokens(pointer: &str) -> Result<Vec<String>, EditError> {
    if pointer.is_empty() {
        return unsupported("an operation on the whole document");
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return unsupported(format!("`{pointer}` is not a JSON pointer"));
    };
    Ok(rest.split('/').map(unescape_token).collect())
}

fn apply_op(text: &str, op: &PatchOperation) -> Result<String, EditError> {
    let doc = Doc::new(text);
    let root = doc.tree()?;
    let edits = match op {
        PatchOperation::Remove(r) => doc.remove(&root, &tokens(r.path.as_str())?)?,
        PatchOperation::Add(a) => doc.add(&root, &tokens(a.path.as_str())?, &a.value)?,
        other => {
            let name = match other {
                PatchOperation::Replace(_) => "replace",
                PatchOperation::Move(_) => "move",
                PatchOperation::Copy(_) => "copy",
                _ => "test",
            };
            return unsupported(format!(
                "`{name}` operations are not supported, only `add` and `remove`"
            ));
        }
    };
    doc.splice(edits)
}

// ---------------------------------------------------------------------------------------
// The located tree.

/// A node of the document with its place in the text.
#[derive(Debug)]
struct Node {
    /// Byte offset of the node's first character (after any anchor or tag); for a block
    /// mapping its first key, for a block list its first dash.
    start: usize,
    /// Byte offset just past its last character (comments and white space excluded).
    end: usize,
    /// An anchor or a tag is attached.
    props: bool,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Scalar {
        style: TScalarStyle,
        /// A plain scalar with no characters: no place in the text (`key:` with nothing).
        empty: bool,
        /// It reads as null.
        null: bool,
    },
    Alias,
    Map {
        flow: bool,
        /// A flow mapping written with braces (not a `[a: 1]` pair).
        braces: bool,
        /// A `<<` merge key is present.
        merge: bool,
        entries: Vec<Entry>,
    },
    Seq {
        flow: bool,
        items: Vec<Item>,
    },
}

#[derive(Debug)]
struct Entry {
    key: String,
    key_style: TScalarStyle,
    key_start: usize,
    key_end: usize,
    /// The `:` after the key, if any.
    colon: Option<usize>,
    value: Node,
}

#[derive(Debug)]
struct Item {
    /// The `-` of a block list item.
    dash: Option<usize>,
    node: Node,
}

impl Node {
    fn is_empty_scalar(&self) -> bool {
        matches!(self.kind, Kind::Scalar { empty: true, .. })
    }
}

impl Entry {
    /// Where the entry's text ends: its value, or the colon, or the key.
    fn end(&self) -> usize {
        if !self.value.is_empty_scalar() {
            self.value.end
        } else if let Some(c) = self.colon {
            c + 1
        } else {
            self.key_end
        }
    }
}

impl Item {
    fn end(&self) -> Option<usize> {
        if !self.node.is_empty_scalar() {
            Some(self.node.end)
        } else {
            self.dash.map(|d| d + 1)
        }
    }
}

/// The text of the document and its line table.
struct Doc<'a> {
    text: &'a str,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
    nl: &'static str,
}

impl<'a> Doc<'a> {
    fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let nl = match text.find('\n') {
            Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        };
        Doc {
            text,
            line_starts,
            nl,
        }
    }

    fn bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    fn byte_at(&self, pos: usize) -> Option<u8> {
        self.bytes().get(pos).copied()
    }

    /// Byte offset of a parser marker (1-based line, 0-based column in characters; the
    /// marker's index is not used: yaml-rust2 counts block scalar lines in bytes there).
    fn offset(&self, line: usize, col: usize) -> usize {
        let Some(&ls) = line.checked_sub(1).and_then(|l| self.line_starts.get(l)) else {
            return self.text.len();
        };
        self.text[ls..]
            .char_indices()
            .nth(col)
            .map_or(self.text.len(), |(i, _)| ls + i)
    }

    /// 0-based line of a byte offset.
    fn line_of(&self, pos: usize) -> usize {
        self.line_starts
            .partition_point(|&s| s <= pos)
            .saturating_sub(1)
    }

    fn line_start(&self, pos: usize) -> usize {
        self.line_starts[self.line_of(pos)]
    }

    /// Just past the line break of the line holding `pos` (or the end of the text).
    fn line_end_incl(&self, pos: usize) -> usize {
        self.line_starts
            .get(self.line_of(pos) + 1)
            .copied()
            .unwrap_or(self.text.len())
    }

    /// The end of the line holding `pos`, before its line break.
    fn line_content_end(&self, pos: usize) -> usize {
        let mut e = self.line_end_incl(pos);
        if e > 0 && self.byte_at(e - 1) == Some(b'\n') {
            e -= 1;
            if e > 0 && self.byte_at(e - 1) == Some(b'\r') {
                e -= 1;
            }
        }
        e.max(pos.min(self.text.len()))
    }

    /// Column of `pos` in characters.
    fn col(&self, pos: usize) -> usize {
        let ls = self.line_start(pos);
        self.text.get(ls..pos).map_or(0, |s| s.chars().count())
    }

    /// Only spaces and tabs between the line start and `pos`.
    fn blank_before(&self, pos: usize) -> bool {
        let ls = self.line_start(pos);
        self.bytes()[ls..pos]
            .iter()
            .all(|&b| b == b' ' || b == b'\t')
    }

    /// Only white space, or a comment, from `pos` to the end of its line.
    fn blank_after(&self, pos: usize) -> bool {
        let e = self.line_content_end(pos);
        self.bytes()[pos.min(e)..e]
            .iter()
            .find(|&&b| b != b' ' && b != b'\t')
            .is_none_or(|&b| b == b'#')
    }

    /// The first byte at or after `pos` that is not white space, a line break or part of a
    /// comment.
    fn skip_ws_comments(&self, mut pos: usize) -> usize {
        let b = self.bytes();
        while pos < b.len() {
            match b[pos] {
                b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
                b'#' => pos = self.line_content_end(pos),
                _ => break,
            }
        }
        pos
    }

    /// The line break to write: the document's own.
    fn nl(&self) -> &'static str {
        self.nl
    }

    fn ends_without_newline(&self) -> bool {
        !self.text.is_empty() && !self.text.ends_with('\n')
    }

    // ----- building the tree

    fn tree(&self) -> Result<Node, EditError> {
        let mut parser = Parser::new_from_str(self.text);
        let mut events = Vec::new();
        loop {
            let (event, mark) = parser
                .next_token()
                .map_err(|e| EditError::Unsupported(format!("YAML syntax error: {}", e.info())))?;
            if matches!(event, Event::Nothing) {
                continue;
            }
            let pos = self.offset(mark.line(), mark.col());
            let last = matches!(event, Event::StreamEnd);
            events.push((event, pos));
            if last {
                break;
            }
        }
        // The event closing each collection, found up front: a collection's style is known
        // from its closing event (`}` or `]` for flow style).
        let mut closing = vec![0; events.len()];
        let mut open = Vec::new();
        for (i, (e, _)) in events.iter().enumerate() {
            match e {
                Event::MappingStart(..) | Event::SequenceStart(..) => open.push(i),
                Event::MappingEnd | Event::SequenceEnd => {
                    if let Some(o) = open.pop() {
                        closing[o] = i;
                    }
                }
                _ => {}
            }
        }
        let mut b = Builder {
            doc: self,
            events,
            closing,
            next: 0,
        };
        let mut root = None;
        while let Some((event, _)) = b.events.get(b.next) {
            match event {
                Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => b.next += 1,
                Event::StreamEnd => break,
                _ => {
                    if root.is_some() {
                        return unsupported("the text holds more than one document");
                    }
                    root = Some(b.node(false, 0)?);
                }
            }
        }
        match root {
            Some(r) => Ok(r),
            None => unsupported("the text holds no document"),
        }
    }
}

struct Builder<'d, 'a> {
    doc: &'d Doc<'a>,
    events: Vec<(Event, usize)>,
    closing: Vec<usize>,
    next: usize,
}

impl Builder<'_, '_> {
    fn take(&mut self) -> Result<(Event, usize, usize), EditError> {
        let i = self.next;
        let Some((e, pos)) = self.events.get(i) else {
            return unsupported("unexpected end of the YAML events");
        };
        self.next += 1;
        Ok((e.clone(), *pos, i))
    }

    fn peek_pos(&self) -> usize {
        self.events
            .get(self.next)
            .map_or(self.doc.text.len(), |(_, p)| *p)
    }

    fn node(&mut self, flow_ctx: bool, depth: usize) -> Result<Node, EditError> {
        if depth > MAX_DEPTH + 2 {
            return unsupported("nesting is too deep");
        }
        let doc = self.doc;
        let (event, pos, index) = self.take()?;
        match event {
            Event::Scalar(raw, style, anchor, tag) => {
                let tag = tag.as_ref().map(|t| t.suffix.as_str());
                let props = anchor != 0 || tag.is_some();
                let empty = raw.is_empty() && style == TScalarStyle::Plain;
                let null = style == TScalarStyle::Plain
                    && tag.is_none()
                    && resolve_scalar(&raw, style, None) == Ok(Value::Null);
                let end = if empty {
                    pos
                } else {
                    scalar_end(doc, pos, &raw, style, self.peek_pos()).ok_or_else(|| {
                        EditError::Unsupported(format!(
                            "cannot locate the scalar `{}` on line {}",
                            raw.chars().take(40).collect::<String>(),
                            doc.line_of(pos) + 1
                        ))
                    })?
                };
                Ok(Node {
                    start: pos,
                    end,
                    props,
                    kind: Kind::Scalar { style, empty, null },
                })
            }
            Event::Alias(_) => Ok(Node {
                start: pos,
                end: alias_end(doc, pos),
                props: false,
                kind: Kind::Alias,
            }),
            Event::MappingStart(anchor, tag) => {
                let mut close_pos = self.events.get(self.closing[index]).map_or(0, |(_, p)| *p);
                if doc.byte_at(close_pos) == Some(b',') && doc.byte_at(pos) == Some(b'{') {
                    // After a trailing comma the parser marks the comma, not the brace.
                    let c = doc.skip_ws_comments(close_pos + 1);
                    if doc.byte_at(c) == Some(b'}') {
                        close_pos = c;
                    }
                }
                let close = doc.byte_at(close_pos);
                let flow = flow_ctx || close == Some(b'}') || close == Some(b']');
                let braces = close == Some(b'}') && doc.byte_at(pos) == Some(b'{');
                let mut entries = Vec::new();
                let mut merge = false;
                loop {
                    if matches!(self.events.get(self.next), Some((Event::MappingEnd, _))) {
                        self.next += 1;
                        break;
                    }
                    let key_index = self.next;
                    let key = self.node(flow, depth + 1)?;
                    let (raw, tag) = match &self.events[key_index].0 {
                        Event::Scalar(raw, _, _, tag) => (raw.clone(), tag.clone()),
                        _ => {
                            return unsupported(
                                "a mapping key that is an alias, a list or a mapping",
                            );
                        }
                    };
                    let Kind::Scalar { style, .. } = key.kind else {
                        return unsupported("a mapping key that is not a scalar");
                    };
                    if raw == "<<" && style == TScalarStyle::Plain {
                        merge = true;
                    }
                    let key_text = key_string(&raw, style, tag.as_ref().map(|t| t.suffix.as_str()));
                    let key_end = if key.is_empty_scalar() { pos } else { key.end };
                    let colon = {
                        let c = doc.skip_ws_comments(key_end);
                        (doc.byte_at(c) == Some(b':')).then_some(c)
                    };
                    let value = self.node(flow, depth + 1)?;
                    entries.push(Entry {
                        key: key_text,
                        key_style: style,
                        key_start: key.start,
                        key_end,
                        colon,
                        value,
                    });
                }
                let (start, end) = if braces {
                    (pos, close_pos + 1)
                } else {
                    match (entries.first(), entries.last()) {
                        (Some(f), Some(l)) => (f.key_start, l.end()),
                        _ => return unsupported("an empty mapping without braces"),
                    }
                };
                Ok(Node {
                    start,
                    end,
                    props: anchor != 0 || tag.is_some(),
                    kind: Kind::Map {
                        flow,
                        braces,
                        merge,
                        entries,
                    },
                })
            }
            Event::SequenceStart(anchor, tag) => {
                let close_pos = self.events.get(self.closing[index]).map_or(0, |(_, p)| *p);
                let flow = flow_ctx || doc.byte_at(close_pos) == Some(b']');
                let mut items = Vec::new();
                loop {
                    if matches!(self.events.get(self.next), Some((Event::SequenceEnd, _))) {
                        self.next += 1;
                        break;
                    }
                    let node = self.node(flow, depth + 1)?;
                    let dash = if flow || node.is_empty_scalar() {
                        None
                    } else {
                        dash_before(doc, node.start)
                    };
                    items.push(Item { dash, node });
                }
                let (start, end) = if flow {
                    if doc.byte_at(pos) != Some(b'[') {
                        return unsupported("a flow list whose start was not found");
                    }
                    (pos, close_pos + 1)
                } else {
                    let first = items.first().map(|i| i.dash.unwrap_or(i.node.start));
                    let last = items.last().and_then(Item::end);
                    match (first, last) {
                        (Some(f), Some(l)) => (f, l),
                        _ => return unsupported("a block list whose items could not be located"),
                    }
                };
                Ok(Node {
                    start,
                    end,
                    props: anchor != 0 || tag.is_some(),
                    kind: Kind::Seq { flow, items },
                })
            }
            _ => unsupported("unexpected YAML event"),
        }
    }
}

/// The `-` of a block list item whose content starts at `start`, on the same line.
fn dash_before(doc: &Doc, start: usize) -> Option<usize> {
    let b = doc.bytes();
    let mut i = start;
    while i > 0 && matches!(b[i - 1], b' ' | b'\t') {
        i -= 1;
    }
    (i > 0 && b[i - 1] == b'-' && i < start).then(|| i - 1)
}

fn alias_end(doc: &Doc, start: usize) -> usize {
    let b = doc.bytes();
    let mut i = start + 1;
    while i < b.len()
        && !matches!(
            b[i],
            b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}'
        )
    {
        i += 1;
    }
    i.min(b.len())
}

/// Where a non-empty scalar that starts at `start` ends.
fn scalar_end(
    doc: &Doc,
    start: usize,
    raw: &str,
    style: TScalarStyle,
    next: usize,
) -> Option<usize> {
    match style {
        TScalarStyle::SingleQuoted => quoted_end(doc, start, b'\''),
        TScalarStyle::DoubleQuoted => quoted_end(doc, start, b'"'),
        TScalarStyle::Literal | TScalarStyle::Folded => block_scalar_end(doc, start, raw, next),
        _ => plain_end(doc, start, raw),
    }
}

fn quoted_end(doc: &Doc, start: usize, quote: u8) -> Option<usize> {
    let b = doc.bytes();
    if b.get(start) != Some(&quote) {
        return None;
    }
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' if quote == b'"' => i += 2,
            c if c == quote => {
                if quote == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    return Some(i + 1);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// A plain scalar's end: on its first line when the text there is the value; else its
/// lines are folded again (a line break between two lines reads as a space, `n` empty lines
/// as `n` line feeds) until they give the value.
fn plain_end(doc: &Doc, start: usize, raw: &str) -> Option<usize> {
    let first_end = doc.line_content_end(start);
    let line = doc.text.get(start..first_end)?;
    if line.starts_with(raw) {
        return Some(start + raw.len());
    }
    let first = cut_comment(line).trim_end_matches([' ', '\t']);
    let mut rest = raw.strip_prefix(first)?;
    let mut pos = doc.line_end_incl(start);
    let mut breaks = 0;
    while pos < doc.text.len() {
        let le = doc.line_content_end(pos);
        let line = doc.text.get(pos..le)?;
        let t = line.trim_start_matches([' ', '\t']);
        let content_start = pos + (line.len() - t.len());
        pos = doc.line_end_incl(pos);
        if t.trim_end_matches([' ', '\t']).is_empty() {
            breaks += 1;
            continue;
        }
        let sep = if breaks == 0 {
            " ".to_string()
        } else {
            "\n".repeat(breaks)
        };
        breaks = 0;
        rest = rest.strip_prefix(sep.as_str())?;
        if rest.is_empty() {
            return None;
        }
        if t.starts_with(rest) {
            return Some(content_start + rest.len());
        }
        let c = cut_comment(t).trim_end_matches([' ', '\t']);
        if c.is_empty() {
            return None;
        }
        rest = rest.strip_prefix(c)?;
    }
    None
}

/// `s` up to a comment (a `#` at its start or after white space).
fn cut_comment(s: &str) -> &str {
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'#' && (i == 0 || matches!(b[i - 1], b' ' | b'\t')) {
            return &s[..i];
        }
    }
    s
}

/// A block scalar (`|`, `>`) ends at its last content line: the lines after the header and
/// before the next token, without trailing blank lines and trailing comment lines (which
/// are less indented than the content).
fn block_scalar_end(doc: &Doc, start: usize, raw: &str, next: usize) -> Option<usize> {
    let b = doc.bytes();
    let mut header_end = start + 1;
    while header_end < b.len() && matches!(b[header_end], b'-' | b'+' | b'0'..=b'9') {
        header_end += 1;
    }
    if raw.is_empty() {
        return Some(header_end);
    }
    let header_line = doc.line_of(start);
    let next_line = doc.line_of(next);
    let last_line = if next >= doc.text.len() {
        next_line
    } else {
        next_line.checked_sub(1)?
    };
    let mut indent = None;
    let mut last = None;
    for l in header_line + 1..=last_line {
        let ls = doc.line_starts[l];
        let le = doc.line_content_end(ls);
        let line = doc.text.get(ls..le)?;
        let t = line.trim_start_matches(' ');
        if t.trim_matches([' ', '\t']).is_empty() {
            continue;
        }
        let ind = line.len() - t.len();
        let n = *indent.get_or_insert(ind);
        if ind < n && t.starts_with('#') {
            continue;
        }
        last = Some(le);
    }
    last.or(Some(header_end))
}

// ---------------------------------------------------------------------------------------
// Operations.

/// One text replacement: bytes `start..end` become `text`.
type Edit = (usize, usize, String);

/// Block layout of the document.
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// Indentation of a nested mapping.
    step: usize,
    /// Column of the `-` of a list that is a mapping value, relative to the key (0: kubectl
    /// style, flush with the key).
    seq_indent: usize,
    /// Column of a list item's content relative to its `-`.
    item_indent: usize,
}

/// The layout of the block collections under `near` (the collection being edited), and
/// where it has none, of the whole document; kubectl's defaults where the document has none.
fn detect_layout(doc: &Doc, near: &Node, root: &Node) -> Layout {
    let mut found = (None, None, None);
    scan_layout(doc, near, &mut found);
    scan_layout(doc, root, &mut found);
    let (step, seq_indent, item_indent) = found;
    Layout {
        step: step.unwrap_or(2),
        seq_indent: seq_indent.unwrap_or(0),
        item_indent: item_indent.unwrap_or(2),
    }
}

type Found = (Option<usize>, Option<usize>, Option<usize>);

fn scan_layout(doc: &Doc, start: &Node, found: &mut Found) {
    let (step, seq_indent, item_indent) = found;
    let mut stack = vec![start];
    while let Some(node) = stack.pop() {
        match &node.kind {
            Kind::Map {
                flow: false,
                entries,
                ..
            } => {
                for e in entries {
                    let key_col = doc.col(e.key_start);
                    match &e.value.kind {
                        Kind::Map { flow: false, .. } if step.is_none() => {
                            let c = doc.col(e.value.start);
                            if doc.line_of(e.value.start) > doc.line_of(e.key_start) && c > key_col
                            {
                                *step = Some(c - key_col);
                            }
                        }
                        Kind::Seq { flow: false, items } if seq_indent.is_none() => {
                            if let Some(d) = items.first().and_then(|i| i.dash) {
                                let c = doc.col(d);
                                if doc.line_of(d) > doc.line_of(e.key_start) && c >= key_col {
                                    *seq_indent = Some(c - key_col);
                                }
                            }
                        }
                        _ => {}
                    }
                }
                stack.extend(entries.iter().rev().map(|e| &e.value));
            }
            Kind::Map { entries, .. } => stack.extend(entries.iter().rev().map(|e| &e.value)),
            Kind::Seq { flow, items } => {
                if !flow && item_indent.is_none() {
                    *item_indent = items.first().and_then(|i| item_content_indent(doc, i));
                }
                stack.extend(items.iter().rev().map(|i| &i.node));
            }
            _ => {}
        }
    }
}

/// Columns from an item's `-` to its content, when the content starts on the dash's line.
fn item_content_indent(doc: &Doc, item: &Item) -> Option<usize> {
    let d = item.dash?;
    if item.node.is_empty_scalar()
        || item.node.props
        || doc.line_of(d) != doc.line_of(item.node.start)
    {
        return None;
    }
    let n = doc.col(item.node.start) - doc.col(d);
    (n >= 2).then_some(n)
}

/// A JSON document (a flow mapping whose keys are all double-quoted): flow values are then
/// written as JSON.
fn json_style(root: &Node) -> bool {
    match &root.kind {
        Kind::Map {
            flow: true,
            entries,
            ..
        } => entries
            .iter()
            .all(|e| e.key_style == TScalarStyle::DoubleQuoted),
        _ => false,
    }
}

impl Doc<'_> {
    /// Follows `tokens` from the root. Aliases, anchors, tags and merge keys on the way are
    /// refused: the text there is not the value.
    fn resolve<'n>(
        &self,
        root: &'n Node,
        tokens: &[String],
    ) -> Result<Vec<(&'n Node, Option<usize>)>, EditError> {
        let mut path = vec![(root, None)];
        let mut node = root;
        for (depth, tok) in tokens.iter().enumerate() {
            check_plain_node(node, &tokens[..depth])?;
            let next = match &node.kind {
                Kind::Map { entries, .. } => entries
                    .iter()
                    .rposition(|e| &e.key == tok)
                    .map(|i| (&entries[i].value, Some(i))),
                Kind::Seq { items, .. } => index(tok)
                    .and_then(|i| items.get(i))
                    .map(|i| (&i.node, None)),
                _ => None,
            };
            let Some((n, i)) = next else {
                return unsupported(format!(
                    "`{}` is not in the text",
                    display_path(&tokens[..=depth])
                ));
            };
            path.push((n, i));
            node = n;
        }
        Ok(path)
    }

    fn remove(&self, root: &Node, tokens: &[String]) -> Result<Vec<Edit>, EditError> {
        let (last, parent_tokens) = tokens.split_last().expect("tokens are not empty");
        let path = self.resolve(root, parent_tokens)?;
        let (parent, _) = *path.last().expect("the path holds the root");
        check_plain_node(parent, parent_tokens)?;
        let Kind::Map {
            flow,
            braces,
            entries,
            ..
        } = &parent.kind
        else {
            return unsupported(format!(
                "removing `{}`: only mapping entries can be removed",
                display_path(tokens)
            ));
        };
        let Some(i) = entries.iter().rposition(|e| &e.key == last) else {
            return unsupported(format!("`{}` is not in the text", display_path(tokens)));
        };
        if !flow {
            self.remove_block_entry(&path, entries, i, tokens)
        } else if *braces {
            self.remove_flow_entry(entries, i)
        } else {
            unsupported(format!(
                "removing `{}` from a single-pair mapping in a flow list",
                display_path(tokens)
            ))
        }
    }

    fn remove_block_entry(
        &self,
        path: &[(&Node, Option<usize>)],
        entries: &[Entry],
        i: usize,
        tokens: &[String],
    ) -> Result<Vec<Edit>, EditError> {
        let e = &entries[i];
        if i == 0
            && let Some(next) = entries.get(1)
            && dash_before(self, e.key_start).is_some()
            && self.blank_before(next.key_start)
        {
            // `- key: value` with more keys below: the next key moves up after the `- `.
            let between = self
                .text
                .get(self.line_end_incl(e.end().saturating_sub(1))..self.line_start(next.key_start))
                .unwrap_or_default();
            if between.contains('#') {
                return unsupported(format!(
                    "removing `{}` would lose the comments below it",
                    display_path(tokens)
                ));
            }
            return Ok(vec![(e.key_start, next.key_start, String::new())]);
        }
        if entries.len() == 1 && dash_before(self, e.key_start).is_some() {
            // `- key: value` alone: the item becomes `- {}`.
            return Ok(vec![(e.key_start, e.end(), "{}".into())]);
        }
        if !self.blank_before(e.key_start) {
            return unsupported(format!(
                "the key of `{}` does not start its line (a `- ` or `? ` before it)",
                display_path(tokens)
            ));
        }
        let ls = self.line_start(e.key_start);
        let le = self.line_end_incl(e.end().saturating_sub(1).max(e.key_start));
        let mut start = ls;
        if le == self.text.len() && self.ends_without_newline() && ls > 0 {
            // The last line goes: the line break before it goes too.
            start = if self.text[..ls].ends_with("\r\n") {
                ls - 2
            } else {
                ls - 1
            };
        }
        let mut edits = vec![(start, le, String::new())];
        if entries.len() == 1 {
            // The mapping becomes empty: it is written `{}`.
            let n = path.len();
            match (n >= 2).then(|| (path[n - 2].0, path[n - 1].1)) {
                None => {
                    edits[0].2 = if start < ls {
                        format!("{}{{}}", self.nl())
                    } else {
                        format!("{{}}{}", self.nl())
                    };
                }
                Some((
                    Node {
                        kind: Kind::Map { entries: pe, .. },
                        ..
                    },
                    Some(pi),
                )) => match pe[pi].colon {
                    Some(c) if c < start => edits.push((c + 1, c + 1, " {}".into())),
                    _ => return unsupported("emptying a mapping whose key has no `:`"),
                },
                _ => return unsupported("emptying a mapping that is a list item"),
            }
        }
        Ok(edits)
    }

    fn remove_flow_entry(&self, entries: &[Entry], i: usize) -> Result<Vec<Edit>, EditError> {
        let e = &entries[i];
        let s = e.key_start;
        let v_end = e.end();
        let after = self.skip_ws_comments(v_end);
        if self.byte_at(after) == Some(b',') {
            // `key: value, ` goes, up to the next entry.
            let mut end = after + 1;
            let mut ws = end;
            while matches!(self.byte_at(ws), Some(b' ' | b'\t')) {
                ws += 1;
            }
            if !matches!(self.byte_at(ws), None | Some(b'#' | b'\r' | b'\n')) {
                end = ws;
            }
            return Ok(vec![self.span_or_line(s, end)]);
        }
        let mut edits = Vec::new();
        if i > 0 {
            // The last entry: the comma before it goes.
            let comma = self.skip_ws_comments(entries[i - 1].end());
            if self.byte_at(comma) != Some(b',') || comma >= s {
                return unsupported("a flow mapping whose commas could not be located");
            }
            edits.push((comma, comma + 1, String::new()));
            let (mut a, b, r) = self.span_or_line(s, v_end);
            if a == s {
                while a > comma + 1 && matches!(self.byte_at(a - 1), Some(b' ' | b'\t')) {
                    a -= 1;
                }
            }
            edits.push((a, b, r));
        } else {
            edits.push(self.span_or_line(s, v_end));
        }
        Ok(edits)
    }

    /// Removes `s..e`, or its whole lines when nothing else (but a comment) is on them.
    fn span_or_line(&self, s: usize, e: usize) -> Edit {
        if self.blank_before(s) && self.blank_after(e) {
            let ls = self.line_start(s);
            let le = self.line_end_incl(e);
            if le < self.text.len() || !self.ends_without_newline() {
                return (ls, le, String::new());
            }
        }
        (s, e, String::new())
    }

    fn add(&self, root: &Node, tokens: &[String], value: &Value) -> Result<Vec<Edit>, EditError> {
        let (last, parent_tokens) = tokens.split_last().expect("tokens are not empty");
        if depth(value) > MAX_DEPTH {
            return unsupported("the value to add is nested too deep");
        }
        let path = self.resolve(root, parent_tokens)?;
        let (parent, _) = *path.last().expect("the path holds the root");
        check_plain_node(parent, parent_tokens)?;
        let layout = detect_layout(self, parent, root);
        let json = json_style(root);
        match &parent.kind {
            Kind::Map {
                flow,
                braces,
                entries,
                ..
            } => {
                if let Some(i) = entries.iter().rposition(|e| &e.key == last) {
                    let e = &entries[i];
                    let null = matches!(e.value.kind, Kind::Scalar { null: true, .. });
                    if !null || e.value.props {
                        return unsupported(format!(
                            "`{}` already has a value; only a null value is replaced",
                            display_path(tokens)
                        ));
                    }
                    return self.replace_null(e, *flow, value, layout, json);
                }
                if !flow {
                    self.add_block_key(entries, last, value, layout)
                } else if *braces {
                    self.add_flow_key(parent, entries, last, value, json)
                } else {
                    unsupported(format!(
                        "adding `{}` to a single-pair mapping in a flow list",
                        display_path(tokens)
                    ))
                }
            }
            Kind::Seq { flow, items } => {
                if last != "-" {
                    return unsupported(format!(
                        "adding `{}`: list items are only appended (`/-`)",
                        display_path(tokens)
                    ));
                }
                if *flow {
                    self.append_flow_item(parent, items, value, json)
                } else {
                    self.append_block_item(items, value, layout, json)
                }
            }
            _ => unsupported(format!(
                "adding `{}`: its parent is not a mapping or a list",
                display_path(tokens)
            )),
        }
    }

    fn add_block_key(
        &self,
        entries: &[Entry],
        key: &str,
        value: &Value,
        layout: Layout,
    ) -> Result<Vec<Edit>, EditError> {
        let Some(first) = entries.first() else {
            return unsupported("an empty block mapping");
        };
        let col = self.col(first.key_start);
        let mut entry = String::new();
        entry.push_str(&" ".repeat(col));
        entry.push_str(&scalar_text(key));
        entry.push(':');
        write_after_key(value, col, layout, self.nl(), &mut entry);
        let sorted = entries.windows(2).all(|w| w[0].key <= w[1].key);
        let before = if sorted {
            entries.iter().position(|e| e.key.as_str() > key)
        } else {
            None
        };
        if let Some(j) = before
            && self.blank_before(entries[j].key_start)
        {
            let pos = self.comment_run_start(entries[j].key_start, col);
            return Ok(vec![(pos, pos, entry)]);
        }
        let after = match before {
            Some(j) if j > 0 => &entries[j - 1],
            Some(_) => first,
            None => entries.last().unwrap_or(first),
        };
        Ok(vec![self.insert_after_line(after.end(), entry)])
    }

    /// Inserts whole lines (`lines` ends with a line break) after the line holding the
    /// byte before `end`.
    fn insert_after_line(&self, end: usize, lines: String) -> Edit {
        let pos = self.line_end_incl(end.saturating_sub(1));
        if pos == self.text.len() && self.ends_without_newline() {
            let body = lines.strip_suffix(self.nl()).unwrap_or(&lines);
            return (pos, pos, format!("{}{body}", self.nl()));
        }
        (pos, pos, lines)
    }

    /// The start of the comment lines right above the key at `key_start` (at the key's
    /// column, no blank line between): a new key goes above them.
    fn comment_run_start(&self, key_start: usize, col: usize) -> usize {
        let mut pos = self.line_start(key_start);
        while pos > 0 {
            let prev = self.line_start(pos - 1);
            let line = &self.text[prev..pos];
            let t = line.trim_start_matches(' ');
            if t.starts_with('#') && line.len() - t.len() == col {
                pos = prev;
            } else {
                break;
            }
        }
        pos
    }

    fn add_flow_key(
        &self,
        map: &Node,
        entries: &[Entry],
        key: &str,
        value: &Value,
        json: bool,
    ) -> Result<Vec<Edit>, EditError> {
        let pair = format!("{}: {}", flow_key(key, json), flow_text(value, json));
        match entries.last() {
            Some(last) => Ok(self.flow_append(last.key_start, last.end(), map.end, &pair)),
            None if self.byte_at(map.start) == Some(b'{') => {
                Ok(vec![(map.start + 1, map.start + 1, pair)])
            }
            None => unsupported("a flow mapping whose braces were not found"),
        }
    }

    fn replace_null(
        &self,
        e: &Entry,
        flow: bool,
        value: &Value,
        layout: Layout,
        json: bool,
    ) -> Result<Vec<Edit>, EditError> {
        let Some(colon) = e.colon else {
            return unsupported(format!("the key `{}` has no `:`", e.key));
        };
        let v = &e.value;
        let inline = if flow {
            Some(flow_text(value, json))
        } else {
            inline_text(value)
        };
        if let Some(t) = inline {
            return Ok(vec![if v.is_empty_scalar() {
                (colon + 1, colon + 1, format!(" {t}"))
            } else {
                (v.start, v.end, t)
            }]);
        }
        let mut edits = Vec::new();
        if !v.is_empty_scalar() {
            if self.line_of(v.start) != self.line_of(colon) {
                return unsupported(format!(
                    "the null value of `{}` is not on its key's line",
                    e.key
                ));
            }
            edits.push((colon + 1, v.end, String::new()));
        }
        let mut lines = String::new();
        write_block_body(
            value,
            self.col(e.key_start)
                + if value.is_array() {
                    layout.seq_indent
                } else {
                    layout.step
                },
            false,
            layout,
            self.nl(),
            &mut lines,
        );
        edits.push(self.insert_after_line(colon + 1, lines));
        Ok(edits)
    }

    fn append_block_item(
        &self,
        items: &[Item],
        value: &Value,
        layout: Layout,
        json: bool,
    ) -> Result<Vec<Edit>, EditError> {
        let (Some(first), Some(last)) = (items.first(), items.last()) else {
            return unsupported("an empty block list");
        };
        let (Some(dash), Some(end)) = (first.dash, last.end()) else {
            return unsupported("a block list whose `-` could not be located");
        };
        let dash_col = self.col(dash);
        let item_layout = Layout {
            item_indent: item_content_indent(self, first).unwrap_or(layout.item_indent),
            ..layout
        };
        let mut lines = " ".repeat(dash_col);
        lines.push('-');
        lines.push_str(&" ".repeat(item_layout.item_indent - 1));
        if matches!(
            last.node.kind,
            Kind::Map { flow: true, .. } | Kind::Seq { flow: true, .. }
        ) && inline_text(value).is_none()
        {
            // The items are written `- {key: value}`: so is the new one.
            lines.push_str(&flow_text(value, json));
            lines.push_str(self.nl());
            return Ok(vec![self.insert_after_line(end, lines)]);
        }
        write_item(
            value,
            dash_col + item_layout.item_indent,
            item_layout,
            self.nl(),
            &mut lines,
        );
        Ok(vec![self.insert_after_line(end, lines)])
    }

    fn append_flow_item(
        &self,
        seq: &Node,
        items: &[Item],
        value: &Value,
        json: bool,
    ) -> Result<Vec<Edit>, EditError> {
        let t = flow_text(value, json);
        match items.last() {
            Some(last) if !last.node.is_empty_scalar() => {
                Ok(self.flow_append(last.node.start, last.node.end, seq.end, &t))
            }
            None if self.byte_at(seq.start) == Some(b'[') => {
                Ok(vec![(seq.start + 1, seq.start + 1, t)])
            }
            _ => unsupported("a flow list whose items could not be located"),
        }
    }

    /// Adds `new` after the last element (`start..end`) of a flow collection that ends at
    /// `close_end`: `, new`, or, when each element has its own line (JSON as kubectl prints
    /// it), a comma and a new line at the element's column (after any comment on its line;
    /// with a trailing comma when the elements have one).
    fn flow_append(&self, start: usize, end: usize, close_end: usize, new: &str) -> Vec<Edit> {
        let own_line = self.blank_before(start)
            && self.line_of(close_end.saturating_sub(1)) > self.line_of(end);
        if !own_line {
            return vec![(end, end, format!(", {new}"))];
        }
        let indent = &self.text[self.line_start(start)..start];
        let nl = self.nl();
        let after = self.skip_ws_comments(end);
        if self.byte_at(after) == Some(b',') {
            let le = self.line_content_end(after);
            return vec![(le, le, format!("{nl}{indent}{new},"))];
        }
        let le = self.line_content_end(end);
        if le == end {
            return vec![(end, end, format!(",{nl}{indent}{new}"))];
        }
        vec![
            (end, end, ",".into()),
            (le, le, format!("{nl}{indent}{new}")),
        ]
    }

    /// Applies the edits (non-overlapping) from the end of the text backwards.
    fn splice(&self, mut edits: Vec<Edit>) -> Result<String, EditError> {
        edits.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        for w in edits.windows(2) {
            if w[0].1 > w[1].0 {
                return unsupported("overlapping edits");
            }
        }
        let mut out = self.text.to_string();
        for (s, e, t) in edits.into_iter().rev() {
            if s > e || e > out.len() || !out.is_char_boundary(s) || !out.is_char_boundary(e) {
                return unsupported("an edit outside the text");
            }
            out.replace_range(s..e, &t);
        }
        Ok(out)
    }
}

/// Refuses to edit through a node whose text is not its value.
fn check_plain_node(node: &Node, at: &[String]) -> Result<(), EditError> {
    let here = || display_path(at);
    if node.props {
        return unsupported(format!(
            "`{}` has an anchor or a tag; editing it would change what refers to it",
            here()
        ));
    }
    match &node.kind {
        Kind::Alias => unsupported(format!("`{}` is an alias", here())),
        Kind::Map { merge: true, .. } => unsupported(format!("`{}` has a `<<` merge key", here())),
        _ => Ok(()),
    }
}

/// How deep a JSON value nests.
fn depth(v: &Value) -> usize {
    let mut max = 0;
    let mut stack = vec![(v, 1)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|v| (v, d + 1))),
            Value::Object(m) => stack.extend(m.values().map(|v| (v, d + 1))),
            _ => {}
        }
    }
    max
}

fn index(tok: &str) -> Option<usize> {
    if tok.is_empty() || (tok.len() > 1 && tok.starts_with('0')) {
        return None;
    }
    tok.parse().ok()
}

fn display_path(tokens: &[String]) -> String {
    if tokens.is_empty() {
        return "/".into();
    }
    tokens
        .iter()
        .map(|t| format!("/{}", escape_token(t)))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Writing values.

/// A scalar or an empty collection, written on one line.
fn inline_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("null".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(scalar_text(s)),
        Value::Array(a) if a.is_empty() => Some("[]".into()),
        Value::Object(m) if m.is_empty() => Some("{}".into()),
        _ => None,
    }
}

/// After `key:`: ` scalar` and a line break, or a line break and the block body.
fn write_after_key(v: &Value, key_col: usize, layout: Layout, nl: &str, out: &mut String) {
    if let Some(t) = inline_text(v) {
        out.push(' ');
        out.push_str(&t);
        out.push_str(nl);
        return;
    }
    out.push_str(nl);
    let col = key_col
        + if v.is_array() {
            layout.seq_indent
        } else {
            layout.step
        };
    write_block_body(v, col, false, layout, nl, out);
}

/// A non-empty mapping or list in block style, its keys or dashes at `col`. With
/// `first_inline`, the first line's indentation is already written (after a `- `).
fn write_block_body(
    v: &Value,
    col: usize,
    first_inline: bool,
    layout: Layout,
    nl: &str,
    out: &mut String,
) {
    match v {
        Value::Object(m) => {
            for (i, (k, val)) in m.iter().enumerate() {
                if i > 0 || !first_inline {
                    out.push_str(&" ".repeat(col));
                }
                out.push_str(&scalar_text(k));
                out.push(':');
                write_after_key(val, col, layout, nl, out);
            }
        }
        Value::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                if i > 0 || !first_inline {
                    out.push_str(&" ".repeat(col));
                }
                out.push('-');
                out.push_str(&" ".repeat(layout.item_indent - 1));
                write_item(item, col + layout.item_indent, layout, nl, out);
            }
        }
        other => {
            if !first_inline {
                out.push_str(&" ".repeat(col));
            }
            out.push_str(&inline_text(other).unwrap_or_default());
            out.push_str(nl);
        }
    }
}

/// A list item's content after its `- `, its lines at `col`.
fn write_item(v: &Value, col: usize, layout: Layout, nl: &str, out: &mut String) {
    match inline_text(v) {
        Some(t) => {
            out.push_str(&t);
            out.push_str(nl);
        }
        None => write_block_body(v, col, true, layout, nl, out),
    }
}

/// A value in flow style (`{a: b, c: [d]}`); JSON when `json`.
fn flow_text(v: &Value, json: bool) -> String {
    match v {
        Value::String(s) if json => double_quoted(s),
        Value::Object(m) => {
            let body: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", flow_key(k, json), flow_text(v, json)))
                .collect();
            format!("{{{}}}", body.join(", "))
        }
        Value::Array(a) => {
            let body: Vec<String> = a.iter().map(|v| flow_text(v, json)).collect();
            format!("[{}]", body.join(", "))
        }
        other => inline_text(other).unwrap_or_default(),
    }
}

fn flow_key(k: &str, json: bool) -> String {
    if json {
        double_quoted(k)
    } else {
        scalar_text(k)
    }
}

/// A string as a YAML scalar: plain when it reads back as the same string under YAML 1.1
/// rules and the rules of [`crate::yaml::to_yaml`]'s emitter, else double-quoted.
fn scalar_text(s: &str) -> String {
    let plain = !emitter_needs_quotes(s)
        && !s.chars().any(needs_escape)
        && resolve_scalar(s, TScalarStyle::Plain, None) == Ok(Value::String(s.to_string()));
    if plain {
        s.to_string()
    } else {
        double_quoted(s)
    }
}

/// yaml-rust2's emitter rule (`emitter.rs`, `need_quotes`), which `crate::yaml::to_yaml`
/// writes with.
fn emitter_needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.starts_with(' ')
        || s.ends_with(' ')
        || s.starts_with(['&', '*', '?', '|', '-', '<', '>', '=', '!', '%', '@'])
        || s.contains(|c: char| {
            matches!(
                c,
                ':' | '{'
                    | '}'
                    | '['
                    | ']'
                    | ','
                    | '#'
                    | '`'
                    | '"'
                    | '\''
                    | '\\'
                    | '\0'..='\x06'
                    | '\t'
                    | '\n'
                    | '\r'
                    | '\x0e'..='\x1a'
                    | '\x1c'..='\x1f'
            )
        })
        || [
            "true", "false", "True", "False", "TRUE", "FALSE", "null", "Null", "NULL", "~", "y",
            "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off",
            "OFF",
        ]
        .contains(&s)
        || s.starts_with('.')
        || s.starts_with("0x")
        || s.parse::<i64>().is_ok()
        || s.parse::<f64>().is_ok()
}

/// Characters written as an escape in double quotes: control characters, DEL, C1 controls,
/// YAML 1.1 line breaks and byte-order marks.
fn needs_escape(c: char) -> bool {
    matches!(c, '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use json_patch::jsonptr::PointerBuf;
    use json_patch::{AddOperation, RemoveOperation, ReplaceOperation};
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::policy::{self, MutateMode, Policy};

    fn patch_for(text: &str, policy: &Policy) -> Patch {
        let value = read_one(text).expect("the input reads");
        policy::mutate(&value, policy, MutateMode::Offline)
    }

    /// Mutates `text` with `policy`, applies the patch in place, and checks that the result
    /// reads back as the patched object, that mutating it again gives no operation, and that
    /// applying that empty patch changes nothing.
    fn fix_with(text: &str, policy: &Policy) -> String {
        let patch = patch_for(text, policy);
        assert!(!patch.0.is_empty(), "nothing to do for\n{text}");
        let out =
            apply(text, &patch).unwrap_or_else(|e| panic!("{e}\npatch: {}\n{text}", json!(patch)));
        let mut want = read_one(text).unwrap();
        json_patch::patch(&mut want, &patch.0).unwrap();
        assert_eq!(read_one(&out).unwrap(), want);
        let again = patch_for(&out, policy);
        assert!(again.0.is_empty(), "second mutate: {}\n{out}", json!(again));
        assert_eq!(apply(&out, &again).unwrap(), out);
        out
    }

    fn fix(text: &str) -> String {
        fix_with(text, &Policy::default())
    }

    fn remove(path: &str) -> PatchOperation {
        PatchOperation::Remove(RemoveOperation {
            path: PointerBuf::parse(path).unwrap(),
        })
    }

    fn add(path: &str, value: Value) -> PatchOperation {
        PatchOperation::Add(AddOperation {
            path: PointerBuf::parse(path).unwrap(),
            value,
        })
    }

    fn unsupported_reason(text: &str, ops: Vec<PatchOperation>) -> String {
        match apply(text, &Patch(ops)) {
            Err(EditError::Unsupported(why)) => why,
            Ok(out) => panic!("expected Unsupported, got\n{out}"),
        }
    }

    /// `kubectl create deployment web --image=nginx:1.27 --dry-run=client -o yaml`, kind changed.
    const KUBECTL: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  creationTimestamp: null
  labels:
    app: web
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  strategy: {}
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: web
    spec:
      containers:
      - image: nginx:1.27
        name: nginx
        resources: {}
status: {}
";

    const KUBECTL_FIXED: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  creationTimestamp: null
  labels:
    app: web
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: web
    spec:
      containers:
      - image: nginx:1.27
        name: nginx
        resources: {}
      nodeSelector:
        kubernetes.io/os: linux
      tolerations:
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
";

    #[test]
    fn kubectl_output_made_a_daemonset() {
        assert_eq!(fix(KUBECTL), KUBECTL_FIXED);
    }

    #[test]
    fn kubectl_output_is_what_the_table_says() {
        // The table's input is kubectl's own output when kubectl is installed.
        let Ok(out) = std::process::Command::new("kubectl")
            .args(["create", "deployment", "web", "--image=nginx:1.27"])
            .args(["--dry-run=client", "-o", "yaml"])
            .output()
        else {
            return;
        };
        if !out.status.success() {
            return;
        }
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.replace("kind: Deployment", "kind: DaemonSet"), KUBECTL);
    }

    #[test]
    fn crlf_line_endings_are_kept() {
        let text = KUBECTL.replace('\n', "\r\n");
        assert_eq!(fix(&text), KUBECTL_FIXED.replace('\n', "\r\n"));
    }

    #[test]
    fn no_newline_at_the_end() {
        let text = KUBECTL.strip_suffix('\n').unwrap();
        assert_eq!(fix(text), KUBECTL_FIXED.strip_suffix('\n').unwrap());
        let crlf = KUBECTL.replace('\n', "\r\n");
        assert_eq!(
            fix(crlf.strip_suffix("\r\n").unwrap()),
            KUBECTL_FIXED
                .strip_suffix('\n')
                .unwrap()
                .replace('\n', "\r\n")
        );
    }

    #[test]
    fn a_byte_order_mark_is_kept() {
        let text = format!("\u{feff}{KUBECTL}");
        assert_eq!(fix(&text), format!("\u{feff}{KUBECTL_FIXED}"));
    }

    #[test]
    fn comments_and_blank_lines_are_kept() {
        let text = "\
# web agent, one per node
apiVersion: apps/v1
kind: DaemonSet # was a Deployment
metadata:
  name: web
spec:
  # replicas do not apply to a DaemonSet
  replicas: 3 # three of them
  selector:
    matchLabels:
      app: web

  # the pod
  template:
    metadata:
      labels:
        app: web # must match
    spec:
      # the only container
      containers:
      - name: web
        image: nginx:1.27 # pinned
      # host network for the agent
      hostNetwork: true
# kubectl wrote this
status: {} # empty
# the end
";
        let want = "\
# web agent, one per node
apiVersion: apps/v1
kind: DaemonSet # was a Deployment
metadata:
  name: web
spec:
  # replicas do not apply to a DaemonSet
  selector:
    matchLabels:
      app: web

  # the pod
  template:
    metadata:
      labels:
        app: web # must match
    spec:
      # the only container
      containers:
      - name: web
        image: nginx:1.27 # pinned
      # host network for the agent
      hostNetwork: true
      nodeSelector:
        kubernetes.io/os: linux
      tolerations:
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
# kubectl wrote this
# the end
";
        assert_eq!(fix(text), want);
    }

    #[test]
    fn a_new_key_goes_above_the_comments_of_the_next_key() {
        let text = "\
kind: DaemonSet
spec:
  template:
    spec:
      containers:
      - name: a
        image: b

      # control-plane nodes too
      tolerations:
      - key: dedicated # agents only
        operator: Equal
        value: agents
        effect: NoSchedule
";
        let want = "\
kind: DaemonSet
spec:
  template:
    spec:
      containers:
      - name: a
        image: b

      nodeSelector:
        kubernetes.io/os: linux
      # control-plane nodes too
      tolerations:
      - key: dedicated # agents only
        operator: Equal
        value: agents
        effect: NoSchedule
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
";
        assert_eq!(fix(text), want);
    }

    #[test]
    fn indented_lists_and_four_space_indentation() {
        let text = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
    name: agent
spec:
    replicas: 2
    selector:
        matchLabels:
            app: agent
    template:
        metadata:
            labels:
                app: agent
        spec:
            containers:
              - name: agent
                image: agent:1.0
";
        let want = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
    name: agent
spec:
    selector:
        matchLabels:
            app: agent
    template:
        metadata:
            labels:
                app: agent
        spec:
            containers:
              - name: agent
                image: agent:1.0
            nodeSelector:
                kubernetes.io/os: linux
            tolerations:
              - key: node-role.kubernetes.io/control-plane
                operator: Exists
                effect: NoSchedule
";
        assert_eq!(fix(text), want);
    }

    #[test]
    fn appended_items_follow_the_items_layout() {
        let text = "\
kind: DaemonSet
spec:
  template:
    spec:
      containers: []
      nodeSelector: {kubernetes.io/os: linux}
      tolerations:
        -   key: dedicated
            operator: Exists
";
        let want = "\
kind: DaemonSet
spec:
  template:
    spec:
      containers: []
      nodeSelector: {kubernetes.io/os: linux}
      tolerations:
        -   key: dedicated
            operator: Exists
        -   key: node-role.kubernetes.io/control-plane
            operator: Exists
            effect: NoSchedule
";
        assert_eq!(fix(text), want);
    }

    #[test]
    fn flow_mappings() {
        let text = "\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  replicas: 1
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1}}
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: \"agent:1.0\"}], hostNetwork: true}
";
        let want = "\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: \"agent:1.0\"}], hostNetwork: true, tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}], nodeSelector: {kubernetes.io/os: linux}}
";
        assert_eq!(fix(text), want);
    }

    #[test]
    fn removals_from_flow_mappings() {
        let pod = "{metadata: {labels: {a: b}}, spec: {containers: [], tolerations: [{operator: Exists}], nodeSelector: {kubernetes.io/os: linux}}}";
        // First, middle and last entries.
        let text = format!(
            "kind: DaemonSet\nspec: {{replicas: 2, selector: {{matchLabels: {{a: b}}}}, progressDeadlineSeconds: 600, template: {pod}, paused: false}}\n"
        );
        let want = format!(
            "kind: DaemonSet\nspec: {{selector: {{matchLabels: {{a: b}}}}, template: {pod}}}\n"
        );
        assert_eq!(fix(&text), want);
        // One entry per line.
        let text = format!(
            "kind: DaemonSet\nspec: {{\n  replicas: 1, # one\n  selector: {{matchLabels: {{a: b}}}},\n  template: {pod},\n  strategy: {{}}\n}}\n"
        );
        let want = format!(
            "kind: DaemonSet\nspec: {{\n  selector: {{matchLabels: {{a: b}}}},\n  template: {pod}\n}}\n"
        );
        assert_eq!(fix(&text), want);
        // The only entry, and an entry before a comment.
        let only = "kind: X\nspec: {replicas: 1}\nstatus: {a: 1, b: 2}\n";
        let ops = vec![remove("/spec/replicas"), remove("/status/a")];
        assert_eq!(
            apply(only, &Patch(ops)).unwrap(),
            "kind: X\nspec: {}\nstatus: {b: 2}\n"
        );
        let commented = "kind: X\nstatus: {a: 1, # the a\n  b: 2}\n";
        assert_eq!(
            apply(commented, &Patch(vec![remove("/status/a")])).unwrap(),
            "kind: X\nstatus: { # the a\n  b: 2}\n"
        );
    }

    #[test]
    fn flow_lists() {
        let text = "\
kind: DaemonSet
spec:
  template:
    spec:
      containers: [{name: a, image: b}]
      tolerations: [{key: dedicated, operator: Exists}, {key: gpu, operator: Exists}]
      nodeSelector: {disk: ssd}
";
        let want = "\
kind: DaemonSet
spec:
  template:
    spec:
      containers: [{name: a, image: b}]
      tolerations: [{key: dedicated, operator: Exists}, {key: gpu, operator: Exists}, {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]
      nodeSelector: {disk: ssd, kubernetes.io/os: linux}
";
        assert_eq!(fix(text), want);
    }

    #[test]
    fn empty_flow_collections_get_the_first_entry() {
        let text = "\
kind: DaemonSet
spec:
  template:
    spec:
      containers: []
      nodeSelector: {}
      tolerations: [] # none
";
        let want = "\
kind: DaemonSet
spec:
  template:
    spec:
      containers: []
      nodeSelector: {kubernetes.io/os: linux}
      tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}] # none
";
        assert_eq!(fix(text), want);
    }

    #[test]
    fn null_values_are_replaced() {
        let text = "\
kind: DaemonSet
spec:
  template:
    spec:
      containers: []
      nodeSelector: ~ # none yet
      tolerations:
";
        let want = "\
kind: DaemonSet
spec:
  template:
    spec:
      containers: []
      nodeSelector: # none yet
        kubernetes.io/os: linux
      tolerations:
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
";
        assert_eq!(fix(text), want);
        let flow = "kind: DaemonSet\nspec:\n  template:\n    spec: {containers: [], tolerations: null, nodeSelector: ~}\n";
        assert_eq!(
            fix(flow),
            "kind: DaemonSet\nspec:\n  template:\n    spec: {containers: [], tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}], nodeSelector: {kubernetes.io/os: linux}}\n"
        );
        let scalar = "kind: X\na: ~ # later\nb:\n";
        let ops = vec![add("/a", json!("yes")), add("/b", json!({}))];
        assert_eq!(
            apply(scalar, &Patch(ops)).unwrap(),
            "kind: X\na: \"yes\" # later\nb: {}\n"
        );
    }

    #[test]
    fn existing_node_selector_gets_the_key() {
        let sorted = "\
kind: DaemonSet
spec:
  template:
    spec:
      containers: []
      nodeSelector:
        disk: ssd
        zone: a # the first zone
      tolerations: [{operator: Exists}]
";
        let want = "\
kind: DaemonSet
spec:
  template:
    spec:
      containers: []
      nodeSelector:
        disk: ssd
        kubernetes.io/os: linux
        zone: a # the first zone
      tolerations: [{operator: Exists}]
";
        assert_eq!(fix(sorted), want);
        // Keys not in order: the new one goes last.
        let unsorted = sorted.replace(
            "disk: ssd\n        zone: a # the first zone",
            "zone: a\n        disk: ssd",
        );
        let want = want.replace(
            "disk: ssd\n        kubernetes.io/os: linux\n        zone: a # the first zone",
            "zone: a\n        disk: ssd\n        kubernetes.io/os: linux",
        );
        assert_eq!(fix(&unsorted), want);
    }

    #[test]
    fn keys_with_slash_and_tilde() {
        let policy = Policy {
            tolerations: vec![],
            node_selector: BTreeMap::from([("example.com/a~b".into(), "x".into())]),
            ..Policy::default()
        };
        let text = "kind: DaemonSet\nspec:\n  template:\n    spec:\n      containers: []\n      nodeSelector:\n        disk: ssd\n";
        let patch = patch_for(text, &policy);
        assert_eq!(
            json!(patch)[0]["path"],
            "/spec/template/spec/nodeSelector/example.com~1a~0b"
        );
        assert_eq!(
            fix_with(text, &policy),
            format!("{text}        example.com/a~b: x\n")
        );
    }

    #[test]
    fn values_that_need_quotes() {
        let values = [
            ("k01", "yes", "\"yes\""),
            ("k02", "on", "\"on\""),
            ("k03", "1.10", "\"1.10\""),
            ("k04", "0755", "\"0755\""),
            ("k05", "~", "\"~\""),
            ("k06", "null", "\"null\""),
            ("k07", "", "\"\""),
            ("k08", "a: b", "\"a: b\""),
            ("k09", "- x", "\"- x\""),
            ("k10", "#x", "\"#x\""),
            ("k11", "1_000", "\"1_000\""),
            ("k12", "0o17", "\"0o17\""),
            ("k13", "x #y", "\"x #y\""),
            ("k14", "tab\there \"q\"", "\"tab\\there \\\"q\\\"\""),
            ("k15", "two\nlines", "\"two\\nlines\""),
            ("k16", " padded", "\" padded\""),
            ("k17", "2001-12-14", "2001-12-14"),
            ("k18", "café ☕", "café ☕"),
            ("k19", "nginx:1.27", "\"nginx:1.27\""),
            ("k20", "<<", "\"<<\""),
            ("yes", "y", "\"y\""),
        ];
        let policy = Policy {
            tolerations: vec![],
            node_selector: values
                .iter()
                .map(|(k, v, _)| (k.to_string(), v.to_string()))
                .collect(),
            ..Policy::default()
        };
        let text = "kind: DaemonSet\nspec:\n  template:\n    spec:\n      containers: []\n";
        let mut want = format!("{text}      nodeSelector:\n");
        for (k, _, written) in values {
            let k = if k == "yes" { "\"yes\"" } else { k };
            want.push_str(&format!("        {k}: {written}\n"));
        }
        assert_eq!(fix_with(text, &policy), want);
    }

    #[test]
    fn unicode_in_comments_values_and_block_scalars() {
        let text = "\
# agent für alle Knoten — 日本語のコメント
kind: DaemonSet
metadata:
  name: agent
  annotations:
    note: |
      héllo wörld ✓
      ünïcödé lines 🚀
    summary: \"naïve café\" # ça va
spec:
  replicas: 1 # ☃
  template:
    metadata:
      labels: {app: ägent}
    spec:
      containers:
      - name: agent
        image: agent:1.0 # 版本
";
        let want = "\
# agent für alle Knoten — 日本語のコメント
kind: DaemonSet
metadata:
  name: agent
  annotations:
    note: |
      héllo wörld ✓
      ünïcödé lines 🚀
    summary: \"naïve café\" # ça va
spec:
  template:
    metadata:
      labels: {app: ägent}
    spec:
      containers:
      - name: agent
        image: agent:1.0 # 版本
      nodeSelector:
        kubernetes.io/os: linux
      tolerations:
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
";
        assert_eq!(fix(text), want);
    }

    #[test]
    fn removed_values_of_every_shape() {
        let text = "\
kind: X
spec:
  strategy: |
    # not a comment: part of the text
    more text

  # a real comment
  replicas: one
    two # folded plain scalar
  paused: 'it''s # not a comment'
  progressDeadlineSeconds: \"a\\\"b # c\"
  status:
    - a
    - {b: [c, d]}
  x: 1
";
        let ops = [
            "strategy",
            "replicas",
            "paused",
            "progressDeadlineSeconds",
            "status",
        ]
        .iter()
        .map(|k| remove(&format!("/spec/{k}")))
        .collect();
        assert_eq!(
            apply(text, &Patch(ops)).unwrap(),
            "kind: X\nspec:\n\n  # a real comment\n  x: 1\n"
        );
    }

    #[test]
    fn emptied_block_mappings_become_braces() {
        let ops = vec![remove("/spec/replicas")];
        assert_eq!(
            apply("kind: X\nspec:\n  replicas: 1\nz: 2\n", &Patch(ops.clone())).unwrap(),
            "kind: X\nspec: {}\nz: 2\n"
        );
        assert_eq!(
            apply("status:\n  a: 1\n", &Patch(vec![remove("/status")])).unwrap(),
            "{}\n"
        );
        assert_eq!(
            apply(
                "items:\n- spec:\n    replicas: 1\n",
                &Patch(vec![remove("/items/0/spec/replicas")])
            )
            .unwrap(),
            "items:\n- spec: {}\n"
        );
        assert_eq!(
            apply(
                "items:\n- replicas: 1 # one\n\n  x: 2\n",
                &Patch(vec![remove("/items/0/replicas")])
            )
            .unwrap(),
            "items:\n- x: 2\n"
        );
        assert_eq!(
            apply(
                "items:\n- replicas: 1 # one\n",
                &Patch(vec![remove("/items/0/replicas")])
            )
            .unwrap(),
            "items:\n- {} # one\n"
        );
        let why = unsupported_reason("? replicas\n: 1\nx: 2\n", vec![remove("/replicas")]);
        assert!(why.contains("does not start its line"), "{why}");
        let why = unsupported_reason(
            "items:\n- replicas: 1\n  # x\n  x: 2\n",
            vec![remove("/items/0/replicas")],
        );
        assert!(why.contains("lose the comments"), "{why}");
    }

    #[test]
    fn a_json_document_stays_json() {
        let text = r#"{
    "kind": "DaemonSet",
    "apiVersion": "apps/v1",
    "metadata": {
        "name": "web",
        "creationTimestamp": null,
        "labels": {
            "app": "web"
        }
    },
    "spec": {
        "replicas": 1,
        "selector": {
            "matchLabels": {
                "app": "web"
            }
        },
        "template": {
            "metadata": {
                "creationTimestamp": null,
                "labels": {
                    "app": "web"
                }
            },
            "spec": {
                "containers": [
                    {
                        "name": "nginx",
                        "image": "nginx:1.27",
                        "resources": {}
                    }
                ]
            }
        },
        "strategy": {}
    },
    "status": {}
}
"#;
        let want = r#"{
    "kind": "DaemonSet",
    "apiVersion": "apps/v1",
    "metadata": {
        "name": "web",
        "creationTimestamp": null,
        "labels": {
            "app": "web"
        }
    },
    "spec": {
        "selector": {
            "matchLabels": {
                "app": "web"
            }
        },
        "template": {
            "metadata": {
                "creationTimestamp": null,
                "labels": {
                    "app": "web"
                }
            },
            "spec": {
                "containers": [
                    {
                        "name": "nginx",
                        "image": "nginx:1.27",
                        "resources": {}
                    }
                ],
                "tolerations": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}],
                "nodeSelector": {"kubernetes.io/os": "linux"}
            }
        }
    }
}
"#;
        let out = fix(text);
        assert_eq!(out, want);
        serde_json::from_str::<Value>(&out).expect("still JSON");
    }

    #[test]
    fn a_json_status_over_several_lines() {
        let text = r#"{
  "kind": "DaemonSet",
  "spec": {
    "template": {"spec": {"containers": [], "nodeSelector": {"kubernetes.io/os": "linux"}, "tolerations": [
      {"operator": "Exists"}
    ]}}
  },
  "status": {
    "numberReady": 1
  }
}"#;
        let want = r#"{
  "kind": "DaemonSet",
  "spec": {
    "template": {"spec": {"containers": [], "nodeSelector": {"kubernetes.io/os": "linux"}, "tolerations": [
      {"operator": "Exists"}
    ]}}
  }
}"#;
        assert_eq!(fix(text), want);
    }

    #[test]
    fn flow_collections_with_one_element_per_line() {
        let text = "\
kind: DaemonSet
spec:
  template:
    spec: {
      containers: [], # none
      tolerations: [
        {key: a, operator: Exists} # a
      ]
    }
";
        let want = "\
kind: DaemonSet
spec:
  template:
    spec: {
      containers: [], # none
      tolerations: [
        {key: a, operator: Exists}, # a
        {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}
      ],
      nodeSelector: {kubernetes.io/os: linux}
    }
";
        assert_eq!(fix(text), want);
        // Trailing commas stay.
        let text = "kind: DaemonSet\nspec:\n  template:\n    spec: {\n      containers: [],\n      tolerations: [\n        {key: a}, # a\n      ],\n    }\n";
        let want = "kind: DaemonSet\nspec:\n  template:\n    spec: {\n      containers: [],\n      tolerations: [\n        {key: a}, # a\n        {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule},\n      ],\n      nodeSelector: {kubernetes.io/os: linux},\n    }\n";
        assert_eq!(fix(text), want);
    }

    #[test]
    fn items_of_a_list_document() {
        let text = "\
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: DaemonSet
  metadata:
    name: a
  spec:
    replicas: 1
    template:
      spec:
        containers:
        - name: a
          image: a
- status: {}
  apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: b}
  spec:
    template:
      spec:
        containers: []
        tolerations: [{operator: Exists}]
";
        let want = "\
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: DaemonSet
  metadata:
    name: a
  spec:
    template:
      spec:
        containers:
        - name: a
          image: a
        nodeSelector:
          kubernetes.io/os: linux
        tolerations:
        - key: node-role.kubernetes.io/control-plane
          operator: Exists
          effect: NoSchedule
- apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: b}
  spec:
    template:
      spec:
        containers: []
        nodeSelector:
          kubernetes.io/os: linux
        tolerations: [{operator: Exists}]
";
        // The patch of each item, under `/items/<i>`, as the command line makes it.
        let list = read_one(text).unwrap();
        let mut ops = Vec::new();
        for (i, item) in list["items"].as_array().unwrap().iter().enumerate() {
            for op in policy::mutate(item, &Policy::default(), MutateMode::Offline).0 {
                let mut op = serde_json::to_value(op).unwrap();
                op["path"] = json!(format!("/items/{i}{}", op["path"].as_str().unwrap()));
                ops.push(serde_json::from_value(op).unwrap());
            }
        }
        assert_eq!(apply(text, &Patch(ops)).unwrap(), want);
    }

    #[test]
    fn list_layout_of_the_nearest_lists_and_flow_items() {
        // The pod spec's own lists are indented; an earlier list is not.
        let text = "\
kind: DaemonSet
metadata:
  finalizers:
  - a
spec:
  template:
    spec:
      containers:
        - name: a
          image: b
      tolerations:
        - {key: a, operator: Exists}
";
        let want = "\
kind: DaemonSet
metadata:
  finalizers:
  - a
spec:
  template:
    spec:
      containers:
        - name: a
          image: b
      nodeSelector:
        kubernetes.io/os: linux
      tolerations:
        - {key: a, operator: Exists}
        - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}
";
        assert_eq!(fix(text), want);
        let tolerations = "kind: DaemonSet\nspec:\n  template:\n    spec:\n      containers: []\n";
        let policy = Policy {
            node_selector: BTreeMap::new(),
            ..Policy::default()
        };
        let want = format!(
            "{}      tolerations:\n        - key: node-role.kubernetes.io/control-plane\n          operator: Exists\n          effect: NoSchedule\n",
            tolerations.replace("containers: []", "containers:\n        - name: a")
        );
        assert_eq!(
            fix_with(
                &tolerations.replace("containers: []", "containers:\n        - name: a"),
                &policy
            ),
            want
        );
    }

    #[test]
    fn anchors_and_aliases_off_the_edited_path() {
        let text = "\
kind: DaemonSet
metadata:
  labels: &labels {app: agent}
spec:
  replicas: 1
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels: *labels
    spec:
      containers: []
";
        let want = "\
kind: DaemonSet
metadata:
  labels: &labels {app: agent}
spec:
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels: *labels
    spec:
      containers: []
      nodeSelector:
        kubernetes.io/os: linux
      tolerations:
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
";
        assert_eq!(fix(text), want);
        // An anchor inside a removed value that is used elsewhere: refused, not broken.
        let text = "kind: X\nspec:\n  strategy: &s {type: A}\n  x: *s\n";
        let why = unsupported_reason(text, vec![remove("/spec/strategy")]);
        assert!(why.contains("would not read back"), "{why}");
    }

    #[test]
    fn block_scalars_quoted_keys_and_spacing() {
        let text = "\
kind: DaemonSet
spec :
  replicas : 1\t# tab
  'template':
    spec:
      containers:
      - name: a
        args:
        - |
          echo hi

          # part of the script
        - >-
          folded
          text


      # trailing comment of containers
...
";
        let want = "\
kind: DaemonSet
spec :
  'template':
    spec:
      containers:
      - name: a
        args:
        - |
          echo hi

          # part of the script
        - >-
          folded
          text
      nodeSelector:
        kubernetes.io/os: linux
      tolerations:
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule


      # trailing comment of containers
...
";
        assert_eq!(fix(text), want);
        let text = "\
kind: DaemonSet
spec:
  template:
    spec:
      containers:
      - name: a
        command: sh -c
          'echo hi'
      \"nodeSelector\": {}
status:
  conditions:
  - message: |
      multi
      line
";
        let want = "\
kind: DaemonSet
spec:
  template:
    spec:
      containers:
      - name: a
        command: sh -c
          'echo hi'
      \"nodeSelector\": {kubernetes.io/os: linux}
      tolerations:
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
";
        assert_eq!(fix(text), want);
    }

    #[test]
    fn unsupported_shapes() {
        let pod = "    spec:\n      containers: []\n";
        let rows: Vec<(String, Vec<PatchOperation>, &str)> = vec![
            (
                format!("kind: X\nspec:\n  template: &t\n{pod}"),
                vec![add("/spec/template/spec/nodeSelector", json!({"a": "b"}))],
                "anchor",
            ),
            (
                "kind: X\nspec:\n  template:\n    spec: !!map\n      containers: []\n".into(),
                vec![add("/spec/template/spec/nodeSelector", json!({"a": "b"}))],
                "tag",
            ),
            (
                "kind: X\np: &p {containers: []}\nspec:\n  template:\n    spec: *p\n".into(),
                vec![add("/spec/template/spec/nodeSelector", json!({"a": "b"}))],
                "alias",
            ),
            (
                "kind: X\np: &p {containers: []}\nspec:\n  template:\n    spec:\n      <<: *p\n      hostNetwork: true\n".into(),
                vec![add("/spec/template/spec/nodeSelector", json!({"a": "b"}))],
                "merge key",
            ),
            (
                "kind: A\n...\nkind: B\n".into(),
                vec![add("/x", json!(1))],
                "2 documents",
            ),
            (
                "kind: X\n".into(),
                vec![remove("/spec/replicas")],
                "does not apply",
            ),
            (
                "kind: X\n? [a]\n: 1\n".into(),
                vec![add("/x", json!(1))],
                "does not read",
            ),
            (
                "kind: X\nl: [a]\n".into(),
                vec![add("/l/0", json!("b"))],
                "only appended",
            ),
            (
                "kind: X\nl: [a]\n".into(),
                vec![remove("/l/0")],
                "only mapping entries",
            ),
            (
                "kind: X\n".into(),
                vec![PatchOperation::Replace(ReplaceOperation {
                    path: PointerBuf::parse("/kind").unwrap(),
                    value: json!("Y"),
                })],
                "`replace` operations",
            ),
            (
                "kind: X\na: 1\n".into(),
                vec![add("/a", json!(2))],
                "already has a value",
            ),
            ("kind: X\n".into(), vec![add("", json!({}))], "whole document"),
            ("kind: X\r".into(), vec![add("/a", json!(1))], "carriage return"),
            (
                "kind: X\nl: [a: 1]\n".into(),
                vec![add("/l/0/b", json!(1))],
                "single-pair",
            ),
        ];
        for (text, ops, reason) in rows {
            let why = unsupported_reason(&text, ops);
            assert!(why.contains(reason), "{text:?}: {why}");
        }
    }

    #[test]
    fn empty_patch_changes_nothing() {
        for text in ["", "not: [valid", "a: 1", KUBECTL] {
            assert_eq!(apply(text, &Patch(vec![])).unwrap(), text);
        }
    }

    // ----- property tests

    /// The shape of a generated DaemonSet manifest.
    #[derive(Debug, Clone)]
    struct Case {
        step: usize,
        list_indent: usize,
        crlf: bool,
        final_newline: bool,
        header: bool,
        comments: Vec<u8>,
        replicas: bool,
        strategy: u8,
        paused: bool,
        deadline: bool,
        status: u8,
        tolerations: u8,
        node_selector: u8,
        /// 0: block pod spec, 1: flow pod spec, 2: the whole spec in flow style.
        flow: u8,
        rotate: usize,
        sorted: bool,
        metadata_flow: bool,
        host_network: bool,
        /// Flow mappings that are mapping values have one entry per line.
        flow_lines: bool,
    }

    /// A YAML node to write: a scalar as written, a mapping or a list (flow style when true).
    #[derive(Debug, Clone)]
    enum Y {
        S(&'static str),
        M(Vec<(&'static str, Y)>, bool),
        L(Vec<Y>, bool),
    }

    const REMOVED: &[&str] = &[
        "replicas",
        "strategy",
        "paused",
        "progressDeadlineSeconds",
        "status",
    ];

    /// Writes a [`Y`] tree in block style with comments and blank lines, recording which
    /// lines may change (inside removed fields, or naming a field that changes).
    struct Writer<'a> {
        step: usize,
        list_indent: usize,
        comments: &'a [u8],
        next: usize,
        count: usize,
        lines: Vec<(String, bool)>,
        line: String,
        changes: bool,
        flow_lines: bool,
    }

    impl Writer<'_> {
        fn pick(&mut self) -> u8 {
            let c = self
                .comments
                .get(self.next % self.comments.len().max(1))
                .copied()
                .unwrap_or(3);
            self.next += 1;
            c
        }

        /// A comment; kept ones are named `c…`, ones inside removed fields `r…`.
        fn comment(&mut self, removed: bool) -> String {
            self.count += 1;
            format!("# {}{:03}", if removed { 'r' } else { 'c' }, self.count)
        }

        fn end_line(&mut self) {
            let line = std::mem::take(&mut self.line);
            let names_change = ["tolerations", "nodeSelector", "spec: {", "status"]
                .iter()
                .chain(REMOVED)
                .any(|k| line.replace('"', "").contains(k));
            self.lines.push((line, self.changes || names_change));
            self.changes = false;
        }

        fn flow(y: &Y) -> String {
            match y {
                Y::S(s) => s.to_string(),
                Y::M(e, _) => format!(
                    "{{{}}}",
                    e.iter()
                        .map(|(k, v)| format!("{k}: {}", Self::flow(v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Y::L(i, _) => format!(
                    "[{}]",
                    i.iter().map(Self::flow).collect::<Vec<_>>().join(", ")
                ),
            }
        }

        fn inline_comment(&mut self, removed: bool) {
            if self.pick() % 5 == 2 {
                let c = self.comment(removed);
                self.line.push(' ');
                self.line.push_str(&c);
            }
        }

        fn map(&mut self, entries: &[(&str, Y)], col: usize, first_inline: bool, removed: bool) {
            for (i, (k, v)) in entries.iter().enumerate() {
                let gone = removed || REMOVED.contains(k);
                if i > 0 || !first_inline {
                    match self.pick() % 5 {
                        0 => {
                            let c = self.comment(removed);
                            self.line = format!("{}{c}", " ".repeat(col));
                            self.changes = removed;
                            self.end_line();
                        }
                        1 => {
                            self.changes = removed;
                            self.end_line();
                        }
                        _ => {}
                    }
                    self.line.push_str(&" ".repeat(col));
                }
                self.changes |= gone;
                if self.pick() % 11 == 3 {
                    self.line.push_str(&format!("\"{k}\""));
                } else {
                    self.line.push_str(k);
                }
                self.line.push(':');
                match v {
                    Y::S(s) => {
                        if !s.is_empty() {
                            self.line.push(' ');
                            self.line.push_str(s);
                        }
                        self.inline_comment(gone);
                        self.end_line();
                    }
                    Y::M(e, false) if !e.is_empty() => {
                        self.inline_comment(gone);
                        self.end_line();
                        self.map(e, col + self.step, false, gone);
                    }
                    Y::L(items, false) if !items.is_empty() => {
                        self.inline_comment(gone);
                        self.end_line();
                        self.list(items, col + self.list_indent, gone);
                    }
                    Y::M(e, true) if self.flow_lines && e.len() > 1 => {
                        // One entry per line.
                        self.line.push_str(" {");
                        self.inline_comment(gone);
                        self.end_line();
                        let trailing = self.pick().is_multiple_of(3);
                        for (i, (k, v)) in e.iter().enumerate() {
                            // Its comma comes or goes when what follows is added or removed.
                            let last = e[i + 1..].iter().all(|(k, _)| REMOVED.contains(k));
                            self.changes |= gone || last;
                            let comma = if i + 1 < e.len() || trailing { "," } else { "" };
                            self.line = format!(
                                "{}{k}: {}{comma}",
                                " ".repeat(col + self.step),
                                Self::flow(v)
                            );
                            self.inline_comment(gone || REMOVED.contains(k));
                            self.end_line();
                        }
                        self.changes |= gone;
                        self.line = format!("{}}}", " ".repeat(col));
                        self.end_line();
                    }
                    Y::L(items, true) if self.flow_lines && !items.is_empty() => {
                        self.line.push_str(" [");
                        self.inline_comment(gone);
                        self.end_line();
                        let trailing = self.pick().is_multiple_of(3);
                        for (i, item) in items.iter().enumerate() {
                            let last = i + 1 == items.len();
                            self.changes |= gone || last;
                            let comma = if !last || trailing { "," } else { "" };
                            self.line = format!(
                                "{}{}{comma}",
                                " ".repeat(col + self.step),
                                Self::flow(item)
                            );
                            self.inline_comment(gone);
                            self.end_line();
                        }
                        self.changes |= gone;
                        self.line = format!("{}]", " ".repeat(col));
                        self.end_line();
                    }
                    other => {
                        self.line.push(' ');
                        self.line.push_str(&Self::flow(other));
                        self.inline_comment(gone);
                        self.end_line();
                    }
                }
            }
        }

        fn list(&mut self, items: &[Y], col: usize, removed: bool) {
            for item in items {
                if self.pick().is_multiple_of(7) {
                    let c = self.comment(removed);
                    self.line = format!("{}{c}", " ".repeat(col));
                    self.changes = removed;
                    self.end_line();
                }
                self.changes |= removed;
                self.line.push_str(&" ".repeat(col));
                self.line.push_str("- ");
                match item {
                    Y::M(e, false) if !e.is_empty() => self.map(e, col + 2, true, removed),
                    other => {
                        self.line.push_str(&Self::flow(other));
                        self.end_line();
                    }
                }
            }
        }
    }

    fn render(c: &Case) -> (String, Vec<(String, bool)>) {
        use Y::*;
        let labels = M(vec![("app", S("agent"))], c.metadata_flow);
        let container = M(
            vec![("name", S("agent")), ("image", S("\"agent:1.0\""))],
            c.flow > 0,
        );
        let mut pod = vec![("containers", L(vec![container], c.flow > 0))];
        if c.host_network {
            pod.push(("hostNetwork", S("true")));
        }
        let other = M(
            vec![("key", S("dedicated")), ("operator", S("Exists"))],
            c.flow > 0,
        );
        let covering = M(vec![("operator", S("Exists"))], c.flow > 0);
        let flow_null = if c.flow > 0 { "~" } else { "" };
        match c.tolerations {
            1 => pod.push(("tolerations", S(flow_null))),
            2 => pod.push(("tolerations", S("~"))),
            3 => pod.push(("tolerations", L(vec![], true))),
            4 => pod.push(("tolerations", L(vec![other], c.flow > 0))),
            5 => pod.push(("tolerations", L(vec![other], true))),
            6 => pod.push(("tolerations", L(vec![covering], c.flow > 0))),
            _ => {}
        }
        match c.node_selector {
            1 => pod.push(("nodeSelector", S("null"))),
            2 => pod.push(("nodeSelector", M(vec![], true))),
            3 => pod.push(("nodeSelector", M(vec![("disk", S("ssd"))], c.flow > 0))),
            4 => pod.push(("nodeSelector", M(vec![("zone", S("a"))], true))),
            5 => pod.push((
                "nodeSelector",
                M(vec![("kubernetes.io/os", S("linux"))], c.flow > 0),
            )),
            6 => pod.push((
                "nodeSelector",
                M(vec![("zone", S("a")), ("disk", S("ssd"))], c.flow > 0),
            )),
            _ => {}
        }
        if !pod.is_empty() {
            let r = c.rotate % pod.len();
            pod.rotate_left(r);
        }
        if c.sorted {
            pod.sort_by_key(|(k, _)| *k);
        }
        let template = M(
            vec![
                (
                    "metadata",
                    M(vec![("labels", labels.clone())], c.metadata_flow),
                ),
                ("spec", M(pod, c.flow > 0)),
            ],
            c.flow > 1,
        );
        let mut spec = vec![
            (
                "selector",
                M(vec![("matchLabels", labels.clone())], c.metadata_flow),
            ),
            ("template", template),
        ];
        if c.replicas {
            spec.push(("replicas", S("3")));
        }
        match c.strategy {
            1 => spec.push(("strategy", M(vec![], true))),
            2 => spec.push((
                "strategy",
                M(
                    vec![
                        ("type", S("RollingUpdate")),
                        ("rollingUpdate", M(vec![("maxSurge", S("25%"))], false)),
                    ],
                    c.flow > 1,
                ),
            )),
            3 => spec.push(("strategy", M(vec![("type", S("Recreate"))], true))),
            _ => {}
        }
        if c.paused {
            spec.push(("paused", S("false")));
        }
        if c.deadline {
            spec.push(("progressDeadlineSeconds", S("600")));
        }
        if c.sorted {
            spec.sort_by_key(|(k, _)| *k);
        } else {
            let r = c.rotate % spec.len();
            spec.rotate_left(r);
        }
        let mut root = vec![
            ("apiVersion", S("apps/v1")),
            ("kind", S("DaemonSet")),
            (
                "metadata",
                M(
                    vec![("name", S("agent")), ("labels", labels)],
                    c.metadata_flow,
                ),
            ),
            ("spec", M(spec, c.flow > 1)),
        ];
        match c.status {
            1 => root.push(("status", M(vec![], true))),
            2 => root.push((
                "status",
                M(
                    vec![
                        ("numberReady", S("1")),
                        ("conditions", L(vec![S("a"), S("b")], false)),
                    ],
                    false,
                ),
            )),
            _ => {}
        }
        let mut w = Writer {
            step: c.step,
            list_indent: c.list_indent,
            comments: &c.comments,
            next: 0,
            count: 0,
            lines: Vec::new(),
            line: String::new(),
            changes: false,
            flow_lines: c.flow_lines,
        };
        if c.header {
            w.line = "# generated: kept".into();
            w.end_line();
        }
        w.map(&root, 0, false, false);
        let nl = if c.crlf { "\r\n" } else { "\n" };
        let mut text: String = w.lines.iter().map(|(l, _)| format!("{l}{nl}")).collect();
        if !c.final_newline {
            text.truncate(text.len() - nl.len());
        }
        (text, w.lines)
    }

    fn case() -> impl Strategy<Value = Case> {
        (
            (
                prop_oneof![Just(2usize), Just(4)],
                prop_oneof![Just(0usize), Just(2)],
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
                prop::collection::vec(any::<u8>(), 0..48),
            ),
            (any::<bool>(), 0u8..4, any::<bool>(), any::<bool>(), 0u8..3),
            (
                0u8..7,
                0u8..7,
                0u8..3,
                0usize..8,
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
            ),
        )
            .prop_map(
                |(
                    (step, list_indent, crlf, final_newline, header, comments),
                    (replicas, strategy, paused, deadline, status),
                    (
                        tolerations,
                        node_selector,
                        flow,
                        rotate,
                        sorted,
                        metadata_flow,
                        host_network,
                        flow_lines,
                    ),
                )| Case {
                    step,
                    list_indent,
                    crlf,
                    final_newline,
                    header,
                    comments,
                    replicas,
                    strategy,
                    paused,
                    deadline,
                    status,
                    tolerations,
                    node_selector,
                    flow,
                    rotate,
                    sorted,
                    metadata_flow,
                    host_network,
                    flow_lines,
                },
            )
    }

    fn config(cases: u32) -> ProptestConfig {
        ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config(1000))]

        #[test]
        fn generated_manifests_are_edited_in_place(c in case()) {
            let (text, lines) = render(&c);
            let value = read_one(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            let patch = policy::mutate(&value, &Policy::default(), MutateMode::Offline);
            // fix() checks the read-back, the second mutate and idempotence.
            let out = if patch.0.is_empty() {
                apply(&text, &patch).unwrap()
            } else {
                fix(&text)
            };
            // Kept comments are all there.
            for (line, _) in &lines {
                if let Some(i) = line.find("# c") {
                    let name = &line[i..i + 6];
                    prop_assert!(out.contains(name), "{name} lost\n{text}\n---\n{out}");
                }
            }
            // Only the lines the patch changes differ.
            // Without a line break at the end, the text is its lines joined by line breaks.
            let (a, b) = if text.ends_with('\n') {
                (text.clone(), out.clone())
            } else {
                let nl = if c.crlf { "\r\n" } else { "\n" };
                (format!("{text}{nl}"), format!("{out}{nl}"))
            };
            let diff = similar::TextDiff::from_lines(&a, &b);
            for change in diff.iter_all_changes() {
                if change.tag() == similar::ChangeTag::Delete {
                    let i = change.old_index().unwrap();
                    // Blank lines are told apart by count below: the diff may pair any two.
                    prop_assert!(lines[i].1 || lines[i].0.is_empty(),
                        "line {} changed: {:?}\n{text:?}\n---\n{out:?}", i + 1, lines[i].0);
                }
            }
            let kept_blank = lines.iter().filter(|(l, may_change)| l.is_empty() && !may_change).count();
            let blank = b.lines().filter(|l| l.trim_end_matches('\r').is_empty()).count();
            prop_assert!(blank >= kept_blank, "blank lines lost\n{text:?}\n---\n{out:?}");
        }

        #[test]
        fn arbitrary_text_never_panics(
            text in "[a-z:{}\\[\\]\\- #,'\"\n|>&*!~.0-9\t\ré日🚀?%@]{0,160}",
            ops in prop::collection::vec((0usize..12, 0usize..6), 1..4),
        ) {
            let paths = ["/spec/replicas", "/status", "/spec/template/spec/tolerations",
                "/spec/template/spec/tolerations/-", "/a", "/a/b", "/a/-", "/0", "/a/0", "/",
                "/spec", "/a~1b"];
            let values = [json!(null), json!("yes"), json!([{"key": "k", "operator": "Exists"}]),
                json!({"kubernetes.io/os": "linux"}), json!([]), json!({})];
            let patch = Patch(ops.into_iter().map(|(p, v)| {
                if v == 0 { remove(paths[p]) } else { add(paths[p], values[v].clone()) }
            }).collect());
            let _ = apply(&text, &patch);
        }

        #[test]
        fn damaged_manifests_never_panic(c in case(), at in any::<prop::sample::Index>(), with in "[ :\\-#{}\\[\\],'\"\n|>&*]{0,3}") {
            let (text, _) = render(&c);
            let value = read_one(&text).unwrap();
            let patch = policy::mutate(&value, &Policy::default(), MutateMode::Offline);
            // Replace one character of the text with a few others.
            let cut = at.index(text.len() + 1);
            let cut = (0..=cut).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            let (head, tail) = text.split_at(cut);
            let tail = tail.chars().skip(1).collect::<String>();
            let damaged = format!("{head}{with}{tail}");
            if let Ok(out) = apply(&damaged, &patch).as_ref().map(String::as_str)
                && !patch.0.is_empty()
            {
                let mut want = read_one(&damaged).unwrap();
                json_patch::patch(&mut want, &patch.0).unwrap();
                prop_assert_eq!(read_one(out).unwrap(), want);
            }
        }
    }
}
