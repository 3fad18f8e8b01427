import type { ErrorInfo } from '../../../shared/errors';

/**
 * Words certificate authorities use when they refuse the account itself (RFC 8555 problem types
 * and their details): a wrong or revoked account key, an account that is gone, a missing or
 * wrong external account binding (the CA's key id and HMAC token).
 */
const ACCOUNT_REFUSED =
  /unauthori[sz]ed.*account|account.*(does not exist|not found|deactivated|revoked)|accountDoesNotExist|no account|externalAccount|external account|\bEAB\b|JWS verification|signature (is )?invalid|invalid (hmac|token|key id)/i;

/** Failures a retry with the same settings cannot fix: the user has to change a setting or a login first. */
export function needsTheUser(e: ErrorInfo): boolean {
  switch (e.code) {
    case 'IMAGE_PULL_DENIED':
    case 'REGISTRY_AUTH_FAILED':
    case 'SSH_AUTH_FAILED':
    case 'HOST_KEY_CHANGED':
    case 'HOST_KEY_UNKNOWN':
    case 'OWNED_ELSEWHERE':
      return true;
    case 'CA_ERROR':
      return ACCOUNT_REFUSED.test(`${e.message} ${e.detail ?? ''}`);
    default:
      return false;
  }
}
