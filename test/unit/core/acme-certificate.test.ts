import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { combinedPem, covers, parseChain, splitPem } from '../../../electron/core/acme/certificate';

let dir: string;
let root: { key: string; cert: string };
let leaf: { key: string; cert: string };
let otherKey: string;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

// A two-level chain made with openssl, the way a CA sends it: leaf, then its issuer.
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sy-cert-'));
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30', '-subj', '/O=Test/CN=Test Issuing CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=shop.example.com', '-keyout', 'leaf.key', '-out', 'leaf.csr');
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:shop.example.com,DNS:WWW.example.com,IP:203.0.113.7\n');
  openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '0x0a1b2c3d4e', '-days', '90', '-out', 'leaf.pem', '-extfile', 'san.ext');
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', 'other.key');
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  root = { key: read('ca.key'), cert: read('ca.pem') };
  leaf = { key: read('leaf.key'), cert: read('leaf.pem') };
  otherKey = read('other.key');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('certificate chains', () => {
  it('give the serial, validity, issuer and DNS names of the leaf', () => {
    const { summary, intermediates } = parseChain(leaf.cert + root.cert);
    expect(summary.serial).toBe('0a1b2c3d4e');
    expect(summary.issuer).toBe('Test Issuing CA');
    expect(summary.domains).toEqual(['shop.example.com', 'www.example.com']);
    const days = (Date.parse(summary.notAfter) - Date.parse(summary.notBefore)) / 86_400_000;
    expect(Math.round(days)).toBe(90);
    expect(summary.notAfter).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(intermediates).toHaveLength(1);
    expect(intermediates[0].subject).toContain('CN=Test Issuing CA');
  });

  it('make the combined file HAProxy reads: key, leaf, then the chain', () => {
    const combined = combinedPem(leaf.key, `${leaf.cert}\r\n\r\n${root.cert}`);
    const blocks = combined.match(/-----BEGIN [A-Z ]+-----/g);
    expect(blocks).toEqual(['-----BEGIN PRIVATE KEY-----', '-----BEGIN CERTIFICATE-----', '-----BEGIN CERTIFICATE-----']);
    const [first, second] = splitPem(combined).map((b) => new X509Certificate(b));
    expect(first.subject).toContain('CN=shop.example.com');
    expect(second.subject).toContain('CN=Test Issuing CA');
    expect(combined.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
  });

  it('refuse a key that does not belong to the certificate, and text that is no certificate', () => {
    expect(() => combinedPem(otherKey, leaf.cert)).toThrow('The private key does not belong to the certificate');
    expect(() => parseChain('hello')).toThrow('holds no PEM certificate');
    expect(() => parseChain('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toThrow('could not be read');
  });

  it('tell whether a certificate covers a set of names at a given time', () => {
    const { summary } = parseChain(leaf.cert);
    const inside = new Date(Date.parse(summary.notBefore) + 1000);
    expect(covers(summary, ['shop.example.com'], inside)).toBe(true);
    expect(covers(summary, ['shop.example.com', 'api.example.com'], inside)).toBe(false);
    expect(covers(summary, ['shop.example.com'], new Date(summary.notAfter))).toBe(false);
  });
});
