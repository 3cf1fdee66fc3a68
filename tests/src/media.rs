//! Media helpers for the suites: tiny fixtures of each kind (images drawn with the `image`
//! crate, audio and video as the magic bytes their formats start with), raw uploads and
//! downloads, and the settings that point a server at the fake S3 server.

use std::io::Cursor;

use serde_json::Value;
use tidings_interfaces::Settings;

use crate::client::{Api, Login, WAIT};

/// A `w`x`h` PNG with a colour gradient.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, 128]));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap_or_else(|e| panic!("png: {e}"));
    out.into_inner()
}

/// A `w`x`h` JPEG.
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 3) as u8, (y * 3) as u8, 60]));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap_or_else(|e| panic!("jpeg: {e}"));
    out.into_inner()
}

/// `n` bytes of an Ogg stream (the page magic, then a counting pattern).
pub fn ogg(n: usize) -> Vec<u8> {
    let mut v = b"OggS\0\x02".to_vec();
    v.extend((0..n.saturating_sub(6)).map(|i| (i % 251) as u8));
    v
}

/// `n` bytes of an MP4 file (an `ftyp isom` box, then a counting pattern).
pub fn mp4(n: usize) -> Vec<u8> {
    let mut v = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2".to_vec();
    v.extend((0..n.saturating_sub(v.len())).map(|i| (i % 241) as u8));
    v
}

/// `POST /api/v1/media?{query}` with a raw body.
pub async fn upload(api: &Api, who: &Login, query: &str, content_type: &str, bytes: Vec<u8>) -> (u16, Value) {
    api.call_raw(&format!("/api/v1/media?{query}"), Some(&who.access_token), content_type, bytes).await
}

/// Uploads and returns the media id, panicking unless it was stored.
pub async fn upload_ok(api: &Api, who: &Login, kind: &str, content_type: &str, bytes: Vec<u8>) -> String {
    let (status, body) = upload(api, who, &format!("kind={kind}"), content_type, bytes).await;
    assert_eq!(status, 201, "upload of a {kind}: {body}");
    body["media_id"].as_str().unwrap_or_default().to_owned()
}

/// A download's status, headers and bytes.
pub struct Fetched {
    /// HTTP status.
    pub status: u16,
    /// Headers (lower-case names).
    pub headers: reqwest::header::HeaderMap,
    /// Body.
    pub bytes: Vec<u8>,
}

impl Fetched {
    /// A header as text ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The body as a JSON error code ("-" when it is not one).
    pub fn code(&self) -> String {
        serde_json::from_slice::<Value>(&self.bytes)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "-".into())
    }
}

/// `GET {base}{path}` with optional bearer token and extra headers.
pub async fn fetch(base_port: u16, path: &str, token: Option<&str>, headers: &[(&str, &str)]) -> Fetched {
    let mut req = reqwest::Client::new().get(format!("http://127.0.0.1:{base_port}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = tokio::time::timeout(WAIT, req.send())
        .await
        .unwrap_or_else(|_| panic!("{path}: no response in time"))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    Fetched { status, headers, bytes }
}

/// Points a server's media store at the process's fake S3 server.
pub fn use_fake_s3(s: &mut Settings) {
    s.media.store = tidings_interfaces::settings::MediaStoreKind::S3;
    s.media.s3_endpoint = Some(crate::fake_s3::endpoint());
    s.media.s3_bucket = "tidings-media".into();
    s.media.s3_region = "us-east-1".into();
    s.media.s3_access_key_id = "test-key".into();
    s.media.s3_secret_access_key = "test-secret".into();
    s.media.s3_allow_http = true;
}
