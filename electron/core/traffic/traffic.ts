import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TrafficReport, TrafficRequest } from '../../../shared/live';
import { SwitchyardError } from '../../../shared/errors';
import { msg, type Message } from '../../../shared/messages';
import type { EventBus } from '../events';
import type { TaskContext } from '../tasks/task-manager';

const PROGRESS_MS = 250;
const MAX_SAMPLES = 500_000;
const KEEP_REPORTS = 50;
/** How far behind its schedule a rate-limited run may catch up. */
const CATCH_UP_MS = 500;

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Opens a connection to the front end, by whatever route the target gives. */
export type FrontConnector = () => Promise<Socket>;

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i] * 100) / 100;
}

/** An http.Agent whose sockets come from the target (host loopback, or an SSH channel). */
class TargetAgent extends http.Agent {
  constructor(private readonly connector: FrontConnector) {
    super({ keepAlive: true, maxSockets: 1 });
  }

  // Node's Agent accepts a connection handed over later through the callback.
  override createConnection(_opts: http.ClientRequestArgs, cb?: (err: Error | null, stream: Duplex) => void): undefined {
    this.connector().then(
      (s) => cb?.(null, s),
      (e: Error) => cb?.(e, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/**
 * The traffic generator: N requests (or a duration) at a concurrency, each simulated client on
 * its own keep-alive connection, optionally keeping its cookies like a browser. Reports the
 * split per server (HAProxy's X-Served-By header), statuses and latency percentiles, with
 * progress while it runs.
 */
export class TrafficRunner {
  private readonly reports = new Map<string, TrafficReport>();

  constructor(private readonly events: EventBus) {}

  report(taskId: string): TrafficReport | undefined {
    const r = this.reports.get(taskId);
    return r && structuredClone(r);
  }

  async run(taskId: string, req: TrafficRequest, host: string, connect: FrontConnector, ctx: TaskContext): Promise<Message> {
    const report: TrafficReport = {
      taskId,
      environment: req.environment,
      done: false,
      sent: 0,
      ok: 0,
      failed: 0,
      byServer: {},
      statuses: {},
      latencyMs: { p50: 0, p90: 0, p99: 0, max: 0 },
      elapsedMs: 0,
      errors: [],
    };
    this.reports.set(taskId, report);
    for (const id of [...this.reports.keys()].slice(0, Math.max(0, this.reports.size - KEEP_REPORTS))) this.reports.delete(id);

    const latencies: number[] = [];
    const started = performance.now();
    const deadline = req.durationMs !== undefined ? started + req.durationMs : Infinity;
    const budget = req.requests ?? Infinity;
    const more = () => !ctx.signal.aborted && report.sent < budget && performance.now() < deadline;
    // The rate is kept by handing out start times one interval apart, to all clients together.
    // Clients that fell behind (slow answers, a busy moment) catch up on at most CATCH_UP_MS of
    // missed times, so the count over the run matches the rate without a long burst.
    const interval = req.ratePerSecond ? 1000 / req.ratePerSecond : 0;
    let nextAt = started;
    const turn = async (): Promise<boolean> => {
      if (!interval || !more()) return more();
      const at = Math.max(nextAt, performance.now() - CATCH_UP_MS);
      nextAt = at + interval;
      if (at >= deadline) return false;
      await pause(at - performance.now(), ctx.signal);
      return more();
    };
    const count = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);
    const inFlight = new Set<http.ClientRequest>();
    const stopped = () => ctx.signal.aborted;
    const unsent = () => void report.sent--;
    const fail = (why: string) => {
      report.failed++;
      count(report.statuses, 'error');
      if (report.errors.length < 5) report.errors.push(why);
    };

    const refresh = () => {
      report.elapsedMs = Math.round(performance.now() - started);
      const sorted = Float64Array.from(latencies).sort();
      report.latencyMs = { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: percentile(sorted, 100) };
      const share = req.requests !== undefined ? report.sent / req.requests : report.elapsedMs / (req.durationMs ?? 1);
      ctx.progress(Math.min(99, share * 100), msg('traffic.progress', { answered: { count: report.ok + report.failed }, failed: { count: report.failed } }));
      this.events.emit('traffic:progress', structuredClone(report));
    };

    const client = async () => {
      const agent = new TargetAgent(connect);
      const jar = new Map<string, string>();
      try {
        while (await turn()) {
          report.sent++;
          const t0 = performance.now();
          await new Promise<void>((resolve) => {
            const headers: Record<string, string> = { host };
            if (req.keepCookies && jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
            const r = http.get({ path: req.path, agent, headers, timeout: 10_000 }, (res) => {
              res.resume();
              res.on('end', () => {
                const ms = performance.now() - t0;
                if (latencies.length < MAX_SAMPLES) latencies.push(ms);
                count(report.statuses, String(res.statusCode));
                const server = res.headers['x-served-by'];
                if (typeof server === 'string') count(report.byServer, server);
                if (req.keepCookies) {
                  for (const c of res.headers['set-cookie'] ?? []) {
                    const [pair] = c.split(';');
                    const eq = pair.indexOf('=');
                    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
                  }
                }
                if ((res.statusCode ?? 0) < 500) report.ok++;
                else fail(`HTTP ${res.statusCode}`);
                resolve();
              });
              res.on('error', (e) => (stopped() ? unsent() : fail(e.message), resolve()));
            });
            r.on('timeout', () => r.destroy(new Error('no answer within 10 s')));
            r.on('error', (e) => (stopped() ? unsent() : fail(e.message), resolve()));
            inFlight.add(r);
            r.on('close', () => inFlight.delete(r));
          });
        }
      } finally {
        agent.destroy();
      }
    };

    ctx.step('sending', 0, msg('traffic.sending'));
    const ticker = setInterval(refresh, PROGRESS_MS);
    // Stopping cuts the requests under way: a stop is at once, and what it cut is neither sent nor failed.
    const cut = () => {
      for (const r of inFlight) r.destroy();
    };
    ctx.signal.addEventListener('abort', cut, { once: true });
    try {
      await Promise.all(Array.from({ length: req.concurrency }, client));
    } finally {
      clearInterval(ticker);
      ctx.signal.removeEventListener('abort', cut);
    }
    refresh();
    report.done = true;
    if (stopped()) report.stopped = true;
    this.events.emit('traffic:progress', structuredClone(report));
    if (stopped()) {
      throw SwitchyardError.because('CANCELLED', 'trafficStopped', { requests: { count: report.ok + report.failed }, elapsed: { ms: report.elapsedMs } });
    }
    const split = Object.entries(report.byServer)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([server, n]) => msg('traffic.served', { server, n: { count: n } }));
    return msg('traffic.done', {
      requests: { count: report.ok + report.failed },
      elapsed: { ms: report.elapsedMs },
      failed: { count: report.failed },
      split: split.length ? split : [msg('traffic.noneAnswered')],
      p50: { ms: report.latencyMs.p50 },
      p99: { ms: report.latencyMs.p99 },
    });
  }
}
