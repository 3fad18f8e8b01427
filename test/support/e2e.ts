/**
 * End-to-end helpers: a real `switchyard serve` process on a temporary data folder, and the
 * Debian Chromium driven by playwright-core.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CLI_BUNDLE } from './cli-bundle';
import { TEST_IMAGES, appRoot, freePort } from './lab';

export const ARTIFACTS = path.join(appRoot, 'test', 'artifacts');
export const CHROMIUM = process.env.SWITCHYARD_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** The one line `switchyard serve` prints; its format is part of the CLI's contract. */
export const SERVE_LINE = /^Switchyard is serving at (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]+))$/m;

export interface Served {
  url: string;
  origin: string;
  port: number;
  token: string;
  dataDir: string;
  proc: ChildProcess;
  output(): string;
  /** Ctrl-C, as a user would; resolves with the exit code. */
  stop(): Promise<number | null>;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** The renderer must be built, and from the sources as they are, for the server to serve it. */
export function ensureRendererBuilt(): void {
  const index = path.join(appRoot, 'out', 'renderer', 'index.html');
  const sources = Math.max(newestMtime(path.join(appRoot, 'renderer')), newestMtime(path.join(appRoot, 'shared')));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const r = spawnSync('npm', ['run', 'build'], { cwd: appRoot, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}

export async function startServe(opts: { env?: NodeJS.ProcessEnv } = {}): Promise<Served> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sy-e2e-'));
  const port = await freePort();
  const proc = spawn(process.execPath, [CLI_BUNDLE, 'serve', '--port', String(port)], {
    cwd: appRoot,
    env: { ...process.env, ...opts.env, SWITCHYARD_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL within 20 s:\n${out}`)), 20_000);
    const check = (): void => {
      const m = SERVE_LINE.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.stdout!.off('data', check);
        resolve(m);
      }
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`serve exited (${code}) before printing its URL:\n${out}`)));
  });
  return {
    url: match[1],
    origin: `http://127.0.0.1:${match[2]}`,
    port: Number(match[2]),
    token: match[3],
    dataDir,
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGINT');
      const code = await exited;
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface PageOptions {
  locale?: 'en-US' | 'fr-FR';
  colorScheme?: 'light' | 'dark';
  width?: number;
  height?: number;
}

export async function openPage(browser: Browser, url: string, o: PageOptions = {}): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({
    locale: o.locale ?? 'en-US',
    colorScheme: o.colorScheme ?? 'light',
    viewport: { width: o.width ?? 1280, height: o.height ?? 860 },
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // Docker adding or removing a network makes Chromium drop requests in flight as
    // "network changed": the test machine's doing, not the page's.
    if (m.type() === 'error' && !m.text().includes('ERR_NETWORK_CHANGED')) errors.push(m.text());
  });
  await page.goto(url);
  return { context, page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * For an `afterEach`: when the test failed, what the window showed (beside the other
 * screenshots) and what the page logged as errors.
 */
export async function recordFailure(ctx: { task: { name: string; result?: { state?: string } } }, page: Page | undefined, errors: string[] = []): Promise<void> {
  if (ctx.task.result?.state !== 'fail' || !page) return;
  if (errors.length) console.log(`page errors during "${ctx.task.name}":\n${errors.join('\n')}`);
  await screenshot(page, `failed-${ctx.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
}

/**
 * On the open environment form, opens "Advanced settings" (folded at first: the images, retries,
 * timeouts and health checks are in it) unless it is open already.
 */
export async function openAdvancedSettings(page: Page): Promise<void> {
  const toggle = page.locator('[data-test=environment-form] [data-test=advanced-toggle]');
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await page.locator('[data-test=environment-form] [data-test=advanced-body]').waitFor();
}

/**
 * On the open new-environment form: names the lab, gives its port and the stand-in images,
 * submits with "create and deploy", and waits until it runs with both backends healthy.
 */
export async function deployLabThroughForm(page: Page, name: string, httpPort: number): Promise<void> {
  await page.locator('[data-test=field-name] input').fill(name);
  await page.locator('[data-test=field-httpPort] input').fill(String(httpPort));
  await page.locator('[data-test=field-httpPort] input').blur();
  await openAdvancedSettings(page);
  // Each image field offers the host's images while focused: leaving it closes that list.
  await page.locator('[data-test=field-haproxyImage] input').fill(TEST_IMAGES.haproxy);
  await page.locator('[data-test=field-haproxyImage] input').blur();
  await page.locator('[data-test=field-demoBaseImage] input').fill(TEST_IMAGES.demoBase);
  await page.locator('[data-test=field-demoBaseImage] input').blur();
  await page.locator('[data-test=submit-deploy]').click();

  await page.locator(`[data-test=environment-view][data-env=${name}]`).waitFor();
  await page.locator('[data-test=environment-view] [data-test=state][data-state=running]').waitFor({ timeout: 180_000 });
  for (const server of ['back1', 'back2']) {
    await page.locator(`[data-test=server-card][data-server=${server}][data-health=UP]`).waitFor({ timeout: 60_000 });
  }
}
