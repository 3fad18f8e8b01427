import { X509Certificate, createPrivateKey } from 'node:crypto';
import { SwitchyardError } from '../../../shared/errors';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** What the UI and the renewal scheduler need to know about a certificate. */
export interface CertificateSummary {
  /** Lower-case hex without separators, as CAs and browsers show it. */
  serial: string;
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
  /** The issuer's common name (the whole distinguished name if it has none). */
  issuer: string;
  /** DNS names of the subject alternative name extension. */
  domains: string[];
}

export interface ParsedChain {
  leaf: X509Certificate;
  /** Intermediates, in the order the CA sent them. */
  intermediates: X509Certificate[];
  summary: CertificateSummary;
}

/** The PEM blocks of a chain, each ending with a newline. */
export function splitPem(pem: string): string[] {
  return (pem.match(PEM_BLOCK) ?? []).map((b) => `${b.trim()}\n`);
}

export function parseChain(pem: string): ParsedChain {
  const blocks = splitPem(pem);
  if (blocks.length === 0) throw new SwitchyardError('VALIDATION', 'The certificate holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  let certs: X509Certificate[];
  try {
    certs = blocks.map((b) => new X509Certificate(b));
  } catch (err) {
    throw new SwitchyardError('VALIDATION', `The certificate could not be read: ${(err as Error).message}`, { cause: err });
  }
  const [leaf, ...intermediates] = certs;
  return { leaf, intermediates, summary: summarize(leaf) };
}

export function summarize(cert: X509Certificate): CertificateSummary {
  return {
    serial: cert.serialNumber.toLowerCase(),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    issuer: commonName(cert.issuer),
    domains: dnsNames(cert.subjectAltName),
  };
}

function commonName(dn: string): string {
  const cn = dn.split('\n').find((l) => l.startsWith('CN='));
  return cn ? cn.slice(3) : dn.replace(/\n/g, ', ');
}

function dnsNames(san: string | undefined): string[] {
  if (!san) return [];
  return san
    .split(/,\s*/)
    .filter((e) => e.startsWith('DNS:'))
    .map((e) => e.slice(4).toLowerCase());
}

/**
 * One file as HAProxy's `crt` wants it: private key, leaf, then the intermediates. The lab's
 * renewal never rebuilt this file; building it from the order's own output avoids that.
 */
export function combinedPem(keyPem: string, chainPem: string): string {
  const { leaf } = parseChain(chainPem);
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new SwitchyardError('VALIDATION', `The private key could not be read: ${(err as Error).message}`, { cause: err });
  }
  // A key that does not match would make HAProxy refuse the whole config on reload.
  if (!leaf.checkPrivateKey(key)) throw new SwitchyardError('VALIDATION', 'The private key does not belong to the certificate');
  return `${keyPem.trim()}\n${splitPem(chainPem).join('')}`;
}

/** True when `cert` is still valid at `at` and `domains` are all among its names. */
export function covers(summary: CertificateSummary, domains: string[], at: Date): boolean {
  const names = new Set(summary.domains);
  return domains.every((d) => names.has(d)) && Date.parse(summary.notBefore) <= at.getTime() && at.getTime() < Date.parse(summary.notAfter);
}
