/**
 * The data model: zod schemas are the single source of both the TypeScript types and the
 * runtime checks. Everything a user types that ends up in haproxy.cfg, a Docker name, a
 * label or a shell goes through one of these patterns first.
 */
import { z } from 'zod';
import { App, AppInput } from './apps';
import { HttpsSettings } from './https';
import { parseOrThrow } from './parse';

export { parseOrThrow };

/** Lower-case DNS-label style: safe in haproxy.cfg, Docker names, labels and host names. */
export const NAME_PATTERN = /^[a-z](?:[a-z0-9-]{0,22}[a-z0-9])?$/;
const COOKIE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** A URL path without spaces, quotes, `#` or control characters. */
const PATH_PATTERN = /^\/[A-Za-z0-9._~!&*+,;=:@%/?-]{0,199}$/;
const HOSTNAME_PATTERN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IMAGE_PATTERN =
  /^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export const name = () =>
  z.string({ error: 'must be text' }).regex(NAME_PATTERN, 'must be 1 to 24 characters: lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen');

const port = () => z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be between 1 and 65535').max(65535, 'must be between 1 and 65535');

const millis = (max = 3_600_000) =>
  z.number({ error: 'must be a number of milliseconds' }).int('must be a whole number of milliseconds').min(1, 'must be at least 1 ms').max(max, `must be at most ${max} ms`);

export const balanceAlgorithms = ['roundrobin', 'leastconn', 'source', 'random', 'first'] as const;
export const BalanceAlgorithm = z.enum(balanceAlgorithms, {
  error: `must be one of: ${balanceAlgorithms.join(', ')}`,
});

export const serverStates = ['ready', 'drain', 'maint'] as const;
export const ServerState = z.enum(serverStates, { error: `must be one of: ${serverStates.join(', ')}` });

export const ImageRef = z.string().max(255, 'image reference is too long').regex(IMAGE_PATTERN, 'must be a Docker image reference such as haproxy:lts or registry.example.com/team/app:1.2');

/**
 * Connections HAProxy opens to one demo backend at once; more requests wait in HAProxy's queue.
 * busybox httpd forks a process per connection and listens with a backlog of 9: past that,
 * connects are dropped and retried a second later.
 */
export const DEMO_SERVER_MAXCONN = 8;
export const MAX_SERVER_MAXCONN = 100_000;

const serverCommon = {
  name: name(),
  weight: z.number().int('must be a whole number').min(0, 'must be between 0 and 256').max(256, 'must be between 0 and 256').default(100),
  state: ServerState.default('ready'),
  /** Absent: DEMO_SERVER_MAXCONN for a demo backend, no limit for an external server. */
  maxconn: z
    .number({ error: 'must be a whole number of connections' })
    .int('must be a whole number of connections')
    .min(1, `must be between 1 and ${MAX_SERVER_MAXCONN}`)
    .max(MAX_SERVER_MAXCONN, `must be between 1 and ${MAX_SERVER_MAXCONN}`)
    .optional(),
};

export const DemoServer = z.object({ ...serverCommon, kind: z.literal('demo') }).strict();
export const ExternalServer = z
  .object({
    ...serverCommon,
    kind: z.literal('external'),
    address: z
      .string()
      .regex(HOSTNAME_PATTERN, 'must be a host name or an IPv4 address, without spaces, quotes or a port')
      .refine((v) => !/^[0-9.]+$/.test(v) || isIPv4(v), 'is not a valid IPv4 address'),
    port: port(),
  })
  .strict();

/** A replica of the environment's own app (its `app` settings say what runs). */
export const AppServer = z.object({ ...serverCommon, kind: z.literal('app') }).strict();

export const Server = z.discriminatedUnion('kind', [DemoServer, ExternalServer, AppServer], {
  error: 'must be "demo", "external" or "app"',
});

export const HealthCheck = z
  .object({
    type: z.enum(['tcp', 'http'], { error: 'must be "tcp" or "http"' }).default('http'),
    path: z.string().regex(PATH_PATTERN, 'must start with / and contain no spaces, quotes, $ or #').default('/health'),
    expectStatus: z.number().int().min(100, 'must be an HTTP status (100-599)').max(599, 'must be an HTTP status (100-599)').default(200),
    interval: millis(600_000).default(2000),
    rise: z.number().int().min(1, 'must be between 1 and 100').max(100, 'must be between 1 and 100').default(2),
    fall: z.number().int().min(1, 'must be between 1 and 100').max(100, 'must be between 1 and 100').default(3),
  })
  .strict();

export const Timeouts = z
  .object({
    // Backends sit on the same host or LAN: a connect that takes 2 s is a dead server.
    connect: millis().default(2000),
    client: millis().default(30_000),
    server: millis().default(30_000),
  })
  .strict();

export const Sticky = z
  .object({
    enabled: z.boolean().default(true),
    cookieName: z.string().regex(COOKIE_PATTERN, 'must be 1 to 64 letters, digits, _ or -').default('SERVERID'),
  })
  .strict();

/** The official long-term-support image; a stand-in can be set per environment. */
export const DEFAULT_HAPROXY_IMAGE = 'haproxy:lts';
export const DEFAULT_DEMO_BASE_IMAGE = 'busybox:1.37';

export const Images = z
  .object({
    haproxy: ImageRef.default(DEFAULT_HAPROXY_IMAGE),
    /** Base the demo backend image is built from (docker/demo-backend). */
    demoBase: ImageRef.default(DEFAULT_DEMO_BASE_IMAGE),
  })
  .strict();

export const MAX_SERVERS = 64;

/** The most replicas (and HAProxy slots) one environment's service may have on a cluster. */
export const MAX_CLUSTER_REPLICAS = 64;
/** A Swarm placement constraint Switchyard passes on as it is: `node.role==worker`, `node.labels.zone!=b`. */
const CONSTRAINT_PATTERN = /^(?:node\.(?:id|hostname|role|platform\.os|platform\.arch|labels\.[A-Za-z0-9._-]{1,64})|engine\.labels\.[A-Za-z0-9._-]{1,64})\s*(?:==|!=)\s*[A-Za-z0-9._-]{1,128}$/;
/** A node label or engine label to spread tasks over (`node.labels.zone`). */
const SPREAD_PATTERN = /^(?:node\.labels|engine\.labels)\.[A-Za-z0-9._-]{1,64}$/;
/** A node as Docker names it: its hostname or its id. */
const NODE_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

/**
 * An environment on a Docker Swarm cluster: its one backend server runs as a replicated service
 * on an overlay network, and HAProxy (a service on one node, publishing its ports there) finds
 * the tasks through Docker's DNS, one slot per task.
 */
export const ClusterPlacement = z
  .object({
    replicas: z
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, `must be between 1 and ${MAX_CLUSTER_REPLICAS}`)
      .max(MAX_CLUSTER_REPLICAS, `must be between 1 and ${MAX_CLUSTER_REPLICAS}`)
      .default(2),
    /**
     * HAProxy slots for tasks (`server-template`): scaling within them changes no config. At
     * least `replicas`; a release's start-first update needs one more per task it updates at once.
     */
    slots: z
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(2, `must be between 2 and ${MAX_CLUSTER_REPLICAS}`)
      .max(MAX_CLUSTER_REPLICAS, `must be between 2 and ${MAX_CLUSTER_REPLICAS}`)
      .default(16),
    constraints: z
      .array(z.string({ error: 'must be text' }).regex(CONSTRAINT_PATTERN, 'must be a placement constraint such as node.role==worker or node.labels.zone!=b'))
      .max(20, 'at most 20 constraints')
      .default([]),
    spread: z.string({ error: 'must be text' }).regex(SPREAD_PATTERN, 'must be a node or engine label such as node.labels.zone').optional(),
    /** The node HAProxy runs on (hostname or id); absent: the manager Switchyard reaches. */
    lbNode: z.string({ error: 'must be text' }).regex(NODE_PATTERN, "must be a node's hostname or id").optional(),
  })
  .strict()
  .refine((c) => c.slots > c.replicas, { message: 'must be more than replicas: a release starts a new task beside each old one', path: ['slots'] });

const environmentFields = {
  name: name(),
  host: z.string().regex(NAME_PATTERN, 'must be the id of a known host').default('local'),
  httpPort: port().default(8080),
  balance: BalanceAlgorithm.default('roundrobin'),
  sticky: Sticky.prefault({}),
  redispatch: z.boolean().default(true),
  retries: z.number().int('must be a whole number').min(0, 'must be between 0 and 10').max(10, 'must be between 0 and 10').default(3),
  healthCheck: HealthCheck.prefault({}),
  timeouts: Timeouts.prefault({}),
  images: Images.prefault({}),
  /** HTTPS with a certificate from an ACME directory (Let's Encrypt by default); off when absent. */
  https: HttpsSettings.optional(),
  /** The user's own app, run as the `app` servers; absent for the demo lab. */
  app: AppInput.optional(),
  /** Set: the environment runs on the Swarm cluster its host manages (see ClusterPlacement). */
  cluster: ClusterPlacement.optional(),
  servers: z
    .array(Server)
    // Without a server the load balancer can only answer 503: that is no environment.
    .min(1, 'an environment needs at least one server')
    .max(MAX_SERVERS, `at most ${MAX_SERVERS} servers per environment`)
    .default([
      { name: 'back1', kind: 'demo', weight: 100, state: 'ready' },
      { name: 'back2', kind: 'demo', weight: 100, state: 'ready' },
    ]),
};

function uniqueServerNames(env: { servers: { name: string; kind: string }[]; app?: unknown; cluster?: unknown }, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  env.servers.forEach((s, i) => {
    if (seen.has(s.name)) {
      ctx.addIssue({ code: 'custom', path: ['servers', i, 'name'], message: `"${s.name}" is used by another server` });
    }
    seen.add(s.name);
  });
  if (env.cluster !== undefined) {
    const own = env.servers.filter((s) => s.kind !== 'external');
    if (own.length !== 1 || env.servers.length !== 1) {
      ctx.addIssue({ code: 'custom', path: ['servers'], message: 'on a cluster, an environment runs one service: exactly one "demo" or "app" server (its replicas are set in cluster.replicas)' });
    } else if (own[0].name.length > 22) {
      ctx.addIssue({ code: 'custom', path: ['servers', 0, 'name'], message: 'must be at most 22 characters on a cluster (HAProxy names its slots after it: web1, web2, …)' });
    }
  }
  const replica = env.servers.findIndex((s) => s.kind === 'app');
  if (replica >= 0 && env.app === undefined) {
    ctx.addIssue({ code: 'custom', path: ['app'], message: 'is required: the environment has app servers, so it needs an app (an image or a build folder)' });
  }
}

/** What a user submits to create an environment: everything but the name has a default (the tutorial lab). */
export const EnvironmentInput = z.object(environmentFields).strict().superRefine(uniqueServerNames);

export const Environment = z
  .object({
    ...environmentFields,
    // Stored before a server was required: such a data folder must still load, to be fixed or forgotten.
    servers: z.array(Server).max(MAX_SERVERS, `at most ${MAX_SERVERS} servers per environment`),
    // Stored with its secrets sealed: only references.
    app: App.optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .strict()
  .superRefine(uniqueServerNames);

/**
 * A schema that accepts any subset of an object's fields and fills in no defaults (so a patch
 * never resets what it does not mention); nested objects become partial in turn.
 */
function patchOf(obj: z.ZodObject): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(obj.shape)) {
    let f: z.ZodType = field;
    if (f instanceof z.ZodDefault || f instanceof z.ZodPrefault) f = f.unwrap() as z.ZodType;
    // HTTPS settings and the app are replaced whole: their cross-field checks need every field.
    if (key === 'https') f = HttpsSettings;
    // `app: null` takes the app away (the servers must no longer run it).
    else if (key === 'app') f = AppInput.nullable();
    else if (key === 'cluster') f = ClusterPlacement;
    else if (f instanceof z.ZodObject) f = patchOf(f);
    shape[key] = f.optional();
  }
  return z.object(shape).strict();
}

export interface EnvironmentPatchFields {
  host?: string;
  httpPort?: number;
  balance?: BalanceAlgorithm;
  sticky?: Partial<z.input<typeof Sticky>>;
  redispatch?: boolean;
  retries?: number;
  healthCheck?: Partial<z.input<typeof HealthCheck>>;
  timeouts?: Partial<z.input<typeof Timeouts>>;
  images?: Partial<z.input<typeof Images>>;
  /** Replaces the whole list. */
  servers?: z.input<typeof Server>[];
  /** Replaces the whole HTTPS settings. */
  https?: z.input<typeof HttpsSettings>;
  /** Replaces the whole app (secret variables: a new `value`, or the `ref` of one kept); `null` removes it. */
  app?: AppInput | null;
  /** Replaces the whole cluster placement. */
  cluster?: z.input<typeof ClusterPlacement>;
}

/** A partial change to an environment (everything but its name). */
export const EnvironmentPatch = patchOf(z.object(environmentFields).omit({ name: true })) as unknown as z.ZodType<EnvironmentPatchFields, EnvironmentPatchFields>;

export const LocalHost = z
  .object({
    id: z.literal('local'),
    kind: z.literal('local'),
    name: z.string().min(1).max(64),
  })
  .strict();

export const LOCAL_HOST: LocalHost = { id: 'local', kind: 'local', name: 'This computer' };

export type Server = z.infer<typeof Server>;
export type ClusterPlacement = z.infer<typeof ClusterPlacement>;
export type ServerInput = z.input<typeof Server>;
export type ServerState = z.infer<typeof ServerState>;
export type BalanceAlgorithm = z.infer<typeof BalanceAlgorithm>;
export type Environment = z.infer<typeof Environment>;
export type EnvironmentInput = z.input<typeof EnvironmentInput>;
export type EnvironmentPatch = EnvironmentPatchFields;
export type LocalHost = z.infer<typeof LocalHost>;

function isIPv4(v: string): boolean {
  const parts = v.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}
