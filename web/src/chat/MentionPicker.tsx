// Mentions while writing in a group: typing `@` opens a list of the members filtered by what
// follows (name, username or nickname), plus "@all" for owners and admins; arrows move, Enter or
// Tab picks, Escape closes. A pick puts `@Name ` in the text and keeps the member's id, so the
// sent body names them in `mentions` (or says `mention_all`).
import { useState } from 'preact/hooks';
import type { ChatStore } from '../api/store';
import { useT } from '../i18n';
import { type GroupFacts, isManager, useGroupMembers } from './useGroup';

/** Someone the text may mention; `all` is everyone. */
export interface MentionCandidate {
  id: string;
  name: string;
  detail?: string;
  all?: boolean;
}

const SHOWN = 8;
/** `@` and what follows it, right before the caret, at a word start. */
const AT_QUERY = /(^|\s)@([^\s@]{0,32})$/;

/** The `@query` being typed before `caret`, with where its `@` is. */
export function queryAt(text: string, caret: number): { start: number; query: string } | null {
  const match = AT_QUERY.exec(text.slice(0, caret));
  if (!match) return null;
  return { start: caret - match[2].length - 1, query: match[2] };
}

/** The candidates for `query` among the group's members (me left out). */
export function useCandidates(store: ChatStore, group: GroupFacts | null, groupId: string | null, query: string | null): MentionCandidate[] {
  const t = useT();
  const members = useGroupMembers(store, groupId, query !== null);
  if (query === null || !groupId) return [];
  const wanted = query.toLowerCase();
  const found: MentionCandidate[] = [];
  if (isManager(group) && ('all'.startsWith(wanted) || t('chat.mention.all').toLowerCase().includes(wanted))) {
    found.push({ id: 'all', name: 'all', detail: t('chat.mention.all'), all: true });
  }
  for (const member of members ?? []) {
    if (member.user_id === store.me) continue;
    const profile = store.profiles.get(member.user_id);
    const name = profile?.display_name ?? member.user_id;
    const words = [name, profile?.username ?? '', member.nickname ?? ''].map((w) => w.toLowerCase());
    if (wanted && !words.some((w) => w.includes(wanted))) continue;
    found.push({ id: member.user_id, name, detail: profile?.username ? '@' + profile.username : undefined });
    if (found.length >= SHOWN) break;
  }
  return found;
}

/** Keyboard state of the open picker. */
export function usePickerIndex(count: number): [number, (delta: number) => void, (i: number) => void] {
  const [index, setIndex] = useState(0);
  const current = count ? Math.min(index, count - 1) : 0;
  return [current, (delta) => count && setIndex((current + delta + count) % count), setIndex];
}

/** The list under the composer. */
export function MentionList(props: { id: string; candidates: MentionCandidate[]; active: number; onPick: (c: MentionCandidate) => void }) {
  const t = useT();
  return (
    <ul class="mention-picker" role="listbox" id={props.id} aria-label={t('chat.mention.pick')} data-testid="mention-picker">
      {props.candidates.length === 0 && <li class="notice">{t('chat.mention.none')}</li>}
      {props.candidates.map((c, i) => (
        <li
          key={c.id}
          id={`${props.id}-${i}`}
          role="option"
          aria-selected={i === props.active}
          class={i === props.active ? 'active' : undefined}
          data-testid="mention-option"
          onMouseDown={(e) => {
            e.preventDefault();
            props.onPick(c);
          }}
        >
          <span class="mention-name">@{c.name}</span>
          {c.detail && <span class="mention-detail">{c.detail}</span>}
        </li>
      ))}
    </ul>
  );
}
