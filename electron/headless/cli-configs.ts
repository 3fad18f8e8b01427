import { InvalidArgumentError, type Command } from 'commander';
import type { ConfigTrigger, ConfigVersionSummary } from '../../shared/config-history';
import { english } from '../../shared/messages';
import { ask, type CliTools } from './cli-tools';

/** What made a version, as the table says it. */
export function triggerText(t: ConfigTrigger): string {
  if (t.kind === 'restore') return `restore of ${t.version}`;
  if (t.kind === 'release') return `release ${t.number}`;
  return t.kind === 'https' ? 'HTTPS change' : 'deploy';
}

/** An instant to the second, in UTC: the same on every machine that reads the data folder. */
const when = (iso: string) => iso.replace(/\.\d+Z$/, 'Z');

/** The history as a table, newest first: one line per version. */
export function historyTable(versions: ConfigVersionSummary[]): string[] {
  const rows = versions.map((v) => [String(v.version), when(v.at), v.by.by, triggerText(v.trigger), english(v.summary)]);
  const head = ['VERSION', 'WHEN', 'BY', 'TRIGGER', 'CHANGES'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)];
}

function versionArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a version number (1, 2, …).`);
  return n;
}

/** An environment's config history: list, show, diff, restore. */
export function addConfigCommands(program: Command, { getCore, out, follow }: CliTools): void {
  program
    .command('configs')
    .description("An environment's config history, newest first: version, when, by whom, what made it, what changed")
    .argument('<env>')
    .action(async (name: string) => {
      const versions = await ask(getCore(), 'configs:list', { environment: name });
      if (!versions.length) return out(`${name} has no config history yet: it starts with its next deploy (switchyard env deploy ${name})`);
      historyTable(versions).forEach((l) => out(l));
    });

  const config = program.command('config').description('One version of an environment’s config history: show, diff, restore');

  config
    .command('show')
    .description('Print the haproxy.cfg a version served (or, with --settings, the settings it was rendered from, as JSON)')
    .argument('<env>')
    .argument('<version>', 'a version number, as `switchyard configs` lists them', versionArg)
    .option('--settings', 'print the settings instead (secret variables by name and reference, never their values)')
    .action(async (name: string, version: number, o: { settings?: boolean }) => {
      const v = await ask(getCore(), 'configs:get', { environment: name, version });
      if (o.settings) return out(JSON.stringify(v.settings, null, 2));
      out(v.config.replace(/\n$/, ''));
    });

  config
    .command('diff')
    .description('A unified diff of two versions’ haproxy.cfg')
    .argument('<env>')
    .argument('<from>', 'the older version', versionArg)
    .argument('<to>', 'the newer version', versionArg)
    .action(async (name: string, from: number, to: number) => {
      const d = await ask(getCore(), 'configs:diff', { environment: name, from, to });
      if (!d.changed) return out(`versions ${from} and ${to} of ${name} have the same haproxy.cfg`);
      out(d.diff.replace(/\n$/, ''));
    });

  config
    .command('restore')
    .description('Set the environment’s settings back to a version’s (not its name or host) and deploy them, showing progress')
    .argument('<env>')
    .argument('<version>', 'the version to put back', versionArg)
    .action(async (name: string, version: number) => {
      const core = getCore();
      const latest = async () => (await ask(core, 'configs:list', { environment: name }))[0]?.version;
      const before = await latest();
      const { taskId } = await ask(core, 'configs:restore', { environment: name, version });
      out((await follow(core, taskId)).message);
      const after = await latest();
      out(after !== before ? `kept as version ${after} (restore of ${version})` : `${name} already served that haproxy.cfg: no new version`);
    });
}
