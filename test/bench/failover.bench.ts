/**
 * Failover without outages: the drain-under-load run from the "Safety first" issue (one ready
 * server, 20 keep-alive clients) and the time from a stop to DOWN with no traffic. Prints
 * figures beside their goals; asserts nothing.
 */
import { names } from '../../electron/core/environments/naming';
import { DOWN_PROMISE_SLACK_MS } from '../../electron/core/haproxy/check-timing';
import { deployLab, docker, removeEnvironments, testCore, uniqueName, until, type TestCore } from '../support/lab';
import { runWrk } from '../support/wrk';

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** From the start of `stop` (or, with `fromEnd`, from its end) until the stats show back1 DOWN. */
async function downAfter(t: TestCore, name: string, stop: () => Promise<unknown>, fromEnd = false): Promise<number> {
  let t0 = Date.now();
  await stop();
  if (fromEnd) t0 = Date.now();
  await until('back1 DOWN', async () => (await t.call('stats:get', { environment: name })).servers.find((s) => s.name === 'back1')?.health === 'DOWN', 30_000, 50);
  return Date.now() - t0;
}

async function backUp(t: TestCore, name: string): Promise<void> {
  await t.call('servers:start', { environment: name, server: 'back1' });
  await until('back1 UP', async () => (await t.call('stats:get', { environment: name })).servers.find((s) => s.name === 'back1')?.health === 'UP', 30_000, 50);
}

export async function benchFailover(smoke: boolean): Promise<void> {
  const t = testCore();
  const name = uniqueName('failbench');
  try {
    const port = await deployLab(t, name);
    const hc = (await t.call('environments:get', { environment: name })).healthCheck;
    const promise = hc.interval * hc.fall + DOWN_PROMISE_SLACK_MS;

    const seconds = smoke ? 3 : 45;
    await t.call('servers:set', { environment: name, server: 'back1', state: 'drain' });
    const r = await runWrk(port, seconds, 20);
    await t.call('servers:set', { environment: name, server: 'back1', state: 'ready' });
    console.log(`drain under load: back1 drained, back2 ready, wrk -t2 -c20 -d${seconds}s`);
    console.log(`  ${r.requests} requests, ${r.non2xx} non-2xx, ${r.socketErrors} socket errors   (goal: 0 and 0)`);

    const viaApi = await downAfter(t, name, () => t.call('servers:stop', { environment: name, server: 'back1' }));
    await backUp(t, name);
    // As for a crash: from the container's end, however long `docker stop` took.
    const viaChecks = await downAfter(t, name, () => docker.getContainer(names.backend(name, 'back1')).stop({ t: 5 }), true);
    await backUp(t, name);
    console.log(`stop to DOWN with no traffic (interval ${hc.interval} ms, fall ${hc.fall})`);
    console.log(`  server stop: ${secs(viaApi)}   container stopped outside Switchyard, checks alone: ${secs(viaChecks)}   (goal: at most ${secs(promise)})`);
  } finally {
    await removeEnvironments(name);
    await t.close();
  }
}
