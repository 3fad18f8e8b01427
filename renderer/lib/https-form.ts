/**
 * The HTTPS panel's form: its state, what it sends (the shared HttpsSettings), and its checks
 * with the same schema the core applies, each problem put on the field its path names.
 */
import { HttpsSettings, challengePortOf, type HttpsSettingsInput } from '../../shared/https';
import { problemOf, valueAt, type FieldProblems } from './environment-form';

export type DirectoryChoice = 'letsencrypt' | 'letsencrypt-staging' | 'custom';

export interface HttpsFormState {
  /** One name per line (commas and spaces also separate). */
  domains: string;
  email: string;
  directory: DirectoryChoice;
  url: string;
  caBundle: string;
  /** Where a custom directory's CA connects for HTTP-01 (80 unless it is a test CA). */
  challengePort: number | null;
  termsAccepted: boolean;
  redirectHttp: boolean;
  hsts: boolean;
  stagingFirst: boolean;
  httpsPort: number | null;
}

export function httpsFormFrom(s: HttpsSettingsInput | undefined): HttpsFormState {
  const dir = s?.directory ?? 'letsencrypt';
  return {
    domains: (s?.domains ?? []).join('\n'),
    email: s?.email ?? '',
    directory: typeof dir === 'string' ? dir : 'custom',
    url: typeof dir === 'object' ? dir.url : '',
    caBundle: typeof dir === 'object' ? (dir.caBundle ?? '') : '',
    challengePort: challengePortOf(dir),
    termsAccepted: s?.termsAccepted ?? false,
    redirectHttp: s?.redirectHttp ?? true,
    hsts: s?.hsts ?? false,
    stagingFirst: s?.stagingFirst ?? false,
    httpsPort: s?.httpsPort ?? 8443,
  };
}

export function domainList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((d) => d.trim())
    .filter(Boolean);
}

export function settingsOf(f: HttpsFormState, enabled: boolean): HttpsSettingsInput {
  const directory = f.directory === 'custom' ? { url: f.url.trim(), ...(f.caBundle.trim() ? { caBundle: f.caBundle.trim() } : {}), challengePort: f.challengePort as number } : f.directory;
  return {
    enabled,
    domains: domainList(f.domains),
    // None yet is said as none: settings that only keep the HTTPS port have no address.
    ...(f.email.trim() ? { email: f.email.trim() } : {}),
    directory,
    termsAccepted: f.termsAccepted,
    redirectHttp: f.redirectHttp,
    hsts: f.hsts,
    stagingFirst: f.stagingFirst,
    httpsPort: f.httpsPort as number,
  };
}

/** Form fields as the panel names them: every `domains.N` problem lands on the domains box. */
export function formPathOf(schemaPath: string): string {
  const p = schemaPath.replace(/^patch\./, '').replace(/^https\./, '');
  if (p.startsWith('domains')) return 'domains';
  if (p === 'directory.url') return 'url';
  if (p === 'directory.caBundle') return 'caBundle';
  if (p === 'directory.challengePort') return 'challengePort';
  return p;
}

export function validateHttpsForm(f: HttpsFormState, enabled: boolean, httpPort?: number): { settings?: HttpsSettingsInput; problems: FieldProblems } {
  const settings = settingsOf(f, enabled);
  const res = HttpsSettings.safeParse(settings);
  const problems: FieldProblems = {};
  // The environment's HTTP port is published beside it: the same number cannot be both.
  if (httpPort !== undefined && f.httpsPort === httpPort) problems.httpsPort = { key: 'httpsPortSame', params: { port: httpPort }, message: `must differ from the HTTP port (${httpPort})` };
  if (res.success) return Object.keys(problems).length ? { problems } : { settings, problems };
  // Every domain that cannot be in a certificate is named, not only the first.
  // A custom issue on the list itself (not on one of its names) says it is empty.
  const perName = (i: { path: PropertyKey[]; code: string }) => i.code === 'custom' && i.path.length > 1;
  const bad = res.error.issues.filter((i) => formPathOf(i.path.map(String).join('.')) === 'domains' && perName(i)).map((i) => String(valueAt(settings, i.path)));
  for (const issue of res.error.issues) {
    const path = formPathOf(issue.path.map(String).join('.'));
    const value = valueAt(settings, issue.path);
    if (path === 'domains' && issue.code === 'custom' && !perName(issue)) problems[path] ??= { key: 'domainsRequired', params: {}, message: issue.message };
    else if (path === 'email' && value === undefined) problems[path] ??= { key: 'required', params: {}, message: issue.message };
    else if (path === 'domains' && issue.code === 'custom')
      problems[path] ??=
        bad.length > 1 ? { key: 'domains', params: { values: [...new Set(bad)].join(', ') }, message: issue.message } : { key: 'domain', params: { value: String(value) }, message: issue.message };
    else if (path === 'domains' && issue.code === 'too_small') problems[path] ??= { key: 'domainsRequired', params: {}, message: issue.message };
    else if (path === 'termsAccepted') problems[path] ??= { key: 'terms', params: {}, message: issue.message };
    else if (path === 'challengePort') problems[path] ??= portProblem(value, issue.message);
    else problems[path] ??= problemOf(issue, value);
  }
  return { problems };
}

/** The challenge port is checked in one step by the schema (see shared/https.ts): its words are picked here. */
function portProblem(value: unknown, message: string): FieldProblems[string] {
  if (value === null || value === undefined || value === '') return { key: 'required', params: {}, message };
  if (typeof value !== 'number') return { key: 'number', params: {}, message };
  if (!Number.isInteger(value)) return { key: 'integer', params: {}, message };
  return value < 1 ? { key: 'min', params: { min: 1 }, message } : { key: 'max', params: { max: 65535 }, message };
}

/** Settings as one comparable text: parsed with the schema's defaults when valid, as typed otherwise. */
export function normalised(s: HttpsSettingsInput | undefined): string {
  if (!s) return '';
  const res = HttpsSettings.safeParse(s);
  return JSON.stringify(res.success ? res.data : s);
}
