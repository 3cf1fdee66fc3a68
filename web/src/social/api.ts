// The REST calls and answer shapes of friends, blocks, groups and search (docs/protocol.md
// "Friends", "Blocks", "Groups", "Search"), typed once so the panels never guess a field.
import { api } from '../api/http';

/** A user's profile; `GET /users/{id}` adds presence. */
export interface UserProfile {
  user_id: string;
  username: string;
  display_name: string;
  created_at: number;
  presence?: { online: boolean; last_active_at?: number } | null;
}

/** One friend of the caller. */
export interface Friend {
  user: UserProfile;
  remark?: string | null;
  since: number;
}

/** A friend request, to or from the caller. */
export interface FriendRequest {
  request_id: string;
  from: string;
  to: string;
  message?: string | null;
  status: 'pending' | 'accepted' | 'rejected';
  created_at: number;
  updated_at: number;
}

/** One user the caller blocks. */
export interface Block {
  user_id: string;
  blocked_at: number;
}

/** A member's role in a group. */
export type GroupRole = 'owner' | 'admin' | 'member';

/** A group as its members see it (outsiders get fewer fields). */
export interface Group {
  group_id: string;
  conv: string;
  name: string;
  avatar?: string | null;
  introduction?: string | null;
  announcement?: string | null;
  join_policy: 'open' | 'approval' | 'invite_only';
  member_count: number;
  owner?: string | null;
  mute_all?: boolean | null;
  created_at: number;
  dissolved_at?: number | null;
  me?: { role: GroupRole; joined_at: number; muted_until?: number | null } | null;
}

/** One member of a group. */
export interface GroupMember {
  user_id: string;
  role: GroupRole;
  nickname?: string | null;
  muted_until?: number | null;
  joined_at: number;
}

/** A request to join a group. */
export interface JoinRequest {
  request_id: string;
  group_id: string;
  user_id: string;
  message?: string | null;
  status: 'pending' | 'accepted' | 'rejected';
  created_at: number;
}

/** A message as the server sends it (only the fields search shows). */
export interface WireMessage {
  conv: string;
  seq: number;
  sender: string;
  kind: string;
  body: Record<string, unknown>;
  ts: number;
}

/** One search result: the message, a snippet and the matched `[start, end)` code point ranges. */
export interface SearchHit {
  message: WireMessage;
  snippet: string;
  highlights: [number, number][];
}

/** A conversation row, only for its display name. */
export interface ConversationRow {
  conv: string;
  kind: 'direct' | 'group';
  peer_profile?: { user_id: string; display_name: string };
  group?: { group_id: string; name: string };
}

const V1 = '/api/v1';
const seg = encodeURIComponent;

/** Follows `next_after` cursors until the list ends (bounded: at most `maxPages` pages). */
async function allPages<T, K extends string>(path: string, key: K, maxPages = 20): Promise<T[]> {
  const items: T[] = [];
  let after: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const answer = await api<Record<K, T[]> & { next_after?: string | null }>('GET', path, undefined, {
      query: { after, limit: 200 },
    });
    items.push(...answer[key]);
    if (!answer.next_after) break;
    after = answer.next_after;
  }
  return items;
}

/** Friends, blocks and requests. */
export const socialApi = {
  profile: (userId: string) => api<UserProfile>('GET', `${V1}/users/${seg(userId)}`),
  friends: () => allPages<Friend, 'friends'>(`${V1}/friends`, 'friends'),
  removeFriend: (userId: string) => api<void>('DELETE', `${V1}/friends/${seg(userId)}`),
  requests: async (direction: 'incoming' | 'outgoing') =>
    (
      await api<{ requests: FriendRequest[] }>('GET', `${V1}/friends/requests`, undefined, {
        query: { direction, status: 'pending', limit: 100 },
      })
    ).requests,
  sendRequest: (userId: string, message?: string) =>
    api<{ request: FriendRequest; friends: boolean }>('POST', `${V1}/friends/requests`, {
      user_id: userId,
      ...(message ? { message } : {}),
    }),
  answerRequest: (requestId: string, answer: 'accept' | 'reject') =>
    api<FriendRequest>('POST', `${V1}/friends/requests/${seg(requestId)}/${answer}`),
  blocks: () => allPages<Block, 'blocks'>(`${V1}/blocks`, 'blocks'),
  block: (userId: string) => api<void>('PUT', `${V1}/blocks/${seg(userId)}`),
  unblock: (userId: string) => api<void>('DELETE', `${V1}/blocks/${seg(userId)}`),
};

/** Groups, their members and join requests. */
export const groupApi = {
  mine: () => allPages<Group, 'groups'>(`${V1}/groups`, 'groups'),
  get: (groupId: string) => api<Group>('GET', `${V1}/groups/${seg(groupId)}`),
  create: (name: string, members: string[]) => api<Group>('POST', `${V1}/groups`, { name, members }),
  update: (groupId: string, changes: { name?: string; announcement?: string; mute_all?: boolean }) =>
    api<Group>('PATCH', `${V1}/groups/${seg(groupId)}`, changes),
  dissolve: (groupId: string) => api<void>('DELETE', `${V1}/groups/${seg(groupId)}`),
  leave: (groupId: string) => api<void>('POST', `${V1}/groups/${seg(groupId)}/leave`),
  join: (groupId: string, message?: string) =>
    api<{ status: 'joined' | 'pending' }>('POST', `${V1}/groups/${seg(groupId)}/join`, message ? { message } : {}),
  members: (groupId: string) => allPages<GroupMember, 'members'>(`${V1}/groups/${seg(groupId)}/members`, 'members'),
  invite: (groupId: string, userIds: string[]) =>
    api<{ added: string[] }>('POST', `${V1}/groups/${seg(groupId)}/members`, { user_ids: userIds }),
  updateMember: (groupId: string, userId: string, changes: { role?: 'admin' | 'member'; mute_secs?: number }) =>
    api<GroupMember>('PATCH', `${V1}/groups/${seg(groupId)}/members/${seg(userId)}`, changes),
  removeMember: (groupId: string, userId: string) =>
    api<void>('DELETE', `${V1}/groups/${seg(groupId)}/members/${seg(userId)}`),
  transfer: (groupId: string, userId: string) =>
    api<Group>('POST', `${V1}/groups/${seg(groupId)}/transfer`, { user_id: userId }),
  joinRequests: async (groupId: string) =>
    (
      await api<{ requests: JoinRequest[] }>('GET', `${V1}/groups/${seg(groupId)}/requests`, undefined, {
        query: { status: 'pending', limit: 100 },
      })
    ).requests,
  answerJoin: (groupId: string, requestId: string, answer: 'approve' | 'reject') =>
    api<JoinRequest>('POST', `${V1}/groups/${seg(groupId)}/requests/${seg(requestId)}/${answer}`),
};

/** What a search asks for. */
export interface SearchQuery {
  q: string;
  conv?: string;
  kind?: string;
  cursor?: string;
}

/** Message search and the names of the caller's conversations. */
export const searchApi = {
  search: (query: SearchQuery, signal?: AbortSignal) =>
    api<{ results: SearchHit[]; next_cursor?: string | null }>('GET', `${V1}/search`, undefined, {
      query: { q: query.q, conv: query.conv || undefined, kind: query.kind || undefined, cursor: query.cursor, limit: 20 },
      signal,
    }),
  conversations: async () =>
    (await api<{ conversations: ConversationRow[] }>('GET', `${V1}/conversations`, undefined, { query: { limit: 200 } }))
      .conversations,
};
