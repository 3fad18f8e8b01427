import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Environment, EnvironmentInput, parseOrThrow } from '../../../shared/model';
import { resolveDataDir } from '../../../electron/core/store/data-dir';
import { STORE_FILE, Store } from '../../../electron/core/store/store';
import { failure } from '../../support/failure';

const run = promisify(execFile);
const stamp = '2026-01-01T00:00:00.000Z';
const envNamed = (name: string) => parseOrThrow(Environment, { ...parseOrThrow(EnvironmentInput, { name }), createdAt: stamp, updatedAt: stamp });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sy-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('store', () => {
  it('starts empty and keeps what is saved, with a schema version', async () => {
    const store = new Store(dir);
    expect((await store.read()).environments).toEqual([]);
    await store.update((d) => void d.environments.push(envNamed('lab')));
    const again = new Store(dir);
    expect((await again.read()).environments.map((e) => e.name)).toEqual(['lab']);
    const onDisk = JSON.parse(readFileSync(path.join(dir, STORE_FILE), 'utf8'));
    expect(onDisk.schemaVersion).toBe(1);
  });

  it('saves nothing when the change throws', async () => {
    const store = new Store(dir);
    await store.update((d) => void d.environments.push(envNamed('lab')));
    await expect(
      store.update((d) => {
        d.environments.push(envNamed('other'));
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await store.read()).environments.map((e) => e.name)).toEqual(['lab']);
  });

  it('loses no write when two processes update at once', async () => {
    const script = path.join(dir, 'writer.mts');
    const storeModule = path.resolve('electron/core/store/store.ts');
    writeFileSync(
      script,
      `import { Store } from ${JSON.stringify(storeModule)};
const [, , dataDir, prefix] = process.argv;
const store = new Store(dataDir);
for (let i = 0; i < 15; i++) {
  await store.update((d) => { d.environments.push({ ...${JSON.stringify(envNamed('x'))}, name: prefix + i }); });
}`,
    );
    const tsx = path.resolve('node_modules/.bin/tsx');
    await Promise.all([run(tsx, [script, dir, 'a']), run(tsx, [script, dir, 'b'])]);
    const names = (await new Store(dir).read()).environments.map((e) => e.name);
    expect(names).toHaveLength(30);
    expect(new Set(names).size).toBe(30);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp') || f.startsWith(`${STORE_FILE}.`))).toEqual([]);
  }, 60_000);

  it('reports a corrupt file, keeps it aside byte for byte, and starts again empty', async () => {
    const file = path.join(dir, STORE_FILE);
    writeFileSync(file, '{"schemaVersion": 1, "environments": [ {"name": "la');
    const err = await failure(new Store(dir).read());
    expect(err.code).toBe('STORE_CORRUPT');
    expect(err.message).toContain(file);
    const aside = readdirSync(dir).find((f) => f.startsWith(`${STORE_FILE}.corrupt-`));
    expect(aside).toBeDefined();
    expect(err.message).toContain(aside);
    expect(readFileSync(path.join(dir, aside!), 'utf8')).toBe('{"schemaVersion": 1, "environments": [ {"name": "la');
    expect(existsSync(file)).toBe(false);
    expect((await new Store(dir).read()).environments).toEqual([]);
  });

  it('treats a file that breaks the schema as corrupt too', async () => {
    writeFileSync(path.join(dir, STORE_FILE), JSON.stringify({ schemaVersion: 1, environments: [{ name: 'bad name' }] }));
    expect((await failure(new Store(dir).update(() => undefined))).code).toBe('STORE_CORRUPT');
  });

  it('leaves a file from a newer version untouched', async () => {
    const file = path.join(dir, STORE_FILE);
    const text = JSON.stringify({ schemaVersion: 99, environments: [], future: true });
    writeFileSync(file, text);
    expect((await failure(new Store(dir).read())).code).toBe('STORE_TOO_NEW');
    expect((await failure(new Store(dir).update(() => undefined))).code).toBe('STORE_TOO_NEW');
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('uses SWITCHYARD_DATA_DIR, else the OS app-data folder', () => {
    expect(resolveDataDir({ SWITCHYARD_DATA_DIR: '/srv/sy' }, 'linux')).toBe('/srv/sy');
    expect(resolveDataDir({ XDG_CONFIG_HOME: '/home/u/.config' }, 'linux')).toBe('/home/u/.config/Switchyard');
    expect(resolveDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toContain('Switchyard');
    expect(resolveDataDir({}, 'darwin')).toMatch(/Library\/Application Support\/Switchyard$/);
  });
});
