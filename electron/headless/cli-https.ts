import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SwitchyardError } from '../../shared/errors';
import { challengePortOf, directoryUrl, httpsSetUp, type AcmeDirectory, type CertificateStatus, type HttpsSettings, type HttpsSettingsInput } from '../../shared/https';
import type { Environment } from '../../shared/model';
import type { Core } from '../core/core';
import { EXIT_USAGE, ask, type CliTools } from './cli-tools';

const NAMED_DIRECTORIES = ['letsencrypt', 'letsencrypt-staging'] as const;
type DirectoryInput = NonNullable<HttpsSettingsInput['directory']>;

interface EnableOptions {
  domain?: string[];
  email?: string;
  directory?: string;
  caBundle?: string;
  challengePort?: number;
  httpsPort?: number;
  redirect?: boolean;
  hsts?: boolean;
  acceptTerms?: boolean;
}

/**
 * Saves an environment's HTTPS settings. The command line has no `patch`: a refusal names the
 * setting as the environment holds it (`https.termsAccepted`), and says which option fixes it.
 */
async function saveHttps(core: Core, name: string, https: HttpsSettingsInput): Promise<Environment> {
  const res = await core.invoke('environments:update', { environment: name, patch: { https } });
  if (res.ok) return res.result as Environment;
  const unpatched = (s: string) => s.replace(/^patch\./, '');
  const e = res.error;
  let message = unpatched(e.message);
  if (e.field === 'patch.https.termsAccepted') message += ' (read them, then pass --accept-terms)';
  throw new SwitchyardError(e.code, message, { field: e.field && unpatched(e.field), detail: e.detail });
}

/** The directory setting from the options; a custom directory keeps its CA bundle and challenge port unless others are given. */
function directoryFrom(o: EnableOptions, prev: AcmeDirectory | undefined, cmd: Command): DirectoryInput | undefined {
  let dir: DirectoryInput | undefined = prev;
  if (o.directory !== undefined) {
    if ((NAMED_DIRECTORIES as readonly string[]).includes(o.directory)) dir = o.directory as (typeof NAMED_DIRECTORIES)[number];
    else if (/^https:\/\//.test(o.directory)) {
      dir = typeof prev === 'object' && prev.url === o.directory ? prev : { url: o.directory };
    } else cmd.error(`error: --directory must be letsencrypt, letsencrypt-staging or an https:// URL, not "${o.directory}"`, { exitCode: EXIT_USAGE });
  }
  if (o.challengePort !== undefined) {
    // Let's Encrypt validates on port 80 and nothing else: only a custom directory may say otherwise.
    if (typeof dir !== 'object') cmd.error("error: --challenge-port goes with a custom directory (--directory https://…); Let's Encrypt always validates on port 80", { exitCode: EXIT_USAGE });
    dir = { ...dir, challengePort: o.challengePort };
  }
  if (o.caBundle === undefined) return dir;
  if (typeof dir !== 'object') cmd.error('error: --ca-bundle goes with a custom directory (--directory https://…)', { exitCode: EXIT_USAGE });
  let pem: string;
  try {
    pem = readFileSync(o.caBundle, 'utf8');
  } catch (err) {
    throw new SwitchyardError('VALIDATION', `Cannot read the CA bundle ${o.caBundle}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      field: 'https.directory.caBundle',
    });
  }
  return { ...dir, caBundle: pem };
}

function directoryName(d: AcmeDirectory): string {
  if (typeof d === 'string') return d;
  const notes = [...(d.caBundle ? ['own CA bundle'] : []), `validates on port ${challengePortOf(d)}`];
  return `${directoryUrl(d)} (${notes.join(', ')})`;
}

function statusLines(name: string, https: HttpsSettings | undefined, s: CertificateStatus | null): string[] {
  if (!https || !httpsSetUp(https)) {
    const kept = https ? `; port ${https.httpsPort} is kept for it` : '';
    return [`${name}: HTTPS is not set up${kept} (switchyard https enable ${name} --domain … --email … --accept-terms)`];
  }
  const row = (k: string, v: string) => `${k.padEnd(12)}  ${v}`;
  const extras = [https.redirectHttp ? 'HTTP redirects to HTTPS' : 'HTTP served too', ...(https.hsts ? ['HSTS'] : [])];
  const lines = [
    `${name}: HTTPS ${https.enabled ? 'on' : 'off'}, port ${https.httpsPort}, ${extras.join(', ')}`,
    row('domains', (s?.domains ?? https.domains).join(', ')),
    row('directory', directoryName(https.directory)),
  ];
  if (s?.serial) {
    lines.push(row('serial', s.serial), row('issuer', s.issuer ?? 'unknown'), row('valid until', s.notAfter ?? 'unknown'));
  } else lines.push(row('certificate', 'none yet'));
  lines.push(row('next renewal', s?.nextRenewalAt ?? 'none scheduled'), row('failures', String(s?.failures ?? 0)));
  if (s?.lastError) lines.push(row('last error', `${s.lastError.code}: ${s.lastError.message}${s.lastAttemptAt ? ` (${s.lastAttemptAt})` : ''}`));
  return lines;
}

/** One-click HTTPS from the command line: enable (save + order), status, renew, disable. */
export function addHttpsCommands(program: Command, { getCore, out, follow, intOption, globalArgs }: CliTools): void {
  const https = program.command('https').description("An environment's certificate over ACME: enable, status, renew, disable");

  /** Orders (or renews) the certificate as a task, printing its steps, then its summary. */
  const order = async (core: Core, environment: string) => {
    const { taskId } = await ask(core, 'certificates:order', { environment });
    out((await follow(core, taskId)).message);
  };

  https
    .command('enable')
    .description('Save the HTTPS settings with HTTPS on, then obtain and install the certificate, showing each step')
    .argument('<environment>')
    .option('-d, --domain <name>', 'a name the certificate covers (repeat for more; replaces the saved list)', (v: string, prev: string[] = []) => [...prev, v])
    .option('-e, --email <address>', 'contact address for the certificate authority (expiry notices)')
    .option('--directory <directory>', 'letsencrypt (default), letsencrypt-staging or an https:// ACME directory URL')
    .option('--ca-bundle <file>', "PEM certificates to trust for a custom directory's own TLS (a private CA)")
    .option('--challenge-port <port>', "port a custom directory's CA connects to for HTTP-01, and the preflight probes (default 80)", intOption)
    .option('--https-port <port>', 'port of the HTTPS listener (default: the one the environment keeps for HTTPS)', intOption)
    .option('--redirect', 'redirect HTTP to HTTPS (the default)')
    .option('--no-redirect', 'serve plain HTTP too, without redirecting')
    .option('--hsts', 'send Strict-Transport-Security')
    .option('--no-hsts', 'do not send Strict-Transport-Security (the default)')
    .option('--accept-terms', "agree to the certificate authority's terms of service (needed once)")
    .action(async (name: string, o: EnableOptions, cmd: Command) => {
      const core = getCore();
      const prev = (await ask(core, 'environments:get', { environment: name })).https;
      const domains = o.domain ?? (httpsSetUp(prev) ? prev!.domains : undefined);
      const email = o.email ?? prev?.email;
      // Options left out keep what is saved; the first time, these two have nothing to keep.
      if (!domains) cmd.error("error: required option '--domain <name>' not specified (no domains are saved yet)", { exitCode: EXIT_USAGE });
      if (!email) cmd.error("error: required option '--email <address>' not specified (no email is saved yet)", { exitCode: EXIT_USAGE });
      const settings: HttpsSettingsInput = { ...prev, enabled: true, domains, email };
      const directory = directoryFrom(o, prev?.directory, cmd);
      if (directory !== undefined) settings.directory = directory;
      if (o.httpsPort !== undefined) settings.httpsPort = o.httpsPort;
      if (o.redirect !== undefined) settings.redirectHttp = o.redirect;
      if (o.hsts !== undefined) settings.hsts = o.hsts;
      if (o.acceptTerms) settings.termsAccepted = true;
      await saveHttps(core, name, settings);
      await order(core, name);
    });

  https
    .command('status')
    .description("Show an environment's HTTPS: domains, certificate serial, issuer, expiry, next renewal, failures")
    .argument('<environment>')
    .action(async (name: string) => {
      const core = getCore();
      const env = await ask(core, 'environments:get', { environment: name });
      const status = await ask(core, 'certificates:status', { environment: name });
      statusLines(name, env.https, status).forEach((l) => out(l));
    });

  https
    .command('renew')
    .description('Order a new certificate now and install it without dropping a request, showing each step')
    .argument('<environment>')
    .action(async (name: string) => order(getCore(), name));

  https
    .command('disable')
    .description('Switch HTTPS off (settings kept, renewals stop); the next deploy removes the HTTPS listener')
    .argument('<environment>')
    .action(async (name: string) => {
      const core = getCore();
      const prev = (await ask(core, 'environments:get', { environment: name })).https;
      if (!prev || !httpsSetUp(prev)) return out(`${name}: HTTPS is not set up`);
      if (!prev.enabled) return out(`${name}: HTTPS is already off`);
      await saveHttps(core, name, { ...prev, enabled: false });
      out(`HTTPS off for ${name}: renewals stopped; to remove the HTTPS listener now: switchyard${globalArgs()} env deploy ${name}`);
    });
}
