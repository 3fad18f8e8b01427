import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task, TaskStep } from '../../../shared/contract';
import { SwitchyardError } from '../../../shared/errors';
import { english, isMessageCode, msg, type Message } from '../../../shared/messages';
import { orderCertificate } from '../../../electron/core/acme/order';
import type { AcmeAccounts } from '../../../electron/core/acme/account';
import { destroyEnvironment } from '../../../electron/core/environments/teardown';
import { EventBus } from '../../../electron/core/events';
import { TaskManager, type TaskContext, type TaskText } from '../../../electron/core/tasks/task-manager';
import { TrafficRunner } from '../../../electron/core/traffic/traffic';

/** Every step and the task itself say a known code, and their English is the code's English. */
function expectCoded(task: Task): void {
  const said: (Task | TaskStep)[] = [task, ...task.steps];
  for (const s of said) {
    expect(isMessageCode(s.code), `${s.message} has code ${s.code}`).toBe(true);
    expect(s.message).toBe(english({ code: s.code!, params: s.params }));
  }
}

function run(work: (ctx: TaskContext) => Promise<TaskText>): Promise<Task> {
  const tasks = new TaskManager(new EventBus());
  return tasks.whenDone(tasks.start('deploy', 'lab', work).id);
}

describe('tasks keep a code and params beside the English', () => {
  it('for steps, notes and the result', async () => {
    const notes: Task[] = [];
    const events = new EventBus();
    events.on('tasks:updated', (t) => notes.push(t));
    const tasks = new TaskManager(events);
    const end = await tasks.whenDone(
      tasks.start('deploy', 'lab', async (ctx) => {
        ctx.step('ports', 20, msg('deploy.ports', { port: 8080 }));
        ctx.note(msg('image.pulling', { image: 'haproxy:lts' }));
        return msg('deploy.upUnchanged', { env: 'lab', url: 'http://localhost:8080/', status: 200 });
      }).id,
    );
    expect(end.steps[0]).toMatchObject({ name: 'ports', code: 'image.pulling', params: { image: 'haproxy:lts' }, message: 'pulling haproxy:lts' });
    expect(notes.some((t) => t.code === 'deploy.ports' && t.message === 'Checking that port 8080 is free')).toBe(true);
    expect(end).toMatchObject({ code: 'deploy.upUnchanged', message: 'lab is up at http://localhost:8080/ (HTTP 200; nothing to change)' });
    expectCoded(end);
  });

  it('plain text stays plain: no code, shown as it is', async () => {
    const end = await run(async (ctx) => {
      ctx.step('images', 5, msg('deploy.images'));
      ctx.note('something a tool said');
      return 'done';
    });
    expect(end.steps[0]).toMatchObject({ message: 'something a tool said' });
    expect(end.steps[0].code).toBeUndefined();
    expect(end.code).toBeUndefined();
  });

  it('a failed task says its error’s English, and keeps the error’s reason and params', async () => {
    const end = await run(async (ctx) => {
      ctx.step('ports', 20, msg('deploy.ports', { port: 8080 }));
      throw SwitchyardError.because('PORT_IN_USE', 'container', { port: 8080, holder: 'web' }, { field: 'httpPort' });
    });
    expect(end.error).toMatchObject({ code: 'PORT_IN_USE', reason: 'container', params: { port: 8080, holder: 'web' } });
    expect(end.message).toBe(end.error!.message);
    expect(end.code).toBeUndefined();
  });
});

describe('every producer speaks in codes', () => {
  it('destroy: its steps and its summary, counted', async () => {
    const notFound = () => Promise.reject(Object.assign(new Error('no such container'), { statusCode: 404 }));
    // A stand-in for the three list calls and removals destroy makes; it is not an engine.
    const docker = {
      listContainers: async () => [],
      listNetworks: async () => [{ Id: 'n1', Labels: {} }],
      listVolumes: async () => ({
        Volumes: [
          { Name: 'v1', Labels: {} },
          { Name: 'v2', Labels: {} },
        ],
      }),
      getContainer: () => ({ getArchive: notFound }),
      getNetwork: () => ({ remove: async () => undefined }),
      getVolume: () => ({ remove: async () => undefined }),
    } as unknown as Docker;
    const end = await run((ctx) => destroyEnvironment(docker, 'lab', ctx, { installation: 'me', by: 'me@here' }));
    expect(end.state).toBe('succeeded');
    expect(end.steps.map((s) => s.code)).toEqual(['destroy.containers', 'destroy.networks', 'destroy.volumes']);
    expect(end.code).toBe('destroy.done');
    expect(end.message).toBe('lab destroyed: 0 containers, 1 network, 2 volumes removed');
    expectCoded(end);
  });

  describe('traffic', () => {
    let server: http.Server;
    let port: number;
    beforeAll(async () => {
      server = http.createServer((req, res) => res.writeHead(200, { 'x-served-by': req.url === '/' ? 'back1' : 'back2' }).end('ok'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise((r) => server.close(r)));

    it('its step, progress and summary, with the milliseconds for the window to format', async () => {
      const runner = new TrafficRunner(new EventBus());
      const connect = () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1', () => resolve(s));
          s.on('error', reject);
        });
      const end = await run((ctx) => runner.run('t1', { environment: 'lab', requests: 20, concurrency: 2, keepCookies: false, path: '/' }, `127.0.0.1:${port}`, connect, ctx));
      expect(end.state).toBe('succeeded');
      expect(end.steps[0].name).toBe('sending');
      expect(end.code).toBe('traffic.done');
      expect(end.params).toMatchObject({ requests: { count: 20 }, failed: { count: 0 }, split: [msg('traffic.served', { server: 'back1', n: { count: 20 } })] });
      expect((end.params!.elapsed as { ms: number }).ms).toBeGreaterThanOrEqual(0);
      expect(end.message).toMatch(/^20 requests in \d+ ms: 0 failed; back1 20; p50 [\d.]+ ms, p99 [\d.]+ ms$/);
      expectCoded(end);
    });
  });

  it('a certificate order reports its phases as codes', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const seen: { phase: string; message: Message }[] = [];
    await orderCertificate({
      settings: { domains: ['www.example.com'], email: 'ops@example.com', directory: { url: `https://127.0.0.1:${closed}/dir`, challengePort: 80 }, termsAccepted: true, stagingFirst: false },
      // Never reached: the directory does not answer.
      accounts: {} as AcmeAccounts,
      responder: { add: async () => undefined, remove: async () => undefined },
      preflight: null,
      onProgress: (p) => seen.push(p),
    }).catch(() => undefined);
    expect(seen).toEqual([{ phase: 'order', message: msg('https.order', { ca: `127.0.0.1:${closed}` }), directory: `127.0.0.1:${closed}` }]);
    expect(english(seen[0].message)).toBe(`Ordering a certificate from 127.0.0.1:${closed}`);
  });
});
