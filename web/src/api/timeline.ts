// One conversation's loaded messages: a window of the log kept sorted and de-duplicated by seq,
// with where it stands (older history left to page, newer messages not loaded yet, how far it
// is known to be complete). Action entries (recall, edit, reaction, pin) are applied to the
// messages they name and never shown as rows.
import type { WireMessage } from './wire';

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

  /** Applies an action entry to the message it names. */
  private apply(entry: WireMessage): boolean {
    const target = typeof entry.body.seq === 'number' ? this.bySeq.get(entry.body.seq) : undefined;
    if (!target) return false;
    let next: WireMessage | null = null;
    if (entry.kind === 'recall') next = { ...target, kind: 'recalled', body: {} };
    else if (entry.kind === 'edit' && typeof entry.body.body === 'object' && entry.body.body && target.kind === 'text') {
      next = { ...target, body: entry.body.body as Record<string, unknown>, edited_at: Number(entry.body.edited_at) || entry.ts };
    }
    if (!next) return false;
    this.bySeq.set(next.seq, next);
    this.messages = this.messages.map((m) => (m.seq === next!.seq ? next! : m));
    return true;
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
    this.revision += 1;
  }
}
