// Small line icons drawn in SVG (emoji glyphs are missing on some systems). Decorative: the
// button or element carrying one has its own label.

/** A paperclip (attach). */
export function ClipIcon() {
  return (
    <svg class="svg-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d="M21 11.5l-8.5 8.5a5 5 0 01-7-7L14 4.5a3.3 3.3 0 014.7 4.7l-8.5 8.5a1.7 1.7 0 01-2.4-2.4L15.5 7.5" />
    </svg>
  );
}

/** A sheet of paper (file). */
export function FileIcon() {
  return (
    <svg class="svg-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d="M14 3H6v18h12V7zM14 3v4h4" />
    </svg>
  );
}

/** A pin (pinned conversation). */
export function PinIcon() {
  return (
    <svg class="svg-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d="M9 3h6l-1 6 4 4H6l4-4zM12 13v8" />
    </svg>
  );
}

/** Two speech lines, one indented (threads with new replies). */
export function ThreadIcon() {
  return (
    <svg class="svg-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d="M4 5h12M8 5v9a3 3 0 003 3h9M16 14l4 3-4 3" />
    </svg>
  );
}
