/**
 * The headless WebSocket protocol: the contract's channels and events carried as JSON text
 * frames over one socket at `/ws?token=<token>` (the token the server printed).
 *
 *   client → server  { "id": 7, "channel": "environments:list", "payload": {} }
 *   server → client  { "id": 7, "envelope": { "ok": true, "result": [...] } }
 *                    { "id": 8, "envelope": { "ok": false, "error": { "code": "VALIDATION", "message": "…", "field": "name" } } }
 *   server → client  { "event": "tasks:updated", "payload": { ... } }
 *
 * - `id` is the caller's: a number or a string of at most 64 characters; answers come back
 *   in any order, each with the id of its call.
 * - `payload` goes to the core's dispatcher as it is: the channel's zod schema checks it
 *   there, exactly as for the desktop app's IPC.
 * - Every event of the contract (`eventNames`) goes to every connected client.
 * - `stats:watch` / `logs:watch` are counted by the core; a client that goes away without
 *   its unwatch calls gets them made for it, so a closed tab stops the polling it started.
 * - A frame that is not such a call (not JSON, no usable id, no channel) closes the socket
 *   with 1008 (policy violation): a client that speaks something else is not ours.
 */
import type { EventName } from '../../shared/contract';
import type { Envelope } from '../../shared/errors';

export type CallId = number | string;

export interface CallMessage {
  id: CallId;
  channel: string;
  payload: unknown;
}

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

/** Reads one client frame; null when it is not a call. */
export function parseCall(text: string): CallMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const idOk = (typeof v.id === 'number' && Number.isFinite(v.id)) || (typeof v.id === 'string' && v.id.length > 0 && v.id.length <= 64);
  if (!idOk || typeof v.channel !== 'string' || v.channel.length > 64) return null;
  return { id: v.id as CallId, channel: v.channel, payload: v.payload };
}
