// Images and files in messages. Media needs the bearer token, so bytes are fetched with it and
// shown through `blob:` URLs (the CSP allows `img-src blob:`), cached per path for the session.
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorOf } from '../api/errors';
import { fetchAuthed } from '../api/http';
import { useT } from '../i18n';
import { formatSize } from './format';
import { FileIcon } from './icons';

const blobCache = new Map<string, Promise<string>>();
const CACHE_LIMIT = 300;

/** A `blob:` URL of an authenticated download (cached; the oldest are released past the limit). */
export function blobUrl(path: string): Promise<string> {
  let url = blobCache.get(path);
  if (!url) {
    url = fetchAuthed('GET', path).then(async (response) => {
      if (!response.ok) throw await errorOf(response);
      return URL.createObjectURL(await response.blob());
    });
    url.catch(() => blobCache.delete(path));
    blobCache.set(path, url);
    if (blobCache.size > CACHE_LIMIT) {
      const [oldest, value] = blobCache.entries().next().value as [string, Promise<string>];
      blobCache.delete(oldest);
      void value.then(URL.revokeObjectURL, () => {});
    }
  }
  return url;
}

function useBlobUrl(path: string | null): { url: string | null; failed: boolean } {
  const [state, setState] = useState<{ url: string | null; failed: boolean }>({ url: null, failed: false });
  useEffect(() => {
    if (!path) return;
    let live = true;
    blobUrl(path).then(
      (url) => live && setState({ url, failed: false }),
      () => live && setState({ url: null, failed: true }),
    );
    return () => {
      live = false;
    };
  }, [path]);
  return state;
}

/** Box size of a thumbnail, from the image's own size (so the row's height is known early). */
function thumbBox(width: number, height: number): { width: number; height: number } {
  const max = 220;
  if (!width || !height) return { width: max, height: max };
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(40, Math.round(width * scale)), height: Math.max(40, Math.round(height * scale)) };
}

/** An image message: its thumbnail, opening the full image on click. */
export function ImageMessage({ mediaId, width, height, alt }: { mediaId: string; width: number; height: number; alt: string }) {
  const t = useT();
  const { url, failed } = useBlobUrl(`/api/v1/media/${encodeURIComponent(mediaId)}/thumbnail`);
  const [preview, setPreview] = useState(false);
  const box = thumbBox(width, height);
  return (
    <>
      <button type="button" class="thumb-button" onClick={() => setPreview(true)} aria-label={t('chat.image.open')}>
        <span class="thumb-box" style={{ width: `${box.width}px`, height: `${box.height}px` }}>
          {url ? (
            <img src={url} alt={alt} data-testid="thumb" width={box.width} height={box.height} />
          ) : (
            <span class="notice">{failed ? t('chat.image.failed') : t('common.loading')}</span>
          )}
        </span>
      </button>
      {preview && <ImagePreview mediaId={mediaId} alt={alt} onClose={() => setPreview(false)} />}
    </>
  );
}

/** The full image in a modal dialog (Escape or the button closes it). */
function ImagePreview({ mediaId, alt, onClose }: { mediaId: string; alt: string; onClose: () => void }) {
  const t = useT();
  const dialog = useRef<HTMLDialogElement>(null);
  const { url, failed } = useBlobUrl(`/api/v1/media/${encodeURIComponent(mediaId)}`);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={dialog} class="preview" onClose={onClose} aria-label={alt} data-testid="preview">
      <button type="button" class="preview-close" onClick={() => dialog.current?.close()}>
        {t('common.close')}
      </button>
      {url ? <img src={url} alt={alt} /> : <p class="notice">{failed ? t('chat.image.failed') : t('common.loading')}</p>}
    </dialog>
  );
}

/** A file message: name, size and a download button. */
export function FileMessage({ mediaId, name, size }: { mediaId: string; name: string; size: number }) {
  const t = useT();
  const [error, setError] = useState(false);
  const download = async () => {
    setError(false);
    try {
      const url = await blobUrl(`/api/v1/media/${encodeURIComponent(mediaId)}`);
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      link.click();
    } catch {
      setError(true);
    }
  };
  return (
    <span class="file" data-testid="file">
      <FileIcon />
      <span class="file-name">{name}</span>
      <span class="file-size">{formatSize(size)}</span>
      <button type="button" onClick={download} aria-label={t('chat.file.download', { name })}>
        {t('chat.file.downloadShort')}
      </button>
      {error && <span class="error">{t('chat.file.failed')}</span>}
    </span>
  );
}
