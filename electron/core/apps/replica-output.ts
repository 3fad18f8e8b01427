import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { AppOutput, OutputLine } from '../../../shared/app-output';

/** Lines are sent in batches, at most this often. */
const FLUSH_MS = 200;
/** At most this many lines per batch: an app that floods its output must not flood the windows. */
const MAX_BATCH = 1000;
/** How soon a follow that ended (the container stopped, was replaced, or is not there yet) looks again, at first and at most. */
const RETRY_MS = { first: 500, max: 5000 };

/** `2026-01-01T10:00:00.123456789Z text` (a line Docker gave with its timestamp, fixed width) → its parts. */
export function splitStamp(line: string): OutputLine | undefined {
  const space = line.indexOf(' ');
  if (space < 20 || line[space - 1] !== 'Z') return undefined;
  return { at: line.slice(0, space), text: line.slice(space + 1).replace(/\r$/, '') };
}

/** The text of Docker's multiplexed log frames (a container without a TTY), stdout and stderr in order. */
export function framesText(buf: Buffer): string {
  const out: Buffer[] = [];
  for (let i = 0; i + 8 <= buf.length; i += 8 + buf.readUInt32BE(i + 4)) out.push(buf.subarray(i + 8, i + 8 + buf.readUInt32BE(i + 4)));
  return Buffer.concat(out).toString('utf8');
}

/** A container's output read with timestamps, line by line. */
export function stampedLines(buf: Buffer): OutputLine[] {
  return framesText(buf)
    .split('\n')
    .map(splitStamp)
    .filter((l): l is OutputLine => l !== undefined);
}

/** Docker's `since` for the logs of a container: seconds and nanoseconds after the epoch. */
export function sinceOf(at: string): string {
  const seconds = Math.floor(Date.parse(`${at.slice(0, 19)}Z`) / 1000);
  const fraction = /\.(\d+)Z$/.exec(at)?.[1] ?? '0';
  return `${seconds}.${fraction.padEnd(9, '0').slice(0, 9)}`;
}

export interface ReplicaOutputOptions {
  retry?: { first: number; max: number };
}

/**
 * Follows the output of one server's container (stdout and stderr) and sends it as it comes.
 * The follow outlives the container: when it stops, is restarted or replaced by a deploy, the
 * next one's output follows on from the last line seen, nothing missed and nothing twice.
 * One follow per environment and server: the subscriptions count who listens.
 */
export class ReplicaOutput {
  private readonly stops = new Set<() => void>();

  constructor(
    private readonly emit: (output: AppOutput) => void,
    private readonly opts: ReplicaOutputOptions = {},
  ) {}

  /** Follows `container` (by name) from now on until the returned function is called. */
  follow(docker: Docker, environment: string, server: string, container: string): () => void {
    const retry = this.opts.retry ?? RETRY_MS;
    let stopped = false;
    let stream: NodeJS.ReadableStream | undefined;
    let timer: NodeJS.Timeout | undefined;
    let flushTimer: NodeJS.Timeout | undefined;
    let wait = retry.first;
    /** The timestamp of the last line seen: where the next follow starts. */
    let last: string | undefined;
    /** Lines up to this instant were seen before this follow began (`since` includes the instant it names). */
    let floor: string | undefined;
    /** Whether the first look happened: output from before it is not news. */
    let started = false;
    let pending: OutputLine[] = [];

    const flush = () => {
      flushTimer = undefined;
      const lines = pending.length > MAX_BATCH ? pending.slice(-MAX_BATCH) : pending;
      pending = [];
      if (lines.length && !stopped) this.emit({ environment, server, lines });
    };
    const heard = (raw: string) => {
      const line = splitStamp(raw);
      if (!line) return;
      if (floor !== undefined && line.at <= floor) return;
      // The latest, not the latest to arrive: stdout and stderr are stamped apart and may interleave out of order.
      if (last === undefined || line.at > last) last = line.at;
      pending.push(line);
      flushTimer ??= setTimeout(flush, FLUSH_MS);
    };
    const again = () => {
      if (stopped) return;
      clearTimeout(timer);
      timer = setTimeout(() => void open(), wait);
      wait = Math.min(wait * 2, retry.max);
    };
    const open = async (): Promise<void> => {
      if (stopped) return;
      let s: NodeJS.ReadableStream;
      const c = docker.getContainer(container);
      try {
        // What the container wrote before is not news: it starts after its last line (by Docker's
        // clock, which may not be this computer's). A container that appears later is all news.
        if (!started) last = stampedLines((await c.logs({ stdout: true, stderr: true, timestamps: true, tail: 1 })) as unknown as Buffer).pop()?.at;
        started = true;
        floor = last;
        // From the last line seen on: a restarted or replaced container's first lines included.
        s = (await c.logs({ follow: true, stdout: true, stderr: true, timestamps: true, ...(last ? { since: sinceOf(last) } : {}) } as never)) as unknown as NodeJS.ReadableStream;
      } catch {
        started = true;
        // Not deployed yet, or between a deploy's remove and create.
        return again();
      }
      if (stopped) return destroy(s);
      stream = s;
      const lines = (out: PassThrough) => {
        let rest = '';
        out.on('data', (chunk: Buffer) => {
          const parts = (rest + chunk.toString('utf8')).split('\n');
          rest = parts.pop() ?? '';
          if (parts.length) wait = retry.first;
          parts.forEach(heard);
        });
        out.on('end', () => rest && heard(rest));
      };
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      lines(stdout);
      lines(stderr);
      docker.modem.demuxStream(s, stdout, stderr);
      s.on('end', () => {
        stdout.end();
        stderr.end();
        // Stopped, restarted or replaced: follow whatever runs under that name next.
        again();
      });
      s.on('error', () => undefined);
    };

    const stop = () => {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      if (flushTimer) {
        clearTimeout(flushTimer);
        flushTimer = undefined;
      }
      if (stream) destroy(stream);
      this.stops.delete(stop);
    };
    this.stops.add(stop);
    void open();
    return stop;
  }

  /** Stops every follow (the core is closing). */
  close(): void {
    for (const stop of [...this.stops]) stop();
  }
}

function destroy(stream: NodeJS.ReadableStream): void {
  (stream as unknown as { destroy?: () => void }).destroy?.();
}
