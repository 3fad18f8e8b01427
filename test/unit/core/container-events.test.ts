import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Environment } from '../../../shared/model';
import { ContainerEventsWatcher, serverGone } from '../../../electron/core/environments/container-events';
import { containerEvent, FakeDockerEngine } from '../../support/fake-docker-engine';
import { until } from '../../support/lab';

const backend = (environment: string, server: string) => ({
  'io.switchyard.app': 'switchyard',
  'io.switchyard.role': 'backend',
  'io.switchyard.environment': environment,
  'io.switchyard.server': server,
});

type EnvRef = Pick<Environment, 'name' | 'host' | 'servers'>;
const env = (name: string, host = 'local', servers = ['back1', 'back2']): EnvRef => ({
  name,
  host,
  servers: servers.map((s) => ({ name: s, kind: 'demo' as const, weight: 100, state: 'ready' as const })),
});

describe('which container events take a server out', () => {
  it('die, stop, pause, and a kill with a stopping signal', () => {
    for (const action of ['die', 'stop', 'pause']) expect(serverGone(containerEvent(action, backend('lab', 'back1')) as never)).toEqual({ environment: 'lab', server: 'back1' });
    for (const signal of ['15', '9', '2', '3']) expect(serverGone(containerEvent('kill', backend('lab', 'back1'), { signal }) as never)).toBeDefined();
  });

  it('not a start, a kill with another signal, a load balancer, or a container without labels', () => {
    expect(serverGone(containerEvent('start', backend('lab', 'back1')) as never)).toBeUndefined();
    expect(serverGone(containerEvent('kill', backend('lab', 'back1'), { signal: '1' }) as never)).toBeUndefined();
    expect(serverGone(containerEvent('die', { ...backend('lab', 'back1'), 'io.switchyard.role': 'haproxy' }) as never)).toBeUndefined();
    expect(serverGone(containerEvent('die', {}) as never)).toBeUndefined();
    expect(serverGone({ Type: 'network', Action: 'die', Actor: { Attributes: backend('lab', 'back1') } })).toBeUndefined();
    // A release's new container being tried, or the old one it keeps meanwhile, is not the server.
    expect(serverGone(containerEvent('die', backend('lab', 'back1'), { name: 'sy-lab-back1_next' }) as never)).toBeUndefined();
    expect(serverGone(containerEvent('stop', backend('lab', 'back1'), { name: 'sy-lab-back1_prev' }) as never)).toBeUndefined();
  });
});

describe('the container-events watcher, against a fake Docker engine', () => {
  let engines: Record<string, FakeDockerEngine>;
  let envs: EnvRef[];
  let marked: string[];
  let errors: string[];
  let watcher: ContainerEventsWatcher;

  const make = (opts = {}) =>
    new ContainerEventsWatcher(
      {
        environments: async () => envs,
        docker: async (host) => {
          const e = engines[host];
          if (!e) throw new Error(`no host ${host}`);
          return e.docker();
        },
        markDown: async (environment, server) => {
          marked.push(`${environment}/${server}`);
        },
        onError: (err, doing) => errors.push(`${doing}: ${(err as Error).message}`),
      },
      { rescanMs: 60_000, retryMs: 20, maxRetryMs: 100, ...opts },
    );

  beforeEach(async () => {
    engines = { local: await FakeDockerEngine.start(), vps: await FakeDockerEngine.start() };
    envs = [env('lab')];
    marked = [];
    errors = [];
  });

  afterEach(async () => {
    await watcher?.close();
    await Promise.all(Object.values(engines).map((e) => e.close()));
  });

  it('asks the engine only for backend container events, and marks the server down on a stop', async () => {
    watcher = make();
    watcher.start();
    await until('subscribed', async () => engines.local.subscribers === 1, 2000, 5);
    const req = engines.local.requests.find((r) => r.path.endsWith('/events'))!;
    expect(JSON.parse(req.query.get('filters')!)).toEqual({
      type: ['container'],
      event: ['kill', 'die', 'stop', 'pause'],
      label: ['io.switchyard.app=switchyard', 'io.switchyard.role=backend'],
    });
    engines.local.emit(containerEvent('kill', backend('lab', 'back1'), { signal: '15' }));
    await until('marked down', async () => marked.length === 1, 2000, 5);
    expect(marked).toEqual(['lab/back1']);
    expect(errors).toEqual([]);
  });

  it('leaves alone what is not an environment of this store on that host, or not one of its servers', async () => {
    envs = [env('lab'), env('far', 'vps')];
    watcher = make();
    watcher.start();
    await until('both hosts followed', async () => engines.local.subscribers === 1 && engines.vps.subscribers === 1, 2000, 5);
    engines.local.emit(containerEvent('die', backend('other', 'back1')));
    engines.local.emit(containerEvent('die', backend('far', 'back1')));
    engines.local.emit(containerEvent('die', backend('lab', 'back9')));
    engines.vps.emit(containerEvent('die', backend('lab', 'back1')));
    engines.vps.emit(containerEvent('start', backend('far', 'back2')));
    // A line the watcher cannot read is skipped, and what follows still counts.
    engines.local.emitRaw('not json');
    engines.local.emit(containerEvent('die', backend('lab', 'back2')));
    engines.vps.emit(containerEvent('die', backend('far', 'back2')));
    await until('the two that count', async () => marked.length >= 2, 2000, 5);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(marked.sort()).toEqual(['far/back2', 'lab/back2']);
  });

  it('follows only hosts that have environments, and picks up a new one on the next scan', async () => {
    watcher = make();
    watcher.start();
    await until('local followed', async () => engines.local.subscribers === 1, 2000, 5);
    expect(watcher.hosts).toEqual(['local']);
    expect(engines.vps.requests).toEqual([]);
    envs = [env('far', 'vps')];
    await watcher.refresh();
    await until('vps followed, local dropped', async () => engines.vps.subscribers === 1 && engines.local.subscribers === 0, 2000, 5);
    expect(watcher.hosts).toEqual(['vps']);
  });

  it('reconnects when the stream drops, and takes out what stopped meanwhile', async () => {
    watcher = make();
    watcher.start();
    await until('subscribed', async () => engines.local.subscribers === 1, 2000, 5);
    // A backend that stopped while no stream was open (running ones must not be taken out).
    engines.local.seedContainer({ name: 'sy-lab-back2', state: 'exited', labels: backend('lab', 'back2') });
    engines.local.seedContainer({ name: 'sy-lab-back1', state: 'running', labels: backend('lab', 'back1') });
    engines.local.dropStreams();
    await until('subscribed again', async () => engines.local.subscribers === 1, 2000, 5);
    await until('caught up', async () => marked.includes('lab/back2'), 2000, 5);
    expect(marked).not.toContain('lab/back1');
    const list = engines.local.requests.filter((r) => r.path.endsWith('/containers/json')).at(-1)!;
    expect(JSON.parse(list.query.get('filters')!)).toMatchObject({ status: ['exited', 'dead', 'paused'] });
    engines.local.emit(containerEvent('die', backend('lab', 'back1')));
    await until('live again', async () => marked.includes('lab/back1'), 2000, 5);
  });

  it('keeps trying while the engine refuses, then follows it', async () => {
    engines.local.failEvents = 500;
    watcher = make();
    watcher.start();
    await until('a few refusals', async () => engines.local.requests.filter((r) => r.path.endsWith('/events')).length >= 3, 3000, 5);
    expect(errors[0]).toMatch(/^following Docker events on local/);
    engines.local.failEvents = undefined;
    await until('subscribed', async () => engines.local.subscribers === 1, 3000, 5);
    engines.local.emit(containerEvent('stop', backend('lab', 'back1')));
    await until('marked down', async () => marked.includes('lab/back1'), 2000, 5);
  });

  it('close() ends the streams and stops reconnecting', async () => {
    watcher = make();
    watcher.start();
    await until('subscribed', async () => engines.local.subscribers === 1, 2000, 5);
    await watcher.close();
    await until('stream closed', async () => engines.local.subscribers === 0, 2000, 5);
    const seen = engines.local.requests.length;
    // Several retry periods (20 ms here): a watcher still running would have asked again.
    await new Promise((r) => setTimeout(r, 150));
    expect(engines.local.requests.length).toBe(seen);
    expect(watcher.hosts).toEqual([]);
  });
});
