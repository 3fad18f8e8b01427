import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { serialKey } from './pebble';

export interface LoadResult {
  ok: number;
  failed: number;
  /** The first few failures, for the assertion message. */
  errors: string[];
  byBackend: Record<string, number>;
}

/** Counts one response: a 200 by the backend that answered it, another status in `alsoOk` as a success, anything else as a failure. */
function tally(res: http.IncomingMessage, result: LoadResult, fail: (why: string) => void, done: () => void, alsoOk: number[] = []): void {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (c: string) => (body += c));
  res.on('end', () => {
    if (res.statusCode === 200) {
      result.ok++;
      const b = /Hello from Backend: ([A-Za-z0-9_.@-]+)/.exec(body)?.[1] ?? '?';
      result.byBackend[b] = (result.byBackend[b] ?? 0) + 1;
    } else if (alsoOk.includes(res.statusCode ?? 0)) result.ok++;
    else fail(`HTTP ${res.statusCode}`);
    done();
  });
  res.on('error', (e) => (fail(e.message), done()));
}

/**
 * A steady concurrent load on keep-alive connections, like a browser or wrk: each worker sends
 * its next request as soon as the previous one ends. Bounded: it stops when asked or after
 * `maxMs`. Only loopback. `alsoOk`: statuses that count as served too (a redirect to HTTPS).
 */
export function startLoad(port: number, concurrency = 8, maxMs = 60_000, host = '127.0.0.1', alsoOk: number[] = []): { stop(): Promise<LoadResult>; readonly progress: Readonly<LoadResult> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const result: LoadResult = { ok: 0, failed: 0, errors: [], byBackend: {} };
  let running = true;
  const deadline = Date.now() + maxMs;
  const fail = (why: string) => {
    result.failed++;
    if (result.errors.length < 5) result.errors.push(why);
  };
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.get({ host, port, path: '/', agent, timeout: 10_000 }, (res) => {
        tally(res, result, fail, resolve, alsoOk);
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (e) => (fail(e.message), resolve()));
    });
  const worker = async () => {
    while (running && Date.now() < deadline) await one();
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    /** The counts so far, while it runs: what a test waits on instead of a fixed time. */
    progress: result,
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return result;
    },
  };
}

export interface HttpsLoadOptions {
  /** The root to verify the served certificate against (Pebble's, in tests). */
  ca: string;
  /** The name asked for in SNI and checked against the certificate. */
  servername: string;
  /** Clients that keep their connection open, like a browser. */
  keepAlive: number;
  /** Clients that open a new TLS connection for every request: each one is a fresh handshake. */
  fresh?: number;
  maxMs?: number;
}

export interface HttpsLoadResult extends LoadResult {
  /** Requests that went out on a new connection (a full TLS handshake). */
  handshakes: number;
  /** Serials of the certificates new connections were given, in the order first seen. */
  serials: string[];
}

/**
 * HTTPS load on loopback, verifying every certificate against `ca`: keep-alive clients as
 * `startLoad` runs them, plus clients that shake hands anew each time, so a certificate swap
 * is seen by handshakes made during it.
 */
export function startHttpsLoad(port: number, opts: HttpsLoadOptions): { stop(): Promise<HttpsLoadResult> } {
  const agent = new https.Agent({ keepAlive: true, maxSockets: opts.keepAlive, ca: opts.ca, servername: opts.servername });
  const result: HttpsLoadResult = { ok: 0, failed: 0, errors: [], byBackend: {}, handshakes: 0, serials: [] };
  let running = true;
  const deadline = Date.now() + (opts.maxMs ?? 60_000);
  const fail = (why: string) => {
    result.failed++;
    if (result.errors.length < 5) result.errors.push(why);
  };
  const one = (keepAlive: boolean) =>
    new Promise<void>((resolve) => {
      const req = https.get(
        { host: '127.0.0.1', port, path: '/', servername: opts.servername, headers: { host: opts.servername }, ca: opts.ca, agent: keepAlive ? agent : false, timeout: 10_000 },
        (res) => {
          if (!req.reusedSocket) {
            result.handshakes++;
            const serial = serialKey((res.socket as tls.TLSSocket).getPeerCertificate().serialNumber ?? '');
            if (serial && !result.serials.includes(serial)) result.serials.push(serial);
          }
          tally(res, result, fail, resolve);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (e) => (fail(e.message), resolve()));
    });
  const worker = async (keepAlive: boolean) => {
    while (running && Date.now() < deadline) await one(keepAlive);
  };
  const workers = [...Array.from({ length: opts.keepAlive }, () => worker(true)), ...Array.from({ length: opts.fresh ?? 0 }, () => worker(false))];
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return result;
    },
  };
}
