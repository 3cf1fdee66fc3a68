//! Media: upload and download of every kind (image with dimensions and thumbnail, file, voice
//! and video with Range requests), per-kind limits and type checks that store nothing, the same
//! bytes stored once, access (uploader, members of a conversation it was sent in, nobody else,
//! also when sending it), bad input, and the retention purge. Embedded mode keeps blobs in the
//! data dir; cluster mode puts them in S3 (a fake S3 server on loopback) and downloads from the
//! second instance what the first one stored.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use sha2::Digest as _;
use tidings_interfaces::Settings;
use tidings_tests::client::{Login, direct};
use tidings_tests::helpers::send;
use tidings_tests::media::{Fetched, fetch, jpeg, mp4, ogg, png, upload, upload_ok, use_fake_s3};
use tidings_tests::{Backend, fake_s3, spawn_server_with};

fn small(s: &mut Settings) {
    s.media.max_image_bytes = 60_000;
    s.media.max_file_bytes = 2_000;
    s.media.max_voice_bytes = 3_000;
    s.media.max_video_bytes = 4_000;
    s.limits.max_media_side = 2_000;
}

/// The story's own bucket of the shared fake S3: other cluster tests upload into theirs at the
/// same time, and the story counts what its bucket holds.
const BUCKET: &str = "tidings-media-story";

fn small_on_s3(s: &mut Settings) {
    small(s);
    use_fake_s3(s);
    s.media.s3_bucket = BUCKET.into();
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

async fn get(port: u16, id: &str, who: &Login, headers: &[(&str, &str)]) -> Fetched {
    fetch(port, &format!("/api/v1/media/{id}"), Some(&who.access_token), headers).await
}

async fn media_story(backend: Backend) {
    let configure = if backend == Backend::Cluster { small_on_s3 } else { small };
    let srv = spawn_server_with(backend, configure).await;
    let peer = srv.peer().await;
    // Downloads go to the other instance in cluster mode: it never saw the upload.
    let there = peer.as_ref().map_or(srv.port(), |p| p.port());
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let eve = api.user("eve", "e1").await;

    // An image: dimensions, thumbnail, content type from the bytes, sha256 as ETag.
    let picture = png(300, 200);
    let (status, img) = upload(api, &alice, "kind=image", "image/png", picture.clone()).await;
    assert_eq!(status, 201, "{img}");
    assert_eq!(
        (&img["kind"], &img["content_type"], &img["size"], &img["width"], &img["height"], &img["thumbnail"]),
        (&json!("image"), &json!("image/png"), &json!(picture.len()), &json!(300), &json!(200), &json!(true))
    );
    assert_eq!(img["sha256"], json!(sha(&picture)));
    let img_id = img["media_id"].as_str().unwrap().to_owned();

    // The uploader fetches it before sending it anywhere.
    let got = get(there, &img_id, &alice, &[]).await;
    assert_eq!((got.status, got.bytes == picture), (200, true), "{}", got.code());
    assert_eq!(got.header("content-type"), "image/png");
    assert_eq!(got.header("etag"), format!("\"{}\"", sha(&picture)));
    assert_eq!(got.header("accept-ranges"), "bytes");
    assert!(got.header("cache-control").contains("private"), "{}", got.header("cache-control"));
    let again = get(there, &img_id, &alice, &[("if-none-match", got.header("etag"))]).await;
    assert_eq!(again.status, 304);
    // `?token=` for <img src>.
    let by_query = fetch(there, &format!("/api/v1/media/{img_id}?token={}", alice.access_token), None, &[]).await;
    assert_eq!((by_query.status, by_query.bytes == picture), (200, true));
    let thumb = fetch(there, &format!("/api/v1/media/{img_id}/thumbnail"), Some(&alice.access_token), &[]).await;
    assert_eq!((thumb.status, thumb.header("content-type")), (200, "image/png"), "{}", thumb.code());
    let small_img = image::load_from_memory(&thumb.bytes).unwrap();
    assert_eq!(small_img.width(), 256, "longest side is media.thumbnail_side");
    assert!((170..=171).contains(&small_img.height()), "aspect kept: {}", small_img.height());

    // Nobody else may fetch it yet; unknown and forbidden look the same.
    for who in [&bob, &eve] {
        let refused = get(there, &img_id, who, &[]).await;
        assert_eq!((refused.status, refused.code().as_str()), (404, "media_not_found"));
    }
    let unknown = get(there, "md_01JXXXXXXXXXXXXXXXXXXXXXXX", &alice, &[]).await;
    assert_eq!((unknown.status, unknown.code().as_str()), (404, "media_not_found"));

    // Eve may not send Alice's unsent upload; nothing is stored.
    let eve_bob = direct(&eve.user_id, &bob.user_id);
    let (status, err) =
        send(api, &eve, &eve_bob, "steal", "image", json!({"media_id": img_id, "width": 300, "height": 200})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (404, Some("media_not_found")), "{err}");
    assert!(api.all_messages(&bob, &eve_bob).await.is_empty(), "a refused send stores nothing");

    // Alice sends it to Bob: now Bob (a member of that conversation) may fetch it, Eve still not.
    let alice_bob = direct(&alice.user_id, &bob.user_id);
    let (status, ack) =
        send(api, &alice, &alice_bob, "img-1", "image", json!({"media_id": img_id, "width": 300, "height": 200})).await;
    assert_eq!(status, 201, "{ack}");
    let bobs = get(there, &img_id, &bob, &[]).await;
    assert_eq!((bobs.status, bobs.bytes == picture), (200, true), "{}", bobs.code());
    assert_eq!(get(there, &img_id, &eve, &[]).await.status, 404);
    // A member may forward it; then the new conversation's members may fetch it.
    let (status, ack) =
        send(api, &bob, &eve_bob, "fwd-1", "file", json!({"media_id": img_id, "name": "pic.png", "size": 1})).await;
    assert_eq!(status, 201, "{ack}");
    assert_eq!(get(there, &img_id, &eve, &[]).await.status, 200);
    // A media message must match its upload's kind (file messages carry anything).
    let (status, err) =
        send(api, &alice, &alice_bob, "img-as-voice", "voice", json!({"media_id": img_id, "duration_ms": 5})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (400, Some("invalid_field")), "{err}");

    // A JPEG has its dimensions too.
    let (status, j) = upload(api, &alice, "kind=image", "image/jpeg", jpeg(40, 30)).await;
    assert_eq!(
        (status, &j["width"], &j["height"], &j["content_type"]),
        (201, &json!(40), &json!(30), &json!("image/jpeg"))
    );

    // A file: any bytes, served with the declared type, its name kept.
    let notes = b"meeting notes\n".repeat(10);
    let (status, file) = upload(api, &alice, "kind=file&name=notes.txt", "text/plain", notes.clone()).await;
    assert_eq!((status, &file["name"], &file["thumbnail"]), (201, &json!("notes.txt"), &json!(false)), "{file}");
    let file_id = file["media_id"].as_str().unwrap();
    let got = get(there, file_id, &alice, &[]).await;
    assert_eq!((got.status, got.header("content-type"), got.bytes == notes), (200, "text/plain", true));
    let no_thumb = fetch(there, &format!("/api/v1/media/{file_id}/thumbnail"), Some(&alice.access_token), &[]).await;
    assert_eq!((no_thumb.status, no_thumb.code().as_str()), (404, "media_not_found"));

    // Voice and video with Range requests.
    let clip = ogg(2_500);
    let voice_id = upload_ok(api, &alice, "voice", "audio/ogg", clip.clone()).await;
    let part = get(there, &voice_id, &alice, &[("range", "bytes=0-99")]).await;
    assert_eq!((part.status, part.header("content-range")), (206, "bytes 0-99/2500"));
    assert_eq!((part.header("content-length"), part.bytes.as_slice()), ("100", &clip[..100]));
    let tail = get(there, &voice_id, &alice, &[("range", "bytes=2400-")]).await;
    assert_eq!((tail.status, tail.bytes.as_slice()), (206, &clip[2400..]));
    let last = get(there, &voice_id, &alice, &[("range", "bytes=-10")]).await;
    assert_eq!(
        (last.status, last.header("content-range"), last.bytes.as_slice()),
        (206, "bytes 2490-2499/2500", &clip[2490..])
    );
    for bad in ["bytes=2500-", "bytes=0-1,5-6", "bytes=9-3", "pages=1-2"] {
        let refused = get(there, &voice_id, &alice, &[("range", bad)]).await;
        assert_eq!((refused.status, refused.code().as_str()), (416, "range_not_satisfiable"), "{bad}");
        assert_eq!(refused.header("content-range"), "bytes */2500", "{bad}");
    }
    let film = mp4(3_500);
    let video_id = upload_ok(api, &alice, "video", "video/mp4", film.clone()).await;
    let mid = get(there, &video_id, &alice, &[("range", "bytes=1000-1999")]).await;
    assert_eq!(
        (mid.status, mid.header("content-range"), mid.bytes.as_slice()),
        (206, "bytes 1000-1999/3500", &film[1000..2000])
    );
    let (status, ack) = send(
        api,
        &alice,
        &alice_bob,
        "vid-1",
        "video",
        json!({"media_id": video_id, "duration_ms": 9, "width": 2, "height": 2}),
    )
    .await;
    assert_eq!(status, 201, "{ack}");
    assert_eq!(get(there, &video_id, &bob, &[("range", "bytes=0-0")]).await.bytes, film[..1].to_vec());

    // Refusals store nothing: over a kind's limit (413), bytes not of the kind or not of the
    // declared type (415), an image past the side limit, bad input.
    // Only the cluster variant stores in the (process-wide) fake S3; the embedded variant must
    // not look there, or it sees the cluster variant's uploads running at the same time.
    let on_s3 = srv.cluster().is_some();
    let staged_and_stored = || {
        let mut local = files_under(&srv.data_dir().join("media"));
        local.sort();
        (local, if on_s3 { fake_s3::keys_containing(&format!("/{BUCKET}/")) } else { Vec::new() })
    };
    let before = staged_and_stored();
    let refusals: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        ("kind=voice", "audio/ogg", ogg(3_001), 413, "media_too_large"),
        ("kind=file", "text/plain", vec![b'x'; 2_001], 413, "media_too_large"),
        ("kind=video", "video/mp4", mp4(4_001), 413, "media_too_large"),
        ("kind=image", "image/png", png(2_001, 1), 413, "media_too_large"),
        ("kind=image", "image/jpeg", png(10, 10), 415, "media_type_mismatch"),
        ("kind=image", "image/png", notes.clone(), 415, "media_type_mismatch"),
        ("kind=voice", "audio/ogg", png(10, 10), 415, "media_type_mismatch"),
        ("kind=video", "video/mp4", ogg(100), 415, "media_type_mismatch"),
        ("kind=sticker", "image/png", png(10, 10), 400, "invalid_field"),
        ("name=x", "image/png", png(10, 10), 400, "invalid_field"),
        ("kind=file", "text/plain", Vec::new(), 400, "invalid_field"),
    ];
    for (query, ct, bytes, want_status, want_code) in refusals {
        let (status, err) = upload(api, &alice, query, ct, bytes).await;
        assert_eq!((status, err["error"]["code"].as_str()), (want_status, Some(want_code)), "{query} {ct}: {err}");
    }
    // A streamed body without Content-Length is cut off as soon as it passes the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..6).map(|_| Ok(vec![b'y'; 700])).collect();
    let streamed = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/api/v1/media?kind=file", srv.port()))
        .bearer_auth(&alice.access_token)
        .header("content-type", "text/plain")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status().as_u16(), 413);
    let err: Value = streamed.json().await.unwrap();
    assert_eq!(err["error"]["code"], "media_too_large", "{err}");
    let (status, _) = api.call_raw("/api/v1/media?kind=file", None, "text/plain", b"hi".to_vec()).await;
    assert_eq!(status, 401);
    assert_eq!(staged_and_stored(), before, "refused uploads leave no file and no object");
    let bad_id = fetch(there, "/api/v1/media/not%20an%20id", Some(&alice.access_token), &[]).await;
    assert_eq!((bad_id.status, bad_id.code().as_str()), (400, "invalid_field"));
    assert_eq!(fetch(there, &format!("/api/v1/media/{img_id}"), None, &[]).await.status, 401);

    // The same bytes uploaded again: a new media id, one stored blob.
    let (status, twin) = upload(api, &bob, "kind=image", "image/png", picture.clone()).await;
    assert_eq!((status, &twin["sha256"]), (201, &img["sha256"]));
    assert_ne!(twin["media_id"], img["media_id"]);
    let key = sha(&picture);
    match backend {
        Backend::Embedded => {
            let copies: Vec<_> = files_under(&srv.data_dir().join("media"))
                .into_iter()
                .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy() == key))
                .collect();
            assert_eq!(copies.len(), 1, "{copies:?}");
            assert!(files_under(&srv.data_dir().join("media/tmp")).is_empty(), "no staging file left");
        }
        Backend::Cluster => {
            let objects = fake_s3::keys_containing(&key);
            assert_eq!(objects, vec![format!("/{BUCKET}/{key}"), format!("/{BUCKET}/{key}.thumb")]);
        }
    }
}

tidings_tests::both_modes!(media_story);

/// The retention purge, on the real SQLite repository and local store: old uploads go, and a
/// blob goes only when no remaining upload points at it.
#[tokio::test]
async fn purge_removes_old_uploads_and_orphaned_blobs() {
    use tidings_app::media::{MediaLimits, MediaService, Staged, UploadMeta};
    use tidings_domain::UserId;
    use tidings_domain::media::MediaKind;
    use tidings_infrastructure::db::{self, DbOptions, SqlConversationStore, SqlMediaRepository};
    use tidings_infrastructure::media::{ImageCrateInspector, LocalMediaStore};

    let dir = tempfile::tempdir().unwrap();
    let db = db::connect_and_migrate(&DbOptions {
        url: format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()),
        max_connections: 2,
        acquire_timeout: std::time::Duration::from_secs(5),
        sqlite_sync_every_commit: true,
    })
    .await
    .unwrap();
    let media_dir = dir.path().join("media");
    let service = MediaService::new(
        Arc::new(SqlMediaRepository::new(db.clone())),
        Arc::new(LocalMediaStore::new(&media_dir)),
        Arc::new(ImageCrateInspector::new(64, 1)),
        Arc::new(SqlConversationStore::new(db.clone())),
        MediaLimits {
            max_image_bytes: 1 << 20,
            max_file_bytes: 1 << 20,
            max_voice_bytes: 1 << 20,
            max_video_bytes: 1 << 20,
            max_side: 4096,
            thumb_side: 64,
        },
    );
    let owner = UserId::parse("u_owner").unwrap();
    let n = std::sync::atomic::AtomicU32::new(0);
    let put = |bytes: Vec<u8>, kind: MediaKind, ct: &'static str| {
        let path = dir.path().join(format!("staged-{}", n.fetch_add(1, std::sync::atomic::Ordering::SeqCst)));
        std::fs::write(&path, &bytes).unwrap();
        let staged = Staged { path, size: bytes.len() as u64, sha256: sha(&bytes), head: bytes[..16].to_vec() };
        let service = &service;
        let owner = owner.clone();
        async move {
            let meta = UploadMeta { kind, declared_type: Some(ct.into()), name: None };
            service.upload(&owner, meta, &staged).await.unwrap()
        }
    };
    let kept_bytes = b"kept by a newer upload".repeat(3);
    let old_shared = put(kept_bytes.clone(), MediaKind::File, "text/plain").await;
    let old_alone = put(png(80, 40), MediaKind::Image, "image/png").await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let cutoff = tidings_app::clock::now_ms();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let new_shared = put(kept_bytes.clone(), MediaKind::File, "text/plain").await;
    let blob = |key: &str| media_dir.join(&key[0..2]).join(&key[2..4]).join(key);
    assert!(blob(&old_alone.sha256).exists() && blob(&format!("{}.thumb", old_alone.sha256)).exists());

    let report = service.purge_before(cutoff).await.unwrap();
    assert_eq!((report.media, report.blobs), (2, 1));
    assert!(!blob(&old_alone.sha256).exists(), "an orphaned blob is deleted");
    assert!(!blob(&format!("{}.thumb", old_alone.sha256)).exists(), "with its thumbnail");
    assert!(blob(&new_shared.sha256).exists(), "a blob a newer upload points at stays");
    for gone in [&old_shared.id, &old_alone.id] {
        assert!(matches!(service.authorize(&owner, gone).await, Err(tidings_app::AppError::MediaNotFound)));
    }
    assert_eq!(service.authorize(&owner, &new_shared.id).await.unwrap().sha256, sha(&kept_bytes));
    assert_eq!(service.purge_before(cutoff).await.unwrap(), tidings_app::media::PurgeReport::default());
}
