import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Environment, EnvironmentInput, parseOrThrow } from '../../../shared/model';
import { STORE_FILE, Store } from '../../../electron/core/store/store';
import { diffStore, type StoreChanges } from '../../../electron/core/store/store-changes';
import { until } from '../../support/lab';

const run = promisify(execFile);
const stamp = '2026-01-01T00:00:00.000Z';
const envNamed = (name: string, over: Partial<EnvironmentInput> = {}) => parseOrThrow(Environment, { ...parseOrThrow(EnvironmentInput, { name, ...over }), createdAt: stamp, updatedAt: stamp });
const host = (id: string) => ({ kind: 'ssh' as const, id, name: id, address: '203.0.113.10', port: 22, user: 'deploy', auth: { method: 'agent' as const } });

let dir: string;
const stores: Store[] = [];
const open = () => {
  const s = new Store(dir);
  stores.push(s);
  return s;
};
/** Everything a store tells its listeners, flattened to `change name` words. */
function heard(store: Store): string[] {
  const out: string[] = [];
  store.onChange((c: StoreChanges) => {
    for (const e of c.environments) out.push(`${e.change} ${e.name}`);
    for (const h of c.hosts) out.push(`${h.change} host ${h.id}`);
  });
  return out;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sy-changes-'));
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('what changed between two versions of the data', () => {
  it('names what was created, updated and removed, environments and hosts alike', () => {
    const before = { environments: [envNamed('lab'), envNamed('old')], hosts: [host('vps')] };
    const after = { environments: [envNamed('lab', { balance: 'leastconn' }), envNamed('new')], hosts: [host('vps'), host('edge')] };
    const c = diffStore(before, after);
    expect(c.environments.map((e) => [e.change, e.name])).toEqual([
      ['updated', 'lab'],
      ['created', 'new'],
      ['removed', 'old'],
    ]);
    expect(c.environments[0].environment?.balance).toBe('leastconn');
    expect(c.environments[2].environment).toBeUndefined();
    expect(c.hosts).toEqual([{ change: 'created', id: 'edge', host: host('edge') }]);
    expect(diffStore(after, after)).toEqual({ environments: [], hosts: [], releases: [], configs: [] });
  });
});

describe('store changes', () => {
  it('tells its own saves at once: created, updated, removed', async () => {
    const store = open();
    const seen = heard(store);
    await store.update((d) => void d.environments.push(envNamed('lab')));
    await store.update((d) => void (d.environments[0].balance = 'leastconn'));
    await store.update((d) => void (d.environments = []));
    // A save that changes nothing is not news.
    await store.update(() => undefined);
    expect(seen).toEqual(['created lab', 'updated lab', 'removed lab']);
  });

  it('a save by another Store on the same folder reaches a watching one within a second', async () => {
    const writer = open();
    const watcher = open();
    await watcher.watch();
    const seen = heard(watcher);
    const t0 = Date.now();
    await writer.update((d) => void d.environments.push(envNamed('lab')));
    await until('created', async () => seen.length === 1, 1000, 5);
    expect(Date.now() - t0).toBeLessThan(1000);
    const next = async (n: number, change: Parameters<Store['update']>[0]) => {
      await writer.update(change);
      await until(`change ${n}`, async () => seen.length === n, 1000, 5);
    };
    await next(2, (d) => void d.hosts.push(host('vps')));
    await next(3, (d) => void (d.environments[0].servers[0].state = 'drain'));
    await next(4, (d) => void (d.environments = []));
    expect(seen).toEqual(['created lab', 'created host vps', 'updated lab', 'removed lab']);
  });

  it('saves that come faster than the watcher reads are told as what they add up to', async () => {
    const writer = open();
    const watcher = open();
    await watcher.watch();
    const seen = heard(watcher);
    await writer.update((d) => void d.environments.push(envNamed('brief')));
    await writer.update((d) => void (d.environments = [envNamed('kept')]));
    await until('a change', async () => seen.includes('created kept'), 1000, 5);
    await new Promise((r) => setTimeout(r, 100));
    // Never a change that did not happen: at most `brief` came and went.
    expect(seen.filter((w) => w !== 'created brief' && w !== 'removed brief')).toEqual(['created kept']);
  });

  it('the watcher does not tell its own saves twice, nor a save it already told', async () => {
    const store = open();
    await store.watch();
    const seen = heard(store);
    await store.update((d) => void d.environments.push(envNamed('lab')));
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toEqual(['created lab']);
  });

  it('follows another process, and by polling where folders cannot be watched', async () => {
    const watcher = open();
    await watcher.watch({ mode: 'poll', pollMs: 50 });
    const seen = heard(watcher);
    const script = path.join(dir, 'writer.mts');
    const storeModule = path.resolve('electron/core/store/store.ts');
    writeFileSync(
      script,
      `import { Store } from ${JSON.stringify(storeModule)};
const store = new Store(process.argv[2]);
await store.update((d) => { d.environments.push(${JSON.stringify(envNamed('fromcli'))}); });`,
    );
    await run(path.resolve('node_modules/.bin/tsx'), [script, dir]);
    await until('the other process’s save', async () => seen.length === 1, 2000, 10);
    expect(seen).toEqual(['created fromcli']);
  }, 30_000);

  it('a toggle saved "soon": read back at once here, on disk right after, and never lost on close', async () => {
    const store = open();
    await store.update((d) => void d.environments.push(envNamed('lab')));
    const onDisk = () => JSON.parse(readFileSync(path.join(dir, STORE_FILE), 'utf8')).environments[0].servers[0].state;
    const saved = store.updateSoon((d) => void (d.environments[0].servers[0].state = 'maint'));
    // Acknowledged: this process reads it before the write is done.
    expect((await store.read()).environments[0].servers[0].state).toBe('maint');
    await saved;
    expect(onDisk()).toBe('maint');

    // Several in a row and a regular update after them: applied in order, the update sees them.
    store.updateSoon((d) => void (d.environments[0].servers[0].state = 'drain'));
    store.updateSoon((d) => void (d.environments[0].servers[0].weight = 7));
    const seenByUpdate = await store.update((d) => d.environments[0].servers[0].weight);
    expect(seenByUpdate).toBe(7);
    store.updateSoon((d) => void (d.environments[0].servers[0].state = 'ready'));
    await store.close();
    expect(onDisk()).toBe('ready');
    expect((await new Store(dir).read()).environments[0].servers[0].weight).toBe(7);
  });

  it('another process’s update between two toggles is kept: each change is applied to what is on disk then', async () => {
    const a = open();
    const b = open();
    await a.update((d) => void d.environments.push(envNamed('lab')));
    const first = a.updateSoon((d) => void (d.environments[0].servers[0].state = 'drain'));
    await b.update((d) => void (d.environments[0].balance = 'leastconn'));
    await first;
    await a.updateSoon((d) => void (d.environments[0].servers[1].state = 'maint'));
    const env = (await new Store(dir).read()).environments[0];
    expect([env.balance, env.servers[0].state, env.servers[1].state]).toEqual(['leastconn', 'drain', 'maint']);
  });
});
