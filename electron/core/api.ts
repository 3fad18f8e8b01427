import { channels, isChannelName, type ChannelName, type ParsedRequestOf, type ResponseOf } from '../../shared/contract';
import { SwitchyardError, toErrorInfo, type Envelope } from '../../shared/errors';
import { parseOrThrow } from '../../shared/model';

export type Handlers = { [C in ChannelName]: (request: ParsedRequestOf<C>) => Promise<ResponseOf<C>> | ResponseOf<C> };

export type Invoke = (channel: string, payload: unknown) => Promise<Envelope<unknown>>;

/**
 * The one dispatcher: every transport (IPC, WebSocket, CLI) goes through it. It checks the
 * channel exists, parses the payload with the channel's schema, and wraps the outcome in an
 * envelope; nothing reaches a handler unvalidated.
 */
export function createDispatcher(handlers: Handlers): Invoke {
  return async (channel, payload) => {
    try {
      if (!isChannelName(channel)) {
        throw new SwitchyardError('UNKNOWN_CHANNEL', `Unknown channel "${channel}"`);
      }
      const request = parseOrThrow(channels[channel].request, payload ?? {});
      const handler = handlers[channel] as (r: unknown) => Promise<unknown>;
      return { ok: true, result: await handler(request) };
    } catch (err) {
      return { ok: false, error: toErrorInfo(err) };
    }
  };
}
