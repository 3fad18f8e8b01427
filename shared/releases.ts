/**
 * Releases: a change of an environment's app (image or build, variables, command, limits, port)
 * rolled out server by server with zero failed requests, and rolled back by itself when it
 * hurts. Every release is kept in the environment's history.
 */
import { z } from 'zod';
import { App, AppInput } from './apps';
import { name } from './model';

/** Servers switched at once; also the number of probe slots each load balancer keeps. */
export const MAX_RELEASE_BATCH = 8;

const ms = (min: number, max: number, what: string) =>
  z
    .number({ error: `must be a number of milliseconds` })
    .int('must be a whole number of milliseconds')
    .min(min, `${what} must be between ${min} and ${max} ms`)
    .max(max, `${what} must be between ${min} and ${max} ms`);

/** How a rollout goes. Every field has a default; a request may set any of them. */
export const RolloutPolicy = z
  .object({
    /** Servers replaced at once. */
    batch: z
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, `must be between 1 and ${MAX_RELEASE_BATCH}`)
      .max(MAX_RELEASE_BATCH, `must be between 1 and ${MAX_RELEASE_BATCH}`)
      .default(1),
    /** For a new container to pass its health check. */
    healthTimeoutMs: ms(1000, 600_000, 'the health timeout').default(60_000),
    /** For an old server's sessions to end once drained; then it goes to maintenance and its sticky clients move. */
    drainTimeoutMs: ms(0, 600_000, 'the drain timeout').default(10_000),
    /** How long each switched server is watched before the next batch starts. */
    monitorMs: ms(0, 600_000, 'the monitor window').default(5000),
    /** How long old containers are kept once the rollout succeeded (requests still finishing). */
    graceMs: ms(0, 600_000, 'the grace period').default(2000),
    /**
     * The share of a switched server's answers in the monitor window that may be errors (5xx,
     * failed connects or reads) before the rollout stops. At least `minErrors` errors are needed,
     * so one bad answer among three requests does not roll back a release.
     */
    maxErrorRate: z.number({ error: 'must be a number' }).min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.1),
    minErrors: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'is too large').default(3),
  })
  .strict();
export type RolloutPolicy = z.infer<typeof RolloutPolicy>;
export type RolloutPolicyInput = z.input<typeof RolloutPolicy>;

export const ReleaseRequest = z
  .object({
    environment: name(),
    /** The app as it should run; absent: the current app again (a moving tag pulled anew, a folder rebuilt). */
    app: AppInput.optional(),
    rollout: RolloutPolicy.partial().optional(),
  })
  .strict();
export type ReleaseRequest = z.input<typeof ReleaseRequest>;

export const RollbackRequest = z
  .object({
    environment: name(),
    /** The release to go back to; absent: the last one that succeeded before the current. */
    to: z.number({ error: 'must be a release number' }).int('must be a release number').min(1, 'must be a release number').optional(),
    rollout: RolloutPolicy.partial().optional(),
  })
  .strict();
export type RollbackRequest = z.input<typeof RollbackRequest>;

export const releaseResults = ['running', 'succeeded', 'rolled-back', 'failed'] as const;
export type ReleaseResult = (typeof releaseResults)[number];

/** Where one server is in a rollout, as the live view shows it (old → new). */
export const serverPhases = ['old', 'starting', 'healthy', 'draining', 'switched', 'new', 'rolling-back', 'restored'] as const;
export type ServerPhase = (typeof serverPhases)[number];

/** What a release changed in the app; variable names only, never a secret's value. */
export const ReleaseChange = z
  .object({
    field: z.enum(['image', 'build', 'port', 'command', 'memoryMb', 'cpus', 'env', 'secrets']),
    /** Old and new values, for what may be shown (not variables). */
    from: z.string().optional(),
    to: z.string().optional(),
    /** Variables added, changed or removed. */
    names: z.array(z.string()).optional(),
  })
  .strict();
export type ReleaseChange = z.infer<typeof ReleaseChange>;

/** `interrupted`: the process running it went away before it ended (closed by the next release or deploy). */
export const releaseCauseKinds = ['exited', 'unhealthy', 'down', 'errors', 'cancelled', 'failed', 'interrupted'] as const;
export const ReleaseCause = z
  .object({
    /**
     * exited: the new container stopped before it was healthy; unhealthy: it never passed its
     * health check in time; down: it went DOWN while watched; errors: past the error threshold;
     * cancelled; failed: anything else (a pull, a build, Docker).
     */
    kind: z.enum(releaseCauseKinds),
    server: z.string().optional(),
    /** In English, for the CLI and logs; the window words `kind` with `params` in its language. */
    message: z.string(),
    params: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
    /** The new container's last lines of output. */
    logs: z.array(z.string()).default([]),
  })
  .strict();
export type ReleaseCause = z.infer<typeof ReleaseCause>;

export const ReleaseRecord = z
  .object({
    environment: name(),
    number: z.number().int().min(1),
    startedAt: z.string(),
    endedAt: z.string().optional(),
    /** The installation (short id) and `user@machine` that ran it. */
    by: z.object({ installation: z.string(), user: z.string() }).strict(),
    /** The app as released (secret variables as references): what a rollback to it runs again. */
    app: App,
    /** The image reference, its id on the host, and the registry digest it resolved to when it has one. */
    image: z.object({ ref: z.string(), id: z.string(), digest: z.string().optional() }).strict(),
    changes: z.array(ReleaseChange),
    /** Set when this release went back to an earlier one. */
    rollbackTo: z.number().int().optional(),
    result: z.enum(releaseResults),
    cause: ReleaseCause.optional(),
    durationMs: z.number().int().optional(),
    /** Failed requests HAProxy itself counted for the environment while the release ran. */
    failedRequests: z.number().int().optional(),
    servers: z.array(z.object({ name: z.string(), phase: z.enum(serverPhases) }).strict()),
  })
  .strict();
export type ReleaseRecord = z.infer<typeof ReleaseRecord>;

/** Kept per environment: enough to go back weeks of daily releases; each holds the app's settings, not its image. */
export const MAX_RELEASES_KEPT = 50;

/** What changed from one app to the next, for the history (names of variables only). */
export function appChanges(before: App | undefined, after: App, images: { before?: string; after: string }): ReleaseChange[] {
  const out: ReleaseChange[] = [];
  const src = (a: App) => (a.source.kind === 'image' ? a.source.image : `${a.source.context} (${a.source.dockerfile})`);
  if (!before || before.source.kind !== after.source.kind || src(before) !== src(after)) {
    out.push({ field: after.source.kind === 'image' ? 'image' : 'build', ...(before ? { from: src(before) } : {}), to: src(after) });
  } else if (images.before !== images.after) {
    out.push({ field: after.source.kind === 'image' ? 'image' : 'build', from: src(before), to: `${src(after)} (new image)` });
  }
  if (before && before.port !== after.port) out.push({ field: 'port', from: String(before.port), to: String(after.port) });
  const cmd = (a?: App) => (a?.command ? a.command.join(' ') : '');
  if (before && cmd(before) !== cmd(after)) out.push({ field: 'command', from: cmd(before), to: cmd(after) });
  if (before && before.memoryMb !== after.memoryMb) out.push({ field: 'memoryMb', from: String(before.memoryMb ?? ''), to: String(after.memoryMb ?? '') });
  if (before && before.cpus !== after.cpus) out.push({ field: 'cpus', from: String(before.cpus ?? ''), to: String(after.cpus ?? '') });
  const changedNames = <T extends { name: string }>(a: T[], b: T[], same: (x: T, y: T) => boolean) => {
    const names = new Set<string>();
    for (const x of a) if (!b.some((y) => y.name === x.name && same(x, y))) names.add(x.name);
    for (const y of b) if (!a.some((x) => x.name === y.name)) names.add(y.name);
    return [...names].sort();
  };
  if (before) {
    const env = changedNames(before.env, after.env, (x, y) => x.value === y.value);
    if (env.length) out.push({ field: 'env', names: env });
    const secrets = changedNames(before.secrets, after.secrets, (x, y) => x.ref === y.ref);
    if (secrets.length) out.push({ field: 'secrets', names: secrets });
  }
  return out;
}
