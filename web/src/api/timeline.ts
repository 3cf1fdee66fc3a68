// One conversation's loaded messages: a window of the log kept sorted and de-duplicated by seq,
// with where it stands (older history left to page, newer messages not loaded yet, how far it
// is known to be complete). Action entries (recall, edit, reaction, pin) are applied to the
// messages they name and never shown as rows; replies in threads are indexed by their root.
import { ReactionLedger } from './reactions';
import type { WireMessage, WireReaction } from './wire';

/** Kinds that change another message instead of being one. */
const ACTION_KINDS = new Set(['recall', 'edit', 'reaction', 'pin']);

/** Whether a message of `kind` is shown as a row of its own. */
export function isShown(kind: string): boolean {
  return !ACTION_KINDS.has(kind);
}

/** The loaded window of a conversation's log. */
export class Timeline {
  /** Shown messages, ascending by seq. */
  messages: WireMessage[] = [];
  private readonly bySeq = new Map<number, WireMessage>();
  /** Seqs received above the cursor, waiting for the ones between. */
  private readonly above = new Set<number>();
  /** Every seq up to this one has been received (or settled as a hole): gaps above it get synced. */
  syncedTo = 0;
  /** Older history exists below the window. */
  hasOlder = true;
  /** The window stops short of the newest messages (opened around an old one). */
  hasNewer = false;
  /** Whether the first page came. */
  loaded = false;
  /** The lowest seq retention still keeps, when it purged. */
  minSeq = 0;
  /** Highest seq of any entry seen, shown or not. */
  highest = 0;
  /** Changes on every edit of the window (for memoized views). */
  revision = 0;
  /** Bumped by every `pin` entry and recall heard: the pinned list must be read again. */
  pinChanges = 0;
  /** The reaction entries heard, folded per message. */
  readonly reactions = new ReactionLedger();
  /** Thread root seq → the seqs of its replies held here. */
  private readonly threadReplies = new Map<number, Set<number>>();

  /** The message `seq`, if loaded. */
  get(seq: number): WireMessage | undefined {
    return this.bySeq.get(seq);
  }

  /** The first and last shown seqs (0 when empty). */
  get first(): number {
    return this.messages[0]?.seq ?? 0;
  }
  get last(): number {
    return this.messages[this.messages.length - 1]?.seq ?? 0;
  }

  /** Takes entries in (any order, duplicates welcome); returns whether anything changed. */
  absorb(entries: WireMessage[]): boolean {
    let changed = false;
    const fresh: WireMessage[] = [];
    for (const m of entries) {
      if (m.seq > this.highest) this.highest = m.seq;
      if (!isShown(m.kind)) {
        changed = this.apply(m) || changed;
        continue;
      }
      if (this.bySeq.has(m.seq)) continue;
      this.bySeq.set(m.seq, m);
      fresh.push(m);
      const root = m.body.thread_root;
      if (typeof root === 'number' && m.kind !== 'recalled') {
        let replies = this.threadReplies.get(root);
        if (!replies) this.threadReplies.set(root, (replies = new Set()));
        replies.add(m.seq);
      }
    }
    if (fresh.length) {
      const tail = this.last;
      fresh.sort((a, b) => a.seq - b.seq);
      if (fresh[0].seq > tail) this.messages = this.messages.concat(fresh);
      else this.messages = this.messages.concat(fresh).sort((a, b) => a.seq - b.seq);
      changed = true;
    }
    if (changed) this.revision += 1;
    return changed;
  }

  /** Applies an action entry to the message it names (held or not, for what outlives it). */
  private apply(entry: WireMessage): boolean {
    const targetSeq = typeof entry.body.seq === 'number' ? entry.body.seq : 0;
    if (!targetSeq) return false;
    if (entry.kind === 'reaction') return this.reactions.apply(entry.seq, entry.body);
    if (entry.kind === 'pin') {
      this.pinChanges += 1;
      return true;
    }
    if (entry.kind === 'recall') return this.recall(targetSeq);
    const target = this.bySeq.get(targetSeq);
    if (entry.kind !== 'edit' || !target || target.kind !== 'text') return false;
    const body = entry.body.body;
    if (typeof body !== 'object' || !body) return false;
    const editedAt = Number(entry.body.edited_at) || entry.ts;
    // The message as the server sent it may already hold a later edit than this entry.
    if (target.edited_at && target.edited_at > editedAt) return false;
    this.replace({ ...target, body: body as Record<string, unknown>, edited_at: editedAt });
    return true;
  }

  /** A recall: the message is erased, and so are its reactions and the quotes of it. */
  private recall(targetSeq: number): boolean {
    this.pinChanges += 1;
    this.reactions.clear(targetSeq);
    const target = this.bySeq.get(targetSeq);
    if (target) {
      this.replace({ ...target, kind: 'recalled', body: {} });
      const root = target.body.thread_root;
      if (typeof root === 'number') this.threadReplies.get(root)?.delete(targetSeq);
    }
    for (const m of this.messages) {
      const reply = m.body.reply_to as { seq?: number; quote?: { recalled?: boolean } } | undefined;
      if (reply?.seq === targetSeq && !reply.quote?.recalled) {
        this.replace({ ...m, body: { ...m.body, reply_to: { ...reply, quote: { recalled: true } } } });
      }
    }
    return true;
  }

  private replace(next: WireMessage) {
    this.bySeq.set(next.seq, next);
    this.messages = this.messages.map((m) => (m.seq === next.seq ? next : m));
  }

  /**
   * The reactions of `message`. A live window holds every entry after its first message, so the
   * entries tell the exact state; a window opened in the past does not yet, so the server's
   * count on the page stands until it catches up.
   */
  reactionsOf(message: WireMessage, me: string): WireReaction[] {
    if (this.loaded && !this.hasNewer) return this.reactions.summary(message.seq, me);
    return message.reactions ?? [];
  }

  /** How many replies the thread of `root` has: the server's summary plus the replies heard since. */
  threadCount(root: WireMessage): number {
    const lastSeq = root.thread?.last_seq ?? 0;
    let count = root.thread?.replies ?? 0;
    for (const seq of this.threadReplies.get(root.seq) ?? []) if (seq > lastSeq) count += 1;
    return count;
  }

  /** Notes that entry `seq` arrived; the cursor moves over every seq now held without a gap. */
  mark(seq: number) {
    if (seq > this.syncedTo) this.above.add(seq);
    this.advance();
  }

  /** The server answered everything up to `seq` (holes below it are settled). */
  settleTo(seq: number) {
    if (seq > this.syncedTo) this.syncedTo = seq;
    for (const s of this.above) if (s <= this.syncedTo) this.above.delete(s);
    this.advance();
  }

  /** Whether entries above the cursor are held, so something between is missing. */
  get gapped(): boolean {
    return this.above.size > 0;
  }

  private advance() {
    while (this.above.delete(this.syncedTo + 1)) this.syncedTo += 1;
  }

  /** Forgets the window (before loading one around another place of the log). */
  reset() {
    this.messages = [];
    this.bySeq.clear();
    this.above.clear();
    this.syncedTo = 0;
    this.hasOlder = true;
    this.hasNewer = false;
    this.loaded = false;
    this.reactions.reset();
    this.threadReplies.clear();
    this.revision += 1;
  }
}
