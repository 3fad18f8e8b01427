import type { ErrorCode, ErrorInfo } from '../../shared/errors';
import { toErrorInfo } from '../../shared/errors';
import { ConnectionLostError } from '../api/transport';

/** An error as the UI shows it: the core's codes, plus the connection dropping under a call. */
export interface UiError extends Omit<ErrorInfo, 'code'> {
  code: ErrorCode | 'DISCONNECTED';
}

export function toUiError(err: unknown): UiError {
  if (err instanceof ConnectionLostError) return { code: 'DISCONNECTED', message: err.message };
  return toErrorInfo(err);
}

/** The core's message without the `field: ` prefix it starts with when a field is named. */
export function messageWithoutField(e: UiError): string {
  if (e.field && e.message.startsWith(`${e.field}: `)) return e.message.slice(e.field.length + 2);
  return e.message;
}
