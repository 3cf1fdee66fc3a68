// The body of a message of any kind, always rendered as text: a text (mentions of me marked),
// an image thumbnail, a file with a download, a recalled line, or a forwarded message (its
// originals with who wrote them and when).
import { useMe } from '../api/me';
import { useLang, useT } from '../i18n';
import { formatFullTime } from './format';
import { FileMessage, ImageMessage } from './Media';
import { useChat, useUserName } from './useChat';

/** Whether the body names me in `mentions` or mentions everyone. */
export function mentionsMe(body: Record<string, unknown>, me: string): boolean {
  return body.mention_all === true || (Array.isArray(body.mentions) && body.mentions.includes(me));
}

/** A text with the `@name` of me (and `@all`) marked when the message mentions me. */
function MessageText({ body }: { body: Record<string, unknown> }) {
  const store = useChat();
  const text = String(body.text ?? '');
  const myName = useMe().display_name;
  if (!mentionsMe(body, store.me)) return <p class="text">{text}</p>;
  const names = [body.mention_all === true ? '@all' : '', '@' + myName].filter(Boolean);
  const parts: (string | { mark: string })[] = [];
  let rest = text;
  while (rest) {
    let at = -1;
    let name = '';
    for (const candidate of names) {
      const i = rest.indexOf(candidate);
      if (i >= 0 && (at < 0 || i < at)) [at, name] = [i, candidate];
    }
    if (at < 0) {
      parts.push(rest);
      break;
    }
    if (at > 0) parts.push(rest.slice(0, at));
    parts.push({ mark: name });
    rest = rest.slice(at + name.length);
  }
  return (
    <p class="text">
      {parts.map((part) => (typeof part === 'string' ? part : <mark class="mention-me">{part.mark}</mark>))}
    </p>
  );
}

/** One original inside a forwarded message. */
function ForwardedItem({ item }: { item: Record<string, unknown> }) {
  const store = useChat();
  const t = useT();
  const lang = useLang();
  const name = useUserName(store, String(item.sender ?? ''));
  const ts = Number(item.ts) || 0;
  const body = typeof item.body === 'object' && item.body ? (item.body as Record<string, unknown>) : {};
  return (
    <div class="forwarded-item">
      <p class="forwarded-from" data-testid="forwarded-from">
        {t('chat.forwardedFrom', { name })} · <time dateTime={new Date(ts).toISOString()}>{formatFullTime(lang, ts)}</time>
      </p>
      <MessageBody kind={String(item.kind ?? '')} body={body} />
    </div>
  );
}

/** The body of a message of `kind`. */
export function MessageBody({ kind, body }: { kind: string; body: Record<string, unknown> }) {
  const t = useT();
  switch (kind) {
    case 'text':
      return <MessageText body={body} />;
    case 'image':
      return typeof body.media_id === 'string' ? (
        <ImageMessage mediaId={body.media_id} width={Number(body.width) || 0} height={Number(body.height) || 0} alt={t('chat.image.alt')} />
      ) : (
        <p class="notice">{t('chat.image.uploading')}</p>
      );
    case 'file':
      return typeof body.media_id === 'string' ? (
        <FileMessage mediaId={body.media_id} name={String(body.name ?? 'file')} size={Number(body.size) || 0} />
      ) : (
        <p class="notice">{t('chat.file.uploading')}</p>
      );
    case 'recalled':
      return <p class="notice recalled">{t('chat.recalled')}</p>;
    case 'forward': {
      const items = Array.isArray(body.items) ? (body.items as Record<string, unknown>[]) : [];
      return (
        <div class="forwarded" data-testid="forwarded">
          <p class="forwarded-label">{t('chat.forwarded')}</p>
          {items.map((item, i) => (
            <ForwardedItem key={i} item={item} />
          ))}
        </div>
      );
    }
    default:
      return <p class="notice">{t('chat.preview.other', { kind })}</p>;
  }
}
