//! Reading manifests: files, directories and stdin, split into documents, `List`s expanded.
//! Nothing is dropped silently: every document that cannot be read becomes an entry with
//! its error; only empty documents are left out.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::yaml::{self, LineIndex};

/// Largest file read; a larger one is reported, not read.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Where documents come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file on disk.
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
    /// A directory entry that could not be walked, and why.
    Unreadable(PathBuf, String),
}

impl Input {
    /// The name shown in output.
    pub fn name(&self) -> String {
        match self {
            Input::File(p) | Input::Unreadable(p, _) => p.display().to_string(),
            Input::Stdin => "<stdin>".into(),
        }
    }
}

/// A path argument that does not exist: a usage error (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct PathError {
    /// The argument.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Expands path arguments: files as given, directories recursively (`*.yaml`, `*.yml`,
/// `*.json`, sorted), `-` for stdin. A directory that holds no manifest is an error unless
/// `allow_empty`: a mistyped path in CI must not pass as "0 files, all good".
pub fn expand_paths(args: &[String], allow_empty: bool) -> Result<Vec<Input>, PathError> {
    let mut out = Vec::new();
    for arg in args {
        if arg == "-" {
            out.push(Input::Stdin);
            continue;
        }
        let path = Path::new(arg);
        let meta = std::fs::metadata(path).map_err(|e| PathError {
            path: arg.clone(),
            message: format!("{e}; give a file, a directory, or - for stdin"),
        })?;
        if !meta.is_dir() {
            out.push(Input::File(path.to_path_buf()));
            continue;
        }
        let mut files: Vec<Input> = walkdir::WalkDir::new(path)
            .follow_links(true)
            .into_iter()
            .filter_map(|entry| match entry {
                Ok(e) => {
                    let p = e.into_path();
                    let manifest = !p.is_dir()
                        && p.extension()
                            .and_then(|e| e.to_str())
                            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"));
                    manifest.then_some(Input::File(p))
                }
                // An unreadable directory or a link loop is reported, not skipped.
                Err(e) => {
                    let p = e
                        .path()
                        .map_or_else(|| path.to_path_buf(), Path::to_path_buf);
                    let why = if e.loop_ancestor().is_some() {
                        "symbolic link loop; it is not followed".to_string()
                    } else {
                        format!("cannot read: {e}")
                    };
                    Some(Input::Unreadable(p, why))
                }
            })
            .collect();
        if files.is_empty() && !allow_empty {
            return Err(PathError {
                path: arg.clone(),
                message: "no manifest (*.yaml, *.yml, *.json) under this directory; check the path, or pass --allow-empty if an empty directory is expected".into(),
            });
        }
        files.sort_by_key(Input::name);
        out.extend(files);
    }
    Ok(out)
}

/// Why a document (or a whole input) could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The input could not be opened or read, or is too large.
    #[error("{0}")]
    Input(String),
    /// NUL bytes in the first 8 KiB.
    #[error("binary file (contains NUL bytes); give YAML or JSON manifests")]
    Binary,
    /// Not UTF-8 at this byte of the document.
    #[error("not valid UTF-8 (byte {0} of the document); save the file as UTF-8")]
    NotUtf8(usize),
    /// A YAML syntax error or a limit ([`crate::yaml::YamlError`]'s message).
    #[error("{0}")]
    Yaml(String),
    /// A list at the top level.
    #[error("document is a list, not a Kubernetes object; wrap it in `kind: List` with `items:`")]
    TopLevelList,
    /// A scalar at the top level.
    #[error("document is a scalar ({0}), not a Kubernetes object")]
    Scalar(String),
    /// A mapping without `kind`.
    #[error("document has no `kind`; add apiVersion and kind")]
    NoKind,
    /// A `List` whose `items` is not a list.
    #[error("{0}.items must be a list")]
    ItemsNotList(String),
    /// A `List` item without `kind`.
    #[error("{kind} item {index} has no `kind`; add apiVersion and kind")]
    ItemNoKind {
        /// The list's kind.
        kind: String,
        /// The item's index.
        index: usize,
    },
}

/// Reads an input's bytes, bounded by [`MAX_FILE_BYTES`].
pub fn read_input(input: &Input) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let result = match input {
        Input::Unreadable(_, why) => return Err(ReadError::Input(why.clone())),
        Input::File(p) => {
            std::fs::File::open(p).and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        }
        Input::Stdin => std::io::stdin()
            .lock()
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes),
    };
    result.map_err(|e| ReadError::Input(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::Input(format!(
            "larger than {} MiB; it is not read",
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(bytes)
}

/// Reads an input and splits it into entries; an unreadable input is one entry with its error.
pub fn read_entries(input: &Input) -> Vec<Entry> {
    match read_input(input) {
        Ok(bytes) => read_documents(&bytes),
        Err(error) => vec![Entry {
            document: 0,
            line: 1,
            content: Err(error),
        }],
    }
}

/// One object read from a document (a `List` gives one per item).
#[derive(Debug, Clone)]
pub struct Object {
    /// The object.
    pub value: Value,
    /// Lines of its fields.
    pub lines: LineIndex,
}

/// One entry of a stream: a readable object, or why it could not be read.
#[derive(Debug, Clone)]
pub struct Entry {
    /// 0-based document index in the file.
    pub document: usize,
    /// 1-based line where the document (or `List` item) starts.
    pub line: usize,
    /// The object, or what is wrong with it.
    pub content: Result<Object, ReadError>,
}

/// Splits a file's bytes into entries.
pub fn read_documents(bytes: &[u8]) -> Vec<Entry> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let probe = &bytes[..bytes.len().min(8192)];
    if probe.contains(&0) {
        return vec![Entry {
            document: 0,
            line: 1,
            content: Err(ReadError::Binary),
        }];
    }
    let mut entries = Vec::new();
    let mut index = 0;
    for chunk in yaml::split_documents(bytes) {
        let text = match std::str::from_utf8(chunk.bytes) {
            Ok(t) => t,
            Err(e) => {
                let valid = &chunk.bytes[..e.valid_up_to()];
                let line = chunk.start_line + valid.iter().filter(|&&b| b == b'\n').count();
                entries.push(Entry {
                    document: index,
                    line,
                    content: Err(ReadError::NotUtf8(e.valid_up_to())),
                });
                index += 1;
                continue;
            }
        };
        match yaml::parse_documents(text, chunk.start_line) {
            Ok(docs) => {
                for doc in docs {
                    expand(doc, index, &mut entries);
                    index += 1;
                }
            }
            Err(e) => {
                entries.push(Entry {
                    document: index,
                    line: e.line,
                    content: Err(ReadError::Yaml(e.message)),
                });
                index += 1;
            }
        }
    }
    entries
}

/// Turns a document into entries: `List` and `*List` kinds give one entry per item.
fn expand(doc: yaml::YamlDocument, index: usize, entries: &mut Vec<Entry>) {
    let err = |line: usize, error: ReadError| Entry {
        document: index,
        line,
        content: Err(error),
    };
    let kind = match &doc.value {
        Value::Object(m) => m.get("kind").and_then(Value::as_str).map(str::to_string),
        Value::Array(_) => {
            entries.push(err(doc.line, ReadError::TopLevelList));
            return;
        }
        other => {
            entries.push(err(doc.line, ReadError::Scalar(other.to_string())));
            return;
        }
    };
    match kind {
        None => entries.push(err(doc.line, ReadError::NoKind)),
        Some(k) if k.ends_with("List") && doc.value.get("items").is_some() => {
            let Some(items) = doc.value.get("items").and_then(Value::as_array) else {
                entries.push(err(
                    doc.lines.line_of("/items").unwrap_or(doc.line),
                    ReadError::ItemsNotList(k),
                ));
                return;
            };
            for (i, item) in items.iter().enumerate() {
                let pointer = format!("/items/{i}");
                let line = doc.lines.line_of(&pointer).unwrap_or(doc.line);
                if item.get("kind").and_then(Value::as_str).is_none() {
                    entries.push(err(
                        line,
                        ReadError::ItemNoKind {
                            kind: k.clone(),
                            index: i,
                        },
                    ));
                    continue;
                }
                entries.push(Entry {
                    document: index,
                    line,
                    content: Ok(Object {
                        value: item.clone(),
                        lines: doc.lines.subtree(&pointer),
                    }),
                });
            }
        }
        Some(_) => entries.push(Entry {
            document: index,
            line: doc.line,
            content: Ok(Object {
                value: doc.value,
                lines: doc.lines,
            }),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_lists_and_errors() {
        let text = b"kind: A\n---\n# only a comment\n---\na: [unclosed\n---\nkind: List\nitems:\n- kind: B\n- kind: C\n---\n- 1\n---\nname: x\n";
        let entries = read_documents(text);
        let summary: Vec<(usize, usize, bool)> = entries
            .iter()
            .map(|e| (e.document, e.line, e.content.is_ok()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, 1, true),
                (1, 6, false),
                (2, 9, true),
                (2, 10, true),
                (3, 12, false),
                (4, 14, false)
            ]
        );
    }

    #[test]
    fn invalid_utf8_in_one_document_only() {
        let entries = read_documents(b"kind: A\n---\nkind: \xff\n---\nkind: C\n");
        assert_eq!(entries.len(), 3);
        assert_eq!(
            entries[1].content.as_ref().unwrap_err(),
            &ReadError::NotUtf8(6)
        );
        assert_eq!(entries[1].line, 3);
        assert!(entries[2].content.is_ok());
    }

    #[test]
    fn binary_files() {
        let entries = read_documents(b"\x7fELF\x00\x00");
        assert_eq!(entries[0].content.as_ref().unwrap_err(), &ReadError::Binary);
    }
}
