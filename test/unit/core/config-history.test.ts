import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { triggerText } from '../../../electron/headless/cli-configs';
import type { ConfigTrigger } from '../../../shared/config-history';
import { AppSecrets } from '../../../electron/core/apps/app-secrets';
import { EnvironmentService } from '../../../electron/core/environments/service';
import { EventBus } from '../../../electron/core/events';
import { CONFIG_HISTORY_LIMIT, ConfigHistory } from '../../../electron/core/history/config-history';
import { ConfigRestore, restoredEnvironment } from '../../../electron/core/history/config-restore';
import { localKeyCipher } from '../../../electron/core/secrets/ciphers';
import { FileSecretStore } from '../../../electron/core/secrets/secret-store';
import { STORE_FILE, Store } from '../../../electron/core/store/store';
import { TaskManager } from '../../../electron/core/tasks/task-manager';
import type { ConfigsChange, StoredConfigVersion } from '../../../shared/config-history';
import type { Task } from '../../../shared/contract';
import type { Environment } from '../../../shared/model';
import { english } from '../../../shared/messages';
import { FAKE_IMAGES, ME, fakeEnvironment, startFakeLab, type FakeLab } from '../../support/fake-lab';
import { ME_INSTALLATION, refusal } from '../../support/fake-services';

/** The config history on a real store in a temporary data folder, deploys against the fake engine. */
describe('config history', () => {
  let dataDir: string;
  let store: Store;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sy-history-'));
    store = new Store(dataDir);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('keeping versions', () => {
    let clock = 0;
    const now = () => new Date(Date.UTC(2026, 0, 1, 0, 0, clock++));
    const deploy = { kind: 'deploy' } as const;

    beforeEach(async () => {
      await store.update((d) => void d.environments.push(fakeEnvironment('lab'), fakeEnvironment('shop', { httpPort: 18081 })));
    });

    it('numbers each environment’s versions from 1, and keeps nothing when the config did not change', async () => {
      const history = new ConfigHistory(store, now);
      const lab = fakeEnvironment('lab');
      expect(await history.record(lab, 'global\n# one\n', deploy, ME)).toBe(1);
      expect(await history.record(lab, 'global\n# one\n', deploy, ME)).toBeUndefined();
      expect(await history.record(fakeEnvironment('shop', { httpPort: 18081 }), 'global\n# shop\n', deploy, ME)).toBe(1);
      expect(await history.record({ ...lab, balance: 'leastconn' }, 'global\n# two\n', { kind: 'https' }, ME)).toBe(2);

      const list = await history.list('lab');
      expect(list.map((v) => v.version)).toEqual([2, 1]);
      expect(list[0]).toMatchObject({ environment: 'lab', by: ME, trigger: { kind: 'https' } });
      expect(list[0].at > list[1].at).toBe(true);
      expect(list.map((v) => english(v.summary))).toEqual(['balance roundrobin → leastconn', 'first version']);
      // The list carries no text: that is what `get` is for.
      expect(list[0]).not.toHaveProperty('config');
      expect((await history.get('lab', 1)).config).toBe('global\n# one\n');
      expect((await history.list('shop')).map((v) => v.version)).toEqual([1]);
    });

    it(`keeps the last ${CONFIG_HISTORY_LIMIT} versions of an environment, numbering on past the ones dropped`, async () => {
      const history = new ConfigHistory(store, now);
      const lab = fakeEnvironment('lab');
      await history.record(fakeEnvironment('shop', { httpPort: 18081 }), 'shop\n', deploy, ME);
      for (let i = 1; i <= CONFIG_HISTORY_LIMIT + 5; i++) await history.record({ ...lab, retries: i % 10 }, `global\n# ${i}\n`, deploy, ME);

      const list = await history.list('lab');
      expect(list).toHaveLength(CONFIG_HISTORY_LIMIT);
      expect(list[0].version).toBe(CONFIG_HISTORY_LIMIT + 5);
      expect(list.at(-1)!.version).toBe(6);
      expect(english(list.at(-1)!.summary)).toBe('oldest version kept');
      expect((await refusal(history.get('lab', 5)))?.message).toBe(`"lab" has no version 5 (kept: 6 to ${CONFIG_HISTORY_LIMIT + 5})`);
      // Another environment's history is not what makes room.
      expect((await history.list('shop')).map((v) => v.version)).toEqual([1]);
    });

    it('answers NOT_FOUND for an environment it does not know, and keeps nothing for one forgotten meanwhile', async () => {
      const history = new ConfigHistory(store, now);
      expect((await refusal(history.list('nope')))?.code).toBe('NOT_FOUND');
      expect(await history.record(fakeEnvironment('gone'), 'global\n', deploy, ME)).toBeUndefined();
      expect((await store.read()).configs).toEqual([]);
    });

    it('gives a unified diff of two versions: the balance line changed, and nothing else', async () => {
      const history = new ConfigHistory(store, now);
      const lab = fakeEnvironment('lab');
      const text = (balance: string) => `global\n  maxconn 100\n\nbackend app\n  balance ${balance}\n  server back1 back1:80 check\n`;
      await history.record(lab, text('roundrobin'), deploy, ME);
      await history.record({ ...lab, balance: 'leastconn' }, text('leastconn'), deploy, ME);

      const d = await history.diff('lab', 1, 2);
      expect(d.changed).toBe(true);
      const lines = d.diff.split('\n');
      expect(lines.slice(0, 2)).toEqual(['--- haproxy.cfg\tversion 1', '+++ haproxy.cfg\tversion 2']);
      expect(lines.filter((l) => /^[-+][^-+]/.test(l))).toEqual(['-  balance roundrobin', '+  balance leastconn']);
      expect(lines).toContain('@@ -2,5 +2,5 @@');

      const same = await history.diff('lab', 2, 2);
      expect(same.changed).toBe(false);
      expect(same.diff).not.toContain('@@');
      expect(await refusal(history.diff('lab', 1, 9))).toMatchObject({ code: 'NOT_FOUND', field: 'to' });
    });

    it('sums up what a version changed, by setting', async () => {
      const history = new ConfigHistory(store, now);
      const lab = fakeEnvironment('lab');
      await history.record(lab, 'v1\n', deploy, ME);
      const next = fakeEnvironment('lab', {
        servers: [
          { name: 'back1', kind: 'demo', weight: 50 },
          { name: 'back3', kind: 'demo' },
        ],
        sticky: { enabled: false },
        healthCheck: { interval: 5000 },
      });
      await history.record(next, 'v2\n', deploy, ME);
      await history.record(next, 'v3\n', deploy, ME);
      expect((await history.list('lab')).map((v) => english(v.summary))).toEqual([
        'configuration only (no setting changed)',
        'servers added: back3, servers removed: back2, servers changed: back1, sticky sessions off, health check changed',
        'first version',
      ]);
    });

    it('tells each save’s changes to the history, this process’s and another’s', async () => {
      const seen: ConfigsChange[] = [];
      store.onChange((c) => seen.push(...c.configs));
      const other = new ConfigHistory(new Store(dataDir), now);
      await store.watch({ settleMs: 5 });
      await other.record(fakeEnvironment('lab'), 'global\n', deploy, ME);
      await expect.poll(() => seen).toEqual([{ environment: 'lab', latest: 1 }]);
    });
  });

  describe('what a restore puts back', () => {
    const at = new Date('2026-02-01T00:00:00Z');
    const keptFrom = (settings: Record<string, unknown>, version = 1): StoredConfigVersion => ({
      environment: 'lab',
      version,
      at: at.toISOString(),
      by: ME,
      trigger: { kind: 'deploy' },
      config: 'global\n',
      settings,
    });
    const https = { enabled: true, domains: ['lab.example.com'], email: 'ops@example.com', termsAccepted: true };
    const app = { source: { kind: 'image' as const, image: 'fake/app:1' }, port: 80, secrets: [{ name: 'API_TOKEN', ref: 'old-ref' }] };

    it('the version’s settings, but the environment’s own name, host, creation date and app secrets', () => {
      const { createdAt: _c, updatedAt: _u, ...old } = fakeEnvironment('old', { balance: 'source', app, servers: [{ name: 'app1', kind: 'app' }] });
      const current: Environment = {
        ...fakeEnvironment('lab', { host: 'vps', app, servers: [{ name: 'app1', kind: 'app' }] }),
        app: { source: { kind: 'image', image: 'fake/app:1' }, port: 80, env: [], secrets: [{ name: 'API_TOKEN', ref: 'new-ref' }] },
        createdAt: '2025-12-24T00:00:00.000Z',
      };
      const env = restoredEnvironment(current, keptFrom({ ...old, host: 'local' }), at);
      expect(env).toMatchObject({ name: 'lab', host: 'vps', balance: 'source', createdAt: '2025-12-24T00:00:00.000Z', updatedAt: at.toISOString() });
      expect(env.servers.map((s) => s.name)).toEqual(['app1']);
      expect(env.app?.secrets).toEqual([{ name: 'API_TOKEN', ref: 'new-ref' }]);
    });

    it('HTTPS set up since stays, switched off as it was then', () => {
      const { createdAt: _c, updatedAt: _u, ...old } = fakeEnvironment('lab');
      const env = restoredEnvironment(fakeEnvironment('lab', { https }), keptFrom(old), at);
      expect(env.https).toMatchObject({ enabled: false, domains: ['lab.example.com'] });
    });

    it('settings today’s checks refuse are refused naming the version', () => {
      const { createdAt: _c, updatedAt: _u, ...old } = fakeEnvironment('lab');
      const bad = keptFrom({ ...old, servers: [{ name: 'Back 1', kind: 'demo' }] }, 4);
      expect(() => restoredEnvironment(fakeEnvironment('lab'), bad, at)).toThrow(
        expect.objectContaining({ code: 'VALIDATION', field: 'version', message: expect.stringMatching(/^version: the settings of version 4 no longer pass .*servers\.0\.name/) }),
      );
    });
  });

  describe('with deploys', () => {
    let lab: FakeLab;
    let envs: EnvironmentService;
    let restore: ConfigRestore;
    let tasks: TaskManager;
    const done = (t: Task) => tasks.whenDone(t.id);
    const SECRET = 'correct-horse-battery-staple';

    beforeEach(async () => {
      lab = await startFakeLab();
      lab.engine.addImage('fake/app:1');
      tasks = new TaskManager(new EventBus());
      const appSecrets = new AppSecrets(new FileSecretStore(dataDir, () => localKeyCipher(dataDir, {})));
      envs = new EnvironmentService(
        store,
        tasks,
        lab.images,
        () => lab.target,
        async () => ME_INSTALLATION,
        undefined,
        appSecrets,
      );
      restore = new ConfigRestore(envs, store, appSecrets);
      await envs.create({ name: 'lab', httpPort: 18080, images: FAKE_IMAGES });
    });
    afterEach(async () => {
      await lab.close();
    });

    it('keeps a version per deploy that changes haproxy.cfg, by this installation', async () => {
      expect((await done(await envs.deploy('lab'))).state).toBe('succeeded');
      expect((await done(await envs.deploy('lab'))).state).toBe('succeeded');
      expect((await envs.history.list('lab')).map((v) => v.version)).toEqual([1]);

      await envs.update('lab', { balance: 'leastconn' });
      expect((await done(await envs.deploy('lab'))).state).toBe('succeeded');
      const [v2, v1] = await envs.history.list('lab');
      expect(v2).toMatchObject({ version: 2, by: ME, trigger: { kind: 'deploy' } });
      expect(english(v2.summary)).toBe('balance roundrobin → leastconn');
      expect(v1.version).toBe(1);
      expect((await envs.history.get('lab', 2)).config).toBe((await envs.runningConfig('lab')).config);
      expect((await envs.history.get('lab', 1)).settings).not.toHaveProperty('createdAt');
    });

    it('keeps an app’s secret variables as references, never their values', async () => {
      await envs.update('lab', {
        app: { source: { kind: 'image', image: 'fake/app:1' }, port: 80, secrets: [{ name: 'API_TOKEN', value: SECRET }] },
        servers: [{ name: 'app1', kind: 'app' }],
      });
      const task = await done(await envs.deploy('lab'));
      expect(task.state, JSON.stringify(task.error)).toBe('succeeded');
      const v = await envs.history.get('lab', 1);
      expect(v.settings.app?.secrets).toEqual([{ name: 'API_TOKEN', ref: expect.any(String) }]);
      expect(JSON.stringify(v)).not.toContain(SECRET);
      expect(readFileSync(path.join(dataDir, STORE_FILE), 'utf8')).not.toContain(SECRET);
    });

    it('restores a version’s settings and deploys them; the new version says "restore of 1"', async () => {
      await done(await envs.deploy('lab'));
      await envs.update('lab', { balance: 'leastconn', servers: [{ name: 'back1', kind: 'demo' }], timeouts: { server: 5000 } });
      await done(await envs.deploy('lab'));

      const task = await done(await restore.restore('lab', 1));
      expect(task.state, JSON.stringify(task.error)).toBe('succeeded');
      const env = await envs.get('lab');
      expect(env).toMatchObject({ name: 'lab', host: 'local', balance: 'roundrobin', timeouts: { server: 30_000 } });
      expect(env.servers.map((s) => s.name)).toEqual(['back1', 'back2']);
      const [v3] = await envs.history.list('lab');
      expect(v3).toMatchObject({ version: 3, trigger: { kind: 'restore', version: 1 } });
      expect(english(v3.summary)).toBe('balance leastconn → roundrobin, servers added: back2, timeouts changed');
      expect((await envs.history.get('lab', 3)).config).toBe((await envs.history.get('lab', 1)).config);
      expect(lab.engine.snapshot().containers).toHaveLength(3);
    });

    it('refuses to restore a version it does not keep, changing nothing and starting no task', async () => {
      await done(await envs.deploy('lab'));
      const before = await envs.get('lab');
      expect(await refusal(restore.restore('lab', 7))).toMatchObject({ code: 'NOT_FOUND', field: 'version' });
      expect(await envs.get('lab')).toEqual(before);
      expect(tasks.list().filter((t) => t.state === 'running')).toEqual([]);
      expect(tasks.list()).toHaveLength(1);
    });

    it('drops an environment’s history when it is forgotten', async () => {
      await done(await envs.deploy('lab'));
      expect((await store.read()).configs).toHaveLength(1);
      await envs.forget('lab');
      expect((await store.read()).configs).toEqual([]);
      await envs.create({ name: 'lab', httpPort: 18080, images: FAKE_IMAGES });
      expect(await envs.history.list('lab')).toEqual([]);
    });
  });
});

describe('what made a version, as the CLI table says it', () => {
  it('names a deploy, an HTTPS change, a restore and a release with their numbers', () => {
    expect([{ kind: 'deploy' }, { kind: 'https' }, { kind: 'restore', version: 3 }, { kind: 'release', number: 9 }].map((t) => triggerText(t as ConfigTrigger))).toEqual([
      'deploy',
      'HTTPS change',
      'restore of 3',
      'release 9',
    ]);
  });
});
