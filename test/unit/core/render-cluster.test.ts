/**
 * haproxy.cfg for an environment on a cluster (one server-template slot per task, found through
 * Docker's DNS), checked by the host's real `haproxy -c`; and proof that an environment on one
 * machine renders as it did before clusters existed.
 */
import { describe, expect, it } from 'vitest';
import { renderConfig } from '../../../electron/core/haproxy/render';
import { Environment, EnvironmentInput, parseOrThrow } from '../../../shared/model';
import { haproxyCheck, unexpectedWarnings } from '../../support/haproxy-check';

const ctx = { backendSubnets: ['172.30.0.0/16'], adminClients: ['172.31.0.1'] };
const stamp = '2026-01-01T00:00:00.000Z';
const envOf = (input: EnvironmentInput, createdAt = stamp) => parseOrThrow(Environment, { ...parseOrThrow(EnvironmentInput, input), createdAt, updatedAt: createdAt });
const app = { source: { kind: 'image' as const, image: 'shop/app:1' }, port: 8080 };
const onCluster = (input: Partial<EnvironmentInput> = {}, createdAt?: string) =>
  envOf({ name: 'shop', cluster: { replicas: 3, slots: 8 }, servers: [{ name: 'web', kind: 'demo' }], ...input }, createdAt);

/** The trimmed lines of one section. */
const section = (cfg: string, title: string) => {
  const lines = cfg.split('\n');
  const start = lines.indexOf(title);
  if (start < 0) return undefined;
  const body: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith('    ')) break;
    body.push(l.trim());
  }
  return body;
};
const backend = (cfg: string) => section(cfg, 'backend servers')!;
const cookieKey = (cfg: string) =>
  backend(cfg)
    .find((l) => l.startsWith('dynamic-cookie-key '))
    ?.split(' ')[1];

async function expectValid(cfg: string): Promise<void> {
  const res = await haproxyCheck(cfg);
  expect(res.code, res.output).toBe(0);
  expect(unexpectedWarnings(res.output)).toEqual([]);
}

describe('haproxy.cfg on a cluster', () => {
  it('passes haproxy -c: a demo service, an app service, sticky off with TCP checks, the server in maintenance', async () => {
    await expectValid(renderConfig(onCluster(), ctx));
    await expectValid(renderConfig(onCluster({ app, servers: [{ name: 'web', kind: 'app' }] }), ctx));
    await expectValid(renderConfig(onCluster({ sticky: { enabled: false }, healthCheck: { type: 'tcp' }, retries: 0 }), ctx));
    await expectValid(renderConfig(onCluster({ servers: [{ name: 'web', kind: 'demo', state: 'maint', weight: 10, maxconn: 50 }] }), ctx));
  });

  it('has one server-template line: `slots` slots on tasks.sy-<env>-<server> at the port the tasks listen on', () => {
    const demo = backend(renderConfig(onCluster(), ctx));
    expect(demo.filter((l) => /^server(-template)? /.test(l))).toEqual(['server-template web 1-8 tasks.sy-shop-web:80 init-addr none weight 100 maxconn 8']);

    const own = backend(renderConfig(onCluster({ app, servers: [{ name: 'web', kind: 'app', weight: 30 }], cluster: { replicas: 2, slots: 3 } }), ctx));
    expect(own.filter((l) => /^server(-template)? /.test(l))).toEqual(['server-template web 1-3 tasks.sy-shop-web:8080 init-addr none weight 30']);
  });

  it('carries the server in maintenance to every slot', () => {
    const b = backend(renderConfig(onCluster({ servers: [{ name: 'web', kind: 'demo', state: 'maint' }] }), ctx));
    expect(b.find((l) => l.startsWith('server-template '))).toMatch(/ disabled$/);
  });

  it('makes sticky cookies dynamic, with a key stable for one environment and different for another', () => {
    const cfg = renderConfig(onCluster(), ctx);
    expect(backend(cfg)).toContain('cookie SERVERID insert indirect nocache dynamic');
    const key = cookieKey(cfg);
    expect(key).toMatch(/^[0-9a-f]{24}$/);
    // The same environment, rendered again or after an edit: the same key (clients keep their task).
    expect(cookieKey(renderConfig(structuredClone(onCluster()), ctx))).toBe(key);
    expect(cookieKey(renderConfig(onCluster({ cluster: { replicas: 5, slots: 9 }, balance: 'leastconn' }), ctx))).toBe(key);
    // Another environment: another key, even one of the same name made at another time.
    const other = cookieKey(renderConfig(onCluster({ name: 'blog' }), ctx));
    expect(other).toMatch(/^[0-9a-f]{24}$/);
    expect(other).not.toBe(key);
    expect(cookieKey(renderConfig(onCluster({}, '2026-02-02T00:00:00.000Z'), ctx))).not.toBe(key);
  });

  it('without sticky sessions: no cookie and no cookie key', () => {
    const b = backend(renderConfig(onCluster({ sticky: { enabled: false } }), ctx));
    expect(b.some((l) => l.startsWith('cookie ') || l.startsWith('dynamic-cookie-key'))).toBe(false);
  });

  it('retries safe requests on another task when one stops mid-request, and only those', () => {
    const b = backend(renderConfig(onCluster(), ctx));
    expect(b).toContain('retry-on conn-failure empty-response response-timeout');
    expect(b).toContain('http-request disable-l7-retry if !METH_GET !METH_HEAD');
  });

  it('has no release probe backend, even for an app (Swarm starts the new tasks)', () => {
    const cfg = renderConfig(onCluster({ app, servers: [{ name: 'web', kind: 'app' }] }), ctx);
    expect(section(cfg, 'backend releases')).toBeUndefined();
    expect(cfg).not.toMatch(/^\s*server next\d/m);
  });

  it("follows Docker's DNS closely: large answers, a task gone leaves its slot at once", () => {
    const resolvers = section(renderConfig(onCluster(), ctx), 'resolvers docker')!;
    expect(resolvers).toEqual([
      'nameserver dns 127.0.0.11:53',
      'accepted_payload_size 8192',
      'resolve_retries 3',
      'timeout resolve 1s',
      'timeout retry 1s',
      'hold valid 10s',
      'hold obsolete 0s',
      'hold nx 1s',
    ]);
  });
});

describe('haproxy.cfg on one machine, unchanged by the cluster code', () => {
  // Lines as render.ts gave them before clusters existed (commit 5eccd33), for the same settings.
  it('the tutorial lab: the same resolvers and backend, no cluster keyword', async () => {
    const cfg = renderConfig(envOf({ name: 'lab' }), ctx);
    expect(section(cfg, 'resolvers docker')).toEqual(['nameserver dns 127.0.0.11:53', 'resolve_retries 3', 'timeout resolve 1s', 'timeout retry 1s', 'hold valid 10s', 'hold nx 1h']);
    expect(backend(cfg)).toEqual([
      'balance roundrobin',
      'cookie SERVERID insert indirect nocache',
      'option httpchk',
      'http-check send meth GET uri /health ver HTTP/1.1 hdr Host lab',
      'http-check expect status 200',
      'timeout check 2000ms',
      'timeout connect 1000ms',
      'default-server check inter 2000ms fastinter 500ms downinter 1000ms rise 2 fall 3 observe layer4 error-limit 1 on-error fastinter resolvers docker init-addr last,libc,none',
      'http-response set-header X-Served-By %[srv_name]',
      'server back1 sy-lab-back1:80 cookie back1 weight 100 maxconn 8',
      'server back2 sy-lab-back2:80 cookie back2 weight 100 maxconn 8',
    ]);
    expect(cfg).not.toMatch(/server-template|dynamic|retry-on|disable-l7-retry|hold obsolete|accepted_payload_size/);
    await expectValid(cfg);
  });

  it('an app with an external server: the same servers, and the release probe backend is still there', () => {
    const cfg = renderConfig(
      envOf({
        name: 'shop',
        app,
        balance: 'leastconn',
        sticky: { enabled: false },
        servers: [
          { name: 'app1', kind: 'app' },
          { name: 'app2', kind: 'app', state: 'maint' },
          { name: 'ext', kind: 'external', address: '10.1.2.3', port: 81 },
        ],
      }),
      ctx,
    );
    expect(backend(cfg).filter((l) => l.startsWith('server'))).toEqual([
      'server app1 sy-shop-app1:8080 weight 100',
      'server app2 sy-shop-app2:8080 weight 100 disabled',
      'server ext 10.1.2.3:81 weight 100',
    ]);
    const probe = section(cfg, 'backend releases')!;
    expect(probe.filter((l) => l.startsWith('server next'))).toHaveLength(8);
    expect(probe[probe.length - 1]).toBe('server next8 127.0.0.1:1 disabled check inter 100ms fastinter 100ms downinter 100ms rise 2 fall 1');
  });
});
