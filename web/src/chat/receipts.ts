// Read receipts of my messages. Direct chats: the peer's position comes from `read` pushes (the
// store keeps it) and, on opening, from `GET …/messages/{seq}/reads` of my last message. Groups
// get no pushes of others' reads, so their "Read by N" is asked for on open, on a new message
// of mine, and every 15 seconds while the conversation is open.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/http';
import type { ChatStore } from '../api/store';
import type { Timeline } from '../api/timeline';
import type { ReadReceipts } from '../api/wire';

const GROUP_POLL_MS = 15_000;

function readsOf(conv: string, seq: number): Promise<ReadReceipts> {
  return api<ReadReceipts>('GET', `/api/v1/conversations/${encodeURIComponent(conv)}/messages/${seq}/reads`);
}

/** My newest message in the loaded window, with seq ≤ `limit` (0 when none). */
export function myLastSeq(store: ChatStore, timeline: Timeline, limit = Infinity): number {
  const list = timeline.messages;
  for (let i = list.length - 1; i >= 0; i--) {
    const m = list[i];
    if (m.sender === store.me && m.seq <= limit && m.kind !== 'recalled') return m.seq;
  }
  return 0;
}

/** The seq of my message carrying "Read" in a direct chat (0: none). */
export function useDirectReceipt(store: ChatStore, conv: string, timeline: Timeline, peer: string | null): number {
  const last = myLastSeq(store, timeline);
  const peerRead = store.peerRead.get(conv) ?? 0;
  useEffect(() => {
    if (!peer || !last || peerRead >= last) return;
    readsOf(conv, last).then(
      (r) => {
        if (r.read_by.includes(peer)) {
          store.peerRead.set(conv, Math.max(store.peerRead.get(conv) ?? 0, last));
          store.emit();
        }
      },
      () => {},
    );
  }, [conv, last, peer]);
  return peerRead > 0 ? myLastSeq(store, timeline, peerRead) : 0;
}

/** "Read by" of my last message in a group: its seq and who read it (null until known). */
export function useGroupReceipt(store: ChatStore, conv: string, timeline: Timeline, enabled: boolean) {
  const last = myLastSeq(store, timeline);
  const [receipt, setReceipt] = useState<{ seq: number; reads: ReadReceipts } | null>(null);
  useEffect(() => {
    if (!enabled || !last) return;
    let live = true;
    const load = () =>
      readsOf(conv, last).then(
        (reads) => live && setReceipt({ seq: last, reads }),
        () => {},
      );
    void load();
    const timer = setInterval(load, GROUP_POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [conv, last, enabled]);
  return receipt && receipt.seq === last ? receipt : null;
}
