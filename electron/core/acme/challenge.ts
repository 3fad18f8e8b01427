import { SwitchyardError } from '../../../shared/errors';
import type { RuntimeApi } from '../haproxy/runtime-api';

/** Publishes HTTP-01 answers at `/.well-known/acme-challenge/<token>` on the load balancer's HTTP port. */
export interface Http01Responder {
  add(token: string, keyAuthorization: string): Promise<void>;
  /** Removing a token that is not there is not an error. */
  remove(token: string): Promise<void>;
}

export const ACME_CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

// Tokens and key authorizations are base64url (plus one dot); anything else could smuggle a
// second word into a runtime API command.
const SAFE = /^[A-Za-z0-9_.-]{1,512}$/;

/**
 * Answers challenges from an HAProxy map filled through the runtime API: no reload, no file
 * written in the container, and the answer is live as soon as the command returns. The
 * frontend needs, before any redirect:
 *   http-request return status 200 content-type text/plain lf-string "%[path,field(4,/),map(<map>)]"
 *     if { path_beg /.well-known/acme-challenge/ } { path,field(4,/),map(<map>) -m found }
 * and the map file must exist (it may be empty) when HAProxy starts. Entries live in memory
 * only: a reload empties the map, which is fine for answers that last seconds.
 */
export class HaproxyMapResponder implements Http01Responder {
  constructor(
    private readonly api: RuntimeApi,
    /** The map file's path as HAProxy knows it (inside its container). */
    private readonly mapPath: string,
  ) {
    if (!/^\/[A-Za-z0-9._/-]+$/.test(mapPath)) throw new SwitchyardError('INTERNAL', `Unsafe ACME map path "${mapPath}"`);
  }

  async add(token: string, keyAuthorization: string): Promise<void> {
    check('token', token);
    check('key authorization', keyAuthorization);
    // A retried add would leave a second entry behind; the CA only ever reads the first.
    await this.remove(token);
    const out = (await this.api.execute(`add map ${this.mapPath} ${token} ${keyAuthorization}`)).trim();
    if (out !== '') throw refused('add', this.mapPath, out);
  }

  async remove(token: string): Promise<void> {
    check('token', token);
    const out = (await this.api.execute(`del map ${this.mapPath} ${token}`)).trim();
    if (out !== '' && !/^Key not found/i.test(out)) throw refused('del', this.mapPath, out);
  }
}

function check(what: string, value: string): void {
  if (!SAFE.test(value)) throw new SwitchyardError('INTERNAL', `The ACME ${what} has characters a challenge never uses`);
}

function refused(verb: string, mapPath: string, out: string): SwitchyardError {
  const detail = out.slice(0, 300);
  if (/Unknown map identifier/i.test(out)) return SwitchyardError.because('RUNTIME_API', 'acmeMapMissing', { verb, map: mapPath }, { detail });
  return new SwitchyardError('RUNTIME_API', `HAProxy refused to ${verb} an ACME challenge answer.`, { detail });
}
