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

/// The value at `keys` below `v`: `Value::pointer` without a pointer string to split and
/// unescape (serde_json allocates two `String`s per token doing that, which showed in the
/// webhook's profile).
pub(crate) fn get_in<'a>(v: &'a serde_json::Value, keys: &[&str]) -> Option<&'a serde_json::Value> {
    keys.iter().try_fold(v, |v, k| v.get(*k))
}

/// Escapes one JSON pointer token (RFC 6901: `~` as `~0`, `/` as `~1`).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
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
    }
}
