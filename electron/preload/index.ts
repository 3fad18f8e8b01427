/**
 * The bridge between the page and the main process. The page gets one frozen object with
 * `invoke`, `subscribe`/`unsubscribe` and `onEvent`; ipcRenderer itself never crosses, so the
 * page can reach nothing but the contract's channels and events.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { isChannelName, isEventName, type EventName, type SubscriptionRef } from '../../shared/contract';
import type { Envelope } from '../../shared/errors';
import { IPC_EVENT, IPC_INVOKE, IPC_SUBSCRIBE, IPC_UNSUBSCRIBE } from '../main/ipc-names';

type EventListener = (event: EventName, payload: unknown) => void;

const listeners = new Set<EventListener>();
let listening = false;

function dispatch(_event: unknown, name: unknown, payload: unknown): void {
  if (typeof name !== 'string' || !isEventName(name)) return;
  for (const listener of [...listeners]) {
    try {
      listener(name, payload);
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

/**
 * Asks the core for `eventName` events matching `argument` (checked by the contract's schema in
 * the main process); answers with the subscription's id, or the refusal, in an envelope.
 */
function subscribe(eventName: string, argument?: unknown): Promise<Envelope<SubscriptionRef>> {
  if (typeof eventName !== 'string' || !isEventName(eventName)) {
    return Promise.resolve({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `Unknown event "${String(eventName)}"` } });
  }
  return ipcRenderer.invoke(IPC_SUBSCRIBE, eventName, argument ?? {}) as Promise<Envelope<SubscriptionRef>>;
}

/** Gives a subscription back. */
function unsubscribe(id: string): void {
  if (typeof id === 'string') ipcRenderer.send(IPC_UNSUBSCRIBE, id);
}

/** Calls `listener` with each event the core sends this window (what it subscribed to); returns the function that stops it. */
function onEvent(listener: EventListener): () => void {
  if (typeof listener !== 'function') throw new Error('The listener must be a function');
  if (!listening) {
    // One IPC listener for all events; the IpcRendererEvent it receives stays on this side.
    ipcRenderer.on(IPC_EVENT, dispatch);
    listening = true;
  }
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

contextBridge.exposeInMainWorld('switchyard', Object.freeze({ invoke, subscribe, unsubscribe, onEvent }));
