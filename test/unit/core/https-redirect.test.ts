/**
 * The HTTP → HTTPS redirect: the rendered lines, then the rendered config in a throwaway run of
 * the host's real HAProxy 2.6 on loopback ports (the load balancer's container is not needed
 * to see what Location it sends, and port 443 cannot be published by a test on a shared
 * machine, so the 443 case is checked this way).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderConfig } from '../../../electron/core/haproxy/render';
import { Environment, EnvironmentInput, parseOrThrow } from '../../../shared/model';
import { haproxyCheck, unexpectedWarnings } from '../../support/haproxy-check';
import { freeLoopbackPort } from '../../support/pebble';

const ctx = { backendSubnets: ['172.30.0.0/16'], adminClients: ['172.31.0.1'], certificate: true };
const stamp = '2026-01-01T00:00:00.000Z';
const DOMAIN = 'lab.example.com';
const labWith = (https: Record<string, unknown>) =>
  parseOrThrow(Environment, {
    ...parseOrThrow(EnvironmentInput, { name: 'lab', https: { enabled: true, domains: [DOMAIN, 'www.lab.example.com'], email: 'ops@example.com', termsAccepted: true, ...https } }),
    createdAt: stamp,
    updatedAt: stamp,
  });
const frontendOf = (cfg: string) => {
  const lines = cfg.split('\n');
  const body: string[] = [];
  for (const l of lines.slice(lines.indexOf('frontend web') + 1)) {
    if (!l.startsWith('    ')) break;
    body.push(l.trim());
  }
  return body;
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sy-redirect-'));
  mkdirSync(path.join(dir, 'certs'));
  writeFileSync(path.join(dir, 'acme.map'), '');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      path.join(dir, 'k.pem'),
      '-out',
      path.join(dir, 'c.pem'),
      '-days',
      '1',
      '-subj',
      `/CN=${DOMAIN}`,
    ],
    { stdio: 'ignore' },
  );
  writeFileSync(path.join(dir, 'certs', 'site.pem'), readFileSync(path.join(dir, 'k.pem'), 'utf8') + readFileSync(path.join(dir, 'c.pem'), 'utf8'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The rendered config as this machine can run it: state files in a temp folder, listeners on free loopback ports. */
async function runnable(cfg: string): Promise<{ config: string; http: number }> {
  const [http, tls, admin] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
  const config = cfg
    .replaceAll('/var/lib/haproxy/', `${dir}/`)
    .replace(/^ {4}bind :8080$/m, `    bind 127.0.0.1:${http}`)
    .replace(/^ {4}bind :8443 /m, `    bind 127.0.0.1:${tls} `)
    .replace(/^ {4}bind :9999$/m, `    bind 127.0.0.1:${admin}`);
  expect(config).toContain(`bind 127.0.0.1:${http}`);
  return { config, http };
}

/** A throwaway HAProxy: starts on the config, waits for its HTTP port, and is stopped by the caller. */
async function startHaproxy(config: string, port: number): Promise<ChildProcess> {
  const file = path.join(dir, `haproxy-${port}.cfg`);
  writeFileSync(file, config);
  // Container names do not resolve here: one quick DNS attempt each, so the start is not stalled.
  const proc = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RES_OPTIONS: 'timeout:1 attempts:1' } });
  let log = '';
  proc.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await new Promise<boolean>((ok) => {
      const s = net
        .connect(port, '127.0.0.1', () => {
          s.end();
          ok(true);
        })
        .on('error', () => ok(false));
    });
    if (up) return proc;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`haproxy did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stop(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    proc.once('exit', () => done());
    proc.kill('SIGTERM');
  });
}

/** One raw HTTP/1.x request (so a missing or odd Host can be sent); the status and Location back. */
function raw(port: number, head: string): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    let data = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(`${head}\r\nConnection: close\r\n\r\n`));
    s.setEncoding('utf8');
    s.setTimeout(10_000, () => s.destroy(new Error('timed out')));
    s.on('data', (c: string) => (data += c));
    s.on('error', reject);
    s.on('end', () => {
      const status = Number(/^HTTP\/1\.\d (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, location: /^location: (.*)$/im.exec(data)?.[1]?.trim() });
    });
  });
}
const getWithHost = (port: number, host: string | null, target = '/some/path?q=1') => raw(port, host === null ? `GET ${target} HTTP/1.0` : `GET ${target} HTTP/1.1\r\nHost: ${host}`);

describe('the HTTP → HTTPS redirect as rendered', () => {
  it('goes to the HTTPS port as published, from the Host’s name (port dropped), or to the first domain', () => {
    const fe = frontendOf(renderConfig(labWith({ httpsPort: 18181 }), ctx));
    expect(fe.filter((l) => l.includes('redirect'))).toEqual([
      `http-request redirect code 301 location 'https://%[req.hdr(host),regsub(":[0-9]*$","")]:18181%[pathq]' if !{ ssl_fc } !{ path_beg /.well-known/acme-challenge/ } { req.hdr(host) -m reg -i '^([a-z0-9.-]+|\\[[0-9a-f:.]+\\])(:[0-9]*)?$' }`,
      `http-request redirect code 301 location 'https://${DOMAIN}:18181%[pathq]' if !{ ssl_fc } !{ path_beg /.well-known/acme-challenge/ }`,
    ]);
    // The ACME answer comes first: no redirect may swallow a challenge.
    expect(fe.findIndex((l) => l.startsWith('http-request return'))).toBeLessThan(fe.findIndex((l) => l.includes('redirect')));
  });

  it('leaves the port out for 443, and is absent when the redirect is off', () => {
    const fe = frontendOf(renderConfig(labWith({ httpsPort: 443 }), ctx));
    const redirects = fe.filter((l) => l.includes('redirect'));
    expect(redirects).toHaveLength(2);
    expect(redirects[0]).toContain(`location 'https://%[req.hdr(host),regsub(":[0-9]*$","")]%[pathq]'`);
    expect(redirects[1]).toContain(`location 'https://${DOMAIN}%[pathq]'`);
    expect(frontendOf(renderConfig(labWith({ httpsPort: 443, redirectHttp: false }), ctx)).some((l) => l.includes('redirect'))).toBe(false);
  });

  it.each([8443, 443])('passes real haproxy -c with the HTTPS port %i', async (httpsPort) => {
    const res = await haproxyCheck(renderConfig(labWith({ httpsPort, hsts: true }), ctx).replaceAll('/var/lib/haproxy/', `${dir}/`));
    expect(res.code, res.output).toBe(0);
    expect(unexpectedWarnings(res.output)).toEqual([]);
  });
});

describe('the rendered redirect in a throwaway run of the real HAProxy 2.6', () => {
  it.each([
    [18181, ':18181'],
    [443, ''],
  ])('with HTTPS on %i: keeps path and query, swaps whatever port the Host has, spares the ACME path', async (httpsPort, shown) => {
    const { config, http } = await runnable(renderConfig(labWith({ httpsPort }), ctx));
    const proc = await startHaproxy(config, http);
    try {
      const cases: [string | null, string][] = [
        [DOMAIN, `https://${DOMAIN}${shown}/some/path?q=1`],
        [`${DOMAIN}:${http}`, `https://${DOMAIN}${shown}/some/path?q=1`],
        [`${DOMAIN}:80`, `https://${DOMAIN}${shown}/some/path?q=1`],
        ['www.lab.example.com', `https://www.lab.example.com${shown}/some/path?q=1`],
        [`[2001:db8::1]:${http}`, `https://[2001:db8::1]${shown}/some/path?q=1`],
        ['[::1]', `https://[::1]${shown}/some/path?q=1`],
        // No Host (HTTP/1.0), or one that is not a host name: the certificate's first name, nothing echoed.
        [null, `https://${DOMAIN}${shown}/some/path?q=1`],
        ['evil.example/@x', `https://${DOMAIN}${shown}/some/path?q=1`],
      ];
      for (const [host, location] of cases) {
        expect(await getWithHost(http, host), `Host: ${host}`).toEqual({ status: 301, location });
      }
      // The query is passed on as it came, encoded characters and all.
      expect((await getWithHost(http, DOMAIN, '/a%20b/?x=%2F&y')).location).toBe(`https://${DOMAIN}${shown}/a%20b/?x=%2F&y`);
      // An absolute-form request target (as proxies send): path and query only.
      expect((await getWithHost(http, `${DOMAIN}:${http}`, `http://${DOMAIN}:${http}/abs?z=1`)).location).toBe(`https://${DOMAIN}${shown}/abs?z=1`);
      // Not redirected: the challenge path (no answer in the map here, so it goes on to the backends).
      expect((await getWithHost(http, DOMAIN, '/.well-known/acme-challenge/some-token')).status).not.toBe(301);
    } finally {
      await stop(proc);
    }
  });
});
