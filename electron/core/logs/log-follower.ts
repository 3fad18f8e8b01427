import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { AccessLogEntry } from '../../../shared/live';
import type { EventBus } from '../events';
import { names } from '../environments/naming';
import { RingBuffer, parseAccessLine } from './access-log';

const BUFFER = 1000;
const FLUSH_MS = 250;

interface Follow {
  watchers: number;
  buffer: RingBuffer<AccessLogEntry>;
  stream?: NodeJS.ReadableStream;
  pending: AccessLogEntry[];
  flush?: NodeJS.Timeout;
  stopped: boolean;
}

/**
 * Follows the load balancer's log (HAProxy writes httplog lines to stdout), parses them and
 * sends them in batches as `logs:lines`, keeping the latest ones in a bounded buffer.
 */
export class LogFollower {
  private readonly follows = new Map<string, Follow>();

  constructor(
    private readonly dockerFor: (env: string) => Promise<Docker>,
    private readonly events: EventBus,
  ) {}

  async watch(env: string): Promise<number> {
    let f = this.follows.get(env);
    if (!f) {
      f = { watchers: 0, buffer: new RingBuffer(BUFFER), pending: [], stopped: false };
      this.follows.set(env, f);
      await this.open(env, f, 200);
    }
    return ++f.watchers;
  }

  unwatch(env: string): number {
    const f = this.follows.get(env);
    if (!f) return 0;
    if (--f.watchers > 0) return f.watchers;
    this.stop(env, f);
    return 0;
  }

  /** The latest entries: from the buffer when followed, else read from Docker now. */
  async tail(env: string, limit: number): Promise<AccessLogEntry[]> {
    const f = this.follows.get(env);
    if (f && f.buffer.length) return f.buffer.latest(limit);
    const docker = await this.dockerFor(env);
    const raw = (await docker
      .getContainer(names.haproxy(env))
      .logs({ stdout: true, stderr: false, tail: limit * 2 })
      .catch(() => Buffer.alloc(0))) as unknown as Buffer;
    return parseFrames(raw).slice(-limit);
  }

  close(): void {
    for (const [env, f] of this.follows) this.stop(env, f);
  }

  private stop(env: string, f: Follow): void {
    f.stopped = true;
    clearTimeout(f.flush);
    (f.stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    this.follows.delete(env);
  }

  private async open(env: string, f: Follow, tail: number): Promise<void> {
    if (f.stopped) return;
    const docker = await this.dockerFor(env);
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await docker.getContainer(names.haproxy(env)).logs({ follow: true, stdout: true, stderr: false, tail })) as NodeJS.ReadableStream;
    } catch {
      // Not deployed yet: look again in a while, as long as someone watches.
      setTimeout(() => void this.open(env, f, 0), 2000).unref();
      return;
    }
    f.stream = stream;
    const out = new PassThrough();
    docker.modem.demuxStream(stream, out, new PassThrough());
    let rest = '';
    out.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const e = parseAccessLine(line);
        if (e) f.pending.push(e);
      }
      if (f.pending.length && !f.flush) f.flush = setTimeout(() => this.flush(env, f), FLUSH_MS);
    });
    // The container was replaced or stopped: follow the new one.
    stream.on('end', () => setTimeout(() => void this.open(env, f, 0), 1000).unref());
    stream.on('error', () => undefined);
  }

  private flush(env: string, f: Follow): void {
    f.flush = undefined;
    const entries = f.pending.splice(0);
    f.buffer.push(...entries);
    if (entries.length) this.events.emit('logs:lines', { environment: env, entries });
  }
}

/** Docker's multiplexed log frames (no TTY) to parsed entries. */
function parseFrames(buf: Buffer): AccessLogEntry[] {
  const out: AccessLogEntry[] = [];
  let i = 0;
  let text = '';
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    text += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  for (const line of text.split('\n')) {
    const e = parseAccessLine(line);
    if (e) out.push(e);
  }
  return out;
}
