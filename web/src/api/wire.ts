// The shapes of the chat's REST answers and WebSocket frames (docs/protocol.md), as the web app
// reads them. Fields the app does not use are left out; unknown fields are ignored.

/** A stored message as history, sync and pushes carry it. */
export interface WireMessage {
  conv: string;
  seq: number;
  msg_id: string;
  sender: string;
  client_msg_id: string;
  kind: string;
  body: Record<string, unknown>;
  ts: number;
  edited_at?: number;
  /** The reactions as the server counted them when it read the page (absent on pushes). */
  reactions?: WireReaction[];
  /** The thread summary of a root, on history, sync and thread pages (absent on pushes). */
  thread?: WireThread | null;
}

/** One emoji's reactions on a message. */
export interface WireReaction {
  emoji: string;
  count: number;
  /** The reader has it on. */
  me: boolean;
}

/** What a root shows of its thread. */
export interface WireThread {
  replies: number;
  last_ts: number;
  last_seq: number;
  participants: string[];
}

/** A reply's snapshot of what it quotes (`reply_to.quote`); only `recalled` once the original is gone. */
export interface QuoteSnapshot {
  sender?: string;
  kind?: string;
  excerpt?: string;
  recalled?: boolean;
}

/** `reply_to` of a message body. */
export interface ReplyTo {
  seq: number;
  conv?: string;
  quote?: QuoteSnapshot;
}

/** One entry of `GET …/pins`. */
export interface PinnedMessage {
  message: WireMessage;
  pinned_by: string;
  pinned_at: number;
}

/** `GET …/threads/{root_seq}`. */
export interface ThreadPage {
  root: WireMessage;
  messages: WireMessage[];
  has_more: boolean;
}

/** One version of `GET …/messages/{seq}/edits`. */
export interface EditVersion {
  version: number;
  body: Record<string, unknown>;
  ts?: number;
  edited_at?: number;
}

/** A row of `GET /api/v1/conversations`. */
export interface ConversationRow {
  conv: string;
  kind: 'direct' | 'group' | string;
  peer?: string | null;
  peer_profile?: { user_id: string; display_name: string } | null;
  group?: { group_id: string; name: string; avatar?: string | null } | null;
  max_seq: number;
  read_seq: number;
  unread: number;
  mentioned?: boolean;
  mention_count?: number;
  /** Threads the caller follows with replies by others past their position in the thread. */
  threads?: number;
  muted?: boolean;
  pinned?: boolean;
  draft?: string | null;
  version?: number;
  min_seq?: number | null;
  last_message?: WireMessage | null;
}

/** `GET /api/v1/conversations` answer. */
export interface ConversationListAnswer {
  conversations: ConversationRow[];
  version?: number;
  /** Present when the page was full: where the next page starts. */
  next_before?: string;
}

/** A history page. */
export interface MessagePage {
  messages: WireMessage[];
  has_more: boolean;
  min_seq?: number | null;
}

/** `GET /api/v1/users/{id}`. */
export interface UserProfile {
  user_id: string;
  username: string;
  display_name: string;
  created_at: number;
  presence?: { online: boolean; last_active_at?: number | null } | null;
}

/** `POST /api/v1/media` answer. */
export interface MediaInfo {
  media_id: string;
  kind: string;
  content_type: string;
  size: number;
  name?: string | null;
  width?: number | null;
  height?: number | null;
  thumbnail: boolean;
}

/** `GET …/messages/{seq}/reads`. */
export interface ReadReceipts {
  read_by: string[];
  count: number;
  unread_count: number;
}

/** The answer to a send or recall. */
export interface AckFrame {
  type: 'ack';
  id: string;
  client_msg_id: string;
  conv: string;
  seq: number;
  msg_id: string;
  ts: number;
  duplicate?: boolean;
}

/** An `error` frame; `id` names the request it answers, when it answers one. */
export interface ErrorFrame {
  type: 'error';
  id?: string;
  code: string;
  message: string;
  retry_after_ms?: number;
}

/** Every server frame the app acts on; others are ignored. */
export type ServerFrame =
  | AckFrame
  | ErrorFrame
  | { type: 'msg'; message: WireMessage }
  | { type: 'sync_result'; id: string; conv: string; messages: WireMessage[]; has_more: boolean; min_seq?: number }
  | { type: 'read'; conv: string; user_id: string; seq: number }
  /** I read a thread (on any device): the conversation's count of threads with new replies. */
  | { type: 'thread_read'; conv: string; root: number; seq: number; threads: number }
  | { type: 'pong'; changes?: number }
  | { type: 'presence'; user_id: string; online: boolean; last_active_at?: number }
  | { type: 'typing'; conv: string; user_id: string }
  | { type: 'kicked'; reason: string }
  | { type: 'reconnect'; reason: string; url?: string; after_ms: number };

/** The direct conversation id of two users: `d:{lo}:{hi}`. */
export function directConvId(a: string, b: string): string {
  return a < b ? `d:${a}:${b}` : `d:${b}:${a}`;
}

/** The other user of a direct conversation, or null for a group. */
export function peerOf(conv: string, me: string): string | null {
  if (!conv.startsWith('d:')) return null;
  const [, lo, hi] = conv.split(':');
  return lo === me ? hi : lo;
}
