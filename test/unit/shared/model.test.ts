import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../../shared/errors';
import { EnvironmentInput, EnvironmentPatch, parseOrThrow } from '../../../shared/model';

function refusal(value: unknown, schema: Parameters<typeof parseOrThrow>[0] = EnvironmentInput): SwitchyardError {
  try {
    parseOrThrow(schema, value);
  } catch (err) {
    if (err instanceof SwitchyardError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

describe('environment model', () => {
  it('defaults to the tutorial lab: two demo backends, round robin, SERVERID cookie, redispatch, HTTP checks', () => {
    const env = parseOrThrow(EnvironmentInput, { name: 'lab' });
    expect(env.balance).toBe('roundrobin');
    expect(env.sticky).toEqual({ enabled: true, cookieName: 'SERVERID' });
    expect(env.redispatch).toBe(true);
    expect(env.healthCheck).toMatchObject({ type: 'http', path: '/health', expectStatus: 200 });
    expect(env.servers.map((s) => [s.name, s.kind, s.state])).toEqual([
      ['back1', 'demo', 'ready'],
      ['back2', 'demo', 'ready'],
    ]);
    expect(env.host).toBe('local');
  });

  it.each([
    ['a newline in the name', { name: 'lab\nx' }, 'name'],
    ['a space in the name', { name: 'my lab' }, 'name'],
    ['a quote in the name', { name: 'lab"' }, 'name'],
    ['upper case in the name', { name: 'Lab' }, 'name'],
    ['a port above 65535', { name: 'lab', httpPort: 70000 }, 'httpPort'],
    ['port 0', { name: 'lab', httpPort: 0 }, 'httpPort'],
    ['a fractional port', { name: 'lab', httpPort: 80.5 }, 'httpPort'],
    ['an unknown algorithm', { name: 'lab', balance: 'fastest' }, 'balance'],
    ['a quote in the cookie name', { name: 'lab', sticky: { cookieName: 'SERVER"ID' } }, 'sticky.cookieName'],
    ['a space in the health path', { name: 'lab', healthCheck: { path: '/he alth' } }, 'healthCheck.path'],
    ['a $ in the health path', { name: 'lab', healthCheck: { path: '/${HOME}' } }, 'healthCheck.path'],
    ['a server name with a newline', { name: 'lab', servers: [{ name: 'b\n', kind: 'demo' }] }, 'servers.0.name'],
    ['a weight above 256', { name: 'lab', servers: [{ name: 'b', kind: 'demo', weight: 300 }] }, 'servers.0.weight'],
    ['an unknown server state', { name: 'lab', servers: [{ name: 'b', kind: 'demo', state: 'off' }] }, 'servers.0.state'],
    ['a maxconn of 0', { name: 'lab', servers: [{ name: 'b', kind: 'demo', maxconn: 0 }] }, 'servers.0.maxconn'],
    ['a fractional maxconn', { name: 'lab', servers: [{ name: 'b', kind: 'demo', maxconn: 2.5 }] }, 'servers.0.maxconn'],
    ['a maxconn as text', { name: 'lab', servers: [{ name: 'x', kind: 'external', address: 'a', port: 80, maxconn: '8 check' }] }, 'servers.0.maxconn'],
    ['an external server with a space', { name: 'lab', servers: [{ name: 'x', kind: 'external', address: 'a b', port: 80 }] }, 'servers.0.address'],
    ['an external server with a bad IPv4', { name: 'lab', servers: [{ name: 'x', kind: 'external', address: '10.0.0.300', port: 80 }] }, 'servers.0.address'],
    [
      'two servers with one name',
      {
        name: 'lab',
        servers: [
          { name: 'b', kind: 'demo' },
          { name: 'b', kind: 'demo' },
        ],
      },
      'servers.1.name',
    ],
    ['an empty server list', { name: 'lab', servers: [] }, 'servers'],
    ['an image with a space', { name: 'lab', images: { haproxy: 'haproxy lts' } }, 'images.haproxy'],
    ['an unknown field', { name: 'lab', colour: 'red' }, 'colour'],
    ['a missing name', {}, 'name'],
  ])('refuses %s, naming the field', (_what, value, field) => {
    const err = refusal(value);
    expect(err.code).toBe('VALIDATION');
    expect(err.field).toBe(field);
    expect(err.message.startsWith(`${field}: `)).toBe(true);
  });

  it('accepts external servers by host name or IPv4, and image references with registries and digests', () => {
    const env = parseOrThrow(EnvironmentInput, {
      name: 'mixed',
      servers: [
        { name: 'api', kind: 'external', address: 'api.internal.example', port: 8443, weight: 10 },
        { name: 'legacy', kind: 'external', address: '192.168.1.20', port: 80, state: 'drain' },
      ],
      images: { haproxy: 'registry.example.com:5000/ops/haproxy:3.2.1', demoBase: `busybox@sha256:${'a'.repeat(64)}` },
    });
    expect(env.servers).toHaveLength(2);
  });

  it('takes a whole maxconn per server, and leaves it unset by default (the renderer knows the demo default)', () => {
    const env = parseOrThrow(EnvironmentInput, {
      name: 'lab',
      servers: [
        { name: 'a', kind: 'demo' },
        { name: 'b', kind: 'external', address: 'b.example', port: 80, maxconn: 250 },
      ],
    });
    expect(env.servers.map((s) => s.maxconn)).toEqual([undefined, 250]);
    expect(refusal({ name: 'lab', servers: [{ name: 'b', kind: 'demo', maxconn: 0 }] }).message).toBe('servers.0.maxconn: must be between 1 and 100000');
  });

  it('a patch fills in no defaults, so it never resets what it does not mention', () => {
    const patch = parseOrThrow(EnvironmentPatch, { balance: 'leastconn', healthCheck: { rise: 5 } });
    expect(patch).toEqual({ balance: 'leastconn', healthCheck: { rise: 5 } });
    expect(refusal({ name: 'other' }, EnvironmentPatch).field).toBe('name');
  });

  it('a patch cannot take every server away', () => {
    const err = refusal({ servers: [] }, EnvironmentPatch);
    expect(err.field).toBe('servers');
    expect(err.message).toBe('servers: an environment needs at least one server');
  });
});
