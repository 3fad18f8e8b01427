import { useI18n } from 'vue-i18n';
import { english, pluralOf, type Message, type MessageParam, type MessageParams } from '../../shared/messages';
import { useFormat } from './format';

/** Anything the core words as a code and parameters, with its English beside them. */
export interface CodedText {
  code?: string;
  params?: MessageParams;
  /** The core's English: shown as it is when this window has no words for `code` (an older or newer core). */
  message?: string;
}

/**
 * Core messages (task steps, notes, results) in the window's language: the code's words from
 * `messages.<code>`, with numbers, durations, sizes and dates formatted here.
 */
export function useMessageText() {
  const { t, te } = useI18n();
  const fmt = useFormat();

  function param(p: MessageParam): string {
    if (typeof p === 'string') return p;
    if (typeof p === 'number') return String(p);
    if (Array.isArray(p)) return p.map((m) => text(m)).join(', ');
    if ('code' in p) return text(p);
    if ('count' in p) return fmt.int(p.count);
    if ('ms' in p) return fmt.duration(p.ms);
    if ('date' in p) return fmt.dateTime(p.date);
    if ('bytes' in p) return fmt.megabytes(p.bytes);
    if ('decimal' in p) return fmt.dec(p.decimal);
    if ('sentences' in p) return p.sentences.map((m) => text(m)).join(' ');
    return te(`tasks.steps.${p.step}`) ? t(`tasks.steps.${p.step}`) : p.step;
  }

  /** Every parameter as the words to put in a sentence. */
  function params(ps: MessageParams = {}): Record<string, string> {
    return Object.fromEntries(Object.entries(ps).map(([k, v]) => [k, param(v)]));
  }

  /** Whether this window has words for a code. */
  const knows = (code: string | undefined): code is string => code !== undefined && te(`messages.${code}`);

  function text(m: CodedText): string {
    // A code this window has no words for: the core's English (the shared list's, for a nested one).
    if (!knows(m.code)) return m.message ?? (m.code ? english(m as Message) : '');
    const n = pluralOf(m.params);
    return n === undefined ? t(`messages.${m.code}`, params(m.params)) : t(`messages.${m.code}`, params(m.params), n);
  }

  return { text, params, knows };
}
