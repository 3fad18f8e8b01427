import { SwitchyardError } from '../../../shared/errors';
import { BACKEND_NAME } from '../environments/naming';
import type { RuntimeApi } from './runtime-api';

/** How long a server being stopped may take to finish the requests it is answering. */
export const TAKE_OUT_GRACE_MS = 5000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Reports a server DOWN at once, whatever its last checks said. Its admin state (ready, drain,
 * maint: the user's choice) is left alone, and its checks bring it back once it answers again.
 */
export async function markServerDown(api: RuntimeApi, server: string): Promise<void> {
  const command = `set server ${BACKEND_NAME}/${server} health down`;
  const out = (await api.execute(command)).trim();
  // HAProxy answers nothing when it agrees, and a sentence when it refuses.
  if (out) throw SwitchyardError.because('RUNTIME_API', 'refused', { command }, { detail: out });
}

/**
 * Takes a server out before its container stops: DOWN first, so HAProxy sends it nothing new
 * (sticky clients are redispatched), then a wait for the requests it is answering, so none is
 * cut by the stop. Resolves with how many were still running when the grace ran out.
 */
export async function takeServerOut(api: RuntimeApi, server: string, graceMs = TAKE_OUT_GRACE_MS): Promise<{ inFlight: number }> {
  await markServerDown(api, server);
  return waitSessionsEnd(api, server, graceMs);
}

/** Until HAProxy has no session on the server, or `ms` passed; resolves with how many were left. */
export async function waitSessionsEnd(api: RuntimeApi, server: string, ms: number): Promise<{ inFlight: number }> {
  const deadline = Date.now() + ms;
  for (;;) {
    const row = (await api.showStat()).find((r) => r.pxname === BACKEND_NAME && r.svname === server);
    const inFlight = Number(row?.scur ?? 0) || 0;
    if (inFlight === 0 || Date.now() >= deadline) return { inFlight };
    await sleep(25);
  }
}

/**
 * Whether a server's UP comes from a check that passed. HAProxy 2.6 reads a server UP from the
 * moment it leaves maintenance (a slot DNS fills again, a release slot made ready), its health
 * set to `rise` and its last check's status shown, whichever address that check was about, until
 * its next check: only a check that passes since takes the health above `rise`. With `fall 1`
 * the two cannot be told apart, and a passing status is all there is to go by.
 */
export function passedCheck(row: { check_status?: string; check_health?: string; check_rise?: string; check_fall?: string }): boolean {
  if (!/\bL[467]OK/.test(row.check_status ?? '')) return false;
  const [health, rise, fall] = [row.check_health, row.check_rise, row.check_fall].map((v) => (v === undefined || v === '' ? NaN : Number(v)));
  if (Number.isNaN(health) || Number.isNaN(rise) || Number.isNaN(fall) || fall <= 1) return true;
  return health > rise;
}
