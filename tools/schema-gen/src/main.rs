//! Writes dsguard's strict DaemonSet schema for the one Kubernetes version this build's
//! feature selects (`schema`), and the JSON Patch that turns the latest version's schema
//! into an older one's (`delta`); scripts/gen-schemas.sh runs it once per version.
//!
//! `schema` prints `schemars`' description of `k8s_openapi::api::apps::v1::DaemonSet`
//! through dsguard's own post-processing (src/policy/schema_postprocess.rs, included below,
//! so there is one copy of it), pretty-printed as `embedded_schema_is_current` writes it.
//!
//! `delta LATEST OLD` prints `json_patch::diff(LATEST, OLD)` one operation per line, after
//! checking that applying it to LATEST gives OLD.

use std::process::ExitCode;

use serde_json::Value;

#[cfg(feature = "version")]
#[path = "../../../src/policy/schema_postprocess.rs"]
mod schema_postprocess;

#[cfg(feature = "v1_30")]
use k8s_openapi_0_26 as k8s;
#[cfg(feature = "v1_31")]
use k8s_openapi_0_27 as k8s;
#[cfg(feature = "v1_32")]
use k8s_openapi_0_28 as k8s;
#[cfg(any(
    feature = "v1_33",
    feature = "v1_34",
    feature = "v1_35",
    feature = "v1_36",
    feature = "v1_37"
))]
use k8s_openapi_0_29 as k8s;

#[cfg(feature = "version")]
fn schema() -> Result<String, String> {
    let raw = serde_json::to_value(schemars::schema_for!(k8s::api::apps::v1::DaemonSet))
        .map_err(|e| e.to_string())?;
    let strict = schema_postprocess::postprocess(raw);
    Ok(serde_json::to_string_pretty(&strict).map_err(|e| e.to_string())? + "\n")
}

#[cfg(not(feature = "version"))]
fn schema() -> Result<String, String> {
    Err("built without a v1_NN feature: pass --features v1_NN".into())
}

fn read_json(path: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
}

fn delta(latest: &str, old: &str) -> Result<String, String> {
    let latest = read_json(latest)?;
    let old = read_json(old)?;
    let patch = json_patch::diff(&latest, &old);
    let mut applied = latest.clone();
    json_patch::patch(&mut applied, &patch)
        .map_err(|e| format!("the delta does not apply: {e}"))?;
    if applied != old {
        return Err("the delta applied to the latest schema does not give the old one".into());
    }
    let ops = patch
        .0
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    Ok(if ops.is_empty() {
        "[]\n".to_string()
    } else {
        format!("[\n{}\n]\n", ops.join(",\n"))
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["schema"] => schema(),
        ["delta", latest, old] => delta(latest, old),
        _ => Err("usage: dsguard-schema-gen schema | delta LATEST.json OLD.json".into()),
    };
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dsguard-schema-gen: {e}");
            ExitCode::from(2)
        }
    }
}
