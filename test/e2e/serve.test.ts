/**
 * `switchyard serve` as a browser and a script meet it: the token, the origin, the headers,
 * and the WebSocket protocol (calls, answers, events, watches given back on disconnect).
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ensureRendererBuilt, startServe, type Served } from '../support/e2e';
import { freePort, uniqueName } from '../support/lab';

let served: Served;
const env = uniqueName('ws');

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: served.port, path, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

/** Resolves with the HTTP status the upgrade was refused with, or 101 when it opened. */
function upgrade(query: string, origin?: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${served.port}/ws${query}`, origin ? { origin } : {});
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

class Client {
  readonly ws: WebSocket;
  private next = 1;
  private readonly waiting = new Map<number, (envelope: unknown) => void>();
  readonly events: { event: string; payload: unknown }[] = [];
  readonly opened: Promise<void>;

  constructor() {
    this.ws = new WebSocket(`ws://127.0.0.1:${served.port}/ws?token=${served.token}`, { origin: served.origin });
    this.opened = new Promise((resolve) => this.ws.once('open', () => resolve()));
    this.ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if ('id' in msg) this.waiting.get(msg.id)?.(msg.envelope);
      else this.events.push(msg);
    });
  }

  call(channel: string, payload: unknown): Promise<{ ok: boolean; result?: unknown; error?: { code: string; field?: string } }> {
    return this.send({ channel, payload });
  }

  subscribe(event: string, argument: unknown): Promise<{ ok: boolean; result?: { subscription: string }; error?: { code: string; field?: string } }> {
    return this.send({ subscribe: event, argument });
  }

  unsubscribe(subscription: string): Promise<{ ok: boolean }> {
    return this.send({ unsubscribe: subscription });
  }

  private send<T>(frame: Record<string, unknown>): Promise<T> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve as (e: unknown) => void);
      this.ws.send(JSON.stringify({ id, ...frame }));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

beforeAll(async () => {
  ensureRendererBuilt();
  served = await startServe();
});
afterAll(async () => {
  expect(await served?.stop()).toBe(0);
  expect(served.output()).toContain('Switchyard stopped.');
});

describe('switchyard serve over HTTP', () => {
  it('prints its address with a token, on 127.0.0.1', () => {
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32,}$/);
  });

  it('refuses a request without the right token', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/?token=wrong')).status).toBe(401);
    expect((await get('/assets/')).status).toBe(401);
  });

  it('serves the app with the token, with strict headers, and lets the page load its assets by cookie', async () => {
    const page = await get(`/?token=${served.token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="app">');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const cookie = page.headers['set-cookie']![0];
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const script = /src="\.?(\/assets\/[^"]+\.js)"/.exec(page.body)![1];
    const asset = await get(script, { cookie: cookie.split(';')[0] });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
  });

  it('does not leave its folder, and refuses other host names (DNS rebinding)', async () => {
    expect((await get(`/../../package.json?token=${served.token}`)).status).toBe(404);
    expect((await get(`/%2e%2e/%2e%2e/package.json?token=${served.token}`)).status).toBe(404);
    expect((await get(`/?token=${served.token}`, { host: `evil.example:${served.port}` })).status).toBe(403);
  });
});

describe('switchyard serve over WebSocket', () => {
  it('refuses an upgrade without the token or from another origin', async () => {
    expect(await upgrade('')).toBe(401);
    expect(await upgrade('?token=nope', served.origin)).toBe(401);
    expect(await upgrade(`?token=${served.token}`, 'http://evil.example')).toBe(403);
    expect(await upgrade(`?token=${served.token}`, `http://127.0.0.1:${served.port + 1}`)).toBe(403);
    expect(await upgrade(`?token=${served.token}`, served.origin)).toBe(101);
  });

  it('answers calls by id with the core envelope, refusals included', async () => {
    const c = new Client();
    await c.opened;
    const port = await freePort();
    const [created, bad, unknown] = await Promise.all([
      c.call('environments:create', { name: env, httpPort: port }),
      c.call('environments:create', { name: 'Bad Name' }),
      c.call('environments:explode', {}),
    ]);
    expect(created).toMatchObject({ ok: true, result: { name: env, httpPort: port } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'name' } });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    await c.close();
  });

  it('sends a socket only the events it subscribed to, once each, until it gives them back or goes away', async () => {
    const a = new Client();
    const bystander = new Client();
    await Promise.all([a.opened, bystander.opened]);
    expect(await a.call('stats:settings', { intervalMs: 200 })).toMatchObject({ ok: true });
    const first = await a.subscribe('stats:snapshot', { environment: env });
    const second = await a.subscribe('stats:snapshot', { environment: env });
    expect(first).toMatchObject({ ok: true, result: { subscription: expect.any(String) } });
    expect(second.result?.subscription).not.toBe(first.result?.subscription);
    // The argument is checked by the contract; stats need an environment.
    expect(await a.subscribe('stats:snapshot', {})).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'environment' } });
    expect(await a.subscribe('stats:explode', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    await new Promise((r) => setTimeout(r, 700));
    const snaps = a.events.filter((e) => e.event === 'stats:snapshot').map((e) => e.payload as { environment: string; at: string });
    expect(snaps.length).toBeGreaterThan(0);
    expect(snaps.every((s) => s.environment === env)).toBe(true);
    // Two subscriptions of one socket: each snapshot still comes once.
    expect(new Set(snaps.map((s) => s.at)).size).toBe(snaps.length);
    expect(bystander.events.filter((e) => e.event === 'stats:snapshot')).toEqual([]);

    expect(await a.unsubscribe(first.result!.subscription)).toMatchObject({ ok: true });
    expect(await a.unsubscribe(second.result!.subscription)).toMatchObject({ ok: true });
    await new Promise((r) => setTimeout(r, 300));
    const heard = a.events.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(a.events.length).toBe(heard);

    // A socket that goes away without giving its subscriptions back loses them (the core's count; see
    // test/unit/headless/ws-server.test.ts); the others carry on.
    await a.subscribe('stats:snapshot', { environment: env });
    await a.close();
    expect(await bystander.subscribe('environments:changed', {})).toMatchObject({ ok: true });
    await bystander.call('environments:remove', { environment: env });
    await new Promise((r) => setTimeout(r, 300));
    expect(bystander.events.filter((e) => e.event === 'environments:changed').map((e) => e.payload)).toEqual([{ change: 'removed', name: env }]);
    await bystander.close();
  });

  it('closes the socket on a frame that is not a call', async () => {
    const c = new Client();
    await c.opened;
    const code = new Promise<number>((resolve) => c.ws.once('close', (n) => resolve(n)));
    c.ws.send('this is not json');
    expect(await code).toBe(1008);
  });
});
