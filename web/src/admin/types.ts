// Shapes of the admin API's answers (docs/admin.md; checked against /api/openapi.json).

/** An account as administrators see it. */
export interface AdminUser {
  user_id: string;
  username: string;
  display_name: string;
  role: string;
  disabled: boolean;
  disabled_at?: number | null;
  created_at: number;
}

/** `GET /admin/v1/users`. */
export interface UserPage {
  users: AdminUser[];
  next_cursor?: string | null;
}

/** `GET /admin/v1/stats`. */
export interface Stats {
  users: number;
  online_devices: number;
  messages_today: number;
}

/** A group (the `/api/v1/groups` object; admins see every field). */
export interface GroupInfo {
  group_id: string;
  conv: string;
  name: string;
  owner?: string | null;
  member_count: number;
  join_policy: string;
  created_at: number;
  dissolved_at?: number | null;
  announcement?: string | null;
  introduction?: string | null;
}

/** `GET /admin/v1/groups`. */
export interface GroupList {
  groups: GroupInfo[];
  next_after?: string | null;
}

/** One member of a group. */
export interface GroupMember {
  user_id: string;
  role: string;
  joined_at: number;
  nickname?: string | null;
  muted_until?: number | null;
}

/** `GET /admin/v1/groups/{id}/members`. */
export interface GroupMemberList {
  members: GroupMember[];
  next_after?: string | null;
}

/** An API key without its secret. */
export interface ApiKey {
  key_id: string;
  name: string;
  scopes: string[];
  created_by: string;
  created_at: number;
  revoked_at?: number | null;
}

/** The answer to creating a key: the only time `key` is shown. */
export interface CreatedApiKey extends ApiKey {
  key: string;
}

/** The scopes a key may hold. */
export const API_KEY_SCOPES = ['users:read', 'users:write', 'messages:send', 'webhooks:manage'] as const;

/** A webhook without its secret. */
export interface Webhook {
  webhook_id: string;
  url: string;
  events: string[];
  created_at: number;
}

/** The answer to registering a webhook: the only time `secret` is shown. */
export interface CreatedWebhook extends Webhook {
  secret: string;
}

/** The events a webhook may subscribe to. */
export const WEBHOOK_EVENTS = ['message.sent', 'group.changed', 'user.online', 'user.offline'] as const;

/** One delivery of a webhook's log. */
export interface Delivery {
  delivery_id: string;
  event: string;
  status: string;
  attempts: number;
  last_status?: number | null;
  last_error?: string | null;
  next_attempt_at?: number | null;
  created_at: number;
  updated_at: number;
}

/** `GET /integration/v1/webhooks/{id}/deliveries`. */
export interface DeliveryPage {
  deliveries: Delivery[];
  next_cursor?: string | null;
}

/** What a word list's match does. */
export type FilterAction = 'reject' | 'mask' | 'flag';
export const FILTER_ACTIONS: FilterAction[] = ['reject', 'mask', 'flag'];

/** A word list (`words` only when one list is read). */
export interface FilterList {
  id: string;
  name: string;
  action: FilterAction;
  word_count: number;
  updated_at: number;
  words?: string[] | null;
}

/** Text a flag list caught. */
export interface FlaggedEntry {
  id: number;
  at: number;
  subject: string;
  author: string;
  conv?: string | null;
  reference?: string | null;
  lists: string[];
  words: string[];
  excerpt: string;
}

/** `GET /admin/v1/flagged`. */
export interface FlaggedPage {
  entries: FlaggedEntry[];
  next_cursor?: string | null;
}

/** A bot's per-day budgets (0 = no limit; unset = the server's default). */
export interface BotBudgets {
  requests_per_day?: number | null;
  tokens_per_day?: number | null;
  user_requests_per_day?: number | null;
  user_tokens_per_day?: number | null;
}
export const BUDGET_KEYS = ['requests_per_day', 'tokens_per_day', 'user_requests_per_day', 'user_tokens_per_day'] as const;

/** What a bot spent in one UTC day. */
export interface BotUsage {
  requests: number;
  tokens_in: number;
  tokens_out: number;
  errors: number;
}

/** An AI bot as administrators see it (never its key). */
export interface Bot {
  bot_id: string;
  username: string;
  display_name: string;
  base_url: string;
  model: string;
  has_api_key: boolean;
  system_prompt: string;
  temperature: number;
  stream: boolean;
  budgets: BotBudgets;
  usage_today: BotUsage;
  created_at: number;
  updated_at: number;
}

/** `GET /admin/v1/bots/{id}/usage`. */
export interface BotUsageReport {
  day: number;
  total: BotUsage;
  user?: BotUsage | null;
  budgets: BotBudgets;
}
