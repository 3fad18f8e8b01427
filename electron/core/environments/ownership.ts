import type Docker from 'dockerode';
import { z } from 'zod';
import { SwitchyardError } from '../../../shared/errors';
import type { Environment } from '../../../shared/model';
import type { Installation } from '../store/installation';
import { shortId, whoOf } from '../store/installation';
import { dockerError, isNotFound, putFile, readFile } from '../targets/docker-util';
import { HAPROXY_DEED, HAPROXY_DEED_NAME, HAPROXY_STATE_DIR, LABEL_INSTALLATION, LABEL_OWNER, LABEL_ROLE, envFilter, names, type Owner } from './naming';

export const ownerOf = (i: Installation): Owner => ({ installation: i.id, by: whoOf(i) });

const Deed = z.object({
  installation: z.string().min(1),
  by: z.string(),
  environment: z.string(),
  writtenAt: z.string(),
  /** The settings deployed, so that an installation that never knew the environment can adopt it. */
  model: z.unknown().optional(),
});
export type Deed = z.infer<typeof Deed>;

/**
 * Who manages an environment on an engine. The deed in the load balancer's state volume says so
 * when there is one (it survives the load balancer's replacement, and moves on adoption, which
 * Docker labels cannot: they are fixed when a resource is created). Without a deed, the labels
 * on its resources say who created them; resources from before installations had ids carry
 * none and are `unclaimed`: the installation whose store names them claims them on its next deploy.
 */
export type Claim = { kind: 'none' } | { kind: 'unclaimed' } | { kind: 'owned'; owner: Owner; source: 'deed' | 'labels'; deed?: Deed };

export async function readDeed(docker: Docker, env: string): Promise<Deed | undefined> {
  const text = await readFile(docker.getContainer(names.haproxy(env)), HAPROXY_DEED).catch((err) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (!text) return undefined;
  try {
    const deed = Deed.safeParse(JSON.parse(text));
    return deed.success && deed.data.environment === env ? deed.data : undefined;
  } catch {
    // A damaged deed proves nothing: the labels decide.
    return undefined;
  }
}

export async function writeDeed(container: Docker.Container, me: Owner, env: Environment, now: Date): Promise<void> {
  const deed: Deed = { installation: me.installation, by: me.by, environment: env.name, writtenAt: now.toISOString(), model: env };
  await putFile(container, HAPROXY_STATE_DIR, HAPROXY_DEED_NAME, JSON.stringify(deed, null, 2) + '\n');
}

/** The owner named by labels: the load balancer's first, then any other resource's. */
export function ownerFromLabels(labelSets: Record<string, string>[]): Claim {
  if (!labelSets.length) return { kind: 'none' };
  const sorted = [...labelSets].sort((a, b) => Number(b[LABEL_ROLE] === 'haproxy') - Number(a[LABEL_ROLE] === 'haproxy'));
  const labelled = sorted.find((l) => l[LABEL_INSTALLATION]);
  if (!labelled) return { kind: 'unclaimed' };
  return { kind: 'owned', source: 'labels', owner: { installation: labelled[LABEL_INSTALLATION], by: labelled[LABEL_OWNER] ?? 'unknown' } };
}

export async function claimOf(docker: Docker, env: string): Promise<Claim> {
  try {
    const deed = await readDeed(docker, env);
    if (deed) return { kind: 'owned', source: 'deed', owner: { installation: deed.installation, by: deed.by }, deed };
    const filters = envFilter(env);
    const [containers, networks, volumes] = await Promise.all([
      docker.listContainers({ all: true, filters }),
      docker.listNetworks({ filters }),
      docker.listVolumes({ filters }).then((v) => v.Volumes ?? []),
    ]);
    return ownerFromLabels([...containers, ...networks, ...volumes].map((r) => r.Labels ?? {}));
  } catch (err) {
    throw dockerError(err, `finding who manages ${env}`);
  }
}

export const isForeign = (claim: Claim, me: Owner): claim is Extract<Claim, { kind: 'owned' }> => claim.kind === 'owned' && claim.owner.installation !== me.installation;

export function ownedElsewhere(env: string, owner: Owner): SwitchyardError {
  return SwitchyardError.because('OWNED_ELSEWHERE', 'owned', { env, installation: shortId(owner.installation), by: owner.by }, { field: 'environment' });
}

/** Refuses, changing nothing, when another installation manages `env` on this engine. */
export async function assertOwned(docker: Docker, env: string, me: Owner): Promise<Claim> {
  const claim = await claimOf(docker, env);
  if (isForeign(claim, me)) throw ownedElsewhere(env, claim.owner);
  return claim;
}
