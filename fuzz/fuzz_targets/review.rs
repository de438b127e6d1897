//! Any bytes as an AdmissionReview body, through both endpoints: an answer or a 400, never
//! a panic, and a denial only with a message.
#![no_main]

use dsguard::admission::{Endpoint, review_bytes};
use dsguard::policy::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let policy = Policy::default();
    for endpoint in [Endpoint::Validate, Endpoint::Mutate] {
        if let Ok(reviewed) = review_bytes(data, endpoint, &policy) {
            let r = &reviewed.response.response;
            assert!(r.allowed || r.status.as_ref().is_some_and(|s| !s.message.is_empty()));
            let _ = serde_json::to_vec(&reviewed.response).unwrap();
        }
    }
});
