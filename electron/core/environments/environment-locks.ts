import { promises as fs } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { SwitchyardError } from '../../../shared/errors';

export type Release = () => Promise<void>;

/**
 * One lock per environment, shared by every process on a data folder (the app, `serve`, the
 * CLI): a deploy, destroy, certificate order or adoption holds it for as long as it runs.
 * Another installation on the same engine is kept out by the lock on the engine (host-lock.ts).
 */
export class EnvironmentLocks {
  constructor(private readonly dataDir: string) {}

  /** Refused at once (BUSY) while another holder has it: a second task never queues behind the first. */
  async acquire(name: string): Promise<Release> {
    const dir = path.join(this.dataDir, 'locks');
    await fs.mkdir(dir, { recursive: true });
    try {
      return await lockfile.lock(path.join(dir, name), { realpath: false, stale: 15_000, update: 5_000 });
    } catch {
      throw SwitchyardError.because('BUSY', 'running', { env: name }, { field: 'environment' });
    }
  }
}
