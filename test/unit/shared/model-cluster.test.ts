/**
 * The model of an environment on a Swarm cluster: one service (exactly one demo or app server),
 * HAProxy slots beyond its replicas, placement passed on to Swarm only in shapes that cannot
 * carry anything else, and a patch that replaces the placement whole.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../../shared/errors';
import { EnvironmentInput, EnvironmentPatch, parseOrThrow } from '../../../shared/model';
import { refusal as serviceRefusal, startFakeServices, type FakeServices } from '../../support/fake-services';

const web = [{ name: 'web', kind: 'demo' as const }];
const app = { source: { kind: 'image' as const, image: 'shop/app:1' } };

function refusal(value: unknown, schema: Parameters<typeof parseOrThrow>[0] = EnvironmentInput): SwitchyardError {
  try {
    parseOrThrow(schema, value);
  } catch (err) {
    if (err instanceof SwitchyardError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

describe('an environment on a cluster', () => {
  it('takes one demo server, with the placement defaults', () => {
    const env = parseOrThrow(EnvironmentInput, { name: 'shop', cluster: {}, servers: web });
    expect(env.cluster).toEqual({ replicas: 2, slots: 16, constraints: [] });
    expect(env.servers).toEqual([{ name: 'web', kind: 'demo', weight: 100, state: 'ready' }]);
  });

  it('takes one app server with its app, and a placement in full', () => {
    const env = parseOrThrow(EnvironmentInput, {
      name: 'shop',
      app,
      servers: [{ name: 'web', kind: 'app' }],
      cluster: { replicas: 3, slots: 4, constraints: ['node.role==worker', 'node.labels.zone != b', 'engine.labels.disk==ssd'], spread: 'node.labels.zone', lbNode: 'swn1' },
    });
    expect(env.cluster).toEqual({ replicas: 3, slots: 4, constraints: ['node.role==worker', 'node.labels.zone != b', 'engine.labels.disk==ssd'], spread: 'node.labels.zone', lbNode: 'swn1' });
  });

  it.each([
    ['an external server', [{ name: 'ext', kind: 'external', address: '10.0.0.9', port: 80 }]],
    [
      'two demo servers',
      [
        { name: 'a', kind: 'demo' },
        { name: 'b', kind: 'demo' },
      ],
    ],
    [
      'a demo server and an external one',
      [
        { name: 'web', kind: 'demo' },
        { name: 'ext', kind: 'external', address: '10.0.0.9', port: 80 },
      ],
    ],
  ])('refuses %s, naming servers', (_what, servers) => {
    const err = refusal({ name: 'shop', cluster: {}, servers });
    expect(err.code).toBe('VALIDATION');
    expect(err.field).toBe('servers');
    expect(err.message).toMatch(/^servers: on a cluster.*exactly one "demo" or "app" server/);
  });

  it("refuses the lab's two default servers: a cluster environment names its one server", () => {
    expect(refusal({ name: 'shop', cluster: {} }).field).toBe('servers');
  });

  it('refuses a server name too long for its slot names (web1 … web64)', () => {
    const long = 'a'.repeat(23);
    expect(parseOrThrow(EnvironmentInput, { name: 'shop', servers: [{ name: long, kind: 'demo' }] }).servers[0].name).toBe(long);
    expect(refusal({ name: 'shop', cluster: {}, servers: [{ name: long, kind: 'demo' }] }).field).toBe('servers.0.name');
    expect(parseOrThrow(EnvironmentInput, { name: 'shop', cluster: {}, servers: [{ name: 'a'.repeat(22), kind: 'demo' }] }).cluster).toBeDefined();
  });

  it('refuses as many slots as replicas (a start-first update needs one more), naming cluster.slots', () => {
    for (const [replicas, slots] of [
      [4, 4],
      [5, 4],
      [20, undefined],
    ]) {
      const err = refusal({ name: 'shop', servers: web, cluster: { replicas, ...(slots ? { slots } : {}) } });
      expect(err.field).toBe('cluster.slots');
      expect(err.message).toContain('must be more than replicas');
    }
    expect(parseOrThrow(EnvironmentInput, { name: 'shop', servers: web, cluster: { replicas: 4, slots: 5 } }).cluster).toMatchObject({ replicas: 4, slots: 5 });
  });

  it.each([
    ['no replica', { replicas: 0 }, 'cluster.replicas'],
    ['more replicas than a service may have', { replicas: 65, slots: 64 }, 'cluster.replicas'],
    ['fractional replicas', { replicas: 2.5 }, 'cluster.replicas'],
    ['more slots than HAProxy is given', { slots: 65 }, 'cluster.slots'],
    ['a constraint with one =', { constraints: ['node.role=worker'] }, 'cluster.constraints.0'],
    ['a constraint followed by a command', { constraints: ['node.role==worker; rm -rf /'] }, 'cluster.constraints.0'],
    ['a constraint with a space in its value', { constraints: ['node.labels.zone==a b'] }, 'cluster.constraints.0'],
    ['a constraint on a field Swarm does not have', { constraints: ['node.name==swn1'] }, 'cluster.constraints.0'],
    ['a constraint with a shell substitution', { constraints: ['node.role==worker', 'engine.labels.x==$(id)'] }, 'cluster.constraints.1'],
    ['a newline in a constraint', { constraints: ['node.role==worker\nnode.role==manager'] }, 'cluster.constraints.0'],
    ['spread over a node field that is not a label', { spread: 'node.role' }, 'cluster.spread'],
    ['spread with a space', { spread: 'node.labels.zone a' }, 'cluster.spread'],
    ['a load balancer node with a slash', { lbNode: 'swn1/x' }, 'cluster.lbNode'],
    ['an unknown placement field', { zone: 'a' }, 'cluster.zone'],
  ])('refuses %s, naming the field', (_what, cluster, field) => {
    const err = refusal({ name: 'shop', servers: web, cluster });
    expect(err.code).toBe('VALIDATION');
    expect(err.field).toBe(field);
  });
});

describe('a patch of the placement', () => {
  it('is a whole placement: what it leaves out takes the defaults, not the saved values', () => {
    const p = parseOrThrow(EnvironmentPatch, { cluster: { replicas: 3 } });
    expect(p.cluster).toEqual({ replicas: 3, slots: 16, constraints: [] });
  });

  it('is checked whole: replicas past the default slots are refused on cluster.slots', () => {
    expect(refusal({ cluster: { replicas: 20 } }, EnvironmentPatch).field).toBe('cluster.slots');
  });

  describe('saved by the environment service', () => {
    let s: FakeServices;
    beforeEach(async () => {
      s = await startFakeServices();
    });
    afterEach(async () => {
      await s.close();
    });

    it('replaces the saved placement (spread and constraints go unless the patch repeats them)', async () => {
      await s.create('shop', { servers: web, cluster: { replicas: 2, slots: 8, constraints: ['node.role==worker'], spread: 'node.labels.zone' } });
      const updated = await s.envs.update('shop', { cluster: { replicas: 4 } });
      expect(updated.cluster).toEqual({ replicas: 4, slots: 16, constraints: [] });
      expect((await s.envs.get('shop')).cluster).toEqual({ replicas: 4, slots: 16, constraints: [] });
      // What `env scale` sends: the saved placement with new replicas.
      const scaled = await s.envs.update('shop', { cluster: { ...updated.cluster!, spread: 'node.labels.zone', replicas: 6 } });
      expect(scaled.cluster).toEqual({ replicas: 6, slots: 16, constraints: [], spread: 'node.labels.zone' });
    });

    it('refuses a second server on a cluster environment, naming patch.servers, and saves nothing', async () => {
      await s.create('shop', { servers: web, cluster: { replicas: 2 } });
      const before = await s.envs.get('shop');
      const err = await serviceRefusal(s.envs.update('shop', { servers: [...web, { name: 'web2', kind: 'demo' }] }));
      expect(err?.code).toBe('VALIDATION');
      expect(err?.field).toBe('patch.servers');
      expect(await s.envs.get('shop')).toEqual(before);
    });
  });
});
