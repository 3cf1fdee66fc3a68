//! The web app's files as the server sends them: the page and its assets under the app's
//! Content-Security-Policy, gzip only to clients that take it, 304 for a current copy, and the
//! API's JSON 404 for anything that is not a built file (no path escapes the build).

use std::path::Path;

use reqwest::StatusCode;
use tidings_tests::{Backend, spawn_server};

/// The built files the binary embeds, as the repository holds them.
fn dist() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../web/dist"))
}

/// The name of one built asset whose build also wrote a `.gz` (the main script).
fn packed_asset() -> String {
    let assets = std::fs::read_dir(dist().join("assets")).unwrap();
    let names: Vec<String> = assets.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names
        .iter()
        .find(|n| n.ends_with(".js") && names.contains(&format!("{n}.gz")))
        .cloned()
        .expect("the build wrote a gzip copy of its script")
}

async fn web_app_is_served_with_its_policy(backend: Backend) {
    let srv = spawn_server(backend).await;
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{}", srv.port());

    let page = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"), "{csp}");
    assert_eq!(page.headers()["cache-control"], "no-cache");
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let etag = page.headers()["etag"].to_str().unwrap().to_owned();
    let body = page.text().await.unwrap();
    assert_eq!(body, std::fs::read_to_string(dist().join("index.html")).unwrap(), "the page is the build's");

    // A current copy is not sent again.
    let again = http.get(format!("{base}/")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // An asset: plain to a client that does not take gzip, packed to one that does.
    let name = packed_asset();
    let raw = std::fs::read(dist().join("assets").join(&name)).unwrap();
    let plain = http.get(format!("{base}/assets/{name}")).send().await.unwrap();
    assert_eq!(plain.status(), StatusCode::OK);
    assert!(plain.headers().get("content-encoding").is_none());
    assert!(plain.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert!(plain.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(plain.bytes().await.unwrap().as_ref(), raw.as_slice());
    let packed = http.get(format!("{base}/assets/{name}")).header("accept-encoding", "br, gzip").send().await.unwrap();
    assert_eq!(packed.headers()["content-encoding"], "gzip");
    let gz = std::fs::read(dist().join("assets").join(format!("{name}.gz"))).unwrap();
    assert_eq!(packed.bytes().await.unwrap().as_ref(), gz.as_slice());
    let refused = http.get(format!("{base}/assets/{name}")).header("accept-encoding", "gzip;q=0").send().await.unwrap();
    assert!(refused.headers().get("content-encoding").is_none(), "q=0 refuses gzip");

    // Not built files: the API's JSON 404, whatever the path tries.
    for path in [
        "/assets/nope.js",
        &format!("/assets/{name}.gz"),
        "/assets/..%2FCargo.toml",
        "/assets/..%5C..%5CCargo.toml",
        "/assets/%2e%2e%2fCargo.toml",
        "/nope",
    ] {
        let response = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "not_found", "{path}");
    }
    // The API keeps its own policy: nothing it answers may run as a page.
    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.headers()["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
}
tidings_tests::both_modes!(web_app_is_served_with_its_policy);
