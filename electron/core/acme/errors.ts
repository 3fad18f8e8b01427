import { SwitchyardError } from '../../../shared/errors';
import { english, msg, type Message } from '../../../shared/messages';
import type { ResolvedDirectory } from './directory';

const NETWORK: Record<string, Message> = {
  ECONNREFUSED: msg('cause.refused'),
  ENOTFOUND: msg('cause.hostNotFound'),
  ETIMEDOUT: msg('cause.timedOut'),
  ECONNRESET: msg('cause.reset'),
  EAI_AGAIN: msg('cause.dns'),
  DEPTH_ZERO_SELF_SIGNED_CERT: msg('cause.selfSigned'),
  SELF_SIGNED_CERT_IN_CHAIN: msg('cause.untrusted'),
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: msg('cause.untrusted'),
  CERT_HAS_EXPIRED: msg('cause.expired'),
};

/** The cause of a failure as a message: a network failure in words of our own, anything else (an ACME problem document) quoted. */
export function causeMessage(err: unknown): Message {
  if (err instanceof SwitchyardError) return msg('cause.said', { text: err.message });
  const e = err as { code?: string; message?: string; response?: { status?: number } };
  if (e?.code && NETWORK[e.code]) return NETWORK[e.code];
  // acme-client's retry handler loses a network error this way once its retries run out.
  if (err instanceof TypeError && /reading 'config'/.test(err.message)) return msg('cause.network');
  const text = (e?.message ?? String(err)).trim().replace(/\.$/, '');
  return text ? msg('cause.said', { text }) : msg('cause.none');
}

/** The cause of a failure as one line a person can read (axios and ACME problem documents included). */
export function causeOf(err: unknown): string {
  return english(causeMessage(err));
}

/**
 * A failure talking to the directory, e.g. "Let's Encrypt could not create an account for a@b.c:
 * connection refused". `what` is a `ca.*` message; `cause` is read from `err` unless given.
 */
export function caError(directory: ResolvedDirectory, what: Message, err: unknown, cause: Message = causeMessage(err)): SwitchyardError {
  if (err instanceof SwitchyardError) return err;
  const code = (err as { code?: string })?.code === 'ETIMEDOUT' ? 'TIMEOUT' : 'CA_ERROR';
  return SwitchyardError.because(code, 'ca', { ca: directory.label, what, cause }, { detail: `directory ${directory.url}`, cause: err });
}

/** Points a domain's problem at its field in the settings, so the form can highlight it. */
export function domainField(domains: string[], domain: string): string {
  const i = domains.indexOf(domain);
  return i >= 0 ? `https.domains.${i}` : 'https.domains';
}
