import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwitchyardError } from '../../shared/errors';
import { AcmeAccounts } from '../../electron/core/acme/account';
import { splitPem } from '../../electron/core/acme/certificate';
import { orderCertificate, type OrderPhase, type OrderRequest } from '../../electron/core/acme/order';
import { FakeSecretBoxForTests, StandInChallengeServer, TestPebble, freeLoopbackPort } from '../support/pebble';

let pebble: TestPebble;
let standIn: StandInChallengeServer;
let dir: string;
let box: FakeSecretBoxForTests;
let accounts: AcmeAccounts;

beforeAll(async () => {
  const port = await freeLoopbackPort();
  standIn = await new StandInChallengeServer(port).listen();
  pebble = await TestPebble.start({ httpPort: port });
  dir = mkdtempSync(path.join(os.tmpdir(), 'sy-acme-'));
  box = new FakeSecretBoxForTests();
  accounts = new AcmeAccounts(path.join(dir, 'acme-accounts.json'), box);
});

afterAll(async () => {
  await pebble?.stop();
  await standIn?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** An order from Pebble; the preflight probes `challengePort` (Pebble's own validator uses the stand-in's). */
function request(domains: string[], over: Partial<OrderRequest> = {}, challengePort = standIn.port): OrderRequest & { phases: OrderPhase[] } {
  const phases: OrderPhase[] = [];
  return {
    settings: { domains, email: 'ops@switchyard.test', directory: { ...pebble.directory(), challengePort }, termsAccepted: true, stagingFirst: false },
    accounts,
    responder: standIn,
    preflight: { resolve: pebble.resolve },
    onProgress: (p) => phases.push(p.phase),
    client: { poll: { attempts: 8, minMs: 100, maxMs: 1000 } },
    phases,
    ...over,
  };
}

async function failure(p: Promise<unknown>): Promise<SwitchyardError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the order should have failed').toBeInstanceOf(Error);
  return err as SwitchyardError;
}

describe('ordering a certificate from Pebble', () => {
  it('gets a certificate for every name that chains to the CA root, key first in the combined file', async () => {
    const req = request(['shop.switchyard.test', 'www.shop.switchyard.test']);
    const cert = await orderCertificate(req);
    expect(req.phases).toEqual(['preflight', 'order', 'challenge', 'finalize']);
    expect(cert.summary.domains.sort()).toEqual(['shop.switchyard.test', 'www.shop.switchyard.test']);
    expect(cert.summary.issuer).toMatch(/^Pebble Intermediate CA/);
    expect(Date.parse(cert.summary.notAfter)).toBeGreaterThan(Date.now());

    const [leaf, ...rest] = splitPem(cert.chainPem).map((b) => new X509Certificate(b));
    const root = new X509Certificate(await pebble.rootCa());
    const chain = [leaf, ...rest, root];
    for (let i = 0; i < chain.length - 1; i++) {
      expect(chain[i].checkIssued(chain[i + 1]), `certificate ${i} is issued by the next`).toBe(true);
      expect(chain[i].verify(chain[i + 1].publicKey), `certificate ${i} is signed by the next`).toBe(true);
    }
    expect(root.verify(root.publicKey)).toBe(true);

    expect(cert.combinedPem.startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
    expect(leaf.checkPrivateKey(createPrivateKey(cert.keyPem))).toBe(true);
    // Challenge answers are withdrawn once the CA has read them.
    expect(standIn.answers.size).toBe(0);
  });

  it('keeps one account per directory and email, its key sealed, and reuses it', async () => {
    const sealedBefore = box.sealed.length;
    await orderCertificate(request(['again.switchyard.test']));
    expect(box.sealed.length).toBe(sealedBefore);
    const file = readFileSync(path.join(dir, 'acme-accounts.json'), 'utf8');
    expect(file).not.toMatch(/PRIVATE KEY/);
    const rec = await accounts.find(pebble.directoryUrl, 'ops@switchyard.test');
    expect(rec?.accountUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    expect(rec?.termsAcceptedAt).toBeTruthy();
  });

  it('names the domain and the cause when the CA cannot validate a challenge', async () => {
    await pebble.pointDomain('elsewhere.switchyard.test', '127.0.0.2');
    try {
      const req = request(['ok.switchyard.test', 'elsewhere.switchyard.test'], { preflight: null });
      const err = await failure(orderCertificate(req));
      expect(err.code).toBe('CHALLENGE_FAILED');
      expect(err.field).toBe('https.domains.1');
      expect(err.message).toContain('could not validate elsewhere.switchyard.test');
      expect(err.message).toMatch(/127\.0\.0\.2.*(refused|connect)/i);
      expect(err.message).toContain('Make sure elsewhere.switchyard.test points at this load balancer');
      expect(req.phases).toEqual(['order', 'challenge']);
    } finally {
      await pebble.clearDomain('elsewhere.switchyard.test');
    }
  });

  it('refuses to order without the terms of service accepted', async () => {
    const req = request(['terms.switchyard.test']);
    req.settings = { ...req.settings, termsAccepted: false };
    const err = await failure(orderCertificate(req));
    expect(err.code).toBe('VALIDATION');
    expect(err.field).toBe('https.termsAccepted');
    expect(req.phases).toEqual([]);
  });
});

describe('the preflight before an order', () => {
  it('stops before any order when nothing answers the challenge path', async () => {
    const silent = new StandInChallengeServer(await freeLoopbackPort()); // never listens
    const req = request(['nobody.switchyard.test'], { responder: silent }, silent.port);
    const err = await failure(orderCertificate(req));
    expect([err.code, err.field]).toEqual(['PREFLIGHT_FAILED', 'https.domains.0']);
    expect(err.message).toContain(`nobody.switchyard.test: http://nobody.switchyard.test:${silent.port}/.well-known/acme-challenge/`);
    expect(err.message).toContain('refused the connection');
    expect(req.phases).toEqual(['preflight']);
  });

  it('stops when the HTTP port answers but not from the responder', async () => {
    // The probe goes through a responder that publishes nothing, while something else serves the port.
    const mute = { add: async () => undefined, remove: async () => undefined };
    const req = request(['wrong.switchyard.test'], { responder: mute });
    const err = await failure(orderCertificate(req));
    expect(err.message).toContain('wrong.switchyard.test');
    expect(err.message).toContain('answered status 404 without the challenge answer');
    expect(req.phases).toEqual(['preflight']);
  });

  it('stops when the challenge path is redirected to HTTPS', async () => {
    const port = await freeLoopbackPort();
    const redirector = http.createServer((q, s) => {
      s.writeHead(301, { location: `https://redirect.switchyard.test${q.url}` });
      s.end();
    });
    await new Promise<void>((ok) => redirector.listen(port, '127.0.0.1', ok));
    try {
      const req = request(['redirect.switchyard.test'], {}, port);
      const err = await failure(orderCertificate(req));
      expect(err.message).toContain('answered with a redirect (301 to https://redirect.switchyard.test/.well-known/acme-challenge/');
      expect(err.message).toContain('before redirecting HTTP to HTTPS');
    } finally {
      redirector.close();
    }
  });

  it('stops when the domain does not resolve, naming it', async () => {
    const req = request(['www.switchyard.test', 'missing.switchyard.test'], {
      preflight: {
        resolve: (h) => (h === 'missing.switchyard.test' ? Promise.reject(Object.assign(new Error('nx'), { code: 'ENOTFOUND' })) : pebble.resolve(h)),
      },
    });
    const err = await failure(orderCertificate(req));
    expect([err.code, err.field]).toEqual(['PREFLIGHT_FAILED', 'https.domains.1']);
    expect(err.message).toContain('missing.switchyard.test: the name does not resolve');
    expect(err.message).toContain('Add a DNS A (or AAAA) record for missing.switchyard.test');
  });
});
