// The dashboard's figures, derived from consecutive scrapes of `/metrics` the way Prometheus'
// `rate()` and `histogram_quantile()` would: counter deltas over elapsed time (a counter that
// went down means the server restarted: no figure for that step), and a quantile interpolated
// inside the histogram bucket where it falls, over the buckets' deltas.
import type { Scrape } from './metrics';

/** Metric names (interfaces/src/metrics.rs, docs/operations.md "Metrics"). */
export const METRIC = {
  connections: 'tidings_ws_connections',
  commits: 'tidings_commits_total',
  commitBatch: 'tidings_commit_batch_seconds',
  ackLatency: 'tidings_ack_latency_seconds',
  http: 'tidings_http_requests_total',
  wsErrors: 'tidings_ws_errors_total',
} as const;

/** Figures at one moment; null where there is nothing to say (no traffic, a restart). */
export interface Point {
  /** Unix seconds. */
  t: number;
  connections: number | null;
  messagesPerSec: number | null;
  /** p99 of a database batch commit over the last window, ms. */
  p99CommitMs: number | null;
  /** p99 of send → ack (validated, committed, acked) over the last window, ms. */
  p99AckMs: number | null;
  http5xxPerSec: number | null;
  wsErrorsPerSec: number | null;
}

/** The per-second rate of a counter between two scrapes. */
export function rate(now: Scrape, then: Scrape, name: string, match: Record<string, string> = {}): number | null {
  const b = now.sum(name, match);
  // Labelled series appear with their first count: absent before means zero.
  const a = then.sum(name, match) ?? (b === null ? null : 0);
  const seconds = (now.at - then.at) / 1000;
  if (a === null || b === null || seconds <= 0 || b < a) return null;
  return (b - a) / seconds;
}

/** The `q` quantile of the observations a histogram gained between two scrapes, in its unit. */
export function quantileBetween(now: Scrape, then: Scrape, histogram: string, q: number): number | null {
  const after = now.buckets(histogram);
  const before = new Map(then.buckets(histogram));
  const deltas = after.map(([le, count]): [number, number] => [le, count - (before.get(le) ?? 0)]);
  if (deltas.some(([, d]) => d < 0)) return null;
  return quantile(deltas, q);
}

/** `histogram_quantile`: `q` of cumulative buckets `[le, count]` (ascending, the last `+Inf`). */
export function quantile(buckets: [number, number][], q: number): number | null {
  if (!buckets.length) return null;
  const total = buckets[buckets.length - 1][1];
  if (!(total > 0)) return null;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      // Past the last finite bucket: the best that can be said is its bound.
      if (le === Infinity) return lowerLe;
      const inBucket = count - lowerCount;
      return inBucket > 0 ? lowerLe + (le - lowerLe) * ((rank - lowerCount) / inBucket) : le;
    }
    lowerLe = le;
    lowerCount = count;
  }
  return lowerLe;
}

/**
 * The figures of `now`, against the scrape just before it (`prev`, for rates) and one about
 * `window` back (`windowStart`, for latencies: a 2 s step often holds no send at all).
 */
export function pointOf(now: Scrape, prev: Scrape | null, windowStart: Scrape | null): Point {
  const ms = (seconds: number | null) => (seconds === null ? null : seconds * 1000);
  return {
    t: now.at / 1000,
    connections: now.sum(METRIC.connections),
    messagesPerSec: prev ? rate(now, prev, METRIC.commits, { what: 'messages' }) : null,
    p99CommitMs: windowStart ? ms(quantileBetween(now, windowStart, METRIC.commitBatch, 0.99)) : null,
    p99AckMs: windowStart ? ms(quantileBetween(now, windowStart, METRIC.ackLatency, 0.99)) : null,
    http5xxPerSec: prev ? rate(now, prev, METRIC.http, { status: '5xx' }) ?? 0 : null,
    wsErrorsPerSec: prev ? rate(now, prev, METRIC.wsErrors) ?? 0 : null,
  };
}
