// Conversation ids of the social objects (docs/protocol.md "Conventions").

/** The direct conversation of two users: `d:{lo}:{hi}`, ids in ascending string order. */
export function directConversation(a: string, b: string): string {
  return a < b ? `d:${a}:${b}` : `d:${b}:${a}`;
}

/** The other user of a direct conversation, or null for a group or a malformed id. */
export function peerOf(conv: string, me: string): string | null {
  const parts = conv.split(':');
  if (parts[0] !== 'd' || parts.length !== 3) return null;
  return parts[1] === me ? parts[2] : parts[1];
}

/** The group of a group conversation `g:{group_id}`, or null. */
export function groupOf(conv: string): string | null {
  return conv.startsWith('g:') ? conv.slice(2) : null;
}
