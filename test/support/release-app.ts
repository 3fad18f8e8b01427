import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { docker, TEST_IMAGES } from './lab';
import { streamToBuffer } from '../../electron/core/targets/docker-util';

/**
 * An app to release: busybox httpd saying which replica answered and which version it runs
 * (`VERSION`, baked in at build time, overridable by a variable). Variables make it misbehave
 * the ways a bad release does: CRASH_WITH exits at start; FAIL_PAGES=1 keeps /health answering
 * 200 while every page answers 500. START_AFTER=<seconds> makes it slow to start, as many apps are;
 * PORT moves it off port 80.
 */
export function releaseAppFolder(version: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-release-app-'));
  writeFileSync(
    path.join(dir, 'Dockerfile'),
    [`FROM ${TEST_IMAGES.demoBase}`, `ENV VERSION=${version}`, 'COPY entrypoint.sh /entrypoint.sh', 'EXPOSE 80', 'ENTRYPOINT ["/bin/sh", "/entrypoint.sh"]', ''].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'entrypoint.sh'),
    [
      '#!/bin/sh',
      'set -eu',
      'if [ -n "${CRASH_WITH:-}" ]; then echo "$CRASH_WITH" >&2; exit 3; fi',
      'mkdir -p /www/cgi-bin',
      'echo ok > /www/health',
      'if [ "${FAIL_PAGES:-}" = 1 ]; then',
      // busybox httpd runs /cgi-bin/index.cgi for "/" when there is no index.html.
      `  printf '#!/bin/sh\\nprintf "Status: 500 Internal Server Error\\\\r\\\\nContent-Type: text/plain\\\\r\\\\n\\\\r\\\\nbroken\\\\n"\\n' > /www/cgi-bin/index.cgi`,
      '  chmod +x /www/cgi-bin/index.cgi',
      'else',
      '  echo "<h1>Hello from Backend: ${BACKEND_NAME:-unnamed}</h1><p>version ${VERSION}</p>" > /www/index.html',
      'fi',
      'if [ -n "${START_AFTER:-}" ]; then sleep "$START_AFTER"; fi',
      'echo "release app ${BACKEND_NAME:-unnamed} version ${VERSION} listening on ${PORT:-80}"',
      'exec httpd -f -p "${PORT:-80}" -h /www',
      '',
    ].join('\n'),
  );
  return dir;
}

/** Builds the release app at `version` as the image `tag` on `engine` (the test engine by default; nothing is pulled). */
export async function buildReleaseImage(tag: string, version: string, engine: Docker = docker): Promise<void> {
  const dir = releaseAppFolder(version);
  try {
    const stream = await engine.buildImage({ context: dir, src: ['Dockerfile', 'entrypoint.sh'] }, { t: tag });
    const out = (await streamToBuffer(stream as AsyncIterable<unknown>)).toString('utf8');
    if (/"error"/.test(out)) throw new Error(`building ${tag} failed: ${out.slice(-500)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ClientLoad {
  ok: number;
  failed: number;
  errors: string[];
  /** Answers by version, as the page said. */
  versions: Record<string, number>;
}

/**
 * The three kinds of clients a release must not hurt, each a few workers in a loop until
 * stopped: keep-alive connections (a browser), a new connection per request (curl, scripts),
 * and sticky clients sending back the cookie they were given (a logged-in user).
 */
export function startClients(port: number, perKind = 2, host = '127.0.0.1'): { stop(): Promise<Record<'keepAlive' | 'fresh' | 'sticky', ClientLoad>>; total(): ClientLoad } {
  const kinds = ['keepAlive', 'fresh', 'sticky'] as const;
  const results = Object.fromEntries(kinds.map((k) => [k, { ok: 0, failed: 0, errors: [], versions: {} } as ClientLoad])) as Record<(typeof kinds)[number], ClientLoad>;
  const keepAgent = new http.Agent({ keepAlive: true, maxSockets: perKind });
  let running = true;
  const one = (kind: (typeof kinds)[number], cookie: { value?: string }) =>
    new Promise<void>((resolve) => {
      const r = results[kind];
      const fail = (why: string) => {
        r.failed++;
        if (r.errors.length < 5) r.errors.push(why);
        resolve();
      };
      const req = http.get(
        {
          host,
          port,
          path: '/',
          agent: kind === 'keepAlive' || kind === 'sticky' ? keepAgent : false,
          headers: kind === 'sticky' && cookie.value ? { cookie: cookie.value } : {},
          timeout: 10_000,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => {
            if (res.statusCode !== 200) return fail(`HTTP ${res.statusCode}`);
            r.ok++;
            const v = /version (\S+?)</.exec(body)?.[1] ?? '?';
            r.versions[v] = (r.versions[v] ?? 0) + 1;
            const set = res.headers['set-cookie']?.[0]?.split(';')[0];
            if (kind === 'sticky' && set) cookie.value = set;
            resolve();
          });
          res.on('error', (e) => fail(e.message));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (e) => fail(e.message));
    });
  const workers = kinds.flatMap((kind) =>
    Array.from({ length: perKind }, async () => {
      const cookie: { value?: string } = {};
      while (running) await one(kind, cookie);
    }),
  );
  const total = (): ClientLoad => {
    const t: ClientLoad = { ok: 0, failed: 0, errors: [], versions: {} };
    for (const r of Object.values(results)) {
      t.ok += r.ok;
      t.failed += r.failed;
      t.errors.push(...r.errors);
      for (const [v, n] of Object.entries(r.versions)) t.versions[v] = (t.versions[v] ?? 0) + n;
    }
    return t;
  };
  return {
    total,
    async stop() {
      running = false;
      await Promise.all(workers);
      keepAgent.destroy();
      return results;
    },
  };
}
