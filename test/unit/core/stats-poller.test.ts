/**
 * How often the live-figures poller looks for a load balancer that is not there: every fifth
 * tick while nothing is deployed, and at the very next one once a deploy said it made one.
 * Ticks are run by hand (the timer is set far away), and the locator is a fake that counts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../../electron/core/events';
import { MonotonicCounters } from '../../../electron/core/stats/counters';
import { StatsPoller } from '../../../electron/core/stats/poller';

describe('the live-figures poller, for an environment not deployed yet', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-poller-'));
  let stop: (() => void) | undefined;
  afterEach(() => {
    stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('looks for its load balancer every fifth tick, and at the next tick once a deploy succeeded', async () => {
    let looked = 0;
    const poller = new StatsPoller(async () => void looked++, new EventBus(), new MonotonicCounters(dir), 3_600_000);
    const tick = () => (poller as unknown as { tick(): Promise<void> }).tick();
    stop = poller.watch('lab');
    await tick(); // the watch's own first poll may still be running: this one waits for none
    await new Promise((r) => setTimeout(r, 10));
    const base = looked;
    // Three ticks later it has not looked again (it looks at the fifth).
    for (let i = 0; i < 3; i++) await tick();
    expect(looked).toBe(base);
    const before = looked;
    poller.deployed('lab');
    await tick();
    expect(looked).toBe(before + 1);
  });
});
