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
}

export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;
  readonly detail?: string;

  constructor(code: ErrorCode, message: string, opts: { field?: string; detail?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SwitchyardError';
    this.code = code;
    this.field = opts.field;
    this.detail = opts.detail;
  }

  toInfo(): ErrorInfo {
    const info: ErrorInfo = { code: this.code, message: this.message };
    if (this.field !== undefined) info.field = this.field;
    if (this.detail !== undefined) info.detail = this.detail;
    return info;
  }

  static fromInfo(info: ErrorInfo): SwitchyardError {
    return new SwitchyardError(info.code, info.message, { field: info.field, detail: info.detail });
  }
}

/** Any thrown value as an ErrorInfo; unknown failures become INTERNAL with their message kept. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof SwitchyardError) return err.toInfo();
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message };
}

export type Envelope<T> = { ok: true; result: T } | { ok: false; error: ErrorInfo };
