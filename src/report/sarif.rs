//! SARIF 2.1.0 (OASIS): one run, the rule catalogue as `tool.driver.rules`, one result per
//! violation with its file and line.

use serde_json::{Value, json};

use super::DocResult;
use crate::policy::{RuleId, Severity};

pub(super) fn log(results: &[DocResult]) -> Value {
    let rules: Vec<Value> = RuleId::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.as_str(),
                "name": r.as_str(),
                "shortDescription": {"text": r.summary()},
                "fullDescription": {"text": r.help()},
                "help": {"text": r.help()},
                "defaultConfiguration": {"level": level(r.default_severity())},
            })
        })
        .collect();
    let mut out = Vec::new();
    for r in results {
        for v in &r.violations {
            let index = RuleId::ALL.iter().position(|x| *x == v.rule).unwrap_or(0);
            let at = if v.path.is_empty() {
                String::new()
            } else {
                format!("{}: ", v.path)
            };
            out.push(json!({
                "ruleId": v.rule.as_str(),
                "ruleIndex": index,
                "level": level(v.severity),
                "message": {"text": format!("{} {}: {at}{}", r.kind.as_deref().unwrap_or("document"), r.object_name(), v.message)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&r.file)},
                        "region": {"startLine": v.line.max(1)},
                    }
                }],
            }));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "dsguard",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }},
            "results": out,
        }],
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Off => "none",
    }
}

/// A relative URI reference for a file path (forward slashes, spaces and `%` escaped).
fn uri(file: &str) -> String {
    file.replace('\\', "/")
        .replace('%', "%25")
        .replace(' ', "%20")
}
