import { useI18n } from 'vue-i18n';
import type { UiError } from './errors';

/** The words for an error's code; a code this build has no words for reads as an internal error. */
export function useErrorText() {
  const { t, te } = useI18n();
  const title = (e: Pick<UiError, 'code'>): string => (te(`errors.${e.code}`) ? t(`errors.${e.code}`) : t('errors.INTERNAL'));
  /** One line for a toast: the translated code, then the core's own words. */
  const line = (e: UiError): string => `${title(e)} ${e.message}`;
  return { title, line };
}
