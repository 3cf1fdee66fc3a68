// The interface language: English or Simplified Chinese, first from the user's earlier choice,
// else from the browser. Each area of the app registers its own strings (`defineMessages`), so
// adding a screen touches only that screen's files. A missing Chinese string falls back to the
// English one; a missing key shows the key, which the i18n test catches.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

/** The languages the interface speaks. */
export type Lang = 'en' | 'zh-CN';
export const LANGS: Lang[] = ['en', 'zh-CN'];
const STORAGE_KEY = 'tidings.lang';

type Table = Record<string, string>;
const tables: Record<Lang, Table> = { en: {}, 'zh-CN': {} };

/** Adds an area's strings; `en` names every key, `zh-CN` translates them. */
export function defineMessages<K extends string>(messages: { en: Record<K, string>; 'zh-CN': Record<K, string> }) {
  Object.assign(tables.en, messages.en);
  Object.assign(tables['zh-CN'], messages['zh-CN']);
}

/** The language to start with: the stored choice, else the browser's first preference. */
export function initialLang(): Lang {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'en' || stored === 'zh-CN') return stored;
  const preferred = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const tag of preferred) {
    if (tag.toLowerCase().startsWith('zh')) return 'zh-CN';
    if (tag.toLowerCase().startsWith('en')) return 'en';
  }
  return 'en';
}

/** Remembers the choice and sets the document's language (screen readers read by it). */
export function persistLang(lang: Lang) {
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
}

/** A string of `lang` with `{name}` placeholders filled from `vars`. */
export function translate(lang: Lang, key: string, vars?: Record<string, string | number>): string {
  const text = tables[lang][key] ?? tables.en[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** The current language and how to change it. */
export const LangContext = createContext<{ lang: Lang; setLang: (lang: Lang) => void }>({
  lang: 'en',
  setLang: () => {},
});

/** The translate function of the current language. */
export function useT(): (key: string, vars?: Record<string, string | number>) => string {
  const { lang } = useContext(LangContext);
  return (key, vars) => translate(lang, key, vars);
}

/** The current language code. */
export function useLang(): Lang {
  return useContext(LangContext).lang;
}
