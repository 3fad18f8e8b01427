/**
 * What the page gets from the preload, with Electron replaced by fakes (it cannot run on the test
 * machines): one frozen object, whose calls reach the main process only for the contract's
 * channels and events, and never ipcRenderer itself.
 */
import { describe, expect, it, vi } from 'vitest';
import { channelNames, eventNames } from '../../../shared/contract';

const fakes = vi.hoisted(() => {
  type Listener = (event: unknown, ...args: unknown[]) => void;
  /** A fake of Electron's ipcRenderer: records what the preload sends to main, and lets the test play main's events. */
  const ipcRendererForTests = {
    invoked: [] as unknown[][],
    sent: [] as unknown[][],
    listeners: new Map<string, Listener[]>(),
    invoke(...args: unknown[]) {
      this.invoked.push(args);
      return Promise.resolve({ ok: true, result: { from: 'main' } });
    },
    send(...args: unknown[]) {
      this.sent.push(args);
    },
    on(channel: string, listener: Listener) {
      this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), listener]);
      return this;
    },
    /** Main sending `channel` to this window, as Electron delivers it: an IpcRendererEvent first, whose sender is ipcRenderer. */
    emit(channel: string, ...args: unknown[]) {
      for (const l of this.listeners.get(channel) ?? []) l({ sender: this, senderId: 0, ports: [] }, ...args);
    },
  };
  /** A fake of Electron's contextBridge: what the preload hands the page. */
  const exposed: { key: string; api: unknown }[] = [];
  return { ipcRendererForTests, exposed };
});

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => fakes.exposed.push({ key, api }) },
  ipcRenderer: fakes.ipcRendererForTests,
}));

const { IPC_EVENT, IPC_INVOKE, IPC_SUBSCRIBE, IPC_UNSUBSCRIBE } = await import('../../../electron/main/ipc-names');
await import('../../../electron/preload/index');

interface Bridge {
  invoke(channel: unknown, payload?: unknown): Promise<{ ok: boolean; result?: unknown; error?: { code: string } }>;
  subscribe(event: unknown, argument?: unknown): Promise<{ ok: boolean; result?: unknown; error?: { code: string } }>;
  unsubscribe(id: unknown): void;
  onEvent(listener: unknown): () => void;
}

const ipc = fakes.ipcRendererForTests;
const bridge = () => fakes.exposed[0].api as Bridge;
/** Channel names that are not also event names (`certificates:status` is both), and the other way round. */
const onlyChannels = channelNames.filter((c) => !(eventNames as string[]).includes(c));
const onlyEvents = eventNames.filter((e) => !(channelNames as string[]).includes(e));
const NOT_IN_CONTRACT = ['shell:openExternal', 'fs:readFile', '__proto__', 'constructor', 'hasOwnProperty', 'toString', IPC_INVOKE, IPC_EVENT, IPC_SUBSCRIBE, ''];

/** Every value reachable from `root` through own properties (functions included). */
function reachable(root: unknown, seen = new Set<unknown>()): Set<unknown> {
  if ((typeof root !== 'object' && typeof root !== 'function') || root === null || seen.has(root)) return seen;
  seen.add(root);
  for (const key of Reflect.ownKeys(root as object)) {
    const d = Object.getOwnPropertyDescriptor(root, key);
    if (d && 'value' in d) reachable(d.value, seen);
  }
  return seen;
}

describe('the object the page gets', () => {
  it('is one frozen object, window.switchyard, holding the four calls and nothing else', () => {
    expect(fakes.exposed.map((e) => e.key)).toEqual(['switchyard']);
    const api = bridge();
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.keys(api).sort()).toEqual(['invoke', 'onEvent', 'subscribe', 'unsubscribe']);
    for (const fn of Object.values(api)) expect(typeof fn).toBe('function');
    // A page script cannot swap a call for its own.
    expect(() => Object.assign(api, { invoke: () => 'mine' })).toThrow(TypeError);
  });

  it('never holds ipcRenderer, nor any of its methods', () => {
    const values = reachable(bridge());
    expect(values.has(ipc)).toBe(false);
    for (const method of [ipc.invoke, ipc.send, ipc.on]) expect(values.has(method)).toBe(false);
  });
});

describe('invoke', () => {
  it('reaches main for every channel of the contract, and answers with main’s envelope', async () => {
    ipc.invoked.length = 0;
    for (const channel of channelNames) expect(await bridge().invoke(channel, { name: 'lab' })).toEqual({ ok: true, result: { from: 'main' } });
    expect(ipc.invoked).toEqual(channelNames.map((c) => [IPC_INVOKE, c, { name: 'lab' }]));
  });

  it('refuses any other name without reaching main: event names, IPC names, prototype keys, non-strings', async () => {
    ipc.invoked.length = 0;
    for (const name of [...NOT_IN_CONTRACT, ...onlyEvents, 42, null, undefined, { toString: () => channelNames[0] }]) {
      const answer = await bridge().invoke(name);
      expect(answer.ok, String(name)).toBe(false);
      expect(answer.error?.code).toBe('UNKNOWN_CHANNEL');
    }
    expect(ipc.invoked).toEqual([]);
  });
});

describe('subscribe and unsubscribe', () => {
  it('subscribe reaches main for every event of the contract, and for nothing else', async () => {
    ipc.invoked.length = 0;
    for (const event of eventNames) expect((await bridge().subscribe(event, { environment: 'lab' })).ok).toBe(true);
    for (const name of [...NOT_IN_CONTRACT, ...onlyChannels, 7, null]) expect((await bridge().subscribe(name)).error?.code, String(name)).toBe('UNKNOWN_CHANNEL');
    expect(ipc.invoked).toEqual(eventNames.map((e) => [IPC_SUBSCRIBE, e, { environment: 'lab' }]));
  });

  it('unsubscribe gives back a subscription id, and sends nothing for anything else', () => {
    ipc.sent.length = 0;
    bridge().unsubscribe('s1');
    for (const bad of [7, null, { id: 's2' }, undefined]) bridge().unsubscribe(bad);
    expect(ipc.sent).toEqual([[IPC_UNSUBSCRIBE, 's1']]);
  });
});

describe('onEvent', () => {
  it('hands the page the contract’s events as (name, payload), never Electron’s event object; other names are dropped', () => {
    const got: unknown[][] = [];
    const off = bridge().onEvent((...args: unknown[]) => got.push(args));
    for (const name of eventNames) ipc.emit(IPC_EVENT, name, { n: 1 });
    for (const name of [...NOT_IN_CONTRACT, ...onlyChannels, 3]) ipc.emit(IPC_EVENT, name, { n: 2 });
    expect(got).toEqual(eventNames.map((name) => [name, { n: 1 }]));
    expect(reachable(got).has(ipc)).toBe(false);

    off();
    ipc.emit(IPC_EVENT, eventNames[0], { n: 3 });
    expect(got).toHaveLength(eventNames.length);
  });

  it('listens on the one event channel only, and refuses a listener that is not a function', () => {
    expect([...ipc.listeners.keys()]).toEqual([IPC_EVENT]);
    expect(ipc.listeners.get(IPC_EVENT)).toHaveLength(1);
    expect(() => bridge().onEvent('alert(1)')).toThrow();
  });

  it('one listener that throws does not keep the event from the others', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const got: string[] = [];
    const offBad = bridge().onEvent(() => {
      throw new Error('boom');
    });
    const offGood = bridge().onEvent((name: string) => got.push(name));
    ipc.emit(IPC_EVENT, eventNames[0], {});
    expect(got).toEqual([eventNames[0]]);
    offBad();
    offGood();
    error.mockRestore();
  });
});
