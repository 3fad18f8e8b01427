/**
 * Which port the preflight probes (the one the CA will connect to) and what it says when that
 * port does not reach the load balancer. The CA is never contacted here: the name resolves
 * through a fake resolver to 127.0.0.1, challenge answers come from a stand-in HTTP server on
 * loopback, and an order that gets past the preflight is cancelled before its first CA call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcmeAccounts } from '../../../electron/core/acme/account';
import type { Http01Responder } from '../../../electron/core/acme/challenge';
import { orderCertificate, type OrderPhase, type OrderRequest } from '../../../electron/core/acme/order';
import { preflight } from '../../../electron/core/acme/preflight';
import type { SwitchyardError } from '../../../shared/errors';
import { challengePortOf, type AcmeDirectory } from '../../../shared/https';
import { StandInChallengeServer, freeLoopbackPort } from '../../support/pebble';

const DOMAIN = 'shop.example.com';
/** A fake resolver: every name points at this machine, as a CA's DNS never would. */
const fakeResolveToLoopback = async () => ['127.0.0.1'];

/** A fake account store: counts the clients asked for, and refuses them (no CA is reachable or wanted here). */
function fakeAccounts(): { accounts: AcmeAccounts; asked: () => number } {
  let asked = 0;
  const fake = {
    client: async () => {
      asked++;
      throw new Error('fake accounts: the order reached the CA');
    },
  };
  // Only client() is used by orderCertificate; the class's other members are not needed.
  return { accounts: fake as unknown as AcmeAccounts, asked: () => asked };
}

/** A fake responder that publishes nothing anywhere: whatever answers the probe, it is not the load balancer. */
const fakeMuteResponder: Http01Responder = { add: async () => undefined, remove: async () => undefined };

let standIn: StandInChallengeServer;
let silentPort: number;

beforeAll(async () => {
  standIn = await new StandInChallengeServer(await freeLoopbackPort()).listen();
  silentPort = await freeLoopbackPort();
});
afterAll(() => standIn?.close());

/** Runs an order and stops it right after the preflight: CANCELLED means the preflight passed. */
async function orderUpToPreflight(directory: AcmeDirectory, over: Partial<OrderRequest> = {}) {
  const phases: OrderPhase[] = [];
  const stop = new AbortController();
  const { accounts, asked } = fakeAccounts();
  const err = (await orderCertificate({
    settings: { domains: [DOMAIN], email: 'ops@example.com', directory, termsAccepted: true, stagingFirst: directory === 'letsencrypt' },
    accounts,
    responder: standIn,
    preflight: { listenPort: 8080, resolve: fakeResolveToLoopback, timeoutMs: 2000 },
    onProgress: (p) => {
      phases.push(p.phase);
      if (p.phase === 'preflight') stop.abort();
    },
    signal: stop.signal,
    ...over,
  }).catch((e: unknown) => e)) as SwitchyardError;
  return { err, phases, asked: asked() };
}

describe('the port the CA validates on', () => {
  it('is 80 for Let’s Encrypt and its staging, and a custom directory’s challenge port (80 unless set)', () => {
    expect(challengePortOf('letsencrypt')).toBe(80);
    expect(challengePortOf('letsencrypt-staging')).toBe(80);
    expect(challengePortOf({ url: 'https://ca.internal/dir' })).toBe(80);
    expect(challengePortOf({ url: 'https://127.0.0.1:14000/dir', challengePort: 5002 })).toBe(5002);
  });
});

describe('the preflight before an order', () => {
  it.each(['letsencrypt', 'letsencrypt-staging'] as const)('with %s, probes port 80, not the environment’s 8080, and stops before the CA, saying both ports', async (directory) => {
    const { err, phases, asked } = await orderUpToPreflight(directory);
    expect([err.code, err.field]).toEqual(['PREFLIGHT_FAILED', 'httpPort']);
    // A URL without a port is port 80; the stand-in on another port was never asked.
    expect(err.message).toContain(`${DOMAIN}: http://${DOMAIN}/.well-known/acme-challenge/`);
    expect(err.message).toMatch(/Let's Encrypt( \(staging\))? validates on port 80, but this environment's HTTP port is 8080/);
    expect(err.message).toContain("set the environment's HTTP port to 80, or forward port 80 to 8080");
    expect(phases).toEqual(['preflight']);
    expect(asked).toBe(0);
  });

  it('with a custom directory, probes its challenge port: the stand-in there answers, and the order may go on', async () => {
    const before = standIn.added.length;
    const { err, phases, asked } = await orderUpToPreflight({ url: 'https://127.0.0.1:14000/dir', challengePort: standIn.port });
    expect(err.code, err.message).toBe('CANCELLED');
    expect(standIn.added.length).toBe(before + 1);
    expect(phases).toEqual(['preflight']);
    expect(asked).toBe(0);
  });

  it('with a custom directory whose challenge port answers nothing, names that port and the environment’s', async () => {
    const { err } = await orderUpToPreflight({ url: 'https://ca.internal/dir', challengePort: silentPort });
    expect([err.code, err.field]).toEqual(['PREFLIGHT_FAILED', 'httpPort']);
    expect(err.message).toContain(`http://${DOMAIN}:${silentPort}/.well-known/acme-challenge/`);
    expect(err.message).toContain(`ca.internal validates on port ${silentPort}, but this environment's HTTP port is 8080`);
  });

  it('passes when the CA’s port answers although the load balancer listens elsewhere (a router forwards it), noting it', async () => {
    const [r] = await preflight({ domains: [DOMAIN], responder: standIn, port: standIn.port, listenPort: 8080, resolve: fakeResolveToLoopback });
    expect(r.answered).toEqual(['127.0.0.1']);
    expect(r.warnings).toContain(`port ${standIn.port} answered although the load balancer listens on 8080: something forwards it`);
  });

  it('blames the domain, not the port, when the ports are the same, or when the name does not resolve', async () => {
    const same = await preflight({ domains: [DOMAIN], responder: fakeMuteResponder, port: standIn.port, listenPort: standIn.port, resolve: fakeResolveToLoopback }).catch((e: SwitchyardError) => e);
    expect([(same as SwitchyardError).code, (same as SwitchyardError).field]).toEqual(['PREFLIGHT_FAILED', 'https.domains.0']);
    expect((same as SwitchyardError).message).toContain('answered status 404 without the challenge answer');
    expect((same as SwitchyardError).message).not.toContain('validates on port');

    const fakeNoRecord = () => Promise.reject(Object.assign(new Error('nx'), { code: 'ENOTFOUND' }));
    const dns = (await preflight({ domains: [DOMAIN], responder: standIn, port: 80, listenPort: 8080, resolve: fakeNoRecord }).catch((e: unknown) => e)) as SwitchyardError;
    expect([dns.code, dns.field]).toEqual(['PREFLIGHT_FAILED', 'https.domains.0']);
    expect(dns.message).toContain('does not resolve');
    // The window words each domain's finding and fix in its own language.
    expect([dns.reason, dns.params]).toEqual([
      'domains',
      { problems: { sentences: [{ code: 'preflight.domain', params: { domain: DOMAIN, problem: { code: 'preflight.noAddress' }, fix: { code: 'preflight.fixDns', params: { domain: DOMAIN } } } }] } },
    ]);
  });
});
