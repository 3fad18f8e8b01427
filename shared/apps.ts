/**
 * The user's own application behind the load balancer: an image from any registry, or a folder
 * with a Dockerfile built on the host's engine, run as the environment's `app` servers
 * (replicas). Variables may name the replica (`{{server}}`, `{{index}}`), as the tutorial's
 * BACKEND_NAME=back1 does; secret variables are sealed in the secret store, and only their
 * references live here.
 */
import { z } from 'zod';

/** A variable name as a shell and Docker accept it. */
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** Image references as in model.ts (kept here too so this file stands alone). */
const IMAGE_PATTERN =
  /^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** No control characters but tab and line breaks (they would corrupt a variable or a command line). */
const noControl = (v: string) =>
  [...v].every((c) => {
    const code = c.charCodeAt(0);
    return code === 9 || code === 10 || (code >= 32 && code !== 127);
  });

export const EnvVarName = z.string({ error: 'must be text' }).regex(ENV_NAME_PATTERN, 'must be a variable name: letters, digits and _, not starting with a digit');

export const EnvVar = z
  .object({
    name: EnvVarName,
    value: z.string({ error: 'must be text' }).max(8192, 'is too long').refine(noControl, 'must not contain control characters'),
  })
  .strict();

/** As stored: the value is a reference into the secret store. */
export const SecretVar = z.object({ name: EnvVarName, ref: z.string().min(1) }).strict();
/** As a user submits it: a new value to seal, or the reference of one kept already. */
export const SecretVarInput = z.union([SecretVar, z.object({ name: EnvVarName, value: z.string({ error: 'must be text' }).min(1, 'is required').max(8192, 'is too long') }).strict()]);

export const AppSource = z.discriminatedUnion(
  'kind',
  [
    z
      .object({ kind: z.literal('image'), image: z.string().max(255, 'is too long').regex(IMAGE_PATTERN, 'must be a Docker image reference such as nginx:1.27 or registry.example.com/team/app:1.2') })
      .strict(),
    z
      .object({
        kind: z.literal('build'),
        /** A folder on this computer; its contents are sent to the host's engine, which builds. */
        context: z
          .string({ error: 'must be a folder path' })
          .min(1, 'is required')
          .max(4096, 'is too long')
          .refine(noControl, 'must not contain control characters')
          .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path'),
        dockerfile: z
          .string()
          .max(255)
          .regex(/^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._/-]+$/, 'must be a path inside the folder, such as Dockerfile or docker/Dockerfile')
          .default('Dockerfile'),
      })
      .strict(),
  ],
  { error: 'must be { kind: "image", image } or { kind: "build", context }' },
);

const appFields = {
  source: AppSource,
  /** The port the app listens on inside its container. */
  port: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be between 1 and 65535').max(65535, 'must be between 1 and 65535').default(80),
  env: z.array(EnvVar).max(200, 'at most 200 variables').default([]),
  /** Replaces the image's command; absent: the image's own. */
  command: z.array(z.string().max(4096).refine(noControl, 'must not contain control characters')).max(100).optional(),
  memoryMb: z.number().int('must be a whole number of MB').min(6, 'must be at least 6 MB').max(1_048_576, 'is more than a machine has').optional(),
  cpus: z.number().min(0.01, 'must be at least 0.01').max(512, 'is more than a machine has').optional(),
};

function uniqueNames(app: { env: { name: string }[]; secrets: { name: string }[] }, ctx: z.RefinementCtx): void {
  const seen = new Map<string, string>();
  const check = (list: { name: string }[], key: 'env' | 'secrets') =>
    list.forEach((v, i) => {
      if (seen.has(v.name)) ctx.addIssue({ code: 'custom', path: [key, i, 'name'], message: `"${v.name}" is set twice` });
      seen.set(v.name, key);
    });
  check(app.env, 'env');
  check(app.secrets, 'secrets');
}

export const App = z
  .object({ ...appFields, secrets: z.array(SecretVar).max(100, 'at most 100 secret variables').default([]) })
  .strict()
  .superRefine(uniqueNames);
export const AppInput = z
  .object({ ...appFields, secrets: z.array(SecretVarInput).max(100, 'at most 100 secret variables').default([]) })
  .strict()
  .superRefine(uniqueNames);

export type App = z.infer<typeof App>;
export type AppInput = z.input<typeof AppInput>;
export type AppSource = z.infer<typeof AppSource>;

/** `{{server}}` and `{{index}}` (1-based, among the app's replicas) in a value, for one replica. */
export function expandFor(value: string, server: string, index: number): string {
  return value.replace(/\{\{\s*server\s*\}\}/g, server).replace(/\{\{\s*index\s*\}\}/g, String(index));
}

/** The names of an app's secret variables: all the window and the CLI ever see of them. */
export const secretNames = (app: Pick<App, 'secrets'>) => app.secrets.map((s) => s.name);
