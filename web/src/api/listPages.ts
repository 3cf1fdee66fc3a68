// The conversation list, page after page: the server answers at most `limits.max_conversations`
// rows a call, and a full page names where the next one starts (`next_before`).
import { api } from './http';
import type { ConversationListAnswer } from './wire';

/** Most pages one refresh follows (200 rows each by default). */
const MAX_PAGES = 100;

/** Each page of the list (only rows changed after `sinceVersion` when it is set), in order. */
export async function* listPages(sinceVersion: number | undefined): AsyncGenerator<ConversationListAnswer> {
  let before: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await api<ConversationListAnswer>('GET', '/api/v1/conversations', undefined, {
      query: { since_version: sinceVersion, before },
    });
    yield answer;
    if (!answer.next_before) return;
    before = answer.next_before;
  }
}
