import type { ChannelName, EventName } from '../../shared/contract';
import type { Envelope } from '../../shared/errors';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting';

/** A way to reach the core's dispatcher and hear its events. */
export interface Transport {
  readonly kind: string;
  invoke(channel: ChannelName, payload: unknown): Promise<Envelope<unknown>>;
  on(event: EventName, listener: (payload: unknown) => void): () => void;
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
