import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { eventNames, type EventName, type EventPayload } from '../../shared/contract';
import type { Envelope } from '../../shared/errors';
import type { Core } from '../core/core';
import type { ClientId } from '../core/subscriptions';
import { CLOSE_GOING_AWAY, CLOSE_POLICY, MAX_FRAME_BYTES, WS_PATH, parseMessage, type AnswerMessage, type EventMessage } from './ws-protocol';

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

let nextClient = 1;

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
    wss.handleUpgrade(req, socket, head, (ws) => serveClient(ws, core, sockets));
  });

  // Each event goes to the sockets subscribed to it, once each, serialised once for all.
  const sockets = new Map<ClientId, WebSocket>();
  const deliver = <E extends EventName>(event: E, payload: EventPayload<E>): void => {
    if (sockets.size === 0) return;
    let frame: string | undefined;
    for (const client of core.subscriptions.recipients(event, payload)) {
      const ws = sockets.get(client);
      if (!ws || ws.readyState !== ws.OPEN || ws.bufferedAmount >= MAX_BUFFERED_BYTES) continue;
      ws.send((frame ??= JSON.stringify({ event, payload } satisfies EventMessage)));
    }
  };
  const offs = eventNames.map((name) => core.events.on(name, (payload) => deliver(name, payload)));

  return async () => {
    for (const off of offs) off();
    for (const ws of wss.clients) ws.close(CLOSE_GOING_AWAY, 'server stopping');
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}

function serveClient(ws: WebSocket, core: Core, sockets: Map<ClientId, WebSocket>): void {
  const client: ClientId = `ws:${nextClient++}`;
  sockets.set(client, ws);
  let closed = false;

  ws.on('message', (data, isBinary) => {
    const msg = isBinary ? null : parseMessage(data.toString());
    if (!msg) {
      ws.close(CLOSE_POLICY, 'not a Switchyard call');
      return;
    }
    let answer: Promise<Envelope<unknown>>;
    if ('channel' in msg) answer = core.invoke(msg.channel, msg.payload);
    else if ('subscribe' in msg) {
      answer = core.subscriptions.subscribe(client, msg.subscribe, msg.argument).then((envelope) => {
        // The socket went while the core was starting it: give it back at once.
        if (closed && envelope.ok) core.subscriptions.dispose(client, envelope.result.subscription);
        return envelope;
      });
    } else {
      core.subscriptions.dispose(client, msg.unsubscribe);
      answer = Promise.resolve({ ok: true, result: { unsubscribed: true } });
    }
    void answer.then((envelope) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: msg.id, envelope } satisfies AnswerMessage));
    });
  });

  ws.on('close', () => {
    // A closed tab stops the polling and log following it started, whatever it forgot to give back.
    closed = true;
    sockets.delete(client);
    core.subscriptions.release(client);
  });
}
