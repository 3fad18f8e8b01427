/**
 * Remote hosts reached over SSH. What a user types (`SshHostInput`) holds secrets; what is
 * stored (`SshHost`) holds only references to them in the secret store, and the host key
 * the user has accepted. Every value that ends up in a connection, a log line or a remote
 * command is checked here first.
 */
import { z } from 'zod';
import type { ErrorCode } from './errors';
import type { Message, MessageParams } from './messages';
import { LocalHost, NAME_PATTERN, parseOrThrow } from './model';

const HOSTNAME_PATTERN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** POSIX portable user names (what `useradd` accepts by default, plus upper case and dots). */
const USER_PATTERN = /^[A-Za-z_][A-Za-z0-9._-]{0,31}$/;
/**
 * An absolute POSIX or Windows path. Spaces are allowed ("C:\Users\Jean Dupont\.ssh\id_ed25519"
 * is common, and the path is only ever opened by the app, never put in a shell); quotes,
 * `$`, backticks and control characters are not.
 */
const KEY_PATH_PATTERN = /^(?:\/|[A-Za-z]:[\\/])[^\p{Cc}"'`$]{0,1023}$/u;
/** A secret is sent inside the SSH protocol, never through a shell: only line breaks and other control characters are refused. */
const SECRET_PATTERN = /^\P{Cc}{1,1024}$/u;
/** An OpenSSH key type, e.g. ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa. */
const KEY_ALGORITHM_PATTERN = /^[a-z0-9][a-z0-9@.-]{2,63}$/;
/** `ssh-keygen -l` form: SHA256 of the key blob, base64 without padding (43 characters). */
export const FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}$/;
const SECRET_REF_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

const hostName = () =>
  z.string({ error: 'must be text' }).regex(NAME_PATTERN, 'must be 1 to 24 characters: lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen');

export const SshAddress = z
  .string({ error: 'must be text' })
  .regex(HOSTNAME_PATTERN, 'must be a host name or an IPv4 address, without spaces, quotes or a port')
  .refine((v) => !/^[0-9.]+$/.test(v) || isIPv4(v), 'is not a valid IPv4 address');

const sshPort = () => z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be between 1 and 65535').max(65535, 'must be between 1 and 65535').default(22);

const sshUser = () => z.string({ error: 'must be text' }).regex(USER_PATTERN, 'must be a user name: letters, digits, ".", "_" or "-", not starting with a digit, "." or "-", at most 32 characters');

const keyPath = () => z.string({ error: 'must be text' }).regex(KEY_PATH_PATTERN, 'must be the absolute path of a private key file, without quotes, $ or line breaks');

const secret = (what: string) => z.string({ error: 'must be text' }).regex(SECRET_PATTERN, `must be a ${what} of 1 to 1024 characters without line breaks`);

export const SecretRef = z.string({ error: 'must be text' }).regex(SECRET_REF_PATTERN, 'must be a secret reference');

export const HostKey = z
  .object({
    algorithm: z.string({ error: 'must be text' }).regex(KEY_ALGORITHM_PATTERN, 'must be an SSH key type such as ssh-ed25519'),
    fingerprint: z.string({ error: 'must be text' }).regex(FINGERPRINT_PATTERN, 'must be a SHA256 fingerprint as ssh-keygen -l prints it (SHA256: and 43 characters)'),
  })
  .strict();

export const sshAuthMethods = ['agent', 'key', 'password'] as const;
const authError = { error: `must be one of: ${sshAuthMethods.join(', ')}` };

export const SshAuthInput = z.discriminatedUnion(
  'method',
  [
    z.object({ method: z.literal('agent') }).strict(),
    z.object({ method: z.literal('key'), keyPath: keyPath(), passphrase: secret('passphrase').optional() }).strict(),
    z.object({ method: z.literal('password'), password: secret('password') }).strict(),
  ],
  authError,
);

export const SshAuth = z.discriminatedUnion(
  'method',
  [
    z.object({ method: z.literal('agent') }).strict(),
    z.object({ method: z.literal('key'), keyPath: keyPath(), passphraseRef: SecretRef.optional() }).strict(),
    z.object({ method: z.literal('password'), passwordRef: SecretRef }).strict(),
  ],
  authError,
);

/** The engine's Unix socket on the host: /var/run/docker.sock unless Docker listens elsewhere (rootless Docker: /run/user/1000/docker.sock). */
export const DockerSocketPath = z
  .string({ error: 'must be text' })
  .regex(/^\/[A-Za-z0-9._/-]{1,255}$/, 'must be the absolute path of a Unix socket on the host, such as /var/run/docker.sock or /run/user/1000/docker.sock')
  .refine((p) => !p.split('/').includes('..'), 'must not contain ..');

const connectionFields = {
  address: SshAddress,
  port: sshPort(),
  user: sshUser(),
  dockerSocket: DockerSocketPath.optional(),
};

/** What a user submits to add a host; `name` becomes the host's id. */
export const SshHostInput = z
  .object({
    name: hostName().refine((v) => v !== 'local', '"local" is this computer; choose another name'),
    ...connectionFields,
    auth: SshAuthInput,
    /** A key the user has already compared with the server's (e.g. from `ssh-keygen -lf`). */
    hostKey: HostKey.optional(),
  })
  .strict();

/** A host as stored: secrets are references into the secret store, never the values. */
export const SshHost = z
  .object({
    kind: z.literal('ssh'),
    id: hostName(),
    name: hostName(),
    ...connectionFields,
    auth: SshAuth,
    hostKey: HostKey.optional(),
  })
  .strict()
  .refine((h) => h.id === h.name, { message: 'must equal the host name', path: ['id'] });

/**
 * Every kind of host. It lives here, not in model.ts, because this file imports model.ts:
 * the other way round would be an import cycle.
 */
export const Host = z.discriminatedUnion('kind', [LocalHost, SshHost]);

export const hostCheckNames = ['reachable', 'host-key', 'authenticated', 'docker', 'docker-access', 'architecture', 'disk', 'swarm', 'port'] as const;
export type HostCheckName = (typeof hostCheckNames)[number];

/** One line of a host check: what was found and, when not ok, what to do about it. */
export interface HostCheckResult {
  check: HostCheckName;
  ok: boolean;
  message: string;
  /** Not run, because an earlier check failed. */
  skipped?: true;
  /** For `port` checks. */
  port?: number;
  /** The error's machine-readable detail (`host-key-unknown SHA256:…`, `ssh-auth-failed`…), for logs and scripts. */
  detail?: string;
  /** On a failed `host-key` check: the key the server presented (and the one trusted before), for the UI to offer trusting it. */
  hostKey?: HostKeyProblem;
  /** On a failed (not skipped) check: the error code a call would fail with for the same cause. */
  code?: ErrorCode;
  /** On a failed check: the error's case and parameters (see errorReasons), for the window to word it. */
  reason?: string;
  params?: MessageParams;
  /** On a passed or skipped check: `message` as a code and parameters, for the window to word it. */
  text?: Message;
}

export type Host = z.infer<typeof Host>;
export type SshHostInput = z.input<typeof SshHostInput>;
export type SshHost = z.infer<typeof SshHost>;
export type SshAuthInput = z.infer<typeof SshAuthInput>;
export type SshAuth = z.infer<typeof SshAuth>;
export type HostKey = z.infer<typeof HostKey>;

/** Checks a user's input; a bad value throws VALIDATION naming the field (e.g. `auth.keyPath`). */
export function parseSshHostInput(input: unknown): z.infer<typeof SshHostInput> {
  return parseOrThrow(SshHostInput, input);
}

/**
 * The stored form of a parsed input, once its secrets have been put in the secret store.
 * `refs` holds the references `put` returned.
 */
export function storedHost(input: z.infer<typeof SshHostInput>, refs: { password?: string; passphrase?: string }): SshHost {
  const a = input.auth;
  let auth: SshAuth;
  if (a.method === 'password') {
    if (!refs.password) throw new Error('storedHost: the password must be stored first');
    auth = { method: 'password', passwordRef: refs.password };
  } else if (a.method === 'key') {
    if (a.passphrase !== undefined && !refs.passphrase) throw new Error('storedHost: the passphrase must be stored first');
    auth = refs.passphrase ? { method: 'key', keyPath: a.keyPath, passphraseRef: refs.passphrase } : { method: 'key', keyPath: a.keyPath };
  } else {
    auth = { method: 'agent' };
  }
  const host: Record<string, unknown> = { kind: 'ssh', id: input.name, name: input.name, address: input.address, port: input.port, user: input.user, auth };
  if (input.hostKey) host.hostKey = input.hostKey;
  if (input.dockerSocket) host.dockerSocket = input.dockerSocket;
  return parseOrThrow(SshHost, host);
}

/**
 * Machine-readable `detail` of host-key errors, so the UI can show the fingerprint and ask:
 * `host-key-unknown <fingerprint> <algorithm>` and
 * `host-key-changed <fingerprint> <algorithm> expected <fingerprint>`.
 */
export const HOST_KEY_UNKNOWN = 'host-key-unknown';
export const HOST_KEY_CHANGED = 'host-key-changed';

export function hostKeyDetail(kind: typeof HOST_KEY_UNKNOWN | typeof HOST_KEY_CHANGED, presented: HostKey, expected?: HostKey): string {
  const base = `${kind} ${presented.fingerprint} ${presented.algorithm}`;
  return expected ? `${base} expected ${expected.fingerprint}` : base;
}

/** A host key the connection refused: not trusted yet, or not the one trusted before (its fingerprint). */
export interface HostKeyProblem {
  kind: 'unknown' | 'changed';
  presented: HostKey;
  expected?: string;
}

/** The presented key of a host-key error's detail, or undefined when the detail is something else. */
export function parseHostKeyDetail(detail: string | undefined): HostKeyProblem | undefined {
  const m = /^host-key-(unknown|changed) (SHA256:[A-Za-z0-9+/]{43}) ([a-z0-9][a-z0-9@.-]{2,63})(?: expected (SHA256:[A-Za-z0-9+/]{43}))?$/.exec(detail ?? '');
  if (!m) return undefined;
  const out: HostKeyProblem = {
    kind: m[1] as 'unknown' | 'changed',
    presented: { fingerprint: m[2], algorithm: m[3] },
  };
  if (m[4]) out.expected = m[4];
  return out;
}

/** Where OpenSSH keeps the server's public key of that type, for `ssh-keygen -lf` on the server. */
export function hostKeyFile(algorithm: string): string {
  const type = algorithm.startsWith('ecdsa') ? 'ecdsa' : algorithm.includes('ed25519') ? 'ed25519' : algorithm.includes('rsa') ? 'rsa' : '*';
  return `/etc/ssh/ssh_host_${type}_key.pub`;
}

function isIPv4(v: string): boolean {
  const parts = v.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}
