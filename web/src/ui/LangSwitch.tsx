import { useContext } from 'preact/hooks';
import { LangContext, LANGS, useT } from '../i18n';

const NAMES: Record<string, string> = { en: 'English', 'zh-CN': '简体中文' };

/** The language switch: a labelled select, usable from the keyboard. */
export function LangSwitch() {
  const { lang, setLang } = useContext(LangContext);
  const t = useT();
  return (
    <label class="lang-switch">
      <span class="sr-only">{t('lang.label')}</span>
      <select
        data-testid="lang-switch"
        value={lang}
        onChange={(e) => setLang((e.currentTarget as HTMLSelectElement).value as (typeof LANGS)[number])}
      >
        {LANGS.map((l) => (
          <option value={l} key={l}>
            {NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}
