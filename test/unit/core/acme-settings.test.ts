import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../../shared/errors';
import { LETSENCRYPT_STAGING_DIRECTORY, directoryUrl, parseHttpsSettings, parseOrderableSettings } from '../../../shared/https';

const valid = { domains: ['shop.example.com'], email: 'ops@example.com' };

function fails(input: unknown, parse: (v: unknown) => unknown = parseHttpsSettings): SwitchyardError {
  try {
    parse(input);
  } catch (err) {
    expect(err).toBeInstanceOf(SwitchyardError);
    expect((err as SwitchyardError).code).toBe('VALIDATION');
    return err as SwitchyardError;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('HTTPS settings', () => {
  it('fill in safe defaults: off, Let’s Encrypt, redirect on, HSTS off, port 8443', () => {
    expect(parseHttpsSettings(valid)).toEqual({
      enabled: false,
      domains: ['shop.example.com'],
      email: 'ops@example.com',
      directory: 'letsencrypt',
      termsAccepted: false,
      redirectHttp: true,
      hsts: false,
      stagingFirst: false,
      httpsPort: 8443,
    });
  });

  it.each([
    [['*.example.com'], 'https.domains.0', 'wildcard'],
    [['Shop.example.com'], 'https.domains.0', 'lower case'],
    [['shop.example.com', 'bad_name.example.com'], 'https.domains.1', 'not a valid domain name'],
    [['localhost'], 'https.domains.0', 'not a valid domain name'],
    [['203.0.113.7'], 'https.domains.0', 'IP address'],
    [['-shop.example.com'], 'https.domains.0', 'not a valid domain name'],
    [['shop.example.com', 'shop.example.com'], 'https.domains.1', 'listed twice'],
  ])('reject the domain list %j, naming %s', (domains, field, words) => {
    const err = fails({ ...valid, domains });
    expect(err.field).toBe(field);
    expect(err.message).toContain(field);
    expect(err.message).toContain(words);
  });

  it('name the field of a bad email, port, directory or unknown key', () => {
    expect(fails({ ...valid, email: 'ops' }).field).toBe('https.email');
    expect(fails({ ...valid, httpsPort: 70000 }).field).toBe('https.httpsPort');
    expect(fails({ ...valid, directory: 'zerossl' }).field).toBe('https.directory');
    expect(fails({ ...valid, directory: { url: 'http://ca.internal/dir' } }).message).toMatch(/^https\.directory(\.url)?: /);
    expect(fails({ ...valid, directory: { url: 'https://ca.internal/dir', caBundle: 'not a pem' } }).field).toBe('https.directory.caBundle');
    expect(fails({ ...valid, wildcard: true }).message).toBe('https.wildcard: unknown field');
  });

  it('accept a private directory with its CA bundle', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const s = parseHttpsSettings({ ...valid, directory: { url: 'https://127.0.0.1:14000/dir', caBundle: pem } });
    expect(directoryUrl(s.directory)).toBe('https://127.0.0.1:14000/dir');
    expect(directoryUrl('letsencrypt-staging')).toBe(LETSENCRYPT_STAGING_DIRECTORY);
  });

  it('give a custom directory a challenge port, 80 unless set, and name the field of a bad one', () => {
    const url = 'https://127.0.0.1:14000/dir';
    expect(parseHttpsSettings({ ...valid, directory: { url } }).directory).toEqual({ url, challengePort: 80 });
    expect(parseHttpsSettings({ ...valid, directory: { url, challengePort: 5002 } }).directory).toEqual({ url, challengePort: 5002 });
    for (const challengePort of [0, 65536, 80.5, '80']) {
      const err = fails({ ...valid, directory: { url, challengePort } });
      expect(err.field, String(challengePort)).toBe('https.directory.challengePort');
      expect(err.message).toMatch(/^https\.directory\.challengePort: must be (between 1 and 65535|a whole number|a number)$/);
    }
  });

  it('may only keep the HTTPS port while off; switching on or ordering then names the missing domains and email', () => {
    expect(parseHttpsSettings({ httpsPort: 8444 })).toMatchObject({ enabled: false, domains: [], httpsPort: 8444 });
    expect(parseHttpsSettings({ httpsPort: 8444 }).email).toBeUndefined();
    const on = fails({ enabled: true, termsAccepted: true, httpsPort: 8444 });
    expect(on.field).toBe('https.domains');
    expect(on.message).toContain('https.domains: needs at least one domain name');
    expect(fails({ ...valid, domains: [], enabled: true, termsAccepted: true }).field).toBe('https.domains');
    expect(fails({ domains: ['shop.example.com'], enabled: true, termsAccepted: true }).field).toBe('https.email');
    const order = fails({ httpsPort: 8444, termsAccepted: true }, parseOrderableSettings);
    expect(order.field).toBe('https.domains');
    expect(fails({ domains: ['shop.example.com'], termsAccepted: true }, parseOrderableSettings).field).toBe('https.email');
  });

  it('cannot be switched on, nor used to order, without the terms of service accepted', () => {
    const on = fails({ ...valid, enabled: true });
    expect(on.field).toBe('https.termsAccepted');
    expect(on.message).toMatch(/^https\.termsAccepted: must be accepted/);
    expect(fails(valid, parseOrderableSettings).field).toBe('https.termsAccepted');
    expect(parseOrderableSettings({ ...valid, termsAccepted: true, enabled: true }).enabled).toBe(true);
  });
});
