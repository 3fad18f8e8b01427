import { randomBytes } from 'node:crypto';
import type { Reply } from './fake-engine-api';
import { FakeEngineError } from './fake-engine-state';
import { FakeSwarmServices } from './fake-engine-services';

/**
 * A fake Docker Swarm for fake engines (fake-docker-engine.ts): the Engine API's swarm endpoints
 * (`/info`, `/swarm`, `/swarm/init|join|leave`, `/nodes`, `/nodes/{id}/update`, `/tasks`; services
 * and their tasks in fake-engine-services.ts) answered from an in-memory cluster that several fake
 * engines share through one FakeSwarmNetwork, where they find each other by address as real nodes
 * do. Errors carry Docker 20.10's own words.
 */

export interface FakeNode {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  availability: 'active' | 'pause' | 'drain';
  state: 'ready' | 'down' | 'disconnected' | 'unknown';
  addr: string;
  reachability: 'reachable' | 'unreachable' | 'unknown';
  leader: boolean;
  version: number;
  labels: Record<string, string>;
  /** The engine that is this node, while it is in the cluster. */
  member?: FakeSwarmMember;
}

export class FakeCluster {
  readonly id = fakeId(25);
  readonly nodes = new Map<string, FakeNode>();
  readonly tokens = { Worker: `SWMTKN-1-${fakeId(20)}-worker`, Manager: `SWMTKN-1-${fakeId(20)}-manager` };
  /** Running tasks per node id. */
  readonly tasks = new Map<string, number>();
  /** Services and their tasks, as a test sets them (fake-engine-services.ts). */
  readonly services = new FakeSwarmServices();
  /** Too few managers online: listing or changing anything fails as Docker does without a leader. */
  leaderless = false;
  /** The next node updates fail as a concurrent change would (their version is out of date). */
  conflicts = 0;
  private version = 1;

  nextVersion(): number {
    return ++this.version;
  }
}

/** Where fake nodes reach each other: managers by the address they advertise. */
export class FakeSwarmNetwork {
  readonly members: FakeSwarmMember[] = [];

  /** The engine that is a manager listening at `addr` (`10.0.0.1:2377`). */
  managerAt(addr: string): FakeSwarmMember | undefined {
    return this.members.find((m) => m.node?.role === 'manager' && `${m.node.addr}:2377` === addr);
  }
}

export interface FakeSwarmMemberOptions {
  hostname: string;
  /** The address Docker would pick; none: it cannot choose (several interfaces), and init needs one. */
  address?: string;
  engineVersion?: string;
}

/** One fake engine's side of a swarm. */
export class FakeSwarmMember {
  cluster?: FakeCluster;
  node?: FakeNode;
  /** What the last init or join asked for, as the test checks it. */
  readonly calls: { path: string; body: Record<string, unknown> }[] = [];

  constructor(
    readonly network: FakeSwarmNetwork,
    readonly opts: FakeSwarmMemberOptions,
  ) {
    network.members.push(this);
  }

  get state(): 'inactive' | 'active' {
    return this.node ? 'active' : 'inactive';
  }

  /** The answer to a swarm route, or undefined for any other route. */
  answer(method: string, route: string, q: URLSearchParams, body: Buffer): Reply | undefined {
    const json = (status: number, value: unknown): Reply => ({ status, json: value });
    const bodyJson = () => (body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {});
    let m: RegExpExecArray | null;

    if (method === 'GET' && route === '/info') return json(200, this.info());
    if (route.startsWith('/services') || (route === '/tasks' && q.get('filters')?.includes('"service"'))) {
      const served = this.readable().services.answer(method, route, q, body);
      if (served) return served;
    }
    if (method === 'GET' && route === '/swarm') {
      const c = this.managedCluster();
      return json(200, { ID: c.id, Version: { Index: 10 }, JoinTokens: c.tokens, Spec: { Name: 'default' } });
    }
    if (method === 'POST' && route === '/swarm/init') {
      const b = bodyJson();
      this.calls.push({ path: route, body: b });
      if (this.node) throw new FakeEngineError(503, 'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.');
      const addr = advertised(b.AdvertiseAddr) ?? this.opts.address;
      if (!addr) {
        throw new FakeEngineError(400, 'could not choose an IP address to advertise since this system has multiple addresses on different interfaces (10.0.2.15 on eth0 and 192.168.56.10 on eth1)');
      }
      const cluster = new FakeCluster();
      this.enter(cluster, 'manager', addr).leader = true;
      return json(200, this.node!.id);
    }
    if (method === 'POST' && route === '/swarm/join') {
      const b = bodyJson();
      this.calls.push({ path: route, body: b });
      if (this.node) throw new FakeEngineError(503, 'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.');
      const remote = (b.RemoteAddrs as string[] | undefined)?.[0] ?? '';
      const manager = this.network.managerAt(remote);
      if (!manager?.cluster)
        throw new FakeEngineError(
          500,
          'Timeout was reached before node joined. The attempt to join the swarm will continue in the background. Use the "docker info" command to see the current swarm status of your node.',
        );
      const c = manager.cluster;
      const role = b.JoinToken === c.tokens.Manager ? 'manager' : b.JoinToken === c.tokens.Worker ? 'worker' : undefined;
      if (!role) throw new FakeEngineError(500, 'rpc error: code = InvalidArgument desc = A valid join token is necessary to join this cluster');
      const addr = advertised(b.AdvertiseAddr) ?? this.opts.address;
      if (!addr)
        throw new FakeEngineError(400, 'could not choose an IP address to advertise since this system has multiple addresses on different interfaces (10.0.2.15 on eth0 and 192.168.56.10 on eth1)');
      this.enter(c, role, addr);
      return { status: 200 };
    }
    if (method === 'POST' && route === '/swarm/leave') {
      if (!this.node || !this.cluster) throw new FakeEngineError(503, 'This node is not part of a swarm');
      const force = q.get('force') === 'true' || q.get('force') === '1';
      if (this.node.role === 'manager' && !force) {
        throw new FakeEngineError(
          503,
          'You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message.',
        );
      }
      // The others see it down; it keeps nothing of the cluster.
      this.node.state = 'down';
      if (this.node.role === 'manager') this.node.reachability = 'unreachable';
      delete this.node.member;
      this.node = undefined;
      this.cluster = undefined;
      return { status: 200 };
    }
    if (method === 'GET' && route === '/nodes')
      return json(
        200,
        [...this.readable().nodes.values()].map((n) => nodeJson(n)),
      );
    if ((m = /^\/nodes\/([^/]+)$/.exec(route)) && method === 'GET') return json(200, nodeJson(this.nodeOf(m[1])));
    if ((m = /^\/nodes\/([^/]+)$/.exec(route)) && method === 'DELETE') {
      const c = this.readable();
      const n = this.nodeOf(m[1]);
      const force = q.get('force') === 'true' || q.get('force') === '1';
      if (n.state === 'ready' && !force) throw new FakeEngineError(400, `rpc error: code = FailedPrecondition desc = node ${n.id} is not down and can't be removed`);
      c.nodes.delete(n.id);
      return { status: 200 };
    }
    if ((m = /^\/nodes\/([^/]+)\/update$/.exec(route)) && method === 'POST') {
      const c = this.readable();
      const n = this.nodeOf(m[1]);
      if (c.conflicts > 0 || Number(q.get('version')) !== n.version) {
        if (c.conflicts > 0) c.conflicts--;
        throw new FakeEngineError(500, 'rpc error: code = Unknown desc = update out of sequence');
      }
      const spec = bodyJson() as { Role?: FakeNode['role']; Availability?: FakeNode['availability']; Labels?: Record<string, string> };
      if (spec.Availability) n.availability = spec.Availability;
      if (spec.Role) n.role = spec.Role;
      n.labels = { ...(spec.Labels ?? {}) };
      n.version = c.nextVersion();
      return { status: 200 };
    }
    if (method === 'GET' && route === '/tasks') {
      const c = this.readable();
      const filters = JSON.parse(q.get('filters') ?? '{}') as { node?: string[] };
      const tasks = [...c.tasks.entries()]
        .filter(([node]) => !filters.node || filters.node.includes(node))
        .flatMap(([node, count]) => Array.from({ length: count }, (_, i) => ({ ID: `${node}-t${i}`, NodeID: node, DesiredState: 'running', Status: { State: 'running' } })));
      return json(200, tasks);
    }
    return undefined;
  }

  private enter(cluster: FakeCluster, role: FakeNode['role'], addr: string): FakeNode {
    const node: FakeNode = {
      id: fakeId(25),
      hostname: this.opts.hostname,
      role,
      availability: 'active',
      state: 'ready',
      addr,
      reachability: role === 'manager' ? 'reachable' : 'unknown',
      leader: false,
      version: cluster.nextVersion(),
      labels: {},
      member: this,
    };
    cluster.nodes.set(node.id, node);
    this.cluster = cluster;
    this.node = node;
    return node;
  }

  private info(): Record<string, unknown> {
    const n = this.node;
    const c = this.cluster;
    const managers = c ? [...c.nodes.values()].filter((x) => x.role === 'manager') : [];
    const swarm: Record<string, unknown> = {
      NodeID: n?.id ?? '',
      NodeAddr: n?.addr ?? '',
      LocalNodeState: this.state,
      ControlAvailable: n?.role === 'manager',
      Error: '',
      RemoteManagers: n ? managers.map((x) => ({ NodeID: x.id, Addr: `${x.addr}:2377` })) : null,
    };
    if (n?.role === 'manager' && c) Object.assign(swarm, { Nodes: c.nodes.size, Managers: managers.length, Cluster: { ID: c.id } });
    return { ID: `FAKE:${this.opts.hostname}`, Name: this.opts.hostname, ServerVersion: this.opts.engineVersion ?? '26.1.0-fake', DockerRootDir: '/var/lib/docker', Swarm: swarm };
  }

  /** The cluster this engine manages, or Docker's refusal. */
  private managedCluster(): FakeCluster {
    if (!this.node || !this.cluster) {
      throw new FakeEngineError(503, 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.');
    }
    if (this.node.role !== 'manager') {
      throw new FakeEngineError(
        503,
        "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.",
      );
    }
    return this.cluster;
  }

  /** A managed cluster that has a leader: what listing and changing need. */
  private readable(): FakeCluster {
    const c = this.managedCluster();
    if (c.leaderless) {
      throw new FakeEngineError(
        500,
        "rpc error: code = Unknown desc = The swarm does not have a leader. It's possible that too few managers are online. Make sure more than half of the managers are online.",
      );
    }
    return c;
  }

  private nodeOf(ref: string): FakeNode {
    const c = this.readable();
    const n = c.nodes.get(ref) ?? [...c.nodes.values()].find((x) => x.hostname === ref);
    if (!n) throw new FakeEngineError(404, `node ${ref} not found`);
    return n;
  }
}

function nodeJson(n: FakeNode): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ID: n.id,
    Version: { Index: n.version },
    Spec: { Labels: n.labels, Role: n.role, Availability: n.availability },
    Description: {
      Hostname: n.hostname,
      Platform: { Architecture: 'x86_64', OS: 'linux' },
      Resources: { NanoCPUs: 2e9, MemoryBytes: 4 * 1024 ** 3 },
      Engine: { EngineVersion: n.member?.opts.engineVersion ?? '26.1.0-fake' },
    },
    // Like Docker, a manager's own status address may read 0.0.0.0; its manager address has it.
    Status: { State: n.state, Addr: n.role === 'manager' ? '0.0.0.0' : n.addr, ...(n.state === 'ready' ? {} : { Message: 'heartbeat failure' }) },
  };
  if (n.role === 'manager') out.ManagerStatus = { Leader: n.leader, Reachability: n.reachability, Addr: `${n.addr}:2377` };
  return out;
}

function advertised(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v.replace(/:\d+$/, '') : undefined;
}

function fakeId(length: number): string {
  return randomBytes(length).toString('hex').slice(0, length);
}
