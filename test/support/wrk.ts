import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkResult {
  requests: number;
  /** Responses other than 2xx and 3xx (HAProxy's 503s when no server is left). */
  non2xx: number;
  /** Connect, read, write and timeout errors added up. */
  socketErrors: number;
  socketErrorText: string;
  output: string;
}

/** Parses wrk's summary (it prints the error lines only when there were errors). */
export function parseWrk(output: string): WrkResult {
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? NaN);
  if (!Number.isFinite(requests)) throw new Error(`unexpected wrk output: ${output}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = sock ? sock.slice(1).reduce((n, v) => n + Number(v), 0) : 0;
  return { requests, non2xx, socketErrors, socketErrorText: sock?.[0] ?? 'Socket errors: none', output };
}

/** `wrk -t2 -c<connections> -d<seconds>s` on a loopback port: keep-alive clients, as browsers are. */
export async function runWrk(port: number, seconds: number, connections = 20): Promise<WrkResult> {
  const { stdout } = await run('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}/`], { timeout: (seconds + 30) * 1000 });
  return parseWrk(stdout);
}
