import type { Command } from 'commander';
import { ask, type CliTools } from './cli-tools';
import { readSecret } from './read-secret';

/** Private registry logins: the password comes from standard input, never the command line. */
export function addRegistryCommands(program: Command, { getCore, out }: CliTools): void {
  const registry = program.command('registry').description('Private image registries: login (checked by the host’s engine), list, logout');

  registry
    .command('login')
    .description('Keep a login for a registry, checked first by the engine of the host that will pull')
    .argument('<registry>', 'e.g. registry.example.com, ghcr.io, 127.0.0.1:5000 (docker.io for Docker Hub)')
    .requiredOption('--user <user>', 'user name at the registry')
    .requiredOption('--password-stdin', 'read the password (or token) from standard input')
    .option('--host <id>', 'the host whose engine pulls with it (default: local)')
    .action(async (name: string, o: { user: string; host?: string }) => {
      const password = await readSecret('Password');
      const saved = await ask(getCore(), 'registries:login', { registry: name, host: o.host ?? 'local', username: o.user, password });
      out(`logged in to ${saved.registry} as ${saved.username} for ${saved.host}`);
    });

  registry
    .command('list')
    .description('List the kept logins: registry, host, user')
    .action(async () => {
      for (const r of await ask(getCore(), 'registries:list', {})) out(`${r.registry}\t${r.host}\t${r.username}`);
    });

  registry
    .command('logout')
    .description('Forget the login for a registry on a host')
    .argument('<registry>')
    .option('--host <id>', 'the host (default: local)')
    .action(async (name: string, o: { host?: string }) => {
      await ask(getCore(), 'registries:logout', { registry: name, host: o.host ?? 'local' });
      out(`logged out of ${name} for ${o.host ?? 'local'}`);
    });
}
