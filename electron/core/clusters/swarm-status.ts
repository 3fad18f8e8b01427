/**
 * The status of an environment on a cluster: the load balancer's own (inspector.ts), with each
 * HAProxy slot mapped back to the task it sends to, the tasks as its containers, and the nodes
 * they run on, lost ones named.
 */
import type { ClusterStatus, ContainerStatus, EnvironmentStatus } from '../../../shared/contract';
import type { ClusterInfo } from '../../../shared/clusters';
import type { Environment } from '../../../shared/model';
import type Docker from 'dockerode';
import { names } from '../environments/naming';
import { clusterServer, serviceTasks, updateState, findService, type TaskFact } from './swarm-backend';

/** HAProxy's address of a slot without its port (`10.0.1.5:80` → `10.0.1.5`). */
const hostOf = (address: string) => address.replace(/:\d+$/, '');

export async function clusterStatus(
  env: Environment,
  status: EnvironmentStatus,
  cluster: () => Promise<{ manager: { docker: Docker; hostId: string }; info: ClusterInfo }>,
): Promise<EnvironmentStatus> {
  let found: { manager: { docker: Docker; hostId: string }; info: ClusterInfo };
  try {
    found = await cluster();
  } catch {
    // The manager does not answer: what the load balancer says is all there is to show.
    return status;
  }
  const { manager, info } = found;
  const server = clusterServer(env);
  const service = names.backend(env.name, server.name);
  const network = names.backendNetwork(env.name);
  const [tasks, svc] = await Promise.all([serviceTasks(manager.docker, service, network).catch((): TaskFact[] => []), findService(manager.docker, service).catch(() => undefined)]);
  const update = svc ? await updateState(manager.docker, service).catch(() => undefined) : undefined;
  const hostname = (nodeId: string) => info.nodes.find((n) => n.id === nodeId)?.hostname ?? nodeId.slice(0, 12);
  const taskName = (t: TaskFact) => `${service}.${t.slot}`;
  const current = tasks.filter((t) => t.desired === 'running' || t.state === 'running');

  // Slots: those HAProxy has a task for, each named with its task and node.
  const byAddress = new Map(current.filter((t) => t.address).map((t) => [t.address!, t]));
  status.servers = status.servers.map((s) => {
    const t = s.address ? byAddress.get(hostOf(s.address)) : undefined;
    return t ? { ...s, task: taskName(t), node: hostname(t.nodeId), container: taskName(t) } : s;
  });

  const taskStatus = (t: TaskFact): ContainerStatus => {
    const c: ContainerStatus = { name: taskName(t), role: 'backend', server: server.name, state: t.state, image: t.image.split('@')[0], id: t.id, node: hostname(t.nodeId) };
    if (t.error && t.state !== 'running') c.error = t.error;
    return c;
  };
  status.containers = [...status.containers, ...current.map(taskStatus)];

  // Tasks Swarm is stopping still finish their requests; they are no longer counted.
  const running = current.filter((t) => t.state === 'running' && t.desired === 'running');
  const summary: ClusterStatus = {
    manager: manager.hostId,
    service,
    replicas: env.cluster!.replicas,
    running: running.length,
    nodes: info.nodes.map((n) => ({ id: n.id, hostname: n.hostname, state: n.state, availability: n.availability, tasks: running.filter((t) => t.nodeId === n.id).length })),
    lost: info.nodes.filter((n) => n.state !== 'ready').map((n) => n.hostname),
  };
  if (update?.state) summary.update = { state: update.state, ...(update.message ? { message: update.message } : {}) };
  status.cluster = summary;

  // Fewer tasks than asked for, or a node lost, is a partly-down environment.
  if (status.state === 'running' && (running.length < env.cluster!.replicas || summary.lost.length > 0)) status.state = 'partly-down';
  return status;
}
