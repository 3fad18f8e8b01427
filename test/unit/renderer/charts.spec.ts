/**
 * The environment view's charts: the last hour the core kept, drawn as soon as the view opens and
 * then fed by live snapshots; a window picker every chart follows; responses split 2xx / 4xx /
 * 5xx; no line across a time without figures; nothing left of a destroyed environment.
 */
import './fake-canvas';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import type { EnvironmentStatus, Task } from '../../../shared/contract';
import type { ResponseCounts, StatsSample, StatsSnapshot } from '../../../shared/live';
import { appendSample } from '../../../shared/stats-history';
import EnvironmentView from '../../../renderer/views/EnvironmentView.vue';
import { useStatsStore } from '../../../renderer/stores/stats';
import { FakeTransport, freshApp, labEnvironment, mountInApp, settle, unmountAll } from './fake-transport';

const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const S = 1000;
const MIN = 60 * S;

const status: EnvironmentStatus = {
  name: 'lab',
  state: 'running',
  url: 'http://localhost:8080/',
  containers: [],
  servers: [],
  haproxy: { reachable: true, configInSync: true },
};

interface Stretch {
  from: number;
  to: number;
  /** Requests a second each server answered. */
  back1: number;
  back2: number;
  responses?: Partial<ResponseCounts>;
}

/** What the core would hold after polling every second through these stretches (gaps where they do not touch). */
function history(...stretches: Stretch[]): StatsSample[] {
  const out: StatsSample[] = [];
  for (const s of stretches) {
    for (let at = s.from + S; at <= s.to; at += S) {
      const served = s.back1 + s.back2;
      appendSample(out, {
        from: at - S,
        to: at,
        servers: { back1: s.back1, back2: s.back2 },
        responses: { '2xx': s.responses?.['2xx'] ?? served, '4xx': s.responses?.['4xx'] ?? 0, '5xx': s.responses?.['5xx'] ?? 0 },
      });
    }
  }
  return out;
}

function snapshot(at: number, sample?: StatsSample, reachable = true): StatsSnapshot {
  return {
    environment: 'lab',
    at: new Date(at).toISOString(),
    reachable,
    frontend: { requestRate: 0, requests: 0, sessions: 0 },
    servers: [],
    ...(sample ? { sample } : {}),
  };
}

const clock = (locale: string, ms: number) => new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(ms));

let fake: FakeTransport;
let w: VueWrapper;
beforeEach(() => {
  fake = freshApp()
    .handle('environments:list', () => [labEnvironment()])
    .handle('environments:render', () => ({ config: 'global\n' }))
    .handle('environments:status', () => status);
});
afterEach(unmountAll);

async function open(samples: StatsSample[], locale: 'en' | 'fr' = 'en'): Promise<void> {
  fake.handle('stats:history', ({ environment }) => ({ environment, samples }));
  w = mountInApp(EnvironmentView, { name: 'lab' }, locale);
  await settle();
}

const distribution = () => Object.fromEntries(w.findAll('[data-test=recent-distribution] [data-test=distribution-row]').map((r) => [r.attributes('data-server'), Number(r.attributes('data-hits'))]));
const shares = () => w.findAll('[data-test=recent-distribution] [data-test=distribution-row] .figure').map((f) => f.text());
const totals = () => Object.fromEntries(w.findAll('[data-test=response-totals] [data-class]').map((t) => [t.attributes('data-class'), Number(t.attributes('data-count'))]));
/** The rate chart's legend, label → value, as the user reads it under the chart. */
const legend = () => Object.fromEntries(w.findAll('[data-test=response-rates] .u-legend .u-series').map((r) => [r.find('.u-label').text(), r.find('.u-value').text()]));
const rateChart = () => w.find('[data-test=response-rates] [data-test=time-chart]');
async function pick(window: '1m' | '5m' | '1h'): Promise<void> {
  await w.find(`[data-test=window-${window}] input`).setValue(true);
  await settle();
}

describe('the charts of an environment', () => {
  it('open on the last hour the core kept: every server’s chart, the response rates and the distribution, before any live figure', async () => {
    await open(history({ from: NOW - 10 * MIN, to: NOW, back1: 3, back2: 1 }));
    expect(fake.callsTo('stats:history')).toEqual([{ environment: 'lab' }]);
    expect(w.findAll('[data-test=server-card] [data-test=time-chart]')).toHaveLength(2);
    // Five minutes by default.
    expect(distribution()).toEqual({ back1: 900, back2: 300 });
    expect(shares()).toEqual(['75%', '25%']);
    expect(totals()).toEqual({ '2xx': 1200, '4xx': 0, '5xx': 0 });
    // Not pointing at the chart: the legend gives the latest values.
    expect(legend()).toEqual({ Time: clock('en', NOW), '2xx': '4/s', '4xx': '0/s', '5xx': '0/s' });
    expect(w.find('[data-test=chart-gap-note]').exists()).toBe(false);

    // Live figures follow on from the history.
    fake.emit('stats:snapshot', snapshot(NOW + S, { from: NOW, to: NOW + S, servers: { back1: 10, back2: 2 }, responses: { '2xx': 12, '4xx': 0, '5xx': 0 } }));
    await settle();
    expect(distribution()).toEqual({ back1: 907, back2: 301 });
    expect(legend()['2xx']).toBe('12/s');
  });

  it('the window picker moves the distribution: a drain shows in the last minute while the hour keeps the old split', async () => {
    // Even for most of the hour; back2 drained for the last minute.
    await open(history({ from: NOW - 60 * MIN, to: NOW - MIN, back1: 1, back2: 1 }, { from: NOW - MIN, to: NOW, back1: 2, back2: 0 }));
    expect(distribution()).toEqual({ back1: 360, back2: 240 });
    await pick('1m');
    expect(distribution()).toEqual({ back1: 120, back2: 0 });
    expect(shares()).toEqual(['100%', '0%']);
    await pick('1h');
    expect(distribution()).toEqual({ back1: 3660, back2: 3540 });
    expect(shares()).toEqual(['51%', '49%']);
    // Every chart of the view follows the same window.
    expect(w.find('[data-test=recent-distribution]').text()).toContain('Last hour');
    expect(useStatsStore().chartWindow).toBe('1h');
  });

  it('splits responses 2xx / 4xx / 5xx: the 503s of a load balancer with no server up show as 5xx', async () => {
    await open(
      history(
        { from: NOW - 2 * MIN, to: NOW - MIN, back1: 5, back2: 5, responses: { '2xx': 9, '4xx': 1 } },
        // Both servers down: HAProxy answers 503 itself, and no server counts a hit.
        { from: NOW - MIN, to: NOW, back1: 0, back2: 0, responses: { '2xx': 0, '5xx': 7 } },
      ),
      'fr',
    );
    expect(totals()).toEqual({ '2xx': 540, '4xx': 60, '5xx': 420 });
    expect(legend()).toEqual({ Heure: clock('fr', NOW), '2xx': '0/s', '4xx': '0/s', '5xx': '7/s' });
    expect(w.find('[data-test=response-totals]').text()).toContain('Sur cette période :');
    await pick('1m');
    expect(totals()).toEqual({ '2xx': 0, '4xx': 0, '5xx': 420 });
    // No server answered in that minute: no split to show, and the words say why.
    expect(distribution()).toEqual({});
    expect(w.find('[data-test=recent-distribution]').text()).toContain('Aucune requête sur cette période');
  });

  it('draws no line across a time without figures, and says so', async () => {
    // Polled for a minute, then nothing for two (the load balancer down, or the app closed), then again.
    await open(history({ from: NOW - 4 * MIN, to: NOW - 3 * MIN, back1: 1, back2: 1 }, { from: NOW - MIN, to: NOW, back1: 1, back2: 1 }));
    const series = useStatsStore().windowOf('lab', ['back1', 'back2']);
    const gapAt = series.times.indexOf((NOW - MIN) / 1000);
    expect(series.perServer.back1[gapAt]).toBeNull();
    expect(series.responses['2xx'][gapAt]).toBeNull();
    expect(w.find('[data-test=chart-gap-note]').text()).toContain('A break in a line is a time without figures');
    expect(rateChart().attributes('aria-label')).toBe(`Responses per second by status class. no figures from ${clock('en', NOW - 3 * MIN)} to ${clock('en', NOW - MIN)}.`);
    // Requests are counted only where there were figures.
    expect(distribution()).toEqual({ back1: 120, back2: 120 });

    // The load balancer stops answering: snapshots keep coming, without samples.
    fake.emit('stats:snapshot', snapshot(NOW + 5 * S, undefined, false));
    await settle();
    expect(legend()['2xx']).toBe('no data');
    expect(rateChart().attributes('aria-label')).toContain(`no figures from ${clock('en', NOW)} to ${clock('en', NOW + 5 * S)}`);
  });

  it('snapshots heard while the history was on its way are neither lost nor counted twice', async () => {
    let answer: (samples: StatsSample[]) => void = () => undefined;
    fake.handle('stats:history', ({ environment }) => new Promise((resolve) => (answer = (samples) => resolve({ environment, samples }))));
    w = mountInApp(EnvironmentView, { name: 'lab' });
    await settle();
    const kept = history({ from: NOW - 2 * MIN, to: NOW, back1: 1, back2: 1 });
    // Heard before the answer: the last one the core kept, and a newer one.
    fake.emit('stats:snapshot', snapshot(NOW, kept.at(-1)));
    fake.emit('stats:snapshot', snapshot(NOW + S, { from: NOW, to: NOW + S, servers: { back1: 5, back2: 0 }, responses: { '2xx': 5, '4xx': 0, '5xx': 0 } }));
    answer(kept);
    await settle();
    expect(distribution()).toEqual({ back1: 125, back2: 120 });
  });

  it('a destroyed or removed environment leaves nothing behind', async () => {
    await open(history({ from: NOW - MIN, to: NOW, back1: 1, back2: 1 }));
    expect(distribution()).toEqual({ back1: 60, back2: 60 });
    const destroy: Task = { id: 't1', kind: 'destroy', target: 'lab', state: 'succeeded', step: 'done', progress: 100, message: 'Destroyed', steps: [], createdAt: new Date(NOW).toISOString() };
    fake.emit('tasks:updated', destroy);
    await settle();
    expect(useStatsStore().samplesOf('lab')).toEqual([]);
    expect(w.findAll('[data-test=server-card] [data-test=time-chart]')).toHaveLength(0);
    expect(w.find('[data-test=response-rates]').text()).toContain('No responses in this window yet.');
    expect(w.findAll('[data-test=recent-distribution] [data-test=distribution-row]')).toHaveLength(0);

    // Removed (here, in another window or by the CLI): the same.
    useStatsStore().record(snapshot(NOW + S, { from: NOW, to: NOW + S, servers: { back1: 1, back2: 1 }, responses: { '2xx': 2, '4xx': 0, '5xx': 0 } }));
    expect(useStatsStore().samplesOf('lab')).toHaveLength(1);
    fake.emit('environments:changed', { change: 'removed', name: 'lab' });
    expect(useStatsStore().samplesOf('lab')).toEqual([]);
    expect(useStatsStore().snapshots.lab).toBeUndefined();
  });
});
