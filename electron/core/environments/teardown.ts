import type Docker from 'dockerode';
import type { TaskContext } from '../tasks/task-manager';
import { dockerError, isNotFound } from '../targets/docker-util';
import { envFilter } from './naming';

/** Removes every container, network and volume labelled for one environment, and nothing else. */
export async function destroyEnvironment(docker: Docker, env: string, ctx: TaskContext): Promise<string> {
  const ignoreGone = (err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err));
  try {
    ctx.step('containers', 10, 'Removing containers');
    const containers = await docker.listContainers({ all: true, filters: envFilter(env) });
    await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreGone)));
    ctx.checkCancelled();

    ctx.step('networks', 60, 'Removing networks');
    const networks = await docker.listNetworks({ filters: envFilter(env) });
    for (const n of networks) await docker.getNetwork(n.Id).remove().catch(ignoreGone);

    ctx.step('volumes', 85, 'Removing volumes');
    const volumes = (await docker.listVolumes({ filters: envFilter(env) })).Volumes ?? [];
    for (const v of volumes) await docker.getVolume(v.Name).remove().catch(ignoreGone);

    return `${env} destroyed: ${containers.length} containers, ${networks.length} networks, ${volumes.length} volumes removed`;
  } catch (err) {
    throw dockerError(err, `destroying ${env}`);
  }
}
