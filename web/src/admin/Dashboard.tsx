// The dashboard: live figures of this instance from its own `/metrics` (scraped every 2 s,
// no auth, the last 5 minutes kept in memory) as number tiles and uPlot charts, plus the
// account totals of `GET /admin/v1/stats` (read every 30 s: it scans the message log).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { AlignedData } from 'uplot';
import { api } from '../api/http';
import { useLang, useT } from '../i18n';
import type { SectionProps } from './AdminConsole';
import { Chart } from './Chart';
import { pointOf, type Point } from './figures';
import { parseMetrics, Scrape } from './metrics';
import type { Stats } from './types';

const POLL_MS = 2000;
const KEEP_MS = 5 * 60 * 1000;
/** How far back latencies are measured (a 2 s step often holds no send). */
const WINDOW_MS = 10_000;
const STATS_MS = 30_000;

/** Scrapes `/metrics` every 2 s while mounted; the points of the last 5 minutes. */
function useLivePoints(): { points: Point[]; error: boolean } {
  const [points, setPoints] = useState<Point[]>([]);
  const [error, setError] = useState(false);
  const scrapes = useRef<Scrape[]>([]);
  useEffect(() => {
    let timer = 0;
    let stopped = false;
    const controller = new AbortController();
    const poll = async () => {
      try {
        const response = await fetch('/metrics', { signal: controller.signal, cache: 'no-store' });
        if (!response.ok) throw new Error(String(response.status));
        const now = new Scrape(Date.now(), parseMetrics(await response.text()));
        const history = scrapes.current;
        const prev = history.length ? history[history.length - 1] : null;
        const windowStart = history.find((s) => now.at - s.at <= WINDOW_MS + POLL_MS / 2) ?? prev;
        history.push(now);
        while (history.length && now.at - history[0].at > WINDOW_MS * 2) history.shift();
        const point = pointOf(now, prev, windowStart && windowStart !== now ? windowStart : null);
        setPoints((old) => [...old.filter((p) => now.at / 1000 - p.t <= KEEP_MS / 1000), point]);
        setError(false);
      } catch {
        if (!stopped) setError(true);
      }
      if (!stopped) timer = window.setTimeout(poll, POLL_MS);
    };
    poll();
    return () => {
      stopped = true;
      controller.abort();
      clearTimeout(timer);
    };
  }, []);
  return { points, error };
}

function useStats(): Stats | null {
  const [stats, setStats] = useState<Stats | null>(null);
  useEffect(() => {
    let alive = true;
    const load = () => api<Stats>('GET', '/admin/v1/stats').then((s) => alive && setStats(s), () => {});
    load();
    const timer = window.setInterval(load, STATS_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, []);
  return stats;
}

type Key = Exclude<keyof Point, 't'>;

function latest(points: Point[], key: Key): number | null {
  for (let i = points.length - 1; i >= 0; i--) {
    const v = points[i][key];
    if (v !== null) return v;
  }
  return null;
}

function highest(points: Point[], key: Key): number | null {
  let best: number | null = null;
  for (const p of points) if (p[key] !== null && (best === null || (p[key] as number) > best)) best = p[key];
  return best;
}

/** The dashboard section. */
export function Dashboard(_props: SectionProps) {
  const t = useT();
  const lang = useLang();
  const { points, error } = useLivePoints();
  const stats = useStats();
  const number = (v: number | null, digits = 0) =>
    v === null ? '—' : v.toLocaleString(lang, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  const current = points.length ? points[points.length - 1] : null;

  const series = useMemo(() => {
    const column = (key: Key) => points.map((p) => p[key]);
    const xs = points.map((p) => p.t);
    return {
      connections: [xs, column('connections')] as AlignedData,
      messages: [xs, column('messagesPerSec')] as AlignedData,
      latency: [xs, column('p99CommitMs'), column('p99AckMs')] as AlignedData,
      errors: [xs, column('http5xxPerSec'), column('wsErrorsPerSec')] as AlignedData,
    };
  }, [points]);

  const summary = (key: Key, digits: number, unit = '') =>
    t('admin.dash.summary', { now: number(latest(points, key), digits) + unit, max: number(highest(points, key), digits) + unit });
  const errorsNow = current && (current.http5xxPerSec !== null || current.wsErrorsPerSec !== null)
    ? (current.http5xxPerSec ?? 0) + (current.wsErrorsPerSec ?? 0)
    : null;

  const tiles: { id: string; label: string; value: string }[] = [
    { id: 'connections', label: t('admin.dash.connections'), value: number(current?.connections ?? null) },
    { id: 'messages', label: t('admin.dash.messagesPerSec'), value: number(current?.messagesPerSec ?? null, 1) },
    { id: 'p99', label: t('admin.dash.p99'), value: latest(points, 'p99CommitMs') === null ? '—' : number(latest(points, 'p99CommitMs'), 1) + ' ms' },
    { id: 'errors', label: t('admin.dash.errorsPerSec'), value: number(errorsNow, 2) },
    { id: 'users', label: t('admin.dash.users'), value: number(stats?.users ?? null) },
    { id: 'devices', label: t('admin.dash.devices'), value: number(stats?.online_devices ?? null) },
    { id: 'today', label: t('admin.dash.today'), value: number(stats?.messages_today ?? null) },
  ];

  return (
    <section aria-labelledby="admin-dash-title">
      <h1 id="admin-dash-title">{t('admin.nav.dashboard')}</h1>
      <p class="notice">{t('admin.dash.about')}</p>
      {error && <p class="error" role="alert">{t('admin.dash.unreachable')}</p>}
      <ul class="admin-tiles" aria-label={t('admin.dash.now')}>
        {tiles.map((tile) => (
          <li key={tile.id} class="admin-tile" data-testid={`tile-${tile.id}`}>
            <span class="label">{tile.label}</span>
            <span class="value" data-testid={`tile-${tile.id}-value`}>{tile.value}</span>
          </li>
        ))}
      </ul>
      <div class="admin-charts">
        <Chart testId="chart-connections" title={t('admin.dash.connections')} unit=""
          lines={[{ label: t('admin.dash.connections'), color: 'var(--accent)' }]}
          data={series.connections} summary={summary('connections', 0)} />
        <Chart testId="chart-messages" title={t('admin.dash.messagesPerSec')} unit=""
          lines={[{ label: t('admin.dash.messagesPerSec'), color: 'var(--ok)' }]}
          data={series.messages} summary={summary('messagesPerSec', 1)} />
        <Chart testId="chart-latency" title={t('admin.dash.latency')} unit=" ms"
          lines={[{ label: t('admin.dash.p99'), color: 'var(--accent)' }, { label: t('admin.dash.p99Ack'), color: 'var(--muted)' }]}
          data={series.latency}
          summary={`${t('admin.dash.p99')}: ${summary('p99CommitMs', 1, ' ms')} ${t('admin.dash.p99Ack')}: ${summary('p99AckMs', 1, ' ms')}`} />
        <Chart testId="chart-errors" title={t('admin.dash.errorsPerSec')} unit=""
          lines={[{ label: t('admin.dash.http5xx'), color: 'var(--danger)' }, { label: t('admin.dash.wsErrors'), color: '#e69500' }]}
          data={series.errors}
          summary={`${t('admin.dash.http5xx')}: ${summary('http5xxPerSec', 2)} ${t('admin.dash.wsErrors')}: ${summary('wsErrorsPerSec', 2)}`} />
      </div>
    </section>
  );
}
