import YAML from 'yaml';
import { expandFor } from '../../../shared/apps';
import type { Environment, Server } from '../../../shared/model';
import { DEMO_BACKEND_PORT } from '../environments/naming';

/** What an export is made of: files written as given, and folders copied in (a build context). */
export interface ExportBundle {
  files: { path: string; content: string; mode?: number }[];
  /** `path` (inside the export) gets a copy of the folder `from` on this computer. */
  folders: { path: string; from: string }[];
  /** Secret variables the user must fill in: names only, never a value. */
  secrets: string[];
  /** Where their values go, inside the export; absent when the format asks for them itself. */
  secretsFile?: string;
  /** The command that starts it, from the export's folder. */
  run: string;
}

/** What the renderers need that the model does not say: the demo backend's image as the deployer tags it. */
export interface ExportFacts {
  /** `switchyard/demo-backend:<hash>`: what `docker/demo-backend` on `images.demoBase` is tagged. */
  demoImage: string;
  /** The tag a build-folder app gets. */
  appImage: string;
  /** The demo backend's build folder (the product's `docker/demo-backend`), copied in when demo servers run. */
  demoFolder: string;
}

type OwnServer = Extract<Server, { kind: 'demo' | 'app' }>;

/**
 * The environment with one server per container: an environment placed on a cluster (one
 * server run as N replicas) is written out as its N replicas (`web1` … `webN`), which is what
 * a compose project and a manifest run. Other environments are returned as they are.
 */
export function flatten(env: Environment): Environment {
  const { cluster, ...rest } = env as Environment & { cluster?: { replicas?: number } };
  if (!cluster) return env;
  const own = env.servers.find((s): s is OwnServer => s.kind !== 'external');
  if (!own) return rest as Environment;
  const replicas = Math.max(1, cluster.replicas ?? 1);
  const servers = Array.from({ length: replicas }, (_, i) => ({ ...own, name: `${own.name}${i + 1}` }));
  return { ...(rest as Environment), servers: [...servers, ...env.servers.filter((s) => s.kind === 'external')] };
}

export const demoServers = (env: Environment) => env.servers.filter((s): s is OwnServer => s.kind === 'demo');
export const appServers = (env: Environment) => (env.app ? env.servers.filter((s): s is OwnServer => s.kind === 'app') : []);
export const externalServers = (env: Environment) => env.servers.filter((s) => s.kind === 'external');

/** The port a server of the environment listens on in its container. */
export const portOf = (env: Environment, server: Server) => (server.kind === 'app' ? (env.app?.port ?? 80) : DEMO_BACKEND_PORT);

/** A demo backend's variables, as the deployer sets them. */
export const demoVariables = (server: string): Record<string, string> => ({ BACKEND_NAME: server, PORT: String(DEMO_BACKEND_PORT) });

/** A replica's plain variables, `{{server}}` and `{{index}}` expanded as the deployer expands them (secrets apart). */
export function appVariables(env: Environment, server: string): Record<string, string> {
  const index = appServers(env).findIndex((s) => s.name === server) + 1;
  return Object.fromEntries((env.app?.env ?? []).map((v) => [v.name, expandFor(v.value, server, index)]));
}

/**
 * For a group of replicas that differ only by a number (`back1`, `back2`): the common prefix,
 * so a replicated service can name each task the same way. Otherwise `fallback`.
 */
export function numberedPrefix(names: string[], fallback: string): string {
  const parts = names.map((n) => /^(.*?[^0-9])([1-9][0-9]*)$/.exec(n));
  if (parts.length === 0 || parts.some((p) => !p)) return fallback;
  const prefix = parts[0]![1];
  const numbers = parts.map((p) => Number(p![2])).sort((a, b) => a - b);
  const consecutive = numbers.every((n, i) => n === i + 1);
  return parts.every((p) => p![1] === prefix) && consecutive ? prefix : fallback;
}

/** Compose and stack files substitute `$NAME`: a literal dollar is written `$$`. */
export const literal = (v: string) => v.replace(/\$/g, '$$$$');

/**
 * YAML that YAML 1.1 readers (docker-compose's, Docker's stack loader, a cloud's) read as
 * meant: `"yes"`, `"1022:22"` and `"0777"` stay strings. Long lines are never folded.
 */
export function yamlText(value: unknown, comment: string[]): string {
  const doc = new YAML.Document(value, { version: '1.1' });
  doc.commentBefore = comment.map((l) => (l ? ` ${l}` : '')).join('\n');
  return doc.toString({ lineWidth: 0, minContentWidth: 0 });
}

/** The secret variables' names of the app that runs, if any. */
export const secretNames = (env: Environment) => (appServers(env).length ? (env.app?.secrets ?? []).map((s) => s.name) : []);

/** The `.env` file of a compose project or a stack: every secret, empty, with what to do. */
export function dotEnv(env: Environment, how: string): string {
  return [
    `# Secret variables of the app of "${env.name}". Switchyard never exports their values:`,
    '# they stay sealed in its secret store. Give each one its value here, after the "=",',
    `# ${how}`,
    '# Keep this file out of version control.',
    ...secretNames(env).map((n) => `${n}=`),
    '',
  ].join('\n');
}

/** Beside where the certificate goes: no private key is ever exported, the user puts theirs. */
export function certsNote(file: string, without: string): string {
  return [
    `Put the certificate HAProxy serves here, as ${file.split('/').pop()}: the certificate, its chain`,
    'and its private key in one PEM file, for example:',
    '',
    `  cat fullchain.pem privkey.pem > ${file}`,
    '',
    `Switchyard never exports a private key. ${without}`,
    '',
  ].join('\n');
}
