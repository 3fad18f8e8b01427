import { describe, expect, it } from 'vitest';
import { alertKey, certificateAlert } from '../../../shared/certificate-alerts';
import type { CertificateStatus } from '../../../shared/https';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const ISSUED = Date.parse('2030-01-01T00:00:00Z');
const iso = (t: number) => new Date(t).toISOString();
const CA_DOWN = { code: 'CA_ERROR' as const, message: 'The certificate authority did not answer' };

/** The status of a certificate of `days` days issued at ISSUED, after `failures` failed renewals. */
function status(days: number, failures = 0, environment = 'lab'): CertificateStatus {
  return {
    environment,
    domains: ['lab.example.com'],
    serial: 'abc123',
    notBefore: iso(ISSUED),
    notAfter: iso(ISSUED + days * DAY),
    issuer: 'Test CA',
    nextRenewalAt: null,
    failures,
    ...(failures > 0 ? { lastError: CA_DOWN, lastAttemptAt: iso(ISSUED) } : {}),
  };
}
/** The moment `left` ms before the end of a `days`-day certificate. */
const before = (days: number, left: number) => new Date(ISSUED + days * DAY - left);

describe('certificate alerts', () => {
  it('says nothing without a status, or about a fresh 90-day certificate', () => {
    expect(certificateAlert(null, new Date(ISSUED))).toBeNull();
    expect(certificateAlert(status(90), new Date(ISSUED + DAY))).toBeNull();
    expect(certificateAlert(status(90), new Date(ISSUED + 60 * DAY))).toBeNull();
  });

  it('warns once less than a sixth of the lifetime remains (15 days of 90)', () => {
    expect(certificateAlert(status(90), before(90, 15 * DAY))).toBeNull();
    expect(certificateAlert(status(90), before(90, 15 * DAY - 1))).toEqual({
      kind: 'expiring',
      level: 'warning',
      environment: 'lab',
      notAfter: iso(ISSUED + 90 * DAY),
      daysLeft: 14,
    });
  });

  it('warns once fewer than 7 days remain, when that comes before the last sixth (a 30-day certificate)', () => {
    // A sixth of 30 days is 5 days: between 7 and 5 days left only the day rule speaks.
    expect(certificateAlert(status(30), before(30, 7 * DAY))).toBeNull();
    expect(certificateAlert(status(30), before(30, 7 * DAY - 1))).toMatchObject({ kind: 'expiring', level: 'warning', daysLeft: 6 });
    expect(certificateAlert(status(30), before(30, 5 * DAY - 1))).toMatchObject({ kind: 'expiring', daysLeft: 4 });
  });

  it('takes only the lifetime rule for short-lived certificates (under 14 days)', () => {
    // A 6-day certificate with 3 days left has half its life ahead: no alert, although fewer than 7 days remain.
    expect(certificateAlert(status(6), before(6, 3 * DAY))).toBeNull();
    // A sixth of 6 days is one day.
    expect(certificateAlert(status(6), before(6, DAY))).toBeNull();
    expect(certificateAlert(status(6), before(6, DAY - 1))).toMatchObject({ kind: 'expiring', level: 'warning', daysLeft: 0 });
    // At 14 days the day rule applies again: 6 days left of 14 is more than a sixth, yet fewer than 7 days.
    expect(certificateAlert(status(13), before(13, 6 * DAY))).toBeNull();
    expect(certificateAlert(status(14), before(14, 6 * DAY))).toMatchObject({ kind: 'expiring', daysLeft: 6 });
  });

  it('falls back to the 7-day rule when the start of the certificate is unknown', () => {
    const s = { ...status(90), notBefore: undefined };
    expect(certificateAlert(s, before(90, 10 * DAY))).toBeNull();
    expect(certificateAlert(s, before(90, 6 * DAY))).toMatchObject({ kind: 'expiring', daysLeft: 6 });
  });

  it('is an error from the moment the certificate ends', () => {
    expect(certificateAlert(status(90), before(90, 1))).toMatchObject({ kind: 'expiring', daysLeft: 0 });
    const end = new Date(ISSUED + 90 * DAY);
    expect(certificateAlert(status(90), end)).toEqual({ kind: 'expired', level: 'error', environment: 'lab', notAfter: iso(ISSUED + 90 * DAY) });
    expect(certificateAlert(status(90, 3), new Date(end.getTime() + DAY))).toMatchObject({ kind: 'expired', level: 'error', failures: 3, lastError: CA_DOWN });
  });

  it('reports a failed renewal: a warning while there is time, an error in the last sixth or the last 7 days', () => {
    // Renewals start with a third of the lifetime left: 30 days of 90.
    expect(certificateAlert(status(90, 1), before(90, 30 * DAY))).toEqual({
      kind: 'renewal-failed',
      level: 'warning',
      environment: 'lab',
      notAfter: iso(ISSUED + 90 * DAY),
      daysLeft: 30,
      failures: 1,
      lastError: CA_DOWN,
    });
    expect(certificateAlert(status(90, 4), before(90, 15 * DAY))).toMatchObject({ kind: 'renewal-failed', level: 'warning' });
    expect(certificateAlert(status(90, 4), before(90, 15 * DAY - 1))).toMatchObject({ kind: 'renewal-failed', level: 'error', daysLeft: 14 });
    expect(certificateAlert(status(30, 2), before(30, 7 * DAY - 1))).toMatchObject({ kind: 'renewal-failed', level: 'error' });
    // Short-lived: 3 days left of 6 is no emergency yet.
    expect(certificateAlert(status(6, 1), before(6, 3 * DAY))).toMatchObject({ kind: 'renewal-failed', level: 'warning', daysLeft: 3 });
  });

  it('needs a recorded error to call a renewal failed while a certificate is in place', () => {
    const s = { ...status(90, 1), lastError: undefined };
    expect(certificateAlert(s, new Date(ISSUED + DAY))).toBeNull();
    expect(certificateAlert(s, before(90, DAY))).toMatchObject({ kind: 'expiring' });
  });

  it('without a certificate, says nothing until an attempt to get one failed, then an error', () => {
    const none: CertificateStatus = { environment: 'lab', domains: ['lab.example.com'], nextRenewalAt: iso(ISSUED), failures: 0 };
    expect(certificateAlert(none, new Date(ISSUED))).toBeNull();
    expect(certificateAlert({ ...none, failures: 1, lastError: CA_DOWN }, new Date(ISSUED))).toEqual({
      kind: 'renewal-failed',
      level: 'error',
      environment: 'lab',
      failures: 1,
      lastError: CA_DOWN,
    });
    expect(certificateAlert({ ...none, failures: 2 }, new Date(ISSUED))).toEqual({ kind: 'renewal-failed', level: 'error', environment: 'lab', failures: 2 });
  });

  it('keys an alert by environment, kind and certificate, not by the day it is looked at', () => {
    const a = certificateAlert(status(90), before(90, 10 * DAY))!;
    const b = certificateAlert(status(90), before(90, 2 * DAY))!;
    expect(a.daysLeft).not.toBe(b.daysLeft);
    expect(alertKey(a)).toBe(alertKey(b));
    expect(alertKey(certificateAlert(status(90, 1), before(90, 10 * DAY))!)).not.toBe(alertKey(a));
    expect(alertKey(certificateAlert(status(90, 0, 'shop'), before(90, 10 * DAY))!)).not.toBe(alertKey(a));
    expect(alertKey(certificateAlert(status(91), before(91, 10 * DAY))!)).not.toBe(alertKey(a));
    const none: CertificateStatus = { environment: 'lab', domains: [], nextRenewalAt: null, failures: 1 };
    expect(alertKey(certificateAlert(none, new Date(ISSUED))!)).toBe(alertKey(certificateAlert({ ...none, failures: 5 }, new Date(ISSUED + DAY))!));
  });
});
