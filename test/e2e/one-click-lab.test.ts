/**
 * The one-click lab, through the real window (`switchyard serve`, Chromium, the real Docker
 * engine and HAProxy): on a first launch, one button creates the tutorial lab on a free port and
 * deploys it; its page shows the deploy, and the lab answers from both demo backends.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_BASE_IMAGE, DEFAULT_HAPROXY_IMAGE } from '../../shared/model';
import { ensureRendererBuilt, launchChromium, openPage, recordFailure, startServe, type Served } from '../support/e2e';
import { cli } from '../support/cli';
import { TEST_IMAGES, docker, get, removeEnvironments } from '../support/lab';

let served: Served;
let browser: Browser;
let page: Page;
let pageErrors: string[];
/** The default image tags this test gave the local test images (no image can be pulled here). */
const tagged: string[] = [];
let labName: string | undefined;

/** Gives `source` the tag `ref` unless the engine has `ref` already, as a machine that pulled it would. */
async function provide(ref: string, source: string): Promise<void> {
  if (
    await docker
      .getImage(ref)
      .inspect()
      .then(
        () => true,
        () => false,
      )
  )
    return;
  const [repo, tag] = ref.split(':');
  await docker.getImage(source).tag({ repo, tag });
  tagged.push(ref);
}

beforeAll(async () => {
  ensureRendererBuilt();
  await provide(DEFAULT_HAPROXY_IMAGE, TEST_IMAGES.haproxy);
  await provide(DEFAULT_DEMO_BASE_IMAGE, TEST_IMAGES.demoBase);
  served = await startServe();
  browser = await launchChromium();
  ({ page, errors: pageErrors } = await openPage(browser, served.url));
});

afterEach((ctx) => recordFailure(ctx, page, pageErrors));

afterAll(async () => {
  await browser?.close();
  if (labName) await cli(served.dataDir, ['env', 'destroy', labName]);
  await served?.stop();
  if (labName) await removeEnvironments(labName);
  for (const ref of tagged)
    await docker
      .getImage(ref)
      .remove({ noprune: true })
      .catch(() => undefined);
});

describe('the one-click lab', () => {
  it('one button on the first launch creates and deploys the tutorial lab on a free port; both backends answer', async () => {
    const empty = page.locator('[data-test=environments] .n-empty');
    await empty.waitFor();
    await expect(empty.textContent()).resolves.toContain('at the first free port from 8080');
    await page.locator('[data-test=create-lab]').click();

    const view = page.locator('[data-test=environment-view]');
    await view.waitFor({ timeout: 30_000 });
    labName = (await view.getAttribute('data-env'))!;
    expect(labName).toMatch(/^lab(-\d+)?$/);
    await page.locator('[data-test=environment-task][data-state=succeeded]').waitFor({ timeout: 180_000 });

    const env = JSON.parse((await cli(served.dataDir, ['call', 'environments:get', JSON.stringify({ name: labName })])).stdout) as { httpPort: number; servers: { name: string }[] };
    expect(env.httpPort).toBeGreaterThanOrEqual(8080);
    expect(env.servers.map((s) => s.name)).toEqual(['back1', 'back2']);
    await expect(page.locator('[data-test=environment-view] > header').textContent()).resolves.toContain(`:${env.httpPort}`);

    const servedBy = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await get(env.httpPort);
      expect(r.status).toBe(200);
      servedBy.add(r.backend!);
    }
    expect([...servedBy].sort()).toEqual(['back1', 'back2']);
    console.log(`one-click lab: ${labName} on port ${env.httpPort}, answering from ${[...servedBy].sort().join(' and ')}`);
  });
});
