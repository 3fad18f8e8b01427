import { describe, expect, it } from 'vitest';
import { WebSocketTransport, headlessSocketUrl, type SocketLike } from '../../../renderer/api/ws-transport';
import { ConnectionLostError, type ConnectionState } from '../../../renderer/api/transport';

/** A fake socket the test opens, answers and drops by hand. */
class FakeSocket implements SocketLike {
  readyState = 0;
  sent: { id: number; channel?: string; payload?: unknown; subscribe?: string; argument?: unknown; unsubscribe?: string }[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.drop();
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(): void {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: '' });
  }
  receive(msg: unknown): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const states: ConnectionState[] = [];
  const transport = new WebSocketTransport('ws://127.0.0.1:1/ws?token=t', {
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    initialDelayMs: 100,
    maxDelayMs: 1000,
  });
  transport.onState((s) => states.push(s));
  return { transport, sockets, timers, states, last: () => sockets[sockets.length - 1] };
}

describe('WebSocketTransport', () => {
  it('builds the socket URL from the page address and its token', () => {
    expect(headlessSocketUrl({ protocol: 'http:', host: '127.0.0.1:4000', search: '?token=a-b_c' })).toBe('ws://127.0.0.1:4000/ws?token=a-b_c');
    expect(headlessSocketUrl({ protocol: 'http:', host: '127.0.0.1:4000', search: '' })).toBeNull();
    expect(headlessSocketUrl({ protocol: 'file:', host: '', search: '?token=x' })).toBeNull();
  });

  it('sends calls made before the socket opens once it does, and matches answers by id', async () => {
    const { transport, last } = setup();
    const a = transport.invoke('environments:list', {});
    const b = transport.invoke('system:info', {});
    expect(last().sent).toEqual([]);
    last().open();
    expect(last().sent.map((m) => m.channel)).toEqual(['environments:list', 'system:info']);
    const [first, second] = last().sent;
    last().receive({ id: second.id, envelope: { ok: true, result: 'info' } });
    last().receive({ id: first.id, envelope: { ok: false, error: { code: 'NOT_FOUND', message: 'gone' } } });
    await expect(b).resolves.toEqual({ ok: true, result: 'info' });
    await expect(a).resolves.toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'gone' } });
  });

  it('subscribes, hands each event to its listeners once, and gives the subscription back', async () => {
    const { transport, last } = setup();
    const got: unknown[] = [];
    const off = transport.onEvent((event, p) => got.push([event, p]));
    const sub = transport.subscribe('stats:snapshot', { environment: 'lab' });
    last().open();
    expect(last().sent).toEqual([{ id: 1, subscribe: 'stats:snapshot', argument: { environment: 'lab' } }]);
    last().receive({ id: 1, envelope: { ok: true, result: { subscription: 's7' } } });
    await expect(sub.ready).resolves.toEqual({ ok: true, result: { subscription: 's7' } });
    last().receive({ event: 'stats:snapshot', payload: { environment: 'lab' } });
    sub.dispose();
    expect(last().sent.at(-1)).toMatchObject({ unsubscribe: 's7' });
    off();
    last().receive({ event: 'stats:snapshot', payload: { environment: 'lab' } });
    expect(got).toEqual([['stats:snapshot', { environment: 'lab' }]]);
  });

  it('subscribes again on a new connection (the server gave everything back), but not what it refused', async () => {
    const { transport, timers, last } = setup();
    last().open();
    const kept = transport.subscribe('environments:status', {});
    const refused = transport.subscribe('logs:lines', { environment: 'theirs' });
    last().receive({ id: 1, envelope: { ok: true, result: { subscription: 's1' } } });
    last().receive({ id: 2, envelope: { ok: false, error: { code: 'OWNED_ELSEWHERE', message: 'not ours' } } });
    await expect(refused.ready).resolves.toMatchObject({ ok: false, error: { code: 'OWNED_ELSEWHERE' } });
    last().drop();
    timers.shift()!.fn();
    last().open();
    expect(last().sent).toEqual([{ id: 3, subscribe: 'environments:status', argument: {} }]);
    last().receive({ id: 3, envelope: { ok: true, result: { subscription: 's9' } } });
    kept.dispose();
    expect(last().sent.at(-1)).toMatchObject({ unsubscribe: 's9' });
  });

  it('a subscription given back before its answer is given back once the answer comes', () => {
    const { transport, last } = setup();
    last().open();
    transport.subscribe('tasks:updated', {}).dispose();
    last().receive({ id: 1, envelope: { ok: true, result: { subscription: 's4' } } });
    expect(last().sent.at(-1)).toMatchObject({ unsubscribe: 's4' });
  });

  it('rejects calls in flight with a clear error when the connection drops, then reconnects with growing delays', async () => {
    const { transport, sockets, timers, states, last } = setup();
    last().open();
    const pending = transport.invoke('environments:list', {});
    last().drop();
    await expect(pending).rejects.toBeInstanceOf(ConnectionLostError);
    await expect(pending).rejects.toThrow(/lost before it answered/);
    expect(states).toEqual(['open', 'reconnecting']);

    // Two failed attempts: the delay doubles (with jitter of ±20 %).
    timers.shift()!.fn();
    last().drop();
    timers.shift()!.fn();
    last().drop();
    const delays = timers.map((t) => t.ms);
    expect(delays[0]).toBeGreaterThanOrEqual(320);
    expect(delays[0]).toBeLessThanOrEqual(480);
    timers.shift()!.fn();
    expect(sockets).toHaveLength(4);
    last().open();
    expect(states[states.length - 1]).toBe('open');
    const again = transport.invoke('environments:list', {});
    last().receive({ id: last().sent[0].id, envelope: { ok: true, result: [] } });
    await expect(again).resolves.toEqual({ ok: true, result: [] });
  });

  it('a call made while reconnecting fails at once if that attempt fails too', async () => {
    const { transport, timers, last } = setup();
    last().open();
    last().drop();
    timers.shift()!.fn();
    const call = transport.invoke('tasks:list', {});
    last().drop();
    await expect(call).rejects.toThrow(/cannot be reached/);
  });

  it('close() stops for good and fails what waits', async () => {
    const { transport, timers, last } = setup();
    const call = transport.invoke('tasks:list', {});
    transport.close();
    await expect(call).rejects.toBeInstanceOf(ConnectionLostError);
    await expect(transport.invoke('tasks:list', {})).rejects.toThrow(/closed/);
    expect(timers).toHaveLength(0);
    expect(last().readyState).toBe(3);
  });
});
