import { randomBytes } from 'node:crypto';
import type { Reply } from './fake-engine-api';
import { FakeEngineError } from './fake-engine-state';

/**
 * A fake of Swarm's services and their tasks, for a fake swarm's managers (fake-engine-swarm.ts):
 * `GET /services`, `POST /services/create`, `GET|DELETE /services/{id}`, `POST /services/{id}/update`
 * and `GET /tasks?filters={"service":[…]}`, answered as Docker 20.10+ answers them (name filters
 * match by prefix, results in name order, an update with a stale version is refused). Nothing is
 * scheduled: a test plays Swarm, putting the tasks it wants (`task`) and the rolling update's
 * state (`UpdateStatus`) where a real manager would.
 */

export interface FakeServiceTask {
  ID: string;
  ServiceID: string;
  Slot: number;
  NodeID: string;
  DesiredState: string;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: { ContainerSpec: { Image: string } };
  Status: { State: string; Err?: string; Message?: string; ContainerStatus?: { ContainerID?: string; ExitCode?: number } };
  NetworksAttachments?: { Network: { Spec: { Name: string } }; Addresses: string[] }[];
}

export interface FakeService {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: FakeServiceSpec;
  PreviousSpec?: FakeServiceSpec;
  UpdateStatus?: { State: string; Message?: string; StartedAt?: string };
}

export type FakeServiceSpec = Record<string, unknown> & { Name: string; Labels?: Record<string, string>; TaskTemplate?: { ContainerSpec?: { Image?: string } } };

/** A task as a test describes it. */
export interface FakeTaskInput {
  slot: number;
  node: string;
  state: string;
  /** Docker's desired state; `running` by default. */
  desired?: string;
  /** Its address on `network` (without the prefix length). */
  address?: string;
  /** The service's first network by default. */
  network?: string;
  /** The image of its spec; the service's current one by default. */
  image?: string;
  err?: string;
  exitCode?: number;
  /** When it was created and last changed (ISO 8601); now by default. */
  createdAt?: string;
  updatedAt?: string;
}

export class FakeSwarmServices {
  readonly services = new Map<string, FakeService>();
  readonly tasks: FakeServiceTask[] = [];
  /** Every create and update accepted, in order: what the core asked Swarm for. */
  readonly changes: { action: 'create' | 'update'; id: string; spec: FakeServiceSpec; version?: number }[] = [];
  /** Update attempts refused as out of sequence, with the version they named. */
  readonly refused: { id: string; version: number }[] = [];
  /** The next updates find the service changed by someone else meanwhile (its version moves on), and are refused. */
  conflicts = 0;
  private version = 100;

  /** The service a reference names: its id, its name, or the start of its id (as Docker resolves it). */
  find(ref: string): FakeService | undefined {
    const all = [...this.services.values()];
    return this.services.get(ref) ?? all.find((s) => s.Spec.Name === ref) ?? (ref.length >= 6 ? all.find((s) => s.ID.startsWith(ref)) : undefined);
  }

  service(ref: string): FakeService {
    const s = this.find(ref);
    if (!s) throw new Error(`fake swarm: no service ${ref}`);
    return s;
  }

  /** Puts a task of a service (replacing the one with the same slot, node and image that is not shut down yet, if any). */
  task(ref: string, t: FakeTaskInput): FakeServiceTask {
    const s = this.service(ref);
    const at = new Date().toISOString();
    const network = t.network ?? (s.Spec.TaskTemplate as { Networks?: { Target?: string }[] } | undefined)?.Networks?.[0]?.Target ?? 'backends';
    const task: FakeServiceTask = {
      ID: fakeId(25),
      ServiceID: s.ID,
      Slot: t.slot,
      NodeID: t.node,
      DesiredState: t.desired ?? 'running',
      CreatedAt: t.createdAt ?? at,
      UpdatedAt: t.updatedAt ?? at,
      Spec: { ContainerSpec: { Image: t.image ?? s.Spec.TaskTemplate?.ContainerSpec?.Image ?? '' } },
      Status: {
        State: t.state,
        ...(t.err ? { Err: t.err } : {}),
        ...(t.exitCode !== undefined || t.state === 'running' ? { ContainerStatus: { ContainerID: fakeId(64), ...(t.exitCode !== undefined ? { ExitCode: t.exitCode } : { ExitCode: 0 }) } } : {}),
      },
      ...(t.address
        ? {
            NetworksAttachments: [
              { Network: { Spec: { Name: 'ingress' } }, Addresses: ['10.255.0.9/16'] },
              { Network: { Spec: { Name: network } }, Addresses: [`${t.address}/24`] },
            ],
          }
        : {}),
    };
    this.tasks.push(task);
    return task;
  }

  /** Changes a task as Swarm would (its state, desired state, error, exit code); `UpdatedAt` moves on. */
  change(task: FakeServiceTask, to: { state?: string; desired?: string; err?: string; exitCode?: number }): void {
    if (to.state) task.Status.State = to.state;
    if (to.desired) task.DesiredState = to.desired;
    if (to.err) task.Status.Err = to.err;
    if (to.exitCode !== undefined) task.Status.ContainerStatus = { ...task.Status.ContainerStatus, ExitCode: to.exitCode };
    task.UpdatedAt = new Date().toISOString();
  }

  /** The answer to a service or task route, or undefined for any other. */
  answer(method: string, route: string, q: URLSearchParams, body: Buffer): Reply | undefined {
    const json = (status: number, value: unknown): Reply => ({ status, json: value });
    const filters = () => JSON.parse(q.get('filters') ?? '{}') as Record<string, string[] | Record<string, boolean>>;
    const values = (f: string[] | Record<string, boolean> | undefined) => (Array.isArray(f) ? f : f ? Object.keys(f) : []);
    let m: RegExpExecArray | null;

    if (method === 'GET' && route === '/services') {
      const f = filters();
      const byName = values(f.name);
      const byLabel = values(f.label);
      const list = [...this.services.values()]
        .filter((s) => !byName.length || byName.some((n) => s.Spec.Name.startsWith(n)))
        .filter((s) => byLabel.every((l) => labelMatches(s.Spec.Labels ?? {}, l)))
        .sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name));
      return json(200, list);
    }
    if (method === 'POST' && route === '/services/create') {
      const spec = JSON.parse(body.toString('utf8')) as FakeServiceSpec;
      if (!spec.Name) throw new FakeEngineError(400, 'rpc error: code = InvalidArgument desc = name must be valid as a DNS name component');
      if (this.find(spec.Name)) throw new FakeEngineError(409, `rpc error: code = AlreadyExists desc = name conflicts with an existing object: service ${spec.Name} already exists`);
      const at = new Date().toISOString();
      const s: FakeService = { ID: fakeId(25), Version: { Index: ++this.version }, CreatedAt: at, UpdatedAt: at, Spec: spec };
      this.services.set(s.ID, s);
      this.changes.push({ action: 'create', id: s.ID, spec });
      return json(201, { ID: s.ID });
    }
    if ((m = /^\/services\/([^/]+)$/.exec(route)) && method === 'GET') return json(200, this.resolve(m[1]));
    if ((m = /^\/services\/([^/]+)$/.exec(route)) && method === 'DELETE') {
      const s = this.resolve(m[1]);
      this.services.delete(s.ID);
      for (const t of this.tasks.filter((x) => x.ServiceID === s.ID)) this.change(t, { state: 'shutdown', desired: 'shutdown' });
      return { status: 200 };
    }
    if ((m = /^\/services\/([^/]+)\/update$/.exec(route)) && method === 'POST') {
      const s = this.resolve(m[1]);
      const version = Number(q.get('version'));
      if (this.conflicts > 0) {
        this.conflicts--;
        s.Version.Index = ++this.version;
      }
      if (version !== s.Version.Index) {
        this.refused.push({ id: s.ID, version });
        throw new FakeEngineError(500, 'rpc error: code = Unknown desc = update out of sequence');
      }
      const { version: _inBody, ...spec } = JSON.parse(body.toString('utf8')) as FakeServiceSpec & { version?: unknown };
      // Like Swarm: an update resets the update status; a new task template starts a rolling
      // update (at once here), replicas or labels alone do not.
      const rolls = JSON.stringify(spec.TaskTemplate) !== JSON.stringify(s.Spec.TaskTemplate);
      s.PreviousSpec = s.Spec;
      s.Spec = spec as FakeServiceSpec;
      s.Version.Index = ++this.version;
      s.UpdatedAt = new Date().toISOString();
      s.UpdateStatus = rolls ? { State: 'updating', StartedAt: s.UpdatedAt, Message: 'update in progress' } : undefined;
      this.changes.push({ action: 'update', id: s.ID, spec: s.Spec, version });
      return json(200, { Warnings: null });
    }
    if (method === 'GET' && route === '/tasks' && filters().service) {
      const wanted = values(filters().service).map((ref) => {
        const s = this.find(ref);
        if (!s) throw new FakeEngineError(404, `service ${ref} not found`);
        return s.ID;
      });
      return json(
        200,
        this.tasks.filter((t) => wanted.includes(t.ServiceID)),
      );
    }
    return undefined;
  }

  private resolve(ref: string): FakeService {
    const s = this.find(ref);
    if (!s) throw new FakeEngineError(404, `service ${ref} not found`);
    return s;
  }
}

function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const i = filter.indexOf('=');
  return i < 0 ? filter in labels : labels[filter.slice(0, i)] === filter.slice(i + 1);
}

function fakeId(length: number): string {
  return randomBytes(length).toString('hex').slice(0, length);
}
