import type Docker from 'dockerode';
import { adminPortOf, runtimeApiFor } from '../../electron/core/environments/haproxy-container';
import { HAPROXY_ADMIN_PORT, HAPROXY_CONFIG_FILE, HAPROXY_HTTP_PORT, labelsFor, names } from '../../electron/core/environments/naming';
import type { RuntimeApi } from '../../electron/core/haproxy/runtime-api';
import { renderConfig } from '../../electron/core/haproxy/render';
import type { Environment, EnvironmentInput } from '../../shared/model';
import { FakeDockerEngine } from './fake-docker-engine';
import type { FakeSwarmServices } from './fake-engine-services';
import { FakeSwarmMember, FakeSwarmNetwork } from './fake-engine-swarm';
import type { FakeHaproxy } from './fake-haproxy';
import { FAKE_IMAGES, ME, fakeEnvironment } from './fake-lab';
import { FakeTarget } from './fake-target';

/**
 * An environment on a cluster without a real Swarm, for unit tests: one fake engine that is the
 * manager of a fake swarm (its services and tasks: fake-engine-services.ts), on which the
 * environment's load balancer runs as a FakeHaproxy with the config render.ts makes (its
 * server-template slots). A test plays Swarm and Docker's DNS: it puts the tasks, and gives each
 * slot the address of a task (`haproxy().resolve('web1', '10.0.1.11')`).
 */
export interface FakeClusterLab {
  engine: FakeDockerEngine;
  target: FakeTarget;
  /** The manager's client, as the core gets it. */
  docker: Docker;
  swarm: FakeSwarmServices;
  /** The manager's own node id. */
  managerNode: string;
  /** Starts the environment's load balancer on the manager; resolves with its runtime API. */
  startLoadBalancer(env: Environment): Promise<RuntimeApi>;
  haproxy(env: string): FakeHaproxy;
  close(): Promise<void>;
}

/** An environment on a cluster: one demo server `web`, 2 replicas and 4 slots unless said otherwise. */
export function clusterEnvironment(name: string, input: Omit<Partial<EnvironmentInput>, 'name'> = {}): Environment {
  return fakeEnvironment(name, { cluster: { replicas: 2, slots: 4 }, servers: [{ name: 'web', kind: 'demo' }], ...input });
}

/**
 * Starts an environment's load balancer on a fake engine as a deploy leaves it (this installation's,
 * its ports published), running the config render.ts makes; resolves with its runtime API.
 */
export async function startFakeLoadBalancer(engine: FakeDockerEngine, target: FakeTarget, env: Environment): Promise<RuntimeApi> {
  const name = names.haproxy(env.name);
  if (!engine.state.findImage(FAKE_IMAGES.haproxy)) engine.addImage(FAKE_IMAGES.haproxy);
  const c = engine.state.create(name, {
    Image: FAKE_IMAGES.haproxy,
    Cmd: ['haproxy', '-W', '-db', '-f', HAPROXY_CONFIG_FILE],
    Labels: labelsFor(ME, env.name, 'haproxy'),
    ExposedPorts: { [`${HAPROXY_HTTP_PORT}/tcp`]: {}, [`${HAPROXY_ADMIN_PORT}/tcp`]: {} },
    HostConfig: { PortBindings: { [`${HAPROXY_HTTP_PORT}/tcp`]: [{ HostPort: String(env.httpPort) }], [`${HAPROXY_ADMIN_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  engine.state.writeFile(c, HAPROXY_CONFIG_FILE, renderConfig(env, { backendSubnets: ['10.0.1.0/24'], adminClients: ['172.18.0.1'] }));
  engine.state.start(c.id);
  const port = await adminPortOf(target.docker.getContainer(name));
  return runtimeApiFor(target, env.name, port!);
}

export async function startFakeClusterLab(): Promise<FakeClusterLab> {
  const engine = await FakeDockerEngine.start();
  engine.addImage(FAKE_IMAGES.haproxy);
  engine.swarm = new FakeSwarmMember(new FakeSwarmNetwork(), { hostname: 'swn1', address: '10.250.0.11' });
  const docker = engine.docker();
  await docker.swarmInit({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: '10.250.0.11' });
  const target = new FakeTarget(engine);
  const member = engine.swarm;
  return {
    engine,
    target,
    docker,
    swarm: member.cluster!.services,
    managerNode: member.node!.id,
    startLoadBalancer: (env) => startFakeLoadBalancer(engine, target, env),
    haproxy(env) {
      const h = engine.haproxy(names.haproxy(env));
      if (!h) throw new Error(`fake cluster lab: the load balancer of ${env} does not run`);
      return h;
    },
    async close() {
      await target.close();
      await engine.close();
    },
  };
}
