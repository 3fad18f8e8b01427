import { SwitchyardError, type ErrorCode } from '../../../shared/errors';
import type { ResolvedDirectory } from './directory';

/** The code for "the certificate authority refused or could not be reached". */
export const CA_ERROR_CODE: ErrorCode = 'CA_ERROR';

/** The cause of a failure as one line a person can read (axios and ACME problem documents included). */
export function causeOf(err: unknown): string {
  if (err instanceof SwitchyardError) return err.message;
  const e = err as { code?: string; message?: string; response?: { status?: number } };
  const net: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    ETIMEDOUT: 'timed out',
    ECONNRESET: 'connection reset',
    EAI_AGAIN: 'DNS lookup failed',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed (add its CA bundle)',
    SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate is not trusted (add its CA bundle)',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate is not trusted (add its CA bundle)',
    CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  };
  if (e?.code && net[e.code]) return net[e.code];
  // acme-client's retry handler loses a network error this way once its retries run out.
  if (err instanceof TypeError && /reading 'config'/.test(err.message)) return 'the connection failed (network error)';
  const msg = (e?.message ?? String(err)).trim();
  return msg.replace(/\.$/, '') || 'no reason given';
}

/** A failure talking to the directory, e.g. "Let's Encrypt could not create an account for a@b.c: connection refused". */
export function caError(directory: ResolvedDirectory, what: string, err: unknown): SwitchyardError {
  if (err instanceof SwitchyardError) return err;
  const cause = causeOf(err);
  const code: ErrorCode = (err as { code?: string })?.code === 'ETIMEDOUT' ? 'TIMEOUT' : CA_ERROR_CODE;
  return new SwitchyardError(code, `${directory.label} ${what}: ${cause}`, { detail: `directory ${directory.url}`, cause: err });
}

/** Points a domain's problem at its field in the settings, so the form can highlight it. */
export function domainError(
  code: 'PREFLIGHT_FAILED' | 'CHALLENGE_FAILED',
  domains: string[],
  domain: string,
  message: string,
  detail?: string,
  cause?: unknown,
): SwitchyardError {
  const i = domains.indexOf(domain);
  return new SwitchyardError(code, message, { field: i >= 0 ? `https.domains.${i}` : 'https.domains', detail, cause });
}
