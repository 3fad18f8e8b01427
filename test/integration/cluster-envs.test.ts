/**
 * An environment on a real two-node Docker Swarm (test/support/cluster/nodes.sh), reached the way
 * a user reaches machines: both nodes are SSH hosts, the cluster is started on one and the other
 * joins it over its SSH connection. The backend runs as a replicated service spread over both
 * nodes; HAProxy finds its tasks through Docker's DNS. Every live change runs under load and must
 * fail no request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentStatus } from '../../shared/contract';
import { NODES, leaveSwarm, nodeDocker, requireNodes, sshHostInput, startEngine, stopEngine } from '../support/cluster';
import { buildReleaseImage, startClients } from '../support/release-app';
import { TEST_IMAGES, freePort, get, testCore, uniqueName, until, type TestCore } from '../support/lab';
import { startLoad } from '../support/load';
import { TestPebble, serialKey, verifiedHttpsGet } from '../support/pebble';

// Nodes of their own: other files' swarms (swn1–swn3) never meet this one.
const { swn4: mgr, swn5: wrk } = NODES;

describe('an environment on a two-node Swarm cluster', () => {
  const manager = uniqueName('n1').slice(0, 20);
  const worker = uniqueName('n2').slice(0, 20);
  const name = uniqueName('clu');
  const appEnv = uniqueName('capp');
  const lbEnv = uniqueName('clb');
  let t: TestCore;
  let port: number;
  /** Let's Encrypt's test CA, its validator and DNS pointing the environment's domain at the manager. */
  let pebble: TestPebble;
  const domain = 'shop.cluster.switchyard.test';

  const status = () => t.call('environments:status', { environment: name });
  const run = async (channel: 'environments:deploy' | 'environments:destroy') => {
    const task = await t.runTask(channel, name);
    if (task.state !== 'succeeded') throw new Error(`${channel} failed: ${task.error?.code} ${task.message}`);
    return task;
  };
  const scale = async (replicas: number) => {
    const env = await t.call('environments:get', { environment: name });
    await t.call('environments:update', { environment: name, patch: { cluster: { ...env.cluster!, replicas } } });
    return run('environments:deploy');
  };
  /** Slots HAProxy has a task for and sees UP, with the node of each. */
  const upSlots = (s: EnvironmentStatus) => s.servers.filter((x) => x.health === 'UP');
  const nodesOf = (s: EnvironmentStatus) => new Set(upSlots(s).map((x) => x.node));

  beforeAll(async () => {
    await requireNodes();
    await leaveSwarm(wrk);
    await leaveSwarm(mgr);
    port = await freePort();
    pebble = await TestPebble.start({ httpPort: port, defaultIPv4: '' });
    await pebble.pointDomain(domain, mgr.address);
    t = testCore({ ...process.env, SWITCHYARD_DNS_SERVERS: `127.0.0.1:${pebble.dnsPort}` });
    await t.call('hosts:add', sshHostInput(mgr, manager));
    await t.call('hosts:add', sshHostInput(wrk, worker));
    await t.call('clusters:init', { host: manager, advertiseAddress: mgr.address });
    await t.call('clusters:join', { host: worker, manager });
  }, 180_000);

  afterAll(async () => {
    if (t) {
      await t.runTask('environments:destroy', name).catch(() => undefined);
      await t.runTask('environments:destroy', appEnv).catch(() => undefined);
      await t.runTask('environments:destroy', lbEnv).catch(() => undefined);
      await t.close();
    }
    await pebble?.stop();
    await startEngine(wrk).catch(() => undefined);
    await leaveSwarm(wrk).catch(() => undefined);
    await leaveSwarm(mgr).catch(() => undefined);
  }, 180_000);

  it('deploys the demo backend as a service spread over both nodes, each slot named with its task and node', async () => {
    await t.call('environments:create', {
      name,
      host: manager,
      httpPort: port,
      images: TEST_IMAGES,
      cluster: { replicas: 2, slots: 8 },
      servers: [{ name: 'web', kind: 'demo' }],
    });
    await run('environments:deploy');
    const s = await until('both slots UP', async () => {
      const x = await status();
      return upSlots(x).length === 2 && x;
    });
    expect(s.state).toBe('running');
    expect(s.url).toBe(`http://${mgr.address}:${port}/`);
    expect(s.cluster?.running).toBe(2);
    expect(nodesOf(s)).toEqual(new Set(['swn4', 'swn5']));
    for (const slot of upSlots(s)) expect(slot.task).toMatch(new RegExp(`^sy-${name}-web\\.\\d+$`));

    // Traffic from outside the cluster reaches both tasks, each saying where it runs.
    const load = startLoad(port, 4, 60_000, mgr.address);
    await until('answers from both nodes', async () => Object.keys(load.progress.byBackend).length >= 2 && load.progress.ok > 20);
    const result = await load.stop();
    expect(result.failed, result.errors.join('; ')).toBe(0);
    expect(
      Object.keys(result.byBackend)
        .map((b) => b.split('@')[1])
        .sort(),
    ).toEqual(['swn4', 'swn5']);
  });

  it('switches HTTPS on with one call: the certificate from the CA (Pebble) is served by the load balancer on the manager, in front of tasks on both nodes', async () => {
    const httpsPort = await freePort();
    await t.call('environments:update', {
      environment: name,
      patch: { https: { enabled: true, domains: [domain], email: 'ops@switchyard.test', directory: pebble.directory(), termsAccepted: true, httpsPort } },
    });
    const deployed = await t.runTask('environments:deploy', name);
    expect(deployed.state, deployed.message).toBe('succeeded');
    const { taskId } = await t.call('certificates:order', { environment: name });
    const task = await t.core.tasks.whenDone(taskId);
    expect(task.state, JSON.stringify(task.error)).toBe('succeeded');
    const root = await pebble.rootCa();
    // Verified against the CA's root, from outside the cluster, as a browser would; answered by tasks on both nodes.
    const seen = new Set<string>();
    let serial = '';
    await until(
      'HTTPS answers from both nodes',
      async () => {
        const r = await verifiedHttpsGet(httpsPort, domain, root, '/', mgr.address);
        expect(r.status).toBe(200);
        expect(r.subject).toContain(`DNS:${domain}`);
        serial = r.serial;
        const node = /@(swn\d)/.exec(r.body)?.[1];
        if (node) seen.add(node);
        return seen.size === 2;
      },
      30_000,
      50,
    );
    const status = await t.call('certificates:status', { environment: name });
    expect(serialKey(status?.serial ?? '')).toBe(serial);
    // Plain HTTP now redirects to the HTTPS port.
    const plain = await get(port, { address: mgr.address, host: domain });
    expect([plain.status, plain.location]).toEqual([301, `https://${domain}:${httpsPort}/`]);
    // Off again: plain HTTP serves, as before.
    await t.call('environments:update', {
      environment: name,
      patch: { https: { enabled: false, domains: [domain], email: 'ops@switchyard.test', directory: pebble.directory(), termsAccepted: true, httpsPort } },
    });
    expect((await t.runTask('environments:deploy', name)).state).toBe('succeeded');
    expect((await get(port, { address: mgr.address })).status).toBe(200);
  });

  it('scales 2 → 6 → 2 under load without a failed request, the slots following the tasks', async () => {
    const load = startLoad(port, 8, 180_000, mgr.address);
    await scale(6);
    const six = await until(
      '6 slots UP',
      async () => {
        const x = await status();
        return upSlots(x).length === 6 && x;
      },
      30_000,
    );
    expect(six.cluster?.running).toBe(6);
    await scale(2);
    const two = await until(
      'back to 2 slots',
      async () => {
        const x = await status();
        return x.servers.length === 2 && upSlots(x).length === 2 && x;
      },
      60_000,
    );
    expect(two.cluster?.running).toBe(2);
    const result = await load.stop();
    console.log(`scale 2 → 6 → 2: ${result.ok} requests, ${result.failed} failed`);
    expect(result.failed, result.errors.join('; ')).toBe(0);
    expect(result.ok).toBeGreaterThan(100);
  });

  it('drains a node: its tasks move to the other without a failed request', async () => {
    const load = startLoad(port, 8, 180_000, mgr.address);
    await t.call('nodes:availability', { host: manager, node: 'swn5', availability: 'drain' });
    const moved = await until(
      'every task on swn4',
      async () => {
        const x = await status();
        return upSlots(x).length === 2 && [...nodesOf(x)].every((n) => n === 'swn4') && x;
      },
      90_000,
    );
    expect(moved.cluster?.nodes.find((n) => n.hostname === 'swn5')).toMatchObject({ availability: 'drain', tasks: 0 });
    const result = await load.stop();
    console.log(`drain swn5: ${result.ok} requests, ${result.failed} failed`);
    expect(result.failed, result.errors.join('; ')).toBe(0);
    await t.call('nodes:availability', { host: manager, node: 'swn5', availability: 'active' });
  });

  it('loses a node: its slots go DOWN within the health window and the status names the node', async () => {
    // Spread again over both nodes (Swarm does not move running tasks back on its own).
    await scale(4);
    await until(
      'tasks on both nodes',
      async () => {
        const x = await status();
        return upSlots(x).length === 4 && nodesOf(x).size === 2 && x;
      },
      60_000,
    );
    const load = startLoad(port, 4, 180_000, mgr.address);
    const before = await status();
    const lostSlots = upSlots(before)
      .filter((s) => s.node === 'swn5')
      .map((s) => s.name);
    expect(lostSlots.length).toBeGreaterThan(0);
    const stoppedAt = Date.now();
    await stopEngine(wrk);
    // Health window: interval × fall + 1 s (2 s × 3 + 1 s), from the moment the engine is gone.
    const down = await until(
      'the lost slots DOWN or gone',
      async () => {
        const x = await status();
        const still = x.servers.filter((s) => lostSlots.includes(s.name) && s.health === 'UP' && s.node === 'swn5');
        return still.length === 0 && x;
      },
      30_000,
      200,
    );
    const detectedMs = Date.now() - stoppedAt;
    console.log(`node lost: its slots out of the pool ${detectedMs} ms after its engine began stopping`);
    const lost = await until(
      'the status names the lost node',
      async () => {
        const x = await status();
        return x.cluster?.lost.includes('swn5') && x;
      },
      60_000,
      500,
    );
    expect(lost.state).toBe('partly-down');
    expect(down.servers.some((s) => s.health === 'UP')).toBe(true);
    const result = await load.stop();
    console.log(`node lost: ${result.ok} requests, ${result.failed} failed`);
    // Clients on the lost node's tasks are redispatched: requests keep being answered.
    expect(result.ok).toBeGreaterThan(50);
    await startEngine(wrk);
  });

  it('releases an app across both nodes through Swarm without a failed request; a crashing release rolls back by itself; a rollback goes back to release 1', async () => {
    await until('the worker ready again', async () => (await t.call('clusters:info', { host: manager })).nodes.every((n) => n.state === 'ready'), 60_000, 500);
    const repo = `sy-test/${uniqueName('capp')}`;
    await Promise.all([buildReleaseImage(`${repo}:v1`, '1', nodeDocker(mgr)), buildReleaseImage(`${repo}:v2`, '2', nodeDocker(mgr))]);
    const appPort = await freePort();
    const app = { source: { kind: 'image' as const, image: `${repo}:v1` }, port: 80 };
    await t.call('environments:create', { name: appEnv, host: manager, httpPort: appPort, images: TEST_IMAGES, cluster: { replicas: 4, slots: 8 }, app, servers: [{ name: 'app', kind: 'app' }] });
    const deployed = await t.runTask('environments:deploy', appEnv);
    expect(deployed.state, deployed.message).toBe('succeeded');
    const appStatus = () => t.call('environments:status', { environment: appEnv });
    const spread = await until(
      '4 slots UP on both nodes',
      async () => {
        const x = await appStatus();
        return upSlots(x).length === 4 && nodesOf(x).size === 2 && x;
      },
      60_000,
    );
    expect(spread.cluster?.running).toBe(4);

    const clients = startClients(appPort, 2, mgr.address);
    await until('clients answered', async () => clients.total().ok > 20);
    const started = await t.call('releases:start', { environment: appEnv, app: { ...app, source: { kind: 'image', image: `${repo}:v2` } }, rollout: { batch: 1, monitorMs: 1000 } });
    const released = await t.core.tasks.whenDone(started.taskId);
    expect(released.state, released.message).toBe('succeeded');
    await until('clients on version 2', async () => (clients.total().versions['2'] ?? 0) > 20);
    const [latest] = await t.call('releases:list', { environment: appEnv });
    expect(latest).toMatchObject({ result: 'succeeded', failedRequests: 0 });
    expect(latest.servers.every((s) => s.phase === 'new' || s.phase === 'switched')).toBe(true);
    const after = await appStatus();
    expect(upSlots(after)).toHaveLength(4);

    // A release whose tasks crash at start: Swarm stops it and goes back, the old tasks serve throughout.
    const crash = await t.call('releases:start', {
      environment: appEnv,
      app: { ...app, source: { kind: 'image', image: `${repo}:v2` }, env: [{ name: 'CRASH_WITH', value: 'missing DATABASE_URL' }] },
      rollout: { batch: 1, monitorMs: 1000 },
    });
    const stopped = await t.core.tasks.whenDone(crash.taskId);
    expect(stopped.state).toBe('failed');
    expect(stopped.error?.code).toBe('RELEASE_ROLLED_BACK');
    const [rolled] = await t.call('releases:list', { environment: appEnv });
    expect(rolled.result).toBe('rolled-back');
    const back = await until(
      '4 slots UP again',
      async () => {
        const x = await appStatus();
        return upSlots(x).length === 4 && x.cluster?.running === 4 && x;
      },
      60_000,
    );
    expect(back.state).toBe('running');

    // Back to the first release (what the deploy started), the same way.
    const rollback = await t.call('releases:rollback', { environment: appEnv, rollout: { batch: 2, monitorMs: 1000 } });
    const rolledTo = await t.core.tasks.whenDone(rollback.taskId);
    expect(rolledTo.state, rolledTo.message).toBe('succeeded');
    const v1Before = clients.total().versions['1'] ?? 0;
    await until('clients on version 1 again', async () => (clients.total().versions['1'] ?? 0) > v1Before + 20);
    const [last] = await t.call('releases:list', { environment: appEnv });
    expect(last).toMatchObject({ result: 'succeeded', rollbackTo: 1 });
    const load = await clients.stop();
    const total = Object.values(load).reduce((n, l) => ({ ok: n.ok + l.ok, failed: n.failed + l.failed, errors: [...n.errors, ...l.errors] }), { ok: 0, failed: 0, errors: [] as string[] });
    console.log(`release and rolled-back release across 2 nodes: ${total.ok} requests, ${total.failed} failed`);
    expect(total.failed, total.errors.slice(0, 5).join('; ')).toBe(0);
  });

  it('runs the load balancer on the node the user picks (a worker a host reaches), serving from there', async () => {
    const lbPort = await freePort();
    await t.call('environments:create', {
      name: lbEnv,
      host: manager,
      httpPort: lbPort,
      images: TEST_IMAGES,
      cluster: { replicas: 2, slots: 4, lbNode: 'swn5' },
      servers: [{ name: 'web', kind: 'demo' }],
    });
    const task = await t.runTask('environments:deploy', lbEnv);
    expect(task.state, task.message).toBe('succeeded');
    const s = await until(
      '2 slots UP',
      async () => {
        const x = await t.call('environments:status', { environment: lbEnv });
        return upSlots(x).length === 2 && x;
      },
      60_000,
    );
    expect(s.url).toBe(`http://${wrk.address}:${lbPort}/`);
    expect(s.containers.find((c) => c.role === 'haproxy')).toBeDefined();
    const load = startLoad(lbPort, 2, 30_000, wrk.address);
    await until('answers through the worker', async () => load.progress.ok > 20);
    const result = await load.stop();
    expect(result.failed, result.errors.join('; ')).toBe(0);
    // A node no host reaches cannot hold the load balancer: refused, naming the field.
    await t.call('environments:update', { environment: lbEnv, patch: { cluster: { replicas: 2, slots: 4, lbNode: 'nowhere' } } });
    await expect(t.call('environments:status', { environment: lbEnv })).rejects.toMatchObject({ code: 'CLUSTER_FAILED', field: 'cluster.lbNode' });
    await t.call('environments:update', { environment: lbEnv, patch: { cluster: { replicas: 2, slots: 4, lbNode: 'swn5' } } });
  });
});
