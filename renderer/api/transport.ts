import type { ChannelName, EventName } from '../../shared/contract';
import type { Envelope } from '../../shared/errors';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting';

/** One subscription as a transport holds it. */
export interface TransportSubscription {
  /** The core's first answer: the subscription's id, or its refusal (OWNED_ELSEWHERE, NOT_FOUND, …). */
  readonly ready: Promise<Envelope<unknown>>;
  /** Gives it back (also before the answer came). */
  dispose(): void;
}

/** A way to reach the core's dispatcher and hear the events the page subscribed to. */
export interface Transport {
  readonly kind: string;
  invoke(channel: ChannelName, payload: unknown): Promise<Envelope<unknown>>;
  /**
   * Asks the core for `event` matching `argument`. A transport that reconnects subscribes again
   * by itself (the server gave everything back when the connection dropped).
   */
  subscribe(event: EventName, argument: unknown): TransportSubscription;
  /** Every event the core sends this page, once each, whichever subscriptions it matches. */
  onEvent(listener: (event: EventName, payload: unknown) => void): () => void;
  /** Transports that can drop (the WebSocket) report it; IPC is always there. */
  readonly state?: ConnectionState;
  onState?(listener: (state: ConnectionState) => void): () => void;
}

/** A call that could not get its answer because the connection to the core went away. */
export class ConnectionLostError extends Error {
  constructor(readonly reason: 'lost' | 'unreachable' | 'closed') {
    super(
      reason === 'lost'
        ? 'The connection to the Switchyard core was lost before it answered.'
        : reason === 'unreachable'
          ? 'The Switchyard core cannot be reached: is `switchyard serve` still running?'
          : 'The connection to the Switchyard core is closed.',
    );
    this.name = 'ConnectionLostError';
  }
}
