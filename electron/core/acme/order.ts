import type * as acme from 'acme-client';
import { acmeLibrary } from './library';
import { SwitchyardError } from '../../../shared/errors';
import { msg, type Message } from '../../../shared/messages';
import { challengePortOf, type OrderableHttpsSettings } from '../../../shared/https';
import type { AcmeAccounts, ClientOptions } from './account';
import { combinedPem, parseChain, type CertificateSummary } from './certificate';
import type { Http01Responder } from './challenge';
import { reachDirectory, resolveDirectory, type ResolvedDirectory } from './directory';
import { caError, causeOf, domainField } from './errors';
import { preflight, type PreflightResult, type Resolve } from './preflight';

export type OrderPhase = 'preflight' | 'order' | 'challenge' | 'finalize';

export interface OrderProgress {
  phase: OrderPhase;
  message: Message;
  /** The directory being talked to, e.g. "Let's Encrypt (staging)". */
  directory: string;
}

export interface OrderRequest {
  settings: Pick<OrderableHttpsSettings, 'domains' | 'email' | 'directory' | 'termsAccepted' | 'stagingFirst'>;
  accounts: AcmeAccounts;
  responder: Http01Responder;
  /**
   * How to check the domains before ordering; null skips the check. The port probed is the
   * directory's: where its CA will connect. `listenPort` is the load balancer's published HTTP
   * port, named when the two differ and the probe finds nothing.
   */
  preflight: { listenPort?: number; resolve?: Resolve; timeoutMs?: number } | null;
  onProgress?: (p: OrderProgress) => void;
  signal?: AbortSignal;
  client?: ClientOptions;
}

export interface IssuedCertificate {
  keyPem: string;
  /** Leaf then intermediates, as the CA sent them. */
  chainPem: string;
  /** Key + leaf + intermediates: the file HAProxy's `crt` reads. */
  combinedPem: string;
  summary: CertificateSummary;
  directoryUrl: string;
  preflight: PreflightResult[];
}

/**
 * Obtains a certificate for `settings.domains` over HTTP-01. With `stagingFirst` and Let's
 * Encrypt, a throwaway order from the staging directory goes first: a setup that cannot pass
 * a challenge then fails there, where rate limits are generous.
 */
export async function orderCertificate(req: OrderRequest): Promise<IssuedCertificate> {
  const { settings } = req;
  if (settings.termsAccepted !== true) {
    throw new SwitchyardError('VALIDATION', "https.termsAccepted: the certificate authority's terms of service must be accepted before ordering", { field: 'https.termsAccepted' });
  }
  const main = resolveDirectory(settings.directory);
  let checked: PreflightResult[] = [];
  if (req.preflight) {
    const port = challengePortOf(settings.directory);
    req.onProgress?.({ phase: 'preflight', message: msg('https.preflight', { domains: settings.domains.join(', '), port, ca: main.label }), directory: main.label });
    checked = await preflight({ domains: settings.domains, responder: req.responder, port, ca: main.label, ...req.preflight });
  }
  cancelled(req);
  if (settings.stagingFirst && settings.directory === 'letsencrypt') {
    await issueFrom(resolveDirectory('letsencrypt-staging'), req);
  }
  const issued = await issueFrom(main, req);
  return { ...issued, directoryUrl: main.url, preflight: checked };
}

async function issueFrom(dir: ResolvedDirectory, req: OrderRequest): Promise<Omit<IssuedCertificate, 'directoryUrl' | 'preflight'>> {
  const { domains, email, termsAccepted } = req.settings;
  const progress = (phase: OrderPhase, message: Message) => req.onProgress?.({ phase, message, directory: dir.label });

  progress('order', msg('https.order', { ca: dir.label }));
  await reachDirectory(dir);
  const client = await req.accounts.client({ directory: dir, email, termsAccepted }, req.client);
  const lib = await acmeLibrary();
  const keyPem = (await lib.crypto.createPrivateEcdsaKey('P-256')).toString();
  // Common names stop at 64 characters; the SAN extension carries every name anyway.
  const commonName = domains.find((d) => d.length <= 64);
  const [, csr] = await lib.crypto.createCsr({ commonName, altNames: domains }, keyPem);
  let order: acme.Order;
  let authorizations: acme.Authorization[];
  try {
    order = await client.createOrder({ identifiers: domains.map((value) => ({ type: 'dns', value })) });
    authorizations = await client.getAuthorizations(order);
  } catch (err) {
    throw caError(dir, msg('ca.order', { domains: domains.join(', ') }), err);
  }
  cancelled(req);

  progress('challenge', msg('https.challenge', { domains: domains.join(', '), ca: dir.label }));
  const outcomes = await Promise.allSettled(authorizations.map((authz) => authorize(client, authz, req.responder)));
  const failures = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ domain: authorizations[i].identifier.value, err: o.reason as unknown }] : []));
  if (failures.length > 0) throw challengeFailure(dir, domains, failures);
  cancelled(req);

  progress('finalize', msg('https.finalize', { ca: dir.label }));
  let chainPem: string;
  try {
    const finalized = await client.finalizeOrder(order, csr);
    chainPem = await client.getCertificate(finalized);
  } catch (err) {
    throw caError(dir, msg('ca.issue', { domains: domains.join(', ') }), err);
  }
  const { summary } = parseChain(chainPem);
  const missing = domains.filter((d) => !summary.domains.includes(d));
  if (missing.length > 0) {
    throw caError(dir, msg('ca.uncovered'), new Error(`missing ${missing.join(', ')}`), msg('cause.missing', { names: missing.join(', ') }));
  }
  return { keyPem, chainPem, combinedPem: combinedPem(keyPem, chainPem), summary };
}

class ChallengeFailed extends Error {
  constructor(
    readonly step: 'answer' | 'validate' | 'unsupported',
    readonly inner: unknown,
  ) {
    super(causeOf(inner));
  }
}

async function authorize(client: acme.Client, authz: acme.Authorization, responder: Http01Responder): Promise<void> {
  if (authz.status === 'valid') return;
  const challenge = authz.challenges.find((c) => c.type === 'http-01');
  if (!challenge) throw new ChallengeFailed('unsupported', new Error('the CA offered no HTTP-01 challenge'));
  const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
  let submitted = false;
  try {
    try {
      await responder.add(challenge.token, keyAuthorization);
    } catch (err) {
      throw new ChallengeFailed('answer', err);
    }
    try {
      await client.completeChallenge(challenge);
      submitted = true;
      await client.waitForValidStatus(challenge);
    } catch (err) {
      throw new ChallengeFailed('validate', err);
    }
  } catch (err) {
    // A pending authorization left behind counts against the account's limits at the CA.
    if (!submitted) await client.deactivateAuthorization(authz).catch(() => undefined);
    throw err;
  } finally {
    await responder.remove(challenge.token).catch(() => undefined);
  }
}

function challengeFailure(dir: ResolvedDirectory, domains: string[], failures: { domain: string; err: unknown }[]): SwitchyardError {
  const first = failures[0];
  const inner = first.err instanceof ChallengeFailed ? first.err.inner : first.err;
  if (first.err instanceof ChallengeFailed && first.err.step === 'answer') {
    // The responder (HAProxy's runtime API) is at fault, not the domain: keep its own error.
    if (inner instanceof SwitchyardError) return inner;
  }
  // What the CA said about each domain is its own words: the detail, shown apart.
  const said = failures.map((f) => `${f.domain}: ${causeOf(f.err instanceof ChallengeFailed ? f.err.inner : f.err)}`).join('; ');
  const params = { ca: dir.label, domains: failures.map((f) => f.domain).join(', '), hint: hintFor(first.domain, causeOf(inner)) };
  return SwitchyardError.because('CHALLENGE_FAILED', 'validate', params, { field: domainField(domains, first.domain), detail: said, cause: inner });
}

function hintFor(domain: string, cause: string): Message {
  if (/no HTTP-01/i.test(cause)) return msg('challenge.noHttp01');
  if (/NXDOMAIN|no valid A|DNS problem|no such host|SERVFAIL/i.test(cause)) return msg('challenge.dns', { domain });
  if (/refused|timeout|timed out|no route|unreachable|connect/i.test(cause)) return msg('challenge.unreachable', { domain });
  if (/unauthorized|invalid response|404|key authorization|does not match/i.test(cause)) return msg('challenge.otherServer', { domain });
  return msg('challenge.check', { domain });
}

function cancelled(req: OrderRequest): void {
  if (req.signal?.aborted) throw SwitchyardError.because('CANCELLED', 'order', { domains: req.settings.domains.join(', ') });
}
