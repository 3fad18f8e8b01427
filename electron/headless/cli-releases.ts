import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { AppInput } from '../../shared/apps';
import type { ReleaseRecord, RolloutPolicyInput } from '../../shared/releases';
import { keyValue } from './cli-apps';
import { EXIT_USAGE, ask, type CliTools } from './cli-tools';

interface RolloutFlags {
  batch?: number;
  healthTimeout?: number;
  drainTimeout?: number;
  monitor?: number;
}

const seconds = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`"${v}" is not a number of seconds`);
  return n;
};

function policyOf(o: RolloutFlags): RolloutPolicyInput {
  const p: RolloutPolicyInput = {};
  if (o.batch !== undefined) p.batch = o.batch;
  if (o.healthTimeout !== undefined) p.healthTimeoutMs = Math.round(o.healthTimeout * 1000);
  if (o.drainTimeout !== undefined) p.drainTimeoutMs = Math.round(o.drainTimeout * 1000);
  if (o.monitor !== undefined) p.monitorMs = Math.round(o.monitor * 1000);
  return p;
}

function rolloutOptions(cmd: Command, intOption: (v: string) => number): Command {
  return cmd
    .option('--batch <n>', 'servers replaced at once (default 1)', intOption)
    .option('--health-timeout <s>', 'seconds a new container has to pass its health check (default 60)', seconds)
    .option('--drain-timeout <s>', 'seconds an old server has to finish its sessions before its sticky clients move (default 10)', seconds)
    .option('--monitor <s>', 'seconds each switched server is watched for DOWN and errors (default 5)', seconds);
}

/** One line per release, newest first: what `switchyard releases` prints (tab-separated). */
export function releaseLine(r: ReleaseRecord): string {
  const what = r.changes.length ? r.changes.map((c) => (c.names ? `${c.field} ${c.names.join(',')}` : c.to !== undefined ? `${c.field} ${c.to}` : c.field)).join('; ') : 'no change';
  const result =
    r.result === 'rolled-back' && r.cause ? `rolled-back (${r.cause.kind}${r.cause.server ? ` on ${r.cause.server}` : ''})` : r.cause?.kind === 'interrupted' ? 'failed (interrupted)' : r.result;
  const took = r.durationMs !== undefined ? `${(r.durationMs / 1000).toFixed(1)}s` : '-';
  const failed = r.failedRequests !== undefined ? String(r.failedRequests) : '-';
  const back = r.rollbackTo !== undefined ? `back to ${r.rollbackTo}; ` : '';
  return [r.number, r.startedAt, result, took, failed, r.by.user, `${back}${what}`, r.image.digest ?? r.image.id.slice(0, 19)].join('\t');
}

/** Rolling releases of an environment's app, their history, and rollbacks. */
export function addReleaseCommands(program: Command, { getCore, out, follow, intOption }: CliTools): void {
  rolloutOptions(
    program
      .command('release')
      .description('Roll a new release of the app out server by server, with zero failed requests; rolls back by itself when it hurts (exit 1)')
      .argument('<env>')
      .option('--image <ref>', 'a new image (tag or digest)')
      .option('--build <dir>', 'a folder with a Dockerfile, built on the host’s engine')
      .option('--dockerfile <path>', 'with --build: the Dockerfile inside the folder', 'Dockerfile')
      .option('--port <port>', 'the port the new release listens on in its container', intOption)
      .option('--env <NAME=value>', 'set a variable ({{server}} and {{index}} name the replica); repeat', keyValue),
    intOption,
  ).action(async (name: string, o: RolloutFlags & { image?: string; build?: string; dockerfile: string; port?: number; env?: { name: string; value: string }[] }, cmd: Command) => {
    if (o.image !== undefined && o.build !== undefined) cmd.error('error: give --image <ref> or --build <dir>, not both', { exitCode: EXIT_USAGE });
    const core = getCore();
    const env = await ask(core, 'environments:get', { environment: name });
    let app: AppInput | undefined;
    if (env.app && (o.image !== undefined || o.build !== undefined || o.port !== undefined || o.env)) {
      const vars = new Map(env.app.env.map((v) => [v.name, v.value]));
      for (const v of o.env ?? []) vars.set(v.name, v.value);
      app = {
        ...env.app,
        source: o.image !== undefined ? { kind: 'image', image: o.image } : o.build !== undefined ? { kind: 'build', context: path.resolve(o.build), dockerfile: o.dockerfile } : env.app.source,
        port: o.port ?? env.app.port,
        env: [...vars].map(([k, value]) => ({ name: k, value })),
      };
    }
    const { taskId } = await ask(core, 'releases:start', { environment: name, ...(app ? { app } : {}), rollout: policyOf(o) });
    out((await follow(core, taskId)).message);
  });

  program
    .command('releases')
    .description("An environment's release history, newest first: number, started, result, duration, failed requests, by, what changed, image")
    .argument('<env>')
    .action(async (name: string) => {
      const list = await ask(getCore(), 'releases:list', { environment: name });
      if (!list.length) return out(`${name} has no release yet: the first "switchyard release ${name}" records what runs now as release 1`);
      for (const r of list) out(releaseLine(r));
    });

  rolloutOptions(
    program
      .command('rollback')
      .description('Go back to an earlier release (default: the last one that succeeded before the current), as a rolling update')
      .argument('<env>')
      .option('--to <n>', 'the release to go back to', intOption),
    intOption,
  ).action(async (name: string, o: RolloutFlags & { to?: number }) => {
    const core = getCore();
    const { taskId } = await ask(core, 'releases:rollback', { environment: name, ...(o.to !== undefined ? { to: o.to } : {}), rollout: policyOf(o) });
    out((await follow(core, taskId)).message);
  });
}
