// How a failed call reads to a person: a translated sentence for the codes people meet, the
// server's own message for the rest.
import { ApiError } from '../api/errors';
import { translate, type Lang } from '../i18n';

/** The sentence to show for `error` in `lang`. */
export function describeError(lang: Lang, error: unknown): string {
  if (error instanceof ApiError) {
    const key = 'error.' + error.code;
    const known = translate(lang, key);
    if (known !== key) return known;
    return translate(lang, 'error.generic', { message: error.message });
  }
  return translate(lang, 'error.generic', { message: String(error) });
}
