// Sends that have not been acknowledged yet. Each gets a random `client_msg_id` kept for its
// whole life, so every resend (after a timeout, a reconnect or a retriable refusal) is the same
// message to the server, which stores it once and answers a repeat with `duplicate: true`.
// Text sends are kept in localStorage so a reload does not lose them; uploads are not.
// One conversation's sends go one at a time, oldest first: a send that must wait (rate limit,
// busy, a lost answer) holds the ones typed after it, so the log keeps the order they were typed.
import { Backoff } from './backoff';
import { errorOf } from './errors';
import { fetchAuthed } from './http';
import { RequestLost, type RealtimeSocket } from './socket';
import type { AckFrame, MediaInfo, ServerFrame } from './wire';

/** A send on its way: `sending` until acked, `failed` after a refusal that retrying cannot fix. */
export interface PendingMessage {
  client_msg_id: string;
  conv: string;
  kind: string;
  body: Record<string, unknown>;
  state: 'sending' | 'failed';
  /** The refusal's code, when failed. */
  error?: string;
  createdAt: number;
  /** An attachment still to upload before the send. */
  file?: File;
}

/** Refusals worth trying again (with backoff; `retry_after_ms` when the server gives it). */
const RETRIABLE = new Set(['busy', 'rate_limited', 'draining', 'content_check_unavailable', 'internal', 'network']);
const ACK_TIMEOUT_MS = 10_000;

/** What the outbox tells its owner. */
export interface OutboxHooks {
  /** The send was stored: show it as the message `ack.seq`. */
  acked(item: PendingMessage, ack: AckFrame): void;
  /** Items or their states changed. */
  changed(): void;
}

/** The queue of unacknowledged sends of one signed-in user. */
export class Outbox {
  private readonly items = new Map<string, PendingMessage>();
  private readonly inflight = new Set<string>();
  private readonly backoffs = new Map<string, Backoff>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly storageKey: string;

  constructor(
    private readonly socket: RealtimeSocket,
    userId: string,
    private readonly hooks: OutboxHooks,
  ) {
    this.storageKey = `tidings.outbox.${userId}`;
    try {
      const saved = JSON.parse(localStorage.getItem(this.storageKey) ?? '[]') as PendingMessage[];
      for (const item of saved) this.items.set(item.client_msg_id, item);
    } catch {
      // A damaged copy: start empty.
    }
  }

  /** The pending sends of `conv`, oldest first. */
  of(conv: string): PendingMessage[] {
    return [...this.items.values()].filter((item) => item.conv === conv);
  }

  /** Whether `client_msg_id` is still waiting. */
  has(clientMsgId: string): boolean {
    return this.items.has(clientMsgId);
  }

  /** Queues a message and tries it at once. */
  enqueue(conv: string, kind: string, body: Record<string, unknown>, file?: File): PendingMessage {
    const item: PendingMessage = {
      client_msg_id: 'c-' + crypto.randomUUID(),
      conv,
      kind,
      body,
      state: 'sending',
      createdAt: Date.now(),
      file,
    };
    this.items.set(item.client_msg_id, item);
    this.changed();
    this.next(conv);
    return item;
  }

  /** Tries a failed send again, with the same client_msg_id, after what is queued now. */
  retry(clientMsgId: string) {
    const item = this.items.get(clientMsgId);
    if (!item || item.state !== 'failed') return;
    item.state = 'sending';
    item.error = undefined;
    this.backoffs.delete(clientMsgId);
    this.items.delete(clientMsgId);
    this.items.set(clientMsgId, item);
    this.changed();
    this.next(item.conv);
  }

  /** Drops a failed send. */
  discard(clientMsgId: string) {
    const conv = this.items.get(clientMsgId)?.conv;
    this.forget(clientMsgId);
    this.changed();
    if (conv) this.next(conv);
  }

  /** The message came back from the server (a push or a sync): the send is done. */
  settle(clientMsgId: string) {
    const item = this.items.get(clientMsgId);
    if (!item) return;
    this.forget(clientMsgId);
    this.changed();
    this.next(item.conv);
  }

  /** Sends what is waiting in every conversation (after each connect). */
  flush() {
    for (const conv of new Set([...this.items.values()].map((item) => item.conv))) this.next(conv);
  }

  /** The oldest send of `conv` still to go, if any. */
  private head(conv: string): PendingMessage | undefined {
    for (const item of this.items.values()) if (item.conv === conv && item.state === 'sending') return item;
    return undefined;
  }

  /** Starts the head of `conv` unless it is already on its way or waiting for its retry. */
  private next(conv: string) {
    const head = this.head(conv);
    if (head && !this.inflight.has(head.client_msg_id) && !this.timers.has(head.client_msg_id)) void this.attempt(head);
  }

  private async attempt(item: PendingMessage) {
    const id = item.client_msg_id;
    if (this.inflight.has(id) || !this.items.has(id) || this.head(item.conv) !== item) return;
    this.inflight.add(id);
    try {
      if (item.file) await this.upload(item);
      if (this.socket.state !== 'online') return; // flush() on the next open
      const answer: ServerFrame = await this.socket.request(
        { type: 'send', conv: item.conv, client_msg_id: id, kind: item.kind, body: item.body },
        ACK_TIMEOUT_MS,
      );
      if (!this.items.has(id)) return;
      if (answer.type === 'ack') {
        this.forget(id);
        this.hooks.acked(item, answer);
        this.changed();
        this.inflight.delete(id);
        this.next(item.conv);
      } else if (answer.type === 'error') {
        this.refused(item, answer.code, answer.retry_after_ms);
      }
    } catch (e) {
      if (e instanceof RequestLost) {
        // A lost answer: the same client_msg_id again, now (timeout) or after the reconnect.
        if (e.message === 'timeout') this.later(item, 0);
      } else {
        const code = (e as { code?: string }).code ?? 'network';
        this.refused(item, code, (e as { retryAfterMs?: number }).retryAfterMs);
      }
    } finally {
      this.inflight.delete(id);
    }
  }

  /** Uploads the attachment and turns the item into an ordinary media send. */
  private async upload(item: PendingMessage) {
    const file = item.file!;
    const kind = item.kind;
    const response = await fetchAuthed('POST', '/api/v1/media', undefined, {
      query: { kind, name: file.name || undefined },
      raw: file,
      contentType: file.type || 'application/octet-stream',
    });
    if (!response.ok) throw await errorOf(response);
    const info = (await response.json()) as MediaInfo;
    if (kind === 'image') {
      const size = info.width && info.height ? { width: info.width, height: info.height } : await imageSize(file);
      item.body = { media_id: info.media_id, ...size };
    } else {
      item.body = { media_id: info.media_id, name: file.name || 'file', size: info.size };
    }
    item.file = undefined;
  }

  private refused(item: PendingMessage, code: string, retryAfterMs?: number) {
    if (RETRIABLE.has(code)) {
      this.later(item, retryAfterMs ?? 0);
      return;
    }
    item.state = 'failed';
    item.error = code;
    this.changed();
    // A refusal that retrying cannot fix does not hold the sends typed after it.
    this.inflight.delete(item.client_msg_id);
    this.next(item.conv);
  }

  private later(item: PendingMessage, atLeastMs: number) {
    let backoff = this.backoffs.get(item.client_msg_id);
    if (!backoff) this.backoffs.set(item.client_msg_id, (backoff = new Backoff(500, 20_000)));
    const wait = Math.max(backoff.next(), Math.min(atLeastMs, 30_000));
    const timer = setTimeout(() => {
      this.timers.delete(item.client_msg_id);
      void this.attempt(item);
    }, wait);
    this.timers.set(item.client_msg_id, timer);
  }

  private forget(id: string) {
    this.items.delete(id);
    this.backoffs.delete(id);
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
  }

  private changed() {
    const saved = [...this.items.values()].filter((item) => !item.file && item.kind === 'text');
    try {
      localStorage.setItem(this.storageKey, JSON.stringify(saved));
    } catch {
      // Storage full or refused: the queue still lives in memory.
    }
    this.hooks.changed();
  }
}

/** An image's pixel size, read by the browser when the server did not report it. */
async function imageSize(file: File): Promise<{ width: number; height: number }> {
  const bitmap = await createImageBitmap(file);
  const size = { width: bitmap.width, height: bitmap.height };
  bitmap.close();
  return size;
}
