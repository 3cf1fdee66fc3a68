// Where the user is: the URL's fragment (`#/c/<conv>`, `#/admin/users`), so the server serves
// one page and no API path is ever taken by a screen.
import { useEffect, useState } from 'preact/hooks';

/** A parsed location: path segments (decoded) and query parameters. */
export interface Route {
  parts: string[];
  query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const [path, search = ''] = text.split('?', 2);
  const parts = path ? path.split('/').filter(Boolean).map(decodeURIComponent) : [];
  return { parts, query: new URLSearchParams(search) };
}

/** Moves to `parts` (encoded for the fragment), with optional query parameters. */
export function navigate(parts: string[], query?: Record<string, string | number>) {
  let hash = '#/' + parts.map(encodeURIComponent).join('/');
  if (query) hash += '?' + new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  if (location.hash !== hash) location.hash = hash;
}

/** Opens a conversation, scrolled to `seq` when given (search results, pins, replies). */
export function openConversation(conv: string, seq?: number) {
  navigate(['c', conv], seq ? { seq } : undefined);
}

/** The current route, updated on every fragment change. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
