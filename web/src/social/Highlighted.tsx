// A search snippet with its matches marked. The server's `highlights` are `[start, end)` offsets
// in Unicode code points (what Rust counts as characters), so the snippet is split by code point,
// not by UTF-16 unit, and each piece becomes a text node or a <mark> element: never HTML.

/** One piece of a snippet: plain or matched text. */
export interface SnippetPiece {
  text: string;
  marked: boolean;
}

/** Cuts `snippet` into plain and marked pieces; ranges out of order, overlapping or past the end are clipped. */
export function snippetPieces(snippet: string, highlights: [number, number][]): SnippetPiece[] {
  const chars = Array.from(snippet);
  const pieces: SnippetPiece[] = [];
  let at = 0;
  for (const [rawStart, rawEnd] of highlights) {
    const start = Math.max(at, Math.min(rawStart, chars.length));
    const end = Math.max(start, Math.min(rawEnd, chars.length));
    if (start > at) pieces.push({ text: chars.slice(at, start).join(''), marked: false });
    if (end > start) pieces.push({ text: chars.slice(start, end).join(''), marked: true });
    at = end;
  }
  if (at < chars.length) pieces.push({ text: chars.slice(at).join(''), marked: false });
  return pieces;
}

/** A snippet rendered as text with <mark> around its matches. */
export function Highlighted({ snippet, highlights }: { snippet: string; highlights: [number, number][] }) {
  return (
    <span class="snippet">
      {snippetPieces(snippet, highlights).map((piece, i) => (piece.marked ? <mark key={i}>{piece.text}</mark> : piece.text))}
    </span>
  );
}
