/**
 * One-click HTTPS through the window: the lab runs, the HTTPS panel is filled in (domain,
 * email, a custom ACME directory: Debian's Pebble), one click, the steps go by, and a browser
 * verifying against Pebble's root gets the lab over HTTPS. Then "Renew now" swaps the
 * certificate, and the panel shows the new one.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli';
import { ensureRendererBuilt, launchChromium, openPage, recordFailure, screenshot, startServe, type Served } from '../support/e2e';
import { TEST_IMAGES, freePort, removeEnvironments, uniqueName } from '../support/lab';
import { TestPebble, serialKey, verifiedHttpsGet } from '../support/pebble';

const DOMAIN = 'shop.switchyard.test';
const name = uniqueName('tlsui');
let pebble: TestPebble;
let root: string;
let served: Served;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let httpPort: number;
let httpsPort: number;

/** One HTTPS GET verified against Pebble's root, as a browser trusting it would. */
const httpsGet = () => verifiedHttpsGet(httpsPort, DOMAIN, root);

const panel = () => page.locator('[data-test=https-panel]');
const shownSerial = async () => serialKey((await panel().locator('[data-test=certificate-serial]').textContent()) ?? '');

beforeAll(async () => {
  ensureRendererBuilt();
  httpPort = await freePort();
  httpsPort = await freePort();
  pebble = await TestPebble.start({ httpPort, defaultIPv4: '' });
  root = await pebble.rootCa();
  await pebble.pointDomain(DOMAIN, '127.0.0.1');
  served = await startServe({ env: { SWITCHYARD_DNS_SERVERS: `127.0.0.1:${pebble.dnsPort}` } });
  // The lab itself is made by the command line on the same data folder: the window's part is HTTPS.
  const created = await cli(served.dataDir, ['call', 'environments:create', JSON.stringify({ name, httpPort, images: TEST_IMAGES })]);
  expect(created.code, created.stderr).toBe(0);
  const deployed = await cli(served.dataDir, ['env', 'deploy', name]);
  expect(deployed.code, deployed.stderr).toBe(0);
  browser = await launchChromium();
  ({ page, errors: pageErrors } = await openPage(browser, `${served.url}#/environments/${name}/https`));
});

afterEach((ctx) => recordFailure(ctx, page, pageErrors));

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  await removeEnvironments(name);
  await pebble?.stop();
});

describe('one-click HTTPS through the window', () => {
  it('refuses to start without the terms accepted, saying so on the checkbox', async () => {
    await panel().waitFor();
    await panel().locator('[data-test=https-domains] textarea').fill(DOMAIN);
    await panel().locator('[data-test=https-email] input').fill('ops@switchyard.test');
    await panel().locator('[data-test=https-enable]').click();
    await expect(
      panel()
        .locator('.n-form-item', { has: page.locator('[data-test=https-terms]') })
        .textContent(),
    ).resolves.toContain('terms must be accepted');
    await expect(panel().getAttribute('data-enabled')).resolves.toBe('false');
  });

  it('enables HTTPS in one click against a custom ACME directory; a verifying client gets the lab over HTTPS', async () => {
    await panel().locator('[data-test=https-directory]').click();
    await page.locator('.n-base-select-option', { hasText: 'Another ACME directory' }).click();
    await panel().locator('[data-test=https-url] input').fill(pebble.directoryUrl);
    await panel().locator('[data-test=https-ca] textarea').fill(pebble.caBundle);
    // Pebble's validator connects to the lab's HTTP port, not Let's Encrypt's 80: the preflight must probe the same.
    await panel().locator('[data-test=https-challenge-port] input').fill(String(httpPort));
    await panel().locator('[data-test=https-challenge-port] input').blur();
    await panel().locator('[data-test=https-port] input').fill(String(httpsPort));
    await panel().locator('[data-test=https-port] input').blur();
    await panel().locator('[data-test=https-terms]').click();
    await panel().locator('[data-test=https-enable]').click();

    // The steps show while they run, then the task's own summary.
    await panel().locator('[data-test=certificate-task][data-kind=certificate]').waitFor({ timeout: 30_000 });
    await panel().locator('[data-test=certificate-done]').waitFor({ timeout: 120_000 });
    await expect(panel().getAttribute('data-enabled')).resolves.toBe('true');

    // The environment is still running, in sync with its settings (the HTTPS listener is deployed).
    await page.locator('[data-test=environment-view][data-in-sync=true] [data-test=state][data-state=running]').waitFor({ timeout: 15_000 });
    const r = await httpsGet();
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/Hello from Backend: back[12]/);
    await panel().locator('[data-test=certificate-serial]').waitFor();
    expect(await shownSerial()).toBe(r.serial);
    await expect(panel().locator('[data-test=certificate]').textContent()).resolves.toContain(DOMAIN);
    await expect(panel().locator('[data-test=certificate-next]').textContent()).resolves.toMatch(/\d/);
    await expect(panel().locator('[data-test=https-url-link]').textContent()).resolves.toBe(`https://${DOMAIN}:${httpsPort}/`);
    await screenshot(page, 'https-enabled-en');
  });

  it('renews on request: the new certificate is served and shown, in French', async () => {
    const before = (await httpsGet()).serial;
    await page.locator('[data-test=language-fr]').click();
    await panel().locator('[data-test=https-renew]').click();
    await expect.poll(shownSerial, { timeout: 120_000, interval: 250 }).not.toBe(before);
    const after = await httpsGet();
    expect(after.serial).not.toBe(before);
    expect(await shownSerial()).toBe(after.serial);
    await expect(panel().textContent()).resolves.toContain('Renouveler maintenant');
    await screenshot(page, 'https-renewed-fr');
    await page.locator('[data-test=theme-switch]').click();
    await page.locator('[data-test=theme-switch].n-switch--active').waitFor();
    await page.waitForTimeout(500); // the colours fade over 0.3 s
    await screenshot(page, 'https-renewed-fr-dark');
    await page.locator('[data-test=theme-switch]').click();
    await page.locator('[data-test=language-en]').click();
  });

  it('the environments list says HTTPS is on and until when', async () => {
    await page.locator('[data-test=nav-environments]').click();
    const cell = page.locator(`[data-test=environment-row][data-env=${name}] [data-test=env-https]`);
    await cell.waitFor();
    await expect(cell.textContent()).resolves.toMatch(/On.*until .*\d{4}/);
    expect(pageErrors).toEqual([]);
  });
});
