/**
 * The renderer's only way to the core. Stores call `invoke` and `on`; the transport under
 * them is picked once at start: Electron's preload bridge in the desktop app, else a
 * WebSocket to the headless server that served the page.
 */
import type { ChannelName, EventName, EventPayload, RequestOf, ResponseOf } from '../../shared/contract';
import { errorCodes, SwitchyardError, type Envelope, type ErrorInfo } from '../../shared/errors';
import { ConnectionLostError, type ConnectionState, type Transport } from './transport';
import { WebSocketTransport, headlessSocketUrl } from './ws-transport';

export type { ConnectionState, Transport } from './transport';
export { ConnectionLostError } from './transport';

/** The desktop app: `window.switchyard`, exposed by electron/preload. */
export class ElectronTransport implements Transport {
  readonly kind = 'electron';

  constructor(private readonly bridge: SwitchyardBridge) {}

  invoke(channel: ChannelName, payload: unknown): Promise<Envelope<unknown>> {
    return this.bridge.invoke(channel, payload);
  }

  on(event: EventName, listener: (payload: unknown) => void): () => void {
    return this.bridge.on(event, listener);
  }
}

let transport: Transport | null = null;
const eventListeners = new Map<EventName, Set<(payload: unknown) => void>>();
let detachers: (() => void)[] = [];

function attach(event: EventName): void {
  if (!transport) return;
  detachers.push(
    transport.on(event, (payload) => {
      for (const l of eventListeners.get(event) ?? []) {
        try {
          l(payload);
        } catch (err) {
          // One broken listener must not starve the others of the event.
          console.error(err);
        }
      }
    }),
  );
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
  for (const d of detachers) d();
  detachers = [];
  transport = next;
  for (const event of eventListeners.keys()) attach(event);
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
 * Runs `listener` each time the connection comes back after a drop: the server forgot this
 * page's watches and the events missed meanwhile, so stores watch and load again.
 */
export function onReconnect(listener: () => void): () => void {
  reconnectListeners.add(listener);
  return () => reconnectListeners.delete(listener);
}

/** Hears the connection drop and come back (then watches must be made again). */
export function onConnectionState(listener: (state: ConnectionState) => void): () => void {
  stateListeners.add(listener);
  return () => stateListeners.delete(listener);
}

function currentTransport(): Transport {
  if (!transport) {
    throw new SwitchyardError(
      'INTERNAL',
      'There is no connection to the Switchyard core: open this page from the desktop app or from the address `switchyard serve` printed.',
    );
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

/**
 * Listens to a core event; returns the function that stops listening. Listeners stay when the
 * transport is replaced, so stores can subscribe before one is picked.
 */
export function on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
  let set = eventListeners.get(event);
  if (!set) {
    eventListeners.set(event, (set = new Set()));
    attach(event);
  }
  set.add(listener as (payload: unknown) => void);
  return () => set.delete(listener as (payload: unknown) => void);
}
