import type Docker from 'dockerode';
import { SwitchyardError } from '../../../shared/errors';
import type { RenderContext } from '../haproxy/render';
import { readFile } from '../targets/docker-util';
import { EDGE_NETWORK, HAPROXY_CERT_FILE, names } from './naming';

export type NetworkFacts = RenderContext;

/** Before the first deploy nothing is known yet; these stand in so the config can be previewed. */
export const PREVIEW_FACTS: NetworkFacts = { backendSubnets: ['172.16.0.0/12'], adminClients: ['172.16.0.1'] };

const ipam = (net: Docker.NetworkInspectInfo | undefined) => net?.IPAM?.Config ?? [];

/** What the config needs to know of the networks: the backend subnets and the edge gateway(s). */
export function networkFacts(backend: Docker.NetworkInspectInfo, edge: Docker.NetworkInspectInfo): NetworkFacts {
  const backendSubnets = ipam(backend)
    .map((c) => c.Subnet)
    .filter((s): s is string => Boolean(s));
  const adminClients = ipam(edge)
    .map((c) => c.Gateway)
    .filter((s): s is string => Boolean(s));
  if (!backendSubnets.length || !adminClients.length) {
    throw new SwitchyardError('INTERNAL', `Docker gave no subnet or gateway for the networks ${backend.Name} and ${edge.Name}`);
  }
  return { backendSubnets, adminClients };
}

/** Whether the load balancer container holds a certificate (in its state volume). */
export async function hasCertificate(docker: Docker, lbName: string): Promise<boolean> {
  return (await readFile(docker.getContainer(lbName), HAPROXY_CERT_FILE).catch(() => undefined)) !== undefined;
}

/** The facts for an environment already deployed, or undefined. */
export async function currentFacts(docker: Docker, env: string): Promise<NetworkFacts | undefined> {
  const [backend, edge, certificate] = await Promise.all([
    docker
      .getNetwork(names.backendNetwork(env))
      .inspect()
      .catch(() => undefined),
    docker
      .getNetwork(EDGE_NETWORK)
      .inspect()
      .catch(() => undefined),
    hasCertificate(docker, names.haproxy(env)),
  ]);
  if (!backend || !edge) return undefined;
  try {
    return { ...networkFacts(backend, edge), certificate };
  } catch {
    return undefined;
  }
}
