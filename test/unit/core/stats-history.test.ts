import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StatsHistoryKeeper } from '../../../electron/core/stats/history';
import { names } from '../../../electron/core/environments/naming';
import type { ServerStats, StatsSample, StatsSnapshot } from '../../../shared/live';
import { COARSE_STEP_MS, FINE_MS, HISTORY_MS, MAX_SAMPLES } from '../../../shared/stats-history';
import { OTHER } from '../../support/fake-lab';
import { until } from '../../support/lab';
import { refusal, startFakeServices, type FakeServices } from '../../support/fake-services';

/**
 * The last hour of figures the core keeps per environment, so a view opened later draws it:
 * bounded whatever the poll interval, detailed for the last minutes, with gaps where nothing was
 * polled, and gone with the environment.
 */

const T0 = Date.parse('2026-01-01T10:00:00.000Z');

const server = (name: string, hits: number): ServerStats => ({
  name,
  health: 'UP',
  status: 'UP',
  state: 'ready',
  checkStatus: 'L7OK',
  weight: 100,
  sessions: 0,
  hits,
  hitsPerSecond: 0,
  responses: { '2xx': hits, '3xx': 0, '4xx': 0, '5xx': 0 },
});

function snapshot(at: number, hits: Record<string, number>, responses?: { '2xx': number; '4xx': number; '5xx': number }): StatsSnapshot {
  const total = Object.values(hits).reduce((a, b) => a + b, 0);
  return {
    environment: 'lab',
    at: new Date(at).toISOString(),
    reachable: true,
    frontend: { requestRate: 0, requests: total, sessions: 0 },
    backend: { responses: responses ?? { '2xx': total, '4xx': 0, '5xx': 0 } },
    servers: Object.entries(hits).map(([name, n]) => server(name, n)),
  };
}

const down = (at: number): StatsSnapshot => ({
  environment: 'lab',
  at: new Date(at).toISOString(),
  reachable: false,
  error: 'connect ECONNREFUSED',
  frontend: { requestRate: 0, requests: 0, sessions: 0 },
  servers: [],
});

/** Polls every `stepMs` from `from` to `to` (included) while back1 gets `rates[0]` requests a second and back2 `rates[1]`. */
function poll(keeper: StatsHistoryKeeper, totals: Record<string, number>, from: number, to: number, stepMs: number, rates: [number, number] = [3, 1]): void {
  for (let at = from; at <= to; at += stepMs) {
    if (at > from) {
      totals.back1 += (rates[0] * stepMs) / 1000;
      totals.back2 += (rates[1] * stepMs) / 1000;
    }
    keeper.record(snapshot(at, { ...totals }));
  }
}

const span = (s: StatsSample) => s.to - s.from;
const sum = (samples: StatsSample[], server: string) => samples.reduce((n, s) => n + (s.servers[server] ?? 0), 0);
/** Where one sample does not start where the one before ended: nothing was polled in between. */
const gapsOf = (samples: StatsSample[]) => samples.slice(1).flatMap((s, i) => (s.from > samples[i].to ? [{ from: samples[i].to, to: s.from }] : []));

describe('the history of an environment’s figures', () => {
  let clock: number;
  let keeper: StatsHistoryKeeper;
  beforeEach(() => {
    clock = T0;
    keeper = new StatsHistoryKeeper(() => clock);
  });

  it('keeps the last five minutes one sample per poll, ten-second samples before, nothing older than an hour', () => {
    const totals = { back1: 0, back2: 0 };
    const end = T0 + 2 * HISTORY_MS;
    poll(keeper, totals, T0, end, 1000);
    clock = end;
    const { samples } = keeper.of('lab');
    console.log(`two hours polled every second: ${samples.length} samples kept (bound ${MAX_SAMPLES}), ${JSON.stringify(samples).length} bytes of JSON`);
    expect(samples.length).toBeLessThanOrEqual(MAX_SAMPLES);
    expect(samples[0].from).toBeGreaterThanOrEqual(end - HISTORY_MS - COARSE_STEP_MS);
    const recent = samples.filter((s) => s.to > end - FINE_MS);
    expect(recent).toHaveLength(300);
    expect(recent.every((s) => span(s) === 1000)).toBe(true);
    const older = samples.filter((s) => s.to <= end - FINE_MS);
    expect(older.length).toBeGreaterThan(320);
    expect(older.slice(1).every((s) => span(s) === COARSE_STEP_MS)).toBe(true);
    // Merging loses no request: what the hour holds is what was sent in it.
    expect(gapsOf(samples)).toEqual([]);
    const seconds = (samples.at(-1)!.to - samples[0].from) / 1000;
    expect(sum(samples, 'back1')).toBe(3 * seconds);
    expect(sum(samples, 'back2')).toBe(seconds);
    expect(samples.reduce((n, s) => n + s.responses['2xx'], 0)).toBe(4 * seconds);
  });

  it('polls faster than once a second make one sample a second, and none of their requests is lost', () => {
    const totals = { back1: 0, back2: 0 };
    poll(keeper, totals, T0, T0 + 10_000, 200, [5, 10]);
    const { samples } = keeper.of('lab');
    expect(samples).toHaveLength(10);
    expect(samples.every((s) => span(s) === 1000)).toBe(true);
    expect(sum(samples, 'back1')).toBe(50);
    expect(sum(samples, 'back2')).toBe(100);
  });

  it('polls once a minute keep one sample each for the hour', () => {
    const totals = { back1: 0, back2: 0 };
    const end = T0 + 2 * HISTORY_MS;
    poll(keeper, totals, T0, end, 60_000);
    clock = end;
    const { samples } = keeper.of('lab');
    expect(samples).toHaveLength(60);
    expect(samples.every((s) => span(s) === 60_000 && s.servers.back1 === 180)).toBe(true);
  });

  it('a poll HAProxy did not answer leaves a gap no sample bridges, even once downsampled', () => {
    const totals = { back1: 0, back2: 0 };
    poll(keeper, totals, T0, T0 + 100_000, 1000);
    expect(keeper.record(down(T0 + 101_000))).toBeUndefined();
    // Back after a restart: the first answer is only where counting starts again, whatever
    // the totals did meanwhile.
    totals.back1 += 500;
    expect(keeper.record(snapshot(T0 + 131_000, { ...totals }))).toBeUndefined();
    poll(keeper, totals, T0 + 131_000, T0 + 20 * 60_000, 1000);
    clock = T0 + 20 * 60_000;
    const { samples } = keeper.of('lab');
    // Fifteen minutes later the gap is in the ten-second part, still a gap.
    expect(gapsOf(samples)).toEqual([{ from: T0 + 100_000, to: T0 + 131_000 }]);
    expect(samples.filter((s) => s.to <= T0 + 131_000).every((s) => span(s) === COARSE_STEP_MS || s.to === T0 + 100_000)).toBe(true);
    expect(Math.max(...samples.map((s) => s.servers.back1 / (span(s) / 1000)))).toBe(3);
  });

  it('polling that stops (nobody watches) leaves a gap too', () => {
    const totals = { back1: 0, back2: 0 };
    poll(keeper, totals, T0, T0 + 10_000, 1000);
    keeper.interrupt('lab');
    poll(keeper, totals, T0 + 70_000, T0 + 80_000, 1000);
    expect(gapsOf(keeper.of('lab').samples)).toEqual([{ from: T0 + 10_000, to: T0 + 70_000 }]);
  });

  it('a server added later counts from its second poll; one removed keeps its earlier samples', () => {
    keeper.record(snapshot(T0, { back1: 0 }));
    keeper.record(snapshot(T0 + 1000, { back1: 2 }));
    keeper.record(snapshot(T0 + 2000, { back1: 4, back3: 7 }));
    keeper.record(snapshot(T0 + 3000, { back1: 6, back3: 9 }));
    keeper.record(snapshot(T0 + 4000, { back3: 12 }));
    expect(keeper.of('lab').samples.map((s) => s.servers)).toEqual([{ back1: 2 }, { back1: 2 }, { back1: 2, back3: 2 }, { back3: 3 }]);
  });

  it('counts the 503s HAProxy answers itself (no server up) as 5xx, from the backend’s counters', () => {
    keeper.record(snapshot(T0, { back1: 10 }, { '2xx': 10, '4xx': 1, '5xx': 0 }));
    const sample = keeper.record(snapshot(T0 + 1000, { back1: 10 }, { '2xx': 10, '4xx': 1, '5xx': 25 }));
    expect(sample).toMatchObject({ servers: { back1: 0 }, responses: { '2xx': 0, '4xx': 0, '5xx': 25 } });
  });

  it('answers the last hour by the clock, as copies; forget drops it all', () => {
    const totals = { back1: 0, back2: 0 };
    poll(keeper, totals, T0, T0 + 5000, 1000);
    const answered = keeper.of('lab');
    answered.samples[0].servers.back1 = 1e6;
    expect(keeper.of('lab').samples[0].servers.back1).toBe(3);
    // An hour and more without a poll: nothing of it is recent any more.
    clock = T0 + HISTORY_MS + 5000;
    expect(keeper.of('lab').samples).toEqual([]);
    clock = T0 + 5000;
    keeper.forget('lab');
    expect(keeper.of('lab')).toEqual({ environment: 'lab', samples: [] });
    expect(keeper.environments).toEqual([]);
    // Nothing to count from either: the next poll starts afresh.
    expect(keeper.record(snapshot(T0 + 6000, { ...totals }))).toBeUndefined();
  });
});

describe('the history through the poller, against a fake engine and runtime API', () => {
  let s: FakeServices;
  const haproxy = () => s.lab.engine.haproxy(names.haproxy('lab'))!;

  const deployed = async () => {
    await s.create('lab');
    const task = await s.done(await s.envs.deploy('lab'));
    expect(task.state, JSON.stringify(task.error)).toBe('succeeded');
  };

  /** Watches `lab` (as an open view does) until `samples` snapshots carried a sample, sending a request before each poll. */
  async function watchFor(samples: number): Promise<StatsSnapshot[]> {
    s.live.setInterval(200);
    const heard: StatsSnapshot[] = [];
    const off = s.events.on('stats:snapshot', (snap) => {
      heard.push(snap);
      haproxy().http();
    });
    const stop = await s.live.watchStats('lab');
    try {
      await until(`${samples} samples`, async () => heard.filter((h) => h.sample).length >= samples, 10_000, 20);
    } finally {
      stop();
      off();
    }
    return heard;
  }

  beforeEach(async () => {
    s = await startFakeServices();
  });
  afterEach(async () => {
    await s.close();
  });

  it('a view opened later gets what was polled before; each snapshot carried what the history got', async () => {
    await deployed();
    expect((await s.live.history('lab')).samples).toEqual([]);
    const heard = await watchFor(4);
    const carried = heard.flatMap((h) => (h.sample ? [h.sample] : []));
    const { samples } = await s.live.history('lab');
    expect(samples.length).toBeGreaterThan(0);
    expect(sum(samples, 'back1') + sum(samples, 'back2')).toBe(sum(carried, 'back1') + sum(carried, 'back2'));
    expect(sum(samples, 'back1') + sum(samples, 'back2')).toBeGreaterThanOrEqual(3);
    expect(samples.reduce((n, x) => n + x.responses['2xx'], 0)).toBe(sum(samples, 'back1') + sum(samples, 'back2'));
  });

  it('the 503s of a load balancer with no server up show as 5xx', async () => {
    await deployed();
    await s.live.setServer({ environment: 'lab', server: 'back1', state: 'maint' });
    await s.live.setServer({ environment: 'lab', server: 'back2', state: 'maint' });
    await watchFor(3);
    const { samples } = await s.live.history('lab');
    expect(samples.reduce((n, x) => n + x.responses['5xx'], 0)).toBeGreaterThanOrEqual(2);
    expect(sum(samples, 'back1') + sum(samples, 'back2')).toBe(0);
  });

  it('destroyed: nothing of its history is left', async () => {
    await deployed();
    await watchFor(2);
    expect((await s.live.history('lab')).samples.length).toBeGreaterThan(0);
    const task = await s.done(await s.envs.destroy('lab'));
    expect(task.state).toBe('succeeded');
    expect((await s.live.history('lab')).samples).toEqual([]);
  });

  it('forgotten (here or by another process on the same data folder): nothing of it is left', async () => {
    // As the core does: every change to the store is an `environments:changed` event.
    s.store.onChange((changes) => changes.environments.forEach((c) => s.events.emit('environments:changed', c)));
    await deployed();
    await watchFor(2);
    expect(s.live.poller.history.environments).toEqual(['lab']);
    await s.envs.forget('lab');
    await until('the history dropped', async () => s.live.poller.history.environments.length === 0, 3000, 10);
  });

  it("another installation's environment: OWNED_ELSEWHERE", async () => {
    await s.create('lab');
    await s.lab.deploy(await s.envs.get('lab'), { as: OTHER });
    expect((await refusal(s.live.history('lab')))?.code).toBe('OWNED_ELSEWHERE');
  });
});
