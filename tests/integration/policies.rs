//! `dsguard policies`, proven equal to the webhook: the generated CEL is evaluated offline
//! with kube-cel (and the `cel` crate it re-exports), binding `object`, `oldObject`,
//! `request` and `variables` as the API server does, and its answers are compared with the
//! webhook's (`dsguard::admission::review_bytes`) on the rule table of src/policy/tests.rs,
//! every AdmissionReview fixture and property-generated DaemonSets. Also: the emitted
//! objects are k8s-openapi's types, kubectl accepts them, and manifests/overlays/webhook-free
//! is what `dsguard policies` prints.
//!
//! How the API server is modelled, and why:
//! * The objects are what admission sees: decoded into the typed DaemonSet and encoded
//!   again (here: a round trip through k8s-openapi's `DaemonSet`, which drops nulls and
//!   unknown fields; an object it cannot decode the API server refuses before admission,
//!   and is not compared), with `metadata.namespace` set to the request's.
//! * `matchConstraints` are matched on the request's group, version, resource,
//!   subresource and operation; the namespace selectors are compared with
//!   manifests/base/webhooks.yaml instead, and cases use namespaces both select.
//! * Variables are evaluated in order, each seeing the earlier ones (the API server
//!   evaluates them lazily; eagerly is stricter: an error anywhere fails the case).
//! * kube-cel gaps, worked around here and nowhere else: the `cel` crate cannot evaluate
//!   typed object construction (`JSONPatch{...}`, `Object.spec...{...}`: it panics with
//!   "Support structs!"), so the parsed expression's struct literals are rewritten into map
//!   literals with the same fields; and its `json_to_cel` escapes every map key as a CRD
//!   property name (`kubernetes.io/os` becomes `kubernetes__dot__io__slash__os`), which the
//!   API server does not do for map keys (labels, nodeSelector), so the JSON is converted
//!   here without escaping (no DaemonSet field name needs escaping).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use kube_cel::KubeCelExt;
use kube_cel::cel::common::ast::{
    EntryExpr, Expr, IdedEntryExpr, IdedExpr, LiteralValue, MapEntryExpr, MapExpr,
};
use kube_cel::cel::objects::{Key, Map};
use kube_cel::cel::parser::Parser;
use kube_cel::cel::{Context, Value as Cel};
use proptest::prelude::*;
use serde_json::{Value, json};

use dsguard::admission::{Endpoint, review_bytes};
use dsguard::policies::{self, TRANSLATED};
use dsguard::policy::{Policy, RuleId};

use crate::{code, dsguard, err, out, root};

// ---------------------------------------------------------------------------------------
// CEL, as the API server binds it.

fn to_cel(v: &Value) -> Cel {
    match v {
        Value::Null => Cel::Null,
        Value::Bool(b) => Cel::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Cel::Int(i),
            (None, Some(u)) => Cel::UInt(u),
            _ => Cel::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Cel::String(Arc::new(s.clone())),
        Value::Array(a) => Cel::List(Arc::new(a.iter().map(to_cel).collect())),
        Value::Object(o) => {
            let map: HashMap<Key, Cel> = o
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v)))
                .collect();
            Cel::Map(Map { map: Arc::new(map) })
        }
    }
}

fn from_cel(v: &Cel) -> Result<Value, String> {
    Ok(match v {
        Cel::Null => Value::Null,
        Cel::Bool(b) => json!(b),
        Cel::Int(i) => json!(i),
        Cel::UInt(u) => json!(u),
        Cel::Float(f) => json!(f),
        Cel::String(s) => json!(s.as_str()),
        Cel::List(l) => Value::Array(l.iter().map(from_cel).collect::<Result<_, _>>()?),
        Cel::Map(m) => {
            let mut entries: Vec<(String, Value)> = Vec::new();
            for (k, v) in m.map.iter() {
                let Key::String(k) = k else {
                    return Err(format!("a map key that is not a string: {k:?}"));
                };
                entries.push((k.to_string(), from_cel(v)?));
            }
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        other => return Err(format!("not a JSON value: {other:?}")),
    })
}

/// Rewrites typed object construction into map literals (the `cel` crate cannot evaluate
/// struct literals), and counts what it rewrote.
fn structs_to_maps(e: &mut IdedExpr, next_id: &mut u64, types: &mut BTreeSet<String>) {
    match &mut e.expr {
        Expr::Struct(s) => {
            types.insert(s.type_name.clone());
            let mut entries = Vec::new();
            for entry in std::mem::take(&mut s.entries) {
                let EntryExpr::StructField(mut f) = entry.expr else {
                    panic!("a struct literal holds fields")
                };
                structs_to_maps(&mut f.value, next_id, types);
                *next_id += 1;
                entries.push(IdedEntryExpr {
                    id: entry.id,
                    expr: EntryExpr::MapEntry(MapEntryExpr {
                        key: IdedExpr {
                            id: *next_id,
                            expr: Expr::Literal(LiteralValue::String(f.field.as_str().into())),
                        },
                        value: f.value,
                        optional: f.optional,
                    }),
                });
            }
            e.expr = Expr::Map(MapExpr { entries });
        }
        Expr::Call(c) => {
            if let Some(t) = c.target.as_mut() {
                structs_to_maps(t, next_id, types);
            }
            for a in &mut c.args {
                structs_to_maps(a, next_id, types);
            }
        }
        Expr::Comprehension(c) => {
            for x in [
                &mut c.iter_range,
                &mut c.accu_init,
                &mut c.loop_cond,
                &mut c.loop_step,
                &mut c.result,
            ] {
                structs_to_maps(x, next_id, types);
            }
        }
        Expr::List(l) => {
            for x in &mut l.elements {
                structs_to_maps(x, next_id, types);
            }
        }
        Expr::Map(m) => {
            for entry in &mut m.entries {
                match &mut entry.expr {
                    EntryExpr::MapEntry(me) => {
                        structs_to_maps(&mut me.key, next_id, types);
                        structs_to_maps(&mut me.value, next_id, types);
                    }
                    EntryExpr::StructField(f) => structs_to_maps(&mut f.value, next_id, types),
                }
            }
        }
        Expr::Select(s) => structs_to_maps(&mut s.operand, next_id, types),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// A parsed expression, with the source for messages.
struct Program {
    source: String,
    expr: IdedExpr,
}

fn compile(source: &str) -> Program {
    let mut expr = Parser::new()
        .enable_optional_syntax(true)
        .parse(source)
        .unwrap_or_else(|e| panic!("the CEL parses: {source}\n{e:?}"));
    let mut types = BTreeSet::new();
    let mut next = 1_000_000;
    structs_to_maps(&mut expr, &mut next, &mut types);
    for t in &types {
        assert!(
            t == "JSONPatch" || t.starts_with("Object.spec.template.spec."),
            "only the JSONPatch and Object types are constructed: {t}"
        );
    }
    Program {
        source: source.to_string(),
        expr,
    }
}

/// One admission policy, compiled.
struct Compiled {
    conditions: Vec<Program>,
    variables: Vec<(String, Program)>,
    /// (validation, messageExpression).
    validations: Vec<(Program, Program)>,
    patch: Option<Program>,
}

fn compile_policy(obj: &Value) -> Compiled {
    let spec = &obj["spec"];
    let list = |k: &str| spec[k].as_array().cloned().unwrap_or_default();
    Compiled {
        conditions: list("matchConditions")
            .iter()
            .map(|c| compile(c["expression"].as_str().unwrap()))
            .collect(),
        variables: list("variables")
            .iter()
            .map(|v| {
                (
                    v["name"].as_str().unwrap().to_string(),
                    compile(v["expression"].as_str().unwrap()),
                )
            })
            .collect(),
        validations: list("validations")
            .iter()
            .map(|v| {
                (
                    compile(v["expression"].as_str().unwrap()),
                    compile(v["messageExpression"].as_str().unwrap()),
                )
            })
            .collect(),
        patch: list("mutations")
            .first()
            .map(|m| compile(m["jsonPatch"]["expression"].as_str().unwrap())),
    }
}

/// The `request` variable (k8s.io/apiserver `admission/plugin/cel`, the AdmissionRequest
/// fields).
fn request_value(operation: &str, namespace: &str, name: &str, sub: &str) -> Value {
    json!({
        "kind": {"group": "apps", "version": "v1", "kind": "DaemonSet"},
        "resource": {"group": "apps", "version": "v1", "resource": "daemonsets"},
        "subResource": sub,
        "requestKind": {"group": "apps", "version": "v1", "kind": "DaemonSet"},
        "requestResource": {"group": "apps", "version": "v1", "resource": "daemonsets"},
        "name": name, "namespace": namespace, "operation": operation,
        "userInfo": {"username": "kubernetes-admin", "groups": ["system:authenticated"]},
        "dryRun": false,
    })
}

/// What one policy answered.
#[derive(Debug)]
struct Answer {
    /// The messages of the validations that failed.
    failed: Vec<String>,
    patch: Option<json_patch::Patch>,
}

/// Evaluates a policy; `None` when its matchConditions exclude the request.
fn evaluate(
    p: &Compiled,
    object: &Value,
    old: Option<&Value>,
    request: &Value,
) -> Result<Option<Answer>, String> {
    let mut ctx = Context::default().with_all();
    ctx.add_variable_from_value("object", to_cel(object));
    ctx.add_variable_from_value("oldObject", old.map_or(Cel::Null, to_cel));
    ctx.add_variable_from_value("request", to_cel(request));
    let run = |ctx: &Context, prog: &Program| {
        ctx.resolve(&prog.expr)
            .map_err(|e| format!("{}: {e}", prog.source))
    };
    for c in &p.conditions {
        match run(&ctx, c)? {
            Cel::Bool(true) => {}
            Cel::Bool(false) => return Ok(None),
            other => return Err(format!("matchCondition {}: {other:?}", c.source)),
        }
    }
    let mut vars: HashMap<Key, Cel> = HashMap::new();
    ctx.add_variable_from_value("variables", Cel::Map(Map::from(vars.clone())));
    for (name, prog) in &p.variables {
        let v = run(&ctx, prog).map_err(|e| format!("variable {name}: {e}"))?;
        vars.insert(Key::String(Arc::new(name.clone())), v);
        ctx.add_variable_from_value("variables", Cel::Map(Map::from(vars.clone())));
    }
    let mut failed = Vec::new();
    for (v, m) in &p.validations {
        match run(&ctx, v)? {
            Cel::Bool(true) => {}
            Cel::Bool(false) => match run(&ctx, m)? {
                Cel::String(s) => {
                    assert!(
                        !s.contains(['\n', '\r']) && !s.trim().is_empty(),
                        "a messageExpression the API server uses: {s:?}"
                    );
                    failed.push(s.to_string())
                }
                other => return Err(format!("messageExpression {}: {other:?}", m.source)),
            },
            other => return Err(format!("validation {}: {other:?}", v.source)),
        }
    }
    let patch = match &p.patch {
        None => None,
        Some(prog) => {
            let ops = from_cel(&run(&ctx, prog)?)?;
            Some(
                serde_json::from_value(ops.clone())
                    .map_err(|e| format!("not a JSON patch: {e}: {ops}"))?,
            )
        }
    };
    Ok(Some(Answer { failed, patch }))
}

// ---------------------------------------------------------------------------------------
// The policies of one configuration, and the comparison with the webhook.

struct Suite {
    policy: Policy,
    mutating: Option<Compiled>,
    deny: Option<Compiled>,
    warn: Option<Compiled>,
}

fn suite(policy: Policy) -> Suite {
    let objects = policies::objects(&policy);
    let find = |kind: &str, name: &str| {
        objects
            .iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .map(compile_policy)
    };
    Suite {
        mutating: find("MutatingAdmissionPolicy", policies::MUTATING_NAME),
        deny: find("ValidatingAdmissionPolicy", policies::DENY_NAME),
        warn: find("ValidatingAdmissionPolicy", policies::WARN_NAME),
        policy,
    }
}

/// One admission request.
#[derive(Debug, Clone)]
struct Case {
    name: String,
    operation: String,
    namespace: String,
    sub_resource: String,
    resource: String,
    object: Value,
    old: Option<Value>,
}

impl Case {
    fn create(name: &str, object: Value) -> Case {
        Case {
            name: name.into(),
            operation: "CREATE".into(),
            namespace: object["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .into(),
            sub_resource: String::new(),
            resource: "daemonsets".into(),
            object,
            old: None,
        }
    }
}

/// The object as admission sees it; `None` when the API server could not decode it.
fn as_admitted(obj: &Value, namespace: &str) -> Option<Value> {
    let ds: k8s_openapi::api::apps::v1::DaemonSet = serde_json::from_value(obj.clone()).ok()?;
    let mut v = serde_json::to_value(&ds).ok()?;
    if obj.get("kind").is_some_and(|k| k != "DaemonSet") {
        return None;
    }
    v["metadata"]["namespace"] = json!(namespace);
    Some(v)
}

/// The rules whose messages the policies reproduce word for word; for the others (whose
/// webhook messages print the objects or list every name-syntax problem) the rule and
/// path are compared.
const EXACT: [RuleId; 8] = [
    RuleId::SelectorEmpty,
    RuleId::SelectorVolatileLabel,
    RuleId::RestartPolicy,
    RuleId::ActiveDeadline,
    RuleId::UpdateStrategy,
    RuleId::NegativeValue,
    RuleId::ImageLatest,
    RuleId::ResourcesMissing,
];

/// A violation line `[rule] path: message` as compared: whole, or `[rule] path`.
fn compared(line: &str) -> Option<(RuleId, String)> {
    let rest = line.strip_prefix('[')?;
    let (id, rest) = rest.split_once("] ")?;
    let rule: RuleId = serde_json::from_value(json!(id)).ok()?;
    if !TRANSLATED.contains(&rule) {
        return None;
    }
    if EXACT.contains(&rule) {
        return Some((rule, line.to_string()));
    }
    let path = rest.split_once(": ").map_or(rest, |(p, _)| p);
    Some((rule, format!("[{id}] {path}")))
}

fn lines_of(messages: &[String]) -> BTreeSet<(RuleId, String)> {
    messages
        .iter()
        .flat_map(|m| m.split(" | "))
        .filter_map(compared)
        .collect()
}

/// What was compared, for the report.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    compared: usize,
    skipped: usize,
    denied: usize,
    warned: usize,
    patched: usize,
}

/// The webhook's and the policies' answers to `case`; `Err` describes a disagreement.
fn compare(s: &Suite, case: &Case) -> Result<Tally, String> {
    let mut tally = Tally::default();
    let Some(object) = as_admitted(&case.object, &case.namespace) else {
        tally.skipped += 1;
        return Ok(tally);
    };
    let old = match &case.old {
        Some(o) => match as_admitted(o, &case.namespace) {
            Some(o) => Some(o),
            None => {
                tally.skipped += 1;
                return Ok(tally);
            }
        },
        None => None,
    };
    let name = object["metadata"]["name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let review = json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": "00000000-0000-4000-8000-000000000000",
            "kind": {"group": "apps", "version": "v1", "kind": "DaemonSet"},
            "resource": {"group": "apps", "version": "v1", "resource": case.resource},
            "subResource": case.sub_resource,
            "name": name, "namespace": case.namespace, "operation": case.operation,
            "object": object, "oldObject": old,
        }
    });
    let body = serde_json::to_vec(&review).unwrap();
    let validated = review_bytes(&body, Endpoint::Validate, &s.policy)
        .map_err(|e| format!("the webhook refused the review: {e}"))?
        .response
        .response;
    let mutated = review_bytes(&body, Endpoint::Mutate, &s.policy)
        .unwrap()
        .response
        .response;

    // The webhook, restricted to the rules the policies claim.
    let webhook_errors: Vec<String> = validated
        .status
        .as_ref()
        .map(|st| st.message.lines().skip(1).map(String::from).collect())
        .unwrap_or_default();
    let webhook_warnings = validated.warnings.clone().unwrap_or_default();
    let (w_err, w_warn) = (lines_of(&webhook_errors), lines_of(&webhook_warnings));

    // The policies. matchConstraints: apps/v1 daemonsets CREATE and UPDATE, no subresource.
    let matched = case.resource == "daemonsets"
        && case.sub_resource.is_empty()
        && matches!(case.operation.as_str(), "CREATE" | "UPDATE");
    let request = request_value(&case.operation, &case.namespace, &name, &case.sub_resource);
    let old_bound = if case.operation == "UPDATE" {
        old.as_ref()
    } else {
        None
    };
    let run = |p: &Option<Compiled>| -> Result<Option<Answer>, String> {
        match p {
            Some(p) if matched => evaluate(p, &object, old_bound, &request),
            _ => Ok(None),
        }
    };
    let deny = run(&s.deny)?;
    let warn = run(&s.warn)?;
    let p_err = lines_of(deny.as_ref().map_or(&[][..], |a| &a.failed));
    let p_warn = lines_of(warn.as_ref().map_or(&[][..], |a| &a.failed));
    let policy_denies = deny.as_ref().is_some_and(|a| !a.failed.is_empty());
    let webhook_denies = !w_err.is_empty();
    if policy_denies != webhook_denies || p_err != w_err {
        return Err(format!(
            "deny: webhook {webhook_denies} {w_err:#?}\npolicies {policy_denies} {p_err:#?}\n(raw policy messages: {:?})",
            deny.map(|a| a.failed)
        ));
    }
    if p_warn != w_warn {
        return Err(format!(
            "warnings: webhook {w_warn:#?}\npolicies {p_warn:#?}\n(raw: {:?})",
            warn.map(|a| a.failed)
        ));
    }

    // Mutation: the objects after each patch.
    let mut by_webhook = object.clone();
    if let Some(p) = &mutated.patch {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD.decode(p).unwrap();
        let patch: json_patch::Patch = serde_json::from_slice(&bytes).unwrap();
        json_patch::patch(&mut by_webhook, &patch)
            .map_err(|e| format!("the webhook's patch does not apply: {e}"))?;
    }
    let mut by_policy = object.clone();
    let mut patched = false;
    if let Some(answer) = run(&s.mutating)? {
        let patch = answer.patch.expect("the mutating policy has a patch");
        patched = !patch.0.is_empty();
        json_patch::patch(&mut by_policy, &patch)
            .map_err(|e| format!("the policy's patch does not apply: {e}: {patch:?}"))?;
        // Reinvoked (IfNeeded), the policy changes nothing more.
        if patched {
            let again = evaluate(
                s.mutating.as_ref().unwrap(),
                &by_policy,
                old_bound,
                &request,
            )?
            .and_then(|a| a.patch)
            .unwrap();
            if !again.0.is_empty() {
                return Err(format!("a second run patches again: {again:?}"));
            }
        }
    }
    if by_policy != by_webhook {
        return Err(format!(
            "mutation: webhook\n{by_webhook:#}\npolicy\n{by_policy:#}"
        ));
    }
    tally.compared += 1;
    tally.denied += usize::from(webhook_denies);
    tally.warned += usize::from(!w_warn.is_empty());
    tally.patched += usize::from(patched);
    Ok(tally)
}

fn check(s: &Suite, case: &Case) -> Tally {
    compare(s, case).unwrap_or_else(|e| {
        panic!(
            "policies and webhook disagree on {} ({} in {}):\nobject {:#}\nold {:#}\n{e}",
            case.name,
            case.operation,
            case.namespace,
            case.object,
            case.old.clone().unwrap_or(Value::Null)
        )
    })
}

fn add(a: &mut Tally, b: Tally) {
    a.compared += b.compared;
    a.skipped += b.skipped;
    a.denied += b.denied;
    a.warned += b.warned;
    a.patched += b.patched;
}

/// A configuration that needs every escape: JSON Pointer (`~`, `/`), CEL string quotes,
/// other severities, exemptions.
const ESCAPING_CONFIG: &str = r#"
tolerations:
  - key: example.com/a.b_c
    operator: Exists
  - key: quoted
    operator: Equal
    value: v1
    effect: NoExecute
    tolerationSeconds: 300
  - operator: Exists
    effect: PreferNoSchedule
nodeSelector:
  kubernetes.io/os: linux
  example.com/a_b: "x"
rules:
  image-latest: error
  resources-missing: "off"
  selector-volatile-label: error
  update-strategy: warning
  selector-mismatch: warning
  negative-value: warning
exemptNamespaces: [exempt-ns, "other~ns"]
exemptAnnotation: example.com/skip~me
volatileLabelKeys: [release, tier]
"#;

/// The configuration file refuses nodeSelector keys and tolerations the API server would
/// refuse; the generator must still escape whatever a `Policy` holds, so this one is built
/// directly: `~` and `/` in every key, quotes and backslashes in every string.
fn tilde_policy() -> Policy {
    let mut p = dsguard::config::parse("escaping.yaml", ESCAPING_CONFIG).unwrap();
    p.node_selector = [
        ("a/b~c".to_string(), "x~/y".to_string()),
        ("example.com/x~1y".to_string(), "z\"".to_string()),
        ("kubernetes.io/os".to_string(), "linux".to_string()),
    ]
    .into();
    p.tolerations.push(dsguard::policy::Toleration {
        key: "example.com/a~b/c".into(),
        operator: "Exists".into(),
        value: String::new(),
        effect: String::new(),
        toleration_seconds: None,
    });
    p.tolerations.push(dsguard::policy::Toleration {
        key: "quote\"d".into(),
        operator: "Equal".into(),
        value: "v\\1".into(),
        effect: "NoExecute".into(),
        toleration_seconds: Some(300),
    });
    p.tolerations.push(dsguard::policy::Toleration {
        key: "back\\slash~0/".into(),
        operator: "Equal".into(),
        value: "a\"b".into(),
        effect: String::new(),
        toleration_seconds: None,
    });
    p.exempt_annotation = "example.com/skip~me\"".into();
    p
}

fn configs() -> Vec<(&'static str, Policy)> {
    vec![
        ("default", Policy::default()),
        (
            "escaping",
            dsguard::config::parse("escaping.yaml", ESCAPING_CONFIG).unwrap(),
        ),
        ("tilde", tilde_policy()),
    ]
}

// ---------------------------------------------------------------------------------------
// The rule table of src/policy/tests.rs, row by row (the changes each row makes to the
// same valid DaemonSet; the expected violations are the engine's business).

fn base() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "node-exporter", "namespace": "monitoring", "labels": {"app": "node-exporter"}},
        "spec": {
            "selector": {"matchLabels": {"app": "node-exporter"}},
            "template": {
                "metadata": {"labels": {"app": "node-exporter"}},
                "spec": {"containers": [{"name": "node-exporter", "image": "prom/node-exporter:v1.3.1",
                    "ports": [{"name": "metrics", "containerPort": 9100}],
                    "resources": {"requests": {"cpu": "100m", "memory": "180Mi"}}}]}
            }
        }
    })
}

/// `set` of src/policy/tests.rs: `null` removes the field.
fn set(obj: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let Some(parent) = obj.pointer_mut(parent) else {
        return;
    };
    match parent {
        Value::Object(m) => {
            if value.is_null() {
                m.remove(key);
            } else {
                m.insert(key.replace("~1", "/"), value);
            }
        }
        Value::Array(a) => {
            if let Ok(i) = key.parse::<usize>()
                && i < a.len()
            {
                a[i] = value;
            }
        }
        _ => {}
    }
}

/// The rows' changes, extracted from src/policy/tests.rs (`rule_table`), in its order.
const RULE_TABLE: &str = r##"[
{"changes": [], "why": "the base object is valid"},
{"changes": [["/spec/selector", null]], "why": "selector-missing"},
{"changes": [["/spec/selector", {}]], "why": "selector-empty: no mismatch is reported for an empty selector"},
{"changes": [["/spec/template/metadata/labels", {"app": "node-exporter-v2"}]], "why": "selector-mismatch on matchLabels"},
{"changes": [["/spec/selector/matchExpressions", [{"key": "tier", "operator": "In", "values": ["node", "system"]}]]], "why": "selector-mismatch on an In expression"},
{"changes": [["/spec/selector/matchExpressions", [{"key": "tier", "operator": "DoesNotExist"}, {"key": "app", "operator": "Exists"}, {"key": "app", "operator": "NotIn", "values": ["x"]}]]], "why": "DoesNotExist, Exists and NotIn that the labels satisfy"},
{"changes": [["/spec/selector/matchExpressions", [{"key": "app", "operator": "In"}]]], "why": "selector-invalid: In without values (and no mismatch for an invalid selector)"},
{"changes": [["/spec/selector/matchExpressions", [{"key": "app", "operator": "Exists", "values": ["a"]}]]], "why": "selector-invalid: Exists with values"},
{"changes": [["/spec/selector/matchExpressions", [{"key": "app", "operator": "Equals", "values": ["a"]}]]], "why": "selector-invalid: unknown operator"},
{"changes": [["/metadata/labels", {"app": "bad value"}]], "why": "label-invalid value"},
{"changes": [["/spec/template/metadata/labels/-bad", "x"]], "why": "label-invalid key on the template"},
{"changes": [["/metadata/name", "Node_Exporter"]], "why": "metadata-invalid name"},
{"changes": [["/metadata/name", null]], "why": "metadata-invalid: no name"},
{"changes": [["/metadata/namespace", "kube.system"]], "why": "metadata-invalid namespace"},
{"changes": [["/spec/template/spec/restartPolicy", "Never"]], "why": "restart-policy"},
{"changes": [["/spec/template/spec/restartPolicy", "Always"]], "why": "restartPolicy Always"},
{"changes": [["/spec/template/spec/activeDeadlineSeconds", 60]], "why": "active-deadline"},
{"changes": [["/spec/minReadySeconds", -1]], "why": "negative-value"},
{"changes": [["/spec/revisionHistoryLimit", -3]], "why": "negative-value revisionHistoryLimit"},
{"changes": [["/spec/updateStrategy", {"rollingUpdate": {"maxSurge": 1}}]], "why": "update-strategy: maxSurge alone fails because maxUnavailable defaults to 1"},
{"changes": [["/spec/updateStrategy", {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}]], "why": "surge instead of unavailable"},
{"changes": [["/spec/updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}}]], "why": "update-strategy: both zero"},
{"changes": [["/spec/updateStrategy", {"rollingUpdate": {"maxUnavailable": "150%"}}]], "why": "update-strategy: over 100%"},
{"changes": [["/spec/updateStrategy", {"type": "Recreate"}]], "why": "update-strategy: a Deployment strategy type"},
{"changes": [["/spec/updateStrategy", {"type": "OnDelete"}]], "why": "OnDelete"},
{"changes": [["/spec/replicas", 3]], "why": "deployment-field replicas (and not unknown-field too)"},
{"changes": [["/status", {"availableReplicas": 1}]], "why": "deployment-field in status"},
{"changes": [["/status", {}]], "why": "the empty status kubectl prints is accepted"},
{"changes": [["/spec/template/spec/containers", []]], "why": "pod-spec: no containers"},
{"changes": [["/spec/template/spec/containers/0/image", null]], "why": "pod-spec: no image"},
{"changes": [["/spec/template/spec/initContainers", [{"name": "node-exporter", "image": "busybox:1.36"}]]], "why": "pod-spec: duplicate container names across init and regular containers"},
{"changes": [["/spec/template/spec/containers/0/ports/0/containerPort", 70000]], "why": "pod-spec: port range"},
{"changes": [["/spec/template/spec/tolerations", [{"operator": "Equal", "value": "x"}]]], "why": "pod-spec: toleration without key"},
{"changes": [["/spec/template/spec/tolerations", [{"key": "a", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 5}]]], "why": "pod-spec: tolerationSeconds needs NoExecute"},
{"changes": [["/spec/template/spec/nodeSelector", {"kubernetes.io/os": "linux os"}]], "why": "pod-spec: nodeSelector value"},
{"changes": [["/spec/template/spec/containers/0/image", "prom/node-exporter"]], "why": "image-latest: no tag"},
{"changes": [["/spec/template/spec/containers/0/resources", {"limits": {"cpu": 1}}]], "why": "resources-missing: limits count as requests, memory is missing"},
{"changes": [["/apiVersion", "extensions/v1beta1"]], "why": "schema: removed API version"},
{"changes": [["/spec/template/spec/hostNetwork", "yes"]], "why": "schema: wrong type"},
{"changes": [["/spec/template/spec/containers/0/imagePullPolicyy", "Always"]], "why": "unknown-field"}
]"##;

#[test]
fn rule_table_rows_agree() {
    let rows: Vec<Value> = serde_json::from_str(RULE_TABLE).unwrap();
    assert_eq!(rows.len(), 40, "every row of the rule table");
    let mut tally = Tally::default();
    for (config, policy) in configs() {
        let s = suite(policy);
        for row in &rows {
            let mut obj = base();
            for change in row["changes"].as_array().unwrap() {
                set(&mut obj, change[0].as_str().unwrap(), change[1].clone());
            }
            let why = row["why"].as_str().unwrap();
            add(
                &mut tally,
                check(&s, &Case::create(&format!("{config}: {why}"), obj.clone())),
            );
            // The same object as an update of the base.
            let mut update = Case::create(&format!("{config}: {why} (UPDATE)"), obj);
            update.operation = "UPDATE".into();
            update.old = Some(base());
            add(&mut tally, check(&s, &update));
        }
    }
    eprintln!("rule table: {tally:?}");
    assert!(tally.compared >= 200, "{tally:?}");
    assert!(tally.denied > 10 && tally.warned > 5 && tally.patched > 20);
}

#[test]
fn update_rules_agree() {
    let s = suite(Policy::default());
    let old = base();
    let mut rows = Vec::new();
    // selector-immutable and previous-selector-mismatch.
    let mut changed = base();
    changed["spec"]["selector"]["matchLabels"]["tier"] = json!("node");
    changed["spec"]["template"]["metadata"]["labels"]["tier"] = json!("node");
    rows.push(("selector changed", changed));
    let mut same = base();
    same["spec"]["selector"]["matchExpressions"] = json!([]);
    rows.push(("an empty matchExpressions list is the same selector", same));
    let mut relabelled = base();
    relabelled["spec"]["template"]["metadata"]["labels"] = json!({"app": "other"});
    relabelled["spec"]["selector"]["matchLabels"] = json!({"app": "other"});
    rows.push((
        "template labels the old selector does not select",
        relabelled,
    ));
    let mut invalid_old = base();
    invalid_old["spec"]["selector"]["matchExpressions"] =
        json!([{"key": "app", "operator": "In", "values": ["bad value!"]}]);
    rows.push(("invalid values", invalid_old.clone()));
    for (why, obj) in rows {
        let mut c = Case::create(why, obj);
        c.operation = "UPDATE".into();
        c.old = Some(old.clone());
        check(&s, &c);
    }
    // An invalid value the stored object already had is tolerated on UPDATE.
    let mut c = Case::create("invalid value kept", invalid_old.clone());
    c.operation = "UPDATE".into();
    c.old = Some(invalid_old);
    check(&s, &c);
}

#[test]
fn exemptions_agree() {
    for (config, policy) in configs() {
        let annotation = policy.exempt_annotation.clone();
        let s = suite(policy);
        let mut obj = base();
        obj["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx");
        obj["spec"]["selector"]["matchLabels"]["app"] = json!("other");
        for value in ["true", "false", "True"] {
            let mut o = obj.clone();
            o["metadata"]["annotations"] = json!({ annotation.as_str(): value });
            check(
                &s,
                &Case::create(&format!("{config}: annotation {value}"), o),
            );
        }
        for ns in ["exempt-ns", "other~ns", "monitoring"] {
            let mut c = Case::create(&format!("{config}: namespace {ns}"), obj.clone());
            c.namespace = ns.into();
            check(&s, &c);
        }
    }
}

#[test]
fn admission_fixtures_agree() {
    let mut n = 0;
    let mut tally = Tally::default();
    for entry in std::fs::read_dir(root().join("tests/fixtures/admission")).unwrap() {
        let path = entry.unwrap().path();
        let file = path.to_string_lossy().to_string();
        if !file.ends_with(".request.json") {
            continue;
        }
        let config = file.replace(".request.json", ".config.yaml");
        let policy = if std::path::Path::new(&config).exists() {
            dsguard::config::load(Some(std::path::Path::new(&config))).unwrap()
        } else {
            Policy::default()
        };
        let s = suite(policy);
        let review: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let r = &review["request"];
        let case = Case {
            name: file.clone(),
            operation: r["operation"].as_str().unwrap().into(),
            namespace: r["namespace"].as_str().unwrap_or("").into(),
            sub_resource: r["subResource"].as_str().unwrap_or("").into(),
            resource: r["resource"]["resource"].as_str().unwrap().into(),
            object: r["object"].clone(),
            old: r.get("oldObject").filter(|o| !o.is_null()).cloned(),
        };
        add(&mut tally, check(&s, &case));
        n += 1;
    }
    eprintln!("fixtures: {n} files, {tally:?}");
    assert!(n >= 12);
    assert!(tally.compared >= 8, "{tally:?}");
}

// ---------------------------------------------------------------------------------------
// Property-generated DaemonSets.

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &[T]) -> impl Strategy<Value = T> + use<T> {
    proptest::sample::select(items.to_vec())
}

const KEYS: &[&str] = &[
    "app",
    "tier",
    "helm.sh/chart",
    "version",
    "release",
    "example.com/name",
    "bad key!",
    "a/b/c",
    "",
];
const VALUES: &[&str] = &[
    "node-exporter",
    "v1.2.3",
    "1.2",
    "1",
    "v1",
    "1.x",
    "1.2.3-rc.1",
    "nginx-4.10.0",
    "nginx-4.10",
    "-1.2.3",
    "x",
    "",
    "bad value!",
    "a-",
];

fn arb_label_map(max: usize) -> impl Strategy<Value = Value> {
    proptest::collection::btree_map(pick(KEYS), pick(VALUES), 0..=max).prop_map(|m| json!(m))
}

fn arb_selector() -> impl Strategy<Value = Option<Value>> {
    let expr = (
        pick(KEYS),
        pick(&["In", "NotIn", "Exists", "DoesNotExist", "Bogus"]),
        proptest::option::of(proptest::collection::vec(pick(VALUES), 0..3)),
    )
        .prop_map(|(k, op, values)| {
            let mut e = json!({"key": k, "operator": op});
            if let Some(v) = values {
                e["values"] = json!(v);
            }
            e
        });
    proptest::option::weighted(
        0.9,
        (
            proptest::option::of(arb_label_map(3)),
            proptest::option::of(proptest::collection::vec(expr, 0..3)),
        )
            .prop_map(|(ml, ex)| {
                let mut s = json!({});
                if let Some(ml) = ml {
                    s["matchLabels"] = ml;
                }
                if let Some(ex) = ex {
                    s["matchExpressions"] = json!(ex);
                }
                s
            }),
    )
}

fn opt_field(obj: &mut Value, key: &str, v: Option<Value>) {
    if let Some(v) = v {
        obj[key] = v;
    }
}

fn arb_toleration() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(pick(&[
            "",
            "node-role.kubernetes.io/control-plane",
            "other",
            "example.com/a~b/c",
            "quote\"d",
            "back\\slash~0/",
        ])),
        proptest::option::of(pick(&["", "Exists", "Equal"])),
        proptest::option::of(pick(&["", "x", "v\\1", "a\"b"])),
        proptest::option::of(pick(&["", "NoSchedule", "NoExecute", "PreferNoSchedule"])),
        proptest::option::of(pick(&[30i64, 300])),
    )
        .prop_map(|(key, op, value, effect, secs)| {
            let mut t = json!({});
            opt_field(&mut t, "key", key.map(|s| json!(s)));
            opt_field(&mut t, "operator", op.map(|s| json!(s)));
            opt_field(&mut t, "value", value.map(|s| json!(s)));
            opt_field(&mut t, "effect", effect.map(|s| json!(s)));
            opt_field(&mut t, "tolerationSeconds", secs.map(|s| json!(s)));
            t
        })
}

fn arb_requirement() -> impl Strategy<Value = Value> {
    (
        pick(&["kubernetes.io/os", "a/b~c", "disk", "metadata.name"]),
        pick(&["In", "Exists"]),
    )
        .prop_map(|(k, op)| {
            if op == "In" {
                json!({"key": k, "operator": op, "values": ["linux"]})
            } else {
                json!({"key": k, "operator": op})
            }
        })
}

fn arb_affinity() -> impl Strategy<Value = Option<Value>> {
    let term = (
        proptest::option::of(proptest::collection::vec(arb_requirement(), 0..3)),
        proptest::option::of(proptest::collection::vec(arb_requirement(), 0..2)),
    )
        .prop_map(|(me, mf)| {
            let mut t = json!({});
            opt_field(&mut t, "matchExpressions", me.map(|v| json!(v)));
            opt_field(&mut t, "matchFields", mf.map(|v| json!(v)));
            t
        });
    proptest::option::of(proptest::collection::vec(term, 0..3)).prop_map(|terms| {
        terms.map(|t| {
            json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": t}}})
        })
    })
}

fn arb_int_or_string() -> impl Strategy<Value = Value> {
    pick(&[
        json!(0),
        json!(1),
        json!(-1),
        json!(5),
        json!("0%"),
        json!("10%"),
        json!("100%"),
        json!("101%"),
        json!("250%"),
        json!("abc"),
        json!("5"),
        json!("+0"),
        json!("-3"),
        json!("0"),
        json!("99999999999999999999"),
        json!("9223372036854775807"),
        json!("9223372036854775808"),
        json!("-9223372036854775808"),
        json!("00000000000000000000001%"),
    ])
}

fn arb_strategy() -> impl Strategy<Value = Option<Value>> {
    proptest::option::of((
        proptest::option::of(pick(&["", "RollingUpdate", "OnDelete", "Recreate"])),
        proptest::option::of((
            proptest::option::of(arb_int_or_string()),
            proptest::option::of(arb_int_or_string()),
        )),
    ))
    .prop_map(|s| {
        s.map(|(ty, ru)| {
            let mut st = json!({});
            opt_field(&mut st, "type", ty.map(|t| json!(t)));
            if let Some((mu, ms)) = ru {
                let mut r = json!({});
                opt_field(&mut r, "maxUnavailable", mu);
                opt_field(&mut r, "maxSurge", ms);
                st["rollingUpdate"] = r;
            }
            st
        })
    })
}

fn arb_container() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(pick(&[
            "nginx",
            "nginx:latest",
            "nginx:1.27",
            "registry:5000/nginx",
            "registry:5000/nginx:latest",
            "nginx@sha256:abc",
            "",
        ])),
        proptest::option::of((
            proptest::option::of(proptest::sample::subsequence(vec!["cpu", "memory"], 0..=2)),
            proptest::option::of(proptest::sample::subsequence(vec!["cpu", "memory"], 0..=2)),
        )),
    )
        .prop_map(|(image, res)| {
            let mut c = json!({"name": "c"});
            opt_field(&mut c, "image", image.map(|i| json!(i)));
            if let Some((req, lim)) = res {
                let mut r = json!({});
                let q = |names: Vec<&str>| -> Value {
                    names
                        .into_iter()
                        .map(|n| (n.to_string(), json!("1")))
                        .collect()
                };
                opt_field(&mut r, "requests", req.map(q));
                opt_field(&mut r, "limits", lim.map(q));
                c["resources"] = r;
            }
            c
        })
}

prop_compose! {
    fn arb_daemonset()(
        selector in arb_selector(),
        template_labels in proptest::option::of(arb_label_map(4)),
        labels in proptest::option::of(arb_label_map(2)),
        annotation in proptest::option::of(pick(&["true", "false"])),
        tolerations in proptest::option::of(proptest::collection::vec(arb_toleration(), 0..4)),
        affinity in arb_affinity(),
        node_selector in proptest::option::of(proptest::collection::btree_map(
            pick(&["kubernetes.io/os", "disk", "a/b~c", "example.com/x~1y", "example.com/a_b"]), pick(&["linux", "ssd"]), 0..3)),
        containers in proptest::collection::vec(arb_container(), 1..3),
        strategy in arb_strategy(),
        min_ready in proptest::option::of(pick(&[0i64, -1, 5])),
        history in proptest::option::of(pick(&[-1i64, 10])),
        restart in proptest::option::of(pick(&["Always", "OnFailure", ""])),
        deadline in proptest::option::of(pick(&[30i64])),
    ) -> Value {
        let mut pod = json!({"containers": containers});
        opt_field(&mut pod, "tolerations", tolerations.map(|t| json!(t)));
        opt_field(&mut pod, "affinity", affinity);
        opt_field(&mut pod, "nodeSelector", node_selector.map(|m| json!(m)));
        opt_field(&mut pod, "restartPolicy", restart.map(|r| json!(r)));
        opt_field(&mut pod, "activeDeadlineSeconds", deadline.map(|d| json!(d)));
        let mut template = json!({"spec": pod});
        if let Some(l) = template_labels {
            template["metadata"] = json!({"labels": l});
        }
        let mut spec = json!({"template": template});
        opt_field(&mut spec, "selector", selector);
        opt_field(&mut spec, "updateStrategy", strategy);
        opt_field(&mut spec, "minReadySeconds", min_ready.map(|v| json!(v)));
        opt_field(&mut spec, "revisionHistoryLimit", history.map(|v| json!(v)));
        let mut metadata = json!({"name": "ds"});
        opt_field(&mut metadata, "labels", labels);
        if let Some(a) = annotation {
            metadata["annotations"] = json!({"dsguard.io/exempt": a, "example.com/skip~me": a, "example.com/skip~me\"": a});
        }
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": metadata, "spec": spec})
    }
}

/// The stored object of an UPDATE: the new one with another selector (a random one, the
/// same, or the same with one small change), so that `selector-immutable` and
/// `previous-selector-mismatch` meet every kind of difference.
fn old_selector(new: Option<&Value>, mode: u8, other: Option<Value>) -> Option<Value> {
    let mut sel = new.cloned();
    match mode {
        1 => return other,
        2 => {}
        3 => {
            let s = sel.get_or_insert_with(|| json!({}));
            if s.get("matchExpressions").is_none() {
                s["matchExpressions"] = json!([]);
            }
            if s.get("matchLabels").is_none() {
                s["matchLabels"] = json!({});
            }
        }
        4 => {
            if let Some(e) = sel
                .as_mut()
                .and_then(|s| s.get_mut("matchExpressions"))
                .and_then(|e| e.get_mut(0))
            {
                match e.get("values") {
                    Some(v) if v.as_array().is_some_and(|a| !a.is_empty()) => {
                        e.as_object_mut().unwrap().remove("values");
                    }
                    _ => e["values"] = json!(["x"]),
                }
            }
        }
        _ => {
            if let Some(m) = sel
                .as_mut()
                .and_then(|s| s.get_mut("matchLabels"))
                .and_then(Value::as_object_mut)
            {
                if let Some((_, v)) = m.iter_mut().next() {
                    *v = json!("changed");
                } else {
                    m.insert("app".into(), json!("x"));
                }
            }
        }
    }
    sel
}

fn arb_case() -> impl Strategy<Value = Case> {
    (
        arb_daemonset(),
        0u8..6,
        arb_selector(),
        pick(&["monitoring", "exempt-ns"]),
    )
        .prop_map(|(object, mode, other, ns)| {
            let mut case = Case::create("generated", object);
            case.namespace = ns.into();
            if mode > 0 {
                let mut old = case.object.clone();
                match old_selector(case.object["spec"].get("selector"), mode, other) {
                    Some(sel) => old["spec"]["selector"] = sel,
                    None => {
                        old["spec"].as_object_mut().unwrap().remove("selector");
                    }
                }
                case.operation = "UPDATE".into();
                case.old = Some(old);
            }
            case
        })
}

#[test]
fn generated_daemonsets_agree() {
    use proptest::test_runner::{Config, TestRunner};
    let cases = 768;
    let mut grand = Tally::default();
    for (config, policy) in configs() {
        let s = suite(policy);
        let tally = std::cell::Cell::new(Tally::default());
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&arb_case(), |case| {
            let t = compare(&s, &case).map_err(|e| {
                TestCaseError::fail(format!(
                    "{config}: policies and webhook disagree ({} in {}):\nobject {:#}\nold {:#}\n{e}",
                    case.operation,
                    case.namespace,
                    case.object,
                    case.old.clone().unwrap_or(Value::Null)
                ))
            })?;
            let mut sum = tally.get();
            add(&mut sum, t);
            tally.set(sum);
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        eprintln!("generated ({config}): {:?}", tally.get());
        add(&mut grand, tally.get());
    }
    eprintln!("generated, all configurations: {grand:?}");
    assert!(grand.compared >= 3 * cases as usize * 9 / 10, "{grand:?}");
    assert!(
        grand.denied > 100 && grand.warned > 100 && grand.patched > 100,
        "{grand:?}"
    );
}

// ---------------------------------------------------------------------------------------
// The objects themselves.

#[test]
fn objects_are_the_k8s_openapi_types_and_scoped_like_the_webhooks() {
    use k8s_openapi::api::admissionregistration::v1 as ar;
    for (config, policy) in configs() {
        let objects = policies::objects(&policy);
        let kinds: Vec<&str> = objects
            .iter()
            .map(|o| o["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "MutatingAdmissionPolicy",
                "MutatingAdmissionPolicyBinding",
                "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding",
                "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding"
            ],
            "{config}"
        );
        for o in &objects {
            let back = match o["kind"].as_str().unwrap() {
                "MutatingAdmissionPolicy" => serde_json::to_value(
                    serde_json::from_value::<ar::MutatingAdmissionPolicy>(o.clone()).unwrap(),
                ),
                "MutatingAdmissionPolicyBinding" => serde_json::to_value(
                    serde_json::from_value::<ar::MutatingAdmissionPolicyBinding>(o.clone())
                        .unwrap(),
                ),
                "ValidatingAdmissionPolicy" => serde_json::to_value(
                    serde_json::from_value::<ar::ValidatingAdmissionPolicy>(o.clone()).unwrap(),
                ),
                _ => serde_json::to_value(
                    serde_json::from_value::<ar::ValidatingAdmissionPolicyBinding>(o.clone())
                        .unwrap(),
                ),
            }
            .unwrap();
            assert_eq!(&back, o, "{config}: round trip through k8s-openapi");
        }
    }
    // Scope: the webhooks' rules, namespace selectors and failure policies.
    let webhooks = std::fs::read(root().join("manifests/base/webhooks.yaml")).unwrap();
    let webhooks: Vec<Value> = dsguard::manifest::read_documents(&webhooks)
        .into_iter()
        .map(|d| d.content.unwrap().value)
        .collect();
    let hook =
        |kind: &str| webhooks.iter().find(|d| d["kind"] == kind).unwrap()["webhooks"][0].clone();
    let objects = policies::objects(&Policy::default());
    let policy = |kind: &str, name: &str| {
        objects
            .iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .unwrap()["spec"]
            .clone()
    };
    for (hook_kind, kind, names) in [
        (
            "MutatingWebhookConfiguration",
            "MutatingAdmissionPolicy",
            vec![policies::MUTATING_NAME],
        ),
        (
            "ValidatingWebhookConfiguration",
            "ValidatingAdmissionPolicy",
            vec![policies::DENY_NAME, policies::WARN_NAME],
        ),
    ] {
        let h = hook(hook_kind);
        for name in names {
            let p = policy(kind, name);
            let mc = &p["matchConstraints"];
            assert_eq!(mc["namespaceSelector"], h["namespaceSelector"], "{name}");
            assert_eq!(mc["matchPolicy"], h["matchPolicy"], "{name}");
            let mut rule = h["rules"][0].clone();
            let mut got = mc["resourceRules"][0].clone();
            rule.as_object_mut().unwrap().remove("resourceNames");
            got.as_object_mut().unwrap().remove("resourceNames");
            assert_eq!(got, rule, "{name}");
            assert_eq!(p["failurePolicy"], h["failurePolicy"], "{name}");
            if kind == "MutatingAdmissionPolicy" {
                assert_eq!(p["reinvocationPolicy"], h["reinvocationPolicy"]);
                assert_eq!(p["mutations"][0]["patchType"], "JSONPatch");
            }
        }
    }
    // Bindings: one action set each.
    for (name, action) in [(policies::DENY_NAME, "Deny"), (policies::WARN_NAME, "Warn")] {
        let b = objects
            .iter()
            .find(|o| {
                o["kind"] == "ValidatingAdmissionPolicyBinding" && o["metadata"]["name"] == name
            })
            .unwrap();
        assert_eq!(b["spec"]["policyName"], name);
        assert_eq!(b["spec"]["validationActions"], json!([action]));
    }
}

#[test]
fn severities_place_rules_and_off_leaves_them_out() {
    let policy = dsguard::config::parse(
        "c.yaml",
        "rules:\n  image-latest: error\n  resources-missing: 'off'\n  selector-mismatch: warning\n  pod-spec: 'off'\n",
    )
    .unwrap();
    let objects = policies::objects(&policy);
    let messages = |name: &str| -> Vec<String> {
        objects
            .iter()
            .find(|o| o["kind"] == "ValidatingAdmissionPolicy" && o["metadata"]["name"] == name)
            .unwrap()["spec"]["validations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["message"].as_str().unwrap().to_string())
            .collect()
    };
    let has =
        |list: &[String], rule: &str| list.iter().any(|m| m.starts_with(&format!("[{rule}]")));
    let (deny, warn) = (messages(policies::DENY_NAME), messages(policies::WARN_NAME));
    assert!(has(&deny, "image-latest") && !has(&warn, "image-latest"));
    assert!(has(&warn, "selector-mismatch") && !has(&deny, "selector-mismatch"));
    assert!(!has(&deny, "resources-missing") && !has(&warn, "resources-missing"));
    assert_eq!(deny.len() + warn.len(), TRANSLATED.len() - 1);
    // Nothing configured to add: no mutating policy.
    let none = dsguard::config::parse("n.yaml", "tolerations: []\nnodeSelector: {}\n").unwrap();
    assert!(
        policies::objects(&none)
            .iter()
            .all(|o| o["kind"] != "MutatingAdmissionPolicy")
    );
}

#[test]
fn cli_prints_yaml_and_json_and_names_what_is_not_enforced() {
    let yaml = dsguard(&["policies"], None);
    assert_eq!(code(&yaml), 0, "{}", err(&yaml));
    let docs: Vec<Value> = dsguard::manifest::read_documents(&yaml.stdout)
        .into_iter()
        .map(|d| d.content.unwrap().value)
        .collect();
    assert_eq!(docs, policies::objects(&Policy::default()));
    let stderr = err(&yaml);
    for (rule, _) in policies::not_translated() {
        assert!(stderr.contains(&format!("{rule} (")), "{stderr}");
    }
    let j = dsguard(&["policies", "--output", "json"], None);
    assert_eq!(code(&j), 0);
    let list: Value = serde_json::from_str(&out(&j)).unwrap();
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"], json!(docs));
    // pod-spec off: not named on stderr.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.yaml");
    std::fs::write(&cfg, "rules:\n  pod-spec: 'off'\n").unwrap();
    let o = dsguard(&["policies", "--config", cfg.to_str().unwrap()], None);
    assert!(!err(&o).contains("pod-spec"), "{}", err(&o));
    // An unknown rule id fails as it does for serve.
    std::fs::write(&cfg, "rules:\n  no-such-rule: error\n").unwrap();
    let o = dsguard(&["policies", "--config", cfg.to_str().unwrap()], None);
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(err(&o).contains("no-such-rule"), "{}", err(&o));
    assert!(out(&o).is_empty());
}

#[test]
fn escaping_config_produces_escaped_paths() {
    let s = suite(tilde_policy());
    let mut obj = base();
    obj["spec"]["template"]["spec"]["nodeSelector"] = json!({"disk": "ssd"});
    let object = as_admitted(&obj, "monitoring").unwrap();
    let request = request_value("CREATE", "monitoring", "node-exporter", "");
    let answer = evaluate(s.mutating.as_ref().unwrap(), &object, None, &request)
        .unwrap()
        .unwrap();
    let paths: Vec<String> = serde_json::to_value(answer.patch.unwrap())
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["path"].as_str().unwrap().to_string())
        .collect();
    for want in [
        "/spec/template/spec/nodeSelector/a~1b~0c",
        "/spec/template/spec/nodeSelector/example.com~1x~01y",
        "/spec/template/spec/nodeSelector/kubernetes.io~1os",
    ] {
        assert!(paths.iter().any(|p| p == want), "{want} in {paths:?}");
    }
    check(&s, &Case::create("escaping", obj));
}

// ---------------------------------------------------------------------------------------
// kubectl and the overlay.

#[test]
fn kubectl_accepts_the_objects() {
    use k8s_openapi::api::admissionregistration::v1 as ar;
    let kinds = [
        (
            "mutatingadmissionpolicies",
            "MutatingAdmissionPolicy",
            schemars::schema_for!(ar::MutatingAdmissionPolicy),
        ),
        (
            "mutatingadmissionpolicybindings",
            "MutatingAdmissionPolicyBinding",
            schemars::schema_for!(ar::MutatingAdmissionPolicyBinding),
        ),
        (
            "validatingadmissionpolicies",
            "ValidatingAdmissionPolicy",
            schemars::schema_for!(ar::ValidatingAdmissionPolicy),
        ),
        (
            "validatingadmissionpolicybindings",
            "ValidatingAdmissionPolicyBinding",
            schemars::schema_for!(ar::ValidatingAdmissionPolicyBinding),
        ),
    ];
    let addr = crate::fake_discovery::start(
        "admissionregistration.k8s.io",
        "v1",
        kinds
            .into_iter()
            .map(|(plural, kind, schema)| crate::fake_discovery::Kind {
                plural,
                kind,
                namespaced: false,
                schema,
            })
            .collect(),
        200,
    );
    let o = dsguard(&["policies"], None);
    assert_eq!(code(&o), 0);
    let dir = tempfile::tempdir().unwrap();
    let stdout = crate::fake_discovery::apply_dry_run(dir.path(), addr, &o.stdout);
    for want in [
        "mutatingadmissionpolicy.admissionregistration.k8s.io/dsguard-defaults",
        "mutatingadmissionpolicybinding.admissionregistration.k8s.io/dsguard-defaults",
        "validatingadmissionpolicy.admissionregistration.k8s.io/dsguard-deny",
        "validatingadmissionpolicybinding.admissionregistration.k8s.io/dsguard-warn",
    ] {
        assert!(stdout.contains(want), "{want} in {stdout}");
    }
    // kubectl leaves unknown-field checks to a server that takes `fieldValidation` (this
    // one says it does), so the field-by-field check is the k8s-openapi round trip of
    // `objects_are_the_k8s_openapi_types_and_scoped_like_the_webhooks`.
}

#[test]
fn webhook_free_overlay_is_the_policies_output() {
    let dir = root().join("manifests/overlays/webhook-free");
    let o = dsguard(&["policies"], None);
    assert_eq!(code(&o), 0);
    let committed = std::fs::read_to_string(dir.join("policies.yaml")).unwrap();
    let generated = out(&o);
    assert!(
        committed.ends_with(&generated),
        "manifests/overlays/webhook-free/policies.yaml is `dsguard policies` output; regenerate it:\n  dsguard policies > manifests/overlays/webhook-free/policies.yaml (keeping its header)"
    );
    let rendered = crate::manifests::render(&dir);
    let mut want = policies::objects(&Policy::default());
    let key = |v: &Value| format!("{}/{}", v["kind"], v["metadata"]["name"]);
    let mut got = rendered.clone();
    got.sort_by_key(key);
    want.sort_by_key(key);
    assert_eq!(
        got, want,
        "the overlay renders the policies and bindings only"
    );
    let kinds: BTreeMap<String, usize> = rendered.iter().fold(BTreeMap::new(), |mut m, d| {
        *m.entry(d["kind"].as_str().unwrap().to_string())
            .or_default() += 1;
        m
    });
    for kind in [
        "Deployment",
        "Service",
        "Secret",
        "Certificate",
        "ValidatingWebhookConfiguration",
    ] {
        assert!(!kinds.contains_key(kind), "no {kind}");
    }
}
