import { englishWith, type MessageParam, type MessageParams } from './messages';

/**
 * Errors that cross the core/renderer boundary. A code the UI can act on, a message a
 * person can read, and the field at fault when the input was the problem.
 */
export const errorCodes = [
  'VALIDATION',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'BUSY',
  'PORT_IN_USE',
  'OWNED_ELSEWHERE',
  'DOCKER_UNAVAILABLE',
  'IMAGE_MISSING',
  'IMAGE_PULL_DENIED',
  'REGISTRY_AUTH_FAILED',
  'IMAGE_BUILD_FAILED',
  'APP_TEST_FAILED',
  'INVALID_CONFIG',
  'CONTAINER_FAILED',
  'RUNTIME_API',
  'HOST_UNREACHABLE',
  'HOST_KEY_UNKNOWN',
  'HOST_KEY_CHANGED',
  'SSH_AUTH_FAILED',
  'CONNECTION_LOST',
  'DOCKER_ACCESS_DENIED',
  'HOST_NOT_READY',
  'PREFLIGHT_FAILED',
  'CHALLENGE_FAILED',
  'CA_ERROR',
  'STORE_CORRUPT',
  'STORE_LOCKED',
  'STORE_TOO_NEW',
  'CANCELLED',
  'TIMEOUT',
  'UNKNOWN_CHANNEL',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** Dotted path of the input field at fault, e.g. `servers.0.name`. */
  field?: string;
  /** Extra words a person can act on (the underlying cause, a command's output). */
  detail?: string;
  /**
   * Which of the code's cases it is, when the code covers several (see `errorReasons`): with
   * `params`, the window says it in its own language instead of quoting `message`.
   */
  reason?: string;
  params?: MessageParams;
}

interface ErrorOptions {
  field?: string;
  detail?: string;
  cause?: unknown;
  reason?: string;
  params?: MessageParams;
}

export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;
  readonly detail?: string;
  readonly reason?: string;
  readonly params?: MessageParams;

  constructor(code: ErrorCode, message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SwitchyardError';
    this.code = code;
    this.field = opts.field;
    this.detail = opts.detail;
    this.reason = opts.reason;
    this.params = opts.params;
  }

  /**
   * An error of one of the cases in `errorReasons`: its English message is made from the
   * case's template (with `detail` where the template quotes it), so the CLI and the window
   * can never say two different things.
   */
  static because<C extends ReasonCode, R extends ReasonOf<C>>(
    code: C,
    reason: R,
    params: ReasonParams<C, R>,
    opts: Omit<ErrorOptions, 'reason' | 'params'> = {},
  ): SwitchyardError {
    const message = englishError(code, reason, params as MessageParams, opts.detail);
    return new SwitchyardError(code, message, { ...opts, reason, params: params as MessageParams });
  }

  toInfo(): ErrorInfo {
    const info: ErrorInfo = { code: this.code, message: this.message };
    if (this.field !== undefined) info.field = this.field;
    if (this.detail !== undefined) info.detail = this.detail;
    if (this.reason !== undefined) info.reason = this.reason;
    if (this.params !== undefined) info.params = this.params;
    return info;
  }

  static fromInfo(info: ErrorInfo): SwitchyardError {
    return new SwitchyardError(info.code, info.message, { field: info.field, detail: info.detail, reason: info.reason, params: info.params });
  }
}

/**
 * The cases a code covers, each with the parameters it carries and its English (what the CLI
 * prints). `{detail}` in the English quotes the error's detail (a tool's own words, Docker's
 * for instance): the window shows that apart, under "Details", never in its own sentence.
 */
export const errorReasons = {
  PORT_IN_USE: {
    container: {
      params: ['port', 'holder'],
      english: 'Port {port} is already in use by the container {holder}. Choose another HTTP port for this environment.',
    },
    program: { params: ['port'], english: 'Port {port} is already in use by another program. Choose another HTTP port for this environment.' },
    environment: { params: ['port', 'holder'], english: 'Port {port} is already used by the environment "{holder}" on the same host' },
  },
  IMAGE_MISSING: {
    absent: { params: ['image', 'registry'], english: 'The image {image} is not on the host and could not be pulled: {registry} has no image {image}: check its name and tag.' },
    unreachable: { params: ['image', 'registry'], english: 'The image {image} is not on the host and could not be pulled: {registry} could not be reached or failed: {detail}.' },
    vanished: { params: ['image'], english: 'The image {image} was pulled but cannot be found' },
  },
  IMAGE_PULL_DENIED: {
    loginNeeded: {
      params: ['image', 'registry'],
      english: 'Pulling {image} was refused: {registry} wants a login. Log in first: switchyard registry login {registry}. Nothing was deployed.',
    },
    loginRefused: {
      params: ['image', 'registry'],
      english: 'Pulling {image} was refused: {registry} refused the login kept for it. Log in again: switchyard registry login {registry}. Nothing was deployed.',
    },
  },
  IMAGE_BUILD_FAILED: {
    build: {
      params: ['base'],
      english: 'Could not build the demo backend image from {base}: {detail}. Make sure {base} is on the host or can be pulled, or choose another base image (images.demoBase).',
    },
  },
  OWNED_ELSEWHERE: {
    owned: {
      params: ['env', 'installation', 'by'],
      english: '"{env}" on this host is managed by another Switchyard (installation {installation}, {by}). Nothing was changed. Adopt it to take it over.',
    },
  },
  PREFLIGHT_FAILED: {
    port: {
      params: ['ca', 'port', 'listenPort'],
      english:
        "{detail} {ca} validates on port {port}, but this environment's HTTP port is {listenPort}: set the environment's HTTP port to {port}, or forward port {port} to {listenPort} (router, firewall).",
    },
  },
  DOCKER_UNAVAILABLE: {
    engine: { params: ['doing', 'errno'], english: 'Cannot reach the Docker engine while {doing} ({errno}): is Docker running?' },
    denied: { params: ['doing', 'errno'], english: 'Cannot reach the Docker engine while {doing} ({errno}): your user may not be allowed to use Docker' },
  },
  CONTAINER_FAILED: {
    start: { params: [], english: 'The load balancer container did not start: {detail}' },
    exited: { params: ['exitCode', 'log'], english: 'HAProxy stopped right after starting (exit code {exitCode}). Its log: {log}' },
  },
  INVALID_CONFIG: {
    haproxy: { params: ['alerts'], english: 'HAProxy refused the new configuration, so the running one was kept: {alerts}' },
  },
  TIMEOUT: {
    http: { params: ['port'], english: 'The load balancer does not answer on port {port}: {detail}' },
  },
  INTERNAL: {
    docker: { params: ['doing'], english: 'Docker failed while {doing}: {detail}' },
  },
} as const satisfies Partial<Record<ErrorCode, Record<string, { params: readonly string[]; english: string }>>>;

export type ReasonCode = keyof typeof errorReasons;
export type ReasonOf<C extends ReasonCode> = keyof (typeof errorReasons)[C] & string;
type ReasonEntry<C extends ReasonCode, R extends ReasonOf<C>> = (typeof errorReasons)[C][R] extends { params: readonly (infer P extends string)[] } ? P : never;
export type ReasonParams<C extends ReasonCode, R extends ReasonOf<C>> = { [K in ReasonEntry<C, R>]: MessageParam };

/** Every (code, reason) pair the core can send: what the window must have words for. */
export const errorReasonKeys: { code: ReasonCode; reason: string; params: readonly string[]; english: string }[] = Object.entries(errorReasons).flatMap(([code, cases]) =>
  Object.entries(cases as Record<string, { params: readonly string[]; english: string }>).map(([reason, c]) => ({ code: code as ReasonCode, reason, ...c })),
);

/** The English of one case, as the CLI prints it. */
export function englishError(code: ReasonCode, reason: string, params: MessageParams, detail?: string): string {
  const entry = (errorReasons[code] as Record<string, { english: string }>)[reason];
  if (!entry) throw new Error(`No English for ${code}/${reason}`);
  return englishWith(entry.english, detail === undefined ? params : { ...params, detail });
}

/** Any thrown value as an ErrorInfo; unknown failures become INTERNAL with their message kept. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof SwitchyardError) return err.toInfo();
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message };
}

export type Envelope<T> = { ok: true; result: T } | { ok: false; error: ErrorInfo };
