import { Option, type Command } from 'commander';
import type { AccessLogEntry, StatsSnapshot, TrafficReport } from '../../shared/live';
import { DEMO_SERVER_MAXCONN, serverStates } from '../../shared/model';
import type { CliTools } from './cli-tools';

function statsTable(s: StatsSnapshot): string[] {
  if (!s.reachable) return [`${s.environment}: HAProxy not reachable (${s.error ?? 'unknown'})`];
  const lines = [`${s.environment}: ${s.frontend.requestRate} req/s, ${s.frontend.requests} requests`];
  for (const v of s.servers) {
    lines.push(`${v.name}\t${v.status}\t${v.state}\tweight ${v.weight}\thits ${v.hits}\t${v.hitsPerSecond.toFixed(1)}/s\tcheck ${v.checkStatus}`);
  }
  return lines;
}

function logLine(e: AccessLogEntry): string {
  return `${e.at} ${e.client} ${e.server} ${e.status} ${e.timers.ta}ms "${e.request}"`;
}

/** Shortcuts for live operations: server toggles, scaling, stats, traffic and logs. */
export function addLiveCommands(program: Command, { getCore, out, call, waitTask, intOption }: CliTools): void {
  const server = program.command('server').description('Backend servers of a deployed environment');

  server
    .command('set')
    .description('Set a server ready, drain or maint and/or its weight, at once and without dropping requests')
    .argument('<environment>')
    .argument('<server>')
    .addOption(new Option('-s, --state <state>', 'ready, drain or maint').choices(serverStates))
    .option('-w, --weight <weight>', 'weight 0-256', intOption)
    .action(async (environment: string, name: string, o: { state?: string; weight?: number }) => {
      const r = (await call(getCore(), 'servers:set', { environment, server: name, state: o.state, weight: o.weight })) as {
        state: string;
        weight: number;
        applied: boolean;
      };
      out(`${name}: ${r.state}, weight ${r.weight}${r.applied ? '' : ' (saved; applied at the next deploy)'}`);
    });

  for (const verb of ['stop', 'start'] as const) {
    server
      .command(verb)
      .description(verb === 'stop' ? "Stop a demo backend's container (failover drill)" : "Start a demo backend's container again")
      .argument('<environment>')
      .argument('<server>')
      .action(async (environment: string, name: string) => {
        const c = (await call(getCore(), `servers:${verb}`, { environment, server: name })) as { name: string; state: string };
        out(`${c.name}: ${c.state}`);
      });
  }

  server
    .command('add')
    .description('Add a server and deploy (a reload: no request dropped)')
    .argument('<environment>')
    .argument('<server>')
    .option('--external <host:port>', 'an existing server instead of a demo backend')
    .option('-w, --weight <weight>', 'weight 0-256', intOption)
    .option('--maxconn <n>', `requests sent to it at once, the next ones queue in HAProxy (default: ${DEMO_SERVER_MAXCONN} for a demo backend, no limit for an external server)`, intOption)
    .action(async (environment: string, name: string, o: { external?: string; weight?: number; maxconn?: number }) => {
      const core = getCore();
      let spec: Record<string, unknown> = { name, kind: 'demo' };
      if (o.external) {
        const i = o.external.lastIndexOf(':');
        spec = { name, kind: 'external', address: o.external.slice(0, i), port: Number(o.external.slice(i + 1)) };
      }
      if (o.weight !== undefined) spec.weight = o.weight;
      if (o.maxconn !== undefined) spec.maxconn = o.maxconn;
      const { taskId } = (await call(core, 'servers:add', { environment, server: spec })) as { taskId: string };
      out((await waitTask(core, taskId)).message);
    });

  server
    .command('remove')
    .description('Remove a server and deploy')
    .argument('<environment>')
    .argument('<server>')
    .action(async (environment: string, name: string) => {
      const core = getCore();
      const { taskId } = (await call(core, 'servers:remove', { environment, server: name })) as { taskId: string };
      out((await waitTask(core, taskId)).message);
    });

  program
    .command('stats')
    .description("Show an environment's backends: health, state, weight, hits")
    .argument('<environment>')
    .option('-n, --count <n>', 'print this many snapshots, one per interval (default 1)', intOption)
    .action(async (environment: string, o: { count?: number }) => {
      const core = getCore();
      const count = o.count ?? 1;
      if (count <= 1) return statsTable((await call(core, 'stats:get', { environment })) as StatsSnapshot).forEach((l) => out(l));
      let seen = 0;
      let done!: () => void;
      const enough = new Promise<void>((resolve) => (done = resolve));
      // Polled for as long as this subscription lasts; refused for another Switchyard's environment.
      const stop = await core.subscribe('stats:snapshot', { environment }, (s) => {
        if (seen++ >= count) return;
        statsTable(s).forEach((l) => out(l));
        if (seen >= count) done();
      });
      await enough;
      stop();
    });

  program
    .command('traffic')
    .description("Send requests through an environment's front end and report the split, statuses and latencies")
    .argument('<environment>')
    .option('-n, --requests <n>', 'number of requests (default 20)', intOption)
    .option('-d, --duration <ms>', 'send for this long instead', intOption)
    .option('-c, --concurrency <n>', 'simultaneous clients (default 4)', intOption)
    .option('-r, --rate <n>', 'at most this many requests per second (default: as fast as answered)', intOption)
    .option('--cookies', 'each client keeps its cookies (sticky sessions)')
    .action(async (environment: string, o: { requests?: number; duration?: number; concurrency?: number; rate?: number; cookies?: boolean }) => {
      const core = getCore();
      const req = {
        environment,
        ...(o.duration !== undefined ? { durationMs: o.duration } : { requests: o.requests ?? 20 }),
        concurrency: o.concurrency ?? 4,
        ...(o.rate !== undefined ? { ratePerSecond: o.rate } : {}),
        keepCookies: Boolean(o.cookies),
      };
      const { taskId } = (await call(core, 'traffic:run', req)) as { taskId: string };
      await waitTask(core, taskId);
      const r = (await call(core, 'traffic:get', { taskId })) as TrafficReport;
      out(`sent ${r.sent}, ok ${r.ok}, failed ${r.failed} in ${r.elapsedMs} ms`);
      for (const [s, n] of Object.entries(r.byServer).sort()) out(`server ${s}\t${n}`);
      for (const [s, n] of Object.entries(r.statuses).sort()) out(`status ${s}\t${n}`);
      out(`latency p50 ${r.latencyMs.p50} ms, p90 ${r.latencyMs.p90} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms`);
    });

  program
    .command('logs')
    .description("Print the load balancer's access log (parsed)")
    .argument('<environment>')
    .option('-n, --lines <n>', 'how many of the latest entries (default 20)', intOption)
    .option('-f, --follow', 'keep printing new entries until Ctrl-C')
    .action(async (environment: string, o: { lines?: number; follow?: boolean }) => {
      const core = getCore();
      const tail = (await call(core, 'logs:tail', { environment, limit: o.lines ?? 20 })) as AccessLogEntry[];
      tail.forEach((e) => out(logLine(e)));
      if (!o.follow) return;
      const stop = await core.subscribe('logs:lines', { environment }, (l) => l.entries.forEach((e) => out(logLine(e))));
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      stop();
    });
}
