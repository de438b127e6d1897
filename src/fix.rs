//! One manifest file's text → the same text with each DaemonSet fixed in place: the patch
//! of [`crate::check::patch`] applied to each document's own text by [`crate::yaml_edit`],
//! so that only the lines the patch changes differ. What `mutate --write`, `--diff` and
//! the default output of `mutate` are made of.

use json_patch::jsonptr::PointerBuf;
use json_patch::{Patch, PatchOperation};
use serde_json::Value;

use crate::check;
use crate::policy::{MutateMode, Policy};
use crate::yaml::{self, LineIndex};
use crate::yaml_edit;

/// What happened to one document of a file.
#[derive(Debug)]
pub struct DocFix {
    /// 0-based index among the file's non-empty documents.
    pub document: usize,
    /// 1-based line where the document starts.
    pub line: usize,
    /// The patch applied (empty when nothing changed or it could not be applied).
    pub patch: Patch,
    /// Lines of the document's fields.
    pub lines: LineIndex,
    /// Why the document was left as it is, when it needed a change that could not be made
    /// or could not be read.
    pub error: Option<String>,
}

/// A file's text after fixing.
#[derive(Debug)]
pub struct Fixed {
    /// The new text (equal to the old when nothing changed).
    pub text: String,
    /// Each non-empty document.
    pub docs: Vec<DocFix>,
}

impl Fixed {
    /// Whether any document needed a change that was not made, or could not be read.
    pub fn failed(&self) -> bool {
        self.docs.iter().any(|d| d.error.is_some())
    }
}

/// Fixes every DaemonSet in `text` (a whole file). A document that cannot be read, or whose
/// fix cannot be written in place, is left byte for byte and reported in its [`DocFix`].
pub fn fix_text(text: &str, policy: &Policy) -> Fixed {
    let mut out = String::with_capacity(text.len() + 256);
    let mut docs = Vec::new();
    let mut done = 0;
    let mut index = 0;
    for chunk in yaml::split_documents(text.as_bytes()) {
        // The chunk is a slice of `text`: its place there, to copy what lies between.
        let start = chunk.bytes.as_ptr() as usize - text.as_ptr() as usize;
        let end = start + chunk.bytes.len();
        out.push_str(&text[done..start]);
        done = end;
        let chunk_text = &text[start..end];
        match fix_document(chunk_text, chunk.start_line, index, policy) {
            None => out.push_str(chunk_text),
            Some((new_text, fix)) => {
                out.push_str(&new_text);
                docs.push(fix);
                index += 1;
            }
        }
    }
    out.push_str(&text[done..]);
    Fixed { text: out, docs }
}

/// One chunk between `---` lines: `None` when it holds no document, else its new text and
/// what happened.
fn fix_document(
    chunk: &str,
    start_line: usize,
    document: usize,
    policy: &Policy,
) -> Option<(String, DocFix)> {
    let unchanged = |line: usize, lines: LineIndex, error: Option<String>| {
        Some((
            chunk.to_string(),
            DocFix {
                document,
                line,
                patch: Patch(Vec::new()),
                lines,
                error,
            },
        ))
    };
    let parsed = match yaml::parse_documents(chunk, start_line) {
        Ok(p) => p,
        Err(e) => return unchanged(e.line, LineIndex::default(), Some(e.message)),
    };
    let doc = match parsed.as_slice() {
        [] => return None,
        [doc] => doc,
        [first, ..] => {
            return unchanged(
                first.line,
                first.lines.clone(),
                Some(
                    "several YAML documents without `---` between them; it is left as it is".into(),
                ),
            );
        }
    };
    let patch = patch_of(&doc.value, policy);
    if patch.0.is_empty() {
        return unchanged(doc.line, doc.lines.clone(), None);
    }
    match yaml_edit::apply(chunk, &patch) {
        Ok(text) => Some((
            text,
            DocFix {
                document,
                line: doc.line,
                patch,
                lines: doc.lines.clone(),
                error: None,
            },
        )),
        Err(e) => unchanged(
            doc.line,
            doc.lines.clone(),
            Some(format!("{e}; the document is left as it is")),
        ),
    }
}

/// The patch of a document: its own, or, for a `List`, each item's under `/items/i`.
fn patch_of(value: &Value, policy: &Policy) -> Patch {
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
    let own = |v: &Value| check::patch_value(v, policy, MutateMode::Offline);
    match value.get("items").and_then(Value::as_array) {
        Some(items) if kind.ends_with("List") => Patch(
            items
                .iter()
                .enumerate()
                .flat_map(|(i, item)| {
                    own(item)
                        .0
                        .into_iter()
                        .map(move |op| prefix(op, &format!("/items/{i}")))
                })
                .collect(),
        ),
        _ => own(value),
    }
}

/// The same operation with `prefix` before its path.
fn prefix(op: PatchOperation, prefix: &str) -> PatchOperation {
    let at =
        |p: &PointerBuf| PointerBuf::parse(format!("{prefix}{p}")).unwrap_or_else(|_| p.clone());
    match op {
        PatchOperation::Add(mut a) => {
            a.path = at(&a.path);
            PatchOperation::Add(a)
        }
        PatchOperation::Remove(mut r) => {
            r.path = at(&r.path);
            PatchOperation::Remove(r)
        }
        PatchOperation::Replace(mut r) => {
            r.path = at(&r.path);
            PatchOperation::Replace(r)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_fixed_where_they_are_and_the_rest_is_kept() {
        let text = "# leading comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: d\nspec:\n  replicas: 1 # from a Deployment\n  selector:\n    matchLabels: {app: d}\n  template:\n    metadata:\n      labels: {app: d}\n    spec:\n      containers:\n      - name: d\n        image: d:1\n      nodeSelector:\n        kubernetes.io/os: linux\n      tolerations:\n      - operator: Exists\n...\n";
        let fixed = fix_text(text, &Policy::default());
        assert_eq!(
            fixed.text,
            text.replace("  replicas: 1 # from a Deployment\n", ""),
            "only the leftover's line goes"
        );
        assert_eq!(fixed.docs.len(), 2);
        assert!(!fixed.failed());
        let again = fix_text(&fixed.text, &Policy::default());
        assert_eq!(again.text, fixed.text, "a second run changes nothing");
    }

    #[test]
    fn an_unreadable_document_is_left_alone_and_reported() {
        let text = "kind: DaemonSet\nspec: [unclosed\n---\nkind: DaemonSet\nmetadata: {name: x}\nspec:\n  replicas: 2\n";
        let fixed = fix_text(text, &Policy::default());
        assert!(
            fixed
                .text
                .starts_with("kind: DaemonSet\nspec: [unclosed\n---\n")
        );
        assert!(!fixed.text.contains("replicas"));
        assert!(fixed.docs[0].error.is_some());
        assert!(fixed.failed());
    }
}
