//! Field paths as the API server writes them (k8s.io/apimachinery
//! `pkg/util/validation/field/path.go`, `Path.String`): `spec.containers[0].image`,
//! map keys in brackets: `metadata.labels[app]`.

use std::fmt;

use serde::{Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Segment {
    Child(String),
    Index(usize),
    Key(String),
}

/// Where a rule is looking while it walks an object: a chain of borrowed segments on the
/// stack, turned into a [`FieldPath`] only when there is a finding. Walking costs no
/// allocation, which matters in the webhook, where every review walks the whole template.
#[derive(Debug, Clone, Copy)]
pub(crate) enum At<'p> {
    /// The object itself.
    Root,
    /// A named field of the parent.
    Child(&'p At<'p>, &'p str),
    /// An item of the parent list.
    Index(&'p At<'p>, usize),
    /// An entry of the parent map (`labels[app]`).
    Key(&'p At<'p>, &'p str),
}

impl<'p> At<'p> {
    /// A path of named fields from the root (`At::ROOT.child("spec")` for one).
    pub(crate) const ROOT: At<'static> = At::Root;

    /// A named field below this one.
    pub(crate) fn child<'s>(&'s self, name: &'s str) -> At<'s> {
        At::Child(self, name)
    }

    /// A list item below this one.
    pub(crate) fn index(&self, i: usize) -> At<'_> {
        At::Index(self, i)
    }

    /// A map entry below this one.
    pub(crate) fn key<'s>(&'s self, k: &'s str) -> At<'s> {
        At::Key(self, k)
    }

    /// The owned path.
    pub(crate) fn path(&self) -> FieldPath {
        let mut segments = Vec::new();
        let mut at = self;
        loop {
            match at {
                At::Root => break,
                At::Child(parent, name) => {
                    segments.push(Segment::Child((*name).to_string()));
                    at = parent;
                }
                At::Index(parent, i) => {
                    segments.push(Segment::Index(*i));
                    at = parent;
                }
                At::Key(parent, k) => {
                    segments.push(Segment::Key((*k).to_string()));
                    at = parent;
                }
            }
        }
        segments.reverse();
        FieldPath(segments)
    }
}

/// Escapes one JSON pointer token (RFC 6901: `~` as `~0`, `/` as `~1`), with the `jsonptr`
/// crate that `json-patch` uses.
pub fn escape_token(token: &str) -> String {
    json_patch::jsonptr::Token::new(token).encoded().to_string()
}

/// Reads one JSON pointer token (`~1` is `/`, `~0` is `~`); a token with a stray `~` is
/// taken as it is written.
pub fn unescape_token(token: &str) -> String {
    match json_patch::jsonptr::Token::from_encoded(token) {
        Ok(t) => t.decoded().into_owned(),
        Err(_) => token.to_string(),
    }
}

/// A path to a field of an object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// A path from the dotted names given (`FieldPath::new(&["spec", "selector"])`).
    pub fn new(names: &[&str]) -> Self {
        FieldPath(names.iter().map(|n| Segment::Child((*n).into())).collect())
    }

    /// The path of a named field below this one.
    pub fn child(&self, name: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Child(name.into()));
        p
    }

    /// The path of a list item below this one.
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Index(i));
        p
    }

    /// The path of a map entry below this one (`labels[app]`).
    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Key(k.into()));
        p
    }

    /// The RFC 6901 JSON pointer of the same place (`/spec/template`).
    pub fn to_pointer(&self) -> String {
        let mut out = String::new();
        for s in &self.0 {
            out.push('/');
            match s {
                Segment::Child(n) | Segment::Key(n) => out.push_str(&escape_token(n)),
                Segment::Index(i) => out.push_str(&i.to_string()),
            }
        }
        out
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            match s {
                Segment::Child(n) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(n)?;
                }
                Segment::Index(i) => write!(f, "[{i}]")?,
                Segment::Key(k) => write!(f, "[{k}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

impl Serialize for FieldPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_the_api_server() {
        let p = FieldPath::new(&["spec", "template"])
            .child("spec")
            .child("containers")
            .index(0)
            .child("image");
        assert_eq!(p.to_string(), "spec.template.spec.containers[0].image");
        assert_eq!(p.to_pointer(), "/spec/template/spec/containers/0/image");
        let k = FieldPath::new(&["metadata", "labels"]).key("app.kubernetes.io/name");
        assert_eq!(k.to_string(), "metadata.labels[app.kubernetes.io/name]");
        assert_eq!(k.to_pointer(), "/metadata/labels/app.kubernetes.io~1name");
        assert_eq!(escape_token("a~b/c"), "a~0b~1c");
    }

    #[test]
    fn walking_paths_render_the_same() {
        let spec = At::ROOT.child("spec");
        let c = spec.child("containers");
        let i = c.index(2);
        let e = i.child("env");
        assert_eq!(e.path().to_string(), "spec.containers[2].env");
        let labels = At::ROOT.child("metadata");
        let labels = labels.child("labels");
        assert_eq!(labels.key("a/b").path().to_string(), "metadata.labels[a/b]");
        assert_eq!(At::ROOT.path().to_string(), "");
    }
}
