import { InvalidArgumentError, type Command } from 'commander';
import { notificationKinds, type PreferencesPatch } from '../../shared/preferences';
import { ask, type CliTools } from './cli-tools';

function onOff(value: string): boolean {
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new InvalidArgumentError('must be on or off');
}

/** The installation's desktop notifications, as the app's Settings show them. */
export function addPreferenceCommands(program: Command, { getCore, out }: CliTools): void {
  program
    .command('notifications')
    .description('Show, or turn on and off, the desktop notifications the app shows (one line per kind: kind, on|off)')
    .option('--backends <on|off>', 'a server goes down, or an environment has no server left', onOff)
    .option('--certificates <on|off>', 'a certificate expires soon, has expired, or fails to renew', onOff)
    .action(async (o: { backends?: boolean; certificates?: boolean }) => {
      const core = getCore();
      const patch: PreferencesPatch = { notifications: { backends: o.backends, certificates: o.certificates } };
      const changing = o.backends !== undefined || o.certificates !== undefined;
      const prefs = changing ? await ask(core, 'preferences:set', patch) : await ask(core, 'preferences:get', {});
      for (const kind of notificationKinds) out(`${kind.padEnd(14)}${prefs.notifications[kind] ? 'on' : 'off'}`);
    });
}
