// The one WebSocket of a signed-in tab: `/ws?token=` on this origin, a `ping` heartbeat, and
// reconnects with exponential backoff and jitter (a fresh token each time, refreshed when the
// last handshake failed). Requests carry an `id` and resolve with the frame answering it.
// A revoked or kicked session ends here: `endSession()` sends the tab to the sign-in page.
import { Backoff } from './backoff';
import { ApiError } from './errors';
import { accessToken, endSession } from './session';
import type { ServerFrame } from './wire';

/** What the UI shows about the link: open, being opened, or down and waiting to retry. */
export type ConnState = 'online' | 'connecting' | 'offline';

/** A frame the client sends: any object with a `type`. */
export type ClientFrame = { type: string; id?: string } & Record<string, unknown>;

/** Thrown to requests whose answer cannot come (the socket closed or the wait ran out). */
export class RequestLost extends Error {
  constructor(reason: 'disconnected' | 'timeout') {
    super(reason);
    this.name = 'RequestLost';
  }
}

const HEARTBEAT_MS = 15_000;
const SILENCE_LIMIT_MS = 45_000;
const CLOSE_KICKED = 4001;
const CLOSE_POLICY = 1008;

interface Waiter {
  resolve: (frame: ServerFrame) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** The realtime link. `start()` once; listeners hear frames, state changes and each (re)connect. */
export class RealtimeSocket {
  state: ConnState = 'connecting';
  private ws: WebSocket | null = null;
  private stopped = true;
  private readonly backoff = new Backoff(250, 15_000);
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  private lastChanges: number | undefined;
  private failedBeforeOpen = false;
  private counter = 0;
  private readonly waiters = new Map<string, Waiter>();
  private readonly frameListeners = new Set<(frame: ServerFrame) => void>();
  private readonly stateListeners = new Set<(state: ConnState) => void>();
  private readonly openListeners = new Set<() => void>();
  private readonly changeListeners = new Set<() => void>();

  /** Opens the link and keeps it open until `stop()`. */
  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onBrowserOnline);
    void this.connect();
  }

  /** Closes the link for good (sign-out, unmount). */
  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onBrowserOnline);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.drop();
  }

  /** A fresh request id. */
  nextId(): string {
    this.counter += 1;
    return `w${this.counter}`;
  }

  /** Sends a frame now; false when the link is down (the caller retries after the next open). */
  send(frame: ClientFrame): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Sends a frame with an `id` and resolves with the answer carrying it (ack, result or error). */
  request(frame: ClientFrame, timeoutMs = 10_000): Promise<ServerFrame> {
    const id = frame.id ?? this.nextId();
    return new Promise((resolve, reject) => {
      if (!this.send({ ...frame, id })) {
        reject(new RequestLost('disconnected'));
        return;
      }
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new RequestLost('timeout'));
      }, timeoutMs);
      this.waiters.set(id, { resolve, reject, timer });
    });
  }

  /** Hears every server frame. */
  onFrame(fn: (frame: ServerFrame) => void): () => void {
    this.frameListeners.add(fn);
    return () => this.frameListeners.delete(fn);
  }

  /** Hears state changes. */
  onState(fn: (state: ConnState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  /** Hears each successful (re)connect: the moment to catch up and resend. */
  onOpen(fn: () => void): () => void {
    this.openListeners.add(fn);
    return () => this.openListeners.delete(fn);
  }

  /** Hears a `pong` whose change counter moved: a push may have been missed. */
  onMissedChanges(fn: () => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  private setState(state: ConnState) {
    if (this.state === state) return;
    this.state = state;
    this.stateListeners.forEach((fn) => fn(state));
  }

  private readonly onBrowserOnline = () => {
    if (this.stopped || this.state === 'online') return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.backoff.reset();
    void this.connect();
  };

  private async connect() {
    this.retryTimer = null;
    if (this.stopped) return;
    this.setState('connecting');
    let token: string;
    try {
      token = await accessToken(this.failedBeforeOpen);
    } catch (e) {
      // A refused refresh already ended the session; a network failure waits and tries again.
      if (e instanceof ApiError && e.code !== 'network') return;
      this.scheduleRetry();
      return;
    }
    if (this.stopped) return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/ws?token=${encodeURIComponent(token)}`);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.failedBeforeOpen = false;
      this.backoff.reset();
      this.lastHeard = Date.now();
      this.lastChanges = undefined;
      this.setState('online');
      this.send({ type: 'ping' });
      this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
      this.openListeners.forEach((fn) => fn());
    };
    ws.onmessage = (event) => {
      this.lastHeard = Date.now();
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(event.data));
      } catch {
        return;
      }
      this.dispatch(frame);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.drop();
      if (event.code === CLOSE_KICKED || (event.code === CLOSE_POLICY && /revoked/i.test(event.reason))) {
        this.stopped = true;
        endSession();
        return;
      }
      if (!opened) this.failedBeforeOpen = true;
      this.scheduleRetry();
    };
  }

  private dispatch(frame: ServerFrame) {
    if (frame.type === 'pong') {
      const changes = frame.changes;
      if (changes !== undefined) {
        if (this.lastChanges !== undefined && changes !== this.lastChanges) this.changeListeners.forEach((fn) => fn());
        this.lastChanges = changes;
      }
    } else if (frame.type === 'kicked') {
      this.stop();
      endSession();
      return;
    } else if (frame.type === 'reconnect') {
      // The instance drains: come back after its hint (the socket closes with 1012 meanwhile).
      this.backoff.reset();
    } else if (frame.type === 'error' && frame.code === 'token_expired' && !frame.id) {
      this.failedBeforeOpen = true;
      this.ws?.close();
    }
    const id = 'id' in frame ? frame.id : undefined;
    if (id) {
      const waiter = this.waiters.get(id);
      if (waiter) {
        clearTimeout(waiter.timer);
        this.waiters.delete(id);
        waiter.resolve(frame);
      }
    }
    this.frameListeners.forEach((fn) => fn(frame));
  }

  private beat() {
    if (Date.now() - this.lastHeard > SILENCE_LIMIT_MS) {
      // A half-open link: give up on it and start again.
      const ws = this.ws;
      this.drop();
      ws?.close();
      this.scheduleRetry();
      return;
    }
    this.send({ type: 'ping' });
  }

  /** Forgets the current socket: handlers off, waiters failed, heartbeat stopped. */
  private drop() {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
    }
    for (const waiter of this.waiters.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new RequestLost('disconnected'));
    }
    this.waiters.clear();
  }

  private scheduleRetry() {
    if (this.stopped) return;
    this.setState('offline');
    const delay = this.backoff.next();
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }
}
