/**
 * The headless WebSocket protocol: the contract's channels and events carried as JSON text
 * frames over one socket at `/ws?token=<token>` (the token the server printed).
 *
 *   client → server  { "id": 7, "channel": "environments:list", "payload": {} }
 *   server → client  { "id": 7, "envelope": { "ok": true, "result": [...] } }
 *                    { "id": 8, "envelope": { "ok": false, "error": { "code": "VALIDATION", "message": "…", "field": "name" } } }
 *   client → server  { "id": 9, "subscribe": "stats:snapshot", "argument": { "environment": "lab" } }
 *   server → client  { "id": 9, "envelope": { "ok": true, "result": { "subscription": "s4" } } }
 *   client → server  { "id": 10, "unsubscribe": "s4" }
 *   server → client  { "id": 10, "envelope": { "ok": true, "result": { "unsubscribed": true } } }
 *   server → client  { "event": "stats:snapshot", "payload": { ... } }
 *
 * - `id` is the caller's: a number or a string of at most 64 characters; answers come back
 *   in any order, each with the id of its call.
 * - `payload` goes to the core's dispatcher as it is: the channel's zod schema checks it
 *   there, exactly as for the desktop app's IPC. A subscription's `argument` is checked by the
 *   event's schema in the contract the same way, and refused in an envelope (OWNED_ELSEWHERE
 *   for stats or logs of an environment another Switchyard manages).
 * - An event goes only to the sockets subscribed to it with an argument that matches it, once
 *   per socket however many of its subscriptions match. The core counts subscriptions over
 *   every socket and window; a socket that drops gives all of its own back.
 * - A frame that is none of these (not JSON, no usable id, no channel or event) closes the
 *   socket with 1008 (policy violation): a client that speaks something else is not ours.
 */
import type { EventName } from '../../shared/contract';
import type { Envelope } from '../../shared/errors';

export type CallId = number | string;

export interface CallMessage {
  id: CallId;
  channel: string;
  payload: unknown;
}

export interface SubscribeMessage {
  id: CallId;
  subscribe: string;
  argument: unknown;
}

export interface UnsubscribeMessage {
  id: CallId;
  unsubscribe: string;
}

export type ClientMessage = CallMessage | SubscribeMessage | UnsubscribeMessage;

export interface AnswerMessage {
  id: CallId;
  envelope: Envelope<unknown>;
}

export interface EventMessage {
  event: EventName;
  payload: unknown;
}

export const WS_PATH = '/ws';
/** Calls are small JSON objects; a megabyte leaves room for a large environment and no more. */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** WebSocket close codes used by the server. */
export const CLOSE_POLICY = 1008;
export const CLOSE_GOING_AWAY = 1001;

/** Reads one client frame; null when it is neither a call nor a (un)subscription. */
export function parseMessage(text: string): ClientMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const idOk = (typeof v.id === 'number' && Number.isFinite(v.id)) || (typeof v.id === 'string' && v.id.length > 0 && v.id.length <= 64);
  if (!idOk) return null;
  const id = v.id as CallId;
  const word = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 64;
  if (typeof v.channel === 'string' && v.channel.length <= 64) return { id, channel: v.channel, payload: v.payload };
  if (word(v.subscribe)) return { id, subscribe: v.subscribe, argument: v.argument };
  if (word(v.unsubscribe)) return { id, unsubscribe: v.unsubscribe };
  return null;
}
