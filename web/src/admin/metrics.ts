// A small reader of the Prometheus / OpenMetrics text format that `GET /metrics` serves: enough
// for the dashboard (samples with labels; comments, `# EOF` and timestamps are skipped).

/** One sample line: `name{label="value",…} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?\s*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

function unescape(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

function parseLabels(text: string | undefined): Record<string, string> | null {
  const labels: Record<string, string> = {};
  if (!text) return labels;
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (!match) return null;
    labels[match[1]] = unescape(match[2]);
  }
  return labels;
}

/** The samples of an exposition; lines that do not parse are skipped. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels = parseLabels(match[2]);
    const value = parseValue(match[3]);
    if (labels && !Number.isNaN(value)) samples.push({ name: match[1], labels, value });
  }
  return samples;
}

/** One scrape, indexed by name, with the time it was taken (ms). */
export class Scrape {
  private readonly byName = new Map<string, Sample[]>();

  constructor(readonly at: number, samples: Sample[]) {
    for (const s of samples) {
      const list = this.byName.get(s.name);
      if (list) list.push(s);
      else this.byName.set(s.name, [s]);
    }
  }

  /** Samples of `name` whose labels include every pair of `match`. */
  select(name: string, match: Record<string, string> = {}): Sample[] {
    return (this.byName.get(name) ?? []).filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v));
  }

  /** The sum of those samples, or null when there are none. */
  sum(name: string, match: Record<string, string> = {}): number | null {
    const found = this.select(name, match);
    return found.length ? found.reduce((total, s) => total + s.value, 0) : null;
  }

  /** A histogram's cumulative buckets `[le, count]`, ascending by `le`. */
  buckets(histogram: string): [number, number][] {
    return this.select(`${histogram}_bucket`)
      .map((s): [number, number] => [parseValue(s.labels.le ?? ''), s.value])
      .filter(([le]) => !Number.isNaN(le))
      .sort((a, b) => a[0] - b[0]);
  }
}
