import { computed } from 'vue';
import { useI18n } from 'vue-i18n';

/** Numbers, rates and times in the page's language. */
export function useFormat() {
  const { locale, t } = useI18n();
  const int = computed(() => new Intl.NumberFormat(locale.value, { maximumFractionDigits: 0 }));
  const dec = computed(() => new Intl.NumberFormat(locale.value, { maximumFractionDigits: 1 }));
  const pct = computed(() => new Intl.NumberFormat(locale.value, { style: 'percent', maximumFractionDigits: 0 }));
  const time = computed(() => new Intl.DateTimeFormat(locale.value, { hour: '2-digit', minute: '2-digit', second: '2-digit' }));
  const dateTime = computed(() => new Intl.DateTimeFormat(locale.value, { dateStyle: 'medium', timeStyle: 'medium' }));
  return {
    int: (n: number) => int.value.format(n),
    dec: (n: number) => dec.value.format(n),
    pct: (n: number) => pct.value.format(n),
    time: (iso: string) => time.value.format(new Date(iso)),
    dateTime: (iso: string) => dateTime.value.format(new Date(iso)),
    /** A duration in the unit a person reads it in: 12.3 ms, 4.5 s, 1 min 30 s, 2 h 5 min. */
    duration: (ms: number): string => {
      if (ms < 1000) return t('units.ms', { n: dec.value.format(ms) });
      if (ms < 59_950) return t('units.s', { n: dec.value.format(ms / 1000) });
      const seconds = Math.round(ms / 1000);
      if (seconds < 3600) {
        const min = int.value.format(Math.floor(seconds / 60));
        return seconds % 60 ? t('units.minSec', { min, s: int.value.format(seconds % 60) }) : t('units.min', { min });
      }
      return t('units.hMin', { h: int.value.format(Math.floor(seconds / 3600)), min: int.value.format(Math.floor((seconds % 3600) / 60)) });
    },
    /** A size in megabytes, to one decimal. */
    megabytes: (bytes: number): string => t('units.mb', { n: new Intl.NumberFormat(locale.value, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(bytes / 1e6) }),
  };
}
