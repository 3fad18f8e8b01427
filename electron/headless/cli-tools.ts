import type { ChannelName, RequestOf, ResponseOf, Task } from '../../shared/contract';
import { SwitchyardError } from '../../shared/errors';
import type { Core } from '../core/core';

/** Exit codes: 0 done, 1 the operation failed, 2 the command line was wrong. */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** Quit by a second Ctrl-C while a task ran (128 + SIGINT, as shells report it). */
export const EXIT_INTERRUPTED = 130;

/** What cli.ts hands to the files that add shortcut commands. */
export interface CliTools {
  getCore: () => Core;
  out: (s: string) => void;
  call: (core: Core, channel: string, payload: unknown) => Promise<unknown>;
  waitTask: (core: Core, id: string, onUpdate?: (t: Task) => void) => Promise<Task>;
  /** Waits for a task, printing a progress line at each new step or message (as `env deploy` does). */
  follow: (core: Core, id: string) => Promise<Task>;
  intOption: (v: string) => number;
  /** The global options to repeat in a command printed for the user to run next (`--data-dir …`). */
  globalArgs: () => string;
}

/** A channel call typed by the contract; a refusal is thrown as the core's own error. */
export async function ask<C extends ChannelName>(core: Core, channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> {
  const res = await core.invoke(channel, payload);
  if (!res.ok) throw SwitchyardError.fromInfo(res.error);
  return res.result as ResponseOf<C>;
}

/** A word for a shell command line, quoted only when it needs to be. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
