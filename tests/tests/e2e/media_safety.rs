//! Media that must never run as a page on the API's origin, over a real socket: attachment,
//! nosniff and a sandboxing policy for every blob, a media origin of their own when configured,
//! and a memory budget for decoding images.

use tidings_interfaces::Settings;
use tidings_tests::media::{fetch, png, upload, use_fake_s3};
use tidings_tests::{Backend, TestServer, spawn_server_with};

/// A server with `configure`'s settings whose blobs are kept where the mode keeps them: in S3
/// (a fake one on loopback) in a cluster, in the data dir embedded.
async fn media_server(backend: Backend, configure: fn(&mut Settings)) -> TestServer {
    let cluster = backend == Backend::Cluster;
    let settings = move |s: &mut Settings| {
        configure(s);
        if cluster {
            use_fake_s3(s);
        }
    };
    spawn_server_with(backend, settings).await
}

/// An uploaded HTML page or SVG is downloaded, never shown: `attachment`, `nosniff` and a
/// sandboxing policy; a PNG stays inline but sandboxed too.
async fn media_never_runs_as_a_page(backend: Backend) {
    let srv = media_server(backend, |_| {}).await;
    let alice = srv.api.user("alice", "a1").await;
    let page = b"<script>document.title=location.search</script>".to_vec();
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>"#.to_vec();
    let cases: [(&str, &str, Vec<u8>, &str); 3] = [
        ("kind=file&name=invoice.html", "text/html", page, "attachment"),
        ("kind=file&name=logo.svg", "image/svg+xml", svg, "attachment"),
        ("kind=image&name=photo.png", "image/png", png(8, 8), "inline"),
    ];
    for (query, content_type, bytes, disposition) in cases {
        let (status, body) = upload(&srv.api, &alice, query, content_type, bytes).await;
        assert_eq!(status, 201, "{query}: {body}");
        let id = body["media_id"].as_str().unwrap();
        let got = fetch(srv.port(), &format!("/api/v1/media/{id}?token={}", alice.access_token), None, &[]).await;
        assert_eq!(got.status, 200, "{query}");
        assert!(got.header("content-disposition").starts_with(disposition), "{query}: {:?}", got.headers);
        assert_eq!(got.header("x-content-type-options"), "nosniff", "{query}");
        let csp = got.header("content-security-policy");
        assert!(csp.contains("sandbox") && csp.contains("default-src 'none'"), "{query}: {csp}");
    }
    let (_, body) = upload(&srv.api, &alice, "kind=file&name=invoice.html", "text/html", b"<p>hi</p>".to_vec()).await;
    let id = body["media_id"].as_str().unwrap();
    let got = fetch(srv.port(), &format!("/api/v1/media/{id}"), Some(&alice.access_token), &[]).await;
    assert!(got.header("content-disposition").contains("invoice.html"), "{:?}", got.headers);
}

tidings_tests::both_modes!(media_never_runs_as_a_page);

fn small_decode_budget(s: &mut Settings) {
    s.media.decode_budget_mib = 8;
}

/// Image decoding shares one memory budget: uploads that together need more than it wait their
/// turn (all get their thumbnails), and an image whose bitmap alone exceeds it is kept without
/// a thumbnail instead of being decoded. (Eight big PNGs at once once took 1.8 GB.)
async fn image_decoding_stays_within_its_budget(backend: Backend) {
    let srv = media_server(backend, small_decode_budget).await;
    let alice = srv.api.user("alice", "a1").await;
    // 1,000 × 1,000 needs ~4 MiB decoded: two fit the 8 MiB budget at a time.
    let uploads = (0..6).map(|_| upload(&srv.api, &alice, "kind=image", "image/png", png(1000, 1000)));
    for (status, body) in futures_util::future::join_all(uploads).await {
        assert_eq!(status, 201, "{body}");
        let id = body["media_id"].as_str().unwrap();
        let thumb = fetch(srv.port(), &format!("/api/v1/media/{id}/thumbnail"), Some(&alice.access_token), &[]).await;
        assert_eq!(thumb.status, 200, "{}", thumb.code());
    }
    // 2,000 × 1,500 needs ~12 MiB: over the whole budget, so no decode and no thumbnail.
    let (status, body) = upload(&srv.api, &alice, "kind=image", "image/png", png(2000, 1500)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!((body["width"].as_u64(), body["height"].as_u64()), (Some(2000), Some(1500)), "{body}");
    let id = body["media_id"].as_str().unwrap();
    let thumb = fetch(srv.port(), &format!("/api/v1/media/{id}/thumbnail"), Some(&alice.access_token), &[]).await;
    assert_eq!((thumb.status, thumb.code()), (404, "media_not_found".to_owned()));
}

tidings_tests::both_modes!(image_decoding_stays_within_its_budget);

fn media_on_own_origin(s: &mut Settings) {
    s.media.origin = Some("http://media.test".into());
}

/// With `media.origin` set, media are only served on that host: a download asked on the API's
/// host is redirected there (307, same path and query, the token included), and served there.
async fn media_move_to_their_own_origin(backend: Backend) {
    let srv = media_server(backend, media_on_own_origin).await;
    let alice = srv.api.user("alice", "a1").await;
    let (status, body) = upload(&srv.api, &alice, "kind=image", "image/png", png(8, 8)).await;
    assert_eq!(status, 201, "{body}");
    let id = body["media_id"].as_str().unwrap();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let path = format!("/api/v1/media/{id}?token={}", alice.access_token);
    let on_api = client.get(format!("http://127.0.0.1:{}{path}", srv.port())).send().await.unwrap();
    assert_eq!(on_api.status().as_u16(), 307);
    let location = on_api.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(location, format!("http://media.test{path}"));
    let thumb = client
        .get(format!("http://127.0.0.1:{}/api/v1/media/{id}/thumbnail", srv.port()))
        .bearer_auth(&alice.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(thumb.status().as_u16(), 307);
    // On the media origin (here: the same server, asked for that host) it is served.
    let on_media =
        client.get(format!("http://127.0.0.1:{}{path}", srv.port())).header("host", "media.test").send().await.unwrap();
    assert_eq!(on_media.status().as_u16(), 200);
    assert_eq!(on_media.bytes().await.unwrap().to_vec(), png(8, 8));
    // The rest of the API stays where it was.
    let (status, _) = srv.api.call("GET", "/api/v1/conversations", Some(&alice.access_token), None).await;
    assert_eq!(status, 200);
}

tidings_tests::both_modes!(media_move_to_their_own_origin);
