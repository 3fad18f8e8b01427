import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CertificateStatus } from '../../../shared/https';
import type { CertificateSummary } from '../../../electron/core/acme/certificate';
import { RenewalScheduler, type SchedulerClock } from '../../../electron/core/acme/scheduler';
import { SwitchyardError } from '../../../shared/errors';
import { msg } from '../../../shared/messages';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);

/** A clock that only moves when told to, firing due timers in order. */
class FakeClock implements SchedulerClock {
  private timers = new Map<number, { at: number; fn: () => void }>();
  private seq = 0;
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves to `target`, letting each timer (and the work it starts) finish before the next. */
  async advanceTo(target: number, settle: () => Promise<void>): Promise<void> {
    for (;;) {
      const next = [...this.timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next || next[1].at > target) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
      await settle();
    }
    this.t = target;
  }
}

function cert(notBefore: number, days = 90, domains = ['shop.example.com']): CertificateSummary {
  return { serial: `s${notBefore}`, notBefore: new Date(notBefore).toISOString(), notAfter: new Date(notBefore + days * DAY).toISOString(), issuer: 'Test CA', domains };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sy-renewal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Rig {
  clock: FakeClock;
  scheduler: RenewalScheduler;
  attempts: number[];
  statuses: CertificateStatus[];
  advanceTo(t: number): Promise<void>;
}

/** A scheduler whose renewals succeed (a fresh 90-day certificate) unless `fail` says otherwise (true, or the error to throw). */
function rig(start: number, opts: { random?: number; fail?: (n: number) => boolean | Error; clock?: FakeClock } = {}): Rig {
  const clock = opts.clock ?? new FakeClock(start);
  const attempts: number[] = [];
  const statuses: CertificateStatus[] = [];
  const scheduler = new RenewalScheduler({
    stateFile: path.join(dir, 'certificates.json'),
    clock,
    random: () => opts.random ?? 0.25,
    onStatus: (s) => statuses.push(s),
    renew: async (_id, domains) => {
      attempts.push(clock.now());
      const failure = opts.fail?.(attempts.length);
      if (failure instanceof Error) throw failure;
      if (failure) throw new Error(`CA said no (attempt ${attempts.length})`);
      return cert(clock.now(), 90, domains);
    },
  });
  return { clock, scheduler, attempts, statuses, advanceTo: (t) => clock.advanceTo(t, () => scheduler.whenIdle()) };
}

const T0 = at('2026-01-01T10:00:00Z');

describe('certificate renewal', () => {
  it('leaves a fresh certificate alone, however many checks pass', async () => {
    const r = rig(T0 + DAY);
    await r.scheduler.start();
    await r.scheduler.track('lab', ['shop.example.com'], cert(T0));
    await r.advanceTo(T0 + 59 * DAY);
    expect(r.attempts).toEqual([]);
    // Due on day 60 at 10:00; the first check after that is 15:00 (random 0.25 → 03:00 and 15:00 UTC).
    expect(r.scheduler.status('lab')?.nextRenewalAt).toBe('2026-03-02T15:00:00.000Z');
    await r.scheduler.stop();
  });

  it('renews at the first check once a third of the lifetime remains, then not again', async () => {
    const r = rig(T0);
    await r.scheduler.start();
    await r.scheduler.track('lab', ['shop.example.com'], cert(T0));
    await r.advanceTo(at('2026-03-02T14:59:59Z'));
    expect(r.attempts).toEqual([]);
    await r.advanceTo(at('2026-03-02T15:00:00Z'));
    expect(r.attempts.map((t) => new Date(t).toISOString())).toEqual(['2026-03-02T15:00:00.000Z']);
    const s = r.scheduler.status('lab')!;
    expect(s.notBefore).toBe('2026-03-02T15:00:00.000Z');
    expect(s.failures).toBe(0);
    await r.advanceTo(at('2026-04-30T00:00:00Z'));
    expect(r.attempts).toHaveLength(1);
    await r.scheduler.stop();
  });

  it('retries a failed renewal after 1, 10 and 100 minutes, then daily, and recovers', async () => {
    const r = rig(T0, { fail: (n) => n <= 5 });
    await r.scheduler.start();
    await r.scheduler.track('lab', ['shop.example.com'], cert(T0 - 61 * DAY));
    await r.advanceTo(at('2026-01-01T15:00:00Z'));
    expect(r.attempts).toHaveLength(1);
    const failed = r.scheduler.status('lab')!;
    expect(failed.failures).toBe(1);
    expect(failed.lastError?.message).toBe('CA said no (attempt 1)');
    expect(failed.lastAttemptAt).toBe('2026-01-01T15:00:00.000Z');
    expect(failed.nextRenewalAt).toBe('2026-01-01T15:01:00.000Z');

    await r.advanceTo(T0 + 4 * DAY);
    const gaps = r.attempts.slice(1).map((t, i) => (t - r.attempts[i]) / MIN);
    expect(gaps).toEqual([1, 10, 100, 24 * 60, 24 * 60]);
    // The sixth attempt succeeded: failures forgotten, nothing more until the new certificate is due.
    expect(r.scheduler.status('lab')).toMatchObject({ failures: 0 });
    expect(r.scheduler.status('lab')?.lastError).toBeUndefined();
    expect(r.statuses.some((s) => s.failures === 5)).toBe(true);
    await r.scheduler.stop();
  });

  it('keeps the last failure’s case and parameters, also across a restart, so a French window says it in French', async () => {
    const down = SwitchyardError.because('CA_ERROR', 'ca', { ca: "Let's Encrypt", what: msg('ca.unreachable'), cause: msg('cause.refused') }, { detail: 'directory https://acme.example/dir' });
    const r = rig(T0, { fail: () => down });
    await r.scheduler.start();
    await r.scheduler.track('lab', ['shop.example.com'], cert(T0 - 61 * DAY));
    await r.advanceTo(at('2026-01-01T15:00:00Z'));
    const expected = { code: 'CA_ERROR', message: down.message, detail: down.detail, reason: 'ca', params: down.params };
    expect(r.scheduler.status('lab')?.lastError).toEqual(expected);
    await r.scheduler.stop();

    const again = rig(at('2026-01-01T15:00:30Z'), { fail: () => down });
    await again.scheduler.start();
    expect(again.scheduler.status('lab')?.lastError).toEqual(expected);
    await again.scheduler.stop();
  });

  it.each([
    ['the certificate authority refuses the account', new SwitchyardError('CA_ERROR', "Let's Encrypt refused an order for shop.example.com: No account exists with the provided key")],
    ['the registry refuses the login kept for the HAProxy image', SwitchyardError.because('IMAGE_PULL_DENIED', 'loginRefused', { image: 'r.example/haproxy:2.6', registry: 'r.example' })],
  ])('stops retrying when %s, says so, and tries again once the settings are saved', async (_what, error) => {
    const r = rig(T0, { fail: (n) => (n === 1 ? error : false) });
    await r.scheduler.start();
    await r.scheduler.track('lab', ['shop.example.com'], cert(T0 - 61 * DAY));
    await r.advanceTo(at('2026-01-01T15:00:00Z'));
    expect(r.attempts).toHaveLength(1);
    expect(r.scheduler.status('lab')).toMatchObject({ failures: 1, stopped: true, nextRenewalAt: null, lastError: { code: error.code } });
    // Days go by: asking again with what was refused would only be refused again.
    await r.advanceTo(T0 + 5 * DAY);
    expect(r.attempts).toHaveLength(1);
    // The user fixed the account or the login and saved the settings: renewals resume.
    await r.scheduler.resume('lab');
    expect(r.scheduler.status('lab')?.stopped).toBeUndefined();
    await r.advanceTo(T0 + 6 * DAY);
    expect(r.attempts).toHaveLength(2);
    expect(r.scheduler.status('lab')).toMatchObject({ failures: 0 });
    await r.scheduler.stop();
  });

  it('catches up at start when the app was closed past the renewal time', async () => {
    const first = rig(T0);
    await first.scheduler.start();
    await first.scheduler.track('lab', ['shop.example.com'], cert(T0));
    const checks = first.scheduler.nextCheckAt(T0);
    await first.scheduler.stop();

    // Closed for 70 days: 10 days past the renewal time, and the next check is hours away.
    const later = at('2026-03-12T07:30:00Z');
    const second = rig(later, { random: 0.9 });
    await second.scheduler.start();
    await second.scheduler.whenIdle();
    expect(second.attempts).toEqual([later]);
    // The check minute was kept from the first run, not drawn again.
    expect(second.scheduler.nextCheckAt(T0)).toBe(checks);
    await second.scheduler.stop();
  });

  it('resumes a pending retry at start and keeps it if it is not due yet', async () => {
    const first = rig(T0, { fail: () => true });
    await first.scheduler.start();
    await first.scheduler.track('lab', ['shop.example.com'], cert(T0 - 80 * DAY));
    await first.advanceTo(at('2026-01-01T15:00:30Z'));
    expect(first.attempts).toHaveLength(1);
    await first.scheduler.stop();

    const second = rig(at('2026-01-01T15:00:40Z'), { fail: () => true });
    await second.scheduler.start();
    await second.scheduler.whenIdle();
    expect(second.attempts).toEqual([]);
    await second.advanceTo(at('2026-01-01T15:01:00Z'));
    expect(second.attempts).toEqual([at('2026-01-01T15:01:00Z')]);
    expect(second.scheduler.status('lab')?.failures).toBe(2);
    await second.scheduler.stop();
  });

  it('checks twice a day at a minute drawn at random', async () => {
    for (const [random, first, second] of [
      [0, '00:00', '12:00'],
      [0.5, '06:00', '18:00'],
      [0.999, '11:59', '23:59'],
    ] as const) {
      const r = rig(at('2026-01-01T00:00:30Z'), { random });
      await r.scheduler.start();
      const a = r.scheduler.nextCheckAt();
      const b = r.scheduler.nextCheckAt(a);
      const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);
      expect([hhmm(a), hhmm(b)]).toEqual(random === 0 ? ['12:00', '00:00'] : [first, second]);
      expect(b - a).toBe(12 * HOUR);
      // A certificate that is already due when tracked is renewed at the next check, not before.
      await r.scheduler.track('lab', ['shop.example.com'], cert(T0 - 85 * DAY));
      await r.advanceTo(a - 1);
      expect(r.attempts).toEqual([]);
      await r.advanceTo(a);
      expect(r.attempts).toEqual([a]);
      await r.scheduler.stop();
      rmSync(path.join(dir, 'certificates.json'));
    }
  });

  it('renews when the domains change and the certificate no longer covers them', async () => {
    const r = rig(T0);
    await r.scheduler.start();
    await r.scheduler.track('lab', ['shop.example.com'], cert(T0));
    await r.scheduler.track('lab', ['shop.example.com', 'www.example.com']);
    await r.advanceTo(at('2026-01-01T15:00:00Z'));
    expect(r.attempts).toHaveLength(1);
    expect(r.scheduler.status('lab')?.domains).toEqual(['shop.example.com', 'www.example.com']);
    await r.scheduler.stop();
  });

  it('keeps its state as JSON in the given file and reports every change', async () => {
    const r = rig(T0);
    // Tracked before start (the product may report certificates first): kept, not overwritten by the load.
    await r.scheduler.track('lab', ['shop.example.com'], cert(T0));
    await r.scheduler.start();
    await r.scheduler.whenIdle();
    const saved = JSON.parse(readFileSync(path.join(dir, 'certificates.json'), 'utf8'));
    expect(saved.checkMinute).toBe(180);
    expect(saved.entries.lab.certificate.serial).toBe(`s${T0}`);
    expect(r.statuses.at(-1)).toMatchObject({ environment: 'lab', serial: `s${T0}`, issuer: 'Test CA', failures: 0 });
    await r.scheduler.untrack('lab');
    expect(r.scheduler.statuses()).toEqual([]);
    await r.scheduler.stop();
  });
});

describe('environments that lose their certificate or switch HTTPS off', () => {
  it('forgets an environment for good: no renewal, no status, not even after a restart', async () => {
    const first = rig(T0, { fail: () => true });
    await first.scheduler.start();
    await first.scheduler.track('gone', ['shop.example.com'], cert(T0 - 80 * DAY));
    await first.scheduler.track('kept', ['www.example.com'], cert(T0, 90, ['www.example.com']));
    await first.advanceTo(at('2026-01-01T15:00:30Z'));
    expect(first.attempts).toHaveLength(1);
    await first.scheduler.untrack('gone');
    await first.advanceTo(T0 + 3 * DAY);
    expect(first.attempts).toHaveLength(1);
    expect(first.scheduler.status('gone')).toBeUndefined();
    await first.scheduler.stop();

    const second = rig(T0 + 3 * DAY, { fail: () => true });
    await second.scheduler.start();
    await second.advanceTo(T0 + 6 * DAY);
    expect(second.attempts).toEqual([]);
    expect(second.scheduler.statuses().map((s) => s.environment)).toEqual(['kept']);
    expect(second.statuses.map((s) => s.environment)).toEqual(['kept']);
    await second.scheduler.stop();
  });

  it('stops renewing while paused, keeping the certificate but not the failures, across a restart', async () => {
    const first = rig(T0, { fail: () => true });
    await first.scheduler.start();
    await first.scheduler.track('lab', ['shop.example.com'], cert(T0 - 80 * DAY));
    await first.advanceTo(at('2026-01-01T15:00:30Z'));
    expect(first.scheduler.status('lab')?.failures).toBe(1);

    await first.scheduler.pause('lab');
    const paused = first.statuses.at(-1)!;
    expect(paused).toMatchObject({ environment: 'lab', nextRenewalAt: null, failures: 0, serial: `s${T0 - 80 * DAY}` });
    expect(paused.lastError).toBeUndefined();
    await first.advanceTo(T0 + 5 * DAY);
    expect(first.attempts).toHaveLength(1);
    // Pausing twice says nothing new.
    const events = first.statuses.length;
    await first.scheduler.pause('lab');
    expect(first.statuses).toHaveLength(events);
    await first.scheduler.stop();

    const later = T0 + 30 * DAY;
    const second = rig(later);
    await second.scheduler.start();
    await second.advanceTo(later + 2 * DAY);
    expect(second.attempts).toEqual([]);
    expect(second.scheduler.status('lab')).toMatchObject({ nextRenewalAt: null, serial: `s${T0 - 80 * DAY}` });

    // Switched on again: renewed at the next check, and tracked as before.
    await second.scheduler.resume('lab');
    const next = second.scheduler.nextCheckAt();
    expect(second.statuses.at(-1)?.nextRenewalAt).toBe(new Date(next).toISOString());
    await second.advanceTo(next);
    expect(second.attempts).toEqual([next]);
    expect(second.scheduler.status('lab')).toMatchObject({ failures: 0, notBefore: new Date(next).toISOString() });
    await second.scheduler.stop();
  });

  it('does not count a renewal cut short by switching HTTPS off, nor restart on its own when an order ends', async () => {
    const attempts: number[] = [];
    let refuse!: (err: Error) => void;
    const clock = new FakeClock(T0);
    const scheduler = new RenewalScheduler({
      stateFile: path.join(dir, 'certificates.json'),
      clock,
      random: () => 0.25,
      renew: () => {
        attempts.push(clock.now());
        return new Promise<CertificateSummary>((_, reject) => (refuse = reject));
      },
    });
    await scheduler.start();
    await scheduler.track('lab', ['shop.example.com'], cert(T0 - 80 * DAY));
    void clock.advanceTo(at('2026-01-01T15:00:00Z'), async () => undefined);
    await vi.waitFor(() => expect(attempts).toHaveLength(1));

    await scheduler.pause('lab');
    refuse(new Error('https.enabled: switch HTTPS on first'));
    await scheduler.whenIdle();
    expect(scheduler.status('lab')).toMatchObject({ failures: 0, nextRenewalAt: null });
    expect(scheduler.status('lab')?.lastError).toBeUndefined();

    // An order that started before HTTPS went off still records its certificate, paused.
    await scheduler.track('lab', ['shop.example.com'], cert(T0));
    expect(scheduler.status('lab')).toMatchObject({ serial: `s${T0}`, nextRenewalAt: null });
    await scheduler.stop();
  });
});
