/**
 * The headless mode's transport: one WebSocket to `switchyard serve` (protocol in
 * electron/headless/ws-protocol.ts). Reconnects with backoff; a call that was sent or queued
 * when the socket drops is rejected at once, never left hanging. Subscriptions outlive a drop:
 * the server gave them back with the connection, so they are made again once it reopens.
 */
import type { ChannelName, EventName, SubscriptionRef } from '../../shared/contract';
import type { Envelope } from '../../shared/errors';
import { ConnectionLostError, type ConnectionState, type Transport, type TransportSubscription } from './transport';

type EventListener = (event: EventName, payload: unknown) => void;

interface Sub {
  event: EventName;
  argument: unknown;
  /** The server's id for it on the current connection. */
  serverId?: string;
  disposed: boolean;
  answered: boolean;
  settle(envelope: Envelope<unknown>): void;
}

interface Pending {
  resolve(envelope: Envelope<unknown>): void;
  reject(err: Error): void;
}

/** What the transport needs of a WebSocket; the browser's own, or a fake in tests. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface WebSocketTransportOptions {
  createSocket?: (url: string) => SocketLike;
  /** First retry delay; doubles on each failure up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
}

const OPEN = 1;

/** The page's own server and token: the token is in the URL the server printed. */
export function headlessSocketUrl(location: { protocol: string; host: string; search: string }): string | null {
  const token = new URLSearchParams(location.search).get('token');
  if (!token || location.protocol !== 'http:') return null;
  return `ws://${location.host}/ws?token=${encodeURIComponent(token)}`;
}

export class WebSocketTransport implements Transport {
  readonly kind = 'websocket';
  private socket: SocketLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Calls made before the socket opened; sent as soon as it does. */
  private queue: { id: number; frame: string }[] = [];
  private readonly listeners = new Set<EventListener>();
  private readonly subs = new Set<Sub>();
  /** Subscriptions sent and not answered yet, by the id of their frame. */
  private readonly subAnswers = new Map<number, Sub>();
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  private failures = 0;
  private stopped = false;
  private current: ConnectionState = 'connecting';
  private readonly createSocket: (url: string) => SocketLike;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;

  constructor(
    private readonly url: string,
    private readonly opts: WebSocketTransportOptions = {},
  ) {
    this.createSocket = opts.createSocket ?? ((u) => new WebSocket(u) as unknown as SocketLike);
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.connect();
  }

  get state(): ConnectionState {
    return this.current;
  }

  invoke(channel: ChannelName, payload: unknown): Promise<Envelope<unknown>> {
    if (this.stopped) return Promise.reject(new ConnectionLostError('closed'));
    const id = this.nextId++;
    const frame = JSON.stringify({ id, channel, payload });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.socket?.readyState === OPEN) this.socket.send(frame);
      else this.queue.push({ id, frame });
    });
  }

  subscribe(event: EventName, argument: unknown): TransportSubscription {
    let settle!: (envelope: Envelope<unknown>) => void;
    const ready = new Promise<Envelope<unknown>>((resolve) => (settle = resolve));
    const sub: Sub = { event, argument, disposed: false, answered: false, settle };
    if (this.stopped) settle({ ok: false, error: { code: 'INTERNAL', message: new ConnectionLostError('closed').message } });
    else {
      this.subs.add(sub);
      if (this.socket?.readyState === OPEN) this.sendSubscribe(sub);
    }
    return { ready, dispose: () => this.dispose(sub) };
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: (s: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Closes for good (tests, page unload). */
  close(): void {
    this.stopped = true;
    this.socket?.close(1000, 'closing');
    this.failAll('closed');
  }

  private setState(s: ConnectionState): void {
    if (s === this.current) return;
    this.current = s;
    for (const l of this.stateListeners) l(s);
  }

  private connect(): void {
    let socket: SocketLike;
    try {
      socket = this.createSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.failures = 0;
      const queued = this.queue;
      this.queue = [];
      for (const q of queued) if (this.pending.has(q.id)) socket.send(q.frame);
      for (const sub of this.subs) this.sendSubscribe(sub);
      this.setState('open');
    };
    socket.onmessage = (ev) => this.receive(ev.data);
    // onclose always follows onerror; the work is done there.
    socket.onerror = () => undefined;
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      // The server gave this connection's subscriptions back; they are made again on the next.
      this.subAnswers.clear();
      for (const sub of this.subs) sub.serverId = undefined;
      this.failAll(this.current === 'open' ? 'lost' : 'unreachable');
      if (!this.stopped) this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    this.setState('reconnecting');
    const initial = this.opts.initialDelayMs ?? 250;
    const max = this.opts.maxDelayMs ?? 5000;
    const delay = Math.min(max, initial * 2 ** this.failures);
    this.failures++;
    // A little jitter so several tabs do not knock at the same instant.
    this.setTimer(() => !this.stopped && this.connect(), delay * (0.8 + Math.random() * 0.4));
  }

  private failAll(reason: ConnectionLostError['reason']): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.queue = [];
    for (const p of pending) p.reject(new ConnectionLostError(reason));
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: { id?: unknown; envelope?: Envelope<unknown>; event?: EventName; payload?: unknown };
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof msg.id === 'number' && msg.envelope) {
      const sub = this.subAnswers.get(msg.id);
      if (sub) {
        this.subAnswers.delete(msg.id);
        return this.answered(sub, msg.envelope);
      }
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      p?.resolve(msg.envelope);
    } else if (typeof msg.event === 'string') {
      for (const l of this.listeners) {
        try {
          l(msg.event, msg.payload);
        } catch (err) {
          // One broken listener must not starve the others of the event.
          console.error(err);
        }
      }
    }
  }

  private sendSubscribe(sub: Sub): void {
    const id = this.nextId++;
    this.subAnswers.set(id, sub);
    this.socket?.send(JSON.stringify({ id, subscribe: sub.event, argument: sub.argument }));
  }

  private answered(sub: Sub, envelope: Envelope<unknown>): void {
    if (envelope.ok) {
      const id = (envelope.result as SubscriptionRef).subscription;
      // Given back while the server was answering: give it back there too.
      if (sub.disposed) this.sendUnsubscribe(id);
      else sub.serverId = id;
    } else {
      // Refused (another Switchyard's environment, a name that does not exist): not asked again.
      this.subs.delete(sub);
    }
    if (!sub.answered) {
      sub.answered = true;
      sub.settle(envelope);
    }
  }

  private dispose(sub: Sub): void {
    if (sub.disposed) return;
    sub.disposed = true;
    this.subs.delete(sub);
    if (sub.serverId) this.sendUnsubscribe(sub.serverId);
    sub.serverId = undefined;
  }

  private sendUnsubscribe(serverId: string): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify({ id: this.nextId++, unsubscribe: serverId }));
  }
}
