/**
 * A remote host through the window: add a real OpenSSH server from the hosts view, compare and
 * trust its host key, see every check pass, create the lab on it with the form and deploy it
 * over SSH; then the server's key changes and the window says so and asks before trusting.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deployLabThroughForm, ensureRendererBuilt, launchChromium, openPage, recordFailure, screenshot, startServe, type Served } from '../support/e2e';
import { freePort, removeEnvironments, uniqueName } from '../support/lab';
import { TestSshd } from '../support/sshd';

const name = uniqueName('sshui');
const hostName = 'vps-e2e';
let sshd: TestSshd;
let served: Served;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let httpPort: number;

const hostCard = () => page.locator(`[data-test=host-card][data-host=${hostName}]`);

beforeAll(async () => {
  ensureRendererBuilt();
  sshd = await TestSshd.start();
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
  await sshd?.stop();
});

describe('a remote host through the window', () => {
  it('adds the host, shows the fingerprint ssh-keygen shows, trusts it, and every check passes', async () => {
    const u = sshd.users.dockerPassword;
    await page.locator('[data-test=nav-hosts]').click();
    await page.locator('[data-test=add-host]').click();
    await page.locator('[data-test=host-name] input').fill(hostName);
    await page.locator('[data-test=host-address] input').fill(sshd.address);
    await page.locator('[data-test=host-port] input').fill(String(sshd.port));
    await page.locator('[data-test=host-user] input').fill(u.name);
    await page.locator('[data-test=host-method-password]').click();
    await page.locator('[data-test=host-password] input').fill(u.password!);
    await page.locator('[data-test=host-submit]').click();

    const question = hostCard().locator('[data-test=host-key-question][data-kind=unknown]');
    await question.waitFor({ timeout: 30_000 });
    const expected = await sshd.hostFingerprint();
    await expect(question.locator('[data-test=presented-fingerprint]').textContent()).resolves.toBe(expected.fingerprint);
    await screenshot(page, 'hosts-fingerprint-en');

    await question.locator('[data-test=host-trust]').click();
    await hostCard().locator('[data-test=host-ready]').waitFor({ timeout: 60_000 });
    const checks = await hostCard()
      .locator('[data-test=host-checks] li')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-check'), e.getAttribute('data-ok')]));
    expect(checks).toEqual(['reachable', 'host-key', 'authenticated', 'docker', 'docker-access', 'architecture', 'disk', 'swarm'].map((c) => [c, 'true']));
    await expect(hostCard().locator('[data-test=host-fingerprint]').textContent()).resolves.toContain(expected.fingerprint);
    // The password went to the core, and nothing sends it back.
    await expect(page.content()).resolves.not.toContain(u.password!);
    await screenshot(page, 'hosts-checked-en');
  });

  it('creates the lab on that host with the form and deploys it over SSH', async () => {
    // From the host's card: the form opens with that host chosen.
    await hostCard().locator('[data-test=host-create-env]').click();
    await page.locator('[data-test=environment-form]').waitFor();
    await expect(page.locator('[data-test=field-host]').textContent()).resolves.toContain(hostName);
    await deployLabThroughForm(page, name, httpPort);
    // The URL names the SSH host's address, and the lab answers there.
    const url = (await page.locator('[data-test=environment-view] [data-test=env-url]').textContent())!;
    expect(url).toBe(`http://${sshd.address}:${httpPort}/`);
    const body = await (await fetch(url)).text();
    expect(body).toMatch(/Hello from Backend: back[12]/);
  });

  it('after the server’s key changes, says so in red and trusts the new key only after a confirmation', async () => {
    // A reinstalled server: its sessions end, and it comes back with a new key.
    sshd.killSessions();
    await sshd.swapHostKey();
    await page.locator('[data-test=nav-hosts]').click();
    await page.locator('[data-test=language-fr]').click();
    await hostCard().locator('[data-test=host-check]').click();
    const question = hostCard().locator('[data-test=host-key-question][data-kind=changed]');
    await question.waitFor({ timeout: 30_000 });
    const fresh = await sshd.hostFingerprint();
    await expect(question.locator('[data-test=presented-fingerprint]').textContent()).resolves.toBe(fresh.fingerprint);
    await expect(question.textContent()).resolves.toContain('La clé de l’hôte a changé');
    await expect(hostCard().locator('[data-test=host-checks] li[data-check=authenticated]').getAttribute('data-ok')).resolves.toBe('false');
    await screenshot(page, 'hosts-key-changed-fr');
    await page.locator('[data-test=theme-switch]').click();
    await page.locator('[data-test=theme-switch].n-switch--active').waitFor();
    await page.waitForTimeout(500); // the colours fade over 0.3 s
    await screenshot(page, 'hosts-key-changed-fr-dark');
    await page.locator('[data-test=theme-switch]').click();

    await question.locator('[data-test=host-trust]').click();
    await page.locator('.n-dialog .n-button--error-type, .n-dialog .n-button--warning-type').filter({ hasText: 'Approuver la nouvelle clé' }).click();
    await hostCard().locator('[data-test=host-ready]').waitFor({ timeout: 60_000 });
    await expect(hostCard().locator('[data-test=host-fingerprint]').textContent()).resolves.toContain(fresh.fingerprint);
    await page.locator('[data-test=language-en]').click();
    expect(pageErrors).toEqual([]);
  });
});
