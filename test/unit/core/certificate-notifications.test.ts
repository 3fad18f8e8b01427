import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Envelope } from '../../../shared/errors';
import type { CertificateStatus } from '../../../shared/https';
import { EventBus } from '../../../electron/core/events';
import { RECHECK_INTERVAL_MS, watchCertificates } from '../../../electron/main/notifications';

const DAY = 24 * 60 * 60 * 1000;
const ISSUED = Date.parse('2030-01-01T00:00:00Z');
const iso = (t: number) => new Date(t).toISOString();
const CA_DOWN = { code: 'CA_ERROR' as const, message: 'The certificate authority did not answer' };

function status(over: Partial<CertificateStatus> = {}): CertificateStatus {
  return {
    environment: 'lab',
    domains: ['lab.example.com'],
    serial: 'abc123',
    notBefore: iso(ISSUED),
    notAfter: iso(ISSUED + 90 * DAY),
    issuer: 'Test CA',
    nextRenewalAt: iso(ISSUED + 60 * DAY),
    failures: 0,
    ...over,
  };
}
const failing = (failures = 1, over: Partial<CertificateStatus> = {}) => status({ failures, lastError: CA_DOWN, ...over });

/**
 * A fake core for tests: the real event bus, and an invoke that answers `environments:list`,
 * `environments:get` and `certificates:status` from the maps below.
 */
class FakeCoreForTests {
  readonly events = new EventBus();
  readonly https = new Map<string, boolean>([['lab', true]]);
  readonly statuses = new Map<string, CertificateStatus | null>();
  readonly calls: string[] = [];

  invoke = async (channel: string, payload: unknown): Promise<Envelope<unknown>> => {
    this.calls.push(channel);
    const envOf = (name: string) => ({ name, https: { enabled: this.https.get(name) ?? false } });
    const p = payload as { name?: string; environment?: string };
    switch (channel) {
      case 'environments:list':
        return { ok: true, result: [...this.https.keys()].map(envOf) };
      case 'environments:get':
        return this.https.has(p.environment!) ? { ok: true, result: envOf(p.environment!) } : { ok: false, error: { code: 'NOT_FOUND', message: `no environment ${p.environment}` } };
      case 'certificates:status':
        return { ok: true, result: this.statuses.get(p.environment!) ?? null };
      default:
        return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: channel } };
    }
  };
}

interface Rig {
  core: FakeCoreForTests;
  notes: { title: string; body: string }[];
  clock: { t: number };
  tick(): void;
  intervalMs?: number;
  stop(): void;
  settle(): Promise<void>;
}

let rigs: Rig[] = [];
afterEach(() => {
  for (const r of rigs) r.stop();
  rigs = [];
});

function rig(opts: { locale?: string; at?: number } = {}): Rig {
  const core = new FakeCoreForTests();
  const notes: Rig['notes'] = [];
  const clock = { t: opts.at ?? ISSUED + DAY };
  let tick = () => {};
  const r: Rig = {
    core,
    notes,
    clock,
    tick: () => tick(),
    stop: () => {},
    // The watcher answers events after an `environments:get`: let those promises run.
    settle: () => new Promise((done) => setTimeout(done, 5)),
  };
  r.stop = watchCertificates(core, {
    notify: (title, body) => notes.push({ title, body }),
    locale: () => opts.locale ?? 'en-US',
    now: () => new Date(clock.t),
    setInterval: (fn, ms) => {
      tick = fn;
      r.intervalMs = ms;
      return 'interval-1';
    },
    clearInterval: vi.fn(),
  });
  rigs.push(r);
  return r;
}

describe('certificate notifications', () => {
  it('notifies a failed renewal once, however often its status is repeated', async () => {
    const r = rig();
    await r.settle();
    r.core.events.emit('certificates:status', failing(1));
    r.core.events.emit('certificates:status', failing(1));
    await r.settle();
    // The next attempt fails as well: the same alert about the same certificate.
    r.core.events.emit('certificates:status', failing(2, { lastAttemptAt: iso(ISSUED + 2 * DAY) }));
    await r.settle();
    expect(r.notes).toEqual([
      {
        title: 'Certificate renewal failed for lab',
        body: 'The renewal attempt failed: The certificate authority did not answer. The current certificate expires in 89 days.',
      },
    ]);
  });

  it('speaks French when the system locale is French', async () => {
    const r = rig({ locale: 'fr-FR', at: ISSUED + 87 * DAY });
    r.core.events.emit('certificates:status', failing(3));
    r.core.events.emit('certificates:status', status());
    await r.settle();
    expect(r.notes).toEqual([
      {
        title: 'Échec du renouvellement du certificat de lab',
        body: '3 tentatives de renouvellement ont échoué à la suite : The certificate authority did not answer. Le certificat actuel expire dans 3 jours.',
      },
      { title: 'Le certificat de lab expire dans 3 jours', body: expect.stringContaining("n'a pas encore été renouvelé") },
    ]);
  });

  it('after a success, a later failure is news again', async () => {
    const r = rig();
    r.core.events.emit('certificates:status', failing(1));
    await r.settle();
    r.core.events.emit('certificates:status', status({ failures: 0 }));
    await r.settle();
    // Same certificate, so the same alert as before: it was cleared, so it fires again.
    r.core.events.emit('certificates:status', failing(1));
    await r.settle();
    expect(r.notes.map((n) => n.title)).toEqual(['Certificate renewal failed for lab', 'Certificate renewal failed for lab']);
  });

  it('every 6 hours finds a certificate that aged into its last days', async () => {
    const r = rig();
    r.core.statuses.set('lab', status());
    await r.settle();
    expect(r.intervalMs).toBe(RECHECK_INTERVAL_MS);
    expect(r.intervalMs).toBe(6 * 60 * 60 * 1000);
    expect(r.notes).toEqual([]);

    r.clock.t = ISSUED + 87 * DAY;
    r.tick();
    await r.settle();
    expect(r.notes).toEqual([{ title: 'Certificate for lab expires in 3 days', body: expect.stringContaining('has not been renewed yet') }]);
    r.tick();
    await r.settle();
    expect(r.notes).toHaveLength(1);

    r.clock.t = ISSUED + 90 * DAY;
    r.tick();
    await r.settle();
    expect(r.notes.at(-1)).toEqual({ title: 'Certificate for lab has expired', body: expect.stringContaining('order a new certificate') });
  });

  it('looks at environments with HTTPS switched on only', async () => {
    const r = rig({ at: ISSUED + 89.5 * DAY });
    r.core.https.set('off', false);
    r.core.statuses.set('off', status({ environment: 'off' }));
    r.core.statuses.set('lab', status());
    await r.settle();
    expect(r.core.calls.filter((c) => c === 'certificates:status')).toHaveLength(1);
    // The scheduler still retries for an environment whose HTTPS was switched off or that is gone.
    r.core.events.emit('certificates:status', failing(1, { environment: 'off' }));
    r.core.events.emit('certificates:status', failing(1, { environment: 'gone' }));
    await r.settle();
    expect(r.notes.map((n) => n.title)).toEqual(['Certificate for lab expires within a day']);
  });

  it('stays silent once stopped', async () => {
    const r = rig();
    await r.settle();
    r.stop();
    r.core.events.emit('certificates:status', failing(1));
    r.tick();
    await r.settle();
    expect(r.notes).toEqual([]);
  });
});
