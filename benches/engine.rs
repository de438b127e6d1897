//! Criterion benchmarks of the policy engine on one typical DaemonSet (node-exporter):
//! reading YAML, offline validation (with the strict schema), the webhook's validation
//! (no schema), mutation, one whole AdmissionReview through the review code path, and the
//! same review through the server's router.

use criterion::{Criterion, criterion_group, criterion_main};
use dsguard::admission::{self, Endpoint};
use dsguard::manifest;
use dsguard::policy::{self, Checks, MutateMode, Policy};
use std::hint::black_box;

fn engine(c: &mut Criterion) {
    let root = env!("CARGO_MANIFEST_DIR");
    let yaml = std::fs::read(format!("{root}/examples/node-exporter.yaml")).unwrap();
    let review = std::fs::read(format!(
        "{root}/tests/fixtures/admission/create-node-exporter.request.json"
    ))
    .unwrap();
    let entries = manifest::read_documents(&yaml);
    let obj = entries[0].content.as_ref().unwrap().value.clone();
    let policy = Policy::default();
    // Compile the schema once before measuring, as a long-running process would.
    let _ = policy::validate(&obj, None, &policy, Checks::OFFLINE);

    // The body as the API server sends it (compact JSON).
    let review =
        serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(&review).unwrap()).unwrap();

    c.bench_function("read_yaml", |b| {
        b.iter(|| manifest::read_documents(black_box(&yaml)))
    });
    c.bench_function("validate_offline", |b| {
        b.iter(|| policy::validate(black_box(&obj), None, &policy, Checks::OFFLINE))
    });
    c.bench_function("validate_admission", |b| {
        b.iter(|| policy::validate(black_box(&obj), None, &policy, Checks::ADMISSION))
    });
    c.bench_function("mutate", |b| {
        b.iter(|| policy::mutate(black_box(&obj), &policy, MutateMode::Offline))
    });
    // The least any webhook parses: `request.uid`, skipping the rest, as
    // ../shared/tools/limit-server does. The floor for review_parse.
    c.bench_function("review_scan_uid_only", |b| {
        b.iter(|| {
            serde_json::from_slice::<UidOnly>(black_box(&review))
                .unwrap()
                .request
                .uid
                .len()
        })
    });
    c.bench_function("review_parse", |b| {
        b.iter(|| {
            let text = std::str::from_utf8(black_box(&review)).unwrap();
            serde_json::from_str::<admission::AdmissionReview<admission::Validating>>(text).unwrap()
        })
    });
    c.bench_function("review_validate", |b| {
        b.iter(|| admission::review_bytes(black_box(&review), Endpoint::Validate, &policy).unwrap())
    });
    c.bench_function("review_mutate", |b| {
        b.iter(|| admission::review_bytes(black_box(&review), Endpoint::Mutate, &policy).unwrap())
    });
    // The same review through the server's router (axum, panic guard, deadline, metrics;
    // no log subscriber, no TLS or HTTP framing): what the handler adds to review_validate.
    let app = std::sync::Arc::new(dsguard::server::state::App::new(
        policy.clone(),
        std::sync::Arc::new(dsguard::server::metrics::Metrics::new()),
        dsguard::server::state::Limits::default(),
        256,
        std::sync::Arc::new(dsguard::server::state::Health::default()),
    ));
    let router = dsguard::server::handlers::webhook_router(app);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = bytes::Bytes::from(review.clone());
    c.bench_function("router_validate", |b| {
        b.iter(|| {
            use http_body_util::BodyExt;
            use tower::ServiceExt;
            let req = axum::http::Request::post("/validate?timeout=10s")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.clone()))
                .unwrap();
            runtime.block_on(async {
                let resp = router.clone().oneshot(req).await.unwrap();
                resp.into_body().collect().await.unwrap().to_bytes().len()
            })
        })
    });
}

#[derive(serde::Deserialize)]
struct UidOnly<'a> {
    #[serde(borrow)]
    request: UidReq<'a>,
}

#[derive(serde::Deserialize)]
struct UidReq<'a> {
    #[serde(borrow)]
    uid: std::borrow::Cow<'a, str>,
}

criterion_group!(benches, engine);
criterion_main!(benches);
