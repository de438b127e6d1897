//! The policy rules, which are not API-server parity: `image-latest` and
//! `resources-missing`, over the regular containers of the pod template.

use super::finding::Findings;
use super::path::At;
use super::rules::RuleId;
use super::view::Node;

/// Runs the policy rules over the regular containers of `obj`'s pod template.
pub(crate) fn check(obj: &Node, out: &mut Findings) {
    let Some(containers) = obj
        .get_in(&["spec", "template", "spec", "containers"])
        .and_then(Node::as_array)
    else {
        return;
    };
    let spec = At::ROOT.child("spec");
    let template = spec.child("template");
    let pod = template.child("spec");
    let list = pod.child("containers");
    for (i, c) in containers.iter().enumerate() {
        if !c.is_object() {
            continue;
        }
        let at = list.index(i);
        if let Some(image) = c
            .get("image")
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
        {
            image_latest(image, &at.child("image"), out);
        }
        resources(c.field("resources"), &at.child("resources"), out);
    }
}

/// The tag of an image reference, or `None` when it has none (a digest counts as pinned).
fn image_tag(image: &str) -> Option<&str> {
    if image.contains('@') {
        return Some("@digest");
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    last.rsplit_once(':').map(|(_, tag)| tag)
}

/// `image-latest`: an image without a tag, or tagged `latest`. Nodes that join later pull
/// whatever `:latest` is then.
fn image_latest(image: &str, at: &At, out: &mut Findings) {
    match image_tag(image) {
        None => out.add(
            RuleId::ImageLatest,
            at,
            format!("image \"{image}\" has no tag, so it means :latest; pin a version, e.g. \"{image}:1.2.3\", or a digest"),
        ),
        Some("latest") => out.add(
            RuleId::ImageLatest,
            at,
            format!("image \"{image}\" uses :latest; pin a version tag or a digest"),
        ),
        Some(_) => {}
    }
}

/// `resources-missing`: a container without a cpu or memory request. The pods the
/// controller makes get requests from limits when only limits are set
/// (kubernetes/kubernetes `pkg/apis/core/v1/defaults.go`, `SetDefaults_Pod`, which runs for
/// Pods, not for templates), so either counts.
fn resources(value: &Node, at: &At, out: &mut Findings) {
    let missing: Vec<&str> = ["cpu", "memory"]
        .into_iter()
        .filter(|r| {
            let has = |section: &str| value.field(section).get(r).is_some_and(|q| !q.is_null());
            !has("requests") && !has("limits")
        })
        .collect();
    if !missing.is_empty() {
        let list = missing.join(" and ");
        out.add(
            RuleId::ResourcesMissing,
            &at.child("requests"),
            format!(
                "no {list} request; set resources.requests.{} so the scheduler reserves room on every node",
                missing.join(" and .")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::image_tag;

    #[test]
    fn image_tags() {
        let rows = [
            ("nginx", None, "no tag"),
            ("nginx:1.27", Some("1.27"), "tag"),
            ("registry:5000/nginx", None, "port is not a tag"),
            ("registry:5000/nginx:latest", Some("latest"), "latest"),
            ("nginx@sha256:abc", Some("@digest"), "digest"),
        ];
        for (image, want, why) in rows {
            assert_eq!(image_tag(image), want, "{why}");
        }
    }
}
