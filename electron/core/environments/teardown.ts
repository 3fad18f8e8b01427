import type Docker from 'dockerode';
import type { TaskContext } from '../tasks/task-manager';
import { SwitchyardError } from '../../../shared/errors';
import { msg, type Message } from '../../../shared/messages';
import { dockerError, isNotFound } from '../targets/docker-util';
import { acquireHostLock } from './host-lock';
import { envFilter, names, type Owner } from './naming';
import { environmentServices, removeService } from '../clusters/swarm-backend';
import { claimOf, isForeign, ownedElsewhere } from './ownership';

/**
 * Removes every container, network and volume labelled for one environment, and nothing else;
 * refuses, removing nothing, when another installation manages it.
 */
export async function destroyEnvironment(docker: Docker, env: string, ctx: TaskContext, me: Owner, manager?: Docker): Promise<Message> {
  const ignoreGone = (err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err));
  let unlock: (() => Promise<void>) | undefined;
  try {
    ctx.step('containers', 10, msg('destroy.containers'));
    const found = await docker.listContainers({ all: true, filters: envFilter(env) });
    // The engine-side lock needs an image to create its container: any of the environment's
    // will do. With no container left there is nothing a concurrent deploy could collide with.
    if (found.length) unlock = await acquireHostLock(docker, env, me, found[0].ImageID);
    const claim = await claimOf(docker, env);
    if (isForeign(claim, me)) throw ownedElsewhere(env, claim.owner);
    // On a cluster: its services first (Swarm would start their tasks again), and their tasks gone;
    // none of them if one is another installation's (the load balancer may sit on another engine).
    if (manager) {
      const services = await environmentServices(manager, env);
      const foreign = services.find((s) => s.owner && s.owner.installation !== me.installation);
      if (foreign) throw ownedElsewhere(env, foreign.owner!);
      for (const s of services) await removeService(manager, s.id, names.backendNetwork(env));
    }
    const containers = await docker.listContainers({ all: true, filters: envFilter(env) });
    await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreGone)));
    ctx.checkCancelled();

    ctx.step('networks', 60, msg('destroy.networks'));
    const networks = await docker.listNetworks({ filters: envFilter(env) });
    // The overlay network is the manager's (the load balancer's node only sees it while attached).
    if (manager && manager !== docker) networks.push(...(await manager.listNetworks({ filters: envFilter(env) })).filter((n) => !networks.some((x) => x.Id === n.Id)));
    for (const n of networks) await (manager && n.Driver === 'overlay' ? manager : docker).getNetwork(n.Id).remove().catch(ignoreGone);

    ctx.step('volumes', 85, msg('destroy.volumes'));
    const volumes = (await docker.listVolumes({ filters: envFilter(env) })).Volumes ?? [];
    for (const v of volumes) await docker.getVolume(v.Name).remove().catch(ignoreGone);

    return msg('destroy.done', {
      env,
      containers: msg('count.containers', { n: { count: containers.length } }),
      networks: msg('count.networks', { n: { count: networks.length } }),
      volumes: msg('count.volumes', { n: { count: volumes.length } }),
    });
  } catch (err) {
    if (err instanceof SwitchyardError) throw err;
    throw dockerError(err, `destroying ${env}`);
  } finally {
    await unlock?.();
  }
}
