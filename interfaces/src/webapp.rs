//! The web app (`web/`): its built files, `web/dist`, are compiled into the binary and served at
//! `/` and `/assets/…` with a strict Content-Security-Policy, so a fresh clone and `cargo run
//! --release` open a chat in the browser with no Node.js on the machine. The `web_dir` setting
//! serves a local build instead, for working on the app without rebuilding the server.
//!
//! The app routes itself with the URL's fragment (`/#/admin`), so no API path is ever shadowed
//! by a page, and every path not listed here keeps the API's JSON 404.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

use rust_embed::RustEmbed;
use sha2::{Digest as _, Sha256};

/// The files `npm run build` wrote into `web/dist` (each text asset also as a `.gz`).
#[derive(RustEmbed)]
#[folder = "../web/dist"]
struct WebDist;

/// What the app may load and where it may connect: only itself (scripts and styles from its own
/// files, never inline), images it fetched into `blob:` URLs, and the API and `/ws` of this
/// origin. Nothing may frame it, and forms and `<base>` cannot send it elsewhere.
const APP_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; \
     manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Where the app's files come from: the copy built into the binary, or a directory on disk.
#[derive(Debug, Clone)]
pub struct WebFiles {
    dir: Option<PathBuf>,
}

/// One file of the app, ready to send.
struct WebFile {
    bytes: Cow<'static, [u8]>,
    mime: String,
    etag: String,
}

impl WebFiles {
    /// The built-in files, or those under `dir` when it is set.
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self { dir }
    }

    /// The file at `name` (a path relative to the build's root), if it exists and stays inside it.
    async fn get(&self, name: &str) -> Option<WebFile> {
        let relative = Path::new(name);
        if !relative.components().all(|c| matches!(c, Component::Normal(_))) {
            return None;
        }
        let Some(dir) = &self.dir else {
            let file = WebDist::get(name)?;
            let etag = tag_of(&file.metadata.sha256_hash());
            return Some(WebFile { mime: mime_of(name), bytes: file.data, etag });
        };
        let bytes = tokio::fs::read(dir.join(relative)).await.ok()?;
        let etag = tag_of(&Sha256::digest(&bytes).into());
        Some(WebFile { bytes: Cow::Owned(bytes), mime: mime_of(name), etag })
    }
}

/// The content type of a file of the app, by its extension (text types in UTF-8).
fn mime_of(name: &str) -> String {
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    if mime.type_() == mime_guess::mime::TEXT || mime.subtype() == mime_guess::mime::JAVASCRIPT {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    }
}

/// Registers the app's pages and assets (GET).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/index.html", web::get().to(index))
        .route("/assets/{file:.+}", web::get().to(asset));
}

/// The app's one page; never cached, so a new release is picked up at the next load.
async fn index(req: HttpRequest, files: web::Data<WebFiles>) -> HttpResponse {
    respond(&req, &files, "index.html", "no-cache").await
}

/// A built asset. Its name carries its content hash, so it may be cached for good.
async fn asset(req: HttpRequest, files: web::Data<WebFiles>, file: web::Path<String>) -> HttpResponse {
    let name = format!("assets/{}", file.into_inner());
    if name.ends_with(".gz") {
        return crate::rest::not_found().await;
    }
    respond(&req, &files, &name, "public, max-age=31536000, immutable").await
}

/// The file's response (304 when the browser's copy is current), in its gzip form when the
/// client takes gzip and the build wrote one; the JSON 404 when there is no such file.
async fn respond(req: &HttpRequest, files: &WebFiles, name: &str, cache: &'static str) -> HttpResponse {
    let Some(file) = files.get(name).await else {
        return crate::rest::not_found().await;
    };
    let current = matches_tag(req, &file.etag);
    let mut response = if current { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response
        .insert_header((header::CONTENT_TYPE, file.mime))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((header::CONTENT_SECURITY_POLICY, APP_CSP));
    if let Ok(tag) = HeaderValue::from_str(&file.etag) {
        response.insert_header((header::ETAG, tag));
    }
    if current {
        return response.finish();
    }
    if takes_gzip(req)
        && let Some(packed) = files.get(&format!("{name}.gz")).await
    {
        response.insert_header((header::CONTENT_ENCODING, "gzip"));
        return response.body(body_of(packed.bytes));
    }
    response.body(body_of(file.bytes))
}

/// The bytes as a body: the binary's own copy without copying it, a file read from disk as it is.
fn body_of(bytes: Cow<'static, [u8]>) -> actix_web::web::Bytes {
    match bytes {
        Cow::Borrowed(built_in) => actix_web::web::Bytes::from_static(built_in),
        Cow::Owned(read) => actix_web::web::Bytes::from(read),
    }
}

/// A strong validator from the file's SHA-256 (same bytes, same tag, in every instance).
fn tag_of(hash: &[u8; 32]) -> String {
    format!("\"{}\"", hex::encode(&hash[..12]))
}

/// Whether the request's `If-None-Match` names this tag (the browser's copy is current).
fn matches_tag(req: &HttpRequest, tag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == tag))
}

/// Whether the request's `Accept-Encoding` names gzip with a nonzero weight.
fn takes_gzip(req: &HttpRequest) -> bool {
    let Some(accepted) = req.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    accepted.split(',').any(|part| {
        let mut pieces = part.split(';');
        let coding = pieces.next().unwrap_or("").trim();
        let refused =
            pieces.any(|p| matches!(p.trim().replace(' ', "").as_str(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}
