import type { Socket } from 'node:net';
import { SwitchyardError } from '../../../shared/errors';
import type { RuntimeConnector } from './runtime-api';

/** What HAProxy prints after each answer in interactive mode. */
const PROMPT = '\n> ';

export interface RuntimeSessionOptions {
  /**
   * A kept connection stays with the HAProxy process that accepted it, and a reload replaces
   * that process: the connection is renewed this often, so a reload made outside Switchyard is
   * seen within this long (Switchyard's own reloads drop it at once, see `close`).
   */
  maxAgeMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

/**
 * One kept connection to HAProxy's runtime API in interactive mode (`prompt`), for reads made
 * every second (the stats poller): opening a TCP connection for each read costs more CPU than
 * the read. Commands run one at a time; a failure drops the connection, and the next command
 * opens a new one.
 */
export class RuntimeSession {
  private socket: Socket | undefined;
  private openedAt = 0;
  /** Renew before the next command (a reload happened); what runs now finishes first. */
  private stale = false;
  private buffer = '';
  private waiting: { resolve(text: string): void; reject(err: Error): void } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly connect: RuntimeConnector,
    private readonly label: string,
    opts: RuntimeSessionOptions = {},
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 10_000;
    this.timeoutMs = opts.timeoutMs ?? 3000;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Runs one command line (commands may be joined with `;`) and resolves with its answer. On a
   * connection opened for it, `first` runs before it, in the same line: what does not change for
   * as long as a connection lasts (the process id) need not be asked again on every read.
   */
  execute(command: string, first?: string): Promise<string> {
    if (/[\r\n]/.test(command + (first ?? ''))) return Promise.reject(new SwitchyardError('INTERNAL', 'A runtime API command cannot contain a line break'));
    const run = this.queue.then(() => this.run(command, first));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The next command goes through a new connection (a reload just replaced the process); the one under way finishes. */
  renew(): void {
    this.stale = true;
  }

  /** Drops the connection now (the next command opens another). */
  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    this.fail(SwitchyardError.because('RUNTIME_API', 'closed', { env: this.label }));
  }

  private async run(command: string, first?: string): Promise<string> {
    if (this.socket && (this.stale || this.now() - this.openedAt >= this.maxAgeMs)) this.close();
    this.stale = false;
    const fresh = !this.socket;
    if (fresh) await this.open();
    return this.answer(fresh && first ? `${first};${command}\n` : `${command}\n`);
  }

  private async open(): Promise<void> {
    let socket: Socket;
    try {
      socket = await this.connect();
    } catch (err) {
      throw this.unreachable(err);
    }
    this.socket = socket;
    this.openedAt = this.now();
    this.buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (this.socket !== socket) return;
      this.buffer += chunk;
      if (!this.buffer.endsWith(PROMPT)) return;
      const text = this.buffer.slice(0, -2);
      this.buffer = '';
      const w = this.waiting;
      this.waiting = undefined;
      w?.resolve(text);
    });
    const gone = (err?: Error) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.fail(this.unreachable(err ?? new Error('closed')));
    };
    socket.on('error', gone);
    socket.on('close', () => gone());
    // The first prompt comes alone: the session is ready once it does.
    await this.answer('prompt\n');
  }

  private answer(line: string): Promise<string> {
    const socket = this.socket;
    if (!socket) return Promise.reject(this.unreachable(new Error('closed')));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A stuck HAProxy: give up on this connection, and on what it still owes.
        this.waiting = undefined;
        this.close();
        reject(SwitchyardError.because('TIMEOUT', 'runtimeApi', { env: this.label, command: line.split(/[ \n;]/)[0], ms: { ms: this.timeoutMs } }));
      }, this.timeoutMs);
      this.waiting = {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      socket.write(line);
    });
  }

  private fail(err: Error): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(err);
  }

  private unreachable(err: unknown): SwitchyardError {
    const cause = (err as NodeJS.ErrnoException)?.code ?? (err as Error)?.message;
    return SwitchyardError.because('RUNTIME_API', 'unreachable', { env: this.label, errno: cause }, { cause: err });
  }
}
