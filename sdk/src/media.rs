//! Media: upload bytes, download them (or an image's thumbnail), and send a message that
//! carries an upload. The server checks the bytes against the kind and decides who may fetch
//! them (the uploader, and members of conversations the media was sent in).

use serde_json::json;
use tidings_protocol::media::MediaInfo;

use crate::SdkError;
use crate::client::Client;
use crate::rest::percent_encode;
use crate::social::path_id;
use crate::types::{Message, UploadedMedia};

fn uploaded(m: MediaInfo) -> UploadedMedia {
    UploadedMedia {
        media_id: m.media_id,
        kind: m.kind,
        content_type: m.content_type,
        size: m.size,
        name: m.name,
        width: m.width,
        height: m.height,
        thumbnail: m.thumbnail,
    }
}

impl Client {
    /// Uploads `bytes` as `kind` (`image`, `file`, `voice` or `video`) of `content_type`, with a
    /// file `name` for files. The server refuses bytes that are not of the kind or type
    /// (`media_type_mismatch`) and uploads over the kind's limit (`media_too_large`).
    pub async fn upload_media(
        &self,
        kind: String,
        content_type: String,
        bytes: Vec<u8>,
        name: Option<String>,
    ) -> Result<UploadedMedia, SdkError> {
        if !matches!(kind.as_str(), "image" | "file" | "voice" | "video") {
            return Err(SdkError::InvalidInput { message: format!("unknown media kind {kind:?}") });
        }
        let mut path = format!("/api/v1/media?kind={kind}");
        if let Some(name) = &name {
            path.push_str(&format!("&name={}", percent_encode(name)));
        }
        let info: MediaInfo = self.inner().rest.upload(&path, &content_type, &bytes).await?;
        Ok(uploaded(info))
    }

    /// The bytes of an upload the user may see.
    pub async fn download_media(&self, media_id: String) -> Result<Vec<u8>, SdkError> {
        let id = path_id(&media_id)?;
        self.inner().rest.download(&format!("/api/v1/media/{id}")).await
    }

    /// An image upload's thumbnail (PNG).
    pub async fn download_thumbnail(&self, media_id: String) -> Result<Vec<u8>, SdkError> {
        let id = path_id(&media_id)?;
        self.inner().rest.download(&format!("/api/v1/media/{id}/thumbnail")).await
    }

    /// Sends a message carrying `media` (its kind decides the message kind). Voice and video
    /// need `duration_ms`; images and videos carry the width and height the server measured
    /// (videos: pass them in `media` when the app knows them).
    pub async fn send_media(
        &self,
        conv: String,
        media: UploadedMedia,
        duration_ms: Option<u64>,
    ) -> Result<Message, SdkError> {
        let need_duration = || {
            duration_ms.ok_or_else(|| SdkError::InvalidInput { message: format!("{} needs duration_ms", media.kind) })
        };
        let body = match media.kind.as_str() {
            "image" => {
                json!({"media_id": media.media_id, "width": media.width.unwrap_or(0), "height": media.height.unwrap_or(0)})
            }
            "file" => {
                json!({"media_id": media.media_id, "name": media.name.clone().unwrap_or_else(|| "file".into()), "size": media.size})
            }
            "voice" => json!({"media_id": media.media_id, "duration_ms": need_duration()?}),
            "video" => json!({
                "media_id": media.media_id,
                "duration_ms": need_duration()?,
                "width": media.width.unwrap_or(0),
                "height": media.height.unwrap_or(0),
            }),
            other => return Err(SdkError::InvalidInput { message: format!("unknown media kind {other:?}") }),
        };
        self.send_message(conv, media.kind.clone(), body.to_string()).await
    }
}

#[cfg(test)]
mod tests {
    use super::percent_encode;

    #[test]
    fn names_are_escaped_for_the_query() {
        assert_eq!(percent_encode("report 1.pdf"), "report%201.pdf");
        assert_eq!(percent_encode("a&b=c"), "a%26b%3Dc");
        assert_eq!(percent_encode("é"), "%C3%A9");
    }
}
