import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeAccounts } from '../../electron/core/acme/account';
import { HaproxyMapResponder } from '../../electron/core/acme/challenge';
import { orderCertificate, type OrderRequest } from '../../electron/core/acme/order';
import { RuntimeApi } from '../../electron/core/haproxy/runtime-api';
import { FakeSecretBoxForTests, TestPebble, freeLoopbackPort } from '../support/pebble';

/** Debian's HAProxy 2.6 run directly on the host, on loopback ports, with or without the ACME rule. */
class HostHaproxy {
  private proc?: ChildProcess;
  private log = '';
  api!: RuntimeApi;
  constructor(
    readonly dir: string,
    readonly httpPort: number,
    readonly adminPort: number,
  ) {}

  get mapPath(): string {
    return path.join(this.dir, 'acme.map');
  }

  async start(withAcmeRule: boolean): Promise<this> {
    writeFileSync(this.mapPath, '');
    const map = `map(${this.mapPath})`;
    const cfg = [
      'global',
      `  stats socket ipv4@127.0.0.1:${this.adminPort} level admin`,
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 5s',
      '  timeout server 5s',
      'frontend web',
      `  bind 127.0.0.1:${this.httpPort}`,
      withAcmeRule
        ? `  http-request return status 200 content-type text/plain lf-string "%[path,field(4,/),${map}]" if { path_beg /.well-known/acme-challenge/ } { path,field(4,/),${map} -m found }`
        : '',
      // As with redirectHttp on: everything else goes to HTTPS.
      '  http-request redirect scheme https code 301',
      '',
    ].join('\n');
    const file = path.join(this.dir, 'haproxy.cfg');
    writeFileSync(file, cfg);
    this.proc = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (c: Buffer) => (this.log += c.toString()));
    this.proc.stderr!.on('data', (c: Buffer) => (this.log += c.toString()));
    this.api = new RuntimeApi(() => Promise.resolve(net.connect(this.adminPort, '127.0.0.1')), 'host haproxy');
    const deadline = Date.now() + 10_000;
    while (
      !(await this.api.showInfo().then(
        () => true,
        () => false,
      ))
    ) {
      if (this.proc.exitCode !== null || Date.now() > deadline) throw new Error(`haproxy did not start:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this;
  }

  stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return Promise.resolve();
    return new Promise((done) => {
      p.once('exit', () => done());
      p.kill('SIGTERM');
    });
  }
}

let pebble: TestPebble;
let haproxy: HostHaproxy;
let dir: string;
let accounts: AcmeAccounts;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sy-acme-haproxy-'));
  haproxy = await new HostHaproxy(dir, await freeLoopbackPort(), await freeLoopbackPort()).start(true);
  pebble = await TestPebble.start({ httpPort: haproxy.httpPort });
  accounts = new AcmeAccounts(path.join(dir, 'acme-accounts.json'), new FakeSecretBoxForTests());
});

afterAll(async () => {
  await pebble?.stop();
  await haproxy?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function request(domains: string[], responder: HaproxyMapResponder, port: number): OrderRequest {
  return {
    // Pebble validates on the first HAProxy's port; the preflight probes the port given here.
    settings: { domains, email: 'ops@switchyard.test', directory: { ...pebble.directory(), challengePort: port }, termsAccepted: true, stagingFirst: false },
    accounts,
    responder,
    preflight: { listenPort: port, resolve: pebble.resolve },
    client: { poll: { attempts: 8, minMs: 100, maxMs: 1000 } },
  };
}

describe('answering challenges from HAProxy through its runtime API', () => {
  it('gets a certificate with the challenge answered before the HTTPS redirect, and leaves the map empty', async () => {
    const responder = new HaproxyMapResponder(haproxy.api, haproxy.mapPath);
    const cert = await orderCertificate(request(['lb.switchyard.test', 'www.lb.switchyard.test'], responder, haproxy.httpPort));
    expect(cert.summary.domains.sort()).toEqual(['lb.switchyard.test', 'www.lb.switchyard.test']);
    expect(cert.preflight.map((p) => p.answered)).toEqual([['127.0.0.1'], ['127.0.0.1']]);
    expect((await haproxy.api.execute(`show map ${haproxy.mapPath}`)).trim()).toBe('');
  });

  it('stops at the preflight with a clear error when HAProxy runs without the ACME rule', async () => {
    const bare = await new HostHaproxy(mkdtempSync(path.join(dir, 'bare-')), await freeLoopbackPort(), await freeLoopbackPort()).start(false);
    try {
      const responder = new HaproxyMapResponder(bare.api, bare.mapPath);
      const err = await orderCertificate(request(['bare.switchyard.test'], responder, bare.httpPort)).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'RUNTIME_API' });
      expect((err as Error).message).toContain(`HAProxy has no map ${bare.mapPath}`);
    } finally {
      await bare.stop();
    }
  });
});
