import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACCOUNTS_FILE } from '../../electron/core/acme/account';
import { names } from '../../electron/core/environments/naming';
import type { AcmeDirectory, CertificateStatus } from '../../shared/https';
import { docker, freePort, get, removeEnvironments, testCore, uniqueName, deployLab, until, type TestCore } from '../support/lab';
import { startLoad } from '../support/load';
import { TestPebble, serialKey, verifiedHttpsGet } from '../support/pebble';

const DOMAIN = 'lab.switchyard.test';

const httpsGet = (port: number, ca: string) => verifiedHttpsGet(port, DOMAIN, ca);

/** One plain GET to the load balancer on 127.0.0.1 with the Host header a browser would send. */
function getAs(port: number, host: string, requestPath: string): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: requestPath, headers: { host }, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

describe('one-click HTTPS against a real ACME server (Pebble)', () => {
  const name = uniqueName('tls');
  let t: TestCore;
  let pebble: TestPebble;
  let port: number;
  let httpsPort: number;
  let root: string;

  beforeAll(async () => {
    port = await freePort();
    httpsPort = await freePort();
    pebble = await TestPebble.start({ httpPort: port, defaultIPv4: '' });
    root = await pebble.rootCa();
    await pebble.pointDomain(DOMAIN, '127.0.0.1');
    t = testCore({ ...process.env, SWITCHYARD_DNS_SERVERS: `127.0.0.1:${pebble.dnsPort}` });
    // The port the environment keeps for HTTPS from its creation (here one known to be free).
    await deployLab(t, name, { httpPort: port, https: { httpsPort } });
  });

  afterAll(async () => {
    await removeEnvironments(name);
    await t?.close();
    await pebble?.stop();
  });

  const switchHttps = (enabled: boolean, directory: AcmeDirectory = pebble.directory()) =>
    t.call('environments:update', {
      environment: name,
      patch: {
        https: {
          enabled,
          domains: [DOMAIN],
          email: 'ops@switchyard.test',
          directory,
          termsAccepted: true,
          httpsPort,
        },
      },
    });

  it('refuses to order before the terms are accepted, naming the field', async () => {
    const res = await t.core.invoke('environments:update', {
      environment: name,
      patch: { https: { enabled: true, domains: [DOMAIN], email: 'ops@switchyard.test', directory: { url: pebble.directoryUrl } } },
    });
    expect(res).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'patch.https.termsAccepted' } });
  });

  it('with Let’s Encrypt, the preflight probes port 80 and stops before any order, naming both ports; no CA is contacted', async () => {
    // Every HTTPS request this process makes (the directory fetch, acme-client's axios) goes through node:https.
    const outbound: string[] = [];
    const record = ([a]: unknown[]) => {
      const opts = a as https.RequestOptions | undefined;
      outbound.push(typeof a === 'string' ? a : a instanceof URL ? a.href : String(opts?.hostname ?? opts?.host));
    };
    const spies = [
      vi.spyOn(https, 'request').mockImplementation(((...args: unknown[]) => {
        record(args);
        throw new Error('test: no HTTPS request may leave before the preflight passes');
      }) as typeof https.request),
      vi.spyOn(https, 'get').mockImplementation(((...args: unknown[]) => {
        record(args);
        throw new Error('test: no HTTPS request may leave before the preflight passes');
      }) as typeof https.get),
    ];
    try {
      await switchHttps(true, 'letsencrypt');
      const { taskId } = await t.call('certificates:order', { environment: name });
      const task = await t.core.tasks.whenDone(taskId);
      expect(task.state).toBe('failed');
      expect(task.error).toMatchObject({ code: 'PREFLIGHT_FAILED', field: 'httpPort' });
      expect(task.error!.message).toContain(`http://${DOMAIN}/.well-known/acme-challenge/`);
      expect(task.error!.message).toContain(`Let's Encrypt validates on port 80, but this environment's HTTP port is ${port}`);
      expect(task.error!.message).toContain(`forward port 80 to ${port}`);
      expect(task.steps.map((s) => s.name)).toEqual(['prepare', 'preflight']);
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
    expect(outbound).toEqual([]);
    expect(existsSync(path.join(t.dataDir, ACCOUNTS_FILE)), 'an ACME account was created').toBe(false);
  });

  it('switches HTTPS on: a verified HTTPS request succeeds, HTTP redirects except the ACME path; the load balancer stays and drops no HTTP request', async () => {
    const lbBefore = (await docker.getContainer(names.haproxy(name)).inspect()).Id;
    // HTTP visitors while HTTPS comes on: answered by a backend, then redirected to HTTPS.
    const load = startLoad(port, 4, 120_000, '127.0.0.1', [301]);
    await switchHttps(true);
    const { taskId } = await t.call('certificates:order', { environment: name });
    const task = await t.core.tasks.whenDone(taskId);
    const during = await load.stop();
    expect(task.state, JSON.stringify(task.error)).toBe('succeeded');
    console.log(`HTTP during "enable HTTPS": ${during.ok + during.failed} requests, ${during.failed} failed`);
    expect(during.failed, during.errors.join('; ')).toBe(0);
    expect(during.ok).toBeGreaterThan(0);
    // Published since the first deploy: a reload added the listener, no new container.
    expect((await docker.getContainer(names.haproxy(name)).inspect()).Id).toBe(lbBefore);
    expect(task.steps.map((s) => s.name)).toEqual(['prepare', 'preflight', 'order', 'challenge', 'finalize', 'install', 'verify']);

    const r = await httpsGet(httpsPort, root);
    expect(r.status).toBe(200);
    expect(r.subject).toContain(`DNS:${DOMAIN}`);
    const status = await t.call('certificates:status', { environment: name });
    // Compared as numbers: the status keeps a leading 0 digit, the handshake's serial above drops it.
    expect(serialKey(status?.serial ?? '')).toBe(r.serial);
    expect(status?.nextRenewalAt).toBeTruthy();

    const plain = await get(port);
    expect(plain.status).toBe(301);
    const acme = await get(port, { path: '/.well-known/acme-challenge/unknown-token' });
    expect(acme.status).not.toBe(301);
  });

  it('redirects HTTP to the HTTPS port as published, whatever the Host header, keeping path and query; the target serves the lab', async () => {
    expect(httpsPort).not.toBe(443);
    const target = `https://${DOMAIN}:${httpsPort}/some/path?q=1`;
    for (const host of [DOMAIN, `${DOMAIN}:${port}`]) {
      const r = await getAs(port, host, '/some/path?q=1');
      expect([r.status, r.location], `Host: ${host}`).toEqual([301, target]);
    }
    // An IPv6 literal keeps its brackets; its port is replaced, not appended to.
    expect((await getAs(port, `[::1]:${port}`, '/?q=1')).location).toBe(`https://[::1]:${httpsPort}/?q=1`);

    // Followed as a browser would: TLS to the named host and port, verified against Pebble's root.
    const followed = new URL(target);
    const there = await verifiedHttpsGet(Number(followed.port), followed.hostname, root, `${followed.pathname}${followed.search}`);
    expect(there.subject).toContain(`DNS:${DOMAIN}`);
    expect(there.headers['x-served-by']).toMatch(/^back[12]$/);
    const home = new URL((await getAs(port, `${DOMAIN}:${port}`, '/?q=1')).location!);
    const lab = await verifiedHttpsGet(Number(home.port), home.hostname, root, `${home.pathname}${home.search}`);
    expect(lab.status).toBe(200);
    expect(lab.body).toMatch(/Hello from Backend: back[12]/);

    expect((await getAs(port, `${DOMAIN}:${port}`, '/.well-known/acme-challenge/unknown-token')).status).not.toBe(301);
  });

  it('renews under HTTPS load with no failed request, serving the new certificate without a reload', async () => {
    const before = await httpsGet(httpsPort, root);
    const pid = async () => (await docker.getContainer(names.haproxy(name)).top()).Processes.map((p: string[]) => p.at(-1)).join('|');
    const pidsBefore = await pid();
    let ok = 0;
    let failed = 0;
    const errors: string[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        try {
          if ((await httpsGet(httpsPort, root)).status === 200) ok++;
          else failed++;
        } catch (e) {
          failed++;
          errors.push((e as Error).message);
        }
      }
    };
    const workers = [worker(), worker(), worker(), worker()];
    const { taskId } = await t.call('certificates:order', { environment: name });
    const task = await t.core.tasks.whenDone(taskId);
    // Some requests after the swap too, on the new certificate.
    const answeredAtSwap = ok + failed;
    await until('answers after the renewal', async () => task.state !== 'succeeded' || ok + failed >= answeredAtSwap + 20);
    running = false;
    await Promise.all(workers);
    expect(task.state, JSON.stringify(task.error)).toBe('succeeded');
    expect(failed, errors.slice(0, 3).join('; ')).toBe(0);
    expect(ok).toBeGreaterThan(20);
    const after = await httpsGet(httpsPort, root);
    expect(after.serial).not.toBe(before.serial);
    expect(await pid()).toBe(pidsBefore);
  });

  it('a challenge that fails names the domain and the cause; HTTP and the old certificate keep serving', async () => {
    const before = await httpsGet(httpsPort, root);
    // Every 127.x address reaches this machine's published ports, so "elsewhere" is nowhere:
    // the name stops resolving (the test DNS has no default address).
    await pebble.clearDomain(DOMAIN);
    try {
      const { taskId } = await t.call('certificates:order', { environment: name });
      const task = await t.core.tasks.whenDone(taskId);
      expect(task.state).toBe('failed');
      expect(['PREFLIGHT_FAILED', 'CHALLENGE_FAILED']).toContain(task.error!.code);
      expect(task.error!.field).toBe('https.domains.0');
      expect(task.error!.message).toContain(DOMAIN);
      expect(task.error!.message).toMatch(/DNS|resolve|record/i);
    } finally {
      await pebble.pointDomain(DOMAIN, '127.0.0.1');
    }
    expect((await httpsGet(httpsPort, root)).serial).toBe(before.serial);
    expect((await get(port)).status).toBe(301);
  });

  it('stops renewing once HTTPS is switched off, and forgets the certificate when the environment is destroyed', async () => {
    const events: CertificateStatus[] = [];
    const off = t.core.events.on('certificates:status', (s) => events.push(s));
    try {
      await switchHttps(false);
    } finally {
      off();
    }
    expect(events.at(-1)).toMatchObject({ environment: name, nextRenewalAt: null, failures: 0 });
    expect(await t.call('certificates:status', { environment: name })).toMatchObject({ nextRenewalAt: null });

    const task = await t.runTask('environments:destroy', name);
    expect(task.state, JSON.stringify(task.error)).toBe('succeeded');
    expect(await t.call('certificates:status', { environment: name })).toBeNull();
  });
});
