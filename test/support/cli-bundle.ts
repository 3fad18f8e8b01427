import { renameSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * The `switchyard` command as the tests run it: electron/headless/cli.ts and the core bundled into
 * one module, its packages left to node_modules. `bin.mjs` runs the same sources through tsx's
 * loader, which spends about a second per start loading each of them; the suite starts the
 * command a few hundred times. Built once per test run (vitest's global setup), so it is never
 * older than the sources under test.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the bundle goes: two levels under the project, as cli.ts finds its root from its own place. */
export const CLI_BUNDLE = path.join(root, 'out', 'headless', 'cli.mjs');

export default async function buildCliBundle(): Promise<void> {
  // Several projects may build at once: each writes its own file and renames it into place.
  const tmp = `${CLI_BUNDLE}.${process.pid}.${Date.now()}.tmp`;
  await build({
    entryPoints: [path.join(root, 'electron', 'headless', 'cli.ts')],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  renameSync(tmp, CLI_BUNDLE);
}
