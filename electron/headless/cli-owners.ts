import type { Command } from 'commander';
import type { FoundEnvironment, InstallationRef } from '../../shared/contract';
import { EXIT_USAGE, ask, type CliTools } from './cli-tools';

const shortId = (id: string) => id.slice(0, 8);
const ownerWords = (o: InstallationRef) => `${o.by} (installation ${shortId(o.installation)})`;

/** One line per environment found on a host: name, who manages it, containers, port, known here. */
export function foundLine(f: FoundEnvironment): string {
  const who = f.managedHere ? (f.owner ? 'managed here' : 'not claimed yet') : f.owner ? `managed by ${ownerWords(f.owner)}` : 'not claimed';
  const parts = [f.name, who, `${f.running}/${f.containers} containers running`];
  if (f.httpPort) parts.push(`port ${f.httpPort}`);
  parts.push(f.known ? 'known here' : 'unknown here');
  if (!f.managedHere && !f.adoptable) parts.push('no settings to adopt it with');
  return parts.join('\t');
}

/**
 * Ownership on a shared engine: what Switchyard deployed on a host, from any installation, and
 * taking an environment over (confirmed with --yes).
 */
export function addOwnershipCommands(program: Command, { getCore, out, follow }: CliTools): void {
  const env = program.commands.find((c) => c.name() === 'env')!;
  const host = program.commands.find((c) => c.name() === 'host')!;

  host
    .command('environments')
    .description('List the environments Switchyard deployed on a host (local for this computer), with who manages each')
    .argument('<id>')
    .action(async (id: string) => {
      const core = getCore();
      const me = (await ask(core, 'system:info', {})).installation;
      out(`this Switchyard: ${ownerWords(me)}`);
      const found = await ask(core, 'hosts:environments', { id });
      if (!found.length) out(`Switchyard has deployed nothing on ${id}`);
      for (const f of found) out(foundLine(f));
    });

  env
    .command('adopt')
    .description('Take an environment over from the Switchyard that manages it on a host (nothing is recreated)')
    .argument('<name>')
    .option('--host <id>', 'the host it runs on (default: the one this Switchyard has it on, else local)')
    .option('-y, --yes', 'confirm (the other Switchyard can no longer change it)')
    .action(async (name: string, o: { host?: string; yes?: boolean }, cmd: Command) => {
      const core = getCore();
      const known = (await ask(core, 'environments:list', {})).find((e) => e.name === name);
      const hostId = o.host ?? known?.host ?? 'local';
      if (!o.yes) {
        const f = (await ask(core, 'hosts:environments', { id: hostId })).find((x) => x.name === name);
        if (!f) cmd.error(`error: there is no environment named ${name} on ${hostId}`, { exitCode: EXIT_USAGE });
        out(foundLine(f));
        if (f.managedHere && f.owner) {
          out(`${name} is already managed by this Switchyard`);
          return;
        }
        out(
          `Adopting ${name} takes it over${f.owner ? ` from ${ownerWords(f.owner)}` : ''}: it keeps running while a deploy applies ${
            f.known ? "this Switchyard's settings" : 'the settings it was last deployed with'
          }, and the other Switchyard can no longer change it.`,
        );
        cmd.error(`error: nothing was changed; to adopt ${name}, run the command again with --yes`, { exitCode: EXIT_USAGE });
      }
      const { taskId } = await ask(core, 'environments:adopt', { environment: name, host: hostId });
      out((await follow(core, taskId)).message);
    });
}
