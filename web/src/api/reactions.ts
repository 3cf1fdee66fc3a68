// Reactions as the log tells them: one state per (message, emoji, user), moved only by a
// `reaction` entry newer than the one that set it, so a push and the sync page repeating it,
// or entries arriving out of order, end in the same state. Kept for targets not loaded yet too:
// a page of older history may bring the message after its reactions were heard.
import type { WireReaction } from './wire';

interface UserReaction {
  on: boolean;
  /** The entry that set this state. */
  seq: number;
}

/** The reaction entries of one conversation's loaded window, folded per message. */
export class ReactionLedger {
  /** target seq → emoji → user → state. */
  private readonly byTarget = new Map<number, Map<string, Map<string, UserReaction>>>();

  /** Applies entry `seq` ({seq: target, emoji, on, by}); returns whether anything moved. */
  apply(seq: number, body: Record<string, unknown>): boolean {
    const target = body.seq;
    const emoji = body.emoji;
    const by = body.by;
    if (typeof target !== 'number' || typeof emoji !== 'string' || typeof by !== 'string') return false;
    let emojis = this.byTarget.get(target);
    if (!emojis) this.byTarget.set(target, (emojis = new Map()));
    let users = emojis.get(emoji);
    if (!users) emojis.set(emoji, (users = new Map()));
    const known = users.get(by);
    if (known && known.seq >= seq) return false;
    users.set(by, { on: body.on === true, seq });
    return true;
  }

  /** Forgets a message's reactions (it was recalled). */
  clear(target: number) {
    this.byTarget.delete(target);
  }

  /** The message's reactions from the entries held: most used first, then the earliest on. */
  summary(target: number, me: string): WireReaction[] {
    const emojis = this.byTarget.get(target);
    if (!emojis) return [];
    const rows: (WireReaction & { first: number })[] = [];
    for (const [emoji, users] of emojis) {
      let count = 0;
      let mine = false;
      let first = Infinity;
      for (const [user, state] of users) {
        if (!state.on) continue;
        count += 1;
        if (user === me) mine = true;
        first = Math.min(first, state.seq);
      }
      if (count > 0) rows.push({ emoji, count, me: mine, first });
    }
    rows.sort((a, b) => b.count - a.count || a.first - b.first);
    return rows.map(({ emoji, count, me: mine }) => ({ emoji, count, me: mine }));
  }

  /** Forgets everything (the window was replaced). */
  reset() {
    this.byTarget.clear();
  }
}
