import type { z } from 'zod';
import { SwitchyardError } from './errors';

/**
 * Parses `value` with `schema`; on failure throws a VALIDATION error whose message and
 * field name the first problem (e.g. `servers.0.name: Server name must be …`).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const res = schema.safeParse(value);
  if (res.success) return res.data;
  const issue = res.error.issues[0];
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const field = [path, key].filter(Boolean).join('.');
    throw new SwitchyardError('VALIDATION', `${field}: unknown field`, { field });
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
  throw new SwitchyardError('VALIDATION', path ? `${path}: ${message}` : message, path ? { field: path } : {});
}
