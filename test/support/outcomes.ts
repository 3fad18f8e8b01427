import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { SwitchyardError } from '../../shared/errors';

/** The error a call was refused with, or undefined when it succeeded. */
export const refusal = (p: Promise<unknown>): Promise<SwitchyardError | undefined> =>
  p.then(
    () => undefined,
    (e: SwitchyardError) => e,
  );

/** Every file under `dir`, as one text: a secret must appear in none of them. */
export function folderText(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(path.join(e.parentPath, e.name), 'latin1'))
    .join('\n');
}
