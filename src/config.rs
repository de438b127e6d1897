//! The configuration file (`--config`): every key optional, defaults embedded.
//!
//! ```yaml
//! tolerations:                 # replaces the default list
//! - key: node-role.kubernetes.io/control-plane
//!   operator: Exists
//!   effect: NoSchedule
//! nodeSelector:                # replaces the default map
//!   kubernetes.io/os: linux
//! rules:                       # severity per rule id: error, warning or off
//!   image-latest: error
//!   resources-missing: off
//! exemptNamespaces: [kube-system]
//! exemptAnnotation: dsguard.io/exempt
//! volatileLabelKeys:           # selector labels that change each release; replaces the default list
//! - helm.sh/chart
//! - app.kubernetes.io/version
//! - chart
//! - version
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::policy::{Policy, RuleId, Severity, Toleration, escape_token};
use crate::yaml;

/// A configuration that cannot be used. The message names the file, line and key (no line
/// when the file itself cannot be read).
#[derive(Debug)]
pub struct ConfigError {
    /// The configuration file.
    pub file: String,
    /// 1-based line of the problem; 0 when the file could not be read at all.
    pub line: usize,
    /// What is wrong and what to do.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.file, self.message),
            line => write!(f, "{}:{line}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ConfigFile {
    tolerations: Option<Vec<Toleration>>,
    node_selector: Option<BTreeMap<String, String>>,
    rules: Option<serde_json::Map<String, serde_json::Value>>,
    exempt_namespaces: Option<Vec<String>>,
    exempt_annotation: Option<String>,
    volatile_label_keys: Option<Vec<String>>,
}

/// The embedded defaults, as a configuration file would write them.
pub const DEFAULT_CONFIG: &str = "\
tolerations:
- key: node-role.kubernetes.io/control-plane
  operator: Exists
  effect: NoSchedule
nodeSelector:
  kubernetes.io/os: linux
rules: {}
exemptNamespaces: []
exemptAnnotation: dsguard.io/exempt
volatileLabelKeys: [helm.sh/chart, app.kubernetes.io/version, chart, version]
";

/// Reads a configuration file; `None` gives the embedded defaults.
pub fn load(path: Option<&Path>) -> Result<Policy, ConfigError> {
    let Some(path) = path else {
        return Ok(Policy::default());
    };
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: file.clone(),
        line: 0,
        message: format!(
            "cannot read the configuration: {e}; give an existing file to --config (or DSGUARD_CONFIG), or leave it out for the embedded defaults"
        ),
    })?;
    parse(&file, &text)
}

/// Parses configuration text; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Policy, ConfigError> {
    let err = |line: usize, message: String| ConfigError {
        file: file.to_string(),
        line,
        message,
    };
    let mut docs = yaml::parse_documents(text, 1).map_err(|e| err(e.line, e.message))?;
    if docs.len() > 1 {
        return Err(err(
            docs[1].line,
            "the configuration must be a single YAML document".into(),
        ));
    }
    let Some(doc) = docs.pop() else {
        return Ok(Policy::default());
    };
    let cfg: ConfigFile = serde_path_to_error::deserialize(&doc.value).map_err(|e| {
        let segments: Vec<String> = e
            .path()
            .iter()
            .map(|seg| match seg {
                serde_path_to_error::Segment::Seq { index } => index.to_string(),
                serde_path_to_error::Segment::Map { key } => key.clone(),
                serde_path_to_error::Segment::Enum { variant } => variant.clone(),
                serde_path_to_error::Segment::Unknown => "?".to_string(),
            })
            .collect();
        let path = if segments.is_empty() {
            ".".to_string()
        } else {
            segments.join(".")
        };
        let pointer: String = segments
            .iter()
            .map(|seg| format!("/{}", escape_token(seg)))
            .collect();
        let line = doc.lines.line_of(&pointer).unwrap_or(doc.line);
        let inner = e.into_inner().to_string();
        let key = if path == "." {
            String::new()
        } else {
            format!("key `{path}`: ")
        };
        err(line, format!("{key}{inner}"))
    })?;
    let line_at = |parent: &str, key: &str| {
        doc.lines
            .line_of(&format!("/{parent}/{}", escape_token(key)))
            .unwrap_or(doc.line)
    };
    let mut policy = Policy::default();
    if let Some(t) = cfg.tolerations {
        // The API server's own check: the first problem, at its entry's line.
        if let Some(problem) = crate::policy::toleration_problems(&t).into_iter().next() {
            let index = problem
                .strip_prefix("tolerations[")
                .and_then(|r| r.split(']').next())
                .unwrap_or("0")
                .to_string();
            return Err(err(line_at("tolerations", &index), problem));
        }
        policy.tolerations = t;
    }
    if let Some(ns) = cfg.node_selector {
        for (k, v) in &ns {
            let line = line_at("nodeSelector", k);
            let problems: Vec<String> = crate::policy::label_problems(k, v);
            if let Some(p) = problems.first() {
                return Err(err(line, format!("key `nodeSelector.{k}`: {p}")));
            }
        }
        policy.node_selector = ns;
    }
    if let Some(rules) = cfg.rules {
        for (key, value) in rules {
            let line = line_at("rules", &key);
            let rule: RuleId = serde_json::from_value(serde_json::Value::String(key.clone()))
                .map_err(|_| {
                    let ids: Vec<&str> = RuleId::ALL.iter().map(|r| r.as_str()).collect();
                    err(
                        line,
                        format!(
                            "key `rules.{key}`: unknown rule id `{key}`, expected one of {}",
                            ids.join(", ")
                        ),
                    )
                })?;
            let severity: Severity = serde_json::from_value(value)
                .map_err(|e| err(line, format!("key `rules.{key}`: {e}")))?;
            if rule == RuleId::Parse && severity != Severity::Error {
                return Err(err(line, "key `rules.parse`: a document that cannot be read is always an error; remove this entry".into()));
            }
            policy.severities.insert(rule, severity);
        }
    }
    if let Some(ns) = cfg.exempt_namespaces {
        policy.exempt_namespaces = ns;
    }
    if let Some(a) = cfg.exempt_annotation {
        policy.exempt_annotation = a;
    }
    if let Some(keys) = cfg.volatile_label_keys {
        for (i, k) in keys.iter().enumerate() {
            if let Some(p) = crate::policy::label_problems(k, "").first() {
                return Err(err(
                    line_at("volatileLabelKeys", &i.to_string()),
                    format!("key `volatileLabelKeys[{i}]`: {k:?} is not a label key: {p}"),
                ));
            }
        }
        policy.volatile_label_keys = keys;
    }
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_text_matches_embedded_defaults() {
        assert_eq!(parse("default", DEFAULT_CONFIG).unwrap(), Policy::default());
    }

    #[test]
    fn severities_and_exemptions() {
        let p = parse("c.yaml", "rules:\n  image-latest: error\n  resources-missing: off\nexemptNamespaces: [kube-system]\n").unwrap();
        assert_eq!(p.severity(RuleId::ImageLatest), Severity::Error);
        assert_eq!(p.severity(RuleId::ResourcesMissing), Severity::Off);
        assert_eq!(p.severity(RuleId::SelectorMismatch), Severity::Error);
        assert_eq!(p.exempt_namespaces, vec!["kube-system"]);
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let rows = [
            (
                "rules:\n  image-latest: error\n  imagelatest: off\n",
                3,
                "unknown rule id `imagelatest`",
                "unknown rule id",
            ),
            (
                "nodeSelectr:\n  a: b\n",
                1,
                "unknown field `nodeSelectr`",
                "unknown key",
            ),
            (
                "tolerations:\n- key: a\n  operator: Exists\n  efect: NoSchedule\n",
                4,
                "efect",
                "unknown toleration key",
            ),
            (
                "tolerations:\n- key: a\n  operator: Exists\n- key: b\n  operator: exists\n",
                4,
                "tolerations[1].operator: Unsupported value: \"exists\": supported values: \"Equal\", \"Exists\"",
                "the API server's toleration check, at the entry",
            ),
            (
                "tolerations:\n- operator: Equal\n  effect: NoSchedule\n",
                2,
                "tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty",
                "empty key needs Exists",
            ),
            (
                "rules:\n  image-latest: fatal\n",
                2,
                "rules.image-latest",
                "bad severity",
            ),
            (
                "exemptNamespaces: kube-system\n",
                1,
                "exemptNamespaces",
                "wrong type",
            ),
            (
                "rules:\n  parse: off\n",
                2,
                "rules.parse",
                "parse cannot be turned off",
            ),
            (
                "nodeSelector:\n  kubernetes.io/os: lin ux\n",
                2,
                "nodeSelector.kubernetes.io/os",
                "bad label value",
            ),
            (
                "a: [\n",
                2,
                "YAML",
                "syntax error: reported where the parser gave up",
            ),
        ];
        for (text, line, needle, why) in rows {
            let e = parse("c.yaml", text).unwrap_err();
            assert_eq!(e.line, line, "{why}: {e}");
            assert!(
                e.to_string().starts_with(&format!("c.yaml:{line}: ")),
                "{why}: {e}"
            );
            assert!(e.message.contains(needle), "{why}: {e}");
        }
    }
}
