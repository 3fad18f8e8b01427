import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { channelNames, type Task } from '../../shared/contract';
import { SwitchyardError, type ErrorInfo } from '../../shared/errors';
import { MAX_CLUSTER_REPLICAS, MAX_SERVERS, balanceAlgorithms, type EnvironmentInput } from '../../shared/model';
import { createCore, type Core } from '../core/core';
import { resolveDataDir } from '../core/store/data-dir';
import { addHostCommands, footprintLines } from './cli-hosts';
import { addHttpsCommands } from './cli-https';
import { addLiveCommands } from './cli-live';
import { addOwnershipCommands } from './cli-owners';
import { addRegistryCommands } from './cli-registries';
import { addAppCommands } from './cli-apps';
import { addReleaseCommands } from './cli-releases';
import { addConfigCommands } from './cli-configs';
import { addClusterCommands } from './cli-clusters';
import { addBackupCommands } from './cli-backup';
import { addPreferenceCommands } from './cli-preferences';
import { addExportCommands } from './cli-export';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, ask, shellWord, type CliTools } from './cli-tools';

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
  // Ctrl-C asks the task to stop as the window's Cancel does (a release rolls back); a second
  // one quits at once, leaving what a hard stop leaves (settled by the next deploy or release).
  let asked = false;
  const onInterrupt = () => {
    if (asked) process.exit(EXIT_INTERRUPTED);
    asked = true;
    process.stderr.write('cancelling: the task stops at its next step (Ctrl-C again quits at once)\n');
    void core.invoke('tasks:cancel', { id });
  };
  process.on('SIGINT', onInterrupt);
  let task: Task;
  try {
    task = await core.tasks.whenDone(id);
  } finally {
    process.off('SIGINT', onInterrupt);
    off?.();
  }
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

/** A whole-number option; anything else is a command-line error (exit 2) naming the option. */
function intOption(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n)) throw new InvalidArgumentError(`"${value}" is not a whole number.`);
  return n;
}

function serverCount(value: string): number {
  const n = intOption(value);
  if (n < 1) throw new InvalidArgumentError('An environment needs at least one server.');
  if (n > MAX_SERVERS) throw new InvalidArgumentError(`At most ${MAX_SERVERS} servers per environment.`);
  return n;
}

export function buildProgram(getCore: (opts?: { renewals?: boolean; watchContainers?: boolean; watchStore?: boolean }) => Core, out: (s: string) => void): Command {
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

  const env = program.command('env').description('Environments: create, list, deploy, status, destroy, remove, forget');

  env
    .command('create')
    .description('Create an environment (by default the tutorial lab: 2 demo backends, round robin, sticky cookie)')
    .argument('<name>')
    .option('-p, --port <port>', 'HTTP port on the host', intOption)
    .addOption(new Option('-b, --balance <algorithm>', 'balancing algorithm').choices(balanceAlgorithms))
    .option('-n, --servers <count>', `number of demo backends, 1 to ${MAX_SERVERS} (back1, back2, …)`, serverCount)
    .option('--no-sticky', 'no sticky-session cookie')
    .option('--no-redispatch', 'no redispatch when a sticky server is down')
    .option('--haproxy-image <ref>', 'HAProxy image (default haproxy:lts)')
    .option('--demo-base <ref>', 'base image for the demo backend (default busybox)')
    .option('--host <host>', 'the host it runs on (default: this computer); a Swarm manager places it on its cluster')
    .option('--replicas <n>', `on a cluster: tasks of the backend service, 1 to ${MAX_CLUSTER_REPLICAS} (default 2)`, intOption)
    .option('--slots <n>', `on a cluster: HAProxy slots for tasks, more than the replicas (default 16)`, intOption)
    .option('--constraint <expr...>', 'on a cluster: placement constraints, e.g. node.role==worker')
    .option('--spread <label>', 'on a cluster: spread tasks over a node label, e.g. node.labels.zone')
    .option('--lb-node <node>', 'on a cluster: the node HAProxy runs on (default: the manager --host names)')
    .option('--no-cluster', 'on a Swarm manager: run on that machine alone, not on its cluster')
    .action(async (name: string, o: Record<string, unknown>, cmd: Command) => {
      const input: EnvironmentInput = { name };
      const core = getCore();
      if (o.host !== undefined) input.host = o.host as string;
      const clusterOptions = ['replicas', 'slots', 'constraint', 'spread', 'lbNode'].filter((k) => o[k] !== undefined);
      // A host whose engine manages a Swarm cluster: the environment goes on the cluster.
      const onCluster =
        o.host !== undefined &&
        o.cluster !== false &&
        (await ask(core, 'clusters:info', { host: o.host as string }).then(
          (i) => i.manager,
          () => false,
        ));
      if (clusterOptions.length && !onCluster) {
        cmd.error(`error: --${clusterOptions[0].replace('lbNode', 'lb-node')} is for an environment on a cluster: give --host a Swarm manager (switchyard cluster init <host>)`, {
          exitCode: EXIT_USAGE,
        });
      }
      if (onCluster) {
        if (o.servers !== undefined) cmd.error('error: on a cluster, use --replicas (the backend is one service), not --servers', { exitCode: EXIT_USAGE });
        input.servers = [{ name: 'web', kind: 'demo' }];
        input.cluster = {
          ...(o.replicas !== undefined ? { replicas: o.replicas as number } : {}),
          ...(o.slots !== undefined ? { slots: o.slots as number } : {}),
          ...(o.constraint !== undefined ? { constraints: o.constraint as string[] } : {}),
          ...(o.spread !== undefined ? { spread: o.spread as string } : {}),
          ...(o.lbNode !== undefined ? { lbNode: o.lbNode as string } : {}),
        };
      }
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
      const created = await ask(core, 'environments:create', input);
      const where = created.cluster ? `, on the cluster of ${created.host}: ${created.cluster.replicas} tasks` : created.host !== 'local' ? `, on ${created.host}` : '';
      out(`created ${created.name} (HTTP port ${created.httpPort}${where}); deploy it with: switchyard env deploy ${created.name}`);
    });

  env
    .command('lab')
    .description('Create the tutorial lab on the first free name (lab, lab-2, …) and port (8080 up), and deploy it, showing progress')
    .option('--host <host>', 'the host it runs on (default: this computer)')
    .option('--no-deploy', 'create it only')
    .action(async (o: { host?: string; deploy: boolean }) => {
      const core = getCore();
      const created = await ask(core, 'lab:create', o.host === undefined ? {} : { host: o.host });
      out(`created ${created.name} (HTTP port ${created.httpPort}${created.host !== 'local' ? `, on ${created.host}` : ''})`);
      if (!o.deploy) return out(`deploy it with: switchyard env deploy ${created.name}`);
      const res = await call(core, 'environments:deploy', { environment: created.name });
      out((await follow(core, taskIdOf(res)!, out)).message);
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
    .command('scale')
    .description('On a cluster: set how many tasks the backend service runs, and deploy (no request fails)')
    .argument('<name>')
    .argument('<replicas>', `1 to ${MAX_CLUSTER_REPLICAS}`, intOption)
    .action(async (name: string, replicas: number, _o: unknown, cmd: Command) => {
      const core = getCore();
      const current = await ask(core, 'environments:get', { environment: name });
      if (!current.cluster) cmd.error(`error: ${name} is not on a cluster; on one machine, add or remove servers instead (switchyard server add|remove)`, { exitCode: EXIT_USAGE });
      await ask(core, 'environments:update', { environment: name, patch: { cluster: { ...current.cluster, replicas } } });
      const res = await call(core, 'environments:deploy', { environment: name });
      out((await follow(core, taskIdOf(res)!, out)).message);
    });

  env
    .command('status')
    .description("Show an environment's containers and backend health")
    .argument('<name>')
    .action(async (name: string) => {
      const s = (await call(getCore(), 'environments:status', { environment: name })) as import('../../shared/contract').EnvironmentStatus;
      out(`${s.name}: ${s.state}${s.url ? ` at ${s.url}` : ''}`);
      if (s.owner) out(`managed by another Switchyard: ${s.owner.by} (installation ${s.owner.installation.slice(0, 8)}); adopt it with: switchyard env adopt ${s.name}`);
      if (s.haproxy.version) out(`haproxy ${s.haproxy.version}${s.haproxy.configInSync ? '' : ' (config differs from the model: deploy to apply)'}`);
      if (s.cluster) {
        out(`cluster of ${s.cluster.manager}: service ${s.cluster.service}, ${s.cluster.running}/${s.cluster.replicas} tasks running${s.cluster.update ? `, update ${s.cluster.update.state}` : ''}`);
        for (const n of s.cluster.nodes) out(`node ${n.hostname}\t${n.state}\t${n.availability}\t${n.tasks} tasks`);
        if (s.cluster.lost.length) out(`lost nodes: ${s.cluster.lost.join(', ')}`);
      }
      for (const c of s.containers) out(`container ${c.name}\t${c.state}${c.node ? `\t${c.node}` : ''}`);
      for (const v of s.servers) out(`server ${v.name}\t${v.status}\tweight ${v.weight}${v.task ? `\t${v.task}\t${v.node}` : ''}`);
    });

  env
    .command('remove')
    .description('Remove an environment from Switchyard once its containers are gone (destroy it first)')
    .argument('<name>')
    .action(async (name: string) => {
      await ask(getCore(), 'environments:remove', { environment: name });
      out(`removed ${name}`);
    });

  env
    .command('forget')
    .description('Forget an environment whose server is gone for good: Switchyard drops it without reaching the server, and says what may remain there')
    .argument('<name>')
    .option('-y, --yes', 'confirm (forgetting cannot be undone)')
    .action(async (name: string, o: { yes?: boolean }, cmd: Command) => {
      const core = getCore();
      if (!o.yes) {
        const f = await ask(core, 'environments:footprint', { environment: name });
        out(`Forgetting ${name} removes it from Switchyard only. Nothing is sent to ${f.host}: whatever Switchyard created there stays.`);
        footprintLines([f]).forEach((l) => out(l));
        cmd.error(`error: nothing was changed; to forget ${name}, run the command again with --yes`, { exitCode: EXIT_USAGE });
      }
      const { left } = await ask(core, 'environments:forget', { environment: name });
      out(`forgot ${name}; nothing was sent to ${left[0]?.host ?? 'its host'}`);
      footprintLines(left).forEach((l) => out(l));
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
      await runServe({ core: getCore({ renewals: true, watchContainers: true, watchStore: true }), rendererDir: path.join(appRoot, 'out', 'renderer'), port: o.port, host: o.host, out });
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
  addOwnershipCommands(program, tools);
  addRegistryCommands(program, tools);
  addAppCommands(program, tools);
  addReleaseCommands(program, tools);
  addConfigCommands(program, tools);
  addClusterCommands(program, tools);
  addBackupCommands(program, tools);
  addExportCommands(program, tools);
  addPreferenceCommands(program, tools);

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
      core ??= createCore({ dataDir: dataDir ? path.resolve(dataDir) : resolveDataDir(), appRoot, renewals: opts.renewals, watchContainers: opts.watchContainers, watchStore: opts.watchStore });
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
