/**
 * The renderer's weight and speed in headless Chromium: first meaningful paint, the
 * JavaScript shipped (gzip), and long tasks and frame times while 20 environments × 10
 * backends stream snapshots at 1 Hz. The page talks to a real `serve` HTTP/WebSocket server
 * whose core is a fake (FakeUiCore below) that makes up environments and snapshots.
 * Prints figures; asserts nothing.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import vue from '@vitejs/plugin-vue';
import { build } from 'vite';
import type { Page } from 'playwright-core';
import type { EnvironmentStatus, ServerHealth } from '../../shared/contract';
import type { Envelope } from '../../shared/errors';
import type { StatsSnapshot } from '../../shared/live';
import { EnvironmentInput, type Environment } from '../../shared/model';
import type { Core } from '../../electron/core/core';
import { EventBus } from '../../electron/core/events';
import { Subscriptions } from '../../electron/core/subscriptions';
import { TaskManager } from '../../electron/core/tasks/task-manager';
import { startServer, type HeadlessServer } from '../../electron/headless/serve';
import { ensureRendererBuilt, launchChromium } from '../support/e2e';
import { appRoot } from '../support/lab';
import { licensesPlugin } from '../../resources/packaging/licenses';

const BUILT = path.join(appRoot, 'out', 'renderer');

/** A stand-in core: environments and statuses made up, snapshots on a timer. Not the real one. */
class FakeUiCore implements Core {
  readonly events = new EventBus();
  readonly tasks = new TaskManager(this.events, () => new Date());
  /** Nothing to start per subscription: the snapshots below are made up for every environment. */
  readonly subscriptions = new Subscriptions();
  private readonly envs: Environment[];
  private readonly hits = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(environments: number, backends: number) {
    const stamp = new Date().toISOString();
    this.envs = Array.from({ length: environments }, (_, e) => ({
      ...EnvironmentInput.parse({
        name: `env${String(e + 1).padStart(2, '0')}`,
        httpPort: 9000 + e,
        servers: Array.from({ length: backends }, (_, s) => ({ name: `back${s + 1}`, kind: 'demo' })),
      }),
      createdAt: stamp,
      updatedAt: stamp,
    })) as Environment[];
  }

  invoke = async (channel: string, payload: unknown): Promise<Envelope<unknown>> => {
    const p = (payload ?? {}) as { name?: string; environment?: string };
    const env = this.envs.find((e) => e.name === (p.name ?? p.environment));
    switch (channel) {
      case 'environments:list':
        return { ok: true, result: this.envs };
      case 'environments:status':
        return env ? { ok: true, result: this.status(env) } : { ok: false, error: { code: 'NOT_FOUND', message: 'no such environment' } };
      case 'environments:render':
        return { ok: true, result: { config: `# ${env?.name}\nglobal\n  maxconn 100\n` } };
      case 'tasks:list':
        return { ok: true, result: [] };
      case 'logs:tail':
        return { ok: true, result: [] };
      case 'stats:history':
        return { ok: true, result: { environment: env?.name ?? '', samples: [] } };
      case 'system:info':
        // Docker answers: an unreachable one would put the first-run screen in place of the list measured here.
        return { ok: true, result: { version: 'bench', dataDir: '/nowhere', os: 'linux', docker: { reachable: true, version: 'bench' } } };
      default:
        return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `the bench core has no ${channel}` } };
    }
  };

  private status(env: Environment): EnvironmentStatus {
    return {
      name: env.name,
      state: 'running',
      url: `http://localhost:${env.httpPort}/`,
      containers: env.servers.map((s) => ({ name: `sy-${env.name}-${s.name}`, role: 'backend' as const, server: s.name, state: 'running', image: 'demo', id: s.name })),
      servers: env.servers.map((s) => ({ name: s.name, health: 'UP' as ServerHealth, status: 'UP', weight: 100 })),
      haproxy: { reachable: true, configInSync: true },
    };
  }

  /** Every environment's snapshot once per `everyMs`, as the poller would send them. */
  stream(everyMs: number): void {
    let last: number | undefined;
    const tick = (): void => {
      const now = Date.now();
      const at = new Date(now).toISOString();
      const from = last;
      last = now;
      for (const env of this.envs) {
        const servers = env.servers.map((s, i) => {
          const key = `${env.name}/${s.name}`;
          const rate = 5 + ((i * 7 + Date.now() / 1000) % 10);
          const hits = (this.hits.get(key) ?? 0) + Math.round(rate);
          this.hits.set(key, hits);
          return {
            name: s.name,
            health: 'UP' as ServerHealth,
            status: 'UP',
            state: 'ready' as const,
            checkStatus: 'L7OK',
            weight: 100,
            sessions: i % 3,
            hits,
            hitsPerSecond: rate,
            responses: { '2xx': hits, '3xx': 0, '4xx': 0, '5xx': 0 },
          };
        });
        const snap: StatsSnapshot = {
          environment: env.name,
          at,
          reachable: true,
          frontend: { requestRate: servers.reduce((a, s) => a + s.hitsPerSecond, 0), requests: servers.reduce((a, s) => a + s.hits, 0), sessions: 0 },
          servers,
        };
        // What the poller adds to the history each poll: the charts draw it.
        if (from !== undefined) {
          const counts = Object.fromEntries(servers.map((s) => [s.name, Math.round((s.hitsPerSecond * (now - from)) / 1000)]));
          const served = Object.values(counts).reduce((a, n) => a + n, 0);
          snap.sample = { from, to: now, servers: counts, responses: { '2xx': served, '4xx': 0, '5xx': 0 } };
        }
        this.events.emit('stats:snapshot', snap);
      }
    };
    tick();
    this.timer = setInterval(tick, everyMs);
  }

  async subscribe(): Promise<() => void> {
    throw new Error('the bench core serves windows only');
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? jsFiles(p) : f.endsWith('.js') ? [p] : [];
  });
}

/** Gzip bytes of all JavaScript, and of what index.html loads before anything is clicked. */
function shipped(dir: string): { total: number; initial: number; raw: number } {
  const gz = (f: string) => gzipSync(readFileSync(f), { level: 9 }).length;
  const files = jsFiles(dir);
  const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
  const initial = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+\.js)"/g)].map((m) => path.join(dir, m[1]));
  return {
    total: files.reduce((a, f) => a + gz(f), 0),
    initial: initial.reduce((a, f) => a + gz(f), 0),
    raw: files.reduce((a, f) => a + statSync(f).size, 0),
  };
}

/** The renderer built as electron-vite builds it, plus minification (what the shipped build lacks). */
async function buildMinified(): Promise<string> {
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'sy-ui-min-'));
  await build({
    configFile: false,
    logLevel: 'silent',
    root: path.join(appRoot, 'renderer'),
    base: './',
    plugins: [vue(), licensesPlugin(appRoot)],
    define: { __VUE_I18N_FULL_INSTALL__: 'false', __VUE_I18N_LEGACY_API__: 'false', __INTLIFY_PROD_DEVTOOLS__: 'false' },
    build: { outDir, emptyOutDir: true, minify: true, target: 'chrome120', modulePreload: { polyfill: false }, reportCompressedSize: false },
  });
  return outDir;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

/**
 * Notes when the first environment row is laid out. An init script, because the page's CSP
 * (no eval) refuses Playwright's string predicates, and a round trip from here would add its
 * own latency to the figure.
 */
const LISTED_PROBE = `new MutationObserver((_, obs) => {
  const row = document.querySelector('[data-test=environment-row]');
  if (row && row.getBoundingClientRect().height > 0) { window.__listedAt = performance.now(); obs.disconnect(); }
}).observe(document, { childList: true, subtree: true });`;

/** First contentful paint and the moment the environments table is on screen, from navigation start. */
async function firstPaint(page: Page, url: string): Promise<{ fcp: number; listed: number }> {
  await page.addInitScript(LISTED_PROBE);
  await page.goto(url);
  await page.locator('[data-test=environment-row]').first().waitFor({ timeout: 30_000 });
  return (await page.evaluate(`({ fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN, listed: window.__listedAt ?? NaN })`)) as { fcp: number; listed: number };
}

/**
 * Long tasks and frame intervals while the page sits on one view. Kept as page source text:
 * the TypeScript loader would otherwise wrap its functions in helpers the page lacks.
 */
const SMOOTHNESS_PROBE = `(duration) => new Promise((resolve) => {
  const longTasks = [];
  const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) longTasks.push(e.duration); });
  obs.observe({ type: 'longtask', buffered: false });
  const frames = [];
  let last = performance.now();
  const end = last + duration;
  const frame = (now) => {
    frames.push(now - last);
    last = now;
    if (now < end) requestAnimationFrame(frame);
    else { obs.disconnect(); resolve({ frames, longTasks }); }
  };
  requestAnimationFrame(frame);
})`;

async function smoothness(page: Page, ms: number): Promise<{ frames: number[]; longTasks: number[] }> {
  return page.evaluate(`(${SMOOTHNESS_PROBE})(${ms})`);
}

function printSmoothness(label: string, r: { frames: number[]; longTasks: number[] }): void {
  const total = r.longTasks.reduce((a, b) => a + b, 0);
  console.log(
    `  ${label}: ${r.frames.length} frames, frame time p50 ${pct(r.frames, 50).toFixed(1)} ms, p95 ${pct(r.frames, 95).toFixed(1)} ms, ` +
      `p99 ${pct(r.frames, 99).toFixed(1)} ms, max ${Math.max(...r.frames).toFixed(1)} ms; ` +
      `long tasks ${r.longTasks.length} (total ${total.toFixed(0)} ms, max ${r.longTasks.length ? Math.max(...r.longTasks).toFixed(0) : 0} ms)`,
  );
}

export async function benchUi(smoke: boolean): Promise<void> {
  ensureRendererBuilt();
  const runs = smoke ? 1 : 5;
  const watchMs = smoke ? 3000 : 15_000;
  console.log(`UI bench (${smoke ? 'smoke' : 'full'}): headless Chromium, ${runs} load(s) per build, ${watchMs / 1000} s per live view`);

  const minDir = await buildMinified();
  const builds: [string, string][] = [
    ['as built (out/renderer)', BUILT],
    ['minified', minDir],
  ];
  for (const [label, dir] of builds) {
    const s = shipped(dir);
    console.log(`  JavaScript ${label}: ${kb(s.total)} gzip in all (${kb(s.raw)} raw), ${kb(s.initial)} gzip loaded at start`);
  }

  const browser = await launchChromium();
  const core = new FakeUiCore(20, 10);
  const servers: HeadlessServer[] = [];
  try {
    for (const [label, dir] of builds) {
      const server = await startServer({ core, rendererDir: dir });
      servers.push(server);
      const paints: { fcp: number; listed: number }[] = [];
      for (let i = 0; i < runs; i++) {
        // A new context each time: nothing cached, as on a first visit.
        const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
        paints.push(await firstPaint(await context.newPage(), server.url));
        await context.close();
      }
      console.log(
        `  first paint ${label}: first contentful paint ${median(paints.map((p) => p.fcp)).toFixed(0)} ms, ` +
          `20 environments listed ${median(paints.map((p) => p.listed)).toFixed(0)} ms (median of ${runs})`,
      );
    }

    core.stream(1000);
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    await firstPaint(page, servers[1].url);
    printSmoothness('20 envs × 10 backends at 1 Hz, list view', await smoothness(page, watchMs));
    await page.evaluate(`window.location.hash = '#/environments/env01'`);
    await page.locator('[data-test=server-card]').nth(9).waitFor();
    printSmoothness('same stream, environment view (10 cards, sparklines)', await smoothness(page, watchMs));
    const heap = (await page.evaluate(`performance.memory?.usedJSHeapSize`)) as number | undefined;
    if (heap) console.log(`  JS heap after streaming: ${(heap / 1024 / 1024).toFixed(1)} MB`);
    await context.close();
  } finally {
    await core.close();
    for (const s of servers) await s.close();
    await browser.close();
    rmSync(minDir, { recursive: true, force: true });
  }
}
