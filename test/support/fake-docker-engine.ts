import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';

/**
 * A fake of the few Docker Engine API endpoints the container-events watcher uses, over real
 * HTTP on loopback: `GET /events` (held open; events are pushed with `emit`) and
 * `GET /containers/json` (answers `containers`). Everything else is a 404.
 */
export class FakeDockerEngine {
  readonly requests: { path: string; query: URLSearchParams }[] = [];
  /** What `GET /containers/json` lists (the watcher asks for stopped backends). */
  containers: Partial<Docker.ContainerInfo>[] = [];
  /** When set, `GET /events` fails with this status instead of streaming. */
  failEvents: number | undefined;
  private readonly streams = new Set<http.ServerResponse>();
  private readonly server: http.Server;
  port = 0;

  private constructor() {
    this.server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      this.requests.push({ path: url.pathname, query: url.searchParams });
      if (url.pathname.endsWith('/events')) {
        if (this.failEvents) {
          res.writeHead(this.failEvents, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'fake engine failure' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        this.streams.add(res);
        res.on('close', () => this.streams.delete(res));
        return;
      }
      if (url.pathname.endsWith('/containers/json')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.containers));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'not faked' }));
    });
  }

  static async start(): Promise<FakeDockerEngine> {
    const engine = new FakeDockerEngine();
    await new Promise<void>((resolve) => engine.server.listen(0, '127.0.0.1', resolve));
    engine.port = (engine.server.address() as AddressInfo).port;
    return engine;
  }

  /** A client for this fake, as dockerode talks to a real engine. */
  docker(): Docker {
    return new Docker({ host: '127.0.0.1', port: this.port, protocol: 'http' });
  }

  /** Open event streams (one per watcher connection). */
  get subscribers(): number {
    return this.streams.size;
  }

  /** Sends an event to every open stream, one JSON document per line as the engine does. */
  emit(event: unknown): void {
    for (const res of this.streams) res.write(`${JSON.stringify(event)}\n`);
  }

  /** Sends a raw line to every open stream (what a broken engine might send). */
  emitRaw(line: string): void {
    for (const res of this.streams) res.write(`${line}\n`);
  }

  /** Ends every open event stream, as a restarting engine or a dropped connection would. */
  dropStreams(): void {
    for (const res of this.streams) res.destroy();
    this.streams.clear();
  }

  async close(): Promise<void> {
    this.dropStreams();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A container event as the engine sends it: the container's labels are in the actor's attributes. */
export function containerEvent(action: string, labels: Record<string, string>, extra: Record<string, string> = {}): unknown {
  const now = Date.now();
  return {
    status: action,
    id: 'c0ffee',
    Type: 'container',
    Action: action,
    Actor: { ID: 'c0ffee', Attributes: { name: 'sy-x', image: 'demo', ...labels, ...extra } },
    scope: 'local',
    time: Math.floor(now / 1000),
    timeNano: now * 1e6,
  };
}
