//! Every AdmissionReview fixture in tests/fixtures/admission through `dsguard review`, for
//! both endpoints, against golden responses. `DSGUARD_UPDATE_GOLDEN=1 cargo test` rewrites
//! the golden files; without it a missing or different golden file fails the test.

use base64::Engine;
use serde_json::Value;

use crate::{code, dsguard, err, out, root};

fn fixtures() -> Vec<std::path::PathBuf> {
    let dir = root().join("tests/fixtures/admission");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".request.json"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "fixtures are missing");
    files
}

/// `dsguard review ENDPOINT FILE`, with `--config NAME.config.yaml` when that file exists.
pub(crate) fn review(endpoint: &str, request: &std::path::Path) -> std::process::Output {
    let config = request
        .to_string_lossy()
        .replace(".request.json", ".config.yaml");
    let mut args = vec!["review", endpoint, request.to_str().unwrap()];
    if std::path::Path::new(&config).exists() {
        args.extend(["--config", config.as_str()]);
    }
    dsguard(&args, None)
}

#[test]
fn fixtures_match_golden_responses() {
    let update = std::env::var_os("DSGUARD_UPDATE_GOLDEN").is_some();
    let mut mismatches = Vec::new();
    for request in fixtures() {
        for endpoint in ["validate", "mutate"] {
            let o = review(endpoint, &request);
            assert_eq!(code(&o), 0, "{}: {}", request.display(), err(&o));
            let golden = request
                .to_string_lossy()
                .replace(".request.json", &format!(".{endpoint}.json"));
            if update {
                std::fs::write(&golden, out(&o)).unwrap();
                continue;
            }
            match std::fs::read_to_string(&golden) {
                Ok(want) if want == out(&o) => {}
                Ok(want) => {
                    mismatches.push(format!("{golden}:\n--- want\n{want}\n--- got\n{}", out(&o)))
                }
                Err(_) => mismatches.push(format!(
                    "{golden} is missing; run DSGUARD_UPDATE_GOLDEN=1 cargo test and review it"
                )),
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn responses_echo_the_envelope_and_follow_the_contract() {
    for request in fixtures() {
        let req: Value = serde_json::from_str(&std::fs::read_to_string(&request).unwrap()).unwrap();
        let checked = req["request"]["kind"]["kind"] == "DaemonSet"
            && req["request"]["subResource"].is_null()
            && matches!(
                req["request"]["operation"].as_str(),
                Some("CREATE" | "UPDATE")
            );
        for endpoint in ["validate", "mutate"] {
            let o = review(endpoint, &request);
            let resp: Value = serde_json::from_str(&out(&o)).unwrap();
            // Answered in the version asked (v1 or v1beta1).
            assert_eq!(resp["apiVersion"], req["apiVersion"]);
            assert_eq!(resp["kind"], "AdmissionReview");
            assert_eq!(resp["response"]["uid"], req["request"]["uid"]);
            let r = &resp["response"];
            if !checked {
                assert_eq!(
                    r,
                    &serde_json::json!({"uid": req["request"]["uid"], "allowed": true}),
                    "{} is allowed untouched",
                    request.display()
                );
            }
            if endpoint == "mutate" {
                assert_eq!(r["allowed"], true, "the mutating endpoint never denies");
                if let Some(p) = r["patch"].as_str() {
                    assert_eq!(r["patchType"], "JSONPatch");
                    let bytes = base64::engine::general_purpose::STANDARD.decode(p).unwrap();
                    let patch: json_patch::Patch = serde_json::from_slice(&bytes).unwrap();
                    let mut obj = req["request"]["object"].clone();
                    json_patch::patch(&mut obj, &patch).expect("the patch applies");
                    let again = dsguard::policy::mutate(
                        &obj,
                        &dsguard::policy::Policy::default(),
                        dsguard::policy::MutateMode::Admission,
                    );
                    assert!(
                        again.0.is_empty(),
                        "mutating the patched object again adds nothing: {again:?}"
                    );
                }
            } else if r["allowed"] == false {
                assert_eq!(r["status"]["code"], 403);
                assert!(
                    r["status"]["message"]
                        .as_str()
                        .unwrap()
                        .contains("violation")
                );
            }
        }
    }
}

#[test]
fn bad_bodies_are_reported_not_answered() {
    let rows: &[(&[u8], &str)] = &[
        (b"not json", "not an AdmissionReview"),
        (
            br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{}}"#,
            "not an AdmissionReview",
        ),
        (
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#,
            "has no request",
        ),
        (
            br#"{"apiVersion":"v1","kind":"Pod"}"#,
            "expected apiVersion admission.k8s.io/v1",
        ),
    ];
    for (body, needle) in rows {
        let o = dsguard(&["review", "validate", "-"], Some(body));
        assert_eq!(code(&o), 1, "{needle}");
        assert!(out(&o).is_empty());
        assert!(err(&o).contains(needle), "{needle}: {}", err(&o));
        assert!(
            err(&o).contains("\"kind\":\"Status\"") && err(&o).contains("\"code\":400"),
            "a meta/v1 Status, as the server sends with 400: {}",
            err(&o)
        );
    }
}
