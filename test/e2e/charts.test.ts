/**
 * The lab's charts through the real window: `switchyard serve`, Chromium, the real Docker engine
 * and HAProxy. Traffic shows per server and split 2xx / 4xx / 5xx over time, a drain moves the
 * split of the last minute, a load balancer that stops answering leaves a gap, and a window
 * opened later draws what came before.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { names } from '../../electron/core/environments/naming';
import { deployLabThroughForm, ensureRendererBuilt, launchChromium, openPage, recordFailure, screenshot, startServe, type Served } from '../support/e2e';
import { docker, freePort, get, removeEnvironments, uniqueName, until } from '../support/lab';

const name = uniqueName('charts');
let served: Served;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let httpPort: number;

const card = (server: string) => page.locator(`[data-test=server-card][data-server=${server}]`);

/** Requests from four clients at once for `ms`, as a user's browsers would send them; answers the statuses seen. */
async function load(ms: number, path = '/'): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  const end = Date.now() + ms;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() < end) {
        const r = await get(httpPort, { path }).catch(() => ({ status: 0 }));
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        await new Promise((res) => setTimeout(res, 20));
      }
    }),
  );
  return statuses;
}

/** What the page shows now (0 while it shows nothing yet). */
const count = async (cls: string) => {
  const totals = page.locator(`[data-test=response-totals] [data-class="${cls}"]`);
  return (await totals.count()) ? Number(await totals.getAttribute('data-count')) : 0;
};
const hits = async (server: string) => {
  const row = page.locator(`[data-test=recent-distribution] [data-server=${server}]`);
  return (await row.count()) ? Number(await row.getAttribute('data-hits')) : 0;
};
/** Waits until the page shows it: the charts follow the core's snapshots, a second apart. */
const shows = (what: string, fn: () => Promise<boolean>) => until(what, fn, 20_000, 200);

async function mode(server: string, m: 'ready' | 'drain' | 'maint', health: string): Promise<void> {
  await card(server).locator(`[data-test=mode-${m}]`).click();
  await card(server)
    .and(page.locator(`[data-health=${health}]`))
    .waitFor({ timeout: 20_000 });
}

beforeAll(async () => {
  ensureRendererBuilt();
  httpPort = await freePort();
  served = await startServe();
  browser = await launchChromium();
  ({ page, errors: pageErrors } = await openPage(browser, served.url));
});

afterEach((ctx) => recordFailure(ctx, page, pageErrors));

afterAll(async () => {
  await browser?.close();
  const code = await served?.stop();
  await removeEnvironments(name);
  expect(code).toBe(0);
});

describe('the charts through the window', () => {
  it('draw each server’s hits over time, and responses split 2xx / 4xx', async () => {
    await page.locator('[data-test=new-environment]').first().click();
    await page.locator('[data-test=environment-form]').waitFor();
    await deployLabThroughForm(page, name, httpPort);
    const ok = await load(6000);
    const missing = await load(1500, '/no-such-page');
    console.log(`sent: ${JSON.stringify(ok)} to /, ${JSON.stringify(missing)} to /no-such-page`);
    expect(Object.keys(ok)).toEqual(['200']);
    expect(Object.keys(missing)).toEqual(['404']);
    await shows('2xx and 4xx counted', async () => (await count('2xx')) > 0 && (await count('4xx')) > 0);
    expect(await page.locator('[data-test=server-card] [data-test=time-chart] canvas').count()).toBe(2);
    // The legend under each chart gives the latest figure while the pointer is elsewhere.
    await expect(card('back1').locator('.u-legend .u-series').nth(1).locator('.u-value').textContent()).resolves.toMatch(/\/s$/);
  });

  it('a drain moves the split of the last minute', async () => {
    await page.locator('[data-test=window-1m]').click();
    await page.locator('[data-test=environment-view] .live-charts[data-window="1m"]').waitFor();
    await mode('back2', 'drain', 'DRAIN');
    await load(1500);
    const before = { back1: await hits('back1'), back2: await hits('back2') };
    await load(5000);
    await shows('back1 got the new requests', async () => (await hits('back1')) > before.back1 + 50);
    const after = { back1: await hits('back1'), back2: await hits('back2') };
    console.log(`last minute, before and after 5 s of traffic with back2 draining: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    expect(after.back2).toBe(before.back2);
    expect(after.back1 / (after.back1 + after.back2)).toBeGreaterThan(before.back1 / (before.back1 + before.back2));
    await mode('back2', 'ready', 'UP');
  });

  it('no server up: the 503s HAProxy answers show as 5xx', async () => {
    await mode('back1', 'maint', 'MAINT');
    await mode('back2', 'maint', 'MAINT');
    const answered = await load(2000);
    expect(Object.keys(answered)).toEqual(['503']);
    await shows('5xx counted', async () => (await count('5xx')) > 0);
    expect(await count('5xx')).toBeLessThanOrEqual(answered['503']);
    await mode('back1', 'ready', 'UP');
    await mode('back2', 'ready', 'UP');
  });

  it('a load balancer that does not answer leaves a gap in the lines, and the chart says so', async () => {
    const lb = docker.getContainer(names.haproxy(name));
    await lb.pause();
    try {
      await page.locator('[data-test=environment-view] .n-alert').filter({ hasText: 'unavailable' }).first().waitFor({ timeout: 20_000 });
    } finally {
      await lb.unpause();
    }
    await load(3000);
    await page.locator('[data-test=chart-gap-note]').waitFor({ timeout: 20_000 });
    await expect(page.locator('[data-test=response-rates] [data-test=time-chart]').getAttribute('aria-label')).resolves.toMatch(/no figures from .+ to .+/);
  });

  it('a window opened later draws what came before at once', async () => {
    await page.reload();
    await page.locator('[data-test=environment-view] [data-test=response-totals]').waitFor({ timeout: 10_000 });
    expect(await count('2xx')).toBeGreaterThan(0);
    expect(await count('5xx')).toBeGreaterThan(0);
    await page.locator('[data-test=chart-gap-note]').waitFor({ timeout: 5000 });
    // The pointer over the rate chart: the legend gives the figures at that time.
    await page.locator('[data-test=window-5m]').click();
    await load(2000);
    const over = page.locator('[data-test=response-rates] .u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.97, box.y + box.height / 2);
    await expect(page.locator('[data-test=response-rates] .u-legend .u-series').first().locator('.u-value').textContent()).resolves.toMatch(/\d{2}:\d{2}:\d{2}/);
    await page.waitForTimeout(400);
    await screenshot(page, 'charts-en-light');
    expect(pageErrors).toEqual([]);
  });

  it('reads in French, in the dark theme too', async () => {
    const { context, page: fr, errors } = await openPage(browser, `${served.url}#/environments/${name}`, { locale: 'fr-FR', colorScheme: 'dark' });
    try {
      await fr.locator('[data-test=response-totals]').waitFor({ timeout: 10_000 });
      await expect(fr.locator('[data-test=response-totals]').textContent()).resolves.toContain('Sur cette période :');
      await expect(fr.locator('[data-test=response-rates] .u-legend .u-series').first().locator('.u-label').textContent()).resolves.toBe('Heure');
      await fr.waitForTimeout(400);
      await screenshot(fr, 'charts-fr-dark');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
