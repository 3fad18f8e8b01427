/**
 * When a certificate deserves the user's attention: expired, close to its end, or failing to
 * renew. Pure, so the renderer (badges) and the main process (desktop notifications) agree.
 */
import type { ErrorInfo } from './errors';
import type { CertificateStatus } from './https';

const DAY = 24 * 60 * 60 * 1000;
/** Warn when less than this share of the certificate's lifetime remains. */
const LIFETIME_SHARE = 1 / 6;
/** …or when fewer than this many days remain. */
const WARN_DAYS = 7;
/**
 * Below this lifetime only the share counts: a 6-day certificate always has fewer than 7 days
 * left, so the day rule would keep it in alert from the moment it is issued.
 */
const SHORT_LIVED_DAYS = 14;

export type CertificateAlertKind = 'expired' | 'expiring' | 'renewal-failed';

export interface CertificateAlert {
  kind: CertificateAlertKind;
  level: 'error' | 'warning';
  environment: string;
  notAfter?: string;
  /** Whole days left before `notAfter` (rounded down); absent once expired or without a certificate. */
  daysLeft?: number;
  failures?: number;
  lastError?: ErrorInfo;
}

/** The alert a certificate status calls for at `now`, or null when all is well. */
export function certificateAlert(status: CertificateStatus | null, now: Date): CertificateAlert | null {
  if (!status) return null;
  const environment = status.environment;
  const failed = status.failures > 0;
  const failure = (): Pick<CertificateAlert, 'failures' | 'lastError'> => (status.lastError ? { failures: status.failures, lastError: status.lastError } : { failures: status.failures });

  const end = status.notAfter === undefined ? NaN : Date.parse(status.notAfter);
  if (Number.isNaN(end)) {
    // No certificate yet: only a failed attempt to get one is worth saying.
    return failed ? { kind: 'renewal-failed', level: 'error', environment, ...failure() } : null;
  }
  const notAfter = status.notAfter!;
  const left = end - now.getTime();
  if (left <= 0) return { kind: 'expired', level: 'error', environment, notAfter, ...(failed ? failure() : {}) };

  const late = isLate(left, lifetimeOf(status.notBefore, end));
  const daysLeft = daysUntil(notAfter, now);
  if (failed && status.lastError) {
    return { kind: 'renewal-failed', level: late ? 'error' : 'warning', environment, notAfter, daysLeft, ...failure() };
  }
  return late ? { kind: 'expiring', level: 'warning', environment, notAfter, daysLeft } : null;
}

/** Whole days from `now` to `iso` (rounded down; negative once past). */
export function daysUntil(iso: string, now: Date): number {
  return Math.floor((Date.parse(iso) - now.getTime()) / DAY);
}

/** Identifies an alert for de-duplication: the same alert about the same certificate. */
export function alertKey(a: CertificateAlert): string {
  return JSON.stringify([a.environment, a.kind, a.notAfter ?? null]);
}

/** The certificate's whole lifetime in ms, or null when its start is unknown. */
function lifetimeOf(notBefore: string | undefined, end: number): number | null {
  const start = notBefore === undefined ? NaN : Date.parse(notBefore);
  return Number.isNaN(start) || start >= end ? null : end - start;
}

function isLate(left: number, lifetime: number | null): boolean {
  if (lifetime === null) return left < WARN_DAYS * DAY;
  const byShare = left < lifetime * LIFETIME_SHARE;
  if (lifetime < SHORT_LIVED_DAYS * DAY) return byShare;
  return byShare || left < WARN_DAYS * DAY;
}
