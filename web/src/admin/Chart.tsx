// One line chart drawn by uPlot on a canvas, sized to its box; the figure's caption and a text
// summary (the latest value and the window's highest) are what screen readers get.
import { useEffect, useRef } from 'preact/hooks';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line of a chart. */
export interface Line {
  label: string;
  /** A CSS colour; `var(--x)` names are read from the page. */
  color: string;
}

function cssColor(el: Element, color: string): string {
  const name = /^var\((--[\w-]+)\)$/.exec(color)?.[1];
  return name ? getComputedStyle(el).getPropertyValue(name).trim() || '#888' : color;
}

/** A uPlot chart of `data` (`[unix seconds, …one array per line]`). */
export function Chart({ title, lines, data, unit, summary, testId }: {
  title: string;
  lines: Line[];
  data: AlignedData;
  unit: string;
  summary: string;
  testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const text = cssColor(el, 'var(--muted)');
    const grid = cssColor(el, 'var(--line)');
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const options: Options = {
      width: Math.max(200, el.clientWidth),
      height: 180,
      legend: { show: true, live: false },
      cursor: { show: false },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] } },
      axes: [{
        ...axis,
        space: 70,
        values: (_u, ticks) => ticks.map((s) => new Date(s * 1000).toLocaleTimeString(document.documentElement.lang || undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })),
      }, { ...axis, size: 56, values: (_u, ticks) => ticks.map((v) => `${+v.toPrecision(3)}${unit}`) }],
      series: [{}, ...lines.map((l) => ({ label: l.label, stroke: cssColor(el, l.color), width: 2, spanGaps: false, points: { show: false } }))],
    };
    plot.current = new uPlot(options, data, el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: 180 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return (
    <figure class="admin-chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <div ref={box} class="admin-chart-canvas" aria-hidden="true" />
      <p class="admin-chart-summary">{summary}</p>
    </figure>
  );
}
