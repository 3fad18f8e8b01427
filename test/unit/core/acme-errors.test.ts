/**
 * What a certificate authority's failures become: the code, the case the window words in its
 * language (the CA, what failed, why), and the English the CLI printed before.
 */
import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../../shared/errors';
import { msg } from '../../../shared/messages';
import { caError, causeOf } from '../../../electron/core/acme/errors';

const dir = { url: 'https://acme-v02.api.letsencrypt.org/directory', label: "Let's Encrypt" };
const net = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('a certificate authority’s failure', () => {
  it('a network failure: CA_ERROR, its cause in words of our own, the directory in the detail', () => {
    const e = caError(dir, msg('ca.account', { email: 'ana@example.com' }), net('ECONNREFUSED'));
    expect(e.message).toBe("Let's Encrypt could not create an account for ana@example.com: connection refused");
    expect(e.toInfo()).toMatchObject({
      code: 'CA_ERROR',
      reason: 'ca',
      params: { ca: "Let's Encrypt", what: { code: 'ca.account', params: { email: 'ana@example.com' } }, cause: { code: 'cause.refused' } },
      detail: `directory ${dir.url}`,
    });
    expect(caError(dir, msg('ca.unreachable'), net('SELF_SIGNED_CERT_IN_CHAIN')).message).toBe("Let's Encrypt could not be reached: its TLS certificate is not trusted (add its CA bundle)");
  });

  it('a timeout is TIMEOUT, with the same case', () => {
    const e = caError(dir, msg('ca.order', { domains: 'a.example, b.example' }), net('ETIMEDOUT'));
    expect([e.code, e.reason, e.message]).toEqual(['TIMEOUT', 'ca', "Let's Encrypt refused an order for a.example, b.example: timed out"]);
  });

  it('the CA’s own words are quoted as they are, without a final full stop', () => {
    const e = caError(dir, msg('ca.issue', { domains: 'a.example' }), new Error('Error finalizing order :: too many certificates.'));
    expect(e.message).toBe("Let's Encrypt did not issue the certificate for a.example: Error finalizing order :: too many certificates");
    expect(e.params?.cause).toEqual({ code: 'cause.said', params: { text: 'Error finalizing order :: too many certificates' } });
    expect(causeOf(new Error(''))).toBe('no reason given');
  });

  it('an error that already has its code goes through unchanged', () => {
    const own = new SwitchyardError('RUNTIME_API', 'HAProxy refused');
    expect(caError(dir, msg('ca.unreachable'), own)).toBe(own);
  });
});
