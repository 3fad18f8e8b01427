import type { Footprint } from '../../../shared/contract';
import type { Environment } from '../../../shared/model';
import { LABEL_ENV, names } from './naming';

/**
 * The names of what a deploy of `env` creates on its host, worked out from the model alone: it
 * must answer for a host that can no longer be reached. External servers run elsewhere.
 */
export function footprintOf(env: Environment): Footprint {
  return {
    environment: env.name,
    host: env.host,
    label: `${LABEL_ENV}=${env.name}`,
    containers: [names.haproxy(env.name), ...env.servers.filter((s) => s.kind === 'demo').map((s) => names.backend(env.name, s.name))],
    networks: [names.backendNetwork(env.name)],
    volumes: [names.stateVolume(env.name)],
  };
}
