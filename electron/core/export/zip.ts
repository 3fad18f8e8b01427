import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';

/**
 * Every regular file under `dir`, relative to it with `/` separators, in code-point order (the
 * same on every machine, whatever its locale); symbolic links are not followed.
 */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(child);
      else if (e.isFile()) out.push(child);
    }
  };
  await walk('');
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Writes `zipPath` holding the files of `dir` under one folder named `root`, with their modes
 * (an entrypoint stays executable) and a fixed date, so the same export gives the same bytes.
 */
export async function zipFolder(dir: string, root: string, zipPath: string): Promise<void> {
  const zip = new ZipFile();
  const mtime = new Date('2000-01-01T00:00:00Z');
  for (const file of await filesUnder(dir)) {
    const stat = await fs.stat(path.join(dir, file));
    zip.addFile(path.join(dir, file), `${root}/${file}`, { mtime, mode: stat.mode & 0o777 ? 0o100000 | (stat.mode & 0o777) : 0o100644 });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(zipPath));
}
