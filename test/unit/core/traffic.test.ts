import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../../shared/contract';
import type { TrafficReport, TrafficRequest } from '../../../shared/live';
import { EventBus } from '../../../electron/core/events';
import { TaskManager } from '../../../electron/core/tasks/task-manager';
import { TrafficRunner } from '../../../electron/core/traffic/traffic';

/**
 * The traffic generator against a plain HTTP server standing in for the load balancer's front
 * end: what a user reads in its report (how many requests, at what rate, whether it was stopped).
 */
describe('the traffic generator', () => {
  let server: http.Server;
  let port: number;
  /** How long the front end takes to answer: slow enough for a stop to find requests under way. */
  let delayMs = 0;

  beforeAll(async () => {
    server = http.createServer((_req, res) => setTimeout(() => res.writeHead(200, { 'x-served-by': 'back1' }).end('ok'), delayMs));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const connect = () =>
    new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    });

  /** Runs one traffic task; resolves with its end, and the reports the window was sent. */
  function start(req: Omit<TrafficRequest, 'environment' | 'keepCookies' | 'path'>, whileRunning?: (tasks: TaskManager, id: string) => void) {
    const events = new EventBus();
    const tasks = new TaskManager(events);
    const runner = new TrafficRunner(events);
    const reports: TrafficReport[] = [];
    events.on('traffic:progress', (r) => reports.push(r));
    const task: Task = tasks.start('traffic', 'lab', (ctx) => runner.run(task.id, { environment: 'lab', keepCookies: false, path: '/', ...req }, `127.0.0.1:${port}`, connect, ctx));
    whileRunning?.(tasks, task.id);
    return tasks.whenDone(task.id).then((end) => ({ end, reports, last: reports[reports.length - 1] }));
  }

  it('holds a rate limit: 50 requests per second for 2 s sends about 100 requests, whatever the concurrency', async () => {
    delayMs = 0;
    const { end, last } = await start({ durationMs: 2000, concurrency: 8, ratePerSecond: 50 });
    console.log(`rate limit 50/s for 2 s at concurrency 8: ${last.sent} requests, ${last.failed} failed, ${last.elapsedMs} ms`);
    expect(end.state).toBe('succeeded');
    expect(last.sent).toBeGreaterThanOrEqual(80);
    expect(last.sent).toBeLessThanOrEqual(120);
    expect(last.failed).toBe(0);
  });

  it('without a rate limit it sends as fast as the front end answers', async () => {
    delayMs = 0;
    const { last } = await start({ durationMs: 1000, concurrency: 4 });
    console.log(`no rate limit for 1 s at concurrency 4: ${last.sent} requests`);
    expect(last.sent).toBeGreaterThan(200);
  });

  it('a count of requests at a rate takes as long as the rate says', async () => {
    delayMs = 0;
    const { end, last } = await start({ requests: 30, concurrency: 4, ratePerSecond: 60 });
    expect(end.state).toBe('succeeded');
    expect(last.sent).toBe(30);
    // 30 requests one sixtieth of a second apart: the last starts about half a second in.
    expect(last.elapsedMs).toBeGreaterThanOrEqual(450);
    expect(last.elapsedMs).toBeLessThan(2000);
  });

  it('a stopped run ends at once as stopped, with what it sent and nothing counted as failed', async () => {
    delayMs = 200;
    const began = Date.now();
    const { end, last } = await start({ durationMs: 30_000, concurrency: 4 }, (tasks, id) => setTimeout(() => tasks.cancel(id), 700));
    expect(Date.now() - began).toBeLessThan(3000);
    expect(end.state).toBe('cancelled');
    expect(end.error).toMatchObject({ code: 'CANCELLED', reason: 'trafficStopped' });
    expect(last.done).toBe(true);
    expect(last.stopped).toBe(true);
    expect(last.failed).toBe(0);
    expect(last.sent).toBe(last.ok);
    expect(last.sent).toBeGreaterThan(0);
    expect(end.error!.message).toBe(`Stopped after ${last.ok} requests in ${last.elapsedMs} ms`);
  });
});
