// A nudge for the panels to reload their lists. The server pushes no frame for friend requests
// and the panels hold no socket, so the chat core calls `refreshSocial()` when its socket brings
// a `group_notice` (or anything else social); the panels also reload on their own now and then.
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

/** Asks every mounted social panel to reload its lists. */
export function refreshSocial() {
  listeners.forEach((fn) => fn());
}

/**
 * A counter that moves on `refreshSocial()`, every `everyMs` while the page is visible, and when
 * the page becomes visible again: put it in an effect's dependencies to reload.
 */
export function useRefreshTick(everyMs = 20_000): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const bump = () => setTick((n) => n + 1);
    const onVisible = () => document.visibilityState === 'visible' && bump();
    listeners.add(bump);
    document.addEventListener('visibilitychange', onVisible);
    const timer = setInterval(() => document.visibilityState === 'visible' && bump(), everyMs);
    return () => {
      listeners.delete(bump);
      document.removeEventListener('visibilitychange', onVisible);
      clearInterval(timer);
    };
  }, [everyMs]);
  return tick;
}
