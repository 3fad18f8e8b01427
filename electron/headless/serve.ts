/**
 * Headless mode: the built renderer over HTTP and the contract over a WebSocket (see
 * ws-protocol.ts), on the loopback interface only, behind a random token. Browser tests,
 * scripts and machines without a display use the app this way.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SwitchyardError } from '../../shared/errors';
import type { Core } from '../core/core';
import { attachWebSocket } from './ws-server';

export interface ServeOptions {
  core: Core;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
}

export interface HeadlessServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

/** Whether `host` is a loopback name or address this server may listen on. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host);
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

function sameSecret(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function securityHeaders(port: number): Record<string, string> {
  return {
    // As renderer/index.html's, narrowed to this server's own socket, and with what a meta
    // tag cannot say (frame-ancestors).
    'Content-Security-Policy': [
      "default-src 'self'",
      "script-src 'self'",
      // naive-ui injects its component styles at run time.
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    // The token is in the page's URL: no Referer may carry it to the environments it links to.
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=()',
    'Cache-Control': 'no-store',
  };
}

/** Starts the server; resolves once it listens. */
export async function startServer(opts: ServeOptions): Promise<HeadlessServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) throw new Error(`--host must be a loopback address (127.0.0.1, ::1 or localhost), not "${host}"`);
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const root = path.resolve(opts.rendererDir);
  let port = opts.port ?? 0;
  // Cookies are shared by every port of a host: the name keeps two servers apart.
  const cookieName = () => `switchyard-token-${port}`;

  const hostAllowed = (value: string | undefined): boolean => {
    if (!value) return false;
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value);
    return !!m && isLoopbackHost(m[1] ?? m[2]) && Number(m[3]) === port;
  };
  const originAllowed = (origin: string | undefined): boolean => {
    // Browsers always send an Origin on WebSocket upgrades; scripts need not, and they
    // still need the token.
    if (origin === undefined) return true;
    try {
      const u = new URL(origin);
      return u.protocol === 'http:' && hostAllowed(u.host);
    } catch {
      return false;
    }
  };

  const server = http.createServer((req, res) => {
    const headers = securityHeaders(port);
    const fail = (status: number, text: string): void => {
      res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`${text}\n`);
    };
    if (!hostAllowed(req.headers.host)) return fail(403, 'Forbidden');
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, 'Method Not Allowed');
    const url = new URL(req.url ?? '/', 'http://switchyard.invalid');
    const byQuery = sameSecret(url.searchParams.get('token'), token);
    // The page's own requests (scripts, styles) carry no query string: the first request
    // with the token leaves it in a cookie only this server's pages send back.
    if (!byQuery && !sameSecret(cookieValue(req.headers.cookie, cookieName()), token)) return fail(401, 'Unauthorized');
    if (byQuery) headers['Set-Cookie'] = `${cookieName()}=${token}; Path=/; HttpOnly; SameSite=Strict`;
    void sendFile(root, url.pathname, req.method === 'HEAD', headers, res).catch(() => fail(500, 'Internal Server Error'));
  });

  const closeWs = attachWebSocket(server, opts.core, {
    hasToken: (url) => sameSecret(url.searchParams.get('token'), token),
    originAllowed,
    hostAllowed,
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new SwitchyardError('PORT_IN_USE', `Port ${port} on ${host} is already in use`, { field: 'port' }) : err));
    server.listen(port, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const urlHost = host === '::1' ? '[::1]' : host;

  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    port,
    token,
    async close() {
      await closeWs();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function sendFile(root: string, pathname: string, headOnly: boolean, headers: Record<string, string>, res: http.ServerResponse): Promise<void> {
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    rel = '\0';
  }
  if (rel.endsWith('/')) rel += 'index.html';
  const file = path.resolve(root, `.${path.posix.normalize(rel)}`);
  const inside = file.startsWith(root + path.sep) && !rel.includes('\0');
  const stat = inside ? await fs.stat(file).catch(() => null) : null;
  if (!stat?.isFile()) {
    const missingApp = rel === '/index.html' && !(await fs.stat(root).catch(() => null));
    res.writeHead(missingApp ? 503 : 404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(missingApp ? 'The renderer is not built: run npm run build.\n' : 'Not Found\n');
    return;
  }
  const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
  // Hashed asset names never change content: the browser may keep them.
  const cache = rel.startsWith('/assets/') ? { 'Cache-Control': 'private, max-age=31536000, immutable' } : {};
  res.writeHead(200, { ...headers, ...cache, 'Content-Type': type, 'Content-Length': String(stat.size) });
  if (headOnly) return void res.end();
  createReadStream(file).pipe(res);
}

export interface RunServeOptions {
  core: Core;
  rendererDir: string;
  port?: number;
  host?: string;
  out: (line: string) => void;
  /** Resolves when the server should stop (Ctrl-C by default). */
  stopSignal?: Promise<unknown>;
}

/** The `switchyard serve` command: prints the URL, serves until Ctrl-C, then stops cleanly. */
export async function runServe(opts: RunServeOptions): Promise<void> {
  const server = await startServer(opts);
  opts.out(`Switchyard is serving at ${server.url}`);
  await (opts.stopSignal ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    }));
  // Work under way would otherwise be cut mid-step; cancelled tasks clean up after themselves.
  const running = opts.core.tasks.list().filter((t) => t.state === 'running');
  for (const t of running) opts.core.tasks.cancel(t.id);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(running.map((t) => opts.core.tasks.whenDone(t.id))), new Promise((r) => (timer = setTimeout(r, 10_000)))]);
  clearTimeout(timer);
  await server.close();
  opts.out('Switchyard stopped.');
}
