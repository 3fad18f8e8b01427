/**
 * HTTPS for one environment: which names get a certificate, from which ACME directory, and
 * how the load balancer serves them. Certificates come over HTTP-01, so every name must be
 * a plain host name the load balancer answers for (no wildcard, no IP address).
 */
import { z } from 'zod';
import type { ErrorInfo } from './errors';
import { parseOrThrow } from './parse';

export const LETSENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';
export const LETSENCRYPT_STAGING_DIRECTORY = 'https://acme-staging-v02.api.letsencrypt.org/directory';
/** Where Let's Encrypt (production and staging) connects to validate HTTP-01: always port 80 (RFC 8555, 8.3). */
export const HTTP01_PORT = 80;

/** Lower-case labels of letters, digits and inner hyphens; at least two of them (a TLD alone gets no certificate). */
const DOMAIN_PATTERN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const PEM_CERT_PATTERN = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

export const Domain = z.string({ error: 'must be text' }).superRefine((v, ctx) => {
  const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
  if (v.startsWith('*.')) return fail(`"${v}" is a wildcard: HTTP-01 validation cannot issue wildcards, list each name instead`);
  if (v !== v.toLowerCase()) return fail(`"${v}" must be written in lower case`);
  if (/^[0-9.]+$/.test(v) || v.includes(':')) return fail(`"${v}" is an IP address: certificates are issued for domain names`);
  if (!DOMAIN_PATTERN.test(v)) {
    fail(`"${v}" is not a valid domain name (letters, digits, hyphens and dots, such as www.example.com)`);
  }
});

const port = () => z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be between 1 and 65535').max(65535, 'must be between 1 and 65535');

/**
 * A port checked in one non-fatal step, so that every problem with it stays on its field:
 * inside the directory union, zod reports the custom directory's own issues only when none of
 * them is fatal, and z.number()'s type and integer failures are.
 */
const challengePort = () =>
  z.custom<number>((v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535, {
    abort: false,
    error: (iss) => (typeof iss.input !== 'number' ? 'must be a number' : Number.isInteger(iss.input) ? 'must be between 1 and 65535' : 'must be a whole number'),
  });

export const CustomDirectory = z
  .object({
    url: z.url({ protocol: /^https$/, error: 'must be an https:// URL of an ACME directory' }),
    /** PEM certificates to trust for the directory's own TLS (a private CA, Pebble). */
    caBundle: z.string().regex(PEM_CERT_PATTERN, 'must hold at least one PEM certificate (-----BEGIN CERTIFICATE-----)').optional(),
    /**
     * The port this CA connects to for HTTP-01. A public CA only ever uses 80; a test CA
     * (Pebble) can be told to use another, and the preflight must probe the same one.
     */
    challengePort: challengePort().default(HTTP01_PORT),
  })
  .strict();

export const AcmeDirectory = z.union([z.literal('letsencrypt'), z.literal('letsencrypt-staging'), CustomDirectory], {
  error: 'must be "letsencrypt", "letsencrypt-staging" or { url, caBundle?, challengePort? }',
});

const EMAIL_MESSAGE = 'must be an email address (the CA writes to it before a certificate expires)';
const DOMAINS_MESSAGE = 'needs at least one domain name';

const httpsFields = {
  enabled: z.boolean().default(false),
  /** Empty, and `email` absent, only while HTTPS is off: the settings then just hold the port the load balancer keeps for it. */
  domains: z.array(Domain, { error: 'must be a list of domain names' }).max(100, 'at most 100 domain names per certificate').default([]),
  email: z.email(EMAIL_MESSAGE).optional(),
  directory: AcmeDirectory.default('letsencrypt'),
  /** The user agreed to the CA's terms of service; nothing is ordered without it. */
  termsAccepted: z.boolean().default(false),
  redirectHttp: z.boolean().default(true),
  hsts: z.boolean().default(false),
  /** Order once from Let's Encrypt's staging directory first, so a broken setup burns no production rate limit. */
  stagingFirst: z.boolean().default(false),
  httpsPort: port().default(8443),
};

function checkSettings(s: { enabled: boolean; termsAccepted: boolean; domains: string[]; email?: string }, ctx: z.RefinementCtx): void {
  if (s.enabled) requireNamesAndEmail(s, ctx);
  const seen = new Set<string>();
  s.domains.forEach((d, i) => {
    if (seen.has(d)) ctx.addIssue({ code: 'custom', path: ['domains', i], message: `"${d}" is listed twice` });
    seen.add(d);
  });
  if (s.enabled && !s.termsAccepted) ctx.addIssue({ code: 'custom', path: ['termsAccepted'], message: TERMS_MESSAGE });
}

/** What a certificate cannot be ordered without. */
function requireNamesAndEmail(s: { domains: string[]; email?: string }, ctx: z.RefinementCtx): void {
  if (!s.domains.length) ctx.addIssue({ code: 'custom', path: ['domains'], message: DOMAINS_MESSAGE });
  if (s.email === undefined) ctx.addIssue({ code: 'custom', path: ['email'], message: EMAIL_MESSAGE });
}

const TERMS_MESSAGE = "must be accepted: the certificate authority's terms of service have to be agreed to before it issues a certificate";

export const HttpsSettings = z.object(httpsFields).strict().superRefine(checkSettings);

export type HttpsSettings = z.infer<typeof HttpsSettings>;
/** Settings a certificate can be ordered with: names and a contact address are there. */
export type OrderableHttpsSettings = HttpsSettings & { email: string };
export type HttpsSettingsInput = z.input<typeof HttpsSettings>;
export type AcmeDirectory = z.infer<typeof AcmeDirectory>;

/** Parses settings as found under an environment's `https` field; errors name `https.<field>`. */
export function parseHttpsSettings(value: unknown): HttpsSettings {
  return parseOrThrow(HttpsSettings, value, 'https');
}

/**
 * Settings that may be used to order now: valid, and with the terms accepted even when HTTPS
 * is not switched on yet (a test order before enabling it).
 */
export function parseOrderableSettings(value: unknown): OrderableHttpsSettings {
  const s = parseHttpsSettings(value);
  return parseOrThrow(
    HttpsSettings.superRefine((v, ctx) => {
      requireNamesAndEmail(v, ctx);
      if (!v.termsAccepted) ctx.addIssue({ code: 'custom', path: ['termsAccepted'], message: TERMS_MESSAGE });
    }),
    s,
    'https',
  ) as OrderableHttpsSettings;
}

/** Whether the settings name what to certify, or only hold the HTTPS port kept for later. */
export function httpsSetUp(s: { domains?: string[] } | undefined): boolean {
  return (s?.domains?.length ?? 0) > 0;
}

/** The URL behind a directory setting. */
export function directoryUrl(d: AcmeDirectory): string {
  if (d === 'letsencrypt') return LETSENCRYPT_DIRECTORY;
  if (d === 'letsencrypt-staging') return LETSENCRYPT_STAGING_DIRECTORY;
  return d.url;
}

/** The port the directory's CA connects to when it validates an HTTP-01 challenge. */
export function challengePortOf(d: z.input<typeof AcmeDirectory>): number {
  return typeof d === 'object' ? (d.challengePort ?? HTTP01_PORT) : HTTP01_PORT;
}

/** Where one environment's certificate stands, as shown to the user (`certificates:status`). */
export interface CertificateStatus {
  environment: string;
  /** The names the certificate must cover (from the settings). */
  domains: string[];
  /** Hex serial of the certificate in use; absent until one was obtained. */
  serial?: string;
  /** ISO 8601. */
  notBefore?: string;
  notAfter?: string;
  /** The issuing CA's common name, e.g. "R11" or "Pebble Intermediate CA 1a2b3c". */
  issuer?: string;
  /** When the next renewal attempt is due (ISO 8601); null while nothing is scheduled. */
  nextRenewalAt: string | null;
  lastError?: ErrorInfo;
  lastAttemptAt?: string;
  /** Failed attempts in a row; 0 after a success. */
  failures: number;
  /**
   * The last failure is one only the user can fix (the certificate authority or a registry
   * refused the account, login or token): no retry until the settings are saved again or a
   * renewal is asked for by hand.
   */
  stopped?: boolean;
}
