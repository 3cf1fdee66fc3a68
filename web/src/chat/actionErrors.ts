// How a refused message action reads: the codes whose general wording (from other screens)
// would mislead here get their own sentence; the rest read as everywhere.
import { ApiError } from '../api/errors';
import { translate, type Lang } from '../i18n';
import { describeError } from '../ui/errors';

const OWN_WORDING: Record<string, string> = {
  conflict: 'chat.action.conflict',
  seq_out_of_range: 'chat.action.gone',
  not_found: 'chat.action.gone',
  group_dissolved: 'chat.action.dissolved',
};

/** The sentence for a failed action. */
export function describeActionError(lang: Lang, error: unknown): string {
  if (error instanceof ApiError && OWN_WORDING[error.code]) return translate(lang, OWN_WORDING[error.code]);
  return describeError(lang, error);
}
