/**
 * Certificate issuance against Pebble. First the protocol alone: the time from "order" to a
 * certificate in hand, with a stand-in HTTP server answering the challenges. Then the product's
 * two promises on a deployed lab: the time from switching HTTPS on to the first verified HTTPS
 * response, and the failed requests while certificates are swapped under HTTPS load.
 * Prints figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AcmeAccounts } from '../../electron/core/acme/account';
import { orderCertificate, type OrderRequest } from '../../electron/core/acme/order';
import type { Task } from '../../shared/contract';
import { deployLab, freePort, removeEnvironments, sleep, testCore, uniqueName, type TestCore } from '../support/lab';
import { startHttpsLoad } from '../support/load';
import { FakeSecretBoxForTests, StandInChallengeServer, TestPebble, freeLoopbackPort, verifiedHttpsGet } from '../support/pebble';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (n: number) => `${n.toFixed(0)} ms`;

async function benchOrders(smoke: boolean): Promise<void> {
  const runs = smoke ? 2 : 7;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-acme-bench-'));
  const standIn = await new StandInChallengeServer(await freeLoopbackPort()).listen();
  // No deliberate bad nonces: the figure is the protocol's cost, not Pebble's chaos setting.
  const pebble = await TestPebble.start({ httpPort: standIn.port, nonceReject: 0 });
  try {
    const accounts = new AcmeAccounts(path.join(dir, 'acme-accounts.json'), new FakeSecretBoxForTests());
    const order = async (i: number, withPreflight: boolean) => {
      let orderStart = 0;
      let preflightStart = 0;
      const req: OrderRequest = {
        settings: { domains: [`bench${i}.switchyard.test`, `www.bench${i}.switchyard.test`], email: 'bench@switchyard.test', directory: pebble.directory(), termsAccepted: true, stagingFirst: false },
        accounts,
        responder: standIn,
        preflight: withPreflight ? { resolve: pebble.resolve } : null,
        client: { poll: { attempts: 10, minMs: 100, maxMs: 1000 } },
        onProgress: (p) => {
          if (p.phase === 'preflight') preflightStart = performance.now();
          if (p.phase === 'order' && orderStart === 0) orderStart = performance.now();
        },
      };
      await orderCertificate(req);
      const end = performance.now();
      return { order: end - orderStart, preflight: withPreflight ? orderStart - preflightStart : 0 };
    };

    const first = await order(0, false);
    const times: number[] = [];
    const preflights: number[] = [];
    for (let i = 1; i <= runs; i++) {
      const t = await order(i, true);
      times.push(t.order);
      preflights.push(t.preflight);
    }
    console.log(`ACME against Pebble (2 names per certificate, ${runs} orders${smoke ? ', smoke' : ''})`);
    console.log(`  first order, with account registration: ${ms(first.order)}`);
    console.log(`  order → certificate in hand, median:    ${ms(median(times))} (min ${ms(Math.min(...times))}, max ${ms(Math.max(...times))})`);
    console.log(`  preflight (DNS + probe per name), median: ${ms(median(preflights))}`);
  } finally {
    await pebble.stop();
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const DOMAIN = 'lab.switchyard.test';

/** Milliseconds from `since` to the first verified 200, polling like a browser retrying. */
async function firstVerifiedOk(port: number, ca: string, since: number, signal: AbortSignal, timeoutMs = 120_000): Promise<number> {
  while (!signal.aborted && performance.now() - since < timeoutMs) {
    const status = await verifiedHttpsGet(port, DOMAIN, ca).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return performance.now() - since;
    await sleep(25);
  }
  throw new Error(signal.aborted ? 'gave up waiting for HTTPS' : `no verified HTTPS 200 on port ${port} within ${timeoutMs} ms`);
}

async function orderAndWait(t: TestCore, name: string): Promise<Task> {
  const { taskId } = await t.call('certificates:order', { environment: name });
  const task = await t.core.tasks.whenDone(taskId);
  if (task.state !== 'succeeded') throw new Error(`certificate order for ${name} ${task.state}: ${task.error?.code} ${task.error?.message ?? task.message}`);
  return task;
}

const stepTimes = (task: Task) => task.steps.map((s) => `${s.name} ${ms(Date.parse(s.endedAt ?? s.startedAt) - Date.parse(s.startedAt))}`).join(', ');

/**
 * The lab deployed through a test core, Pebble validating on the lab's own HTTP port (HAProxy
 * answers the challenges through its runtime API), then HTTPS switched on and renewed under load.
 */
async function benchOneClick(smoke: boolean): Promise<void> {
  const swaps = smoke ? 2 : 10;
  const keepAlive = 4;
  const port = await freePort();
  const name = uniqueName('acme');
  let pebble: TestPebble | undefined;
  let t: TestCore | undefined;
  let load: ReturnType<typeof startHttpsLoad> | undefined;
  const giveUp = new AbortController();
  try {
    pebble = await TestPebble.start({ httpPort: port, nonceReject: 0 });
    const root = await pebble.rootCa();
    // The preflight asks Pebble's DNS, where every name points at this machine.
    t = testCore({ ...process.env, SWITCHYARD_DNS_SERVERS: `127.0.0.1:${pebble.dnsPort}` });
    await deployLab(t, name, { httpPort: port });
    // The port a new environment keeps for HTTPS, published by its first deploy (what the HTTPS tab offers).
    const httpsPort = (await t.call('environments:get', { environment: name })).https!.httpsPort;

    // "Enable HTTPS": the settings the form saves, then the order it starts.
    const t0 = performance.now();
    await t.call('environments:update', {
      environment: name,
      patch: {
        https: { enabled: true, domains: [DOMAIN], email: 'ops@switchyard.test', directory: pebble.directory(), termsAccepted: true, httpsPort },
      },
    });
    const ordered = orderAndWait(t, name).catch((err: Error) => {
      giveUp.abort();
      throw err;
    });
    const [firstOk, enableTask] = await Promise.all([firstVerifiedOk(httpsPort, root, t0, giveUp.signal), ordered]);
    const enableMs = Date.parse(enableTask.endedAt!) - Date.parse(enableTask.createdAt);

    // Swaps under load: keep-alive clients as browsers hold them, plus one client that shakes
    // hands anew for every request, so handshakes happen while each certificate changes.
    load = startHttpsLoad(httpsPort, { ca: root, servername: DOMAIN, keepAlive, fresh: 1, maxMs: 600_000 });
    const pause = smoke ? 200 : 500;
    await sleep(pause);
    const swapTimes: number[] = [];
    let lastSwap: Task | undefined;
    const loadStart = performance.now();
    for (let i = 0; i < swaps; i++) {
      const s0 = performance.now();
      lastSwap = await orderAndWait(t, name);
      swapTimes.push(performance.now() - s0);
      await sleep(pause);
    }
    const r = await load.stop();
    load = undefined;
    const loadSecs = (performance.now() - loadStart + pause) / 1000;

    console.log(`One-click HTTPS on a deployed lab (HAProxy answers the challenge, Pebble${smoke ? ', smoke' : ''})`);
    console.log(
      `  enable HTTPS → first verified HTTPS 200:  ${ms(firstOk)}   (goal: under 2000 ms; certificate task ${ms(enableMs)}, with account registration and the reload that adds the HTTPS listener)`,
    );
    console.log(`    steps: ${stepTimes(enableTask)}`);
    console.log(`  ${swaps} certificate swaps under HTTPS load (${keepAlive} keep-alive clients + 1 new connection per request, ~${loadSecs.toFixed(1)} s):`);
    console.log(`    ${r.ok + r.failed} requests, ${r.failed} failed   (goal: 0)${r.errors.length ? `  first errors: ${r.errors.join('; ')}` : ''}`);
    console.log(`    ${r.handshakes} TLS handshakes during the load saw ${r.serials.length} certificates (${swaps + 1} in use over the run)`);
    console.log(`    swap (order → new certificate served), median: ${ms(median(swapTimes))} (min ${ms(Math.min(...swapTimes))}, max ${ms(Math.max(...swapTimes))})`);
    console.log(`      last swap's steps: ${stepTimes(lastSwap!)}`);
  } finally {
    giveUp.abort();
    await load?.stop();
    if (t) {
      await t.runTask('environments:destroy', name).catch(() => undefined);
      await t.close().catch(() => undefined);
    }
    // Whatever the destroy left behind (or all of it, when the run failed before a core existed).
    await removeEnvironments(name);
    await pebble?.stop();
  }
}

export async function benchAcme(smoke: boolean): Promise<void> {
  await benchOrders(smoke);
  console.log();
  await benchOneClick(smoke);
}

if (process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  await benchAcme(process.argv.includes('--smoke'));
}
