/**
 * The new/edit environment form's state, and its checks: the shared EnvironmentInput schema
 * (the same one the core applies), with each issue put on the form field its path names and
 * worded in the user's language.
 */
import type { z } from 'zod';
import type { App } from '../../shared/apps';
import { ClusterPlacement, EnvironmentInput, MAX_SERVERS, type BalanceAlgorithm, type Environment, type ServerState } from '../../shared/model';

export interface ServerRow {
  /** Stable row identity for the list (names change while typing). */
  key: number;
  name: string;
  /** `app`: a replica of the environment's own app (named from the replicas' prefix). */
  kind: 'demo' | 'external' | 'app';
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
  /** What runs behind the load balancer: the demo lab's backends, or the user's own app. */
  backends: 'demo' | 'app';
  app: AppFormState;
  /** The app's replicas: `count` servers named `prefix1` … `prefixN`. */
  replicas: { count: number | null; prefix: string };
  servers: ServerRow[];
  /** On a Docker Swarm cluster: the backends are one replicated service (see ClusterPlacement). */
  cluster: ClusterFormState;
}

export interface ClusterFormState {
  enabled: boolean;
  replicas: number | null;
  slots: number | null;
  constraints: { key: number; value: string }[];
  /** Empty: no spread preference. */
  spread: string;
  /** Empty: the manager Switchyard reaches runs the load balancer. */
  lbNode: string;
}

/** The one server of an environment on a cluster: its slots in HAProxy are named after it (web1, web2, …). */
export const CLUSTER_SERVER = { demo: 'web', app: 'app' } as const;

/** One variable of the app. A secret's value is only ever typed: a kept one is known by its reference. */
export interface VarRow {
  key: number;
  name: string;
  value: string;
  secret: boolean;
  /** A kept secret's reference (sent back as it is to keep the value). */
  ref?: string;
  /** A kept secret being given a new value. */
  replacing?: boolean;
}

export interface AppFormState {
  source: { kind: 'image' | 'build'; image: string; context: string; dockerfile: string };
  port: number | null;
  vars: VarRow[];
  /** The command replacing the image's, one argument per line (empty: the image's own). */
  command: string;
  /** Per replica; null: no limit. */
  memoryMb: number | null;
  cpus: number | null;
}

let rowKey = 0;

export function varRow(partial: Partial<Omit<VarRow, 'key'>> = {}): VarRow {
  return { key: ++rowKey, name: '', value: '', secret: false, ...partial };
}

/** The app part of the form: from a saved app, or empty (an image to type, port 80). */
export function appFormFrom(app?: App): AppFormState {
  const source = app?.source;
  return {
    source: {
      kind: source?.kind ?? 'image',
      image: source?.kind === 'image' ? source.image : '',
      context: source?.kind === 'build' ? source.context : '',
      dockerfile: source?.kind === 'build' ? source.dockerfile : 'Dockerfile',
    },
    port: app?.port ?? 80,
    vars: [
      ...(app?.env ?? []).map((v) => varRow({ name: v.name, value: v.value })),
      // Only names and references come back from the core: the values stay sealed there.
      ...(app?.secrets ?? []).map((v) => varRow({ name: v.name, secret: true, ref: v.ref })),
    ],
    command: (app?.command ?? []).join('\n'),
    memoryMb: app?.memoryMb ?? null,
    cpus: app?.cpus ?? null,
  };
}

/** `back3` → `back`: the prefix replicas are named from. */
function prefixOf(name: string | undefined): string | undefined {
  const m = name ? /^(.*?)\d+$/.exec(name) : null;
  return m && m[1] ? m[1] : undefined;
}

/**
 * The servers with `count` replicas named `prefix1` … `prefixN` in place of the demo backends or
 * replicas; a replica keeps the weight, limit and traffic mode of the row it replaces. External
 * servers stay as they are, after the replicas.
 */
export function withReplicas(rows: ServerRow[], count: number, prefix: string, kind: 'demo' | 'app' = 'app'): ServerRow[] {
  const managed = rows.filter((r) => r.kind !== 'external');
  const external = rows.filter((r) => r.kind === 'external');
  const replicas = Array.from({ length: Math.max(0, Math.min(count, MAX_SERVERS)) }, (_, i) => {
    const name = `${prefix}${i + 1}`;
    const same = managed.find((r) => r.name === name) ?? managed[i];
    return same ? { ...same, name, kind } : serverRow({ name, kind });
  });
  return [...replicas, ...external];
}

/** Runs the user's app in place of the demo backends (same count, same names when they fit), or back. */
export function chooseBackends(f: EnvironmentFormState, backends: 'demo' | 'app'): void {
  f.backends = backends;
  if (backends === 'app') {
    const managed = f.servers.filter((r) => r.kind !== 'external');
    f.replicas = { count: Math.max(1, managed.length), prefix: prefixOf(managed[0]?.name) ?? f.replicas.prefix };
    f.servers = withReplicas(f.servers, f.replicas.count ?? 1, f.replicas.prefix);
  } else {
    f.servers = f.servers.map((r) => (r.kind === 'app' ? { ...r, kind: 'demo' } : r));
  }
}

/** Sets how many replicas run and what they are named; the server list follows. */
export function setReplicas(f: EnvironmentFormState, change: { count?: number | null; prefix?: string }): void {
  f.replicas = { ...f.replicas, ...change };
  if (f.replicas.count !== null && f.replicas.count >= 1) f.servers = withReplicas(f.servers, f.replicas.count, f.replicas.prefix);
}

/** The placement part of the form: from a saved placement, or off with the schema's defaults. */
export function clusterFormFrom(cluster?: ClusterPlacement): ClusterFormState {
  const c = cluster ?? ClusterPlacement.parse({});
  return {
    enabled: cluster !== undefined,
    replicas: c.replicas,
    slots: c.slots,
    constraints: c.constraints.map((value) => ({ key: ++rowKey, value })),
    spread: c.spread ?? '',
    lbNode: c.lbNode ?? '',
  };
}

export function constraintRow(value = ''): { key: number; value: string } {
  return { key: ++rowKey, value };
}

export function serverRow(partial: Partial<Omit<ServerRow, 'key'>> = {}): ServerRow {
  return { key: ++rowKey, name: '', kind: 'demo', address: '', port: 80, weight: 100, maxconn: null, state: 'ready', ...partial };
}

/** The form filled from a saved environment (or, with only a name, the schema's defaults: the tutorial lab). */
export function formFrom(env: Pick<Environment, 'name'> & Partial<Environment>): EnvironmentFormState {
  const full = { ...EnvironmentInput.parse({ name: env.name }), ...env };
  const replicas = full.servers.filter((s) => s.kind === 'app');
  const managed = full.servers.filter((s) => s.kind !== 'external');
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
    backends: replicas.length ? 'app' : 'demo',
    // Kept when the environment runs the demo again: switching back finds the app as it was.
    app: appFormFrom(full.app as App | undefined),
    replicas: { count: Math.max(1, replicas.length || managed.length), prefix: prefixOf((replicas[0] ?? managed[0])?.name) ?? 'back' },
    servers: full.servers.map((s) =>
      s.kind === 'external' ? serverRow({ ...s, maxconn: s.maxconn ?? null }) : serverRow({ name: s.name, kind: s.kind, weight: s.weight, maxconn: s.maxconn ?? null, state: s.state }),
    ),
    cluster: clusterFormFrom(full.cluster),
  };
}

/** The app as the core takes it: plain variables, and secrets as a new value or the reference of the kept one. */
function appInput(a: AppFormState): Record<string, unknown> {
  const source =
    a.source.kind === 'image' ? { kind: 'image', image: a.source.image.trim() } : { kind: 'build', context: a.source.context.trim(), dockerfile: a.source.dockerfile.trim() || 'Dockerfile' };
  return {
    source,
    port: a.port,
    env: a.vars.filter((v) => !v.secret).map((v) => ({ name: v.name, value: v.value })),
    secrets: a.vars.filter((v) => v.secret).map((v) => (v.ref && !v.replacing ? { name: v.name, ref: v.ref } : { name: v.name, value: v.value })),
    ...commandOf(a.command),
    ...(a.memoryMb === null ? {} : { memoryMb: a.memoryMb }),
    ...(a.cpus === null ? {} : { cpus: a.cpus }),
  };
}

/** One argument per line; blank lines are not arguments. None: the image's own command. */
function commandOf(text: string): { command?: string[] } {
  const args = text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
  return args.length ? { command: args } : {};
}

/**
 * A field as the core's schema names it (`app.env.1.name`, `app.secrets.0.value`) → the form's
 * (`app.vars.3.name`): plain and secret variables are one list in the form.
 */
export function appFieldPath(path: string, f: Pick<EnvironmentFormState, 'app'>): string {
  const m = /^app\.(env|secrets)\.(\d+)(\..*)?$/.exec(path);
  if (!m) return path;
  const secret = m[1] === 'secrets';
  const rows = f.app.vars.map((v, i) => [v, i] as const).filter(([v]) => v.secret === secret);
  const row = rows[Number(m[2])]?.[1];
  return row === undefined ? path : `app.vars.${row}${m[3] ?? ''}`;
}

/** A name for the next server row that no other row has: back3, back4, … */
export function nextServerName(rows: ServerRow[]): string {
  const taken = new Set(rows.map((r) => r.name));
  let n = rows.length + 1;
  while (taken.has(`back${n}`)) n++;
  return `back${n}`;
}

/** The placement as the core takes it: empty text fields are the defaults, left out. */
function clusterInput(c: ClusterFormState): Record<string, unknown> {
  return {
    replicas: c.replicas,
    slots: c.slots,
    constraints: c.constraints.map((r) => r.value.trim()),
    ...(c.spread.trim() ? { spread: c.spread.trim() } : {}),
    ...(c.lbNode ? { lbNode: c.lbNode } : {}),
  };
}

/**
 * On a cluster, the one server the service runs: `web` for the demo, `app` for the user's app;
 * it keeps the weight, limit and traffic mode of the first row (every slot takes them).
 */
function clusterServer(f: EnvironmentFormState): Record<string, unknown> {
  const kind = f.backends === 'app' ? 'app' : 'demo';
  const row = f.servers.find((s) => s.kind !== 'external');
  return { name: CLUSTER_SERVER[kind], kind, ...(row ? { weight: row.weight, ...(row.maxconn === null ? {} : { maxconn: row.maxconn }), state: row.state } : {}) };
}

/** What goes to the core; empty number fields stay null so the schema says they are required. */
export function toInput(f: EnvironmentFormState): Record<string, unknown> {
  // Back to the demo: no app (the environment view's save takes the saved one away).
  const app = f.backends === 'app' ? { app: appInput(f.app) } : {};
  const input = { ...app, ...plainInput(f) };
  // On a cluster, one service whose replicas are its tasks: the placement says how many.
  return f.cluster.enabled ? { ...input, cluster: clusterInput(f.cluster), servers: [clusterServer(f)] } : input;
}

function plainInput(f: EnvironmentFormState): Record<string, unknown> {
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
        : { name: s.name, kind: s.kind, weight: s.weight, ...maxconn, state: s.state };
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
  image: 'format.image',
  context: 'format.folder',
  dockerfile: 'format.dockerfile',
  registry: 'format.registry',
  username: 'format.registryUser',
  spread: 'format.spread',
  lbNode: 'format.node',
};

/** An app variable's field (`app.env.0.name`, `app.secrets.1.value`): its words differ from a server's or the environment's. */
const isVariable = (path: readonly PropertyKey[]) => path[0] === 'app' && (path[1] === 'env' || path[1] === 'secrets');

/** `value` is the field's value when known: an empty text is "required", whatever the rule it breaks. */
export function problemOf(issue: z.core.$ZodIssue, value?: unknown): FieldProblem {
  const leaf = String(issue.path[issue.path.length - 1] ?? '');
  const base = { params: {}, message: issue.message };
  switch (issue.code) {
    case 'invalid_format':
      if (value === '') return { ...base, key: 'required' };
      if (isVariable(issue.path) && leaf === 'name') return { ...base, key: 'format.variable' };
      if (issue.path[0] === 'cluster' && issue.path[1] === 'constraints') return { ...base, key: 'format.constraint' };
      return { ...base, key: FORMAT_KEYS[leaf] ?? 'format.other' };
    case 'invalid_type':
      if (issue.input === undefined || issue.input === null || issue.input === '') return { ...base, key: 'required' };
      return { ...base, key: issue.expected === 'int' ? 'integer' : 'number' };
    case 'too_small':
      if (value === '') return { ...base, key: 'required' };
      return leaf === 'servers' ? { ...base, key: 'tooFewServers' } : { ...base, key: 'min', params: { min: Number(issue.minimum) } };
    case 'too_big':
      return leaf === 'servers' ? { ...base, key: 'tooManyServers', params: { max: Number(issue.maximum) } } : { ...base, key: 'max', params: { max: Number(issue.maximum) } };
    case 'invalid_value':
      return { ...base, key: 'choice' };
    case 'custom':
      if (isVariable(issue.path)) return { ...base, key: leaf === 'name' ? 'duplicateVariable' : 'format.control' };
      if (leaf === 'context') return { ...base, key: value === '' ? 'required' : 'format.folder' };
      if (issue.path[0] === 'cluster' && leaf === 'slots') return { ...base, key: 'slotsAboveReplicas' };
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
      const path = appFieldPath(issue.path.map(String).join('.'), f);
      problems[path] ??= problemOf(issue, valueAt(raw, issue.path));
    }
  }
  // On a cluster the server rows are not shown: the placement says how many tasks run.
  if (f.backends === 'app' && !f.cluster.enabled) replicaProblems(f, problems);
  // The schema checks unique names only once everything else passes; say it at once.
  const seen = new Map<string, number>();
  f.servers.forEach((s, i) => {
    if (!s.name || f.cluster.enabled) return;
    if (seen.has(s.name)) problems[`servers.${i}.name`] ??= { key: 'duplicateServer', params: {}, message: `"${s.name}" is used by another server` };
    else seen.set(s.name, i);
  });
  if (Object.keys(problems).length > 0 || !res.success) return { problems };
  return { input: res.data, problems };
}

/** The replicas' count and prefix: what the schema says of their names is said of the prefix. */
function replicaProblems(f: EnvironmentFormState, problems: FieldProblems): void {
  const external = f.servers.filter((s) => s.kind === 'external').length;
  const count = f.replicas.count;
  if (count === null) problems['replicas.count'] = { key: 'required', params: {}, message: 'is required' };
  else if (!Number.isInteger(count)) problems['replicas.count'] = { key: 'integer', params: {}, message: 'must be a whole number' };
  else if (count < 1) problems['replicas.count'] = { key: 'min', params: { min: 1 }, message: 'must be at least 1' };
  else if (count > MAX_SERVERS - external) problems['replicas.count'] = { key: 'max', params: { max: MAX_SERVERS - external }, message: `must be at most ${MAX_SERVERS - external}` };
  f.servers.forEach((s, i) => {
    const p = problems[`servers.${i}.name`];
    if (s.kind !== 'app' || !p) return;
    delete problems[`servers.${i}.name`];
    problems['replicas.prefix'] ??= f.replicas.prefix === '' ? { ...p, key: 'required' } : p;
  });
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (v === null || v === undefined ? v : (v as Record<PropertyKey, unknown>)[k]), root);
}
