import path from 'node:path';
import { Option, type Command } from 'commander';
import { exportFormats, type ExportFormat, type ExportResult } from '../../shared/exports';
import { ask, shellWord, type CliTools } from './cli-tools';

const WHAT: Record<ExportFormat, string> = {
  compose: 'a Docker Compose project',
  stack: 'a Docker Swarm stack',
  jps: 'a JPS manifest',
};

/** What `switchyard export` prints: stable, one fact per line. */
export function exportLines(r: ExportResult): string[] {
  const lines = [`exported ${r.environment} as ${WHAT[r.format]} into ${r.dir}`, ...r.files.map((f) => `  ${f}`)];
  if (r.zip) lines.push(`zip: ${r.zip}`);
  if (r.secrets.length) {
    lines.push(r.secretsFile ? `secrets to fill in ${r.secretsFile}: ${r.secrets.join(', ')}` : `secrets the install form asks for: ${r.secrets.join(', ')}`);
  }
  lines.push(r.format === 'jps' ? `next: ${r.run}` : `next: cd ${shellWord(r.dir)} && ${r.run}`);
  return lines;
}

/** `switchyard export <env> --format compose|stack|jps --out DIR`. */
export function addExportCommands(program: Command, { getCore, out }: CliTools): void {
  program
    .command('export')
    .description('Write an environment as a Docker Compose project, a Docker Swarm stack or a JPS manifest, into a new folder (and a .zip beside it)')
    .argument('<env>')
    .addOption(new Option('--format <format>', 'what to write').choices(exportFormats).makeOptionMandatory())
    .requiredOption('--out <dir>', 'the folder to write: a new one, or an empty one (its parent must exist)')
    .option('--no-zip', 'write the folder only, no <dir>.zip')
    .action(async (name: string, o: { format: ExportFormat; out: string; zip: boolean }) => {
      const result = await ask(getCore(), 'environments:export', { environment: name, format: o.format, dir: path.resolve(o.out), zip: o.zip });
      exportLines(result).forEach((l) => out(l));
    });
}
