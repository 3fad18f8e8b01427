import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { eventNames, type ChannelName, type EventName } from '../../shared/contract';
import type { Core } from '../core/core';
import { CLOSE_GOING_AWAY, CLOSE_POLICY, MAX_FRAME_BYTES, WS_PATH, parseCall, type AnswerMessage, type EventMessage } from './ws-protocol';

export interface WsGuard {
  /** Whether the request carries the server's token (in the query string). */
  hasToken(url: URL): boolean;
  /** Whether a browser page at this origin may connect (absent for non-browser clients). */
  originAllowed(origin: string | undefined): boolean;
  /** Whether the Host header names this server (a DNS-rebound name does not). */
  hostAllowed(host: string | undefined): boolean;
}

/** A client that reads slower than events come is skipped rather than buffered without end. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** Watch channels whose count the core keeps, with the call that gives a watch back. */
const WATCHES: Partial<Record<ChannelName, ChannelName>> = {
  'stats:watch': 'stats:unwatch',
  'logs:watch': 'logs:unwatch',
};
const UNWATCHES = new Set(Object.values(WATCHES));

function refuse(socket: Duplex, status: 401 | 403 | 404, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Serves the contract over WebSocket upgrades of `server` (see ws-protocol.ts). Returns the
 * function that closes every client and stops listening to the core.
 */
export function attachWebSocket(server: http.Server, core: Core, guard: WsGuard): () => Promise<void> {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://switchyard.invalid');
    if (url.pathname !== WS_PATH) return refuse(socket, 404, 'Not Found');
    if (!guard.hostAllowed(req.headers.host) || !guard.originAllowed(req.headers.origin)) return refuse(socket, 403, 'Forbidden');
    if (!guard.hasToken(url)) return refuse(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => serveClient(ws, core));
  });

  const broadcast = (event: EventName, payload: unknown): void => {
    if (wss.clients.size === 0) return;
    const frame = JSON.stringify({ event, payload } satisfies EventMessage);
    for (const ws of wss.clients) {
      if (ws.readyState === ws.OPEN && ws.bufferedAmount < MAX_BUFFERED_BYTES) ws.send(frame);
    }
  };
  const offs = eventNames.map((name) => core.events.on(name, (payload) => broadcast(name, payload)));

  return async () => {
    for (const off of offs) off();
    for (const ws of wss.clients) ws.close(CLOSE_GOING_AWAY, 'server stopping');
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}

function serveClient(ws: WebSocket, core: Core): void {
  // What this client still watches: `${channel}\n${environment}` → count.
  const watching = new Map<string, number>();

  const track = (channel: ChannelName, payload: unknown): void => {
    const env = (payload as { environment?: unknown } | null)?.environment;
    if (typeof env !== 'string') return;
    const unwatch = WATCHES[channel];
    const key = `${unwatch ?? channel}\n${env}`;
    const n = (watching.get(key) ?? 0) + (unwatch ? 1 : -1);
    if (n > 0) watching.set(key, n);
    else watching.delete(key);
  };

  ws.on('message', (data, isBinary) => {
    const call = isBinary ? null : parseCall(data.toString());
    if (!call) {
      ws.close(CLOSE_POLICY, 'not a Switchyard call');
      return;
    }
    void core.invoke(call.channel, call.payload).then((envelope) => {
      const channel = call.channel as ChannelName;
      if (envelope.ok && (WATCHES[channel] || UNWATCHES.has(channel))) track(channel, call.payload);
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: call.id, envelope } satisfies AnswerMessage));
    });
  });

  ws.on('close', () => {
    for (const [key, count] of watching) {
      const [channel, environment] = key.split('\n');
      for (let i = 0; i < count; i++) void core.invoke(channel, { environment });
    }
    watching.clear();
  });
}
