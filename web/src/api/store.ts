// The chat's state in memory, kept true to the server: the conversation list (a full load, then
// `since_version` increments), each opened conversation's timeline (pushes de-duplicated by seq,
// gaps filled with `sync`, a catch-up from the last seq after every (re)connect and whenever a
// `pong` shows a missed change), read positions, typing and presence. Views subscribe and read.
import { api } from './http';
import { Outbox, type PendingMessage } from './outbox';
import { listPages } from './listPages';
import { RealtimeSocket, RequestLost } from './socket';
import { Timeline } from './timeline';
import { isShown } from './timeline';
import type { ConversationRow, MessagePage, ServerFrame, UserProfile, WireMessage } from './wire';
import { peerOf } from './wire';

const TYPING_SHOWN_MS = 6_000;
const SYNC_PAGE = 200;

/** A user's presence as last heard. */
export interface Presence {
  online: boolean;
  last_active_at?: number | null;
}

/** Everything the chat screens read; `subscribe` to hear changes. */
export class ChatStore {
  readonly socket = new RealtimeSocket();
  readonly outbox: Outbox;
  readonly rows = new Map<string, ConversationRow>();
  readonly timelines = new Map<string, Timeline>();
  /** In direct chats, how far the peer has read. */
  readonly peerRead = new Map<string, number>();
  readonly presence = new Map<string, Presence>();
  readonly profiles = new Map<string, UserProfile>();
  private readonly typing = new Map<string, Map<string, number>>();
  private listVersion: number | undefined;
  private listLoading: Promise<void> | null = null;
  private listAgain = false;
  private readonly syncing = new Map<string, Promise<void>>();
  private readonly profileRequests = new Map<string, Promise<UserProfile | null>>();
  private readonly listeners = new Set<() => void>();
  private emitQueued = false;
  private offs: (() => void)[] = [];
  /** Bumped on every change: views compare it to know they must re-render. */
  revision = 0;
  listLoaded = false;

  constructor(readonly me: string) {
    this.outbox = new Outbox(this.socket, me, {
      acked: (item, ack) => {
        const message: WireMessage = {
          conv: ack.conv,
          seq: ack.seq,
          msg_id: ack.msg_id,
          sender: me,
          client_msg_id: item.client_msg_id,
          kind: item.kind,
          body: item.body,
          ts: ack.ts,
        };
        this.take(message, false);
      },
      changed: () => this.emit(),
    });
  }

  /** Connects and loads the list; call once. */
  start() {
    this.offs = [
      this.socket.onFrame((frame) => this.onFrame(frame)),
      this.socket.onOpen(() => this.catchUp()),
      this.socket.onMissedChanges(() => void this.refreshList()),
      this.socket.onState(() => this.emit()),
    ];
    this.socket.start();
    void this.refreshList();
  }

  /** Disconnects (sign-out). */
  stop() {
    this.offs.forEach((off) => off());
    this.socket.stop();
  }

  /** Hears every change (batched to one per frame). */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Marks the state changed; listeners run once on the next animation frame. */
  emit() {
    this.revision += 1;
    if (this.emitQueued) return;
    this.emitQueued = true;
    requestAnimationFrame(() => {
      this.emitQueued = false;
      this.listeners.forEach((fn) => fn());
    });
  }

  /** The list: pinned first, then the most recently active. */
  sortedRows(): ConversationRow[] {
    const activity = (row: ConversationRow) => row.last_message?.ts ?? row.version ?? 0;
    return [...this.rows.values()].sort((a, b) => Number(!!b.pinned) - Number(!!a.pinned) || activity(b) - activity(a));
  }

  /** The timeline of `conv` (created empty). */
  timeline(conv: string): Timeline {
    let timeline = this.timelines.get(conv);
    if (!timeline) this.timelines.set(conv, (timeline = new Timeline()));
    return timeline;
  }

  /** The pending sends of `conv`. */
  pending(conv: string): PendingMessage[] {
    return this.outbox.of(conv);
  }

  /** Who is typing in `conv` now. */
  typists(conv: string): string[] {
    const now = Date.now();
    return [...(this.typing.get(conv)?.entries() ?? [])].filter(([, until]) => until > now).map(([user]) => user);
  }

  // ---- conversation list ----

  /** Loads the list (all of it the first time, then the rows changed since the last answer). */
  refreshList(): Promise<void> {
    if (this.listLoading) {
      this.listAgain = true;
      return this.listLoading;
    }
    this.listLoading = (async () => {
      try {
        do {
          this.listAgain = false;
          // The first page shows at once; later pages fill in behind it. The next increment
          // starts from the first page's version, the oldest of the pages.
          let version: number | undefined;
          for await (const answer of listPages(this.listVersion)) {
            for (const row of answer.conversations) this.mergeRow(row);
            version ??= answer.version;
            this.listLoaded = true;
            this.emit();
          }
          if (version !== undefined) this.listVersion = version;
        } while (this.listAgain);
      } catch {
        // Offline: the next connect loads it again.
      } finally {
        this.listLoading = null;
      }
    })();
    return this.listLoading;
  }

  private mergeRow(row: ConversationRow) {
    const known = this.rows.get(row.conv);
    // The server's row is the truth, except a read position this tab already moved further.
    if (known && known.read_seq > row.read_seq && row.max_seq <= known.read_seq) {
      row = { ...row, read_seq: known.read_seq, unread: 0, mention_count: 0, mentioned: false };
    }
    this.rows.set(row.conv, row);
    const timeline = this.timelines.get(row.conv);
    if (timeline?.loaded && !timeline.hasNewer && row.max_seq > timeline.syncedTo) void this.sync(row.conv);
  }

  // ---- frames ----

  private onFrame(frame: ServerFrame) {
    switch (frame.type) {
      case 'msg':
        this.take(frame.message, true);
        break;
      case 'read':
        this.onRead(frame.conv, frame.user_id, frame.seq);
        break;
      case 'typing': {
        let users = this.typing.get(frame.conv);
        if (!users) this.typing.set(frame.conv, (users = new Map()));
        users.set(frame.user_id, Date.now() + TYPING_SHOWN_MS);
        setTimeout(() => this.emit(), TYPING_SHOWN_MS + 50);
        this.emit();
        break;
      }
      case 'presence':
        this.presence.set(frame.user_id, { online: frame.online, last_active_at: frame.last_active_at });
        this.emit();
        break;
      case 'thread_read': {
        const row = this.rows.get(frame.conv);
        if (row) this.rows.set(frame.conv, { ...row, threads: frame.threads });
        this.emit();
        break;
      }
    }
  }

  /** A message from a push, a sync or our own ack: into its timeline and its list row. */
  private take(message: WireMessage, pushed: boolean) {
    const conv = message.conv;
    if (message.sender === this.me) this.outbox.settle(message.client_msg_id);
    const timeline = this.timelines.get(conv);
    if (timeline?.loaded && !timeline.hasNewer) {
      timeline.absorb([message]);
      timeline.mark(message.seq);
      if (timeline.gapped && pushed) void this.sync(conv);
    }
    // Typing stops showing when the typist's message arrives.
    this.typing.get(conv)?.delete(message.sender);
    const row = this.rows.get(conv);
    if (!row) {
      void this.refreshList();
    } else if (message.seq > row.max_seq || (row.last_message && message.seq > row.last_message.seq)) {
      const next: ConversationRow = { ...row, max_seq: Math.max(row.max_seq, message.seq), version: Date.now() };
      if (isShown(message.kind) || message.kind === 'recall') next.last_message = message;
      else if (message.kind === 'edit' && row.last_message && row.last_message.seq === message.body.seq && typeof message.body.body === 'object') {
        // The list shows the edited text of its last message.
        next.last_message = { ...row.last_message, body: message.body.body as Record<string, unknown>, edited_at: message.ts };
      }
      if (message.sender !== this.me && isShown(message.kind) && message.kind !== 'group_notice' && message.seq > row.read_seq) {
        next.unread = row.unread + 1;
        const body = message.body;
        if (body.mention_all === true || (Array.isArray(body.mentions) && body.mentions.includes(this.me))) {
          next.mention_count = (row.mention_count ?? 0) + 1;
          next.mentioned = true;
        }
      }
      if (message.sender === this.me) {
        next.read_seq = Math.max(row.read_seq, message.seq);
        next.unread = 0;
      }
      this.rows.set(conv, next);
    }
    this.emit();
  }

  private onRead(conv: string, user: string, seq: number) {
    if (user === this.me) {
      const row = this.rows.get(conv);
      if (row && seq > row.read_seq) {
        this.rows.set(conv, { ...row, read_seq: seq, ...(seq >= row.max_seq ? { unread: 0, mention_count: 0, mentioned: false } : {}) });
        if (seq < row.max_seq) void this.refreshList();
      }
    } else if (peerOf(conv, this.me) === user) {
      this.peerRead.set(conv, Math.max(this.peerRead.get(conv) ?? 0, seq));
    }
    this.emit();
  }

  // ---- history ----

  /** Loads the newest page of `conv` if it is not loaded (the server clamps `before_seq` to its end). */
  async open(conv: string): Promise<void> {
    const timeline = this.timeline(conv);
    if (timeline.loaded) return;
    const page = await api<MessagePage>('GET', `/api/v1/conversations/${encodeURIComponent(conv)}/messages`, undefined, {
      query: { before_seq: Number.MAX_SAFE_INTEGER, limit: 50 },
    });
    if (timeline.loaded) return;
    timeline.absorb(page.messages);
    timeline.loaded = true;
    timeline.hasOlder = page.has_more;
    timeline.minSeq = page.min_seq ?? 0;
    timeline.settleTo(timeline.highest);
    this.emit();
    await this.sync(conv);
  }

  /** Loads a window around `seq` unless it is loaded already. */
  async openAround(conv: string, seq: number): Promise<void> {
    const timeline = this.timeline(conv);
    if (timeline.loaded && (timeline.get(seq) || (seq >= timeline.first && seq <= timeline.last))) return;
    const path = `/api/v1/conversations/${encodeURIComponent(conv)}/messages`;
    const [before, after] = await Promise.all([
      api<MessagePage>('GET', path, undefined, { query: { before_seq: seq + 1, limit: 40 } }),
      api<MessagePage>('GET', path, undefined, { query: { after_seq: seq, limit: 40 } }),
    ]);
    timeline.reset();
    timeline.absorb([...before.messages, ...after.messages]);
    timeline.loaded = true;
    timeline.hasOlder = before.has_more;
    timeline.hasNewer = after.has_more;
    timeline.settleTo(timeline.highest);
    this.emit();
    if (!after.has_more) await this.sync(conv);
  }

  /** Pages older history (scrolling up); resolves false when there is none. */
  async loadOlder(conv: string): Promise<boolean> {
    const timeline = this.timeline(conv);
    if (!timeline.hasOlder || !timeline.loaded) return false;
    const before = timeline.first || timeline.syncedTo + 1;
    const page = await api<MessagePage>('GET', `/api/v1/conversations/${encodeURIComponent(conv)}/messages`, undefined, {
      query: { before_seq: before, limit: 100 },
    });
    timeline.absorb(page.messages);
    timeline.hasOlder = page.has_more && page.messages.length > 0;
    this.emit();
    return true;
  }

  /** Pages newer history of a window opened in the past; it turns live when it reaches the end. */
  async loadNewer(conv: string): Promise<void> {
    const timeline = this.timeline(conv);
    if (!timeline.hasNewer) return;
    const page = await api<MessagePage>('GET', `/api/v1/conversations/${encodeURIComponent(conv)}/messages`, undefined, {
      query: { after_seq: timeline.highest, limit: SYNC_PAGE },
    });
    timeline.absorb(page.messages);
    timeline.settleTo(timeline.highest);
    if (!page.has_more) {
      timeline.hasNewer = false;
      await this.sync(conv);
    }
    this.emit();
  }

  /** Pulls everything after the timeline's cursor (over the socket; REST when it is down). */
  sync(conv: string): Promise<void> {
    const running = this.syncing.get(conv);
    if (running) return running;
    const job = (async () => {
      const timeline = this.timeline(conv);
      for (let pages = 0; pages < 100 && timeline.loaded && !timeline.hasNewer; pages++) {
        const from = timeline.syncedTo;
        let messages: WireMessage[];
        let hasMore: boolean;
        try {
          if (this.socket.state === 'online') {
            const answer = await this.socket.request({ type: 'sync', conv, after_seq: from, limit: SYNC_PAGE });
            if (answer.type !== 'sync_result') return; // seq_out_of_range and the like: nothing to pull
            ({ messages, has_more: hasMore } = answer);
          } else {
            const page = await api<MessagePage>('GET', `/api/v1/conversations/${encodeURIComponent(conv)}/messages`, undefined, {
              query: { after_seq: from, limit: SYNC_PAGE },
            });
            ({ messages, has_more: hasMore } = page);
          }
        } catch (e) {
          if (e instanceof RequestLost) return; // the next connect catches up
          return;
        }
        for (const m of messages) this.take(m, false);
        const reached = messages.length ? messages[messages.length - 1].seq : from;
        // Holes the server could not fill are settled: what it answered is complete up to there.
        timeline.settleTo(Math.max(reached, hasMore ? 0 : timeline.highest));
        if (!hasMore || reached <= from) break;
      }
    })().finally(() => this.syncing.delete(conv));
    this.syncing.set(conv, job);
    return job;
  }

  /** After each (re)connect: resend, refresh the list and catch up every loaded conversation. */
  private catchUp() {
    this.outbox.flush();
    void this.refreshList();
    for (const [conv, timeline] of this.timelines) if (timeline.loaded && !timeline.hasNewer) void this.sync(conv);
    this.emit();
  }

  // ---- reads, typing, presence, profiles ----

  /** Moves my read position to the newest loaded message of `conv` (when it is on screen). */
  markRead(conv: string) {
    const timeline = this.timelines.get(conv);
    const row = this.rows.get(conv);
    if (!timeline?.loaded || timeline.hasNewer) return;
    const seq = timeline.highest;
    if (seq <= 0 || (row && row.read_seq >= seq)) return;
    if (!this.socket.send({ type: 'read', conv, seq })) {
      void api('POST', `/api/v1/conversations/${encodeURIComponent(conv)}/read`, { seq }).catch(() => {});
    }
    if (row) this.rows.set(conv, { ...row, read_seq: seq, unread: 0, mention_count: 0, mentioned: false });
    this.emit();
  }

  /** Tells the others I am typing (the caller throttles). */
  sendTyping(conv: string) {
    this.socket.send({ type: 'typing', conv });
  }

  /** Watches the presence of `users` over the socket (replaces the previous set). */
  watchPresence(users: string[]) {
    this.socket.send({ type: 'presence_sub', id: this.socket.nextId(), users: users.slice(0, 500) });
  }

  /** A user's profile with presence (fetched once; `fresh` fetches again). */
  profile(userId: string, fresh = false): Promise<UserProfile | null> {
    const known = this.profileRequests.get(userId);
    if (known && !fresh) return known;
    const request = api<UserProfile>('GET', `/api/v1/users/${encodeURIComponent(userId)}`).then(
      (profile) => {
        this.profiles.set(userId, profile);
        if (profile.presence) this.presence.set(userId, profile.presence);
        this.emit();
        return profile;
      },
      () => {
        this.profileRequests.delete(userId);
        return null;
      },
    );
    this.profileRequests.set(userId, request);
    return request;
  }
}
