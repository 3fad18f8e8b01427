import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../electron/core/core';
import { DOWN_PROMISE_SLACK_MS } from '../../electron/core/haproxy/check-timing';
import { names } from '../../electron/core/environments/naming';
import { appRoot, deployLab, docker, get, removeEnvironments, testCore, type TestCore, uniqueName, until } from '../support/lab';
import { startLoad } from '../support/load';
import { runWrk } from '../support/wrk';

/**
 * Failover without outages: a busy single server is never emptied by one connection error, and
 * a stopped backend is out of the pool within interval × fall + 1 s, with no traffic to notice it.
 */
describe('failover', () => {
  const name = uniqueName('failover');
  let t: TestCore;
  let port: number;
  /** interval × fall + 1 s for the environment's (default) health check. */
  let promiseMs: number;

  const health = async (server: string) => (await t.call('stats:get', { environment: name })).servers.find((s) => s.name === server);
  /** Milliseconds from `since` until the stats show `server` with `want`. */
  const timeUntil = async (server: string, want: 'DOWN' | 'UP', since: number, timeoutMs = 30_000) => {
    await until(`${server} ${want}`, async () => (await health(server))?.health === want, timeoutMs, 50);
    return Date.now() - since;
  };

  beforeAll(async () => {
    t = testCore();
    port = await deployLab(t, name);
    const hc = (await t.call('environments:get', { environment: name })).healthCheck;
    promiseMs = hc.interval * hc.fall + DOWN_PROMISE_SLACK_MS;
  });

  afterAll(async () => {
    await removeEnvironments(name);
    await t?.close();
  });

  it('serves 20 keep-alive clients from the only ready server with no 503 and no socket error', async () => {
    await t.call('servers:set', { environment: name, server: 'back1', state: 'drain' });
    try {
      const r = await runWrk(port, 15, 20);
      console.log(`drain under load (back1 drained, back2 ready, 20 clients, 15 s): ${r.requests} requests, ${r.non2xx} non-2xx, ${r.socketErrorText}`);
      expect(r.requests).toBeGreaterThan(1000);
      expect(r.non2xx, r.output).toBe(0);
      expect(r.socketErrors, r.output).toBe(0);
      const back2 = await health('back2');
      expect(back2?.health).toBe('UP');
      expect(back2?.responses['5xx']).toBe(0);
    } finally {
      await t.call('servers:set', { environment: name, server: 'back1', state: 'ready' });
    }
  });

  it('`server stop` with no traffic: DOWN within interval × fall + 1 s, and back UP after `server start`', async () => {
    const t0 = Date.now();
    const stopped = await t.call('servers:stop', { environment: name, server: 'back1' });
    expect(stopped.state).toBe('exited');
    const downMs = await timeUntil('back1', 'DOWN', t0);
    console.log(`server stop → DOWN: ${(downMs / 1000).toFixed(2)} s (promise ${promiseMs / 1000} s)`);
    expect(downMs).toBeLessThanOrEqual(promiseMs);
    // Out of the pool before the container went: every request is answered by back2.
    for (let i = 0; i < 10; i++) expect((await get(port, { cookie: 'SERVERID=back1' })).backend).toBe('back2');

    const t1 = Date.now();
    await t.call('servers:start', { environment: name, server: 'back1' });
    const upMs = await timeUntil('back1', 'UP', t1);
    console.log(`server start → UP: ${(upMs / 1000).toFixed(2)} s`);
  });

  it('`server stop` and `server start` under load fail no request', async () => {
    const before = (await health('back1'))!.hits;
    const load = startLoad(port, 10);
    await until('traffic on back1', async () => (await health('back1'))!.hits >= before + 20, 5000, 20);
    await t.call('servers:stop', { environment: name, server: 'back1' });
    await until('back2 answering alone', async () => (await health('back1'))?.health === 'DOWN', 5000, 50);
    await t.call('servers:start', { environment: name, server: 'back1' });
    await timeUntil('back1', 'UP', Date.now());
    const r = await load.stop();
    console.log(`server stop + start under load (10 keep-alive clients): ${r.ok} answered, ${r.failed} failed${r.errors.length ? ` (${r.errors.join('; ')})` : ''}`);
    expect(r.failed, r.errors.join('; ')).toBe(0);
    expect(r.byBackend.back2).toBeGreaterThan(0);
  });

  it('`docker stop` with nobody following events: DOWN by health checks alone within interval × fall + 1 s', async () => {
    const t0 = Date.now();
    await docker.getContainer(names.backend(name, 'back1')).stop({ t: 5 });
    // Counted from the container's end, as for a crash: how long `docker stop` takes is Docker's.
    const stopMs = Date.now() - t0;
    const downMs = await timeUntil('back1', 'DOWN', t0 + stopMs);
    const s = await health('back1');
    console.log(
      `docker stop, checks only → DOWN: ${(downMs / 1000).toFixed(2)} s after the container stopped (the stop took ${(stopMs / 1000).toFixed(2)} s; promise ${promiseMs / 1000} s, last check ${s?.checkStatus})`,
    );
    expect(downMs).toBeLessThanOrEqual(promiseMs);
    await docker.getContainer(names.backend(name, 'back1')).start();
    await timeUntil('back1', 'UP', Date.now());
  });

  it('`docker stop` with a core that follows container events: DOWN at once', async () => {
    // A second process on the same data folder, as the app or `serve` beside the CLI.
    const watching: Core = createCore({ dataDir: t.dataDir, appRoot, watchContainers: true });
    try {
      const t0 = Date.now();
      await docker.getContainer(names.backend(name, 'back1')).stop({ t: 5 });
      const stopMs = Date.now() - t0;
      const downMs = await timeUntil('back1', 'DOWN', t0);
      console.log(`docker stop, container events → DOWN: ${(downMs / 1000).toFixed(2)} s (the stop itself took ${(stopMs / 1000).toFixed(2)} s; promise ${promiseMs / 1000} s)`);
      expect(downMs).toBeLessThanOrEqual(promiseMs);
      // Checks alone need at least 3 failed connects of 1 s, 0.5 s apart: this was the event.
      expect(downMs).toBeLessThan(3000);
      await docker.getContainer(names.backend(name, 'back1')).start();
      await timeUntil('back1', 'UP', Date.now());
    } finally {
      await watching.close();
    }
  });
});
