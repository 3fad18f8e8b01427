import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ExportFormat, ExportRequest, ExportResult } from '../../../shared/exports';
import { ExportRequest as ExportRequestSchema } from '../../../shared/exports';
import { SwitchyardError } from '../../../shared/errors';
import { parseOrThrow, type Environment } from '../../../shared/model';
import { appImageTag } from '../apps/app-image';
import { composeBundle } from './compose';
import type { ExportBundle, ExportFacts } from './export-model';
import { jpsBundle } from './jps';
import { stackBundle } from './stack';
import { copyFolder } from './folder-copy';
import { filesUnder, zipFolder } from './zip';

const renderers: Record<ExportFormat, (env: Environment, facts: ExportFacts) => ExportBundle> = {
  compose: composeBundle,
  stack: stackBundle,
  jps: jpsBundle,
};

export interface ExportDeps {
  /** The environment as saved (secret variables as references: their values are never read). */
  environment: (name: string) => Promise<Environment>;
  /** The demo backend's image tag for a base image, as the deployer tags it. */
  demoImage: (base: string) => Promise<string>;
  /** The product's `docker/demo-backend` folder. */
  demoFolder: string;
}

/**
 * Writes an environment as a compose project, a Swarm stack or a JPS manifest into a new (or
 * empty) folder, and a .zip of it beside it. Nothing half-written: everything is made in a
 * temporary folder beside the target, then renamed into place; a failure removes it all.
 */
export class ExportService {
  constructor(private readonly deps: ExportDeps) {}

  async export(request: ExportRequest): Promise<ExportResult> {
    const req = parseOrThrow(ExportRequestSchema, request);
    const env = await this.deps.environment(req.environment);
    const dir = path.resolve(req.dir);
    const zipPath = req.zip ? `${dir}.zip` : undefined;
    await checkTarget(dir, zipPath);
    const facts: ExportFacts = { demoImage: await this.deps.demoImage(env.images.demoBase), appImage: appImageTag(env.name), demoFolder: this.deps.demoFolder };
    const bundle = renderers[req.format](env, facts);
    for (const f of bundle.folders) await checkSourceFolder(f.from, f.from === this.deps.demoFolder);

    const parent = path.dirname(dir);
    const base = path.basename(dir);
    const tmp = await fs.mkdtemp(path.join(parent, `.${base}.export-`)).catch((err: NodeJS.ErrnoException) => Promise.reject(writeError(parent, err)));
    const tmpZip = zipPath ? path.join(parent, `.${base}.zip.export-${randomBytes(4).toString('hex')}`) : undefined;
    let placed = false;
    let hadEmptyDir = false;
    try {
      for (const f of bundle.files) {
        const target = path.join(tmp, ...f.path.split('/'));
        await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.writeFile(target, f.content, { mode: f.mode ?? 0o644 });
      }
      for (const f of bundle.folders) {
        await copyFolder(f.from, path.join(tmp, ...f.path.split('/')), new Set([tmp, dir, ...(tmpZip ? [tmpZip] : []), ...(zipPath ? [zipPath] : [])]));
      }
      const files = await filesUnder(tmp);
      if (zipPath && tmpZip) await zipFolder(tmp, base, tmpZip);
      // Again, just before taking the place: something may have been put there meanwhile.
      hadEmptyDir = await checkTarget(dir, zipPath);
      if (hadEmptyDir) await fs.rmdir(dir);
      await fs.rename(tmp, dir);
      placed = true;
      if (zipPath && tmpZip) await fs.rename(tmpZip, zipPath);
      return {
        environment: env.name,
        format: req.format,
        dir: req.dir,
        files,
        ...(zipPath ? { zip: zipPath } : {}),
        secrets: bundle.secrets,
        ...(bundle.secretsFile ? { secretsFile: bundle.secretsFile } : {}),
        run: bundle.run,
      };
    } catch (err) {
      if (placed) {
        await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
        if (hadEmptyDir) await fs.mkdir(dir).catch(() => undefined);
      } else await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      if (tmpZip) await fs.rm(tmpZip, { force: true }).catch(() => undefined);
      if (err instanceof SwitchyardError) throw err;
      throw writeError(dir, err as NodeJS.ErrnoException);
    }
  }
}

/**
 * Refuses a target that holds anything (or is a file), a parent that does not exist, and a zip
 * that would replace a file. Resolves whether `dir` exists (empty).
 */
async function checkTarget(dir: string, zipPath: string | undefined): Promise<boolean> {
  const parent = path.dirname(dir);
  const parentStat = await fs.stat(parent).catch(() => undefined);
  if (!parentStat?.isDirectory()) throw SwitchyardError.because('VALIDATION', 'exportNoParent', { parent }, { field: 'dir' });
  if (zipPath && (await fs.lstat(zipPath).catch(() => undefined))) throw SwitchyardError.because('VALIDATION', 'exportZipExists', { zip: zipPath }, { field: 'dir' });
  const stat = await fs.lstat(dir).catch(() => undefined);
  if (!stat) return false;
  if (!stat.isDirectory()) throw SwitchyardError.because('VALIDATION', 'exportDirIsFile', { dir }, { field: 'dir' });
  if ((await fs.readdir(dir)).length > 0) throw SwitchyardError.because('VALIDATION', 'exportDirNotEmpty', { dir }, { field: 'dir' });
  return true;
}

/** The app's build folder must still be there to be copied (the product's own demo folder always is). */
async function checkSourceFolder(from: string, product: boolean): Promise<void> {
  const stat = await fs.stat(from).catch(() => undefined);
  if (product) {
    if (!stat?.isDirectory()) throw new SwitchyardError('INTERNAL', `The demo backend's folder ${from} is missing from this installation`);
    return;
  }
  const opts = { field: 'app.source.context' };
  if (!stat) throw SwitchyardError.because('VALIDATION', 'contextMissing', { context: from }, opts);
  if (!stat.isDirectory()) throw SwitchyardError.because('VALIDATION', 'contextIsFile', { context: from }, opts);
}

function writeError(dir: string, err: NodeJS.ErrnoException): SwitchyardError {
  if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS') {
    return SwitchyardError.because('VALIDATION', 'exportDirUnwritable', { dir, said: err.message }, { field: 'dir', cause: err });
  }
  return new SwitchyardError('INTERNAL', `Writing the export to ${dir} failed: ${err.message}`, { cause: err });
}
