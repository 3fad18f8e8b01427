/**
 * Private image registries: credentials per registry and per host (the engine that pulls is
 * the host's, so a registry reachable from a VPS may need its own login there). Passwords go
 * to the secret store; the data file and the window only ever see a reference.
 */
import { z } from 'zod';

/** Docker Hub, as image references without a registry part name it. */
export const DOCKER_HUB = 'docker.io';
/** The address Docker's engine expects for Docker Hub logins. */
export const DOCKER_HUB_AUTH_ADDRESS = 'https://index.docker.io/v1/';

const HOST_ID_PATTERN = /^[a-z](?:[a-z0-9-]{0,22}[a-z0-9])?$/;
/** `host[:port]`: a DNS name with a dot, `localhost`, or an IPv4 address. */
const REGISTRY_PATTERN = /^(?:localhost|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?|(?:\d{1,3}\.){3}\d{1,3})(?::\d{1,5})?$/;

export const RegistryName = z.string({ error: 'must be text' }).regex(REGISTRY_PATTERN, 'must be a registry address such as registry.example.com, ghcr.io or 127.0.0.1:5000 (no scheme, no path)');

const fields = {
  registry: RegistryName,
  /** The host whose engine pulls with these credentials. */
  host: z.string().regex(HOST_ID_PATTERN, 'must be the id of a known host').default('local'),
  username: z
    .string({ error: 'must be text' })
    .min(1, 'is required')
    .max(255, 'is too long')
    .regex(/^[^\s:]+$/, 'must not contain spaces or a colon'),
};

export const RegistryLogin = z
  .object({
    ...fields,
    password: z.string({ error: 'must be text' }).min(1, 'is required').max(8192, 'is too long'),
  })
  .strict();

export const RegistryRef = z.object({ registry: RegistryName, host: fields.host }).strict();

/** As kept in the data file: the password is a reference into the secret store. */
export const RegistryCredential = z.object({ ...fields, passwordRef: z.string().min(1) }).strict();

export type RegistryLogin = z.input<typeof RegistryLogin>;
export type RegistryCredential = z.infer<typeof RegistryCredential>;
/** What the window and the CLI see of a login. */
export type RegistryEntry = Omit<RegistryCredential, 'passwordRef'>;

/** The registry an image reference is pulled from (`docker.io` when it names none). */
export function registryOf(ref: string): string {
  const slash = ref.indexOf('/');
  if (slash < 0) return DOCKER_HUB;
  const first = ref.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : DOCKER_HUB;
}
