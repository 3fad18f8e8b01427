import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../support/cli';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sy-cli-export-'));
const out = mkdtempSync(path.join(os.tmpdir(), 'sy-cli-export-out-'));
beforeAll(async () => {
  const r = await cli(dataDir, ['env', 'create', 'lab', '--port', '18125']);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

describe('switchyard export', () => {
  it('writes the folder and its zip, and says so one fact per line', async () => {
    const r = await cli(dataDir, ['export', 'lab', '--format', 'compose', '--out', path.join(out, 'lab-compose')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dir = path.join(out, 'lab-compose');
    expect(r.stdout.split('\n')).toEqual([
      `exported lab as a Docker Compose project into ${dir}`,
      '  README.md',
      '  compose.yaml',
      '  demo-backend/Dockerfile',
      '  demo-backend/README.md',
      '  demo-backend/entrypoint.sh',
      '  haproxy/haproxy.cfg',
      `zip: ${dir}.zip`,
      `next: cd ${dir} && docker compose up -d`,
      '',
    ]);
  });

  it('a folder that holds something: exit 1, the code, the field, nothing written; no format: exit 2', async () => {
    const full = path.join(out, 'full');
    mkdirSync(full);
    writeFileSync(path.join(full, 'mine.txt'), 'x');
    const r = await cli(dataDir, ['export', 'lab', '--format', 'jps', '--out', full]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error VALIDATION: dir: .*full is not empty/);
    expect(r.stderr).toContain('field: dir\n');
    expect(readdirSync(full)).toEqual(['mine.txt']);
    const usage = await cli(dataDir, ['export', 'lab', '--out', path.join(out, 'x')]);
    expect(usage.code).toBe(2);
    const bad = await cli(dataDir, ['export', 'lab', '--format', 'helm', '--out', path.join(out, 'x')]);
    expect(bad.code).toBe(2);
  });
});
