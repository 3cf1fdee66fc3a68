// A scrolling list that keeps only the rows near the viewport in the DOM, for histories of tens
// of thousands of messages. Row heights are measured once rendered (an estimate before). The
// view stays anchored: at the bottom while the reader is there (new messages scroll in), else on
// the first visible row, so pages loaded above do not move what is being read.
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

const ESTIMATE = 64;
const OVERSCAN = 800;
const EDGE = 600;

/** What the list needs to know of each row. */
export interface VirtualListProps<T> {
  items: T[];
  keyOf: (item: T) => string;
  render: (item: T) => ComponentChildren;
  /** The reader came near the top (load older). */
  onNearTop?: () => void;
  /** The reader came near the bottom (load newer). */
  onNearBottom?: () => void;
  /** Scroll to this row once (a `?seq=` target). */
  focusKey?: string | null;
  label: string;
  class?: string;
}

/** The windowed list. */
export function VirtualList<T>(props: VirtualListProps<T>) {
  const { items, keyOf } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const atBottom = useRef(!props.focusKey);
  const anchor = useRef<{ key: string; delta: number } | null>(null);
  const focusDone = useRef<string | null>(null);
  const [view, setView] = useState({ top: 0, height: 800 });
  const [, setMeasured] = useState(0);

  // Offsets of every row (prefix sums of measured or estimated heights).
  const offsets = new Array<number>(items.length + 1);
  offsets[0] = 0;
  for (let i = 0; i < items.length; i++) offsets[i + 1] = offsets[i] + (heights.current.get(keyOf(items[i])) ?? ESTIMATE);
  const total = offsets[items.length];
  const indexAt = (y: number) => {
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (offsets[mid + 1] <= y) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const start = Math.max(0, indexAt(view.top - OVERSCAN));
  const end = Math.min(items.length, indexAt(view.top + view.height + OVERSCAN) + 1);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 32;
    const i = indexAt(el.scrollTop);
    anchor.current = i < items.length ? { key: keyOf(items[i]), delta: el.scrollTop - offsets[i] } : null;
    setView({ top: el.scrollTop, height: el.clientHeight });
    if (el.scrollTop < EDGE) props.onNearTop?.();
    if (el.scrollHeight - el.scrollTop - el.clientHeight < EDGE) props.onNearBottom?.();
  };

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    // Measure what is rendered; a changed height re-renders with true offsets.
    let changed = false;
    for (const node of el.querySelectorAll<HTMLElement>('[data-vkey]')) {
      const key = node.dataset.vkey!;
      const h = node.offsetHeight;
      if (heights.current.get(key) !== h) {
        heights.current.set(key, h);
        changed = true;
      }
    }
    if (changed) {
      setMeasured((n) => n + 1);
      return;
    }
    if (view.height !== el.clientHeight) setView({ top: el.scrollTop, height: el.clientHeight });
    const focus = props.focusKey;
    if (focus && focusDone.current !== focus) {
      const i = items.findIndex((item) => keyOf(item) === focus);
      if (i >= 0) {
        const target = Math.max(0, offsets[i] - el.clientHeight / 3);
        el.scrollTop = target;
        anchor.current = { key: focus, delta: target - offsets[i] };
        atBottom.current = false;
        if (i >= start && i < end) focusDone.current = focus;
        setView({ top: el.scrollTop, height: el.clientHeight });
        return;
      }
    }
    if (atBottom.current) {
      if (el.scrollTop !== el.scrollHeight - el.clientHeight) el.scrollTop = el.scrollHeight;
    } else if (anchor.current) {
      const key = anchor.current.key;
      const i = items.findIndex((item) => keyOf(item) === key);
      if (i >= 0) {
        const desired = offsets[i] + anchor.current.delta;
        if (Math.abs(el.scrollTop - desired) > 1) el.scrollTop = desired;
      }
    }
    if (Math.abs(view.top - el.scrollTop) > 1) setView({ top: el.scrollTop, height: el.clientHeight });
  });

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => setMeasured((n) => n + 1));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  return (
    <div class={`vlist ${props.class ?? ''}`} ref={scroller} onScroll={onScroll} tabIndex={0} role="list" aria-label={props.label}>
      <div style={{ height: `${offsets[start]}px` }} aria-hidden="true" />
      {items.slice(start, end).map((item) => {
        const key = keyOf(item);
        return (
          <div key={key} data-vkey={key} role="listitem">
            {props.render(item)}
          </div>
        );
      })}
      <div style={{ height: `${total - offsets[end]}px` }} aria-hidden="true" />
    </div>
  );
}
