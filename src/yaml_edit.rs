//! Surgical edits of YAML text: a JSON Patch from `mutate` applied to the text of one
//! document so that only the lines the patch changes differ.

/// Why a patch could not be applied to the text in place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The text or the patch has a shape the editor does not handle.
    #[error("cannot edit in place: {0}")]
    Unsupported(String),
}

/// Applies `patch` to `text`, the text of one YAML document.
pub fn apply(text: &str, patch: &json_patch::Patch) -> Result<String, EditError> {
    if patch.0.is_empty() {
        return Ok(text.to_string());
    }
    Err(EditError::Unsupported("not written yet".into()))
}
