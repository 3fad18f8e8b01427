/**
 * The window listens: an environment created, changed or removed with the CLI on the data
 * folder `switchyard serve` uses shows up in the open window within a second, with no reload.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli';
import { ensureRendererBuilt, launchChromium, openPage, recordFailure, screenshot, startServe, type Served } from '../support/e2e';
import { freePort, uniqueName } from '../support/lab';

const name = uniqueName('pushed');
let served: Served;
let browser: Browser;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  ensureRendererBuilt();
  served = await startServe();
  browser = await launchChromium();
  ({ page, errors: pageErrors } = await openPage(browser, served.url));
  await page.locator('[data-test=environments]').waitFor();
});

afterEach((ctx) => recordFailure(ctx, page, pageErrors));

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('changes made with the CLI, in the open window', () => {
  it('`env create` shows in the list within a second', async () => {
    const port = await freePort();
    const r = await cli(served.dataDir, ['env', 'create', name, '--port', String(port)]);
    expect(r.stderr).toBe('');
    const t0 = Date.now();
    const row = page.locator(`[data-test=environment-row][data-env=${name}]`);
    await row.waitFor({ timeout: 1000 });
    console.log(`env create: in the window ${Date.now() - t0} ms after the CLI exited`);
    // Its status comes pushed too: not deployed.
    await row.locator('[data-test=state][data-state=not-deployed]').waitFor({ timeout: 2000 });
    expect(pageErrors).toEqual([]);
  });

  it('`server set` shows on the server card within a second', async () => {
    await page.locator(`[data-test=environment-row][data-env=${name}] a`).first().click();
    const card = page.locator(`[data-test=environment-view][data-env=${name}] [data-test=server-card][data-server=back2]`);
    await card.waitFor();
    await card.locator('[data-test=mode-ready].n-radio-button--checked').waitFor();
    const r = await cli(served.dataDir, ['server', 'set', name, 'back2', '--state', 'maint']);
    expect(r.stdout).toContain('back2: maint, weight 100 (saved; applied at the next deploy)');
    const t0 = Date.now();
    await card.locator('[data-test=mode-maint].n-radio-button--checked').waitFor({ timeout: 1000 });
    console.log(`server set: in the window ${Date.now() - t0} ms after the CLI exited`);
    await screenshot(page, 'pushed-server-set-en');
  });

  it('`env remove` takes it away, and the view says so', async () => {
    const r = await cli(served.dataDir, ['env', 'remove', name]);
    expect(r.code).toBe(0);
    await page.locator('[data-test=environment-view]').getByText(`There is no environment named ${name}.`).waitFor({ timeout: 1000 });
    expect(await page.locator('[data-test=environment-view] [data-test=server-card]').count()).toBe(0);
    await page.locator('a[href="#/environments"]').first().click();
    await expect(page.locator(`[data-test=environment-row][data-env=${name}]`).count()).resolves.toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
