/**
 * The tutorial lab, end to end, through the real window: `switchyard serve`, Chromium, the real
 * Docker engine and HAProxy. Create the lab with the form, deploy it, watch both backends turn
 * healthy, send traffic, put back1 in maintenance, stop back2's container, destroy.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deployLabThroughForm, ensureRendererBuilt, launchChromium, openAdvancedSettings, openPage, recordFailure, screenshot, startServe, type Served } from '../support/e2e';
import { freePort, removeEnvironments, uniqueName } from '../support/lab';

const name = uniqueName('lab');
let served: Served;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let httpPort: number;

const card = (server: string) => page.locator(`[data-test=server-card][data-server=${server}]`);

async function openTab(tab: string): Promise<void> {
  await page.locator(`.n-tabs-tab[data-name=${tab}]`).click();
}

/** Runs the traffic generator from the Traffic tab; returns the responses per backend. */
async function sendTraffic(requests: number): Promise<Record<string, number>> {
  await openTab('traffic');
  const results = page.locator('[data-test=traffic-results]');
  const before = (await results.count()) ? await results.getAttribute('data-task') : null;
  await page.locator('[data-test=traffic-requests] input').fill(String(requests));
  await page.locator('[data-test=traffic-requests] input').blur();
  await page.locator('[data-test=traffic-run]').click();
  await page.locator(`[data-test=traffic-results][data-done=true]:not([data-task="${before ?? ''}"])`).waitFor({ timeout: 60_000 });
  const rows = await page
    .locator('[data-test=traffic-by-server] [data-test=distribution-row]')
    .evaluateAll((els) => els.map((e) => [e.getAttribute('data-server') ?? '', Number(e.getAttribute('data-hits'))] as const));
  return Object.fromEntries(rows);
}

beforeAll(async () => {
  ensureRendererBuilt();
  httpPort = await freePort();
  served = await startServe();
  browser = await launchChromium();
  ({ page, errors: pageErrors } = await openPage(browser, served.url));
});

// What the window showed when a step failed, beside the other screenshots.
afterEach((ctx) => recordFailure(ctx, page, pageErrors));

afterAll(async () => {
  await browser?.close();
  const code = await served?.stop();
  await removeEnvironments(name);
  // Ctrl-C ends the server cleanly.
  expect(code).toBe(0);
});

describe('the lab through the window', () => {
  it('creates the lab with the form and deploys it; both backends turn healthy', async () => {
    await page.locator('[data-test=new-environment]').first().click();
    await page.locator('[data-test=environment-form]').waitFor();
    // The defaults are the tutorial's lab: two demo backends.
    await expect(page.locator('[data-test=server-row]').count()).resolves.toBe(2);
    await deployLabThroughForm(page, name, httpPort);
    await expect(page.locator('[data-test=environment-view] [data-test=env-url]').textContent()).resolves.toMatch(new RegExp(`^http://[^/]+:${httpPort}/$`));
  });

  it('sends traffic: round robin splits it about evenly', async () => {
    const byServer = await sendTraffic(200);
    expect(byServer.back1 + byServer.back2).toBe(200);
    expect(byServer.back1).toBeGreaterThanOrEqual(70);
    expect(byServer.back2).toBeGreaterThanOrEqual(70);
    await expect(page.locator('[data-test=traffic-sent]').textContent()).resolves.toBe('200');
    await screenshot(page, 'traffic-results-en-light');
  });

  it('takes screenshots of each main view in English and French, light and dark', async () => {
    const views: [string, string, string][] = [
      ['environments', '#/environments', `[data-test=environment-row][data-env=${name}] [data-state=running]`],
      ['new', '#/new', '[data-test=environment-form]'],
      ['overview', `#/environments/${name}`, '[data-test=server-card][data-health=UP]'],
      ['traffic', `#/environments/${name}/traffic`, '[data-test=traffic]'],
      ['config', `#/environments/${name}/config`, '[data-test=config-text], [data-test=diff]'],
      ['logs', `#/environments/${name}/logs`, '[data-test=log-line]'],
      ['settings-tab', `#/environments/${name}/settings`, '[data-test=environment-form]'],
      ['tasks', '#/tasks', '[data-test=task]'],
      ['settings', '#/settings', '[data-test=data-dir]'],
    ];
    for (const locale of ['en-US', 'fr-FR'] as const) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const { context, page: p, errors } = await openPage(browser, served.url, { locale, colorScheme });
        for (const [view, hash, ready] of views) {
          await p.evaluate(`window.location.hash = ${JSON.stringify(hash)}`);
          await p.locator(ready).first().waitFor({ timeout: 30_000 });
          // Charts and transitions settle.
          await p.waitForTimeout(600);
          await screenshot(p, `${view}-${locale.slice(0, 2)}-${colorScheme}`);
        }
        expect(await p.locator('html').getAttribute('lang')).toBe(locale.slice(0, 2));
        await context.close();
        expect(errors, `${locale} ${colorScheme}`).toEqual([]);
      }
    }
  });

  it('edits a setting: the deploy confirmation shows the change against the running config, then applies it', async () => {
    await openTab('settings');
    await page.locator('[data-test=environment-form]').waitFor();
    await openAdvancedSettings(page);
    await page.locator('[data-test=field-retries] input').fill('4');
    await page.locator('[data-test=field-retries] input').blur();
    await page.locator('[data-test=submit-deploy]').click();
    const dialog = page.locator('[data-test=deploy-dialog]');
    await dialog.waitFor();
    const added = await dialog.locator('[data-test=diff] [data-kind=added]').allTextContents();
    const removed = await dialog.locator('[data-test=diff] [data-kind=removed]').allTextContents();
    expect(added.join('\n')).toMatch(/retries 4/);
    expect(removed.join('\n')).toMatch(/retries 3/);
    // The dialog's entrance animation settles.
    await page.waitForTimeout(500);
    await screenshot(page, 'deploy-confirmation-en-light');
    await page.locator('[data-test=confirm-deploy]').click();
    await page.locator(`[data-test=environment-view][data-in-sync=true]`).waitFor({ timeout: 120_000 });
    await page.locator('[data-test=environment-view] [data-test=state][data-state=running]').waitFor({ timeout: 60_000 });
  });

  it('puts back1 in maintenance: only back2 gets hits', async () => {
    await openTab('overview');
    await card('back1').locator('[data-test=mode-maint]').click();
    await card('back1').and(page.locator('[data-health=MAINT]')).waitFor({ timeout: 20_000 });
    const byServer = await sendTraffic(100);
    expect(byServer.back1 ?? 0).toBe(0);
    expect(byServer.back2).toBe(100);
  });

  it("stops back2's container: its card turns red", async () => {
    await openTab('overview');
    await card('back2').locator('[data-test=server-container]').click();
    await card('back2').and(page.locator('[data-health=DOWN]')).waitFor({ timeout: 30_000 });
    await expect(card('back2').getAttribute('class')).resolves.toContain('health-error');
    // Red at once from the container's state; then HAProxy's own checks agree.
    await card('back2').and(page.locator('[data-haproxy-health=DOWN]')).waitFor({ timeout: 60_000 });
    await screenshot(page, 'overview-failover-en-light');
  });

  it('destroys the environment after confirmation', async () => {
    await page.locator('[data-test=destroy]').click();
    await page.locator('[data-test=confirm-destroy]').click();
    await page.locator('[data-test=environment-view] [data-test=state][data-state=not-deployed]').waitFor({ timeout: 120_000 });
    expect(pageErrors).toEqual([]);
  });
});
