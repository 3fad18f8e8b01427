/**
 * The Electron transport's subscriptions, with Electron replaced by fakes (it cannot run on the
 * test machines) and the core by an event bus and the real subscription registry, whose sources
 * only record: an event goes only to the windows subscribed to it, and a window that closes,
 * reloads or crashes gives its subscriptions back.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EnvironmentStatus } from '../../../shared/contract';

const fakes = vi.hoisted(() => {
  type Handler = (event: unknown, ...args: unknown[]) => unknown;
  /** A fake of Electron's ipcMain: the handlers serveIpc registers, called by the test. */
  const ipcMainForTests = {
    handlers: new Map<string, Handler>(),
    listeners: new Map<string, Handler>(),
    handle(channel: string, fn: Handler) {
      this.handlers.set(channel, fn);
    },
    removeHandler(channel: string) {
      this.handlers.delete(channel);
    },
    on(channel: string, fn: Handler) {
      this.listeners.set(channel, fn);
    },
    removeAllListeners(channel: string) {
      this.listeners.delete(channel);
    },
  };
  const windows = new Set<unknown>();
  return { ipcMainForTests, windows };
});

vi.mock('electron', () => ({
  ipcMain: fakes.ipcMainForTests,
  BrowserWindow: { fromWebContents: (contents: unknown) => (fakes.windows.has(contents) ? {} : null) },
}));

const { serveIpc } = await import('../../../electron/main/ipc');
const { IPC_EVENT, IPC_SUBSCRIBE, IPC_UNSUBSCRIBE } = await import('../../../electron/main/ipc-names');
const { EventBus } = await import('../../../electron/core/events');
const { Subscriptions } = await import('../../../electron/core/subscriptions');

const OWN = 'file:///app/index.html';

/** A fake of a window's WebContents: what it was sent, and the events it can give. */
class FakeContentsForTests extends EventEmitter {
  static next = 1;
  readonly id = FakeContentsForTests.next++;
  readonly sent: { name: string; payload: { name?: string; environment?: string } }[] = [];
  readonly mainFrame = { processId: 1, routingId: this.id };
  url = OWN;
  destroyed = false;
  constructor() {
    super();
    fakes.windows.add(this);
  }
  send(channel: string, name: string, payload: never): void {
    if (channel === IPC_EVENT) this.sent.push({ name, payload });
  }
  isDestroyed = () => this.destroyed;
  getURL = () => this.url;
  /** What a frame of this window calling main looks like. */
  call(frame = this.mainFrame, url = this.url) {
    return { sender: this, senderFrame: { ...frame, url } };
  }
}

const status = (name: string): EnvironmentStatus => ({ name, state: 'running', containers: [], servers: [], haproxy: { reachable: true, configInSync: true } });

let events: InstanceType<typeof EventBus>;
let log: string[];
let stop: () => void;

async function subscribe(win: FakeContentsForTests, event: string, argument: unknown) {
  return (await fakes.ipcMainForTests.handlers.get(IPC_SUBSCRIBE)!(win.call(), event, argument)) as { ok: boolean; result?: { subscription: string }; error?: { code: string } };
}

beforeEach(() => {
  events = new EventBus();
  log = [];
  const subscriptions = new Subscriptions({
    'logs:lines': (env) => {
      log.push(`follow ${env}`);
      return () => log.push(`stop ${env}`);
    },
  });
  const core = { events, subscriptions } as unknown as Parameters<typeof serveIpc>[0];
  stop = serveIpc(core, { owns: (url) => url === OWN, load: async () => undefined });
});
afterEach(() => stop());

describe('the Electron transport', () => {
  it('sends each window only what it subscribed to', async () => {
    const list = new FakeContentsForTests();
    const view = new FakeContentsForTests();
    expect(await subscribe(list, 'environments:status', {})).toMatchObject({ ok: true });
    expect(await subscribe(view, 'environments:status', { environment: 'lab' })).toMatchObject({ ok: true });
    events.emit('environments:status', status('lab'));
    events.emit('environments:status', status('shop'));
    expect(list.sent.map((s) => s.payload.name)).toEqual(['lab', 'shop']);
    expect(view.sent.map((s) => s.payload.name)).toEqual(['lab']);
  });

  it('a window that closes, reloads or crashes gives back what it held', async () => {
    const a = new FakeContentsForTests();
    const b = new FakeContentsForTests();
    await subscribe(a, 'logs:lines', { environment: 'lab' });
    await subscribe(b, 'logs:lines', { environment: 'lab' });
    await subscribe(a, 'logs:lines', { environment: 'shop' });
    // A change of hash is the same page: nothing is given back.
    a.emit('did-start-navigation', { isMainFrame: true, isSameDocument: true });
    await Promise.resolve();
    expect(log).toEqual(['follow lab', 'follow shop']);
    a.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false });
    await Promise.resolve();
    expect(log).toEqual(['follow lab', 'follow shop', 'stop shop']);
    b.emit('render-process-gone');
    await Promise.resolve();
    expect(log).toEqual(['follow lab', 'follow shop', 'stop shop', 'stop lab']);

    const c = new FakeContentsForTests();
    const held = await subscribe(c, 'logs:lines', { environment: 'lab' });
    c.destroyed = true;
    c.emit('destroyed');
    await Promise.resolve();
    expect(log.at(-1)).toBe('stop lab');
    expect(held.ok).toBe(true);
  });

  it('gives one subscription back on request, and refuses a frame that is not our page', async () => {
    const win = new FakeContentsForTests();
    const held = await subscribe(win, 'logs:lines', { environment: 'lab' });
    fakes.ipcMainForTests.listeners.get(IPC_UNSUBSCRIBE)!(win.call(), held.result!.subscription);
    await Promise.resolve();
    expect(log).toEqual(['follow lab', 'stop lab']);

    const iframe = win.call({ processId: 1, routingId: 999 });
    await expect(fakes.ipcMainForTests.handlers.get(IPC_SUBSCRIBE)!(iframe, 'logs:lines', { environment: 'lab' })).rejects.toThrow(/may not call/);
    const elsewhere = win.call(win.mainFrame, 'https://evil.example/');
    await expect(fakes.ipcMainForTests.handlers.get(IPC_SUBSCRIBE)!(elsewhere, 'logs:lines', { environment: 'lab' })).rejects.toThrow(/may not call/);
    expect(await subscribe(win, 'stats:snapshot', {})).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(log).toEqual(['follow lab', 'stop lab']);
  });
});
