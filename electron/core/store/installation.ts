import { randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { SwitchyardError } from '../../../shared/errors';

export const INSTALLATION_FILE = 'installation.json';

const InstallationFile = z
  .object({
    id: z.string().regex(/^[a-f0-9-]{8,64}$/),
    /** Who made this data folder and where: shown to another Switchyard that meets its resources. */
    user: z.string().max(128),
    machine: z.string().max(255),
    createdAt: z.string(),
  })
  .strict();

/** One data folder is one installation: everything it creates on an engine carries its id. */
export interface Installation {
  id: string;
  user: string;
  machine: string;
  createdAt: string;
}

/** `user@machine`, as shown beside an installation's id. */
export const whoOf = (i: Pick<Installation, 'user' | 'machine'>) => `${i.user}@${i.machine}`;

/** The first eight characters of an id: enough to tell installations apart in a sentence. */
export const shortId = (id: string) => id.slice(0, 8);

function currentUser(): string {
  try {
    return os.userInfo().username || 'unknown';
  } catch {
    // No passwd entry (some containers run as an arbitrary uid).
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

/**
 * The installation of a data folder, created on first use. Two processes starting at once on a
 * new folder agree on one id: the file appears whole (written aside, then hard-linked into
 * place, which fails if the other process got there first) and the loser reads the winner's.
 */
export async function loadInstallation(dataDir: string, now: () => Date = () => new Date()): Promise<Installation> {
  const file = path.join(dataDir, INSTALLATION_FILE);
  const existing = await readInstallation(file);
  if (existing) return existing;
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const fresh: Installation = { id: randomUUID(), user: currentUser(), machine: os.hostname(), createdAt: now().toISOString() };
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(temp, JSON.stringify(fresh, null, 2) + '\n', { mode: 0o600 });
  try {
    await fs.link(temp, file);
    return fresh;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const winner = await readInstallation(file);
    if (!winner) throw unreadable(file, 'it was created by another process but cannot be read');
    return winner;
  } finally {
    await fs.rm(temp, { force: true });
  }
}

async function readInstallation(file: string): Promise<Installation | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw unreadable(file, 'it is not valid JSON');
  }
  const parsed = InstallationFile.safeParse(json);
  if (!parsed.success) throw unreadable(file, `${parsed.error.issues[0]?.path.join('.') || 'file'}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/**
 * Never replaced silently: a new id would make this folder a stranger to every environment it
 * deployed, and they would all look owned by another Switchyard.
 */
function unreadable(file: string, why: string): SwitchyardError {
  return new SwitchyardError(
    'STORE_CORRUPT',
    `${file} names this Switchyard installation, and ${why}. Restore it from a backup; deleting it makes every environment this folder deployed look owned by another Switchyard.`,
    { detail: file },
  );
}
