import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_SERVER_MAXCONN, Environment, EnvironmentInput as EnvInput, parseOrThrow, type EnvironmentInput } from '../../../shared/model';
import { renderConfig } from '../../../electron/core/haproxy/render';
import { haproxyCheck, unexpectedWarnings } from '../../support/haproxy-check';

const ctx = { backendSubnets: ['172.30.0.0/16'], adminClients: ['172.31.0.1'] };
const stamp = '2026-01-01T00:00:00.000Z';
const envOf = (input: EnvironmentInput) => parseOrThrow(Environment, { ...parseOrThrow(EnvInput, input), createdAt: stamp, updatedAt: stamp });

const section = (cfg: string, title: string) => {
  const lines = cfg.split('\n');
  const start = lines.indexOf(title);
  const body: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith('    ')) break;
    body.push(l.trim());
  }
  return body;
};

describe('haproxy.cfg renderer', () => {
  it('gives the tutorial behaviour for the tutorial settings', async () => {
    const cfg = renderConfig(envOf({ name: 'lab' }), ctx);
    const backend = section(cfg, 'backend servers');
    expect(backend).toContain('balance roundrobin');
    expect(backend).toContain('cookie SERVERID insert indirect nocache');
    expect(backend).toContain('server back1 sy-lab-back1:80 cookie back1 weight 100 maxconn 8');
    expect(backend).toContain('server back2 sy-lab-back2:80 cookie back2 weight 100 maxconn 8');
    expect(backend.find((l) => l.startsWith('default-server'))).toMatch(/\bcheck\b/);
    expect(section(cfg, 'defaults')).toContain('option redispatch 1');
    expect(section(cfg, 'defaults')).toContain('option httplog');
    expect(section(cfg, 'global')).toContain('log stdout format raw local0');
    expect(section(cfg, 'global')).toContain('server-state-file /var/lib/haproxy/server-state');
    expect(section(cfg, 'defaults')).toContain('load-server-state-from-file global');
    expect(backend).toContain('http-response set-header X-Served-By %[srv_name]');
    const res = await haproxyCheck(cfg);
    expect(res.code, res.output).toBe(0);
    expect(unexpectedWarnings(res.output)).toEqual([]);
  });

  it('is pure: the same environment gives the same text', () => {
    const env = envOf({ name: 'lab' });
    expect(renderConfig(env, ctx)).toBe(renderConfig(structuredClone(env), ctx));
  });

  it('keeps the runtime API away from the backend network', () => {
    const cfg = renderConfig(envOf({ name: 'lab' }), { backendSubnets: ['172.30.0.0/16', 'fd00:1::/64'], adminClients: ['172.31.0.1'] });
    const admin = section(cfg, 'listen runtime-api');
    expect(admin).toContain('tcp-request connection reject if { src 172.30.0.0/16 }');
    expect(admin).toContain('tcp-request connection reject if { src fd00:1::/64 }');
    expect(admin).toContain('tcp-request connection reject unless { src 172.31.0.1 }');
    expect(admin.some((l) => l.startsWith('server cli unix@'))).toBe(true);
  });

  it('renders maint as disabled, keeps the weight of a drained server, and external servers by address', () => {
    const cfg = renderConfig(
      envOf({
        name: 'lab',
        sticky: { enabled: false },
        servers: [
          { name: 'a', kind: 'demo', state: 'drain', weight: 50 },
          { name: 'b', kind: 'demo', state: 'maint' },
          { name: 'c', kind: 'external', address: '10.1.2.3', port: 8081, weight: 7 },
        ],
      }),
      ctx,
    );
    const backend = section(cfg, 'backend servers');
    expect(backend).toContain('server a sy-lab-a:80 weight 50 maxconn 8');
    expect(backend).toContain('server b sy-lab-b:80 weight 100 maxconn 8 disabled');
    expect(backend).toContain('server c 10.1.2.3:8081 weight 7');
    expect(backend.some((l) => l.startsWith('cookie '))).toBe(false);
  });

  it('never takes a server out on one connection error: errors only bring the next check forward', () => {
    const cfg = renderConfig(envOf({ name: 'lab' }), ctx);
    const backend = section(cfg, 'backend servers');
    const defaults = backend.find((l) => l.startsWith('default-server'))!;
    expect(defaults).not.toMatch(/mark-down|sudden-death|fail-check/);
    expect(defaults).toContain('observe layer4 error-limit 1 on-error fastinter');
    // Derived from the default interval (2 s): re-checks after an error or while changing state
    // every 500 ms, every second while down.
    expect(defaults).toContain('check inter 2000ms fastinter 500ms downinter 1000ms rise 2 fall 3');
    expect(backend).toContain('timeout check 2000ms');
    // 2 s + 3 × 1 s + 2 × 0.5 s = 6 s: DOWN within interval × fall, with a second to spare.
    expect(backend).toContain('timeout connect 1000ms');
  });

  it('queues in HAProxy rather than overflow a server: maxconn per server, a queue timeout', () => {
    const cfg = renderConfig(
      envOf({
        name: 'lab',
        sticky: { enabled: false },
        servers: [
          { name: 'a', kind: 'demo' },
          { name: 'b', kind: 'demo', maxconn: 3 },
          { name: 'c', kind: 'external', address: '10.1.2.3', port: 8081 },
          { name: 'd', kind: 'external', address: '10.1.2.4', port: 8081, maxconn: 500 },
        ],
      }),
      ctx,
    );
    const backend = section(cfg, 'backend servers');
    expect(backend).toContain(`server a sy-lab-a:80 weight 100 maxconn ${DEMO_SERVER_MAXCONN}`);
    expect(backend).toContain('server b sy-lab-b:80 weight 100 maxconn 3');
    // An external server has no limit unless one is set.
    expect(backend).toContain('server c 10.1.2.3:8081 weight 100');
    expect(backend).toContain('server d 10.1.2.4:8081 weight 100 maxconn 500');
    expect(section(cfg, 'defaults')).toContain('timeout queue 30000ms');
  });

  it("keeps the user's connect timeout when the checks' promise allows it", () => {
    const short = section(renderConfig(envOf({ name: 'lab', timeouts: { connect: 400 } }), ctx), 'backend servers');
    expect(short.some((l) => l.startsWith('timeout connect'))).toBe(false);
    const slow = section(renderConfig(envOf({ name: 'lab', healthCheck: { interval: 10_000 } }), ctx), 'backend servers');
    expect(slow.some((l) => l.startsWith('timeout connect'))).toBe(false);
    expect(slow.find((l) => l.startsWith('default-server'))).toContain('inter 10000ms fastinter 2500ms downinter 5000ms');
  });

  const algorithms = ['roundrobin', 'leastconn', 'source', 'random', 'first'] as const;
  const combos: EnvironmentInput[] = [];
  for (const balance of algorithms)
    for (const sticky of [true, false])
      for (const redispatch of [true, false])
        for (const type of ['tcp', 'http'] as const)
          combos.push({
            name: 'combo',
            balance,
            sticky: { enabled: sticky, cookieName: sticky ? 'LB_ID' : 'SERVERID' },
            redispatch,
            retries: redispatch ? 5 : 0,
            healthCheck: { type, path: '/status?full=1&x=y', expectStatus: 204, interval: 500, rise: 1, fall: 5 },
            timeouts: { connect: 1, client: 3_600_000, server: 250 },
            servers: [
              { name: 'back1', kind: 'demo', weight: 0 },
              { name: 'back2', kind: 'demo', weight: 256, state: 'drain', maxconn: 1 },
              { name: 'back3', kind: 'demo', state: 'maint' },
              { name: 'ext', kind: 'external', address: 'localhost', port: 65535 },
              { name: 'ext2', kind: 'external', address: 'localhost', port: 1, maxconn: 100_000 },
            ],
          });

  it.each(combos.map((c) => [`${c.balance ?? 'default'} sticky=${c.sticky?.enabled} redispatch=${c.redispatch} check=${c.healthCheck?.type}`, c]))(
    'passes real haproxy -c: %s',
    async (_name, input) => {
      const res = await haproxyCheck(renderConfig(envOf(input), ctx));
      expect(res.code, res.output).toBe(0);
      expect(unexpectedWarnings(res.output)).toEqual([]);
    },
  );

  it('passes real haproxy -c with no servers (an environment saved before a server was required)', async () => {
    const res = await haproxyCheck(renderConfig({ ...envOf({ name: 'empty' }), servers: [] }, ctx));
    expect(res.code, res.output).toBe(0);
    expect(unexpectedWarnings(res.output)).toEqual([]);
  });
});

describe('haproxy.cfg renderer with HTTPS', () => {
  const https = { enabled: true, domains: ['lab.example.com'], email: 'ops@example.com', termsAccepted: true, hsts: true };

  /** The state volume's files, in a temp folder standing in for /var/lib/haproxy. */
  function withStateDir(cfg: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-state-'));
    mkdirSync(path.join(dir, 'certs'));
    writeFileSync(path.join(dir, 'acme.map'), '');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=lab.example.com'], {
      stdio: 'ignore',
    });
    writeFileSync(path.join(dir, 'certs', 'site.pem'), readFileSync(path.join(dir, 'k.pem'), 'utf8') + readFileSync(path.join(dir, 'c.pem'), 'utf8'));
    return cfg.replaceAll('/var/lib/haproxy/', `${dir}/`);
  }

  it('answers ACME challenges from the map before anything else, with no HTTPS listener until a certificate exists', async () => {
    const cfg = renderConfig(envOf({ name: 'lab', https }), { ...ctx, certificate: false });
    const fe = section(cfg, 'frontend web');
    expect(fe[1]).toMatch(/^http-request return status 200 .*map\(\/var\/lib\/haproxy\/acme\.map\).* if \{ path_beg \/\.well-known\/acme-challenge\/ \}/);
    expect(fe.some((l) => l.includes('ssl crt'))).toBe(false);
    expect(fe.some((l) => l.includes('redirect'))).toBe(false);
    const res = await haproxyCheck(withStateDir(cfg));
    expect(res.code, res.output).toBe(0);
    expect(unexpectedWarnings(res.output)).toEqual([]);
  });

  it('with a certificate: an HTTPS listener, a 301 that spares the ACME path, and HSTS', async () => {
    const cfg = renderConfig(envOf({ name: 'lab', https }), { ...ctx, certificate: true });
    const fe = section(cfg, 'frontend web');
    expect(fe).toContain('bind :8443 ssl crt /var/lib/haproxy/certs/site.pem');
    // The redirect's own lines (port, Host, path) are checked in https-redirect.test.ts.
    const redirects = fe.filter((l) => l.startsWith('http-request redirect code 301 '));
    expect(redirects.length).toBeGreaterThan(0);
    expect(redirects.every((l) => l.includes('!{ path_beg /.well-known/acme-challenge/ }'))).toBe(true);
    expect(fe.findIndex((l) => l.startsWith('http-request return'))).toBeLessThan(fe.findIndex((l) => l.includes('redirect')));
    expect(fe).toContain('http-response set-header Strict-Transport-Security "max-age=63072000" if { ssl_fc }');
    const res = await haproxyCheck(withStateDir(cfg));
    expect(res.code, res.output).toBe(0);
    expect(unexpectedWarnings(res.output)).toEqual([]);
  });
});
