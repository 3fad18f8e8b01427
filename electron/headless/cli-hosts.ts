import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { SwitchyardError } from '../../shared/errors';
import { hostKeyFile, type Host, type HostCheckName, type HostCheckResult, type SshHostInput } from '../../shared/hosts';
import type { Footprint } from '../../shared/contract';
import type { Core } from '../core/core';
import { EXIT_USAGE, ask, type CliTools } from './cli-tools';
import { readSecret } from './read-secret';

const FIELD_BY_CHECK: Partial<Record<HostCheckName, string>> = { 'host-key': 'hostKey', authenticated: 'auth' };

function hostLine(h: Host): string {
  if (h.kind === 'local') return `${h.id}\t${h.name}`;
  const auth = h.auth.method === 'key' ? `key ${h.auth.keyPath}` : h.auth.method;
  const key = h.hostKey ? `${h.hostKey.algorithm} ${h.hostKey.fingerprint}` : 'key not trusted';
  return `${h.id}\t${h.user}@${h.address}:${h.port}\t${auth}\t${key}`;
}

function checkLine(r: HostCheckResult): string {
  const status = r.skipped ? 'skip' : r.ok ? 'ok' : 'FAIL';
  const check = r.check === 'port' ? `port ${r.port}` : r.check;
  return `${status.padEnd(4)}  ${check.padEnd(13)}  ${r.message}`;
}

function failureOf(r: HostCheckResult): SwitchyardError {
  return new SwitchyardError(r.code ?? 'INTERNAL', r.message, { field: FIELD_BY_CHECK[r.check], detail: r.detail });
}

/** The presented key and the exact command that trusts it, once the user has compared it. */
function trustAdvice(id: string, r: HostCheckResult, globalArgs: string): string[] {
  const k = r.hostKey;
  if (!k) return [];
  const { algorithm, fingerprint } = k.presented;
  const compare = `"ssh-keygen -lf ${hostKeyFile(algorithm)}" on the server`;
  const lines =
    k.kind === 'unknown'
      ? [`host key: ${algorithm} ${fingerprint}`, `Compare it with what ${compare} prints; if they are the same, trust it:`]
      : [`host key: ${algorithm} ${fingerprint} (trusted until now: ${k.expected})`, `Trust the new key only if the server was reinstalled and ${compare} prints the same:`];
  return [...lines, `  switchyard${globalArgs} host trust ${id} --fingerprint ${fingerprint} --algorithm ${algorithm}`];
}

/** Runs the host's checks and prints one line each; a failed check fails the command with its code. */
async function runChecks(core: Core, id: string, ports: number[], { out, globalArgs }: CliTools): Promise<void> {
  const results = await ask(core, 'hosts:check', { id, ports });
  results.forEach((r) => out(checkLine(r)));
  const failed = results.find((r) => !r.ok && !r.skipped);
  if (!failed) return;
  trustAdvice(id, failed, globalArgs()).forEach((l) => out(l));
  throw failureOf(failed);
}

/** A key path as typed: `~/` is the home folder (also inside `--key=~/…`, where the shell leaves it), relative to here. */
function absolutePath(p: string): string {
  return path.resolve(p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p);
}

const collectInts =
  (intOption: (v: string) => number) =>
  (v: string, prev: number[] = []) => [...prev, intOption(v)];

interface AddOptions {
  address: string;
  port?: number;
  user: string;
  agent?: boolean;
  key?: string;
  passphraseStdin?: boolean;
  passwordStdin?: boolean;
  fingerprint?: string;
  algorithm?: string;
}

/** Remote hosts over SSH: list, add (secrets from stdin), check, trust the host key, remove. */
/** The one way to log in the options give (--agent, --key [--passphrase-stdin], --password-stdin); secrets read from standard input. */
async function authFrom(o: Pick<AddOptions, 'agent' | 'key' | 'passphraseStdin' | 'passwordStdin'>, cmd: Command): Promise<SshHostInput['auth']> {
  const ways = [o.agent && '--agent', o.key !== undefined && '--key', o.passwordStdin && '--password-stdin'].filter(Boolean);
  if (ways.length !== 1) {
    cmd.error(`error: choose one way to log in: --agent, --key <path> or --password-stdin${ways.length ? ` (not ${ways.join(' and ')})` : ''}`, { exitCode: EXIT_USAGE });
  }
  if (o.passphraseStdin && o.key === undefined) cmd.error('error: --passphrase-stdin goes with --key <path>', { exitCode: EXIT_USAGE });
  if (o.agent) return { method: 'agent' };
  if (o.key !== undefined) {
    return o.passphraseStdin ? { method: 'key', keyPath: absolutePath(o.key), passphrase: await readSecret('Passphrase') } : { method: 'key', keyPath: absolutePath(o.key) };
  }
  return { method: 'password', password: await readSecret('Password') };
}

export function addHostCommands(program: Command, tools: CliTools): void {
  const { getCore, out, intOption } = tools;
  const host = program.command('host').description('Remote hosts reached over SSH: add, check, trust, list, remove, forget');

  host
    .command('list')
    .description('List hosts: id, user@address:port, how Switchyard logs in, the trusted host key')
    .action(async () => {
      for (const h of await ask(getCore(), 'hosts:list', {})) out(hostLine(h));
    });

  host
    .command('add')
    .description('Add a host, then check it once (on first contact this shows its host key to compare and trust)')
    .argument('<name>', 'the host id (lower-case letters, digits, hyphens)')
    .requiredOption('--address <address>', 'host name or IPv4 address')
    .option('--port <port>', 'SSH port (default 22)', intOption)
    .requiredOption('--user <user>', 'user to log in as')
    .option('--agent', 'log in with the keys of the SSH agent (SSH_AUTH_SOCK)')
    .option('--key <path>', 'log in with this private key file')
    .option('--passphrase-stdin', "with --key: read the key's passphrase from standard input")
    .option('--password-stdin', 'log in with a password read from standard input')
    .option('--fingerprint <SHA256:…>', 'with --algorithm: a host key already compared with the server, trusted at once')
    .option('--algorithm <type>', 'the host key type, e.g. ssh-ed25519')
    .action(async (name: string, o: AddOptions, cmd: Command) => {
      if ((o.fingerprint === undefined) !== (o.algorithm === undefined)) cmd.error('error: --fingerprint and --algorithm go together', { exitCode: EXIT_USAGE });
      const auth = await authFrom(o, cmd);
      const input: SshHostInput = { name, address: o.address, user: o.user, auth };
      if (o.port !== undefined) input.port = o.port;
      if (o.fingerprint !== undefined && o.algorithm !== undefined) input.hostKey = { fingerprint: o.fingerprint, algorithm: o.algorithm };

      const core = getCore();
      const added = await ask(core, 'hosts:add', input);
      out(`added ${added.id}: ${added.user}@${added.address}:${added.port}, ${added.auth.method}`);
      await runChecks(core, added.id, [], tools);
    });

  host
    .command('credentials')
    .description('Change how Switchyard logs in to a host (a new password, another key, the agent), also while environments run on it')
    .argument('<name>')
    .option('--agent', 'log in with the keys of the SSH agent (SSH_AUTH_SOCK)')
    .option('--key <path>', 'log in with this private key file')
    .option('--passphrase-stdin', "with --key: read the key's passphrase from standard input")
    .option('--password-stdin', 'log in with a password read from standard input')
    .action(async (name: string, o: Pick<AddOptions, 'agent' | 'key' | 'passphraseStdin' | 'passwordStdin'>, cmd: Command) => {
      const core = getCore();
      const h = await ask(core, 'hosts:credentials', { id: name, auth: await authFrom(o, cmd) });
      out(`${h.id} now logs in with ${h.auth.method === 'key' ? `the key ${h.auth.keyPath}` : h.auth.method === 'agent' ? 'the SSH agent' : 'the new password'}`);
      await runChecks(core, h.id, [], tools);
    });

  host
    .command('check')
    .description('Check a host: reachable, host key, login, Docker and access to it, architecture, disk, and free ports')
    .argument('<name>')
    .option('-p, --port <port...>', 'also check that these ports are free on the host', collectInts(intOption))
    .action(async (name: string, o: { port?: number[] }) => {
      await runChecks(getCore(), name, o.port ?? [], tools);
    });

  host
    .command('trust')
    .description("Trust a host's key, after comparing it with the server's (ssh-keygen -lf on the server)")
    .argument('<name>')
    .requiredOption('--fingerprint <SHA256:…>', 'the fingerprint, as ssh-keygen -l prints it')
    .requiredOption('--algorithm <type>', 'the key type, e.g. ssh-ed25519')
    .action(async (name: string, o: { fingerprint: string; algorithm: string }) => {
      const h = await ask(getCore(), 'hosts:trust', { id: name, hostKey: { algorithm: o.algorithm, fingerprint: o.fingerprint } });
      out(`trusted ${h.id}: ${h.hostKey?.algorithm} ${h.hostKey?.fingerprint}; check it with: switchyard${tools.globalArgs()} host check ${h.id}`);
    });

  host
    .command('remove')
    .description('Remove a host and its stored password or passphrase (refused while environments run on it)')
    .argument('<name>')
    .action(async (name: string) => {
      await ask(getCore(), 'hosts:remove', { id: name });
      out(`removed ${name}`);
    });

  host
    .command('forget')
    .description('Forget a host whose server is gone for good, with the environments placed on it; nothing is sent to the server')
    .argument('<name>')
    .option('-y, --yes', 'confirm (forgetting cannot be undone)')
    .action(async (name: string, o: { yes?: boolean }, cmd: Command) => {
      const core = getCore();
      if (!o.yes) {
        const placed = await ask(core, 'hosts:footprint', { id: name });
        const with_ = placed.length ? `, and ${environmentsWord(placed)} placed on it` : '';
        out(`Forgetting ${name} removes it from Switchyard with its stored password or passphrase${with_}.`);
        out('Nothing is sent to the server: whatever Switchyard created there stays.');
        footprintLines(placed).forEach((l) => out(l));
        cmd.error(`error: nothing was changed; to forget ${name}, run the command again with --yes`, { exitCode: EXIT_USAGE });
      }
      const { left } = await ask(core, 'hosts:forget', { id: name });
      out(`forgot ${name}${left.length ? ` and ${environmentsWord(left)}` : ''}; nothing was sent to the server`);
      footprintLines(left).forEach((l) => out(l));
    });
}

function environmentsWord(list: Footprint[]): string {
  return `${list.length === 1 ? 'the environment' : `${list.length} environments`} ${list.map((f) => f.environment).join(', ')}`;
}

/** What forgetting leaves on a server, and how to find it there should the server come back. */
export function footprintLines(left: Footprint[]): string[] {
  return left.flatMap((f) => [
    `may remain on ${f.host} for ${f.environment}:`,
    `  containers  ${f.containers.join(', ')}`,
    `  networks    ${f.networks.join(', ')}`,
    `  volumes     ${f.volumes.join(', ')}`,
    `  (all labelled ${f.label}: docker ps -a, docker network ls and docker volume ls with --filter label=${f.label} find them)`,
  ]);
}
