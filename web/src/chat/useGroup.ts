// What the message actions need to know of a group conversation: my role and the group's rules
// (who may pin, who may mention everyone), and its members for the mention picker (loaded on
// first need, with their profiles through the store's cache).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/http';
import type { ChatStore } from '../api/store';

/** One member of a group as the picker needs it. */
export interface GroupMember {
  user_id: string;
  role: string;
  nickname?: string | null;
}

/** A group's settings seen by a member. */
export interface GroupFacts {
  groupId: string;
  role: string;
  /** The "who may" rules, e.g. `{pin: 'managers'}`. */
  policies: Record<string, string>;
}

const MEMBERS_PAGE = 200;

/** The group id of a group conversation (`g:{id}`), else null. */
export function groupIdOf(conv: string): string | null {
  return conv.startsWith('g:') ? conv.slice(2) : null;
}

/** Whether my role is owner or admin. */
export function isManager(facts: GroupFacts | null): boolean {
  return facts?.role === 'owner' || facts?.role === 'admin';
}

/** Whether I may pin in this conversation: either side of a direct chat; in a group by its `pin` rule. */
export function mayPin(conv: string, facts: GroupFacts | null): boolean {
  if (!groupIdOf(conv)) return true;
  return isManager(facts) || facts?.policies.pin === 'members';
}

/** My role and the rules of the group `conv` (null for direct chats and until loaded). */
export function useGroupFacts(conv: string): GroupFacts | null {
  const [facts, setFacts] = useState<GroupFacts | null>(null);
  const groupId = groupIdOf(conv);
  useEffect(() => {
    setFacts(null);
    if (!groupId) return;
    let live = true;
    api<{ me?: { role: string } | null; policies?: Record<string, string> | null }>('GET', `/api/v1/groups/${encodeURIComponent(groupId)}`)
      .then((group) => live && setFacts({ groupId, role: group.me?.role ?? 'member', policies: group.policies ?? {} }))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [groupId]);
  return facts;
}

/** The members of group `groupId` (first page), loaded when `wanted` first turns true. */
export function useGroupMembers(store: ChatStore, groupId: string | null, wanted: boolean): GroupMember[] | null {
  const [members, setMembers] = useState<GroupMember[] | null>(null);
  useEffect(() => {
    if (!groupId || !wanted || members) return;
    let live = true;
    api<{ members: GroupMember[] }>('GET', `/api/v1/groups/${encodeURIComponent(groupId)}/members`, undefined, { query: { limit: MEMBERS_PAGE } })
      .then((answer) => {
        if (!live) return;
        setMembers(answer.members);
        for (const member of answer.members) void store.profile(member.user_id);
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [groupId, wanted, members]);
  return members;
}
