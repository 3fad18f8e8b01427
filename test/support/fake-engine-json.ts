import { FakeEngineError, type FakeContainer, type FakeEngineState, type FakeImage, type FakeNetwork, type FakeVolume } from './fake-engine-state';

/**
 * The fake engine's state as the Docker Engine API shows it (list and inspect bodies), and the
 * list filters as Docker applies them. Only the fields a client reads are filled in.
 */

type Filters = Record<string, string[]>;

/** `filters` as Docker takes it: `{"label":["a=b"]}` or the older `{"label":{"a=b":true}}`. */
export function parseFilters(raw: string | null, allowed: string[]): Filters {
  if (!raw) return {};
  let parsed: Record<string, string[] | Record<string, boolean>>;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new FakeEngineError(400, `invalid filter: ${raw}`);
  }
  const out: Filters = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!allowed.includes(key)) throw new FakeEngineError(400, `invalid filter '${key}'`);
    out[key] = Array.isArray(value) ? value : Object.keys(value).filter((k) => value[k]);
  }
  return out;
}

/** Every `key` or `key=value` must hold (Docker ANDs label filters). */
function labelsMatch(labels: Record<string, string>, wanted: string[] | undefined): boolean {
  return (wanted ?? []).every((w) => {
    const i = w.indexOf('=');
    return i < 0 ? w in labels : labels[w.slice(0, i)] === w.slice(i + 1);
  });
}

/** Values of one filter are ORed; an absent filter matches everything. */
const anyOf = (wanted: string[] | undefined, test: (w: string) => boolean) => !wanted?.length || wanted.some(test);

export function listContainers(state: FakeEngineState, query: URLSearchParams): object[] {
  const all = query.get('all') === 'true' || query.get('all') === '1';
  const f = parseFilters(query.get('filters'), ['id', 'name', 'label', 'status', 'publish', 'expose', 'network', 'volume', 'ancestor']);
  return [...state.containers.values()]
    .filter((c) => all || f.status || c.state === 'running')
    .filter((c) => labelsMatch(c.labels, f.label))
    .filter((c) => anyOf(f.id, (w) => c.id.startsWith(w)))
    .filter((c) => anyOf(f.name, (w) => new RegExp(w).test(`/${c.name}`)))
    .filter((c) => anyOf(f.status, (w) => c.state === w))
    .filter((c) => anyOf(f.publish, (w) => c.published.some((p) => String(p.hostPort) === w.split('/')[0])))
    .filter((c) => anyOf(f.expose, (w) => exposed(c).includes(Number(w.split('/')[0]))))
    .filter((c) => anyOf(f.network, (w) => [...c.networks.keys()].some((id) => id === w || state.networks.get(id)?.name === w)))
    .filter((c) => anyOf(f.volume, (w) => c.mounts.some((m) => m.volume === w)))
    .filter((c) => anyOf(f.ancestor, (w) => state.findImage(w)?.id === c.imageId))
    .sort((a, b) => b.created - a.created)
    .map((c) => containerInfo(state, c));
}

function exposed(c: FakeContainer): number[] {
  const keys = new Set([...Object.keys(c.body.ExposedPorts ?? {}), ...Object.keys(c.body.HostConfig?.PortBindings ?? {})]);
  return [...keys].map((k) => Number.parseInt(k, 10));
}

function statusText(c: FakeContainer): string {
  if (c.state === 'running') return 'Up 1 second';
  if (c.state === 'created') return 'Created';
  return `Exited (${c.exitCode}) 1 second ago`;
}

function endpoints(state: FakeEngineState, c: FakeContainer): Record<string, object> {
  const out: Record<string, object> = {};
  for (const [id, e] of c.networks) {
    const net = state.networks.get(id);
    if (!net) continue;
    out[net.name] = { NetworkID: id, IPAddress: c.state === 'running' ? e.ip : '', Gateway: net.gateway ?? '', Aliases: e.aliases, IPPrefixLen: 16 };
  }
  return out;
}

function mounts(c: FakeContainer): object[] {
  return c.mounts.map((m) => ({ Type: 'volume', Name: m.volume, Source: `/var/lib/docker/volumes/${m.volume}/_data`, Destination: m.target, Driver: 'local', Mode: 'z', RW: true, Propagation: '' }));
}

export function containerInfo(state: FakeEngineState, c: FakeContainer): object {
  const ports =
    c.state === 'running'
      ? [
          ...c.published.map((p) => ({ IP: p.hostIp, PrivatePort: p.privatePort, PublicPort: p.hostPort, Type: 'tcp' })),
          ...exposed(c)
            .filter((p) => !c.published.some((b) => b.privatePort === p))
            .map((p) => ({ PrivatePort: p, Type: 'tcp' })),
        ]
      : [];
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.image,
    ImageID: c.imageId,
    Command: [...(c.body.Entrypoint ?? []), ...(c.body.Cmd ?? [])].join(' '),
    Created: c.created,
    Ports: ports,
    Labels: c.labels,
    State: c.state,
    Status: statusText(c),
    HostConfig: { NetworkMode: c.body.HostConfig?.NetworkMode ?? 'bridge' },
    NetworkSettings: { Networks: endpoints(state, c) },
    Mounts: mounts(c),
  };
}

export function containerInspect(state: FakeEngineState, c: FakeContainer): object {
  const ports: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  if (c.state === 'running') {
    for (const p of exposed(c)) {
      const bound = c.published.filter((b) => b.privatePort === p).map((b) => ({ HostIp: b.hostIp, HostPort: String(b.hostPort) }));
      ports[`${p}/tcp`] = bound.length ? bound : null;
    }
  }
  const argv = [...(c.body.Entrypoint ?? []), ...(c.body.Cmd ?? [])];
  return {
    Id: c.id,
    Created: new Date(c.created * 1000).toISOString(),
    Path: argv[0] ?? '',
    Args: argv.slice(1),
    State: {
      Status: c.state,
      Running: c.state === 'running',
      Paused: c.state === 'paused',
      Restarting: false,
      OOMKilled: false,
      Dead: c.state === 'dead',
      Pid: c.state === 'running' ? 4242 : 0,
      ExitCode: c.exitCode,
      Error: '',
      StartedAt: c.startedAt,
      FinishedAt: c.finishedAt,
    },
    Image: c.imageId,
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Config: { Image: c.image, Labels: c.labels, Env: c.body.Env ?? [], Cmd: c.body.Cmd ?? null, Entrypoint: c.body.Entrypoint ?? null, ExposedPorts: c.body.ExposedPorts ?? {} },
    HostConfig: c.body.HostConfig ?? {},
    Mounts: mounts(c),
    NetworkSettings: { Ports: ports, Networks: endpoints(state, c) },
  };
}

export function listNetworks(state: FakeEngineState, query: URLSearchParams): object[] {
  const f = parseFilters(query.get('filters'), ['id', 'name', 'label', 'driver', 'type', 'scope']);
  return [...state.networks.values()]
    .filter((n) => labelsMatch(n.labels, f.label))
    .filter((n) => anyOf(f.id, (w) => n.id.startsWith(w)))
    .filter((n) => anyOf(f.name, (w) => n.name.includes(w)))
    .filter((n) => anyOf(f.driver, (w) => n.driver === w))
    .filter((n) => anyOf(f.type, (w) => (w === 'builtin') === n.builtin))
    .map((n) => networkInspect(state, n));
}

export function networkInspect(state: FakeEngineState, n: FakeNetwork): object {
  const containers: Record<string, object> = {};
  for (const c of state.containers.values()) {
    const e = c.networks.get(n.id);
    if (e && c.state === 'running') containers[c.id] = { Name: c.name, IPv4Address: `${e.ip}/16`, IPv6Address: '' };
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv6: false,
    Internal: n.internal,
    Attachable: false,
    IPAM: { Driver: 'default', Options: null, Config: n.subnet ? [{ Subnet: n.subnet, Gateway: n.gateway }] : [] },
    Containers: containers,
    Options: {},
    Labels: n.labels,
  };
}

export function listVolumes(state: FakeEngineState, query: URLSearchParams): object {
  const f = parseFilters(query.get('filters'), ['name', 'label', 'dangling', 'driver']);
  const inUse = (v: FakeVolume) => [...state.containers.values()].some((c) => c.mounts.some((m) => m.volume === v.name));
  const volumes = [...state.volumes.values()]
    .filter((v) => labelsMatch(v.labels, f.label))
    .filter((v) => anyOf(f.name, (w) => v.name.includes(w)))
    .filter((v) => anyOf(f.dangling, (w) => (w === 'true' || w === '1') !== inUse(v)))
    .map(volumeInfo);
  return { Volumes: volumes, Warnings: null };
}

export function volumeInfo(v: FakeVolume): object {
  return { Name: v.name, Driver: 'local', Mountpoint: `/var/lib/docker/volumes/${v.name}/_data`, CreatedAt: v.created, Labels: v.labels, Scope: 'local', Options: null };
}

export function imageInspect(i: FakeImage): object {
  return { Id: i.id, RepoTags: i.tags, RepoDigests: [], Created: new Date(0).toISOString(), Config: { Labels: i.labels }, Os: 'linux', Architecture: 'amd64', Size: 1_000_000 };
}
