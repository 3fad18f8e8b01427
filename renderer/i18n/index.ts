import { createI18n } from 'vue-i18n';
import en, { type Messages } from './en';
import fr from './fr';

export const locales = ['en', 'fr'] as const;
export type Locale = (typeof locales)[number];

/** The first of the browser's preferred languages we have, else English. */
export function pickLocale(languages: readonly string[] = navigator.languages ?? [navigator.language]): Locale {
  for (const tag of languages) {
    const base = tag.toLowerCase().split('-')[0];
    if ((locales as readonly string[]).includes(base)) return base as Locale;
  }
  return 'en';
}

export const i18n = createI18n<[Messages], Locale, false>({
  legacy: false,
  locale: pickLocale(),
  fallbackLocale: 'en',
  messages: { en, fr },
});
