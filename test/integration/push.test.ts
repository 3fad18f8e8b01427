/**
 * The core pushes: a change made by a CLI process on the same data folder, and a status change
 * on the engine, reach a long-lived core's subscribers (as the app and `serve` are) within a
 * second, with nothing polling on a timer of its own.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentChange, EnvironmentStatus } from '../../shared/contract';
import { names } from '../../electron/core/environments/naming';
import { cli } from '../support/cli';
import { TEST_IMAGES, deployLab, docker, freePort, removeEnvironments, testCore, uniqueName, until, type TestCore } from '../support/lab';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sy-push-'));
const created = uniqueName('cli');
const deployed = uniqueName('push');
let t: TestCore;

beforeAll(() => {
  t = testCore(process.env, { watchStore: true, watchContainers: true, dataDir });
});
afterAll(async () => {
  await removeEnvironments(created, deployed);
  await t?.close();
});

/** When each event arrived, beside what it said. */
function recorder<T>() {
  const heard: { at: number; payload: T }[] = [];
  return { heard, listener: (payload: T) => heard.push({ at: Date.now(), payload }) };
}

describe('changes made by another process on the same data folder', () => {
  it('`env create` and `server set` from the CLI reach a subscribed core within a second', async () => {
    const changes = recorder<EnvironmentChange>();
    const stop = await t.core.subscribe('environments:changed', {}, changes.listener);
    try {
      const port = await freePort();
      const made = await cli(dataDir, ['env', 'create', created, '--port', String(port)]);
      const madeAt = Date.now();
      expect(made.stderr).toBe('');
      const c = await until('the created event', async () => changes.heard.find((h) => h.payload.name === created), 2000, 10);
      console.log(`env create: event ${c.at - madeAt} ms after the CLI exited`);
      expect(c.at - madeAt).toBeLessThan(1000);
      expect(c.payload).toMatchObject({ change: 'created', name: created, environment: { httpPort: port } });

      // Not deployed: saved for the next deploy, and told as an update.
      const set = await cli(dataDir, ['server', 'set', created, 'back1', '--state', 'drain']);
      const setAt = Date.now();
      expect(set.stdout).toContain('back1: drain');
      const u = await until('the updated event', async () => changes.heard.find((h) => h.payload.change === 'updated'), 2000, 10);
      console.log(`server set: event ${u.at - setAt} ms after the CLI exited`);
      expect(u.at - setAt).toBeLessThan(1000);
      expect(u.payload.environment?.servers.find((s) => s.name === 'back1')?.state).toBe('drain');

      await cli(dataDir, ['env', 'remove', created]);
      await until('the removed event', async () => changes.heard.some((h) => h.payload.change === 'removed' && h.payload.name === created), 2000, 10);
    } finally {
      stop();
    }
  });
});

describe('status events', () => {
  beforeAll(async () => {
    await deployLab(t, deployed, { images: TEST_IMAGES });
  });

  it('a server put in maintenance from the CLI shows in the status pushed to a subscriber, from the poller alone', async () => {
    const statuses = recorder<EnvironmentStatus>();
    const stop = await t.core.subscribe('environments:status', { environment: deployed }, statuses.listener);
    try {
      const health = (s: EnvironmentStatus, server: string) => s.servers.find((x) => x.name === server)?.health;
      const set = await cli(dataDir, ['server', 'set', deployed, 'back1', '--state', 'maint']);
      const setAt = Date.now();
      expect(set.stdout).toContain('back1: maint');
      const s = await until('a status with back1 in maintenance', async () => statuses.heard.find((h) => health(h.payload, 'back1') === 'MAINT'), 5000, 10);
      // The poller reads the load balancer once a second; the feed then reads the status once.
      console.log(`server set maint: status pushed ${s.at - setAt} ms after the CLI exited`);
      expect(s.at - setAt).toBeLessThan(2500);
      // Maintenance is the user's choice, not a fault.
      expect(s.payload.state).toBe('running');
      await cli(dataDir, ['server', 'set', deployed, 'back1', '--state', 'ready']);
      await until('back1 ready again', async () => statuses.heard.at(-1) && health(statuses.heard.at(-1)!.payload, 'back1') === 'UP', 10_000, 10);
    } finally {
      stop();
    }
  });

  it('a backend stopped outside Switchyard shows in the status at once (Docker’s events)', async () => {
    const statuses = recorder<EnvironmentStatus>();
    const stop = await t.core.subscribe('environments:status', {}, statuses.listener);
    try {
      const stoppedAt = Date.now();
      await docker.getContainer(names.backend(deployed, 'back2')).stop({ t: 1 });
      const s = await until(
        'a status with back2 stopped',
        async () => statuses.heard.find((h) => h.payload.name === deployed && h.payload.containers.some((c) => c.server === 'back2' && c.state !== 'running')),
        5000,
        10,
      );
      console.log(`docker stop: status pushed ${s.at - stoppedAt} ms after the stop began`);
      expect(s.at - stoppedAt).toBeLessThan(3000);
      expect(s.payload.state).toBe('partly-down');
      await docker.getContainer(names.backend(deployed, 'back2')).start();
      await until('back2 running again', async () => statuses.heard.at(-1)?.payload.containers.every((c) => c.state === 'running'), 10_000, 10);
    } finally {
      stop();
    }
    // Nobody follows statuses any more: the poller reads nothing for them.
    expect(t.core.subscriptions.count('environments:status')).toBe(0);
  });

  it('stats and log subscriptions are counted once in the core, and stop when the last one goes', async () => {
    const a = await t.core.subscribe('stats:snapshot', { environment: deployed }, () => undefined);
    const b = await t.core.subscribe('stats:snapshot', { environment: deployed }, () => undefined);
    expect(t.core.subscriptions.count('stats:snapshot', deployed)).toBe(2);
    a();
    expect(t.core.subscriptions.count('stats:snapshot', deployed)).toBe(1);
    b();
    expect(t.core.subscriptions.count('stats:snapshot', deployed)).toBe(0);
    await expect(t.core.subscribe('logs:lines', { environment: 'nope-not-here' }, () => undefined)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
