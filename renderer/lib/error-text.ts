import { useI18n } from 'vue-i18n';
import { isMachineDetail } from '../../shared/errors';
import { messageWithoutField, type UiError } from './errors';
import { useMessageText } from './message-text';

/** The words for an error's code; a code this build has no words for reads as an internal error. */
export function useErrorText() {
  const { t, te } = useI18n();
  const messages = useMessageText();
  const title = (e: Pick<UiError, 'code'>): string => (te(`errors.${e.code}`) ? t(`errors.${e.code}`) : t('errors.INTERNAL'));
  /** The words for the error's case (its reason and params) in this window's language, if it has them. */
  const translated = (e: UiError): string | undefined => {
    const key = `errors.reasons.${e.code}.${e.reason}`;
    return e.reason !== undefined && te(key) ? t(key, messages.params(e.params)) : undefined;
  };
  /** What happened, in this window's language when it knows the case, else the core's own words. */
  const body = (e: UiError): string => translated(e) ?? messageWithoutField(e);
  /**
   * The tool's own words (Docker's, HAProxy's), shown once, apart: not when the core's English
   * (shown for a case this window does not know) already quotes them.
   */
  const detail = (e: UiError): string | undefined => {
    if (!e.detail || isMachineDetail(e.detail)) return undefined;
    return translated(e) !== undefined || !e.message.includes(e.detail) ? e.detail : undefined;
  };
  /** One line for a toast: the translated code, then what happened. */
  const line = (e: UiError): string => `${title(e)} ${body(e)}`;
  return { title, body, detail, line };
}
