/**
 * The table of contents of the core's API: every channel (request schema + response type) and
 * every event, with the helpers both ends use. Both transports (Electron IPC and the headless
 * WebSocket) and the CLI are generic over these maps; no channel name is spelled anywhere else as
 * a loose string.
 *
 * The data types the channels carry live in shared/ by domain: tasks.ts, status.ts (environment
 * status), deploy-plan.ts, footprint.ts (what is on a host), store-changes.ts, system.ts,
 * images.ts, and the older model.ts, hosts.ts, live.ts, clusters.ts, releases.ts, …. This file
 * keeps only the request schemas that are the contract's own vocabulary (Empty, EnvRef, …) and
 * re-exports the types that were declared here, so importers may keep importing them from here.
 * A file in shared/ takes a type from the file that declares it, never from this one: this file
 * imports them all, and the other way round is an import cycle.
 */
import { z } from 'zod';
import type { CertificateStatus } from './https';
import { RegistryLogin, RegistryRef, type RegistryEntry } from './registries';
import type { AppTestReport } from './app-test-report';
import { ReleaseRequest, RollbackRequest, type ReleaseRecord } from './releases';
import type { AppOutput } from './app-output';
import { ConfigDiffRequest, ConfigRef, ConfigsRef, type ConfigDiff, type ConfigVersion, type ConfigVersionSummary, type ConfigsChange } from './config-history';
import { HostKey, SshAuthInput, SshHostInput, type Host, type HostCheckResult, type SshHost } from './hosts';
import { BackupCreateRequest, BackupRestoreRequest, type BackupSummary, type RestorePreview, type RestoreResult } from './backup';
import { ClusterInit, ClusterJoin, ClusterLeave, ClusterRef, NodeAvailabilitySet, type ClusterInfo, type ClusterNode } from './clusters';
import { EnvironmentInput, EnvironmentPatch, type Environment, name } from './model';
import { ExportRequest, type ExportResult } from './exports';
import { environmentRequest } from './env-ref';
import { PreferencesPatch, type Preferences } from './preferences';
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
  type StatsHistory,
  type StatsSnapshot,
  type TrafficReport,
} from './live';
import type { TaskStarted, Task } from './tasks';
import type { ContainerStatus, EnvironmentStatus } from './status';
import type { SystemInfo } from './system';
import type { LocalImage } from './images';
import type { Footprint, Forgotten, FoundEnvironment } from './footprint';
import type { DeployPlan, RenderedConfig } from './deploy-plan';
import type { EnvironmentChange, HostChange } from './store-changes';

export { taskKinds, taskStates } from './tasks';
export type { TaskKind, TaskState, TaskStep, Task, TaskStarted } from './tasks';
export type { ContainerRole, ContainerStatus, ServerHealth, ServerStatus, ClusterNodeStatus, ClusterStatus, EnvironmentState, EnvironmentStatus } from './status';
export { dockerProblems } from './system';
export type { InstallationRef, DockerProblem, SystemOs, SystemInfo } from './system';
export type { LocalImage } from './images';
export type { Footprint, Forgotten, FoundEnvironment } from './footprint';
export { containerActions, loadBalancerActions } from './deploy-plan';
export type { RenderedConfig, ContainerAction, LoadBalancerAction, PlannedContainer, PortChange, DeployPlan } from './deploy-plan';
export type { EnvironmentChange, HostChange } from './store-changes';

/** Declares a channel: `channel(RequestSchema).returns<ResponseType>()`. */
function channel<Req extends z.ZodType>(request: Req) {
  return {
    returns: <Res>(): { request: Req; response?: Res } => ({ request }),
  };
}
/**
 * Declares an event: `event(ArgumentSchema).carries<Payload>(scope)`. A window subscribes with an
 * argument the schema checks; `scope` names the environment a payload is about, and a
 * subscription whose argument names an environment hears only that one's (without one, all).
 */
function event<Arg extends z.ZodType>(argument: Arg) {
  return {
    carries: <Payload>(scope?: (payload: Payload) => string): EventSpec<Arg, Payload> => ({ argument, scope }),
  };
}
interface EventSpec<Arg extends z.ZodType, Payload> {
  argument: Arg;
  scope?: (payload: Payload) => string;
  payload?: Payload;
}

const Empty = z.object({}).strict();
/** Events about every item at once: nothing to choose. */
const Everything = Empty;
/** Events that cost the core work per environment (polling, following a log): one environment. */
const OneEnvironment = z.object({ environment: name() }).strict();
/** One environment's events, or every environment's when `environment` is left out. */
const AnyEnvironment = z.object({ environment: name().optional() }).strict();
/** Events that follow one server's container (its output): one server of one environment. */
const OneServer = z.object({ environment: name(), server: name() }).strict();
/** An environment itself (`name` still accepted for `environment`). */
const EnvRef = environmentRequest({});
const ServerRef = z.object({ environment: name(), server: name() }).strict();
const TaskRef = z.object({ id: z.string().min(1).max(64) }).strict();

export const channels = {
  'system:info': channel(Empty).returns<SystemInfo>(),
  'hosts:list': channel(Empty).returns<Host[]>(),
  /** Adds a host reached over SSH; its password or passphrase goes to the encrypted secret store. */
  'hosts:add': channel(SshHostInput).returns<SshHost>(),
  /** Pins the host key the user compared (trust on first use, or a deliberate re-accept). */
  'hosts:trust': channel(z.object({ id: name(), hostKey: HostKey }).strict()).returns<SshHost>(),
  'hosts:remove': channel(z.object({ id: name() }).strict()).returns<{ removed: true }>(),
  /**
   * Changes how Switchyard logs in to a host (a new password, another key, the agent), also while
   * environments run on it: the old secret is deleted once the new one is stored, and the next
   * call connects with the new credentials. Nothing else of the host changes.
   */
  'hosts:credentials': channel(z.object({ id: name(), auth: SshAuthInput }).strict()).returns<SshHost>(),
  /** What the environments placed on a host have there, by name; the host is not contacted. */
  'hosts:footprint': channel(z.object({ id: name() }).strict()).returns<Footprint[]>(),
  /** Forgets a host and the environments placed on it, without contacting it; its stored secrets are deleted. */
  'hosts:forget': channel(z.object({ id: name() }).strict()).returns<Forgotten>(),
  /** Environments deployed on a host by any Switchyard, with who manages each. */
  'hosts:environments': channel(z.object({ id: name() }).strict()).returns<FoundEnvironment[]>(),
  /** Reachable, authenticated, Docker and its version, Docker access, architecture, disk, ports. */
  'hosts:check': channel(
    z.object({ id: name(), ports: z.array(z.number().int().min(1, 'must be between 1 and 65535').max(65535, 'must be between 1 and 65535')).max(20).default([]) }).strict(),
  ).returns<HostCheckResult[]>(),
  /** The Docker Swarm cluster a host's engine is in (every node, when it is a manager), with its problems. */
  'clusters:info': channel(ClusterRef).returns<ClusterInfo>(),
  /** Starts a cluster with the host's engine as its first manager; refused when it is in one already. */
  'clusters:init': channel(ClusterInit).returns<ClusterInfo>(),
  /** Adds a host to the cluster another host manages; answers the manager's view once the node is ready. */
  'clusters:join': channel(ClusterJoin).returns<ClusterInfo>(),
  /** Takes a host out of its cluster; refused while this Switchyard's environments are placed on it, unless forced. */
  'clusters:leave': channel(ClusterLeave).returns<ClusterInfo>(),
  /** Drains, pauses or activates a node (by id or hostname) of the cluster a host manages. */
  'nodes:availability': channel(NodeAvailabilitySet).returns<ClusterNode>(),
  /** Tries the environment's app in a throwaway container on its host: a task; its report with `apps:report`. */
  'apps:test': channel(z.object({ environment: name() }).strict()).returns<TaskStarted>(),
  'apps:report': channel(TaskRef).returns<AppTestReport>(),
  /** The last lines a replica wrote to its stdout and stderr. */
  'apps:logs': channel(z.object({ environment: name(), server: name(), lines: z.number().int().min(1).max(5000).default(100) }).strict()).returns<{
    server: string;
    lines: string[];
    /** When Docker got the last of them: `apps:output` lines after it are the ones these do not have. */
    until?: string;
  }>(),
  /** A rolling update to a new app (or the same app again: a moved tag, a rebuilt folder); the task fails when it rolled back. */
  'releases:start': channel(ReleaseRequest).returns<TaskStarted>(),
  /** Newest first. */
  'releases:list': channel(z.object({ environment: name() }).strict()).returns<ReleaseRecord[]>(),
  /** A rolling update back to an earlier release (by default the last one that succeeded before the one serving). */
  'releases:rollback': channel(RollbackRequest).returns<TaskStarted>(),
  /** Private registry logins (never their passwords). */
  'registries:list': channel(Empty).returns<RegistryEntry[]>(),
  /** Checks a login with the host's engine, then keeps it (the password sealed); replaces an earlier one. */
  'registries:login': channel(RegistryLogin).returns<RegistryEntry>(),
  'registries:logout': channel(RegistryRef).returns<{ removed: true }>(),
  'environments:list': channel(Empty).returns<Environment[]>(),
  'environments:get': channel(EnvRef).returns<Environment>(),
  'environments:create': channel(EnvironmentInput).returns<Environment>(),
  /** The tutorial lab with the defaults, on the first free name (lab, lab-2, …) and port (8080 up) of the host; not deployed yet. */
  'lab:create': channel(z.object({ host: name().optional() }).strict()).returns<Environment>(),
  /** The tagged images a host's engine has, newest first (not those Switchyard builds): what an image field offers without a pull. */
  'images:list': channel(z.object({ host: name().optional() }).strict()).returns<LocalImage[]>(),
  'environments:update': channel(environmentRequest({ patch: EnvironmentPatch })).returns<Environment>(),
  /** The haproxy.cfg an update would render, nothing saved: for a diff before saving. */
  'environments:preview': channel(environmentRequest({ patch: EnvironmentPatch })).returns<RenderedConfig>(),
  /** Forgets an environment; refused while containers of it exist (destroy first). */
  'environments:remove': channel(EnvRef).returns<{ removed: true }>(),
  /** What an environment has on its host, by name; the host is not contacted. */
  'environments:footprint': channel(EnvRef).returns<Footprint>(),
  /** Forgets an environment without contacting its host (gone for good): what may remain there. */
  'environments:forget': channel(EnvRef).returns<Forgotten>(),
  'environments:render': channel(EnvRef).returns<RenderedConfig>(),
  /** The haproxy.cfg inside the running load balancer (null when there is none): what a deploy would change. */
  'environments:running': channel(EnvRef).returns<{ config: string | null }>(),
  /** What a deploy would do now, per container and for the load balancer, and the config it would change; nothing is changed. */
  'environments:plan': channel(EnvRef).returns<DeployPlan>(),
  'environments:deploy': channel(EnvRef).returns<TaskStarted>(),
  'environments:destroy': channel(EnvRef).returns<TaskStarted>(),
  'environments:status': channel(EnvRef).returns<EnvironmentStatus>(),
  /**
   * Takes an environment over from the Switchyard that manages it on a host (or claims one made
   * before installations had ids). A task: it ends with a deploy of the adopted settings.
   */
  'environments:adopt': channel(environmentRequest({ host: name() })).returns<TaskStarted>(),
  /**
   * Writes the environment as a compose project, a Swarm stack or a JPS manifest into a new or
   * empty folder (and `<dir>.zip` beside it): what was written, and the secret variables left
   * for the user to fill in (never their values).
   */
  'environments:export': channel(ExportRequest).returns<ExportResult>(),
  /** Stops a backend's container (the failover drill). */
  'servers:stop': channel(ServerRef).returns<ContainerStatus>(),
  'servers:start': channel(ServerRef).returns<ContainerStatus>(),
  /** Sets a server ready / drain / maint and/or its weight: at once through the runtime API, and kept in the model. */
  'servers:set': channel(ServerSet).returns<ServerApplied>(),
  /** Adds a server to the model and deploys (a reload: no request dropped). */
  'servers:add': channel(ServerAdd).returns<TaskStarted>(),
  'servers:remove': channel(ServerRemove).returns<TaskStarted>(),
  /** One snapshot now, without watching. */
  'stats:get': channel(EnvWatch).returns<StatsSnapshot>(),
  /**
   * What the polls of the last hour saw (bounded, older parts downsampled): a view that opens
   * draws it, then adds the `sample` of each `stats:snapshot`. Dropped when the environment goes.
   */
  'stats:history': channel(EnvWatch).returns<StatsHistory>(),
  'stats:settings': channel(StatsSettings).returns<{ intervalMs: number }>(),
  /** The installation's preferences: desktop notifications, the language they speak. */
  'preferences:get': channel(Empty).returns<Preferences>(),
  /** Changes some preferences (the rest stay) and returns them all. */
  'preferences:set': channel(PreferencesPatch).returns<Preferences>(),
  /** Sends requests through the environment's front end; progress as `traffic:progress`. */
  'traffic:run': channel(TrafficRequest).returns<TaskStarted>(),
  'traffic:get': channel(TrafficRef).returns<TrafficReport>(),
  /** The latest access log entries (bounded). */
  'logs:tail': channel(LogsTail).returns<AccessLogEntry[]>(),
  /** Obtains (or renews) the environment's certificate and installs it: preflight, order, challenge, install, verify. */
  'certificates:order': channel(EnvWatch).returns<TaskStarted>(),
  'certificates:status': channel(EnvWatch).returns<CertificateStatus | null>(),
  'tasks:list': channel(Empty).returns<Task[]>(),
  'tasks:get': channel(TaskRef).returns<Task>(),
  'tasks:cancel': channel(TaskRef).returns<Task>(),
  /** Forgets the tasks that have ended (succeeded, failed, cancelled); running ones stay. */
  'tasks:clear': channel(Empty).returns<{ cleared: number }>(),
  /** An environment's config history, newest first: each version without its text, with what it changed. */
  'configs:list': channel(ConfigsRef).returns<ConfigVersionSummary[]>(),
  /** One version with its haproxy.cfg and the settings it was rendered from (secret variables as references). */
  'configs:get': channel(ConfigRef).returns<ConfigVersion>(),
  /** A unified diff of two versions' configs. */
  'configs:diff': channel(ConfigDiffRequest).returns<ConfigDiff>(),
  /** Sets the environment's settings back to a version's (not its name or host) and deploys them: a task. */
  'configs:restore': channel(ConfigRef).returns<TaskStarted>(),
  /** Writes one file with this data folder's environments, hosts, logins, history and HTTPS state; secrets only with a passphrase (encrypted). */
  'backup:create': channel(BackupCreateRequest).returns<BackupSummary>(),
  /** What a restore of a backup would add, replace and keep here, and which secrets would be missing; nothing is changed. */
  'backup:preview': channel(BackupRestoreRequest).returns<RestorePreview>(),
  /** Restores a backup (replace: only into an empty data folder; merge: the backup's items win); a refused file changes nothing. */
  'backup:restore': channel(BackupRestoreRequest).returns<RestoreResult>(),
} as const;

/**
 * Every event, with what a subscription to it names. Events reach only the windows (sockets)
 * that subscribed to them, with an argument that matches the payload.
 */
export const events = {
  'tasks:updated': event(Everything).carries<Task>(),
  /** Ended tasks were forgotten (`tasks:clear`, from any window): every window drops them. */
  'tasks:cleared': event(Everything).carries<{ ids: string[] }>(),
  /** Subscribing starts the polling of that environment's load balancer; the last one to go stops it. */
  'stats:snapshot': event(OneEnvironment).carries<StatsSnapshot>((p) => p.environment),
  'stats:health': event(OneEnvironment).carries<HealthChange>((p) => p.environment),
  'traffic:progress': event(AnyEnvironment).carries<TrafficReport>((p) => p.environment),
  /** Subscribing starts following that environment's access log. */
  'logs:lines': event(OneEnvironment).carries<LogLines>((p) => p.environment),
  /** Subscribing follows that replica's output (its container's stdout and stderr) from now on; `apps:logs` has what came before. */
  'apps:output': event(OneServer).carries<AppOutput>((p) => `${p.environment}/${p.server}`),
  'certificates:status': event(AnyEnvironment).carries<CertificateStatus>((p) => p.environment),
  /** An environment was created, changed or removed, by this process or another on the same data folder. */
  'environments:changed': event(AnyEnvironment).carries<EnvironmentChange>((p) => p.name),
  /**
   * An environment's status changed: containers (Docker's events), backend health (the stats
   * poller), or after a task or a change to its settings. Only changes are sent; the current
   * status comes from `environments:status`.
   */
  'environments:status': event(AnyEnvironment).carries<EnvironmentStatus>((p) => p.name),
  'hosts:changed': event(Everything).carries<HostChange>(),
  /** The preferences changed, in this process or another on the same data folder. */
  'preferences:changed': event(Everything).carries<Preferences>(),
  /** A host's cluster after an init, join, leave or availability change made by this process. */
  'clusters:changed': event(Everything).carries<ClusterInfo>(),
  /** A release started, moved a server on (old → new), or ended: in this process or another on the same data folder. */
  'releases:changed': event(AnyEnvironment).carries<ReleaseRecord>((p) => p.environment),
  /** An environment's config history gained a version (or lost them all): in this process or another on the same data folder. */
  'configs:changed': event(AnyEnvironment).carries<ConfigsChange>((p) => p.environment),
} as const;

export type Channels = typeof channels;
export type ChannelName = keyof Channels;
export type RequestOf<C extends ChannelName> = z.input<Channels[C]['request']>;
export type ParsedRequestOf<C extends ChannelName> = z.output<Channels[C]['request']>;
export type ResponseOf<C extends ChannelName> = Exclude<Channels[C]['response'], undefined>;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = NonNullable<Events[E]['payload']>;
/** What a subscription to `E` names (as sent). */
export type EventArgumentOf<E extends EventName> = z.input<Events[E]['argument']>;

/** The core's answer to a subscription: the id that gives it back. */
export interface SubscriptionRef {
  subscription: string;
}

/**
 * How a window (or the CLI) listens: `subscribe(event, argument, listener)` → dispose. The core
 * counts subscriptions (once, for every window and socket) and starts the work an event needs
 * (polling, following a log) for the first one, stopping it after the last; a window that closes
 * or a socket that drops gives its own back.
 */
export type Subscribe = <E extends EventName>(event: E, argument: EventArgumentOf<E>, listener: (payload: EventPayload<E>) => void) => () => void;

/**
 * The environment a subscription names (`env/server` when it names one of its servers too), or `*`
 * for all: subscriptions with one scope share the core's work. Names never hold a `/`.
 */
export function subscriptionScope(argument: unknown): string {
  const a = argument as { environment?: unknown; server?: unknown } | null;
  const env = a?.environment;
  if (typeof env !== 'string') return '*';
  return typeof a?.server === 'string' ? `${env}/${a.server}` : env;
}

/** Whether a subscription to `event` with `argument` hears `payload`. */
export function eventMatches<E extends EventName>(event: E, argument: unknown, payload: EventPayload<E>): boolean {
  const scope = subscriptionScope(argument);
  if (scope === '*') return true;
  const of = events[event].scope as ((p: EventPayload<E>) => string) | undefined;
  return of === undefined || of(payload) === scope;
}

export const channelNames = Object.keys(channels) as ChannelName[];
export const eventNames = Object.keys(events) as EventName[];

export function isChannelName(value: string): value is ChannelName {
  return Object.prototype.hasOwnProperty.call(channels, value);
}

export function isEventName(value: string): value is EventName {
  return Object.prototype.hasOwnProperty.call(events, value);
}
