/**
 * The new/edit environment form's state, and its checks: the shared EnvironmentInput schema
 * (the same one the core applies), with each issue put on the form field its path names and
 * worded in the user's language.
 */
import type { z } from 'zod';
import { EnvironmentInput, type BalanceAlgorithm, type Environment, type ServerState } from '../../shared/model';

export interface ServerRow {
  /** Stable row identity for the list (names change while typing). */
  key: number;
  name: string;
  kind: 'demo' | 'external';
  address: string;
  port: number | null;
  weight: number | null;
  /** Empty: the default (DEMO_SERVER_MAXCONN for a demo backend, no limit for an external server). */
  maxconn: number | null;
  state: ServerState;
}

export interface EnvironmentFormState {
  name: string;
  /** Where it runs: `local` or an SSH host's id. */
  host: string;
  httpPort: number | null;
  balance: BalanceAlgorithm;
  sticky: { enabled: boolean; cookieName: string };
  redispatch: boolean;
  retries: number | null;
  healthCheck: {
    type: 'tcp' | 'http';
    path: string;
    expectStatus: number | null;
    interval: number | null;
    rise: number | null;
    fall: number | null;
  };
  timeouts: { connect: number | null; client: number | null; server: number | null };
  images: { haproxy: string; demoBase: string };
  servers: ServerRow[];
}

let rowKey = 0;

export function serverRow(partial: Partial<Omit<ServerRow, 'key'>> = {}): ServerRow {
  return { key: ++rowKey, name: '', kind: 'demo', address: '', port: 80, weight: 100, maxconn: null, state: 'ready', ...partial };
}

/** The form filled from a saved environment (or, with only a name, the schema's defaults: the tutorial lab). */
export function formFrom(env: Pick<Environment, 'name'> & Partial<Environment>): EnvironmentFormState {
  const full = { ...EnvironmentInput.parse({ name: env.name }), ...env };
  return {
    name: full.name,
    host: full.host,
    httpPort: full.httpPort,
    balance: full.balance,
    sticky: { ...full.sticky },
    redispatch: full.redispatch,
    retries: full.retries,
    healthCheck: { ...full.healthCheck },
    timeouts: { ...full.timeouts },
    images: { ...full.images },
    servers: full.servers.map((s) =>
      s.kind === 'external'
        ? serverRow({ ...s, maxconn: s.maxconn ?? null })
        : serverRow({ name: s.name, kind: 'demo', weight: s.weight, maxconn: s.maxconn ?? null, state: s.state }),
    ),
  };
}

/** A name for the next server row that no other row has: back3, back4, … */
export function nextServerName(rows: ServerRow[]): string {
  const taken = new Set(rows.map((r) => r.name));
  let n = rows.length + 1;
  while (taken.has(`back${n}`)) n++;
  return `back${n}`;
}

/** What goes to the core; empty number fields stay null so the schema says they are required. */
export function toInput(f: EnvironmentFormState): Record<string, unknown> {
  return {
    name: f.name,
    host: f.host,
    httpPort: f.httpPort,
    balance: f.balance,
    sticky: { ...f.sticky },
    redispatch: f.redispatch,
    retries: f.retries,
    healthCheck: { ...f.healthCheck },
    timeouts: { ...f.timeouts },
    images: { ...f.images },
    servers: f.servers.map((s) => {
      // Empty means the default, which the model leaves unset.
      const maxconn = s.maxconn === null ? {} : { maxconn: s.maxconn };
      return s.kind === 'external'
        ? { name: s.name, kind: 'external', address: s.address, port: s.port, weight: s.weight, ...maxconn, state: s.state }
        : { name: s.name, kind: 'demo', weight: s.weight, ...maxconn, state: s.state };
    }),
  };
}

/** A problem with one field: `key` is an i18n key under `validation`, `params` fill it in. */
export interface FieldProblem {
  key: string;
  params: Record<string, unknown>;
  /** The schema's own words (English), for a case without a translation. */
  message: string;
}

/** Field path (`servers.1.port`) → its first problem. */
export type FieldProblems = Record<string, FieldProblem>;

const FORMAT_KEYS: Record<string, string> = {
  name: 'format.name',
  cookieName: 'format.cookie',
  path: 'format.path',
  address: 'format.address',
  haproxy: 'format.image',
  demoBase: 'format.image',
  user: 'format.user',
  keyPath: 'format.keyPath',
  password: 'format.secret',
  passphrase: 'format.secret',
  email: 'format.email',
  url: 'format.url',
  caBundle: 'format.pem',
};

/** `value` is the field's value when known: an empty text is "required", whatever the rule it breaks. */
export function problemOf(issue: z.core.$ZodIssue, value?: unknown): FieldProblem {
  const leaf = String(issue.path[issue.path.length - 1] ?? '');
  const base = { params: {}, message: issue.message };
  switch (issue.code) {
    case 'invalid_format':
      if (value === '') return { ...base, key: 'required' };
      return { ...base, key: FORMAT_KEYS[leaf] ?? 'format.other' };
    case 'invalid_type':
      if (issue.input === undefined || issue.input === null || issue.input === '') return { ...base, key: 'required' };
      return { ...base, key: issue.expected === 'int' ? 'integer' : 'number' };
    case 'too_small':
      return leaf === 'servers' ? { ...base, key: 'tooFewServers' } : { ...base, key: 'min', params: { min: Number(issue.minimum) } };
    case 'too_big':
      return leaf === 'servers' ? { ...base, key: 'tooManyServers', params: { max: Number(issue.maximum) } } : { ...base, key: 'max', params: { max: Number(issue.maximum) } };
    case 'invalid_value':
      return { ...base, key: 'choice' };
    case 'custom':
      return { ...base, key: leaf === 'name' ? 'duplicateServer' : 'other' };
    default:
      return { ...base, key: 'other' };
  }
}

/** Checks the form with the shared schema; every field gets its first problem. */
export function validateForm(f: EnvironmentFormState): { input?: z.output<typeof EnvironmentInput>; problems: FieldProblems } {
  const problems: FieldProblems = {};
  const raw = toInput(f);
  const res = EnvironmentInput.safeParse(raw);
  if (!res.success) {
    for (const issue of res.error.issues) {
      const path = issue.path.map(String).join('.');
      problems[path] ??= problemOf(issue, valueAt(raw, issue.path));
    }
  }
  // The schema checks unique names only once everything else passes; say it at once.
  const seen = new Map<string, number>();
  f.servers.forEach((s, i) => {
    if (!s.name) return;
    if (seen.has(s.name)) problems[`servers.${i}.name`] ??= { key: 'duplicateServer', params: {}, message: `"${s.name}" is used by another server` };
    else seen.set(s.name, i);
  });
  if (Object.keys(problems).length > 0 || !res.success) return { problems };
  return { input: res.data, problems };
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (v === null || v === undefined ? v : (v as Record<PropertyKey, unknown>)[k]), root);
}
