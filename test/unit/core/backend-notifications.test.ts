import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendIncidents, REPEAT_AFTER_MS } from '../../../shared/backend-alerts';
import type { EnvironmentState, EnvironmentStatus, ServerHealth, Task } from '../../../shared/contract';
import type { Envelope } from '../../../shared/errors';
import { applyPreferences, defaultPreferences, type Preferences } from '../../../shared/preferences';
import { createCore, type Core } from '../../../electron/core/core';
import { EventBus } from '../../../electron/core/events';
import { backendMessage, watchBackends } from '../../../electron/main/backend-notifications';
import { followPreferences } from '../../../electron/main/preferences';
import { watchCertificates } from '../../../electron/main/notifications';

const appRoot = path.resolve(import.meta.dirname, '../../..');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A status with these servers' health (UP unless said), as the core pushes it. */
function status(health: Record<string, ServerHealth>, over: { name?: string; state?: EnvironmentState; reachable?: boolean } = {}): EnvironmentStatus {
  return {
    name: over.name ?? 'lab',
    state: over.state ?? 'running',
    containers: [],
    servers: Object.entries(health).map(([name, h]) => ({ name, health: h, status: h, weight: 100 })),
    haproxy: { reachable: over.reachable ?? true, configInSync: true },
  };
}

describe('which statuses call for a backend alert', () => {
  it('a server going DOWN is told once while it stays DOWN; back UP ends the incident', () => {
    let t = 0;
    const inc = new BackendIncidents(() => t);
    expect(inc.update(status({ back1: 'UP', back2: 'UP' }))).toBeNull();
    expect(inc.update(status({ back1: 'DOWN', back2: 'UP' }))).toMatchObject({ kind: 'server-down', servers: ['back1'], serving: 1, total: 2 });
    expect(inc.update(status({ back1: 'DOWN', back2: 'UP' }))).toBeNull();
    t += REPEAT_AFTER_MS;
    expect(inc.update(status({ back1: 'UP', back2: 'UP' }))).toBeNull();
    expect(inc.update(status({ back1: 'DOWN', back2: 'UP' }))).toMatchObject({ kind: 'server-down', servers: ['back1'] });
  });

  it('a flapping check is one incident: DOWN again within minutes of its alert is not news', () => {
    let t = 0;
    const inc = new BackendIncidents(() => t);
    expect(inc.update(status({ back1: 'DOWN', back2: 'UP' }))?.servers).toEqual(['back1']);
    t += 30_000;
    expect(inc.update(status({ back1: 'UP', back2: 'UP' }))).toBeNull();
    expect(inc.update(status({ back1: 'DOWN', back2: 'UP' }))).toBeNull();
  });

  it('the last server going DOWN says no server is left, once', () => {
    const inc = new BackendIncidents(() => 0);
    inc.update(status({ back1: 'DOWN', back2: 'UP' }));
    expect(inc.update(status({ back1: 'DOWN', back2: 'DOWN' }))).toMatchObject({ kind: 'no-server', servers: ['back2'], down: ['back1', 'back2'], serving: 0 });
    expect(inc.update(status({ back1: 'DOWN', back2: 'DOWN' }))).toBeNull();
  });

  it('servers the user set aside are no incident: all in maintenance is not "no server left"', () => {
    const inc = new BackendIncidents(() => 0);
    expect(inc.update(status({ back1: 'MAINT', back2: 'DRAIN' }))).toBeNull();
  });

  it('says nothing while a deploy or release is under way, nor of what it left once it is over', () => {
    const inc = new BackendIncidents(() => 0);
    expect(inc.update(status({ back1: 'DOWN', back2: 'UP' }), true)).toBeNull();
    expect(inc.update(status({ back1: 'DOWN', back2: 'UP' }))).toBeNull();
    // Back UP, then DOWN for real: that is news, even soon after.
    inc.update(status({ back1: 'UP', back2: 'UP' }));
    expect(inc.update(status({ back1: 'DOWN', back2: 'UP' }))?.servers).toEqual(['back1']);
  });

  it('a load balancer that does not answer says nothing; a destroyed environment closes its incidents', () => {
    const inc = new BackendIncidents(() => 0);
    expect(inc.update(status({ back1: 'UNKNOWN' }, { reachable: false }))).toBeNull();
    inc.update(status({ back1: 'DOWN', back2: 'UP' }));
    expect(inc.update(status({}, { state: 'not-deployed' }))).toBeNull();
    // Deployed again: the old incident is over, a DOWN now is a new one.
    expect(inc.update(status({ back1: 'DOWN', back2: 'UP' }))?.servers).toEqual(['back1']);
  });
});

describe('the notification words', () => {
  it('in English and in French, one server or several', () => {
    const one = { kind: 'server-down' as const, environment: 'lab', servers: ['back1'], down: ['back1'], serving: 1, total: 2 };
    expect(backendMessage(one, 'en-US')).toEqual({ title: 'back1 is down in lab', body: "HAProxy's health checks fail: it gets no visitors. 1 of 2 servers still serves." });
    expect(backendMessage(one, 'fr-FR')).toEqual({
      title: 'back1 est hors service dans lab',
      body: 'Les contrôles de santé de HAProxy échouent : il ne reçoit plus de visiteurs. 1 serveur sur 2 sert encore.',
    });
    const two = { ...one, servers: ['back1', 'back2'], down: ['back1', 'back2'], serving: 1, total: 3 };
    expect(backendMessage(two, 'en').title).toBe('back1 and back2 are down in lab');
    expect(backendMessage(two, 'fr').title).toBe('back1 et back2 sont hors service dans lab');
    const none = { ...two, kind: 'no-server' as const, serving: 0, total: 2 };
    expect(backendMessage(none, 'en')).toEqual({ title: 'lab has no server left', body: 'Health checks took out back1 and back2: visitors get 503 errors. Open Switchyard to see why.' });
    expect(backendMessage(none, 'fr').title).toBe("lab n'a plus aucun serveur");
  });
});

/**
 * A fake core for tests: the real event bus; `environments:status` subscriptions counted (the
 * core polls only while someone listens); `preferences:*` and `tasks:list` answered from memory.
 */
class FakeCoreForTests {
  readonly events = new EventBus();
  prefs: Preferences = defaultPreferences();
  tasks: Task[] = [];
  subscribed = 0;

  invoke = async (channel: string, payload: unknown): Promise<Envelope<unknown>> => {
    switch (channel) {
      case 'preferences:get':
        return { ok: true, result: this.prefs };
      case 'preferences:set':
        this.prefs = applyPreferences(this.prefs, payload as Parameters<typeof applyPreferences>[1]);
        this.events.emit('preferences:changed', this.prefs);
        return { ok: true, result: this.prefs };
      case 'tasks:list':
        return { ok: true, result: this.tasks };
      default:
        return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: channel } };
    }
  };

  subscribe = async (event: string, _argument: unknown, listener: (p: EnvironmentStatus) => void): Promise<() => void> => {
    this.subscribed++;
    const off = this.events.on(event as 'environments:status', listener);
    return () => {
      this.subscribed--;
      off();
    };
  };
}

const settle = () => new Promise((done) => setTimeout(done, 5));

function task(over: Partial<Task>): Task {
  return { id: 't1', kind: 'deploy', target: 'lab', state: 'running', step: 'backends', progress: 10, message: '', steps: [], createdAt: new Date(0).toISOString(), ...over };
}

function rig(prefs: Partial<Preferences> = {}, tasks: Task[] = []) {
  const core = new FakeCoreForTests();
  core.prefs = { ...core.prefs, ...prefs };
  core.tasks = tasks;
  const notes: { title: string; body: string }[] = [];
  const preferences = followPreferences(core);
  const stop = watchBackends(core, { notify: (title, body) => notes.push({ title, body }), preferences, systemLocale: () => 'en-US' });
  cleanups.push(() => {
    stop();
    preferences.stop();
  });
  return { core, notes, stop };
}

describe('backend notifications', () => {
  it('notifies a server going DOWN in the language the window chose', async () => {
    const { core, notes } = rig({ locale: 'fr' });
    await settle();
    expect(core.subscribed).toBe(1);
    core.events.emit('environments:status', status({ back1: 'UP', back2: 'UP' }));
    core.events.emit('environments:status', status({ back1: 'DOWN', back2: 'UP' }));
    core.events.emit('environments:status', status({ back1: 'DOWN', back2: 'UP' }));
    expect(notes.map((n) => n.title)).toEqual(['back1 est hors service dans lab']);
  });

  it('is quiet about servers a deploy takes out, and speaks again once it ended', async () => {
    // Under way already when the watch starts.
    const { core, notes } = rig({}, [task({ id: 'r1', kind: 'release' })]);
    await settle();
    core.events.emit('environments:status', status({ back1: 'DOWN', back2: 'UP' }));
    core.events.emit('tasks:updated', task({ id: 'r1', kind: 'release', state: 'succeeded' }));
    core.events.emit('environments:status', status({ back1: 'UP', back2: 'UP' }));
    // Traffic runs are no reason for quiet.
    core.events.emit('tasks:updated', task({ id: 't2', kind: 'traffic' }));
    core.events.emit('environments:status', status({ back1: 'UP', back2: 'DOWN' }));
    expect(notes.map((n) => n.title)).toEqual(['back2 is down in lab']);
  });

  it('turned off: stops following statuses (the core stops polling) and tells nothing; on again, it follows again', async () => {
    const { core, notes } = rig();
    await settle();
    await core.invoke('preferences:set', { notifications: { backends: false } });
    await settle();
    expect(core.subscribed).toBe(0);
    core.events.emit('environments:status', status({ back1: 'DOWN', back2: 'UP' }));
    expect(notes).toEqual([]);
    await core.invoke('preferences:set', { notifications: { backends: true } });
    await settle();
    expect(core.subscribed).toBe(1);
    core.events.emit('environments:status', status({ back1: 'DOWN', back2: 'UP' }));
    expect(notes.map((n) => n.title)).toEqual(['back1 is down in lab']);
  });

  it('starts off when the preference says so', async () => {
    const { core } = rig({ notifications: { backends: false, certificates: true } });
    await settle();
    expect(core.subscribed).toBe(0);
  });

  it('certificate notifications follow their own switch', async () => {
    const core = new FakeCoreForTests();
    core.prefs = applyPreferences(core.prefs, { notifications: { certificates: false } });
    const preferences = followPreferences(core);
    await preferences.ready;
    const notes: string[] = [];
    const stop = watchCertificates(
      { events: core.events, invoke: async (c, p) => (c === 'environments:get' ? { ok: true, result: { name: 'lab', https: { enabled: true } } } : core.invoke(c, p)) },
      { notify: (title) => notes.push(title), locale: () => 'en', enabled: () => preferences.current().notifications.certificates, setInterval: () => 0, clearInterval: () => undefined },
    );
    cleanups.push(() => {
      stop();
      preferences.stop();
    });
    const failing = {
      environment: 'lab',
      domains: ['lab.example.com'],
      nextRenewalAt: new Date(0).toISOString(),
      failures: 1,
      lastError: { code: 'CA_ERROR' as const, message: 'The CA did not answer' },
    };
    core.events.emit('certificates:status', failing);
    await settle();
    expect(notes).toEqual([]);
    await core.invoke('preferences:set', { notifications: { certificates: true } });
    core.events.emit('certificates:status', failing);
    await settle();
    expect(notes).toEqual(['Certificate renewal failed for lab']);
  });
});

describe('preferences in the data folder', () => {
  function core(dataDir: string): Core {
    const c = createCore({ dataDir, appRoot });
    cleanups.push(() => c.close());
    return c;
  }

  it('are on by default, change in part, are told as an event, and a bad value names its field and changes nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-prefs-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const c = core(dir);
    expect(await c.invoke('preferences:get', {})).toEqual({ ok: true, result: { notifications: { backends: true, certificates: true } } });
    const heard: Preferences[] = [];
    cleanups.push(c.events.on('preferences:changed', (p) => heard.push(p)));
    const set = await c.invoke('preferences:set', { notifications: { backends: false }, locale: 'fr' });
    expect(set).toEqual({ ok: true, result: { notifications: { backends: false, certificates: true }, locale: 'fr' } });
    expect(heard).toEqual([{ notifications: { backends: false, certificates: true }, locale: 'fr' }]);

    const bad = await c.invoke('preferences:set', { notifications: { backends: 'no' } });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatchObject({ code: 'VALIDATION', field: 'notifications.backends' });
    // Another process on the same folder reads what was saved.
    expect((await core(dir).invoke('preferences:get', {})).ok && (await core(dir).invoke('preferences:get', {}))).toMatchObject({ result: { notifications: { backends: false }, locale: 'fr' } });
  });
});
