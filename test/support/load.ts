import http from 'node:http';

export interface LoadResult {
  ok: number;
  failed: number;
  /** The first few failures, for the assertion message. */
  errors: string[];
  byBackend: Record<string, number>;
}

/**
 * A steady concurrent load on keep-alive connections, like a browser or wrk: each worker sends
 * its next request as soon as the previous one ends. Bounded: it stops when asked or after
 * `maxMs`. Only loopback.
 */
export function startLoad(port: number, concurrency = 8, maxMs = 60_000): { stop(): Promise<LoadResult> } {
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
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          if (res.statusCode === 200) {
            result.ok++;
            const b = /Hello from Backend: ([A-Za-z0-9_-]+)/.exec(body)?.[1] ?? '?';
            result.byBackend[b] = (result.byBackend[b] ?? 0) + 1;
          } else fail(`HTTP ${res.statusCode}`);
          resolve();
        });
        res.on('error', (e) => (fail(e.message), resolve()));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (e) => (fail(e.message), resolve()));
    });
  const worker = async () => {
    while (running && Date.now() < deadline) await one();
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return result;
    },
  };
}
