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
    let text: std::borrow::Cow<str> = match value {
        Node::String(s) => std::borrow::Cow::Borrowed(s.trim()),
        Node::Number(n) => std::borrow::Cow::Owned(n.to_string()),
        // Null is an unset field; other types are the schema rule's to report.
        _ => return None,
    };
    match Quantity::parse(&text) {
        Ok(q) => Some(q),
        Err(e) => {
            if opts.decoding {
                o.under(RuleId::Schema).invalid(at, value, e.to_string());
            }
            None
        }
    }
}
