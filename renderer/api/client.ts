/**
 * The renderer's only way to the core. Stores call `invoke` and `on`; the transport under
 * them is picked once at start: Electron's preload bridge in the desktop app (a WebSocket to
 * the headless server will join it).
 */
import type { ChannelName, EventName, EventPayload, RequestOf, ResponseOf } from '../../shared/contract';
import { errorCodes, SwitchyardError, type Envelope, type ErrorInfo } from '../../shared/errors';

/** A way to reach the core's dispatcher and hear its events. */
export interface Transport {
  readonly kind: string;
  invoke(channel: ChannelName, payload: unknown): Promise<Envelope<unknown>>;
  on(event: EventName, listener: (payload: unknown) => void): () => void;
}

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

function detectTransport(): Transport | null {
  if (typeof window !== 'undefined' && window.switchyard) return new ElectronTransport(window.switchyard);
  return null;
}

let transport: Transport | null = detectTransport();

/** Replaces the transport (for tests, and for the headless mode once it has one). */
export function useTransport(next: Transport | null): void {
  transport = next;
}

function currentTransport(): Transport {
  if (!transport) {
    throw new SwitchyardError(
      'INTERNAL',
      'There is no connection to the Switchyard core: this page is not running inside the desktop app.',
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
 * core's code, message and field, so the UI can say what went wrong and where.
 */
export async function invoke<C extends ChannelName>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> {
  let envelope: Envelope<unknown>;
  try {
    envelope = await currentTransport().invoke(channel, payload);
  } catch (err) {
    if (err instanceof SwitchyardError) throw err;
    // The transport itself failed (the main process refused or went away), not the call.
    throw new SwitchyardError('INTERNAL', `Could not reach the Switchyard core: ${(err as Error)?.message ?? String(err)}`, {
      cause: err,
    });
  }
  if (envelope?.ok === true) return envelope.result as ResponseOf<C>;
  if (envelope?.ok === false && isErrorInfo(envelope.error)) throw SwitchyardError.fromInfo(envelope.error);
  throw new SwitchyardError('INTERNAL', `The core sent a malformed answer on ${channel}.`);
}

/** Listens to a core event; returns the function that stops listening. */
export function on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
  return currentTransport().on(event, listener as (payload: unknown) => void);
}
