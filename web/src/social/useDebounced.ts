// A value that follows another after it has stopped changing for a moment (typing in search).
import { useEffect, useState } from 'preact/hooks';

/** `value`, `delayMs` after its last change. */
export function useDebounced<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return settled;
}
