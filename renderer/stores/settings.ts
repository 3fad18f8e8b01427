import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { SystemInfo } from '../../shared/contract';
import type { NotificationKind, Preferences } from '../../shared/preferences';
import { invoke, subscribe } from '../api/client';
import { i18n, pickLocale, type Locale } from '../i18n';
import { toUiError, type UiError } from '../lib/errors';

export type ThemePref = 'system' | 'light' | 'dark';
export type LocalePref = 'system' | Locale;

const STORAGE_KEY = 'switchyard.settings';

interface Saved {
  theme?: ThemePref;
  locale?: LocalePref;
  statsIntervalMs?: number;
}

function readSaved(): Saved {
  try {
    return JSON.parse(globalThis.localStorage?.getItem(STORAGE_KEY) ?? '{}') as Saved;
  } catch {
    return {};
  }
}

function systemDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}

/** Language, theme and live-stats interval (kept in this browser), and what the core says about itself. */
export const useSettingsStore = defineStore('settings', () => {
  const saved = readSaved();
  const themePref = ref<ThemePref>(saved.theme ?? 'system');
  const localePref = ref<LocalePref>(saved.locale ?? 'system');
  /** Null until the user picks one: the core keeps its own default meanwhile. */
  const statsIntervalMs = ref<number | null>(saved.statsIntervalMs ?? null);
  const osDark = ref(systemDark());
  const systemInfo = ref<SystemInfo | null>(null);
  const error = ref<UiError | null>(null);

  const dark = computed(() => (themePref.value === 'system' ? osDark.value : themePref.value === 'dark'));
  const locale = computed<Locale>(() => (localePref.value === 'system' ? pickLocale() : localePref.value));

  if (typeof matchMedia === 'function') {
    matchMedia('(prefers-color-scheme: dark)').addEventListener?.('change', (e) => (osDark.value = e.matches));
  }

  watch(
    locale,
    (l) => {
      i18n.global.locale.value = l;
      if (typeof document !== 'undefined') document.documentElement.lang = l;
    },
    { immediate: true },
  );
  watch([themePref, localePref, statsIntervalMs], () => {
    const next: Saved = { theme: themePref.value, locale: localePref.value };
    if (statsIntervalMs.value !== null) next.statsIntervalMs = statsIntervalMs.value;
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(next));
    } catch {
      // Storage may be off (private mode); the choice then lasts for this page only.
    }
  });

  async function loadSystemInfo(): Promise<void> {
    try {
      systemInfo.value = await invoke('system:info', {});
      error.value = null;
    } catch (err) {
      error.value = toUiError(err);
    }
  }

  async function setStatsInterval(ms: number): Promise<void> {
    const res = await invoke('stats:settings', { intervalMs: ms });
    statsIntervalMs.value = res.intervalMs;
  }

  /** The core's interval, when nothing was chosen here. */
  const coreStatsIntervalMs = ref<number | null>(null);

  /** The installation's preferences (kept by the core): which desktop notifications to show. */
  const preferences = ref<Preferences | null>(null);
  const preferencesError = ref<UiError | null>(null);

  async function loadPreferences(): Promise<void> {
    try {
      preferences.value = await invoke('preferences:get', {});
      preferencesError.value = null;
    } catch (err) {
      preferencesError.value = toUiError(err);
    }
  }

  async function setNotifications(kind: NotificationKind, on: boolean): Promise<void> {
    try {
      preferences.value = await invoke('preferences:set', { notifications: { [kind]: on } });
      preferencesError.value = null;
    } catch (err) {
      preferencesError.value = toUiError(err);
    }
  }

  /** Notifications come from the core's process: they speak the language this window shows. */
  async function tellLocale(l: Locale): Promise<void> {
    // Read before writing: a window that opens in the language already kept saves nothing.
    if (!preferences.value) await loadPreferences();
    if (preferences.value?.locale === l) return;
    const saved = await invoke('preferences:set', { locale: l }).catch(() => null);
    if (saved) preferences.value = saved;
  }

  /** Gives the core the interval chosen in an earlier visit (it forgets it when it restarts), or reads its own; and this window's language. */
  async function applySaved(): Promise<void> {
    void tellLocale(locale.value);
    if (statsIntervalMs.value !== null) await setStatsInterval(statsIntervalMs.value).catch(() => undefined);
    else coreStatsIntervalMs.value = (await invoke('stats:settings', {}).catch(() => null))?.intervalMs ?? null;
  }
  watch(locale, (l) => void tellLocale(l));

  // Changed in another window, or from the CLI.
  subscribe('preferences:changed', {}, (p) => (preferences.value = p));

  return {
    themePref,
    localePref,
    statsIntervalMs,
    coreStatsIntervalMs,
    osDark,
    dark,
    locale,
    systemInfo,
    error,
    preferences,
    preferencesError,
    loadSystemInfo,
    setStatsInterval,
    applySaved,
    loadPreferences,
    setNotifications,
  };
});
