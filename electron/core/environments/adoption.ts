import type Docker from 'dockerode';
import type { FoundEnvironment, Task } from '../../../shared/contract';
import { SwitchyardError } from '../../../shared/errors';
import { msg } from '../../../shared/messages';
import { Environment, parseOrThrow, type Environment as Env } from '../../../shared/model';
import { dockerError } from '../targets/docker-util';
import { HAPROXY_HTTP_PORT, LABEL_APP, LABEL_ENV, LABEL_ROLE } from './naming';
import { claimOf, isForeign, type Claim } from './ownership';
import type { EnvironmentService, TargetResolver } from './service';

/**
 * Environments on a shared engine that this installation may not manage: what every Switchyard
 * deployed on a host, and taking one over (adoption).
 */
export class Adoption {
  constructor(
    private readonly envs: EnvironmentService,
    private readonly targetFor: TargetResolver,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Environments found on a host (deployed by any Switchyard), with who manages each and whether
   * this installation knows it: what a host's view lists, and what can be adopted.
   */
  async found(hostId: string): Promise<FoundEnvironment[]> {
    const target = await this.targetFor(hostId);
    const me = await this.envs.me();
    const known = new Set((await this.envs.list()).filter((e) => e.host === hostId).map((e) => e.name));
    let containers: Docker.ContainerInfo[];
    try {
      containers = await target.docker.listContainers({ all: true, filters: { label: [`${LABEL_APP}=switchyard`, LABEL_ENV] } });
    } catch (err) {
      throw dockerError(err, `listing what Switchyard deployed on ${hostId}`);
    }
    const byEnv = new Map<string, Docker.ContainerInfo[]>();
    for (const c of containers) {
      const name = c.Labels[LABEL_ENV];
      if (['haproxy', 'backend'].includes(c.Labels[LABEL_ROLE])) byEnv.set(name, [...(byEnv.get(name) ?? []), c]);
    }
    const found: FoundEnvironment[] = [];
    for (const [name, list] of [...byEnv.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const claim = await claimOf(target.docker, name);
      const lb = list.find((c) => c.Labels[LABEL_ROLE] === 'haproxy');
      const port = lb?.Ports.find((p) => p.PrivatePort === HAPROXY_HTTP_PORT && p.PublicPort)?.PublicPort;
      const f: FoundEnvironment = {
        name,
        known: known.has(name),
        managedHere: claim.kind === 'owned' ? claim.owner.installation === me.installation : known.has(name),
        containers: list.length,
        running: list.filter((c) => c.State === 'running').length,
        // Adopting needs settings: this store's, or those the manager left in the deed.
        adoptable: known.has(name) || (claim.kind === 'owned' && claim.deed?.model !== undefined),
      };
      if (claim.kind === 'owned') f.owner = claim.owner;
      if (port) f.httpPort = port;
      found.push(f);
    }
    return found;
  }

  /**
   * Takes an environment over from the Switchyard that manages it on a host (or claims one made
   * before installations had ids): its settings are this store's when it knows the environment,
   * else those the other installation left in the deed; then a deploy makes them run, and the
   * deed names this installation. Nothing is recreated for the change of hands.
   */
  async adopt(name: string, hostId: string): Promise<Task> {
    const target = await this.targetFor(hostId);
    const me = await this.envs.me();
    const known = (await this.envs.list()).find((e) => e.name === name);
    if (known && known.host !== hostId) {
      throw SwitchyardError.because('VALIDATION', 'placedElsewhere', { env: name, placed: known.host, host: hostId }, { field: 'host' });
    }
    return this.envs.exclusive(name, 'adopt', async (ctx) => {
      ctx.step('claim', 2, msg('adopt.claim', { env: name, host: hostId }));
      const claim = await claimOf(target.docker, name);
      if (claim.kind === 'none') {
        throw SwitchyardError.because('NOT_FOUND', 'nothingToAdopt', { env: name, host: hostId }, { field: 'environment' });
      }
      if (known && claim.kind === 'owned' && !isForeign(claim, me)) return msg('adopt.alreadyHere', { env: name });
      const env = known ?? (await this.importFromDeed(name, hostId, claim));
      return this.envs.deployWithin(env, ctx, { adopt: true });
    });
  }

  private async importFromDeed(name: string, hostId: string, claim: Claim): Promise<Env> {
    const model = claim.kind === 'owned' ? claim.deed?.model : undefined;
    if (!model || typeof model !== 'object') {
      throw SwitchyardError.because('NOT_FOUND', 'noSettings', { env: name, host: hostId }, { field: 'environment' });
    }
    const stamp = this.now().toISOString();
    return this.envs.add(parseOrThrow(Environment, { ...(model as Record<string, unknown>), name, host: hostId, updatedAt: stamp }, 'model'));
  }
}
