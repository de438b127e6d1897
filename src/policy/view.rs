//! The engine's input: a read-only JSON tree that borrows its strings from where it was read.
//!
//! The rules read an object the way `serde_json::Value` is read (`get`, `as_str`,
//! `as_array`, …), but a [`Node`] costs far less to build: strings are borrowed from the
//! request body (or from a `serde_json::Value` offline) instead of copied, and an object is a
//! short list of entries instead of a hash map. The webhook parses each review straight into
//! a `Node` and skips, while parsing, the parts no rule reads ([`Keep`]); that is most of the
//! speed of a review. No published crate does both (borrow from a body while pruning, and
//! borrow from an existing `serde_json::Value`), so this small type is ours.
//!
//! Objects keep their keys in order; a key given twice resolves to the last one, as Go's
//! `encoding/json` and `serde_json` do.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserializer, Serialize, Serializer};
use serde_json::{Number, Value};

/// A JSON value that borrows what it can.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json holds it (i64, u64 or f64).
    Number(Number),
    /// A string.
    String(Cow<'a, str>),
    /// A list.
    Array(Vec<Node<'a>>),
    /// A map, keys in order.
    Object(Object<'a>),
}

/// The entries of a JSON object, in order.
///
/// Lookups scan the entries (an object has a few dozen keys at most, and keeps their
/// order); most lookups the rules make are for optional fields that are absent, so each
/// object also keeps a 64-bit filter of the keys it holds ([`key_bit`]) that answers most of
/// those without a scan. A `Node` is 32 bytes with the filter as without it (the enum's tag
/// goes into a niche of the vector); a unit test holds that.
#[derive(Debug, Clone, Default)]
pub struct Object<'a> {
    entries: Vec<(Cow<'a, str>, Node<'a>)>,
    keys: u64,
}

/// The filter bit of a key: from its length and its first and last bytes, which tell
/// apart the field names of a Kubernetes object well and cost no pass over the key.
fn key_bit(key: &str) -> u64 {
    let b = key.as_bytes();
    let (first, last) = match b {
        [] => (0, 0),
        [f, .., l] => (*f, *l),
        [f] => (*f, *f),
    };
    let h = (b.len() as u32)
        .wrapping_mul(0x9E37_79B9)
        .wrapping_add(u32::from(first).wrapping_mul(0x85EB_CA6B))
        .wrapping_add(u32::from(last).wrapping_mul(0xC2B2_AE35));
    1 << (h >> 26)
}

impl PartialEq for Object<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl<'a> FromIterator<(Cow<'a, str>, Node<'a>)> for Object<'a> {
    fn from_iter<I: IntoIterator<Item = (Cow<'a, str>, Node<'a>)>>(iter: I) -> Self {
        Self::from_entries(iter.into_iter().collect())
    }
}

impl<'a> Object<'a> {
    fn from_entries(entries: Vec<(Cow<'a, str>, Node<'a>)>) -> Self {
        let keys = entries.iter().fold(0, |bits, (k, _)| bits | key_bit(k));
        Object { entries, keys }
    }

    /// The value of `key` (the last one when it is given twice).
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        if self.keys & key_bit(key) == 0 {
            return None;
        }
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Whether `key` is present (with any value, `null` included).
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Entries in order. A key given twice appears twice; [`Object::get`] sees the last.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node<'a>)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_ref())
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

static NULL: Node<'static> = Node::Null;

impl<'a> Node<'a> {
    /// The value of `key` when this is an object.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Object(o) => o.get(key),
            _ => None,
        }
    }

    /// The value at `keys` below this one.
    pub fn get_in(&self, keys: &[&str]) -> Option<&Node<'a>> {
        keys.iter().try_fold(self, |v, k| v.get(k))
    }

    /// The value of `key`, or `null` when absent: for reading optional fields in a chain.
    pub fn field(&self, key: &str) -> &Node<'a> {
        self.get(key).unwrap_or(&NULL)
    }

    /// The string, when this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    /// The items, when this is a list.
    pub fn as_array(&self) -> Option<&[Node<'a>]> {
        match self {
            Node::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The items of a list; none for anything else (`null`, absent, a wrong type).
    pub fn items(&self) -> &[Node<'a>] {
        self.as_array().unwrap_or(&[])
    }

    /// The entries, when this is an object.
    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Node::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The entries of an object; none for anything else.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Node<'a>)> {
        self.as_object().into_iter().flat_map(Object::iter)
    }

    /// The number, when it is an integer that fits an i64.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Node::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The number, when it is a non-negative integer that fits a u64.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Node::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The number as a float, when this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Node::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    /// The boolean, when this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Node::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Node::Object(_))
    }

    /// Whether Go would see the field as unset: absent, `null`, or the zero value of its
    /// type (`""`, `0`, `false`, an empty list or map). Many Go checks are `len(x) > 0` or
    /// `x != nil`; after decoding, `null` and absent are the same.
    pub fn is_zero(&self) -> bool {
        match self {
            Node::Null => true,
            Node::Bool(b) => !b,
            Node::Number(n) => n.as_f64() == Some(0.0),
            Node::String(s) => s.is_empty(),
            Node::Array(a) => a.is_empty(),
            Node::Object(o) => o.is_empty(),
        }
    }

    /// An owned copy as a `serde_json::Value`.
    pub fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::String(s) => Value::String(s.to_string()),
            Node::Array(a) => Value::Array(a.iter().map(Node::to_value).collect()),
            Node::Object(o) => Value::Object(
                o.entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

impl<'a> From<&'a Value> for Node<'a> {
    /// A view of a `serde_json::Value` that borrows its strings.
    fn from(v: &'a Value) -> Self {
        match v {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(n.clone()),
            Value::String(s) => Node::String(Cow::Borrowed(s)),
            Value::Array(a) => Node::Array(a.iter().map(Node::from).collect()),
            Value::Object(m) => Node::Object(
                m.iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), Node::from(v)))
                    .collect(),
            ),
        }
    }
}

impl Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Node::Null => s.serialize_unit(),
            Node::Bool(b) => s.serialize_bool(*b),
            Node::Number(n) => n.serialize(s),
            Node::String(v) => s.serialize_str(v),
            Node::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Node::Object(o) => {
                let mut map = s.serialize_map(Some(o.len()))?;
                for (k, v) in o.iter() {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// Compact JSON, as `serde_json::Value` prints.
impl fmt::Display for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

/// Which parts of a JSON value to build while parsing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The whole value.
    All,
    /// Nothing: the key is skipped.
    Drop,
    /// In an object, every key, except that the listed ones are read with their own
    /// `Keep`; in a list, each item this way.
    Except(&'static [(&'static str, Keep)]),
    /// In an object, only the listed keys, each with its own `Keep`; in a list, each item
    /// this way.
    Only(&'static [(&'static str, Keep)]),
}

impl Keep {
    /// How to read the value of `key`; `None` to skip it.
    pub fn child(self, key: &str) -> Option<Keep> {
        let listed = |fields: &[(&str, Keep)]| fields.iter().find(|(k, _)| *k == key).map(|f| f.1);
        let keep = match self {
            Keep::All => Keep::All,
            Keep::Drop => Keep::Drop,
            Keep::Except(fields) => listed(fields).unwrap_or(Keep::All),
            Keep::Only(fields) => listed(fields).unwrap_or(Keep::Drop),
        };
        (keep != Keep::Drop).then_some(keep)
    }

    /// `value` pruned: what parsing its JSON text with this `Keep` gives.
    pub fn apply<'a>(self, value: &'a Value) -> Node<'a> {
        match (self, value) {
            (Keep::All, v) => Node::from(v),
            (_, Value::Object(map)) => Node::Object(
                map.iter()
                    .filter_map(|(k, v)| {
                        self.child(k)
                            .map(|keep| (Cow::Borrowed(k.as_str()), keep.apply(v)))
                    })
                    .collect(),
            ),
            (_, Value::Array(items)) => Node::Array(items.iter().map(|v| self.apply(v)).collect()),
            (_, v) => Node::from(v),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Keep {
    type Value = Node<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Keep::All)
    }
}

impl<'de> Visitor<'de> for Keep {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(8).min(64));
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match self.child(&key) {
                Some(keep) => {
                    let value = map.next_value_seed(keep)?;
                    out.push((key, value));
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Node::Object(Object::from_entries(out)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
        while let Some(v) = seq.next_element_seed(self)? {
            out.push(v);
        }
        Ok(Node::Array(out))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node<'de>, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node<'de>, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node<'de>, E> {
        Ok(Number::from_f64(v).map_or(Node::Null, Node::Number))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

/// A map key, borrowed when the input allows (a key without escapes).
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const PRUNE: Keep = Keep::Except(&[
        ("status", Keep::Drop),
        (
            "metadata",
            Keep::Except(&[("managedFields", Keep::Except(&[("fieldsV1", Keep::Drop)]))]),
        ),
    ]);

    #[test]
    fn parsing_and_apply_agree() {
        let full = json!({"kind": "DaemonSet", "status": {"x": 1},
            "metadata": {"name": "a", "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}],
                         "annotations": {"k": "v\"quoted\""}},
            "spec": {"n": 1.5, "big": 18446744073709551615u64, "neg": -3, "list": [null, true, "s"]}});
        let text = full.to_string();
        let parsed = PRUNE
            .deserialize(&mut serde_json::Deserializer::from_str(&text))
            .unwrap();
        let applied = PRUNE.apply(&full);
        assert_eq!(parsed, applied);
        let want = json!({"kind": "DaemonSet",
            "metadata": {"name": "a", "managedFields": [{"manager": "kubectl"}], "annotations": {"k": "v\"quoted\""}},
            "spec": {"n": 1.5, "big": 18446744073709551615u64, "neg": -3, "list": [null, true, "s"]}});
        assert_eq!(parsed.to_value(), want);
        assert_eq!(
            serde_json::to_value(&parsed).unwrap(),
            want,
            "Serialize agrees"
        );
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_node_is_four_words() {
        assert_eq!(std::mem::size_of::<Node>(), 32);
    }

    #[test]
    fn the_key_filter_never_hides_a_key() {
        let keys: Vec<String> = (0..200)
            .map(|i| format!("k{i}"))
            .chain(["", "a", "é", "containers", "hostNetwork"].map(String::from))
            .collect();
        let obj: Object = keys
            .iter()
            .map(|k| (Cow::Borrowed(k.as_str()), Node::Null))
            .collect();
        for k in &keys {
            assert!(obj.get(k).is_some() && obj.contains_key(k), "{k:?}");
        }
        let few: Object = [("containers", Node::Null), ("volumes", Node::Bool(true))]
            .into_iter()
            .map(|(k, v)| (Cow::Borrowed(k), v))
            .collect();
        assert_eq!(few.get("volumes"), Some(&Node::Bool(true)));
        assert!(few.get("hostNetwork").is_none() && few.get("").is_none());
    }

    #[test]
    fn reading() {
        let v = json!({"a": {"b": [1, "x"]}, "d": 1, "d2": null});
        let n = Node::from(&v);
        assert_eq!(n.get_in(&["a", "b"]).unwrap().items().len(), 2);
        assert_eq!(n.field("nope").items().len(), 0);
        assert!(n.field("d2").is_zero() && n.field("missing").is_zero());
        assert_eq!(n.get("d").and_then(Node::as_i64), Some(1));
        let dup: Node = serde_json::from_str(r#"{"k": 1, "k": 2}"#).unwrap();
        assert_eq!(
            dup.get("k").and_then(Node::as_i64),
            Some(2),
            "last one wins"
        );
        assert_eq!(n.to_string(), v.to_string());
    }
}
