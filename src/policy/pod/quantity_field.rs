//! Reading a quantity field (`resources.limits.cpu`, `emptyDir.sizeLimit`, …).

use super::options::Options;
use crate::policy::finding::Out;
use crate::policy::path::At;
use crate::policy::quantity::Quantity;
use crate::policy::rules::RuleId;
use crate::policy::view::Node;

/// The quantity a field holds, as the API server decodes it (`Quantity.UnmarshalJSON`: a
/// string, or a number read as its text). A value that does not parse fails decoding in
/// the API server (a 400, not a field error); dsguard reports it as a `schema` finding at
/// the field when `opts.decoding`, and the caller skips the checks that need the value.
pub(crate) fn quantity(value: &Node, at: &At, opts: &Options, o: &mut Out) -> Option<Quantity> {
    match parse(value)? {
        Ok(q) => Some(q),
        Err(e) => {
            if opts.decoding {
                o.under(RuleId::Schema).invalid(at, value, e);
            }
            None
        }
    }
}

/// A quantity read without reporting (a bad one is reported where the field is validated).
pub(crate) fn quiet(value: &Node) -> Option<Quantity> {
    parse(value)?.ok()
}

/// `None` for an unset field (null) or another JSON type (the schema rule's to report).
fn parse(value: &Node) -> Option<Result<Quantity, String>> {
    let text: std::borrow::Cow<str> = match value {
        Node::String(s) => std::borrow::Cow::Borrowed(s.trim()),
        Node::Number(n) => std::borrow::Cow::Owned(n.to_string()),
        _ => return None,
    };
    Some(Quantity::parse(&text).map_err(|e| e.to_string()))
}
