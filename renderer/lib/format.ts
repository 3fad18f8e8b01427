import { computed } from 'vue';
import { useI18n } from 'vue-i18n';

/** Numbers, rates and times in the page's language. */
export function useFormat() {
  const { locale } = useI18n();
  const int = computed(() => new Intl.NumberFormat(locale.value, { maximumFractionDigits: 0 }));
  const dec = computed(() => new Intl.NumberFormat(locale.value, { maximumFractionDigits: 1 }));
  const pct = computed(() => new Intl.NumberFormat(locale.value, { style: 'percent', maximumFractionDigits: 0 }));
  const time = computed(() => new Intl.DateTimeFormat(locale.value, { hour: '2-digit', minute: '2-digit', second: '2-digit' }));
  const dateTime = computed(() => new Intl.DateTimeFormat(locale.value, { dateStyle: 'short', timeStyle: 'medium' }));
  return {
    int: (n: number) => int.value.format(n),
    dec: (n: number) => dec.value.format(n),
    pct: (n: number) => pct.value.format(n),
    time: (iso: string) => time.value.format(new Date(iso)),
    dateTime: (iso: string) => dateTime.value.format(new Date(iso)),
  };
}
