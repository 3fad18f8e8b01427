/**
 * The renderer's only way to the core. Stores call `invoke` and `subscribe`; the transport
 * under them is picked once at start: Electron's preload bridge in the desktop app, else a
 * WebSocket to the headless server that served the page.
 */
import { eventMatches, type ChannelName, type EventArgumentOf, type EventName, type EventPayload, type RequestOf, type ResponseOf, type SubscriptionRef } from '../../shared/contract';
import { errorCodes, SwitchyardError, type Envelope, type ErrorInfo } from '../../shared/errors';
import { ConnectionLostError, type ConnectionState, type Transport, type TransportSubscription } from './transport';
import { WebSocketTransport, headlessSocketUrl } from './ws-transport';

export type { ConnectionState, Transport, TransportSubscription } from './transport';
export { ConnectionLostError } from './transport';

/** The desktop app: `window.switchyard`, exposed by electron/preload. */
export class ElectronTransport implements Transport {
  readonly kind = 'electron';

  constructor(private readonly bridge: SwitchyardBridge) {}

  invoke(channel: ChannelName, payload: unknown): Promise<Envelope<unknown>> {
    return this.bridge.invoke(channel, payload);
  }

  subscribe(event: EventName, argument: unknown): TransportSubscription {
    let id: string | undefined;
    let disposed = false;
    const ready = this.bridge.subscribe(event, argument).then((envelope) => {
      if (envelope.ok) {
        id = (envelope.result as SubscriptionRef).subscription;
        // Given back before the answer came: give it back now.
        if (disposed) this.bridge.unsubscribe(id);
      }
      return envelope as Envelope<unknown>;
    });
    return {
      ready,
      dispose: () => {
        if (disposed) return;
        disposed = true;
        if (id) this.bridge.unsubscribe(id);
      },
    };
  }

  onEvent(listener: (event: EventName, payload: unknown) => void): () => void {
    return this.bridge.onEvent(listener);
  }
}

/** One `subscribe` call, as long as it is not disposed: made again on each new transport. */
interface Live {
  event: EventName;
  argument: unknown;
  listener: (payload: unknown) => void;
  held?: TransportSubscription;
  answered: boolean;
  accept(): void;
  refuse(err: unknown): void;
}

let transport: Transport | null = null;
const live = new Set<Live>();
let offEvents: (() => void) | undefined;

function attach(entry: Live): void {
  if (!transport) return;
  const held = transport.subscribe(entry.event, entry.argument);
  entry.held = held;
  void held.ready.then(
    (envelope) => {
      if (entry.answered) return;
      entry.answered = true;
      if (envelope?.ok === true) return entry.accept();
      // Refused: it will not be asked again, and hears nothing meant for others.
      live.delete(entry);
      entry.refuse(
        envelope?.ok === false && isErrorInfo(envelope.error)
          ? SwitchyardError.fromInfo(envelope.error)
          : new SwitchyardError('INTERNAL', `The core sent a malformed answer to a subscription to ${entry.event}.`),
      );
    },
    (err: unknown) => {
      if (entry.answered) return;
      entry.answered = true;
      entry.refuse(err);
    },
  );
}

/**
 * Each event to the listeners of the subscriptions it matches, each listener once: a store
 * that subscribes to several environments with one function hears each event once.
 */
function dispatch(event: EventName, payload: unknown): void {
  const listeners = new Set<(payload: unknown) => void>();
  for (const entry of live) {
    if (entry.event === event && eventMatches(event, entry.argument, payload as EventPayload<typeof event>)) listeners.add(entry.listener);
  }
  for (const l of listeners) {
    try {
      l(payload);
    } catch (err) {
      // One broken listener must not starve the others of the event.
      console.error(err);
    }
  }
}

const stateListeners = new Set<(state: ConnectionState) => void>();
let offState: (() => void) | undefined;

/** Picks the transport for this page: the desktop bridge, else the headless server's socket. */
export function startTransport(): Transport | null {
  if (typeof window === 'undefined') return null;
  if (window.switchyard) useTransport(new ElectronTransport(window.switchyard));
  else {
    const url = headlessSocketUrl(window.location);
    if (url) useTransport(new WebSocketTransport(url));
  }
  return transport;
}

/** Replaces the transport (tests use a fake one). */
export function useTransport(next: Transport | null): void {
  offState?.();
  offEvents?.();
  for (const entry of live) entry.held?.dispose();
  transport = next;
  offEvents = next?.onEvent(dispatch);
  for (const entry of live) attach(entry);
  offState = next?.onState?.((s) => {
    for (const l of stateListeners) l(s);
  });
  for (const l of stateListeners) l(connectionState());
}

/** Whether the page has a way to the core at all. */
export function hasTransport(): boolean {
  return transport !== null;
}

/** The connection's state; a transport that cannot drop is always open. */
export function connectionState(): ConnectionState {
  return transport?.state ?? (transport ? 'open' : 'reconnecting');
}

let everOpen = false;
const reconnectListeners = new Set<() => void>();
onConnectionState((s) => {
  if (s !== 'open') return;
  if (everOpen) for (const l of reconnectListeners) l();
  everOpen = true;
});

/**
 * Runs `listener` each time the connection comes back after a drop: events sent meanwhile were
 * missed, so stores load again (the transport subscribes again by itself).
 */
export function onReconnect(listener: () => void): () => void {
  reconnectListeners.add(listener);
  return () => reconnectListeners.delete(listener);
}

/** Hears the connection drop and come back. */
export function onConnectionState(listener: (state: ConnectionState) => void): () => void {
  stateListeners.add(listener);
  return () => stateListeners.delete(listener);
}

function currentTransport(): Transport {
  if (!transport) {
    throw new SwitchyardError('INTERNAL', 'There is no connection to the Switchyard core: open this page from the desktop app or from the address `switchyard serve` printed.');
  }
  return transport;
}

function isErrorInfo(value: unknown): value is ErrorInfo {
  const v = value as Partial<ErrorInfo> | null;
  return typeof v === 'object' && v !== null && typeof v.message === 'string' && (errorCodes as readonly unknown[]).includes(v.code);
}

/**
 * Calls a channel. Resolves with its result; rejects with a SwitchyardError carrying the
 * core's code, message and field, so the UI can say what went wrong and where, or with a
 * ConnectionLostError when the answer cannot come.
 */
export async function invoke<C extends ChannelName>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> {
  let envelope: Envelope<unknown>;
  try {
    envelope = await currentTransport().invoke(channel, payload);
  } catch (err) {
    if (err instanceof SwitchyardError || err instanceof ConnectionLostError) throw err;
    // The transport itself failed (the main process refused or went away), not the call.
    throw new SwitchyardError('INTERNAL', `Could not reach the Switchyard core: ${(err as Error)?.message ?? String(err)}`, {
      cause: err,
    });
  }
  if (envelope?.ok === true) return envelope.result as ResponseOf<C>;
  if (envelope?.ok === false && isErrorInfo(envelope.error)) throw SwitchyardError.fromInfo(envelope.error);
  throw new SwitchyardError('INTERNAL', `The core sent a malformed answer on ${channel}.`);
}

/** What `subscribe` returns: call it to give the subscription back. */
export interface Subscription {
  (): void;
  /** Resolves once the core took it; rejects with its refusal (OWNED_ELSEWHERE, NOT_FOUND, …). */
  readonly ready: Promise<void>;
}

/**
 * Subscribes to a core event for what `argument` names (an environment, or everything); the
 * core sends this page only what it subscribed to. Returns the function that gives it back.
 * A subscription outlives a replaced transport and a dropped connection (it is made again), so
 * stores can subscribe before a transport is picked.
 */
export function subscribe<E extends EventName>(event: E, argument: EventArgumentOf<E>, listener: (payload: EventPayload<E>) => void): Subscription {
  let accept!: () => void;
  let refuse!: (err: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    accept = resolve;
    refuse = reject;
  });
  // Whoever does not wait for the answer has nothing to hear of a refusal.
  ready.catch(() => undefined);
  const entry: Live = { event, argument, listener: listener as (payload: unknown) => void, answered: false, accept, refuse };
  live.add(entry);
  attach(entry);
  const dispose = () => {
    if (!live.delete(entry)) return;
    entry.held?.dispose();
  };
  return Object.assign(dispose, { ready });
}
