/**
 * The one list of every channel (request schema + response type) and every event.
 * Both transports (Electron IPC and the headless WebSocket) and the CLI are generic
 * over this map; no channel name is spelled anywhere else as a loose string.
 */
import { z } from 'zod';
import type { ErrorInfo } from './errors';
import type { CertificateStatus } from './https';
import { RegistryLogin, RegistryRef, type RegistryEntry } from './registries';
import { HostKey, SshHostInput, type Host, type HostCheckResult, type SshHost } from './hosts';
import { EnvironmentInput, EnvironmentPatch, type Environment, name } from './model';
import {
  EnvWatch,
  LogsTail,
  ServerAdd,
  ServerRemove,
  ServerSet,
  StatsSettings,
  TrafficRef,
  TrafficRequest,
  type AccessLogEntry,
  type HealthChange,
  type LogLines,
  type ServerApplied,
  type StatsSnapshot,
  type TrafficReport,
} from './live';

/** Declares a channel: `channel(RequestSchema).returns<ResponseType>()`. */
function channel<Req extends z.ZodType>(request: Req) {
  return {
    returns: <Res>(): { request: Req; response?: Res } => ({ request }),
  };
}
/** Declares an event's payload type. */
function event<Payload>(): { payload?: Payload } {
  return {};
}

const Empty = z.object({}).strict();
const EnvRef = z.object({ name: name() }).strict();
const ServerRef = z.object({ environment: name(), server: name() }).strict();
const TaskRef = z.object({ id: z.string().min(1).max(64) }).strict();

export const taskKinds = ['deploy', 'destroy', 'traffic', 'certificate', 'adopt'] as const;
export type TaskKind = (typeof taskKinds)[number];
export const taskStates = ['running', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskState = (typeof taskStates)[number];

export interface TaskStep {
  /** Stable identifier (`images`, `network`, `backends`, `config`, `haproxy`, `verify`, …). */
  name: string;
  state: 'running' | 'done' | 'failed' | 'skipped';
  message?: string;
  startedAt: string;
  endedAt?: string;
}

export interface Task {
  id: string;
  kind: TaskKind;
  /** What the task acts on, e.g. the environment's name. */
  target: string;
  state: TaskState;
  /** The step under way (or the last one). */
  step: string;
  /** 0 to 100. */
  progress: number;
  message: string;
  steps: TaskStep[];
  error?: ErrorInfo;
  createdAt: string;
  endedAt?: string;
}

export interface TaskStarted {
  taskId: string;
}

export type ContainerRole = 'haproxy' | 'backend';

export interface ContainerStatus {
  name: string;
  role: ContainerRole;
  /** For backends: the server it runs. */
  server?: string;
  /** Docker's state: running, exited, created, … */
  state: string;
  image: string;
  id: string;
}

export type ServerHealth = 'UP' | 'DOWN' | 'MAINT' | 'DRAIN' | 'NOLB' | 'NO_CHECK' | 'UNKNOWN';

export interface ServerStatus {
  name: string;
  /** Health as HAProxy reports it, reduced to a word. */
  health: ServerHealth;
  /** HAProxy's own status text, e.g. `UP 1/3`. */
  status: string;
  weight: number;
  container?: string;
}

export type EnvironmentState = 'not-deployed' | 'running' | 'partly-down' | 'stopped' | 'failed' | 'owned-elsewhere';

/** An installation of Switchyard (one data folder), as resources on an engine name it. */
export interface InstallationRef {
  /** Its id (a UUID). */
  installation: string;
  /** Who created it: `user@machine`. */
  by: string;
}

export interface EnvironmentStatus {
  name: string;
  state: EnvironmentState;
  /** Who manages it on the host, when that is another Switchyard (`owned-elsewhere`). */
  owner?: InstallationRef;
  /** The front end's address, once deployed. */
  url?: string;
  containers: ContainerStatus[];
  servers: ServerStatus[];
  haproxy: {
    /** HAProxy's version as its runtime API reports it. */
    version?: string;
    /** Whether the runtime API answered. */
    reachable: boolean;
    /** Whether the config running is the one the model renders today. */
    configInSync: boolean;
  };
}

/** An environment found on a host, deployed by this or another Switchyard. */
export interface FoundEnvironment {
  name: string;
  /** This installation's store has an environment of that name on the host. */
  known: boolean;
  /** This installation manages it there (its own, or one it may claim: made before installations had ids). */
  managedHere: boolean;
  /** Who manages it, when the host says so. */
  owner?: InstallationRef;
  containers: number;
  running: number;
  httpPort?: number;
  /** Settings to adopt it with exist: this store's, or those its manager left on the host. */
  adoptable: boolean;
}

export interface SystemInfo {
  version: string;
  dataDir: string;
  /** This installation: what its resources on every engine are labelled with. */
  installation: InstallationRef;
  docker: { reachable: boolean; version?: string; error?: string };
}

export interface RenderedConfig {
  config: string;
}

/**
 * What Switchyard creates on a host for one environment, by name: what may remain there when
 * the environment is forgotten without the host being reached.
 */
export interface Footprint {
  environment: string;
  /** The id of the host it is placed on. */
  host: string;
  /** Every container, network and volume of it carries this label (`docker ps -a --filter label=…`). */
  label: string;
  containers: string[];
  networks: string[];
  volumes: string[];
}

export interface Forgotten {
  forgotten: true;
  /** What may remain on the host, one entry per environment forgotten. */
  left: Footprint[];
}

export const channels = {
  'system:info': channel(Empty).returns<SystemInfo>(),
  'hosts:list': channel(Empty).returns<Host[]>(),
  /** Adds a host reached over SSH; its password or passphrase goes to the encrypted secret store. */
  'hosts:add': channel(SshHostInput).returns<SshHost>(),
  /** Pins the host key the user compared (trust on first use, or a deliberate re-accept). */
  'hosts:trust': channel(z.object({ id: name(), hostKey: HostKey }).strict()).returns<SshHost>(),
  'hosts:remove': channel(z.object({ id: name() }).strict()).returns<{ removed: true }>(),
  /** What the environments placed on a host have there, by name; the host is not contacted. */
  'hosts:footprint': channel(z.object({ id: name() }).strict()).returns<Footprint[]>(),
  /** Forgets a host and the environments placed on it, without contacting it; its stored secrets are deleted. */
  'hosts:forget': channel(z.object({ id: name() }).strict()).returns<Forgotten>(),
  /** Reachable, authenticated, Docker and its version, Docker access, architecture, disk, ports. */
  /** Environments deployed on a host by any Switchyard, with who manages each. */
  'hosts:environments': channel(z.object({ id: name() }).strict()).returns<FoundEnvironment[]>(),
  'hosts:check': channel(
    z.object({ id: name(), ports: z.array(z.number().int().min(1, 'must be between 1 and 65535').max(65535, 'must be between 1 and 65535')).max(20).default([]) }).strict(),
  ).returns<HostCheckResult[]>(),
  /** Private registry logins (never their passwords). */
  'registries:list': channel(Empty).returns<RegistryEntry[]>(),
  /** Checks a login with the host's engine, then keeps it (the password sealed); replaces an earlier one. */
  'registries:login': channel(RegistryLogin).returns<RegistryEntry>(),
  'registries:logout': channel(RegistryRef).returns<{ removed: true }>(),
  'environments:list': channel(Empty).returns<Environment[]>(),
  'environments:get': channel(EnvRef).returns<Environment>(),
  'environments:create': channel(EnvironmentInput).returns<Environment>(),
  'environments:update': channel(z.object({ name: EnvRef.shape.name, patch: EnvironmentPatch }).strict()).returns<Environment>(),
  /** The haproxy.cfg an update would render, nothing saved: for a diff before saving. */
  'environments:preview': channel(z.object({ name: EnvRef.shape.name, patch: EnvironmentPatch }).strict()).returns<RenderedConfig>(),
  /** Forgets an environment; refused while containers of it exist (destroy first). */
  'environments:remove': channel(EnvRef).returns<{ removed: true }>(),
  /** What an environment has on its host, by name; the host is not contacted. */
  'environments:footprint': channel(EnvRef).returns<Footprint>(),
  /** Forgets an environment without contacting its host (gone for good): what may remain there. */
  'environments:forget': channel(EnvRef).returns<Forgotten>(),
  'environments:render': channel(EnvRef).returns<RenderedConfig>(),
  /** The haproxy.cfg inside the running load balancer (null when there is none): what a deploy would change. */
  'environments:running': channel(EnvRef).returns<{ config: string | null }>(),
  'environments:deploy': channel(EnvRef).returns<TaskStarted>(),
  'environments:destroy': channel(EnvRef).returns<TaskStarted>(),
  'environments:status': channel(EnvRef).returns<EnvironmentStatus>(),
  /**
   * Takes an environment over from the Switchyard that manages it on a host (or claims one made
   * before installations had ids). A task: it ends with a deploy of the adopted settings.
   */
  'environments:adopt': channel(z.object({ name: name(), host: name() }).strict()).returns<TaskStarted>(),
  /** Stops a backend's container (the failover drill). */
  'servers:stop': channel(ServerRef).returns<ContainerStatus>(),
  'servers:start': channel(ServerRef).returns<ContainerStatus>(),
  /** Sets a server ready / drain / maint and/or its weight: at once through the runtime API, and kept in the model. */
  'servers:set': channel(ServerSet).returns<ServerApplied>(),
  /** Adds a server to the model and deploys (a reload: no request dropped). */
  'servers:add': channel(ServerAdd).returns<TaskStarted>(),
  'servers:remove': channel(ServerRemove).returns<TaskStarted>(),
  /** Starts `stats:snapshot` events for an environment (counted: each watch needs an unwatch). */
  'stats:watch': channel(EnvWatch).returns<{ watching: number }>(),
  'stats:unwatch': channel(EnvWatch).returns<{ watching: number }>(),
  /** One snapshot now, without watching. */
  'stats:get': channel(EnvWatch).returns<StatsSnapshot>(),
  'stats:settings': channel(StatsSettings).returns<{ intervalMs: number }>(),
  /** Sends requests through the environment's front end; progress as `traffic:progress`. */
  'traffic:run': channel(TrafficRequest).returns<TaskStarted>(),
  'traffic:get': channel(TrafficRef).returns<TrafficReport>(),
  /** Starts `logs:lines` events with the load balancer's parsed access log. */
  'logs:watch': channel(EnvWatch).returns<{ watching: number }>(),
  'logs:unwatch': channel(EnvWatch).returns<{ watching: number }>(),
  /** The latest access log entries (bounded). */
  'logs:tail': channel(LogsTail).returns<AccessLogEntry[]>(),
  /** Obtains (or renews) the environment's certificate and installs it: preflight, order, challenge, install, verify. */
  'certificates:order': channel(EnvWatch).returns<TaskStarted>(),
  'certificates:status': channel(EnvWatch).returns<CertificateStatus | null>(),
  'tasks:list': channel(Empty).returns<Task[]>(),
  'tasks:get': channel(TaskRef).returns<Task>(),
  'tasks:cancel': channel(TaskRef).returns<Task>(),
} as const;

export const events = {
  'tasks:updated': event<Task>(),
  'stats:snapshot': event<StatsSnapshot>(),
  'stats:health': event<HealthChange>(),
  'traffic:progress': event<TrafficReport>(),
  'logs:lines': event<LogLines>(),
  'certificates:status': event<CertificateStatus>(),
} as const;

export type Channels = typeof channels;
export type ChannelName = keyof Channels;
export type RequestOf<C extends ChannelName> = z.input<Channels[C]['request']>;
export type ParsedRequestOf<C extends ChannelName> = z.output<Channels[C]['request']>;
export type ResponseOf<C extends ChannelName> = Exclude<Channels[C]['response'], undefined>;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = NonNullable<(typeof events)[E]['payload']>;

export const channelNames = Object.keys(channels) as ChannelName[];
export const eventNames = Object.keys(events) as EventName[];

export function isChannelName(value: string): value is ChannelName {
  return Object.prototype.hasOwnProperty.call(channels, value);
}

export function isEventName(value: string): value is EventName {
  return Object.prototype.hasOwnProperty.call(events, value);
}
