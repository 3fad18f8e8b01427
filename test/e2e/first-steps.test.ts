/**
 * A new user's first steps, through the real window (`switchyard serve`, Chromium, the real
 * Docker engine and HAProxy): a port already taken is said on the form before anything is
 * created; the deploy's outcome stays on the page; unsaved settings are not dropped silently;
 * the traffic generator keeps a rate and can be stopped.
 */
import net from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt, launchChromium, openAdvancedSettings, openPage, recordFailure, startServe, type Served } from '../support/e2e';
import { cli } from '../support/cli';
import { TEST_IMAGES, freePort, removeEnvironments, uniqueName } from '../support/lab';

const name = uniqueName('first');
let served: Served;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let holder: net.Server;
let takenPort: number;
let httpPort: number;

const field = (path: string) => page.locator(`[data-test=environment-form] [data-field="${path}"]`);
const task = () => page.locator('[data-test=environment-task]');

beforeAll(async () => {
  ensureRendererBuilt();
  takenPort = await freePort();
  holder = net.createServer();
  await new Promise<void>((r) => holder.listen(takenPort, '0.0.0.0', r));
  httpPort = await freePort();
  served = await startServe();
  browser = await launchChromium();
  ({ page, errors: pageErrors } = await openPage(browser, served.url));
});

afterEach((ctx) => recordFailure(ctx, page, pageErrors));

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  await removeEnvironments(name);
  holder?.close();
});

describe('first steps', () => {
  it('a port another program listens on is refused on the HTTP port field when the form is submitted, and nothing is created', async () => {
    await page.locator('[data-test=new-environment]').first().click();
    await page.locator('[data-test=environment-form]').waitFor();
    await page.locator('[data-test=field-name] input').fill(name);
    await page.locator('[data-test=field-httpPort] input').fill(String(takenPort));
    await page.locator('[data-test=field-httpPort] input').blur();
    await openAdvancedSettings(page);
    await page.locator('[data-test=field-haproxyImage] input').fill(TEST_IMAGES.haproxy);
    await page.locator('[data-test=field-haproxyImage] input').blur();
    await page.locator('[data-test=field-demoBaseImage] input').fill(TEST_IMAGES.demoBase);
    await page.locator('[data-test=field-demoBaseImage] input').blur();
    await page.locator('[data-test=submit]').click();

    const port = field('httpPort');
    await port.locator('.n-input--error-status').waitFor();
    await expect(port.textContent()).resolves.toContain(`Port ${takenPort} is already in use on the host by another program. Choose another port.`);
    await expect(page.locator('[data-test=error]').count()).resolves.toBe(0);
    await expect(page.locator('[data-test=new-environment-view]').textContent()).resolves.not.toContain('httpPort');
    // Still on the form, and nothing was created.
    await expect(page.locator('[data-test=new-environment-view]').count()).resolves.toBe(1);
    const listed = await cli(served.dataDir, ['call', 'environments:list', '{}']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain(name);
  });

  it('with a free port it deploys, and the outcome stays on the page until dismissed', async () => {
    await page.locator('[data-test=field-httpPort] input').fill(String(httpPort));
    await page.locator('[data-test=field-httpPort] input').blur();
    await page.locator('[data-test=submit-deploy]').click();
    await page.locator(`[data-test=environment-view][data-env=${name}]`).waitFor();
    await page.locator('[data-test=environment-task][data-state=succeeded]').waitFor({ timeout: 180_000 });
    await expect(task().locator('[data-test=task-result]').textContent()).resolves.toMatch(/^Deployed in [\d.]+ (ms|s)$/);
    // Once the status has come back after the end, and after another tab and back: still there.
    await page.locator('[data-test=environment-view] > header [data-test=state][data-state=running]').waitFor({ timeout: 60_000 });
    await page.locator('.n-tabs-tab[data-name=traffic]').click();
    await page.locator('[data-test=traffic]').waitFor();
    await page.locator('.n-tabs-tab[data-name=overview]').click();
    await expect(task().locator('[data-test=task-result]').count()).resolves.toBe(1);
    await expect(page.locator('[data-test=environment-view] > header [data-test=state]').getAttribute('data-state')).resolves.toBe('running');
    await task().locator('[data-test=task-dismiss]').click();
    await expect(task().count()).resolves.toBe(0);
  });

  it('unsaved settings mark their tab, and opening another tab asks before they are lost', async () => {
    await page.locator('.n-tabs-tab[data-name=settings]').click();
    await page.locator('[data-test=environment-form]').waitFor();
    await openAdvancedSettings(page);
    await page.locator('[data-test=field-retries] input').fill('7');
    await page.locator('[data-test=field-retries] input').blur();
    await page.locator('.n-tabs-tab[data-name=settings] [data-test=unsaved-dot]').waitFor();
    await page.locator('.n-tabs-tab[data-name=overview]').click();
    await page.locator('.n-dialog', { hasText: 'Unsaved changes' }).waitFor();
    await page.locator('.n-dialog button', { hasText: 'Keep editing' }).click();
    await expect(page.locator('[data-test=field-retries] input').inputValue()).resolves.toBe('7');
    await expect(page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)).resolves.toBe(`#/environments/${name}/settings`);
    await page.locator('.n-tabs-tab[data-name=overview]').click();
    await page.locator('.n-dialog button', { hasText: 'Discard changes' }).click();
    await page.waitForFunction(() => (globalThis as unknown as { location: { hash: string } }).location.hash.endsWith('/overview'));
  });

  it('sends traffic at 50 requests per second for 2 s: about 100 requests, the backends in view while it runs', async () => {
    await page.locator('.n-tabs-tab[data-name=traffic]').click();
    await page.locator('[data-test=traffic-by-duration]').click();
    await page.locator('[data-test=traffic-duration] input').fill('2');
    await page.locator('[data-test=traffic-duration] input').blur();
    await page.locator('[data-test=traffic-rate] input').fill('50');
    await page.locator('[data-test=traffic-rate] input').blur();
    await page.locator('[data-test=traffic-run]').click();
    await expect(page.locator('[data-test=traffic-server-cards] [data-test=traffic-server-card]').count()).resolves.toBe(2);
    await page.locator('[data-test=traffic-results][data-done=true]').waitFor({ timeout: 30_000 });
    const sent = Number((await page.locator('[data-test=traffic-sent]').textContent())!.replace(/\D/g, ''));
    console.log(`50 req/s for 2 s through the real load balancer: ${sent} requests`);
    expect(sent).toBeGreaterThanOrEqual(80);
    expect(sent).toBeLessThanOrEqual(120);
    await expect(page.locator('[data-test=traffic-elapsed]').textContent()).resolves.toMatch(/^[12](\.\d)? s$/);
  });

  it('a long run stops with Stop, and reads "Stopped", not failed; the form is as it was', async () => {
    await page.locator('[data-test=traffic-duration] input').fill('60');
    await page.locator('[data-test=traffic-duration] input').blur();
    await page.locator('[data-test=traffic-rate] input').fill('20');
    await page.locator('[data-test=traffic-rate] input').blur();
    const before = await page.locator('[data-test=traffic-results]').getAttribute('data-task');
    await page.locator('[data-test=traffic-run]').click();
    await page.locator(`[data-test=traffic-results]:not([data-task="${before}"])`).waitFor();
    await page.locator('[data-test=traffic-stop]').click();
    await page.locator('[data-test=traffic-results][data-stopped=true]').waitFor({ timeout: 10_000 });
    await expect(page.locator('[data-test=traffic-stopped]').textContent()).resolves.toBe('Stopped');
    await page.locator('[data-test=nav-tasks]').click();
    const stopped = page.locator('[data-test=task][data-kind=traffic][data-state=cancelled]').first();
    await expect(stopped.locator('[data-test=task-state]').textContent()).resolves.toBe('Stopped');
    await expect(stopped.locator('[data-test=error]').count()).resolves.toBe(0);
    await page.goBack();
    await page.locator('[data-test=traffic-duration] input').waitFor();
    await expect(page.locator('[data-test=traffic-duration] input').inputValue()).resolves.toBe('60');
    await expect(page.locator('[data-test=traffic-rate] input').inputValue()).resolves.toBe('20');
  });
});
