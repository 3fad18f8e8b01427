import { responseClasses, type ResponseCounts, type StatsHistory, type StatsSample, type StatsSnapshot } from '../../../shared/live';
import { appendSample, copySample, HISTORY_MS } from '../../../shared/stats-history';

/** The totals of the poll before: a sample is what changed since. */
interface Baseline {
  at: number;
  hits: Record<string, number>;
  responses: ResponseCounts;
}

/** The backend's totals; from its servers' when HAProxy listed no backend row. */
function responsesOf(snap: StatsSnapshot): ResponseCounts {
  if (snap.backend) return { ...snap.backend.responses };
  const sum = (c: (typeof responseClasses)[number]) => snap.servers.reduce((n, s) => n + s.responses[c], 0);
  return { '2xx': sum('2xx'), '4xx': sum('4xx'), '5xx': sum('5xx') };
}

/**
 * The last hour of every polled environment, in memory, bounded (shared/stats-history.ts says
 * how and why): one sample per poll, from the totals of two polls in a row. A poll HAProxy did
 * not answer, or a pause in the polling, leaves a gap; the history never bridges one.
 */
export class StatsHistoryKeeper {
  private readonly samples = new Map<string, StatsSample[]>();
  private readonly baselines = new Map<string, Baseline>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes a poll's snapshot; answers with the sample it added, if it added one. */
  record(snap: StatsSnapshot): StatsSample | undefined {
    const env = snap.environment;
    if (!snap.reachable) {
      this.baselines.delete(env);
      return undefined;
    }
    const next: Baseline = { at: Date.parse(snap.at), hits: Object.fromEntries(snap.servers.map((s) => [s.name, s.hits])), responses: responsesOf(snap) };
    const prev = this.baselines.get(env);
    this.baselines.set(env, next);
    if (!prev || next.at <= prev.at) return undefined;
    const sample: StatsSample = { from: prev.at, to: next.at, servers: {}, responses: { '2xx': 0, '4xx': 0, '5xx': 0 } };
    for (const [name, hits] of Object.entries(next.hits)) {
      const before = prev.hits[name];
      if (before !== undefined) sample.servers[name] = Math.max(0, hits - before);
    }
    for (const c of responseClasses) sample.responses[c] = Math.max(0, next.responses[c] - prev.responses[c]);
    let list = this.samples.get(env);
    if (!list) this.samples.set(env, (list = []));
    appendSample(list, sample);
    return sample;
  }

  /** The polling of `env` stops: the next poll starts afresh rather than spanning the pause. */
  interrupt(env: string): void {
    this.baselines.delete(env);
  }

  /** The last hour of `env`, oldest first (empty when nothing was polled). */
  of(env: string): StatsHistory {
    const since = this.now() - HISTORY_MS;
    return { environment: env, samples: (this.samples.get(env) ?? []).filter((s) => s.to > since).map(copySample) };
  }

  /** Drops everything kept about `env` (destroyed, removed or forgotten). */
  forget(env: string): void {
    this.samples.delete(env);
    this.baselines.delete(env);
  }

  /** Environments with a history. */
  get environments(): string[] {
    return [...this.samples.keys()];
  }
}
