/**
 * Live operations: toggle latency, the stats poller's CPU cost, and failed requests during
 * toggles and reloads under load. Prints figures; asserts nothing.
 */
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { names } from '../../electron/core/environments/naming';
import { RuntimeApi } from '../../electron/core/haproxy/runtime-api';
import { parseStatCsv } from '../../electron/core/haproxy/stat-csv';
import { TEST_IMAGES, docker, freePort, removeEnvironments, testCore, uniqueName, type TestCore } from '../support/lab';
import { startLoad } from '../support/load';

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const ms = (n: number) => `${n.toFixed(2)} ms`;

async function deployLab(t: TestCore, name: string, input: Record<string, unknown> = {}): Promise<number> {
  const port = await freePort();
  await t.call('environments:create', { name, httpPort: port, images: TEST_IMAGES, ...input });
  const task = await t.runTask('environments:deploy', name);
  if (task.state !== 'succeeded') throw new Error(`deploy of ${name} failed: ${task.message}`);
  return port;
}

async function toggles(t: TestCore, name: string, count: number): Promise<void> {
  const states = ['drain', 'maint', 'ready'] as const;
  const times: number[] = [];
  const lb = await docker.getContainer(names.haproxy(name)).inspect();
  const adminPort = Number(lb.NetworkSettings.Ports['9999/tcp']![0].HostPort);
  const api = new RuntimeApi(() => Promise.resolve(net.connect(adminPort, '127.0.0.1')), name);
  for (let i = 0; i < count; i++) {
    const want = states[i % 3];
    const t0 = performance.now();
    await t.call('servers:set', { environment: name, server: 'back1', state: want });
    // Until HAProxy itself reports the new state, asked directly on its runtime API.
    for (;;) {
      const row = parseStatCsv(await api.execute('show stat')).find((r) => r.pxname === 'servers' && r.svname === 'back1')!;
      const state = row.status.startsWith('MAINT') ? 'maint' : row.status.startsWith('DRAIN') ? 'drain' : 'ready';
      if (state === want) break;
    }
    times.push(performance.now() - t0);
  }
  await t.call('servers:set', { environment: name, server: 'back1', state: 'ready' });
  // The first toggle of an environment also finds its load balancer's runtime API (Docker calls,
  // the ownership check); the window's stats poller has usually found it already. Told apart.
  const first = times.shift()!;
  times.sort((a, b) => a - b);
  console.log(`toggle latency: call to HAProxy reporting the state, ${count} toggles`);
  console.log(`  p50 ${ms(pct(times, 50))}   p99 ${ms(pct(times, 99))}   max ${ms(times.at(-1)!)}   (goal: p99 under 20 ms)   first toggle ${ms(first)}`);
}

async function underLoad(t: TestCore, name: string, port: number, toggleCount: number, reloads: number): Promise<void> {
  const load = startLoad(port, 10, 120_000);
  const states = ['drain', 'maint', 'ready'] as const;
  for (let i = 0; i < toggleCount; i++) await t.call('servers:set', { environment: name, server: 'back1', state: states[i % 3] });
  await t.call('servers:set', { environment: name, server: 'back1', state: 'ready' });
  const algorithms = ['leastconn', 'roundrobin'] as const;
  for (let i = 0; i < reloads; i++) {
    await t.call('environments:update', { environment: name, patch: { balance: algorithms[i % 2] } });
    const task = await t.runTask('environments:deploy', name);
    if (!task.message.includes('reloaded')) throw new Error(`expected a reload: ${task.message}`);
  }
  const r = await load.stop();
  console.log(`under load (10 keep-alive clients): ${toggleCount} toggles and ${reloads} reloads`);
  console.log(`  ${r.ok} requests answered, ${r.failed} failed   (goal: 0)${r.errors.length ? `  first errors: ${r.errors.join('; ')}` : ''}`);
}

/**
 * The poller's CPU share: windows of polling against idle windows of the same length, taken
 * the same way (same process, same environments deployed, same listener) and alternated, so
 * that what drifts over the run (the TypeScript loader, the engine's own work) weighs on both
 * sides alike. Each window is a whole number of poll intervals and starts with the heap just
 * collected (outside the window): V8 would otherwise collect what the window before left (the
 * deploys', the polling's) in whichever window came next, an idle one as well, and the figure
 * could even come out negative.
 */
async function pollerCost(t: TestCore, envCount: number, rounds: number, windowSecs: number): Promise<void> {
  const names: string[] = [];
  try {
    for (let i = 0; i < envCount; i++) {
      const name = uniqueName(`poll${i}`);
      names.push(name);
      // Ten external servers each: only the load balancer runs, which is all the poller reads.
      const servers = Array.from({ length: 10 }, (_, j) => ({ name: `s${j}`, kind: 'external' as const, address: '127.0.0.1', port: 9 }));
      await deployLab(t, name, { servers });
    }
    await t.call('stats:settings', { intervalMs: 1000 });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    /** CPU time of this whole process over a window, as a share of one core. */
    const shareOf = async (secs: number) => {
      collect();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await sleep(secs * 1000);
      const cpu = process.cpuUsage(cpu0);
      return ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100;
    };
    let snapshots = 0;
    const count = () => snapshots++;
    const idle: number[] = [];
    const busy: number[] = [];
    let polled = 0;
    // One round first that is not counted: the code paths of polling get compiled then (V8 does
    // it on threads of this process), which a steady cost does not include.
    const warm = await Promise.all(names.map((n) => t.core.subscribe('stats:snapshot', { environment: n }, count)));
    await sleep(windowSecs * 1000);
    for (const stop of warm) stop();
    await sleep(500);
    for (let r = 0; r < rounds; r++) {
      idle.push(await shareOf(windowSecs));
      const stops = await Promise.all(names.map((n) => t.core.subscribe('stats:snapshot', { environment: n }, count)));
      // The first polls find each load balancer: not the steady cost being measured.
      await sleep(1500);
      snapshots = 0;
      busy.push(await shareOf(windowSecs));
      polled += snapshots;
      for (const stop of stops) stop();
      await sleep(500);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
    };
    const diffs = busy.map((b, i) => b - idle[i]);
    console.log(`poller cost: ${envCount} environments x 10 servers at 1 Hz, ${rounds} rounds of ${windowSecs} s polling against ${windowSecs} s idle, alternated (${polled} snapshots)`);
    // The median: a window the rest of the process disturbed (a collection of what the deploys
    // left) weighs as one round, whichever side it fell on.
    console.log(
      `  ${median(diffs).toFixed(2)}% of one core for the poller, median of the rounds (mean ${mean(diffs).toFixed(2)}%; per round ${diffs.map((d) => d.toFixed(2)).join(', ')}; ` +
        `process ${mean(busy).toFixed(2)}% polling, ${mean(idle).toFixed(2)}% idle)   (goal: under 2%)`,
    );
  } finally {
    await removeEnvironments(...names);
  }
}

export async function benchLive(smoke: boolean): Promise<void> {
  const t = testCore();
  const name = uniqueName('livebench');
  try {
    const port = await deployLab(t, name);
    await toggles(t, name, smoke ? 30 : 200);
    await underLoad(t, name, port, smoke ? 30 : 100, smoke ? 3 : 10);
    await removeEnvironments(name);
    await pollerCost(t, smoke ? 3 : 20, smoke ? 2 : 6, smoke ? 3 : 10);
  } finally {
    await removeEnvironments(name);
    await t.close();
  }
}
