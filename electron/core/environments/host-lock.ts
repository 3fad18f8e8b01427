import type Docker from 'dockerode';
import { SwitchyardError } from '../../../shared/errors';
import { shortId } from '../store/installation';
import { dockerError, isNotFound } from '../targets/docker-util';
import { LABEL_APP, LABEL_INSTALLATION, LABEL_LOCK, LABEL_OWNER, names, ownerLabels, type Owner } from './naming';

export type Release = () => Promise<void>;

const LABEL_SINCE = 'io.switchyard.since';

const isConflict = (err: unknown) => (err as { statusCode?: number }).statusCode === 409;

/**
 * A lock held on the engine itself, so that two installations (two laptops managing one server)
 * never interleave deploys of one environment. A container name is the one thing Docker creates
 * atomically: the container is created, never started, and removed to release. The local lock
 * (one per data folder) is always taken first, so a lock of this installation found here was
 * left by a process that died, and is taken over.
 */
export async function acquireHostLock(docker: Docker, env: string, me: Owner, image: string, now: () => Date = () => new Date()): Promise<Release> {
  const name = names.lock(env);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const c = await docker.createContainer({
        name,
        Image: image,
        Labels: { [LABEL_APP]: 'switchyard', [LABEL_LOCK]: env, ...ownerLabels(me), [LABEL_SINCE]: now().toISOString() },
        HostConfig: { NetworkMode: 'none' },
      });
      return async () => {
        await c.remove({ force: true }).catch(() => undefined);
      };
    } catch (err) {
      if (!isConflict(err)) throw dockerError(err, `locking ${env} on the host`);
    }
    let labels: Record<string, string>;
    try {
      labels = (await docker.getContainer(name).inspect()).Config.Labels ?? {};
    } catch (err) {
      // Released between our attempt and the look: try again.
      if (isNotFound(err)) continue;
      throw dockerError(err, `locking ${env} on the host`);
    }
    if (labels[LABEL_INSTALLATION] === me.installation) {
      await docker
        .getContainer(name)
        .remove({ force: true })
        .catch((err) => (isNotFound(err) ? undefined : Promise.reject(dockerError(err, `unlocking ${env}`))));
      continue;
    }
    const who = labels[LABEL_OWNER] ?? 'unknown';
    const since = labels[LABEL_SINCE];
    const holder = { installation: shortId(labels[LABEL_INSTALLATION] ?? '?'), by: who, env, container: name };
    const opts = { field: 'environment', detail: who };
    throw since ? SwitchyardError.because('BUSY', 'hostLockSince', { ...holder, since: { date: since } }, opts) : SwitchyardError.because('BUSY', 'hostLock', holder, opts);
  }
  throw SwitchyardError.because('BUSY', 'hostLockContended', { env }, { field: 'environment' });
}
