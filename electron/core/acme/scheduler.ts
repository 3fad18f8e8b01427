import { promises as fs } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';
import type { CertificateStatus } from '../../../shared/https';
import type { CertificateSummary } from './certificate';
import { needsTheUser } from './needs-the-user';

export interface SchedulerClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: SchedulerClock = {
  now: () => Date.now(),
  // Unref'd: a pending check must not keep a CLI command alive.
  setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Obtains and installs a new certificate for `id`; the product passes "order + install". */
export type RenewAction = (id: string, domains: string[]) => Promise<CertificateSummary>;

export interface SchedulerOptions {
  /** JSON state file (in the data folder). */
  stateFile: string;
  renew: RenewAction;
  onStatus?: (status: CertificateStatus) => void;
  clock?: SchedulerClock;
  /** In [0, 1): picks the minute of the twice-daily checks. */
  random?: () => number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const HALF_DAY = 12 * HOUR;
const DAY = 24 * HOUR;
/** Retry delays after the 1st, 2nd, 3rd failure in a row; daily after that. */
export const RETRY_DELAYS = [MINUTE, 10 * MINUTE, 100 * MINUTE] as const;
// Timers run on a clock that stops while a laptop sleeps: waking at least hourly re-reads the wall clock.
const MAX_SLEEP = HOUR;

const Summary = z.object({ serial: z.string(), notBefore: z.string(), notAfter: z.string(), issuer: z.string(), domains: z.array(z.string()) });
const Entry = z.object({
  domains: z.array(z.string()),
  certificate: Summary.nullable(),
  failures: z.number().int().min(0),
  // The case and its parameters too, so the window words the last failure in its own language.
  lastError: z
    .object({
      code: z.string(),
      message: z.string(),
      field: z.string().optional(),
      detail: z.string().optional(),
      reason: z.string().optional(),
      params: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  lastAttemptAt: z.string().optional(),
  /** Set after a failure: no attempt before then. */
  retryAt: z.string().optional(),
  /** HTTPS is switched off: the certificate is remembered but not renewed. */
  paused: z.boolean().optional(),
  /** The last failure needs the user (a refused account or login): no retry until the settings change or a renewal by hand. */
  stopped: z.boolean().optional(),
});
type Entry = z.infer<typeof Entry>;
const State = z.object({ version: z.literal(1), checkMinute: z.number().int().min(0).max(719), entries: z.record(z.string(), Entry) });
type State = z.infer<typeof State>;

/** When a certificate is due: a third of its own lifetime before it ends (day 60 of 90 for Let's Encrypt). */
export function renewalDueAt(cert: CertificateSummary): number {
  const from = Date.parse(cert.notBefore);
  const to = Date.parse(cert.notAfter);
  return Math.ceil(to - (to - from) / 3);
}

export function retryDelay(failures: number): number {
  return RETRY_DELAYS[failures - 1] ?? DAY;
}

/**
 * Renews certificates before they expire: checks at start and twice a day at a random minute
 * (so installs do not all call the CA at the same moment), renews only those with less than a
 * third of their lifetime left, and backs off after failures. Unlike a daily forced renewal,
 * a fresh certificate is never renewed, so rate limits are never at risk.
 */
export class RenewalScheduler {
  private state: State = { version: 1, checkMinute: 0, entries: {} };
  private readonly clock: SchedulerClock;
  private timer: unknown;
  private running: Promise<void> | null = null;
  private saving: Promise<void> = Promise.resolve();
  private started = false;
  private loading?: Promise<void>;

  constructor(private readonly opts: SchedulerOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Loads the saved state, then checks at once: what fell due while the app was closed is renewed now. */
  async start(): Promise<void> {
    if (this.started) return;
    await this.ensureLoaded();
    this.started = true;
    for (const id of Object.keys(this.state.entries)) this.emit(id);
    this.wake();
  }

  /** Stops checking; waits for a renewal under way. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    await this.whenIdle();
  }

  /**
   * Watches `id`'s certificate. Passing `certificate` records the one now installed (after an
   * order by hand, for example) and forgets earlier failures; without it the stored one is kept.
   * A paused entry stays paused (HTTPS was switched off while an order ran): see `resume`.
   */
  async track(id: string, domains: string[], certificate?: CertificateSummary): Promise<void> {
    await this.ensureLoaded();
    const prev = this.state.entries[id];
    const entry: Entry = prev ? { ...prev, domains: [...domains] } : { domains: [...domains], certificate: null, failures: 0 };
    if (certificate) {
      entry.certificate = certificate;
      entry.failures = 0;
      delete entry.lastError;
      delete entry.retryAt;
      delete entry.stopped;
    }
    this.state.entries[id] = entry;
    await this.save();
    this.emit(id);
    if (this.started) this.reschedule();
  }

  /** Forgets `id` entirely (its certificate is gone); a renewal under way is not recorded. */
  async untrack(id: string): Promise<void> {
    await this.ensureLoaded();
    delete this.state.entries[id];
    await this.save();
    if (this.started) this.reschedule();
  }

  /**
   * Stops renewing `id` but keeps its certificate's facts. Past failures are dropped: they
   * were about renewals no longer wanted.
   */
  async pause(id: string): Promise<void> {
    await this.ensureLoaded();
    const e = this.state.entries[id];
    if (!e || e.paused) return;
    e.paused = true;
    e.failures = 0;
    delete e.lastError;
    delete e.retryAt;
    delete e.stopped;
    await this.save();
    this.emit(id);
    if (this.started) this.reschedule();
  }

  /** Renews `id` again when due, after `pause`, or after retries stopped for a failure only the user could fix (the settings were saved since). */
  async resume(id: string): Promise<void> {
    await this.ensureLoaded();
    const e = this.state.entries[id];
    if (!e?.paused && !e?.stopped) return;
    delete e.paused;
    delete e.stopped;
    delete e.retryAt;
    await this.save();
    this.emit(id);
    if (this.started) this.reschedule();
  }

  /** Each certificate watched and the domains it is for: what a backup keeps, so renewals go on after a restore. */
  async installed(): Promise<{ id: string; domains: string[]; certificate: CertificateSummary }[]> {
    await this.ensureLoaded();
    return Object.entries(this.state.entries).flatMap(([id, e]) => (e.certificate ? [{ id, domains: [...e.domains], certificate: structuredClone(e.certificate) }] : []));
  }

  /** The ids with an entry, paused or not. */
  async tracked(): Promise<string[]> {
    await this.ensureLoaded();
    return Object.keys(this.state.entries);
  }

  status(id: string): CertificateStatus | undefined {
    const e = this.state.entries[id];
    return e ? this.toStatus(id, e) : undefined;
  }

  statuses(): CertificateStatus[] {
    return Object.entries(this.state.entries).map(([id, e]) => this.toStatus(id, e));
  }

  /** The first twice-daily check strictly after `at` (UTC, at the chosen minute and 12 hours later). */
  nextCheckAt(at = this.clock.now()): number {
    const dayStart = Math.floor(at / DAY) * DAY;
    let t = dayStart + this.state.checkMinute * MINUTE;
    while (t <= at) t += HALF_DAY;
    return t;
  }

  /** Resolves when no renewal or write is under way. */
  async whenIdle(): Promise<void> {
    while (this.running) await this.running;
    await this.saving;
  }

  private wake(): void {
    if (!this.started) return;
    if (this.running) return;
    this.running = this.runDue().finally(() => {
      this.running = null;
      this.reschedule();
    });
  }

  private reschedule(): void {
    if (!this.started || this.running) return;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    const now = this.clock.now();
    let next = this.nextCheckAt(now);
    for (const e of Object.values(this.state.entries)) {
      if (!e.paused && !e.stopped && e.retryAt && this.needsRenewal(e, now)) next = Math.min(next, Date.parse(e.retryAt));
    }
    const delay = Math.max(0, Math.min(next - now, MAX_SLEEP));
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      const at = this.clock.now();
      if (at >= next) this.wake();
      else this.reschedule();
    }, delay);
  }

  private async runDue(): Promise<void> {
    // One renewal at a time: installs reload HAProxy, and the CA limits concurrent orders.
    for (const id of Object.keys(this.state.entries).sort()) {
      if (!this.started) return;
      const e = this.state.entries[id];
      const now = this.clock.now();
      if (!e || e.paused || e.stopped || !this.needsRenewal(e, now)) continue;
      if (e.retryAt && now < Date.parse(e.retryAt)) continue;
      await this.attempt(id, e);
    }
  }

  private async attempt(id: string, e: Entry): Promise<void> {
    e.lastAttemptAt = new Date(this.clock.now()).toISOString();
    this.emit(id);
    try {
      const cert = await this.opts.renew(id, [...e.domains]);
      const missing = e.domains.filter((d) => !cert.domains.includes(d));
      if (missing.length > 0) throw new Error(`The new certificate does not cover ${missing.join(', ')}`);
      e.certificate = cert;
      e.failures = 0;
      delete e.lastError;
      delete e.retryAt;
    } catch (err) {
      // Paused meanwhile (HTTPS switched off): no renewal is wanted any more, so nothing failed.
      if (!e.paused) {
        e.failures += 1;
        const error = toErrorInfo(err);
        e.lastError = error;
        // Asking again with the same refused account or login only piles up refusals (and rate limits).
        if (needsTheUser(error)) {
          e.stopped = true;
          delete e.retryAt;
        } else e.retryAt = new Date(this.clock.now() + retryDelay(e.failures)).toISOString();
      }
    }
    if (this.state.entries[id] !== e) return; // untracked meanwhile
    await this.save();
    this.emit(id);
  }

  private needsRenewal(e: Entry, now: number): boolean {
    if (!e.certificate) return true;
    if (!e.domains.every((d) => e.certificate!.domains.includes(d))) return true;
    return now >= renewalDueAt(e.certificate);
  }

  private toStatus(id: string, e: Entry): CertificateStatus {
    const now = this.clock.now();
    let next: number | null;
    if (e.paused || e.stopped) next = null;
    else if (e.retryAt && this.needsRenewal(e, now)) next = Date.parse(e.retryAt);
    else if (this.needsRenewal(e, now)) next = this.nextCheckAt(now);
    else next = this.nextCheckAt(renewalDueAt(e.certificate!) - 1);
    const nextRenewalAt = next === null ? null : new Date(next).toISOString();
    const s: CertificateStatus = { environment: id, domains: [...e.domains], nextRenewalAt, failures: e.failures };
    if (e.certificate) {
      s.serial = e.certificate.serial;
      s.notBefore = e.certificate.notBefore;
      s.notAfter = e.certificate.notAfter;
      s.issuer = e.certificate.issuer;
    }
    if (e.lastError) s.lastError = e.lastError as ErrorInfo;
    if (e.lastAttemptAt) s.lastAttemptAt = e.lastAttemptAt;
    if (e.stopped) s.stopped = true;
    return s;
  }

  private emit(id: string): void {
    const s = this.status(id);
    if (s) this.opts.onStatus?.(s);
  }

  private ensureLoaded(): Promise<void> {
    this.loading ??= this.load().then(async (saved) => {
      this.state = saved ?? { version: 1, checkMinute: Math.floor((this.opts.random ?? Math.random)() * 720) % 720, entries: {} };
      if (!saved) await this.save();
    });
    return this.loading;
  }

  private async load(): Promise<State | undefined> {
    try {
      const parsed = State.safeParse(JSON.parse(await fs.readFile(this.opts.stateFile, 'utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      // Missing or unreadable: certificates are tracked again as environments report them.
      return undefined;
    }
  }

  private save(): Promise<void> {
    const text = `${JSON.stringify(this.state, null, 2)}\n`;
    const file = this.opts.stateFile;
    this.saving = this.saving
      .then(() => fs.mkdir(path.dirname(file), { recursive: true }))
      .then(() => writeFileAtomic(file, text))
      .catch(() => undefined);
    return this.saving;
  }
}
