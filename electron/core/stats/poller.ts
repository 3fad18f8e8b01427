import type { ServerHealth } from '../../../shared/contract';
import type { ServerStats, StatsSnapshot } from '../../../shared/live';
import type { EventBus } from '../events';
import type { RuntimeApi } from '../haproxy/runtime-api';
import { healthOf, parseStatCsv, type StatRow } from '../haproxy/stat-csv';
import { BACKEND_NAME, FRONTEND_NAME } from '../environments/naming';
import type { MonotonicCounters } from './counters';

/** Finds the runtime API of an environment's load balancer; undefined when it is not deployed. */
export type RuntimeLocator = (env: string) => Promise<RuntimeApi | undefined>;

const num = (v: string | undefined) => (v === undefined || v === '' ? 0 : Number(v) || 0);

function adminState(status: string): ServerStats['state'] {
  const s = status.toUpperCase();
  if (s.startsWith('MAINT')) return 'maint';
  if (s.startsWith('DRAIN')) return 'drain';
  return 'ready';
}

/** Splits the answer to `show info;show stat` in two. */
function splitInfoStat(text: string): { pid: string; stat: StatRow[] } {
  const at = text.indexOf('# pxname');
  const info = at >= 0 ? text.slice(0, at) : text;
  const pid = /^Pid:\s*(\d+)/m.exec(info)?.[1];
  if (!pid || at < 0) throw new Error('unexpected answer to show info;show stat');
  return { pid, stat: parseStatCsv(text.slice(at)) };
}

interface Watched {
  watchers: number;
  api?: RuntimeApi;
  last?: { at: number; hits: Record<string, number>; requests: number };
  health: Record<string, ServerHealth>;
  /** Polls skipped while the environment is not deployed (it is polled less often). */
  idle: number;
}

/**
 * Polls the runtime API of every watched environment at one interval and emits a
 * `stats:snapshot` per environment, plus a `stats:health` event for each health change.
 * Nothing is polled for environments nobody watches.
 */
export class StatsPoller {
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lastSave = 0;

  constructor(
    private readonly locate: RuntimeLocator,
    private readonly events: EventBus,
    private readonly counters: MonotonicCounters,
    private intervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  get interval(): number {
    return this.intervalMs;
  }

  setInterval(ms: number): void {
    this.intervalMs = ms;
    if (this.timer) {
      this.stopTimer();
      this.startTimer();
    }
  }

  watch(env: string): number {
    const w = this.watched.get(env) ?? { watchers: 0, health: {}, idle: 0 };
    w.watchers++;
    this.watched.set(env, w);
    if (!this.timer) this.startTimer();
    void this.tick();
    return w.watchers;
  }

  unwatch(env: string): number {
    const w = this.watched.get(env);
    if (!w) return 0;
    w.watchers--;
    if (w.watchers <= 0) this.watched.delete(env);
    if (!this.watched.size) this.stopTimer();
    return Math.max(0, w.watchers);
  }

  /** One snapshot of one environment, watched or not. */
  async snapshot(env: string): Promise<StatsSnapshot> {
    await this.counters.load();
    const w = this.watched.get(env) ?? { watchers: 0, health: {}, idle: 0 };
    return this.poll(env, w);
  }

  async close(): Promise<void> {
    this.stopTimer();
    this.watched.clear();
    await this.counters.save();
  }

  private startTimer(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.counters.load();
      await Promise.all(
        [...this.watched.entries()].map(async ([env, w]) => {
          // Not deployed: look again every fifth tick only.
          if (!w.api && w.idle > 0 && w.idle++ % 5 !== 0) return;
          const snap = await this.poll(env, w);
          if (this.watched.get(env) === w) this.events.emit('stats:snapshot', snap);
        }),
      );
      if (this.now() - this.lastSave > 5000) {
        this.lastSave = this.now();
        await this.counters.save();
      }
    } finally {
      this.running = false;
    }
  }

  private async poll(env: string, w: Watched): Promise<StatsSnapshot> {
    const at = this.now();
    const snap: StatsSnapshot = {
      environment: env,
      at: new Date(at).toISOString(),
      reachable: false,
      frontend: { requestRate: 0, requests: 0, sessions: 0 },
      servers: [],
    };
    try {
      w.api ??= await this.locate(env);
      if (!w.api) {
        w.idle = Math.max(w.idle, 1);
        snap.error = 'not deployed';
        return snap;
      }
      w.idle = 0;
      const { pid, stat } = splitInfoStat(await w.api.execute('show info;show stat'));
      this.counters.process(env, pid);
      snap.reachable = true;
      const fe = stat.find((r) => r.pxname === FRONTEND_NAME && r.svname === 'FRONTEND');
      if (fe) {
        snap.frontend = {
          requestRate: num(fe.req_rate),
          requests: this.counters.total(env, 'fe:req_tot', num(fe.req_tot)),
          sessions: num(fe.scur),
        };
      }
      const dt = w.last ? (at - w.last.at) / 1000 : 0;
      const hits: Record<string, number> = {};
      for (const r of stat.filter((x) => x.pxname === BACKEND_NAME && x.svname !== 'FRONTEND' && x.svname !== 'BACKEND')) {
        const name = r.svname;
        const total = this.counters.total(env, `${name}:req_tot`, num(r.req_tot));
        hits[name] = total;
        const prev = w.last?.hits[name];
        const s: ServerStats = {
          name,
          health: healthOf(r.status),
          status: r.status,
          state: adminState(r.status),
          checkStatus: r.check_status ?? '',
          weight: num(r.weight),
          sessions: num(r.scur),
          hits: total,
          hitsPerSecond: prev !== undefined && dt > 0 ? Math.max(0, (total - prev) / dt) : 0,
          responses: {
            '2xx': this.counters.total(env, `${name}:2xx`, num(r.hrsp_2xx)),
            '3xx': this.counters.total(env, `${name}:3xx`, num(r.hrsp_3xx)),
            '4xx': this.counters.total(env, `${name}:4xx`, num(r.hrsp_4xx)),
            '5xx': this.counters.total(env, `${name}:5xx`, num(r.hrsp_5xx)),
          },
        };
        if (r.check_duration !== undefined && r.check_duration !== '') s.checkDurationMs = num(r.check_duration);
        if (r.lastchg !== undefined && r.lastchg !== '') s.lastChangeSec = num(r.lastchg);
        snap.servers.push(s);
        const before = w.health[name];
        if (before !== undefined && before !== s.health && (isUpDown(before) || isUpDown(s.health))) {
          this.events.emit('stats:health', { environment: env, server: name, from: before, to: s.health, at: snap.at });
        }
        w.health[name] = s.health;
      }
      w.last = { at, hits, requests: snap.frontend.requests };
    } catch (err) {
      // The load balancer moved or stopped: find it again next time.
      w.api = undefined;
      snap.error = (err as Error).message;
    }
    return snap;
  }
}

const isUpDown = (h: ServerHealth) => h === 'UP' || h === 'DOWN';
