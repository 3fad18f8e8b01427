/**
 * The WebSocket transport's subscriptions against a stand-in core (an event bus and the real
 * subscription registry, with sources that only record): scoping per socket, and a socket that
 * drops giving back what it held.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EnvironmentStatus } from '../../../shared/contract';
import type { Core } from '../../../electron/core/core';
import { EventBus } from '../../../electron/core/events';
import { Subscriptions } from '../../../electron/core/subscriptions';
import { TaskManager } from '../../../electron/core/tasks/task-manager';
import { attachWebSocket } from '../../../electron/headless/ws-server';
import { until } from '../../support/lab';

const status = (name: string): EnvironmentStatus => ({ name, state: 'running', containers: [], servers: [], haproxy: { reachable: true, configInSync: true } });

let server: http.Server;
let closeWs: () => Promise<void>;
let events: EventBus;
let log: string[];
let port: number;

/** A core that answers no channel; enough for subscriptions. Not the real one. */
function fakeCore(): Core {
  events = new EventBus();
  const subscriptions = new Subscriptions({
    'logs:lines': (env) => {
      log.push(`follow ${env}`);
      return () => log.push(`stop ${env}`);
    },
  });
  return {
    invoke: async () => ({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: 'the fake core answers no channel' } }),
    events,
    subscriptions,
    subscribe: async () => () => undefined,
    tasks: new TaskManager(events),
    close: async () => undefined,
  };
}

class Client {
  readonly ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  readonly opened = new Promise<void>((resolve) => this.ws.once('open', () => resolve()));
  readonly events: { event: string; payload: { name?: string; environment?: string } }[] = [];
  private next = 1;
  private readonly waiting = new Map<number, (e: { ok: boolean; result?: { subscription: string } }) => void>();
  constructor() {
    this.ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if ('id' in msg) this.waiting.get(msg.id)?.(msg.envelope);
      else this.events.push(msg);
    });
  }
  send(frame: object): Promise<{ ok: boolean; result?: { subscription: string } }> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.ws.send(JSON.stringify({ id, ...frame }));
    });
  }
}

beforeEach(async () => {
  log = [];
  server = http.createServer();
  closeWs = attachWebSocket(server, fakeCore(), { hasToken: () => true, originAllowed: () => true, hostAllowed: () => true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterEach(async () => {
  await closeWs();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('subscriptions over the WebSocket', () => {
  it('each socket hears only what it subscribed to', async () => {
    const list = new Client();
    const view = new Client();
    await Promise.all([list.opened, view.opened]);
    await list.send({ subscribe: 'environments:status', argument: {} });
    await view.send({ subscribe: 'environments:status', argument: { environment: 'lab' } });
    events.emit('environments:status', status('lab'));
    events.emit('environments:status', status('shop'));
    await until('delivered', async () => list.events.length === 2 && view.events.length === 1, 1000, 5);
    expect(view.events.map((e) => e.payload.name)).toEqual(['lab']);
    list.ws.close();
    view.ws.close();
  });

  it('a socket that drops gives back what it held: the log it alone followed stops', async () => {
    const a = new Client();
    const b = new Client();
    await Promise.all([a.opened, b.opened]);
    expect(await a.send({ subscribe: 'logs:lines', argument: { environment: 'lab' } })).toMatchObject({ ok: true });
    await a.send({ subscribe: 'logs:lines', argument: { environment: 'lab' } });
    const kept = await b.send({ subscribe: 'logs:lines', argument: { environment: 'lab' } });
    await a.send({ subscribe: 'logs:lines', argument: { environment: 'shop' } });
    expect(log).toEqual(['follow lab', 'follow shop']);
    a.ws.terminate();
    await until('shop stopped', async () => log.includes('stop shop'), 1000, 5);
    // b still holds lab.
    expect(log).not.toContain('stop lab');
    expect(await b.send({ unsubscribe: kept.result!.subscription })).toMatchObject({ ok: true });
    await until('lab stopped', async () => log.includes('stop lab'), 1000, 5);
    b.ws.close();
  });
});
