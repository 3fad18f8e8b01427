import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Copies the folder `from` to `to` (files with their modes, symbolic links as links), leaving out
 * `.git` and the paths in `skip`: an export written inside the folder it copies (a build folder)
 * must not copy itself. Node's fs.cp refuses that case outright.
 */
export async function copyFolder(from: string, to: string, skip: Set<string>): Promise<void> {
  await fs.mkdir(to, { recursive: true });
  for (const e of await fs.readdir(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dest = path.join(to, e.name);
    // Its history is not part of the build, and may be large.
    if (e.name === '.git' || skip.has(path.resolve(src))) continue;
    if (e.isDirectory()) await copyFolder(src, dest, skip);
    else if (e.isSymbolicLink()) await fs.symlink(await fs.readlink(src), dest);
    else if (e.isFile()) await fs.copyFile(src, dest);
  }
}
