/**
 * Taking an environment away: a Docker Compose project, a Docker Swarm stack or a JPS
 * (Jelastic / Virtuozzo) cloud manifest, written as a self-contained folder (and a .zip of it)
 * on the computer running Switchyard. Secret values never leave the secret store: an export
 * names the secret variables the user must fill in, and nothing else of them.
 */
import { z } from 'zod';
import { environmentRequest } from './env-ref';

export const exportFormats = ['compose', 'stack', 'jps'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** No control characters: a path is shown back to the user and handed to the file system as is. */
const printable = (v: string) => [...v].every((c) => c.charCodeAt(0) >= 32 && c.charCodeAt(0) !== 127);
const isAbsolute = (p: string) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');

export const ExportRequest = environmentRequest({
  format: z.enum(exportFormats, { error: `must be one of: ${exportFormats.join(', ')}` }),
  /** A folder that does not exist yet, or an empty one; its parent must exist. */
  dir: z
    .string({ error: 'must be a folder path' })
    .min(1, 'is required')
    .max(4096, 'is too long')
    .refine(printable, 'must not contain control characters')
    .refine(isAbsolute, 'must be an absolute path, such as /home/me/lab-compose'),
  /** Also write `<dir>.zip` beside the folder (the default). */
  zip: z.boolean({ error: 'must be true or false' }).default(true),
});

export type ExportRequest = z.input<typeof ExportRequest>;

export interface ExportResult {
  environment: string;
  format: ExportFormat;
  /** The folder written, as given. */
  dir: string;
  /** Every file in it, relative to it with `/` separators, sorted. */
  files: string[];
  /** `<dir>.zip`, when asked for: the same files under one folder named like `dir`. */
  zip?: string;
  /** The secret variables whose values the user must give: their names only. */
  secrets: string[];
  /** Where those values go: a file of the folder (`.env`), or absent when the format asks for them itself (JPS: the install form). */
  secretsFile?: string;
  /** The command that starts what was exported, run from the folder. */
  run: string;
}
