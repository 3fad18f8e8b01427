/**
 * The bridge between the page and the main process. The page gets one frozen object with
 * `invoke` and `on`; ipcRenderer itself never crosses, so the page can reach nothing but the
 * contract's channels and events.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { isChannelName, isEventName, type EventName } from '../../shared/contract';
import type { Envelope } from '../../shared/errors';
import { IPC_EVENT, IPC_INVOKE } from '../main/ipc-names';

type Listener = (payload: unknown) => void;

const listeners = new Map<EventName, Set<Listener>>();
let subscribed = false;

function dispatch(_event: unknown, name: unknown, payload: unknown): void {
  if (typeof name !== 'string' || !isEventName(name)) return;
  for (const listener of [...(listeners.get(name) ?? [])]) {
    try {
      listener(payload);
    } catch (err) {
      // One faulty listener must not keep the event from the others.
      console.error(`A listener for ${name} failed:`, err);
    }
  }
}

function invoke(channel: string, payload?: unknown): Promise<Envelope<unknown>> {
  if (typeof channel !== 'string' || !isChannelName(channel)) {
    return Promise.resolve({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `Unknown channel "${String(channel)}"` } });
  }
  return ipcRenderer.invoke(IPC_INVOKE, channel, payload ?? {}) as Promise<Envelope<unknown>>;
}

/** Calls `listener` with each payload of `eventName`; returns the function that stops it. */
function on(eventName: string, listener: Listener): () => void {
  if (typeof eventName !== 'string' || !isEventName(eventName)) throw new Error(`Unknown event "${String(eventName)}"`);
  if (typeof listener !== 'function') throw new Error('The listener must be a function');
  if (!subscribed) {
    // One IPC listener for all events; the IpcRendererEvent it receives stays on this side.
    ipcRenderer.on(IPC_EVENT, dispatch);
    subscribed = true;
  }
  let set = listeners.get(eventName);
  if (!set) listeners.set(eventName, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}

contextBridge.exposeInMainWorld('switchyard', Object.freeze({ invoke, on }));
