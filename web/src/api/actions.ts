// The message actions of docs/message-actions.md as calls: edit and react over the socket (REST
// when it is down), pins, threads, forward and edit history over REST. Every action the server
// accepts comes back as an entry of the log (a push to every device, the asking one too), which
// the timeline folds into its target; an edit's or reaction's ack is folded at once as well, so
// the change shows without waiting for the push (the push is then a no-op).
import { ApiError } from './errors';
import { api } from './http';
import type { ChatStore } from './store';
import { RequestLost } from './socket';
import type { AckFrame, EditVersion, PinnedMessage, ServerFrame, ThreadPage, WireMessage } from './wire';

const path = (conv: string) => `/api/v1/conversations/${encodeURIComponent(conv)}`;

/** Sends a frame and turns an `error` answer into an ApiError; REST is the fallback when offline. */
async function requestAck(store: ChatStore, frame: Record<string, unknown> & { type: string }, rest: () => Promise<AckFrame>): Promise<AckFrame> {
  let answer: ServerFrame;
  try {
    answer = await store.socket.request(frame);
  } catch (e) {
    if (e instanceof RequestLost && e.message === 'disconnected') return rest();
    throw new ApiError(0, 'network', 'no answer');
  }
  if (answer.type === 'error') throw new ApiError(0, answer.code, answer.message);
  if (answer.type !== 'ack') throw new ApiError(0, 'internal', 'unexpected answer');
  return answer;
}

/** Folds an entry I caused into its loaded timeline at once. */
function foldOwn(store: ChatStore, entry: WireMessage) {
  const timeline = store.timelines.get(entry.conv);
  if (!timeline?.loaded || timeline.hasNewer) return;
  timeline.absorb([entry]);
  store.emit();
}

function entryOf(store: ChatStore, ack: AckFrame, kind: string, body: Record<string, unknown>): WireMessage {
  return { conv: ack.conv, seq: ack.seq, msg_id: ack.msg_id, sender: store.me, client_msg_id: ack.client_msg_id, kind, body, ts: ack.ts };
}

/**
 * Replaces the text of my message (the `edit` frame). Its mentions stay those of the original
 * still named in the new text; the server keeps `reply_to` and `thread_root` whatever is sent,
 * so they are left out of the request and put back in the folded copy.
 */
export async function editMessage(store: ChatStore, message: WireMessage, text: string, mentionNames: Map<string, string>): Promise<void> {
  const { conv, seq } = message;
  const old = message.body;
  const body: Record<string, unknown> = { text };
  const mentions = Array.isArray(old.mentions) ? (old.mentions as string[]).filter((id) => text.includes('@' + (mentionNames.get(id) ?? id))) : [];
  if (mentions.length) body.mentions = mentions;
  if (old.mention_all === true && text.includes('@all')) body.mention_all = true;
  const ack = await requestAck(store, { type: 'edit', conv, seq, body }, () =>
    api<AckFrame>('POST', `${path(conv)}/messages/${seq}/edit`, { body }),
  );
  const kept: Record<string, unknown> = { ...body };
  if (old.reply_to !== undefined) kept.reply_to = old.reply_to;
  if (old.thread_root !== undefined) kept.thread_root = old.thread_root;
  foldOwn(store, entryOf(store, ack, 'edit', { seq, body: kept, edited_at: ack.ts }));
}

/** Turns my reaction `emoji` on message `seq` on or off (the `react` frame). */
export async function react(store: ChatStore, conv: string, seq: number, emoji: string, on: boolean): Promise<void> {
  const ack = await requestAck(store, { type: 'react', conv, seq, emoji, on }, () =>
    api<AckFrame>('POST', `${path(conv)}/messages/${seq}/reactions`, { emoji, on }),
  );
  if (ack.seq > 0 && !ack.duplicate) foldOwn(store, entryOf(store, ack, 'reaction', { seq, emoji, on, by: store.me }));
}

/** The pinned messages of `conv`, the most recently pinned first. */
export async function listPins(conv: string): Promise<PinnedMessage[]> {
  return (await api<{ pins: PinnedMessage[] }>('GET', `${path(conv)}/pins`)).pins;
}

/** Pins or unpins message `seq`. */
export async function setPinned(conv: string, seq: number, pinned: boolean): Promise<void> {
  if (pinned) await api('POST', `${path(conv)}/pins`, { seq });
  else await api('DELETE', `${path(conv)}/pins/${seq}`);
}

/** Every body message `seq` has had, the original first. */
export async function editHistory(conv: string, seq: number): Promise<EditVersion[]> {
  return (await api<{ versions: EditVersion[] }>('GET', `${path(conv)}/messages/${seq}/edits`)).versions;
}

/** The root of a thread and its newest replies (older ones below `beforeSeq`). */
export function threadPage(conv: string, root: number, beforeSeq?: number): Promise<ThreadPage> {
  return api<ThreadPage>('GET', `${path(conv)}/threads/${root}`, undefined, { query: { before_seq: beforeSeq, limit: 100 } });
}

/** Raises my read position in a thread (kept only for threads I follow). */
export async function readThread(conv: string, root: number, seq: number): Promise<void> {
  await api('POST', `${path(conv)}/threads/${root}/read`, { seq });
}

/** One target's outcome of a forward. */
export interface ForwardResult {
  conv: string;
  acks: unknown[];
  error?: { code: string; message: string } | null;
}

/**
 * Forwards message `seq` of `conv` to `targets` as one merged `forward` message each, which
 * carries its original's sender and time (a plain copy would not say where it came from).
 */
export async function forward(conv: string, seq: number, targets: string[]): Promise<ForwardResult[]> {
  const answer = await api<{ results: ForwardResult[] }>('POST', `${path(conv)}/forward`, {
    seqs: [seq],
    to: targets,
    merged: true,
    client_msg_id: 'fw-' + crypto.randomUUID().slice(0, 30),
  });
  return answer.results;
}
