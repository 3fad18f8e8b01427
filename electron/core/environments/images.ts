import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { SwitchyardError } from '../../../shared/errors';
import { dockerError, followProgress, isNotFound, tarOf } from '../targets/docker-util';
import { registryOf } from '../../../shared/registries';
import type { AuthConfig } from '../registries/registry-service';
import { LABEL_APP } from './naming';

export const DEMO_IMAGE_REPO = 'switchyard/demo-backend';

interface ContextFile {
  name: string;
  content: string;
  mode: number;
}

async function readContext(dir: string): Promise<ContextFile[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const files: ContextFile[] = [];
  for (const e of entries.filter((x) => x.isFile()).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, e.name);
    const stat = await fs.stat(full);
    files.push({ name: e.name, content: await fs.readFile(full, 'utf8'), mode: stat.mode & 0o111 ? 0o755 : 0o644 });
  }
  return files;
}

/**
 * Ensures the images an environment needs are on the target's engine: the demo backend,
 * built from docker/demo-backend on the chosen base (its tag is a hash of both, so a new
 * base or a changed file gives a new image), and the HAProxy image (pulled if missing).
 */
export class ImageService {
  constructor(
    private readonly demoContextDir: string,
    /** A private registry's login for pulling `ref` on a host, when one was kept. */
    private readonly credentials?: (ref: string, hostId: string) => Promise<AuthConfig | undefined>,
  ) {}

  /** The demo image's tag for a base image, and the build context behind it. */
  async demoImage(base: string): Promise<{ tag: string; files: ContextFile[] }> {
    const files = await readContext(this.demoContextDir);
    const h = createHash('sha256').update(base);
    for (const f of files) h.update(`\0${f.name}\0${f.mode}\0${f.content}`);
    return { tag: `${DEMO_IMAGE_REPO}:${h.digest('hex').slice(0, 12)}`, files };
  }

  /** Returns the image's id, building it when missing. */
  async ensureDemoImage(docker: Docker, base: string, onLine?: (line: string) => void): Promise<{ tag: string; id: string }> {
    const { tag, files } = await this.demoImage(base);
    const present = await inspectImage(docker, tag);
    if (present) return { tag, id: present };
    onLine?.(`building ${tag} from ${base}`);
    try {
      const context = await tarOf(files);
      const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
        t: tag,
        buildargs: { BASE_IMAGE: base },
        labels: { [LABEL_APP]: 'switchyard' },
        rm: true,
        forcerm: true,
      });
      await followProgress(docker, stream, (e) => {
        const line = e.stream?.trim();
        if (line) onLine?.(line);
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'ECONNREFUSED') throw dockerError(err, 'building the demo backend image');
      throw new SwitchyardError(
        'IMAGE_BUILD_FAILED',
        `Could not build the demo backend image from ${base}: ${(err as Error).message.trim()}. Make sure ${base} is on the host or can be pulled, or choose another base image (images.demoBase).`,
        { field: 'images.demoBase', cause: err },
      );
    }
    const id = await inspectImage(docker, tag);
    if (!id) throw new SwitchyardError('IMAGE_BUILD_FAILED', `The demo backend image ${tag} was built but cannot be found`);
    return { tag, id };
  }

  /**
   * Returns the image's id, pulling it when missing, with the host's login for its registry
   * when one was kept. Progress is reported per layer, as `docker pull` shows it.
   */
  async ensureImage(docker: Docker, ref: string, field: string, onLine?: (line: string) => void, hostId = 'local'): Promise<string> {
    const present = await inspectImage(docker, ref);
    if (present) return present;
    const registry = registryOf(ref);
    const auth = await this.credentials?.(ref, hostId);
    onLine?.(`pulling ${ref}${auth ? ` as ${auth.username}` : ''}`);
    try {
      const stream = await docker.pull(ref, auth ? { authconfig: auth } : {});
      const progress = new PullProgress(ref, (line) => onLine?.(line));
      await followProgress(docker, stream, (e) => progress.update(e));
      progress.done();
    } catch (err) {
      if ((err as { code?: string }).code === 'ECONNREFUSED') throw dockerError(err, `pulling ${ref}`);
      throw pullError(ref, registry, Boolean(auth), field, err);
    }
    const id = await inspectImage(docker, ref);
    if (!id) throw new SwitchyardError('IMAGE_MISSING', `The image ${ref} was pulled but cannot be found`, { field });
    return id;
  }
}

/** Docker's answer to a failed pull, as something a person can act on. */
export function pullError(ref: string, registry: string, withLogin: boolean, field: string, err: unknown): SwitchyardError {
  const said = ((err as { json?: { message?: string } }).json?.message ?? (err as Error).message ?? String(err)).trim();
  const denied = /no basic auth credentials|unauthorized|authentication required|denied|incorrect username or password|401/i.test(said);
  if (denied) {
    const what = withLogin
      ? `${registry} refused the login kept for it. Log in again: switchyard registry login ${registry}`
      : `${registry} wants a login. Log in first: switchyard registry login ${registry}`;
    return new SwitchyardError('IMAGE_PULL_DENIED', `Pulling ${ref} was refused: ${what}. Nothing was deployed.`, { field, detail: said, cause: err });
  }
  const missing = /not found|manifest unknown|does not exist|no such image/i.test(said);
  const why = missing ? `${registry} has no image ${ref}: check its name and tag` : `${registry} could not be reached or failed: ${said}`;
  return new SwitchyardError('IMAGE_MISSING', `The image ${ref} is not on the host and could not be pulled: ${why}.`, { field, detail: said, cause: err });
}

interface PullEvent {
  id?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
}

/** Sums a pull's per-layer events into one line now and then: layers done, bytes downloaded. */
class PullProgress {
  private readonly layers = new Map<string, { current: number; total: number; done: boolean }>();
  private last = 0;

  constructor(
    private readonly ref: string,
    private readonly say: (line: string) => void,
  ) {}

  update(e: PullEvent): void {
    if (!e.id || !e.status || e.id === this.ref.split(':').pop()) return;
    const l = this.layers.get(e.id) ?? { current: 0, total: 0, done: false };
    if (e.status === 'Downloading' && e.progressDetail?.total) {
      l.current = e.progressDetail.current ?? l.current;
      l.total = e.progressDetail.total;
    }
    if (/^(Pull complete|Already exists|Download complete)$/.test(e.status)) {
      l.done = e.status !== 'Download complete' || l.done;
      if (l.total) l.current = l.total;
    }
    this.layers.set(e.id, l);
    const now = Date.now();
    if (now - this.last >= 500) {
      this.last = now;
      this.say(this.line());
    }
  }

  done(): void {
    if (this.layers.size) this.say(this.line());
  }

  private line(): string {
    const all = [...this.layers.values()];
    const mb = (n: number) => (n / 1e6).toFixed(1);
    const current = all.reduce((a, l) => a + l.current, 0);
    const total = all.reduce((a, l) => a + l.total, 0);
    const bytes = total ? `, ${mb(current)} of ${mb(total)} MB` : '';
    return `pulling ${this.ref}: ${all.filter((l) => l.done).length} of ${all.length} layers${bytes}`;
  }
}

async function inspectImage(docker: Docker, ref: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw dockerError(err, `looking for the image ${ref}`);
  }
}
