import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs the host's real `haproxy -c` on a config; returns the exit code and what HAProxy said. */
export async function haproxyCheck(config: string): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-cfg-'));
  const file = path.join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  try {
    // Container names only resolve inside Docker; one quick DNS attempt keeps a slow resolver from stalling the check.
    const { stdout, stderr } = await run('haproxy', ['-c', '-f', file], { env: { ...process.env, RES_OPTIONS: 'timeout:1 attempts:1' } });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: (e.stdout ?? '') + (e.stderr ?? '') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Warnings other than the two that only hold outside a container: container names do not
 * resolve here, and the server-state file lives in the container's state volume.
 */
export function unexpectedWarnings(output: string): string[] {
  return output.split('\n').filter((l) => /\[WARNING\]/.test(l) && !/could not resolve address|Can't open global server state file/.test(l));
}
