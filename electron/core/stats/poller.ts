import type { ServerHealth } from '../../../shared/contract';
import type { ServerStats, StatsSnapshot } from '../../../shared/live';
import type { EventBus } from '../events';
import type { RuntimeApi } from '../haproxy/runtime-api';
import type { RuntimeSession } from '../haproxy/runtime-session';
import { healthOf, pickStatRows } from '../haproxy/stat-csv';
import { BACKEND_NAME, FRONTEND_NAME } from '../environments/naming';
import type { MonotonicCounters } from './counters';
import { StatsHistoryKeeper } from './history';

/** Finds the runtime API of an environment's load balancer; undefined when it is not deployed. */
export type RuntimeLocator = (env: string) => Promise<RuntimeApi | undefined>;

const num = (v: string | undefined) => (v === undefined || v === '' ? 0 : Number(v) || 0);

function adminState(status: string): ServerStats['state'] {
  const s = status.toUpperCase();
  if (s.startsWith('MAINT')) return 'maint';
  if (s.startsWith('DRAIN')) return 'drain';
  return 'ready';
}

const COLUMNS = ['pxname', 'svname', 'req_rate', 'req_tot', 'scur', 'status', 'check_status', 'check_duration', 'lastchg', 'weight', 'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx'] as const;
/** Front ends, backends and servers (types 1 + 2 + 4). */
const STAT = 'show stat -1 7 -1';
/**
 * The front end's own row, the backend's (its response counters include what HAProxy answered
 * itself, a 503 when no server is up), and the rows of its servers: nothing else is kept.
 */
const wanted = (px: string, sv: string) => (px === FRONTEND_NAME && sv === 'FRONTEND') || (px === BACKEND_NAME && sv !== 'FRONTEND');

/**
 * Splits the answer to `show info;show stat` in two. Without `show info` in it (a kept
 * connection answers to one HAProxy process, whose id was read when it opened), `knownPid`.
 */
function splitInfoStat(text: string, knownPid?: string): { pid: string; stat: Record<(typeof COLUMNS)[number], string>[] } {
  const at = text.indexOf('# pxname');
  const info = at >= 0 ? text.slice(0, at) : text;
  const pid = /^Pid:\s*(\d+)/m.exec(info)?.[1] ?? knownPid;
  if (!pid || at < 0) throw new Error('unexpected answer to show info;show stat');
  return { pid, stat: pickStatRows(text.slice(at), COLUMNS, wanted) };
}

interface Watched {
  watchers: number;
  api?: RuntimeApi;
  /** The kept connection polls go through, while the environment is watched. */
  session?: RuntimeSession;
  /** The HAProxy process the kept connection talks to. */
  pid?: string;
  last?: { at: number; hits: Record<string, number>; requests: number };
  health: Record<string, ServerHealth>;
  /** Polls skipped while the environment is not deployed (it is polled less often). */
  idle: number;
  /** What an environment's status shows of the last poll (reachable, servers' health and weight). */
  shape?: string;
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
  private readonly changeListeners = new Set<(env: string) => void>();
  /** The last hour of what the polls saw, per environment (`stats:history`). */
  readonly history: StatsHistoryKeeper;

  constructor(
    private readonly locate: RuntimeLocator,
    private readonly events: EventBus,
    private readonly counters: MonotonicCounters,
    private intervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {
    this.history = new StatsHistoryKeeper(now);
  }

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

  /**
   * Polls `env` until the returned function is called (each watch gives back its own, once).
   * Watched by stats subscribers and by the status feed alike: one poll serves both.
   */
  watch(env: string): () => void {
    const w = this.watched.get(env) ?? { watchers: 0, health: {}, idle: 0 };
    w.watchers++;
    this.watched.set(env, w);
    if (!this.timer) this.startTimer();
    void this.tick();
    let given = false;
    return () => {
      if (given) return;
      given = true;
      if (--w.watchers <= 0 && this.watched.get(env) === w) {
        this.watched.delete(env);
        w.session?.close();
        // Nobody watches: the history gets a gap until somebody does again.
        this.history.interrupt(env);
      }
      if (!this.watched.size) this.stopTimer();
    };
  }

  /**
   * Reads `env` through a new connection from the next poll on: after a reload (a deploy), the
   * kept one still talks to the HAProxy process being replaced.
   */
  refresh(env: string): void {
    this.watched.get(env)?.session?.renew();
  }

  /**
   * Looks for the environment's load balancer at the next tick, not the fifth: a deploy just
   * made it (a window showing "not deployed" for up to five seconds after a deploy said done).
   */
  deployed(env: string): void {
    const w = this.watched.get(env);
    if (w && !w.api) w.idle = 0;
  }

  /** The runtime API the poller found for a watched environment, if it did: saves a toggle looking it up. */
  apiOf(env: string): RuntimeApi | undefined {
    return this.watched.get(env)?.api;
  }

  /**
   * Drops what the poller keeps about an environment that is gone (destroyed, removed, forgotten):
   * its history and its totals. A later deploy starts counting again from zero.
   */
  forget(env: string): void {
    this.history.forget(env);
    this.counters.forget(env);
    const w = this.watched.get(env);
    if (w) w.last = undefined;
  }

  /** Environments polled now. */
  get polled(): string[] {
    return [...this.watched.keys()];
  }

  /**
   * Hears when a poll finds what an environment's status shows has changed since the poll
   * before: reachable or not, a server's health or weight, servers added or gone.
   */
  onChange(listener: (env: string) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** One snapshot of one environment, watched or not. */
  async snapshot(env: string): Promise<StatsSnapshot> {
    await this.counters.load();
    const w = this.watched.get(env) ?? { watchers: 0, health: {}, idle: 0 };
    return this.poll(env, w);
  }

  async close(): Promise<void> {
    this.stopTimer();
    for (const w of this.watched.values()) w.session?.close();
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
          if (this.watched.get(env) !== w) return;
          const sample = this.history.record(snap);
          if (sample) snap.sample = sample;
          this.events.emit('stats:snapshot', snap);
          this.compare(env, w, snap);
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
      // Watched: through the kept connection. A one-off snapshot: a connection of its own.
      const watched = this.watched.get(env) === w;
      if (watched && !w.session) w.pid = undefined;
      const text = watched ? await (w.session ??= w.api.session()).execute(STAT, 'show info') : await w.api.execute(`show info;${STAT}`);
      const { pid, stat } = splitInfoStat(text, w.pid);
      if (watched) w.pid = pid;
      this.counters.process(env, pid);
      snap.reachable = true;
      const fe = stat.find((r) => r.svname === 'FRONTEND');
      if (fe) {
        snap.frontend = {
          requestRate: num(fe.req_rate),
          requests: this.counters.total(env, 'fe:req_tot', num(fe.req_tot)),
          sessions: num(fe.scur),
        };
      }
      // Upper case: no server name (lower case) can share these keys.
      const be = stat.find((r) => r.pxname === BACKEND_NAME && r.svname === 'BACKEND');
      if (be) {
        snap.backend = {
          responses: {
            '2xx': this.counters.total(env, 'BACKEND:2xx', num(be.hrsp_2xx)),
            '4xx': this.counters.total(env, 'BACKEND:4xx', num(be.hrsp_4xx)),
            '5xx': this.counters.total(env, 'BACKEND:5xx', num(be.hrsp_5xx)),
          },
        };
      }
      const dt = w.last ? (at - w.last.at) / 1000 : 0;
      const hits: Record<string, number> = {};
      for (const r of stat.filter((x) => x.pxname === BACKEND_NAME && x.svname !== 'BACKEND')) {
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
      w.session?.close();
      w.session = undefined;
      w.api = undefined;
      snap.error = (err as Error).message;
      // Another Switchyard's: asking again every tick only asks Docker the same question.
      if ((err as { code?: string }).code === 'OWNED_ELSEWHERE') w.idle = Math.max(w.idle, 1);
    }
    return snap;
  }

  private compare(env: string, w: Watched, snap: StatsSnapshot): void {
    const shape = `${snap.reachable}|${snap.servers.map((s) => `${s.name}:${s.health}:${s.weight}`).join(',')}`;
    const before = w.shape;
    w.shape = shape;
    if (before === undefined || before === shape) return;
    for (const l of this.changeListeners) l(env);
  }
}

const isUpDown = (h: ServerHealth) => h === 'UP' || h === 'DOWN';
