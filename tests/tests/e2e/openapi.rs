//! The OpenAPI document at `/api/openapi.json` against the routes the server really serves:
//! every documented operation is served and every documented path answers exactly the documented
//! methods (served routes are documented by construction: the server and the document come from
//! one registration, `rest::register`), every operation is complete (2xx, 401 when
//! authenticated, path parameters, tags, resolvable `$ref`s), and the error codes of
//! `docs/protocol.md` are documented with the statuses that table gives.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::Value;
use tidings_tests::{Backend, TestServer, spawn_server};

/// HTTP codes of `docs/protocol.md` that no REST route documents yet. Remove a code from here
/// when a route documents it; the test says when. `too_many_connections` and `draining` are
/// answered only by the `/ws` handshake, which is not a REST operation of the document;
/// `method_not_allowed` only for methods a path does not have, which are no operations either.
const NOT_YET_ON_ANY_ROUTE: &[&str] = &["too_many_connections", "draining", "method_not_allowed"];

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The document, fetched over HTTP like any client would.
async fn fetch(srv: &TestServer) -> Value {
    let resp = reqwest::get(format!("http://127.0.0.1:{}/api/openapi.json", srv.port())).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(ct.starts_with("application/json"), "content-type {ct}");
    resp.json().await.unwrap()
}

/// Every operation of the document: `(METHOD, path) -> operation`.
fn operations(doc: &Value) -> BTreeMap<(String, String), &Value> {
    let mut ops = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if METHODS.contains(&method.as_str()) {
                ops.insert((method.to_uppercase(), path.clone()), op);
            }
        }
    }
    ops
}

/// `path` with every parameter filled with `x`.
fn concrete(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').map(|seg| if seg.starts_with('{') { "x" } else { seg }).collect();
    segments.join("/")
}

fn is_authenticated(op: &Value) -> bool {
    op["security"].as_array().is_some_and(|reqs| reqs.iter().any(|r| r.as_object().is_some_and(|o| !o.is_empty())))
}

/// Every documented operation is served: called without credentials it answers neither the
/// unknown-route 404 nor a 405. Every documented path asked with a method it lacks answers 405,
/// and its `Allow` lists exactly the documented methods.
#[tokio::test]
async fn every_documented_operation_is_served() {
    let srv = spawn_server(Backend::Embedded).await;
    let doc = fetch(&srv).await;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "not OpenAPI 3: {}", doc["openapi"]);
    assert_eq!(doc["info"]["title"], "Tidings");

    let mut problems = Vec::new();
    for (method, path) in operations(&doc).into_keys() {
        let (status, body) = srv.api.call(&method, &concrete(&path), None, None).await;
        if status == 405 || (status == 404 && body["error"]["message"] == "no such route") {
            problems.push(format!("{method} {path}: documented, but answered {status} {body}"));
        }
    }
    let client = reqwest::Client::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let documented: BTreeSet<String> = item
            .as_object()
            .expect("path item")
            .keys()
            .filter(|m| METHODS.contains(&m.as_str()))
            .map(|m| m.to_uppercase())
            .collect();
        let url = format!("http://127.0.0.1:{}{}", srv.port(), concrete(path));
        let resp = client.request(reqwest::Method::TRACE, url).send().await.unwrap();
        let allow = resp.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let served: BTreeSet<String> = allow.split(", ").filter(|m| !m.is_empty()).map(str::to_owned).collect();
        if resp.status().as_u16() != 405 || served != documented {
            problems.push(format!(
                "{path}: TRACE answered {} with Allow {served:?}; documented {documented:?}",
                resp.status()
            ));
        }
    }
    assert!(problems.is_empty(), "documented and served routes differ:\n  {}", problems.join("\n  "));
}

#[tokio::test]
async fn every_operation_is_complete() {
    let srv = spawn_server(Backend::Embedded).await;
    let doc = fetch(&srv).await;
    let tags: HashSet<&str> = doc["tags"].as_array().expect("tags").iter().filter_map(|t| t["name"].as_str()).collect();
    let schemes = doc["components"]["securitySchemes"].as_object().expect("security schemes");
    assert!(schemes.contains_key("bearer") && schemes.contains_key("api_key"), "{schemes:?}");

    let mut problems = Vec::new();
    let mut ids = HashSet::new();
    for ((method, path), op) in operations(&doc) {
        let at = format!("{method} {path}");
        let responses = op["responses"].as_object().expect("responses");
        if !responses.keys().any(|s| s.starts_with('2')) {
            problems.push(format!("{at}: no 2xx response"));
        }
        for (status, resp) in responses {
            // Redirects carry no body; errors (4xx, 5xx) carry the JSON error.
            if (status.starts_with('4') || status.starts_with('5'))
                && resp["content"]["application/json"]["schema"].is_null()
            {
                problems.push(format!("{at}: error response {status} has no JSON schema"));
            }
        }
        match op["operationId"].as_str() {
            Some(id) if ids.insert(id.to_owned()) => {}
            other => problems.push(format!("{at}: operationId missing or not unique: {other:?}")),
        }
        if op["summary"].as_str().is_none_or(str::is_empty) {
            problems.push(format!("{at}: no summary (the handler's doc comment)"));
        }
        let op_tags: Vec<&str> = op["tags"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        if op_tags.is_empty() || op_tags.iter().any(|t| !tags.contains(t)) {
            problems.push(format!("{at}: tags {op_tags:?} missing or not declared in openapi.rs"));
        }
        if is_authenticated(op) && !responses.contains_key("401") {
            problems.push(format!("{at}: authenticated but no 401 response"));
        }
        for req in op["security"].as_array().into_iter().flatten() {
            for name in req.as_object().into_iter().flat_map(|o| o.keys()) {
                if !schemes.contains_key(name) {
                    problems.push(format!("{at}: unknown security scheme {name}"));
                }
            }
        }
        let params: HashSet<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .filter_map(|p| p["name"].as_str())
            .collect();
        for name in path.split('/').filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}')) {
            if !params.contains(name) {
                problems.push(format!("{at}: path parameter {{{name}}} not documented"));
            }
        }
    }
    assert!(problems.is_empty(), "incomplete operations:\n  {}", problems.join("\n  "));
}

/// Calls every route without credentials: the ones that answer 401 must be documented as
/// authenticated (a security requirement and a 401), the others must not.
#[tokio::test]
async fn documented_security_matches_what_the_server_enforces() {
    let srv = spawn_server(Backend::Embedded).await;
    let doc = fetch(&srv).await;
    let ops = operations(&doc);
    let mut problems = Vec::new();
    for ((method, path), op) in &ops {
        let (status, _) = srv.api.call(method, &concrete(path), None, None).await;
        match (status == 401, is_authenticated(op)) {
            (true, false) => problems.push(format!("{method} {path}: answers 401 without a token but has no security")),
            (false, true) => {
                problems.push(format!("{method} {path}: documented as authenticated but answered {status}"))
            }
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn every_ref_resolves() {
    let srv = spawn_server(Backend::Embedded).await;
    let doc = fetch(&srv).await;
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    let broken: Vec<&String> =
        refs.iter().filter(|r| r.strip_prefix('#').is_none_or(|ptr| doc.pointer(ptr).is_none())).collect();
    assert!(broken.is_empty(), "unresolved $refs: {broken:?}");
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The error table of `docs/protocol.md`: code -> HTTP statuses (empty for WebSocket-only codes).
fn protocol_error_table() -> BTreeMap<String, Vec<u16>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocol.md");
    let text = std::fs::read_to_string(path).unwrap();
    let section = text.split("\n## Errors").nth(1).expect("an Errors section").split("\n## ").next().unwrap_or("");
    let mut table = BTreeMap::new();
    for line in section.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(code) = cells.get(1).and_then(|c| c.strip_prefix('`')?.strip_suffix('`')) else { continue };
        let statuses = cells.get(2).map_or(Vec::new(), |c| {
            c.split(|ch: char| !ch.is_ascii_digit()).filter(|n| n.len() == 3).filter_map(|n| n.parse().ok()).collect()
        });
        table.insert(code.to_owned(), statuses);
    }
    assert!(table.len() > 20, "could not read the error table of docs/protocol.md: {table:?}");
    table
}

#[tokio::test]
async fn error_codes_are_documented_with_their_statuses() {
    let srv = spawn_server(Backend::Embedded).await;
    let doc = fetch(&srv).await;
    let table = protocol_error_table();
    let text = doc.to_string();

    let unmentioned: Vec<&String> = table.keys().filter(|c| !text.contains(&format!("`{c}`"))).collect();
    assert!(unmentioned.is_empty(), "codes of docs/protocol.md the document never mentions: {unmentioned:?}");

    // Codes named by each operation's error responses, and their statuses against the table.
    let mut on_routes = BTreeSet::new();
    let mut problems = Vec::new();
    for ((method, path), op) in operations(&doc) {
        for (status, resp) in op["responses"].as_object().expect("responses") {
            let description = resp["description"].as_str().unwrap_or_default();
            let named: Vec<&str> =
                table.keys().map(String::as_str).filter(|c| description.contains(&format!("`{c}`"))).collect();
            let is_error_body = resp["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .is_some_and(|r| r.ends_with("/ErrorBody"));
            if is_error_body && named.is_empty() {
                problems.push(format!("{method} {path} {status}: an ErrorBody response that names no code"));
            }
            let status: u16 = status.parse().unwrap_or(0);
            for code in named {
                on_routes.insert(code.to_owned());
                if !table[code].contains(&status) {
                    problems.push(format!(
                        "{method} {path}: `{code}` under {status}, but docs/protocol.md gives {:?}",
                        table[code]
                    ));
                }
            }
        }
    }
    for (code, statuses) in &table {
        let pending = NOT_YET_ON_ANY_ROUTE.contains(&code.as_str());
        match (statuses.is_empty(), pending, on_routes.contains(code)) {
            (false, false, false) => problems.push(format!("`{code}` is answered over HTTP but no route documents it")),
            (_, true, true) => problems.push(format!(
                "`{code}` is now documented on a route: remove it from NOT_YET_ON_ANY_ROUTE in tests/tests/e2e/openapi.rs"
            )),
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
