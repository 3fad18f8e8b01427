/**
 * Releases in the real window: an app environment on the real Docker engine and HAProxy, a
 * release started from the Releases tab watched server by server under load, a bad release
 * started from the CLI rolled back by itself (the window hears it), and a rollback confirmed in
 * a second, French window.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli';
import { ensureRendererBuilt, launchChromium, openPage, recordFailure, screenshot, startServe, type Served } from '../support/e2e';
import { TEST_IMAGES, docker, freePort, removeEnvironments, testCore, uniqueName } from '../support/lab';
import { buildReleaseImage, startClients } from '../support/release-app';

const name = uniqueName('rel');
const repo = `sy-test-release-${name}`;
const SERVERS = ['app1', 'app2'];
let served: Served;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let port: number;

const release = (p: Page, n: number) => p.locator(`[data-test=release][data-number="${n}"]`);
const chip = (p: Page, server: string, phase: string) => p.locator(`[data-test=rollout-server][data-server=${server}][data-phase=${phase}]`);

/** Short waits, so each release takes seconds; set in the form's advanced part as a user would. */
async function fastRollout(p: Page): Promise<void> {
  if (!(await p.locator('[data-test=release-monitor]').isVisible())) await p.locator('[data-test=release-advanced]').click();
  for (const [field, value] of [
    ['release-health-timeout', '20'],
    ['release-drain-timeout', '0.5'],
    ['release-monitor', '1.5'],
  ]) {
    await p.locator(`[data-test=${field}] input`).fill(value);
    await p.locator(`[data-test=${field}] input`).blur();
  }
}

beforeAll(async () => {
  ensureRendererBuilt();
  [served] = await Promise.all([startServe(), buildReleaseImage(`${repo}:v1`, '1'), buildReleaseImage(`${repo}:v2`, '2')]);
  port = await freePort();
  // Kept as soon as it is up, so afterAll closes it even when the set-up fails.
  const opening = launchChromium().then((b) => (browser = b));
  // Set up as the CLI would, on the data folder `serve` uses, without a second process's start-up.
  const setup = testCore(process.env, { dataDir: served.dataDir });
  try {
    await setup.call('environments:create', {
      name,
      httpPort: port,
      images: TEST_IMAGES,
      healthCheck: { interval: 500, rise: 1, fall: 2 },
      app: { source: { kind: 'image', image: `${repo}:v1` }, port: 80, env: [{ name: 'BACKEND_NAME', value: '{{server}}' }] },
      servers: SERVERS.map((s) => ({ name: s, kind: 'app' as const })),
    });
    const task = await setup.runTask('environments:deploy', name);
    expect(task.state, `${task.error?.code} ${task.message}`).toBe('succeeded');
  } finally {
    await setup.core.close();
  }
  await opening;
  ({ page, errors: pageErrors } = await openPage(browser, `${served.url}#/environments/${name}/releases`, { locale: 'en-US', colorScheme: 'light', height: 1000 }));
  await page.locator('[data-test=releases]').waitFor();
});

afterEach((ctx) => recordFailure(ctx, page, pageErrors));

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  await removeEnvironments(name);
  for (const tag of [`${repo}:v1`, `${repo}:v2`, ...[1, 2, 3, 4, 5].map((n) => `sy-app/${name}:r${n}`)]) {
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
  }
});

describe('the Releases tab', () => {
  it('hears a bad release started from the CLI roll back by itself, with its cause and the new container’s last lines', async () => {
    await page.locator('[data-test=releases-empty]').waitFor();
    const r = await cli(served.dataDir, ['release', name, '--env', 'CRASH_WITH=missing DATABASE_URL', '--health-timeout', '20', '--drain-timeout', '0.5', '--monitor', '1.5']);
    expect(r.code).toBe(1);
    // Release 1 is what the deploy started (recorded by the first release); 2 crashed at start.
    await release(page, 2).locator('[data-test=result]').getByText('rolled back').waitFor({ timeout: 5000 });
    await expect(release(page, 1).locator('[data-test=serving]').textContent()).resolves.toBe('serving');
    const cause = page.locator('[data-test=cause-row][data-number="2"]');
    await expect(cause.locator('[data-test=cause]').textContent()).resolves.toBe('The new container of app1 stopped (exit code 3) before it passed its health check.');
    await expect(release(page, 2).locator('[data-test=changes]').textContent()).resolves.toContain('variables CRASH_WITH');
    await cause.locator('[data-test=cause-logs] summary').click();
    await expect(cause.locator('[data-test=cause-logs] pre').textContent()).resolves.toContain('missing DATABASE_URL');
  });

  it('releases a new image from the form, server by server, old → new, without a failed request', async () => {
    const image = page.locator('[data-test=release-image] input');
    await expect(image.inputValue()).resolves.toBe(`${repo}:v1`);
    await image.fill(`${repo}:v2`);
    await fastRollout(page);
    const clients = startClients(port, 1);
    await page.locator('[data-test=release-start]').click();
    await page.locator('[data-test=release-live][data-number="3"]').waitFor({ timeout: 30_000 });
    // Mid-way: the first server is on the new release while the other is still being replaced.
    await chip(page, 'app1', 'new').waitFor({ timeout: 20_000 });
    expect(await chip(page, 'app2', 'new').count()).toBe(0);
    await screenshot(page, 'releases-en-light');
    await release(page, 3).locator('[data-test=result]').getByText('succeeded').waitFor({ timeout: 30_000 });
    const load = await clients.stop();
    const failed = Object.values(load).reduce((n, l) => n + l.failed, 0);
    const ok = Object.values(load).reduce((n, l) => n + l.ok, 0);
    console.log(`release from the window: ${ok} requests answered, ${failed} failed`);
    expect(failed).toBe(0);
    expect(ok).toBeGreaterThan(20);
    await page.locator('[data-test=release-live]').waitFor({ state: 'detached' });
    await expect(release(page, 3).locator('[data-test=changes]').innerText()).resolves.toBe(`image ${repo}:v1 → ${repo}:v2`);
    await expect(release(page, 3).locator('[data-test=failed]').textContent()).resolves.toBe('0');
    await expect(release(page, 3).locator('[data-test=serving]').count()).resolves.toBe(1);
    // What runs now prefills the next release.
    await expect(image.inputValue()).resolves.toBe(`${repo}:v2`);
  });

  it('rolls back to release 1 from a French window once confirmed; both windows follow it live', async () => {
    const fr = await openPage(browser, `${served.url}#/environments/${name}/releases`, { locale: 'fr-FR', colorScheme: 'dark', height: 1000 });
    try {
      const p = fr.page;
      await release(p, 1).locator('[data-test=rollback]').waitFor();
      await fastRollout(p);
      await release(p, 1).locator('[data-test=rollback]').click();
      await p.locator('.n-dialog').getByText('Ramener').waitFor();
      await p.locator('[data-test=confirm-rollback]').click();
      await p.locator('[data-test=release-live][data-number="4"]').getByText('Retour à la mise en production 1 en cours').waitFor({ timeout: 10_000 });
      await chip(p, 'app1', 'new').waitFor({ timeout: 20_000 });
      await chip(page, 'app1', 'new').waitFor({ timeout: 5000 });
      await screenshot(p, 'releases-fr-dark');
      await release(p, 4).locator('[data-test=result]').getByText('réussie').waitFor({ timeout: 30_000 });
      await expect(release(p, 4).locator('[data-test=back-to]').innerText()).resolves.toBe('retour à 1');
      await expect(p.locator('[data-test=cause-row][data-number="2"] [data-test=cause]').innerText()).resolves.toBe(
        'Le nouveau conteneur de app1 s’est arrêté (code de sortie 3) avant de réussir son contrôle de santé.',
      );
      await release(page, 4).locator('[data-test=serving]').waitFor({ timeout: 5000 });
      expect(fr.errors).toEqual([]);
    } finally {
      await fr.context.close();
    }
    expect(pageErrors).toEqual([]);
  });
});
