/**
 * Certificate issuance against Pebble: the time from "order" to a certificate in hand, with a
 * stand-in HTTP server answering the challenges. Prints figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AcmeAccounts } from '../../electron/core/acme/account';
import { orderCertificate, type OrderRequest } from '../../electron/core/acme/order';
import { FakeSecretBoxForTests, StandInChallengeServer, TestPebble, freeLoopbackPort } from '../support/pebble';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (n: number) => `${n.toFixed(0)} ms`;

export async function benchAcme(smoke: boolean): Promise<void> {
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
        settings: { domains: [`bench${i}.switchyard.test`, `www.bench${i}.switchyard.test`], email: 'bench@switchyard.test', directory: { url: pebble.directoryUrl, caBundle: pebble.caBundle }, termsAccepted: true, stagingFirst: false },
        accounts,
        responder: standIn,
        preflight: withPreflight ? { port: standIn.port, resolve: pebble.resolve } : null,
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

if (process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  await benchAcme(process.argv.includes('--smoke'));
}
