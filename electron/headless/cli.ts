import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { channelNames, type Task } from '../../shared/contract';
import { SwitchyardError, type ErrorInfo } from '../../shared/errors';
import { balanceAlgorithms, type EnvironmentInput } from '../../shared/model';
import { createCore, type Core } from '../core/core';
import { resolveDataDir } from '../core/store/data-dir';
import { addHostCommands } from './cli-hosts';
import { addHttpsCommands } from './cli-https';
import { addLiveCommands } from './cli-live';
import { EXIT_FAILED, EXIT_USAGE, shellWord, type CliTools } from './cli-tools';

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

class Failed extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
  }
}

function printError(info: ErrorInfo): void {
  process.stderr.write(`error ${info.code}: ${info.message}\n`);
  if (info.field) process.stderr.write(`field: ${info.field}\n`);
}

async function call(core: Core, channel: string, payload: unknown): Promise<unknown> {
  const res = await core.invoke(channel, payload);
  if (!res.ok) throw new Failed(res.error);
  return res.result;
}

function taskIdOf(result: unknown): string | undefined {
  const id = (result as { taskId?: unknown } | null)?.taskId;
  return typeof id === 'string' ? id : undefined;
}

/** Keeps the process alive until the task ends (it runs in this process); fails if it failed. */
async function waitTask(core: Core, id: string, onUpdate?: (t: Task) => void): Promise<Task> {
  const off = onUpdate ? core.events.on('tasks:updated', (t) => t.id === id && onUpdate(t)) : undefined;
  const task = await core.tasks.whenDone(id);
  off?.();
  if (task.state !== 'succeeded') throw new Failed(task.error ?? { code: 'INTERNAL', message: task.message });
  return task;
}

function progressLine(t: Task): string {
  return `[${String(t.progress).padStart(3)}%] ${t.step}: ${t.message}`;
}

/** Waits for a task, printing a line at each new step or message while it runs. */
async function follow(core: Core, id: string, out: (s: string) => void): Promise<Task> {
  let last = '';
  return waitTask(core, id, (t) => {
    const line = progressLine(t);
    if (t.state === 'running' && line !== last) out((last = line));
  });
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Failed({ code: 'VALIDATION', message: `The payload is not valid JSON: ${(err as Error).message}` });
  }
}

function intOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new SwitchyardError('VALIDATION', `"${value}" is not a whole number`);
  return n;
}

export function buildProgram(getCore: (opts?: { renewals?: boolean }) => Core, out: (s: string) => void): Command {
  const program = new Command('switchyard')
    .description('Switchyard: HAProxy load-balanced environments on Docker, from the command line.')
    .option('--data-dir <dir>', 'data folder (default: SWITCHYARD_DATA_DIR or the app-data folder)')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('call')
    .description('Run any contract channel and print its JSON result')
    .argument('<channel>', `one of: ${channelNames.join(', ')}`)
    .argument('[json]', 'the request payload as JSON', undefined)
    .option('-f, --follow', 'print every task event (one JSON object per line) until the task ends')
    .action(async (channel: string, json: string | undefined, o: { follow?: boolean }) => {
      const core = getCore();
      const result = await call(core, channel, parseJson(json));
      out(JSON.stringify(result, null, 2));
      const id = taskIdOf(result);
      if (id) await waitTask(core, id, o.follow ? (t) => out(JSON.stringify(t)) : undefined);
    });

  program
    .command('channels')
    .description('List the contract channels')
    .action(() => out(channelNames.join('\n')));

  const env = program.command('env').description('Environments: create, list, deploy, status, destroy');

  env
    .command('create')
    .description('Create an environment (by default the tutorial lab: 2 demo backends, round robin, sticky cookie)')
    .argument('<name>')
    .option('-p, --port <port>', 'HTTP port on the host', intOption)
    .addOption(new Option('-b, --balance <algorithm>', 'balancing algorithm').choices(balanceAlgorithms))
    .option('-n, --servers <count>', 'number of demo backends (back1, back2, …)', intOption)
    .option('--no-sticky', 'no sticky-session cookie')
    .option('--no-redispatch', 'no redispatch when a sticky server is down')
    .option('--haproxy-image <ref>', 'HAProxy image (default haproxy:lts)')
    .option('--demo-base <ref>', 'base image for the demo backend (default busybox)')
    .action(async (name: string, o: Record<string, unknown>) => {
      const input: EnvironmentInput = { name };
      if (o.port !== undefined) input.httpPort = o.port as number;
      if (o.balance) input.balance = o.balance as EnvironmentInput['balance'];
      if (o.servers !== undefined) {
        input.servers = Array.from({ length: o.servers as number }, (_, i) => ({ name: `back${i + 1}`, kind: 'demo' as const }));
      }
      if (o.sticky === false) input.sticky = { enabled: false };
      if (o.redispatch === false) input.redispatch = false;
      if (o.haproxyImage || o.demoBase) {
        input.images = {};
        if (o.haproxyImage) input.images.haproxy = o.haproxyImage as string;
        if (o.demoBase) input.images.demoBase = o.demoBase as string;
      }
      const created = (await call(getCore(), 'environments:create', input)) as { name: string; httpPort: number };
      out(`created ${created.name} (HTTP port ${created.httpPort}); deploy it with: switchyard env deploy ${created.name}`);
    });

  env
    .command('list')
    .description('List environments')
    .action(async () => {
      const list = (await call(getCore(), 'environments:list', {})) as { name: string; httpPort: number; balance: string; servers: unknown[] }[];
      if (!list.length) return out('no environments');
      for (const e of list) out(`${e.name}\tport ${e.httpPort}\t${e.balance}\t${e.servers.length} servers`);
    });

  for (const verb of ['deploy', 'destroy'] as const) {
    env
      .command(verb)
      .description(verb === 'deploy' ? 'Deploy (or update) an environment, showing progress' : 'Remove all containers, networks and volumes of an environment')
      .argument('<name>')
      .action(async (name: string) => {
        const core = getCore();
        const res = await call(core, `environments:${verb}`, { name });
        out((await follow(core, taskIdOf(res)!, out)).message);
      });
  }

  env
    .command('status')
    .description("Show an environment's containers and backend health")
    .argument('<name>')
    .action(async (name: string) => {
      const s = (await call(getCore(), 'environments:status', { name })) as import('../../shared/contract').EnvironmentStatus;
      out(`${s.name}: ${s.state}${s.url ? ` at ${s.url}` : ''}`);
      if (s.haproxy.version) out(`haproxy ${s.haproxy.version}${s.haproxy.configInSync ? '' : ' (config differs from the model: deploy to apply)'}`);
      for (const c of s.containers) out(`container ${c.name}\t${c.state}`);
      for (const v of s.servers) out(`server ${v.name}\t${v.status}\tweight ${v.weight}`);
    });

  program
    .command('serve')
    .description('Serve the app to a browser on this machine (127.0.0.1 only, behind a token) until Ctrl-C')
    .option('--port <port>', 'TCP port (default: a free one)', intOption)
    .option('--host <host>', 'loopback address to listen on', '127.0.0.1')
    .action(async (o: { port?: number; host: string }) => {
      const { runServe, isLoopbackHost } = await import('./serve');
      if (o.port !== undefined && (o.port < 0 || o.port > 65535)) program.error(`error: --port must be between 0 and 65535`, { exitCode: EXIT_USAGE });
      if (!isLoopbackHost(o.host)) program.error(`error: --host must be a loopback address (127.0.0.1, ::1 or localhost), not "${o.host}"`, { exitCode: EXIT_USAGE });
      await runServe({ core: getCore({ renewals: true }), rendererDir: path.join(appRoot, 'out', 'renderer'), port: o.port, host: o.host, out });
    });

  const tools: CliTools = {
    getCore,
    out,
    call,
    waitTask,
    follow: (core, id) => follow(core, id, out),
    intOption,
    globalArgs: () => {
      const dataDir = program.opts<{ dataDir?: string }>().dataDir;
      return dataDir ? ` --data-dir ${shellWord(path.resolve(dataDir))}` : '';
    },
  };
  addLiveCommands(program, tools);
  addHostCommands(program, tools);
  addHttpsCommands(program, tools);

  return program;
}

async function main(argv: string[]): Promise<number> {
  // Piped into `head`, the reader may go away first: that ends the output, not in a crash.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  let core: Core | undefined;
  const program = buildProgram(
    (opts = {}) => {
      const dataDir = program.opts<{ dataDir?: string }>().dataDir;
      // Renewals run only in long-lived processes (serve), never in a one-shot command.
      core ??= createCore({ dataDir: dataDir ? path.resolve(dataDir) : resolveDataDir(), appRoot, renewals: opts.renewals });
      return core;
    },
    (s) => process.stdout.write(`${s}\n`),
  );
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    if (err instanceof Failed) printError(err.info);
    else if (err instanceof SwitchyardError) printError(err.toInfo());
    else printError({ code: 'INTERNAL', message: (err as Error).message });
    return EXIT_FAILED;
  } finally {
    await core?.close();
  }
}

process.exitCode = await main(process.argv);
