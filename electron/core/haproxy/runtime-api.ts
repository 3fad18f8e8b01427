import type { Socket } from 'node:net';
import { SwitchyardError } from '../../../shared/errors';
import { parseStatCsv, type StatRow } from './stat-csv';
import { RuntimeSession, type RuntimeSessionOptions } from './runtime-session';

/** Opens a fresh byte stream to the runtime API (host loopback now, an SSH channel later). */
export type RuntimeConnector = () => Promise<Socket>;

/**
 * HAProxy's runtime API: one command per connection (HAProxy closes after answering),
 * with `<<` payloads and a timeout so a stuck HAProxy never hangs the caller.
 */
export class RuntimeApi {
  constructor(
    private readonly connect: RuntimeConnector,
    private readonly label: string,
    private readonly timeoutMs = 3000,
  ) {}

  async execute(command: string, payload?: string): Promise<string> {
    if (/[\r\n]/.test(command)) throw new SwitchyardError('INTERNAL', 'A runtime API command cannot contain a line break');
    const line = payload === undefined ? `${command}\n` : `${command} <<\n${payload.replace(/\n+$/, '')}\n\n`;
    let socket: Socket;
    try {
      socket = await this.connect();
    } catch (err) {
      throw this.unreachable(err);
    }
    return new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        socket.destroy();
        reject(SwitchyardError.because('TIMEOUT', 'runtimeApi', { env: this.label, command: command.split(' ')[0], ms: { ms: this.timeoutMs } }));
      }, this.timeoutMs);
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(this.unreachable(err));
      });
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
      socket.write(line);
    });
  }

  async showInfo(): Promise<Record<string, string>> {
    const out = await this.execute('show info');
    const info: Record<string, string> = {};
    for (const l of out.split('\n')) {
      const i = l.indexOf(':');
      if (i > 0) info[l.slice(0, i).trim()] = l.slice(i + 1).trim();
    }
    if (!info.Version) throw new SwitchyardError('RUNTIME_API', `HAProxy's runtime API for ${this.label} gave an unexpected answer to "show info"`, { detail: out.slice(0, 200) });
    return info;
  }

  async showStat(): Promise<StatRow[]> {
    return parseStatCsv(await this.execute('show stat'));
  }

  /** A kept connection to the same runtime API, for frequent reads (see RuntimeSession). */
  session(opts?: RuntimeSessionOptions): RuntimeSession {
    return new RuntimeSession(this.connect, this.label, { timeoutMs: this.timeoutMs, ...opts });
  }

  private unreachable(err: unknown): SwitchyardError {
    const cause = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return SwitchyardError.because('RUNTIME_API', 'unreachable', { env: this.label, errno: cause }, { cause: err });
  }
}
