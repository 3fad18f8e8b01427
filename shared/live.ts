/**
 * Live operations: stats snapshots, health changes, server toggles, the traffic generator and
 * the access log. Request schemas and payload types; the channels are listed in contract.ts.
 */
import { z } from 'zod';
import { name, Server, ServerState } from './model';
import type { ServerHealth } from './status';

export const EnvWatch = z.object({ environment: name() }).strict();

export const ServerSet = z
  .object({
    environment: name(),
    server: name(),
    state: ServerState.optional(),
    weight: z.number().int('must be a whole number').min(0, 'must be between 0 and 256').max(256, 'must be between 0 and 256').optional(),
  })
  .strict()
  .refine((v) => v.state !== undefined || v.weight !== undefined, { message: 'give a state, a weight or both', path: ['state'] });

export const ServerAdd = z.object({ environment: name(), server: Server }).strict();
export const ServerRemove = z.object({ environment: name(), server: name() }).strict();

/** With `intervalMs`, sets how often stats are read; without, only tells the current value. */
export const StatsSettings = z.object({ intervalMs: z.number().int('must be a whole number').min(200, 'must be at least 200 ms').max(60_000, 'must be at most 60000 ms').optional() }).strict();

export const TrafficRequest = z
  .object({
    environment: name(),
    /** Send this many requests… */
    requests: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1_000_000, 'must be at most 1000000').optional(),
    /** …or keep sending for this long. */
    durationMs: z.number().int('must be a whole number').min(100, 'must be at least 100 ms').max(600_000, 'must be at most 600000 ms').optional(),
    concurrency: z.number().int('must be a whole number').min(1, 'must be between 1 and 256').max(256, 'must be between 1 and 256').default(4),
    /** At most this many requests per second, all clients together; as fast as they answer when absent. */
    ratePerSecond: z.number().min(0.1, 'must be at least 0.1').max(100_000, 'must be at most 100000').optional(),
    /** Each simulated client keeps the cookies it is given (sticky sessions), like a browser. */
    keepCookies: z.boolean().default(false),
    path: z
      .string()
      .regex(/^\/[A-Za-z0-9._~!&*+,;=:@%/?-]{0,199}$/, 'must start with / and contain no spaces or quotes')
      .default('/'),
  })
  .strict()
  .refine((v) => (v.requests === undefined) !== (v.durationMs === undefined), {
    message: 'give either requests or durationMs',
    path: ['requests'],
  });

export const TrafficRef = z.object({ taskId: z.string().min(1).max(64) }).strict();

export const LogsTail = z.object({ environment: name(), limit: z.number().int().min(1, 'must be between 1 and 1000').max(1000, 'must be between 1 and 1000').default(200) }).strict();

export type ServerSetRequest = z.output<typeof ServerSet>;
export type TrafficRequest = z.output<typeof TrafficRequest>;

export interface ServerStats {
  name: string;
  health: ServerHealth;
  /** HAProxy's status text, e.g. `UP 1/3`, `DRAIN`. */
  status: string;
  /** Admin state as HAProxy applies it. */
  state: 'ready' | 'drain' | 'maint';
  checkStatus: string;
  checkDurationMs?: number;
  /** Seconds since the last health change. */
  lastChangeSec?: number;
  weight: number;
  /** Current sessions. */
  sessions: number;
  /** HTTP requests sent to this server since the environment was first watched; never goes backwards. */
  hits: number;
  hitsPerSecond: number;
  responses: { '2xx': number; '3xx': number; '4xx': number; '5xx': number };
}

export interface StatsSnapshot {
  environment: string;
  at: string;
  /** False when HAProxy's runtime API did not answer (then servers is empty). */
  reachable: boolean;
  error?: string;
  frontend: { requestRate: number; requests: number; sessions: number };
  /**
   * The backend's own response totals (never going backwards). They count what HAProxy answered
   * itself too, such as a 503 when no server is up, which no server's counters hold.
   */
  backend?: { responses: ResponseCounts };
  servers: ServerStats[];
  /** What this poll added to the environment's history (`stats:history`); absent after a gap or on a first poll. */
  sample?: StatsSample;
}

/** The response classes the charts show, from HAProxy's hrsp_2xx, hrsp_4xx and hrsp_5xx. */
export const responseClasses = ['2xx', '4xx', '5xx'] as const;
export type ResponseClass = (typeof responseClasses)[number];
export type ResponseCounts = Record<ResponseClass, number>;

/**
 * The requests between two polls in a row (`from` and `to`, ms since the epoch), or several such
 * spans merged into one. Two samples whose spans do not touch have a gap between them: nothing
 * was polled then (the load balancer did not answer, or nobody watched).
 */
export interface StatsSample {
  from: number;
  to: number;
  /** Requests each server answered in the span; a server missing here was not listed at both ends. */
  servers: Record<string, number>;
  /** The backend's responses in the span, by class. */
  responses: ResponseCounts;
}

/** An environment's recent samples, oldest first: the last hour at most (see shared/stats-history.ts). */
export interface StatsHistory {
  environment: string;
  samples: StatsSample[];
}

export interface HealthChange {
  environment: string;
  server: string;
  from: ServerHealth;
  to: ServerHealth;
  at: string;
}

export interface ServerApplied {
  environment: string;
  server: string;
  state: 'ready' | 'drain' | 'maint';
  weight: number;
  /** Whether HAProxy took it at once (false: not deployed; saved for the next deploy). */
  applied: boolean;
}

export interface TrafficReport {
  taskId: string;
  environment: string;
  done: boolean;
  /** Stopped by the user before its count or duration was reached (`done` too). */
  stopped?: boolean;
  sent: number;
  ok: number;
  failed: number;
  /** Responses per backend server (from the X-Served-By header HAProxy adds). */
  byServer: Record<string, number>;
  /** Responses per HTTP status; failures without a response are under `error`. */
  statuses: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  elapsedMs: number;
  /** The first few failures, in words. */
  errors: string[];
}

export interface AccessLogEntry {
  at: string;
  client: string;
  frontend: string;
  backend: string;
  server: string;
  status: number;
  bytes: number;
  /** HAProxy's timers: request, queue, connect, response, total (ms; -1 when not reached). */
  timers: { tr: number; tw: number; tc: number; tr2: number; ta: number };
  terminationState: string;
  request: string;
  /** The line as HAProxy wrote it. */
  raw: string;
}

export interface LogLines {
  environment: string;
  entries: AccessLogEntry[];
}
