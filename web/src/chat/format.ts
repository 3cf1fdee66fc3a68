// How times, sizes and message previews read in the chat.
import type { Lang } from '../i18n';
import { translate } from '../i18n';
import type { WireMessage } from '../api/wire';

/** A message time: the hour today, the date before. */
export function formatTime(lang: Lang, ts: number, now = Date.now()): string {
  const date = new Date(ts);
  const sameDay = new Date(now).toDateString() === date.toDateString();
  return sameDay
    ? date.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString(lang, { month: 'short', day: 'numeric' });
}

/** A full date and time, for titles. */
export function formatFullTime(lang: Lang, ts: number): string {
  return new Date(ts).toLocaleString(lang);
}

/** A byte count for people (1.2 MB). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** One line telling what a message is, for the conversation list. */
export function previewOf(lang: Lang, message: WireMessage): string {
  const body = message.body;
  switch (message.kind) {
    case 'text':
      return String(body.text ?? '');
    case 'image':
      return translate(lang, 'chat.preview.image');
    case 'file':
      return translate(lang, 'chat.preview.file', { name: String(body.name ?? '') });
    case 'recall':
    case 'recalled':
      return translate(lang, 'chat.recalled');
    case 'group_notice':
      return translate(lang, 'chat.preview.notice');
    case 'forward':
      return translate(lang, 'chat.preview.forward');
    case 'edit': {
      // The list's last entry right after an edit is the edit: show the new text.
      const next = body.body as { text?: unknown } | undefined;
      return typeof next?.text === 'string' ? next.text : translate(lang, 'chat.recalled');
    }
    case 'pin':
      return translate(lang, body.on === false ? 'chat.preview.unpin' : 'chat.preview.pin');
    default:
      return translate(lang, 'chat.preview.other', { kind: message.kind });
  }
}
