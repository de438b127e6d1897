//! Any bytes as a manifest file: the reader splits and parses them, and every object it
//! yields goes through validation and mutation, whose patch must apply.
#![no_main]

use dsguard::manifest::read_documents;
use dsguard::policy::{Checks, MutateMode, Policy, mutate, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let policy = Policy::default();
    for entry in read_documents(data) {
        if let Ok(obj) = entry.content {
            let _ = validate(&obj.value, Some(&obj.value), &policy, Checks::OFFLINE);
            let patch = mutate(&obj.value, &policy, MutateMode::Offline);
            let mut fixed = obj.value.clone();
            json_patch::patch(&mut fixed, &patch).expect("the engine's patches apply");
        }
    }
});
