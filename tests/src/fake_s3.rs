//! A small S3-compatible server on loopback for the cluster-mode media tests (S3 cannot run
//! here): `PUT`, `GET` (with `Range`), `HEAD` and `DELETE` of `/{bucket}/{key}`, objects kept in
//! memory, every request required to carry an AWS SigV4 `Authorization` header. One server per
//! test process, on its own thread and runtime so it outlives any one test's runtime.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Objects by `/{bucket}/{key}` path.
type Objects = Mutex<HashMap<String, Vec<u8>>>;

static OBJECTS: OnceLock<Objects> = OnceLock::new();
static ENDPOINT: OnceLock<String> = OnceLock::new();

fn objects() -> &'static Objects {
    OBJECTS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// `http://127.0.0.1:{port}` of the process's fake S3 server (started on first use).
pub fn endpoint() -> String {
    ENDPOINT
        .get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                let Ok(rt) = rt else { return };
                rt.block_on(async move {
                    let listener =
                        TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind fake S3: {e}"));
                    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
                    let _ = tx.send(port);
                    while let Ok((stream, _)) = listener.accept().await {
                        tokio::spawn(async move {
                            let _ = serve(stream).await;
                        });
                    }
                });
            });
            let port = rx.recv().unwrap_or_else(|e| panic!("fake S3 did not start: {e}"));
            format!("http://127.0.0.1:{port}")
        })
        .clone()
}

/// The object paths (`/{bucket}/{key}`) stored now whose key contains `part`.
pub fn keys_containing(part: &str) -> Vec<String> {
    let map = objects().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut keys: Vec<String> = map.keys().filter(|k| k.contains(part)).cloned().collect();
    keys.sort();
    keys
}

/// One request: method, path, lower-case headers, body.
struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// Reads one request off a keep-alive connection; `None` when the client closed it.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Option<Request>> {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let target = first.next().unwrap_or_default();
    let path = target.split('?').next().unwrap_or_default().to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    buf.drain(..head_end + 4);
    while buf.len() < len {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body: Vec<u8> = buf.drain(..len).collect();
    Ok(Some(Request { method, path, headers, body }))
}

fn etag(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("\"{}\"", hex::encode(&sha2::Sha256::digest(bytes)[..16]))
}

/// `(status, headers, body)` for one request.
fn answer(req: &Request) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let signed = req.headers.get("authorization").is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256 Credential="));
    if !signed {
        return (403, Vec::new(), b"<Error><Code>AccessDenied</Code></Error>".to_vec());
    }
    let mut map = objects().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let not_found = || (404, Vec::new(), b"<Error><Code>NoSuchKey</Code><Message>none</Message></Error>".to_vec());
    match req.method.as_str() {
        "PUT" => {
            let tag = etag(&req.body);
            map.insert(req.path.clone(), req.body.clone());
            (200, vec![("etag".into(), tag)], Vec::new())
        }
        "DELETE" => {
            map.remove(&req.path);
            (204, Vec::new(), Vec::new())
        }
        "GET" | "HEAD" => {
            let Some(data) = map.get(&req.path) else { return not_found() };
            let size = data.len();
            let mut headers = vec![
                ("etag".to_owned(), etag(data)),
                ("last-modified".to_owned(), "Sun, 22 Nov 2026 12:00:00 GMT".to_owned()),
                ("accept-ranges".to_owned(), "bytes".to_owned()),
            ];
            let range = req.headers.get("range").and_then(|r| {
                let (a, b) = r.strip_prefix("bytes=")?.split_once('-')?;
                let a: usize = a.parse().ok()?;
                let b: usize = if b.is_empty() { size.saturating_sub(1) } else { b.parse().ok()? };
                (a < size).then(|| (a, b.min(size.saturating_sub(1))))
            });
            let (status, body) = match range {
                Some((a, b)) => {
                    headers.push(("content-range".into(), format!("bytes {a}-{b}/{size}")));
                    (206, data[a..=b].to_vec())
                }
                None => (200, data.clone()),
            };
            headers.push(("content-length".into(), body.len().to_string()));
            (status, headers, body)
        }
        _ => (405, Vec::new(), Vec::new()),
    }
}

async fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    let mut buf = Vec::new();
    while let Some(req) = read_request(&mut stream, &mut buf).await? {
        let (status, headers, body) = answer(&req);
        let mut head = format!("HTTP/1.1 {status} X\r\n");
        let has_len = headers.iter().any(|(k, _)| k == "content-length");
        for (k, v) in &headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !has_len {
            head.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await?;
        // A HEAD answer has the headers of a GET and never a body.
        if req.method != "HEAD" {
            stream.write_all(&body).await?;
        }
    }
    Ok(())
}
