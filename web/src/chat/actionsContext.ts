// The open conversation's action state shared by its rows, its composer and its panels: what
// the composer replies to, which message is being edited, which thread is open, which message
// is being forwarded, and the pinned messages.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { PinnedMessage, WireMessage } from '../api/wire';
import type { GroupFacts } from './useGroup';

/** What a conversation's rows may start, and what is going on. */
export interface ConversationActions {
  conv: string;
  group: GroupFacts | null;
  replyTo: WireMessage | null;
  setReplyTo(message: WireMessage | null): void;
  editing: number | null;
  setEditing(seq: number | null): void;
  threadRoot: number | null;
  openThread(root: number | null): void;
  forwarding: WireMessage | null;
  setForwarding(message: WireMessage | null): void;
  pins: PinnedMessage[];
  /** Reads the pinned list again (after my own pin or unpin). */
  reloadPins(): void;
}

/** Provided by ConversationView. */
export const ActionsContext = createContext<ConversationActions | null>(null);

/** The open conversation's actions. */
export function useActions(): ConversationActions {
  const actions = useContext(ActionsContext);
  if (!actions) throw new Error('useActions outside ConversationView');
  return actions;
}
