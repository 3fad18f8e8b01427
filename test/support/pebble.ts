import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { promisify } from 'node:util';
import type { SecretBox } from '../../electron/core/acme/account';
import { ACME_CHALLENGE_PREFIX, type Http01Responder } from '../../electron/core/acme/challenge';
import { resolverAt, type Resolve } from '../../electron/core/acme/preflight';

const run = promisify(execFile);

export interface PebbleOptions {
  /** The port Pebble's validator connects to for HTTP-01: the load balancer's (or stand-in's) HTTP port. */
  httpPort: number;
  /** Percentage of nonces Pebble rejects on purpose (its default is 5; clients must retry). */
  nonceReject?: number;
  /** Percentage of orders that reuse a valid authorization (default 0, so every order is validated). */
  authzReuse?: number;
  /** What names without a record of their own resolve to ('' : nothing, so a cleared name fails). Default 127.0.0.1. */
  defaultIPv4?: string;
}

/**
 * Debian's Pebble (Let's Encrypt's test CA) with pebble-challtestsrv as its DNS, on loopback
 * ports of its own. Every name resolves to 127.0.0.1 unless `pointDomain` says otherwise, so
 * the validator connects to 127.0.0.1:<httpPort>. Pebble's CA is regenerated at every start.
 */
export class TestPebble {
  readonly dir: string;
  directoryUrl = '';
  /** Trust for the directory's own TLS (Pebble's certificate, made here with openssl). */
  caBundle = '';
  /** Resolves names through challtestsrv, as Pebble does. */
  resolve: Resolve = () => Promise.reject(new Error('not started'));
  dnsPort = 0;
  private mgmtPort = 0;
  private challPort = 0;
  private procs: ChildProcess[] = [];
  private log = '';

  private constructor(private readonly opts: PebbleOptions) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'sy-pebble-'));
  }

  static async start(opts: PebbleOptions): Promise<TestPebble> {
    const p = new TestPebble(opts);
    try {
      await p.launch();
      return p;
    } catch (err) {
      await p.stop();
      throw err;
    }
  }

  private async launch(): Promise<void> {
    const cert = path.join(this.dir, 'cert.pem');
    const key = path.join(this.dir, 'key.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '7',
      '-subj',
      '/CN=Switchyard test Pebble',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    this.caBundle = readFileSync(cert, 'utf8');
    const [listen, tls] = [await freeLoopbackPort(), await freeLoopbackPort()];
    this.mgmtPort = await freeLoopbackPort();
    this.dnsPort = await freeLoopbackPort();
    this.challPort = await freeLoopbackPort();
    const config = path.join(this.dir, 'pebble-config.json');
    writeFileSync(
      config,
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${listen}`,
          managementListenAddress: `127.0.0.1:${this.mgmtPort}`,
          certificate: cert,
          privateKey: key,
          httpPort: this.opts.httpPort,
          tlsPort: tls,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
        },
      }),
    );
    // challtestsrv answers DNS only: every other challenge server is off, the HTTP port is the test's.
    this.spawn(
      'pebble-challtestsrv',
      [
        '-defaultIPv4',
        this.opts.defaultIPv4 ?? '127.0.0.1',
        '-defaultIPv6',
        '',
        '-dns01',
        `127.0.0.1:${this.dnsPort}`,
        '-http01',
        '',
        '-https01',
        '',
        '-tlsalpn01',
        '',
        '-management',
        `127.0.0.1:${this.challPort}`,
      ],
      {},
    );
    this.spawn('pebble', ['-config', config, '-dnsserver', `127.0.0.1:${this.dnsPort}`], {
      PEBBLE_VA_NOSLEEP: '1',
      PEBBLE_WFE_NONCEREJECT: String(this.opts.nonceReject ?? 5),
      PEBBLE_AUTHZREUSE: String(this.opts.authzReuse ?? 0),
    });
    this.directoryUrl = `https://127.0.0.1:${listen}/dir`;
    this.resolve = resolverAt([`127.0.0.1:${this.dnsPort}`]);
    await this.until('Pebble directory', () => this.fetch(this.directoryUrl).then((r) => r.status === 200));
    await this.until('challtestsrv', () => this.fetch(`http://127.0.0.1:${this.challPort}/`).then(() => true));
  }

  /**
   * The HTTPS settings' directory for this Pebble: where to order, whom to trust, and the port its
   * validator connects to (so the preflight probes that port, not Let's Encrypt's 80).
   */
  directory(): { url: string; caBundle: string; challengePort: number } {
    return { url: this.directoryUrl, caBundle: this.caBundle, challengePort: this.opts.httpPort };
  }

  /** PEM of the root that Pebble's issued certificates chain to (management `/roots/0`). */
  async rootCa(): Promise<string> {
    const r = await this.fetch(`https://127.0.0.1:${this.mgmtPort}/roots/0`);
    if (r.status !== 200) throw new Error(`Pebble's /roots/0 answered ${r.status}`);
    return r.body;
  }

  /** Makes `host` resolve to `address` (IPv4) for Pebble's validator. */
  async pointDomain(host: string, address: string): Promise<void> {
    const r = await this.fetch(`http://127.0.0.1:${this.challPort}/add-a`, JSON.stringify({ host, addresses: [address] }));
    if (r.status !== 200) throw new Error(`challtestsrv /add-a answered ${r.status}: ${r.body}`);
  }

  /** Back to the default address (127.0.0.1). */
  async clearDomain(host: string): Promise<void> {
    await this.fetch(`http://127.0.0.1:${this.challPort}/clear-a`, JSON.stringify({ host }));
  }

  /** What Pebble and challtestsrv printed, for failure messages. */
  output(): string {
    return this.log;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((done) => {
            if (p.exitCode !== null || p.signalCode !== null) return done();
            p.once('exit', () => done());
            p.kill('SIGTERM');
            setTimeout(() => {
              p.kill('SIGKILL');
              done();
            }, 3000).unref();
          }),
      ),
    );
    this.procs = [];
    rmSync(this.dir, { recursive: true, force: true });
  }

  private spawn(cmd: string, args: string[], env: Record<string, string>): void {
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (c: Buffer) => {
      this.log = (this.log + c.toString()).slice(-20_000);
    };
    p.stdout!.on('data', keep);
    p.stderr!.on('data', keep);
    p.on('error', (err) => keep(Buffer.from(`${cmd}: ${err.message}\n`)));
    this.procs.push(p);
  }

  private async until(what: string, ok: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (await ok().catch(() => false)) return;
      if (this.procs.some((p) => p.exitCode !== null)) throw new Error(`${what} exited early:\n${this.log}`);
      if (Date.now() > deadline) throw new Error(`${what} did not answer within 15 s:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private fetch(url: string, body?: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const mod = url.startsWith('https:') ? https : http;
      const req = mod.request(url, { method: body === undefined ? 'GET' : 'POST', ca: this.caBundle, agent: false, timeout: 3000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(body);
    });
  }
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Stands in for HAProxy's challenge rule in tests that need no load balancer: a plain Node
 * HTTP server on 127.0.0.1 that answers `/.well-known/acme-challenge/<token>` from a map.
 */
export class StandInChallengeServer implements Http01Responder {
  readonly answers = new Map<string, string>();
  /** Every token ever added, in order (preflight probes included). */
  readonly added: string[] = [];
  private server?: http.Server;

  constructor(readonly port: number) {}

  async listen(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const token = (req.url ?? '').startsWith(ACME_CHALLENGE_PREFIX) ? (req.url ?? '').slice(ACME_CHALLENGE_PREFIX.length) : undefined;
      const answer = token === undefined ? undefined : this.answers.get(token);
      res.writeHead(answer === undefined ? 404 : 200, { 'content-type': 'text/plain' });
      res.end(answer ?? 'not found');
    });
    await new Promise<void>((ok, fail) => {
      this.server!.once('error', fail);
      this.server!.listen(this.port, '127.0.0.1', () => ok());
    });
    return this;
  }

  async add(token: string, keyAuthorization: string): Promise<void> {
    this.added.push(token);
    this.answers.set(token, keyAuthorization);
  }

  async remove(token: string): Promise<void> {
    this.answers.delete(token);
  }

  close(): Promise<void> {
    return new Promise((done) => (this.server ? this.server.close(() => done()) : done()));
  }
}

/** A SecretBox fake for tests: reversible, marked, and no protection at all. */
export class FakeSecretBoxForTests implements SecretBox {
  readonly sealed: string[] = [];

  async seal(plain: string): Promise<string> {
    const s = `fake-sealed:${Buffer.from(plain).toString('base64')}`;
    this.sealed.push(s);
    return s;
  }

  async open(sealed: string): Promise<string> {
    if (!sealed.startsWith('fake-sealed:')) throw new Error('not sealed by FakeSecretBoxForTests');
    return Buffer.from(sealed.slice('fake-sealed:'.length), 'base64').toString();
  }
}

/** A certificate serial as a number in hex: lower case, without leading zeros (Node and OpenSSL differ on the first 0). */
export function serialKey(serial: string): string {
  return serial.toLowerCase().replace(/^0+/, '');
}

export interface VerifiedResponse {
  status: number;
  /** The served certificate's serial, as `serialKey` gives it. */
  serial: string;
  /** Its subjectAltName, e.g. `DNS:lab.switchyard.test`. */
  subject: string;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * One HTTPS GET on a new connection to 127.0.0.1:`port` for `domain`, its certificate verified
 * against `ca` (Pebble's root) as a browser checks its store.
 */
export function verifiedHttpsGet(port: number, domain: string, ca: string, requestPath = '/', address = '127.0.0.1'): Promise<VerifiedResponse> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: address, port, path: requestPath, servername: domain, headers: { host: domain }, ca, agent: false, timeout: 5000 }, (res) => {
      const cert = (res.socket as tls.TLSSocket).getPeerCertificate();
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, serial: serialKey(cert.serialNumber ?? ''), subject: cert.subjectaltname ?? '', body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}
