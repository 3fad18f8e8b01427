import { describe, expect, it } from 'vitest';
import { Environment, EnvironmentInput, parseOrThrow, type EnvironmentInput as EnvInput } from '../../../shared/model';
import { RolloutPolicy, ReleaseRequest, appChanges, MAX_RELEASE_BATCH, type ReleaseRecord } from '../../../shared/releases';
import type { App } from '../../../shared/apps';
import { renderConfig } from '../../../electron/core/haproxy/render';
import { AppSecrets } from '../../../electron/core/apps/app-secrets';
import { releaseLine } from '../../../electron/headless/cli-releases';
import { ReleaseService } from '../../../electron/core/releases/release-service';
import { Store } from '../../../electron/core/store/store';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { haproxyCheck, unexpectedWarnings } from '../../support/haproxy-check';

const stamp = '2026-01-01T00:00:00.000Z';
const envOf = (input: EnvInput) => parseOrThrow(Environment, { ...parseOrThrow(EnvironmentInput, input), createdAt: stamp, updatedAt: stamp });
const ctx = { backendSubnets: ['172.30.0.0/16'], adminClients: ['172.31.0.1'] };
const app = (over: Partial<App> = {}): App => ({ source: { kind: 'image', image: 'shop:1' }, port: 8080, env: [{ name: 'MODE', value: 'prod' }], secrets: [{ name: 'TOKEN', ref: 's-1' }], ...over });

describe('what a release changed', () => {
  it('names the image change, and only the names of variables and secrets changed', () => {
    const before = app();
    const after = app({
      source: { kind: 'image', image: 'shop:2' },
      env: [
        { name: 'MODE', value: 'debug' },
        { name: 'NEW', value: 'x' },
      ],
      secrets: [{ name: 'TOKEN', ref: 's-2' }],
    });
    const changes = appChanges(before, after, { before: 'sha256:a', after: 'sha256:b' });
    expect(changes).toEqual([
      { field: 'image', from: 'shop:1', to: 'shop:2' },
      { field: 'env', names: ['MODE', 'NEW'] },
      { field: 'secrets', names: ['TOKEN'] },
    ]);
    expect(JSON.stringify(changes)).not.toContain('debug');
    expect(JSON.stringify(changes)).not.toContain('s-2');
  });

  it('says "new image" when the same reference now resolves to another image (a moved tag, a rebuilt folder)', () => {
    expect(appChanges(app(), app(), { before: 'sha256:a', after: 'sha256:b' })).toEqual([{ field: 'image', from: 'shop:1', to: 'shop:1 (new image)' }]);
    expect(appChanges(app(), app(), { before: 'sha256:a', after: 'sha256:a' })).toEqual([]);
  });

  it('names port, command and limits with their old and new values', () => {
    const changes = appChanges(app(), app({ port: 9090, command: ['serve', '--fast'], memoryMb: 256 }), { before: 'i', after: 'i' });
    expect(changes).toEqual([
      { field: 'port', from: '8080', to: '9090' },
      { field: 'command', from: '', to: 'serve --fast' },
      { field: 'memoryMb', from: '', to: '256' },
    ]);
  });
});

describe('rollout settings', () => {
  it('has defaults for everything, and names the field it refuses', () => {
    expect(RolloutPolicy.parse({})).toEqual({ batch: 1, healthTimeoutMs: 60_000, drainTimeoutMs: 10_000, monitorMs: 5000, graceMs: 2000, maxErrorRate: 0.1, minErrors: 3 });
    expect(() => parseOrThrow(ReleaseRequest, { environment: 'shop', rollout: { batch: MAX_RELEASE_BATCH + 1 } })).toThrow(/rollout\.batch/);
    expect(() => parseOrThrow(ReleaseRequest, { environment: 'shop', rollout: { maxErrorRate: 2 } })).toThrow(/rollout\.maxErrorRate/);
    expect(() => parseOrThrow(ReleaseRequest, { environment: 'shop', rollout: { drainTimeoutMs: -1 } })).toThrow(/rollout\.drainTimeoutMs/);
  });
});

describe('probe slots in haproxy.cfg', () => {
  it('an app environment gets disabled slots running the servers’ own health check, and HAProxy accepts them', async () => {
    const env = envOf({ name: 'shop', app: { source: { kind: 'image', image: 'shop:1' }, port: 8080 }, servers: [{ name: 'app1', kind: 'app' }], healthCheck: { path: '/ready' } });
    const cfg = renderConfig(env, ctx);
    const probe = cfg.split('backend releases\n')[1].split('\n\n')[0];
    expect(probe).toContain('http-check send meth GET uri /ready ver HTTP/1.1 hdr Host shop');
    expect(probe.match(/server next\d+ 127\.0\.0\.1:1 disabled check/g)).toHaveLength(MAX_RELEASE_BATCH);
    // No frontend sends traffic there.
    expect(cfg).not.toMatch(/use_backend releases|default_backend releases/);
    const res = await haproxyCheck(cfg);
    expect(res.code, res.output).toBe(0);
    expect(unexpectedWarnings(res.output)).toEqual([]);
  });

  it('the demo lab has none: its config is as before', () => {
    expect(renderConfig(envOf({ name: 'lab' }), ctx)).not.toContain('backend releases');
  });
});

describe('secret values a kept release may need again', () => {
  it('are not deleted when the app stops using them, until no release keeps them', async () => {
    const box = new Map<string, string>([
      ['s-1', 'old-token'],
      ['s-2', 'new-token'],
    ]);
    const store = { put: async (v: string) => (box.set(`s-${box.size + 1}`, v), `s-${box.size}`), get: async (r: string) => box.get(r)!, delete: async (r: string) => void box.delete(r) };
    let pinned = new Set(['s-1']);
    const secrets = new AppSecrets(store, async () => pinned);
    await secrets.dropUnused(app(), app({ secrets: [{ name: 'TOKEN', ref: 's-2' }] }));
    expect(box.has('s-1')).toBe(true);
    pinned = new Set();
    await secrets.dropUnused(app(), app({ secrets: [{ name: 'TOKEN', ref: 's-2' }] }));
    expect(box.has('s-1')).toBe(false);
    expect(box.get('s-2')).toBe('new-token');
  });
});

describe('the history as `switchyard releases` prints it', () => {
  it('one tab-separated line: number, start, result with cause, duration, failed requests, by, changes, image', () => {
    const r: ReleaseRecord = {
      environment: 'shop',
      number: 4,
      startedAt: stamp,
      by: { installation: 'abcd1234', user: 'ana@laptop' },
      app: app(),
      image: { ref: 'shop:2', id: 'sha256:0123456789abcdef0123', digest: 'sha256:feed' },
      changes: [{ field: 'env', names: ['MODE'] }],
      result: 'rolled-back',
      cause: { kind: 'errors', server: 'app2', message: 'x', params: {}, logs: [] },
      durationMs: 12_340,
      failedRequests: 7,
      servers: [],
    };
    expect(releaseLine(r).split('\t')).toEqual(['4', stamp, 'rolled-back (errors on app2)', '12.3s', '7', 'ana@laptop', 'env MODE', 'sha256:feed']);
  });
});

describe('a release left running by a process that went away', () => {
  it('is closed as interrupted by the next release or deploy of its environment, and told; others are left alone', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-rel-'));
    try {
      const store = new Store(dir);
      const record = (environment: string, number: number, result: ReleaseRecord['result']): ReleaseRecord => ({
        environment,
        number,
        startedAt: stamp,
        by: { installation: '11111111', user: 'me@laptop' },
        app: app(),
        image: { ref: 'shop:1', id: 'sha256:1' },
        changes: [],
        result,
        servers: [{ name: 'app1', phase: 'starting' }],
      });
      await store.update((d) => void d.releases.push(record('shop', 1, 'succeeded'), record('shop', 2, 'running'), record('other', 1, 'running')));
      const told: ReleaseRecord[] = [];
      const releases = new ReleaseService(
        {} as never,
        store,
        {} as never,
        undefined,
        () => new Date('2026-01-02T00:00:00.000Z'),
        (r) => told.push(r),
      );
      await releases.closeInterrupted('shop');
      const after = (await store.read()).releases;
      expect(after.find((r) => r.environment === 'shop' && r.number === 2)).toMatchObject({ result: 'failed', endedAt: '2026-01-02T00:00:00.000Z', cause: { kind: 'interrupted' } });
      expect(after.find((r) => r.environment === 'shop' && r.number === 1)?.result).toBe('succeeded');
      expect(after.find((r) => r.environment === 'other')?.result).toBe('running');
      expect(told.map((r) => [r.environment, r.number, r.result])).toEqual([['shop', 2, 'failed']]);
      expect(releaseLine(after.find((r) => r.number === 2 && r.environment === 'shop')!).split('\t')[2]).toBe('failed (interrupted)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
