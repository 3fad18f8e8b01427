import path from 'node:path';
import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError } from 'commander';
import { newSince, type OutputLine } from '../../shared/app-output';
import type { AppInput } from '../../shared/apps';
import { SwitchyardError } from '../../shared/errors';
import type { ServerInput } from '../../shared/model';
import { EXIT_USAGE, ask, type CliTools } from './cli-tools';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** A number option (CPUs may be fractional); anything else is a command-line error naming it. */
function numberOption(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`"${value}" is not a number.`);
  return n;
}

/** `--env NAME=value`, repeatable. */
export function keyValue(v: string, prev: { name: string; value: string }[] = []) {
  const at = v.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`"${v}" is not NAME=value`);
  return [...prev, { name: v.slice(0, at), value: v.slice(at + 1) }];
}

/** One line of standard input per secret, in the order the --secret options were given. */
async function readLines(count: number): Promise<string[]> {
  if (!count) return [];
  const rl = createInterface({ input: process.stdin, terminal: false });
  const lines: string[] = [];
  for await (const line of rl) {
    lines.push(line);
    if (lines.length === count) break;
  }
  rl.close();
  return lines;
}

/** The user's own app: set it (image or build folder), try it, read a replica's output. */
export function addAppCommands(program: Command, { getCore, out, follow, intOption }: CliTools): void {
  const app = program.command('app').description("An environment's own app: set (image or build folder), test, logs");

  app
    .command('set')
    .description('Run your app as the environment’s backends (replicas app1, app2, …); deploy to apply')
    .argument('<env>')
    .option('--image <ref>', 'an image from any registry (tag or digest)')
    .option('--build <dir>', 'a folder with a Dockerfile, built on the host’s engine')
    .option('--dockerfile <path>', 'with --build: the Dockerfile inside the folder', 'Dockerfile')
    .option('--port <port>', 'the port the app listens on in its container (default 80)', intOption)
    .option('--env <NAME=value>', 'a variable ({{server}} and {{index}} name the replica); repeat', keyValue)
    .option('--secret <NAME>', 'a secret variable, its value read from standard input (one line each, in order); repeat', collect)
    .option('--replicas <n>', 'how many replicas (default: as many backends as now)', intOption)
    .option('--command <arg>', "replaces the image's command, one argument per option; repeat", collect)
    .option('--memory <MB>', 'a memory limit per replica, in MB', intOption)
    .option('--cpus <n>', 'a CPU limit per replica (0.5: half a CPU)', numberOption)
    .action(
      async (
        name: string,
        o: {
          image?: string;
          build?: string;
          dockerfile: string;
          port?: number;
          env?: { name: string; value: string }[];
          secret?: string[];
          replicas?: number;
          command?: string[];
          memory?: number;
          cpus?: number;
        },
        cmd: Command,
      ) => {
        if ((o.image === undefined) === (o.build === undefined)) cmd.error('error: give one of --image <ref> or --build <dir>', { exitCode: EXIT_USAGE });
        if (o.replicas !== undefined && (o.replicas < 1 || o.replicas > 64)) cmd.error('error: --replicas must be between 1 and 64', { exitCode: EXIT_USAGE });
        const core = getCore();
        const env = await ask(core, 'environments:get', { environment: name });
        const values = await readLines(o.secret?.length ?? 0);
        if (values.length < (o.secret?.length ?? 0)) cmd.error(`error: ${o.secret!.length} secret values expected on standard input, got ${values.length}`, { exitCode: EXIT_USAGE });
        const input: AppInput = {
          source: o.image !== undefined ? { kind: 'image', image: o.image } : { kind: 'build', context: path.resolve(o.build!), dockerfile: o.dockerfile },
          port: o.port ?? env.app?.port ?? 80,
          env: o.env ?? [],
          secrets: (o.secret ?? []).map((s, i) => ({ name: s, value: values[i] })),
          ...(o.command ? { command: o.command } : {}),
          ...(o.memory !== undefined ? { memoryMb: o.memory } : {}),
          ...(o.cpus !== undefined ? { cpus: o.cpus } : {}),
        };
        if (env.cluster) {
          // On a cluster the app is one service; its replicas are its tasks.
          const replicas = o.replicas ?? env.cluster.replicas;
          const saved = await ask(core, 'environments:update', { environment: name, patch: { app: input, servers: [{ name: 'app', kind: 'app' }], cluster: { ...env.cluster, replicas } } });
          const what = saved.app!.source.kind === 'image' ? saved.app!.source.image : `the folder ${saved.app!.source.context}`;
          out(`${name} runs ${what} on port ${saved.app!.port} as the service app, ${replicas} tasks on the cluster of ${saved.host}; deploy it with: switchyard env deploy ${name}`);
          return;
        }
        // The replicas take the place of the demo backends; external servers stay beside them.
        const external = env.servers.filter((s) => s.kind === 'external');
        const current = env.servers.filter((s) => s.kind !== 'external');
        const count = o.replicas ?? Math.max(1, current.length);
        const replicas: ServerInput[] = Array.from({ length: count }, (_, i) => {
          const same = current.find((s) => s.kind === 'app' && s.name === `app${i + 1}`);
          return same ?? { name: `app${i + 1}`, kind: 'app' };
        });
        const saved = await ask(core, 'environments:update', { environment: name, patch: { app: input, servers: [...replicas, ...external] } });
        const what = saved.app!.source.kind === 'image' ? saved.app!.source.image : `the folder ${saved.app!.source.context}`;
        out(`${name} runs ${what} on port ${saved.app!.port} as ${replicas.map((r) => r.name).join(', ')}; deploy it with: switchyard env deploy ${name}`);
      },
    );

  app
    .command('test')
    .description('Try the app in a throwaway container on its host: started, stayed up, answers on its port and health path')
    .argument('<env>')
    .action(async (name: string) => {
      const core = getCore();
      const { taskId } = await ask(core, 'environments:get', { environment: name }).then(() => ask(core, 'apps:test', { environment: name }));
      let failed: unknown;
      await follow(core, taskId).catch((err: unknown) => (failed = err));
      const r = await ask(core, 'apps:report', { id: taskId }).catch(() => undefined);
      if (r) {
        out(`started\t${r.started ? 'ok' : 'FAIL'}`);
        out(`stayed up\t${r.stayedUp ? 'ok' : r.started ? `FAIL${r.exitCode !== undefined ? ` (exit code ${r.exitCode})` : ''}` : 'skip'}`);
        out(`listening\t${r.listening ? 'ok' : r.stayedUp ? 'FAIL' : 'skip'}`);
        if (r.health) out(`health\t${r.health.ok ? 'ok' : 'FAIL'} (${r.health.path}: ${r.health.status ?? 'no answer'}, expected ${r.health.expected})`);
        if (!r.ok && r.logs) out(`last lines:\n${r.logs}`);
      }
      if (failed) throw failed;
    });

  app
    .command('logs')
    .description("A replica's own output (stdout and stderr)")
    .argument('<env>')
    .argument('<server>')
    .option('-n, --lines <n>', 'how many lines (default 100)', intOption)
    .option('-f, --follow', 'then keep printing its new lines until Ctrl-C (across restarts and deploys)')
    .action(async (name: string, server: string, o: { lines?: number; follow?: boolean }) => {
      const core = getCore();
      const request = { environment: name, server, lines: o.lines ?? 100 };
      if (!o.follow) return (await ask(core, 'apps:logs', request)).lines.forEach((l) => out(l));
      // Subscribed first, then the tail: a line written between the two is not lost, and printed once.
      let until: string | undefined;
      let heard: OutputLine[] | undefined = [];
      const print = (lines: OutputLine[]) => newSince(until, lines).forEach((l) => out(l.text));
      const stop = await core.subscribe('apps:output', { environment: name, server }, (p) => (heard ? heard.push(...p.lines) : print(p.lines)));
      let tail: string[] = [];
      try {
        ({ lines: tail, until } = await ask(core, 'apps:logs', request));
      } catch (err) {
        // Refused calls were refused by the subscription already: here the container is not there yet.
        if (!(err instanceof SwitchyardError && err.code === 'NOT_FOUND')) {
          stop();
          throw err;
        }
        process.stderr.write(`${server} has no container yet: its output follows once it runs (Ctrl-C to stop)\n`);
      }
      tail.forEach((l) => out(l));
      print(heard);
      heard = undefined;
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      stop();
    });
}
