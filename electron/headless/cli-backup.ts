import path from 'node:path';
import readline from 'node:readline/promises';
import type { Command } from 'commander';
import { missingSecretText, type BackupCounts, type MissingSecret, type RestoreItem, type RestoreMode, type RestorePreview } from '../../shared/backup';
import { SwitchyardError } from '../../shared/errors';
import type { Core } from '../core/core';
import { shortId } from '../core/store/installation';
import { EXIT_USAGE, ask, type CliTools } from './cli-tools';
import { readSecret } from './read-secret';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** An instant to the second, in UTC, as the other tables print it. */
const when = (iso: string) => iso.replace(/\.\d+Z$/, 'Z');

export function countsLine(c: BackupCounts): string {
  return [
    plural(c.environments, 'environment'),
    plural(c.hosts, 'host'),
    plural(c.registries, 'registry login'),
    plural(c.releases, 'release'),
    plural(c.configs, 'config version'),
    plural(c.acmeAccounts, 'ACME account'),
    plural(c.certificates, 'certificate'),
  ].join(', ');
}

const KIND: Record<RestoreItem['kind'], string> = { environment: 'environment', host: 'host', registry: 'registry', 'acme-account': 'ACME account' };

function itemName(i: RestoreItem): string {
  if (i.kind === 'registry') return `${i.name} (host ${i.host})`;
  if (i.kind === 'acme-account') return `${i.name} (${i.directory})${i.action === 'skip' ? ': its key is not in the backup' : ''}`;
  if (i.kind !== 'environment' || i.releases === undefined) return i.name;
  const extra = [i.releases ? plural(i.releases, 'release') : '', i.configs ? plural(i.configs, 'config version') : '', i.certificate ? 'certificate' : ''].filter(Boolean);
  return extra.length ? `${i.name} (${extra.join(', ')})` : i.name;
}

/** The preview as the CLI prints it: where the file comes from, one line per item, the secrets that will be missing. */
export function previewLines(p: RestorePreview): string[] {
  const b = p.backup;
  const secrets = b.encrypted ? `encrypted, ${plural(b.counts.secrets, 'secret')}` : 'no secrets';
  const lines = [
    `backup of ${when(b.createdAt)} by ${b.from.by} (installation ${shortId(b.from.installation)}), Switchyard ${b.app}, format ${b.format}, ${secrets}`,
    `restore (${p.mode}) into ${p.dataDir}:`,
  ];
  const rows = p.items.map((i) => [i.action, KIND[i.kind], itemName(i)]);
  const head = ['ACTION', 'WHAT', 'NAME'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((x, c) => (c === cells.length - 1 ? x : x.padEnd(widths[c]))).join('  ');
  lines.push(...(rows.length ? [line(head), ...rows.map(line)] : ['nothing to restore: the backup is empty']));
  lines.push(...missingLines(p.missingSecrets));
  const adopted = p.items.filter((i) => i.kind === 'environment' && (i.action === 'add' || i.action === 'replace'));
  if (!p.fromThisInstallation && adopted.length) {
    lines.push(
      `The backup comes from another installation (${b.from.by}): on their hosts, the environments it deployed stay its own. To manage one from here, adopt it: switchyard env adopt ${adopted[0].name} --yes`,
    );
  }
  return lines;
}

function missingLines(missing: MissingSecret[]): string[] {
  if (!missing.length) return [];
  return ['missing secrets, to give again after the restore:', ...missing.map((m) => `  ${missingSecretText(m)}`)];
}

function tally(items: RestoreItem[]): string {
  const n = (a: RestoreItem['action']) => items.filter((i) => i.action === a).length;
  return `${n('add')} added, ${n('replace')} replaced, ${n('unchanged')} unchanged, ${n('keep')} kept, ${n('skip')} left out`;
}

async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** The preview, asking for the passphrase at a terminal when the file turns out to be encrypted. */
async function previewOf(core: Core, file: string, mode: RestoreMode, passphrase: string | undefined): Promise<{ preview: RestorePreview; passphrase?: string }> {
  try {
    return { preview: await ask(core, 'backup:preview', { file, mode, passphrase }), passphrase };
  } catch (err) {
    if (!(err instanceof SwitchyardError && err.reason === 'backupPassphraseNeeded' && passphrase === undefined && process.stdin.isTTY)) throw err;
    const typed = await readSecret('Passphrase');
    return { preview: await ask(core, 'backup:preview', { file, mode, passphrase: typed }), passphrase: typed };
  }
}

/** `backup` and `restore`: one file with the data folder, secrets encrypted under a passphrase or left out. */
export function addBackupCommands(program: Command, { getCore, out }: CliTools): void {
  program
    .command('backup')
    .description('Write one file with this data folder: environments, hosts, registry logins, history, ACME accounts, certificates; secrets only encrypted with a passphrase')
    .requiredOption('-o, --out <file>', 'the file to write (an earlier backup there is replaced; any other file is refused)')
    .option('--passphrase-stdin', 'read the passphrase from standard input (at a terminal without it: asked twice, empty leaves the secrets out)')
    .action(async (o: { out: string; passphraseStdin?: boolean }) => {
      const file = path.resolve(o.out);
      let passphrase: string | undefined;
      if (o.passphraseStdin) passphrase = await readSecret('Passphrase');
      else if (process.stdin.isTTY) {
        passphrase = (await readSecret('Passphrase (empty: leave the secrets out)')) || undefined;
        if (passphrase !== undefined && (await readSecret('Passphrase again')) !== passphrase) {
          throw new SwitchyardError('VALIDATION', 'passphrase: the two passphrases differ; nothing was written', { field: 'passphrase' });
        }
      }
      const s = await ask(getCore(), 'backup:create', passphrase === undefined ? { file } : { file, passphrase });
      out(`wrote ${s.file} (${s.bytes} bytes, format ${s.format})`);
      out(countsLine(s.counts));
      out(s.encrypted ? `secrets: ${s.counts.secrets} included, encrypted with the passphrase` : `secrets: ${s.secretsLeftOut} left out (no passphrase); a restore names each one to give again`);
    });

  program
    .command('restore')
    .description('Restore a backup: prints what it adds, replaces and keeps first; without --merge, only into an empty data folder')
    .argument('<file>', 'a file written by switchyard backup')
    .option('--merge', 'merge into this data folder: what the backup has replaces what has the same name here, the rest stays')
    .option('-y, --yes', 'apply without asking')
    .option('--passphrase-stdin', 'read the passphrase from standard input (at a terminal without it: asked when the file is encrypted)')
    .action(async (fileArg: string, o: { merge?: boolean; yes?: boolean; passphraseStdin?: boolean }, cmd: Command) => {
      const core = getCore();
      const file = path.resolve(fileArg);
      const mode: RestoreMode = o.merge ? 'merge' : 'replace';
      const given = o.passphraseStdin ? await readSecret('Passphrase') : undefined;
      const { preview, passphrase } = await previewOf(core, file, mode, given);
      previewLines(preview).forEach((l) => out(l));
      if (!o.yes) {
        // Standard input already gave the passphrase, or is not a person: only --yes can say yes.
        if (o.passphraseStdin || !process.stdin.isTTY) cmd.error('error: nothing was changed; to restore, run the command again with --yes', { exitCode: EXIT_USAGE });
        if (!(await confirm('Restore? [y/N] '))) cmd.error('error: nothing was changed', { exitCode: EXIT_USAGE });
      }
      const done = await ask(core, 'backup:restore', { file, mode, passphrase });
      out(`restored into ${done.dataDir}: ${tally(done.items)}`);
      missingLines(done.missingSecrets).forEach((l) => out(l));
    });
}
