/**
 * Your own app through the real window: `switchyard serve`, Chromium, the real Docker engine.
 * The tutorial's folder is built by the engine and run as three replicas made with the form;
 * their cards name the image and container, a replica's own output is followed in its panel,
 * and "Test the app" reports every check passed.
 */
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt, launchChromium, openAdvancedSettings, openPage, recordFailure, screenshot, startServe, type Served } from '../support/e2e';
import { TEST_IMAGES, docker, freePort, removeEnvironments, uniqueName } from '../support/lab';
import { tutorialAppFolder } from '../support/tutorial-app';

const name = uniqueName('shop');
const folder = tutorialAppFolder();
let served: Served;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let httpPort: number;

const card = (server: string) => page.locator(`[data-test=server-card][data-server=${server}]`);

async function fill(selector: string, value: string): Promise<void> {
  await page.locator(`${selector} input`).fill(value);
  await page.locator(`${selector} input`).blur();
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
  await docker
    .getImage(`sy-app/${name}:latest`)
    .remove({ force: true })
    .catch(() => undefined);
  rmSync(folder, { recursive: true, force: true });
  expect(code).toBe(0);
});

describe('your own app through the window', () => {
  it('the form runs a folder as three replicas, with a variable naming each and a secret', async () => {
    await page.locator('[data-test=new-environment]').first().click();
    await page.locator('[data-test=environment-form]').waitFor();
    await fill('[data-test=field-name]', name);
    await fill('[data-test=field-httpPort]', String(httpPort));
    await openAdvancedSettings(page);
    await fill('[data-test=field-haproxyImage]', TEST_IMAGES.haproxy);
    await page.locator('[data-test=backends-app]').click();
    await page.locator('[data-test=app-source-build]').click();
    await fill('[data-test=app-context]', folder);
    await fill('[data-test=app-replicas]', '3');
    await page.locator('[data-test=app-var-add]').click();
    await page.locator('[data-test=app-var-add]').click();
    const vars = page.locator('[data-test=app-var]');
    await vars.nth(0).locator('[data-test=app-var-name] input').fill('BACKEND_NAME');
    await vars.nth(0).locator('[data-test=app-var-value] input').fill('{{server}}');
    await vars.nth(1).locator('[data-test=app-var-name] input').fill('API_TOKEN');
    await vars.nth(1).locator('[data-test=app-var-secret]').click();
    await vars.nth(1).locator('[data-test=app-var-value] input').fill('tok-e2e-never-shown');
    await expect(vars.nth(1).locator('[data-test=app-var-value] input').getAttribute('type')).resolves.toBe('password');
    await expect(page.locator('[data-test=app-replica-names]').textContent()).resolves.toBe('back1 … back3');
    await expect(page.locator('[data-test=server-kind-app]').count()).resolves.toBe(3);
    await page.locator('[data-test=app-fields]').scrollIntoViewIfNeeded();
    await screenshot(page, 'app-new-form-en');

    await page.locator('[data-test=submit-deploy]').click();
    await page.locator(`[data-test=environment-view][data-env=${name}]`).waitFor();
    await page.locator('[data-test=environment-view] [data-test=state][data-state=running]').waitFor({ timeout: 180_000 });
    for (const server of ['back1', 'back2', 'back3']) await card(server).locator('[data-test=server-health]').waitFor();
    for (const server of ['back1', 'back2', 'back3']) await page.locator(`[data-test=server-card][data-server=${server}][data-health=UP]`).waitFor({ timeout: 60_000 });
  });

  it("each replica's card names its image and container, how long it has run and its restarts", async () => {
    await card('back2').locator('[data-test=server-uptime]').filter({ hasText: /\d/ }).waitFor();
    await expect(card('back2').locator('[data-test=server-image]').textContent()).resolves.toBe(`sy-app/${name}:latest`);
    await expect(card('back2').locator('[data-test=server-container-name]').textContent()).resolves.toBe(`sy-${name}-back2`);
    await expect(card('back2').locator('[data-test=server-restarts]').textContent()).resolves.toBe('0');
    await expect(page.content()).resolves.not.toContain('tok-e2e-never-shown');
    await screenshot(page, 'app-replicas-en');
  });

  it("follows a replica's own output in its panel", async () => {
    await card('back2').locator('[data-test=server-output]').click();
    const output = page.locator('[data-test=replica-output][data-server=back2]');
    await output.locator('[data-test=replica-output-line]', { hasText: 'tutorial app back2 listening on 80' }).waitFor();
    await expect(output.textContent()).resolves.not.toContain('back1');
    await screenshot(page, 'app-output-en');
    await page.locator('.n-drawer .n-base-close').click();
    await output.waitFor({ state: 'detached' });
  });

  it('"Test the app" in the settings reports every check passed, in French', async () => {
    await page.goto(`${served.url}#/settings`);
    await page.locator('[data-test=settings-language]').getByText('Français').click();
    await page.goto(`${served.url}#/environments/${name}/settings`);
    await page.locator('[data-test=app-test-run]').click();
    await page.locator('[data-test=app-test][data-state=passed]').waitFor({ timeout: 120_000 });
    await expect(page.locator('[data-test=app-test-verdict]').textContent()).resolves.toContain('L’app a réussi');
    await expect(page.locator('[data-test=app-test-check][data-result=ok]').count()).resolves.toBe(4);
    await expect(page.locator('[data-test=app-var][data-secret=true] [data-test=app-var-set]').textContent()).resolves.toBe('définie');
    await page.locator('[data-test=app-test]').scrollIntoViewIfNeeded();
    await screenshot(page, 'app-settings-test-fr');
  });
});
