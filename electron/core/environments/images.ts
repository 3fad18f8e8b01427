import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { SwitchyardError } from '../../../shared/errors';
import { msg, type Message } from '../../../shared/messages';
import { dockerError, followProgress, isNotFound, tarOf } from '../targets/docker-util';
import { registryOf } from '../../../shared/registries';
import type { AuthConfig } from '../registries/registry-service';
import { LABEL_APP, PREFIX } from './naming';
import type { LocalImage } from '../../../shared/contract';

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
  async ensureDemoImage(docker: Docker, base: string, onLine?: (line: Message) => void): Promise<{ tag: string; id: string }> {
    const { tag, files } = await this.demoImage(base);
    const present = await inspectImage(docker, tag);
    if (present) return { tag, id: present };
    onLine?.(msg('image.building', { tag, base }));
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
        if (line) onLine?.(msg('image.output', { line }));
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'ECONNREFUSED') throw dockerError(err, 'building the demo backend image');
      throw SwitchyardError.because('IMAGE_BUILD_FAILED', 'build', { base }, { field: 'images.demoBase', detail: (err as Error).message.trim(), cause: err });
    }
    const id = await inspectImage(docker, tag);
    if (!id) throw new SwitchyardError('IMAGE_BUILD_FAILED', `The demo backend image ${tag} was built but cannot be found`);
    return { tag, id };
  }

  /**
   * Returns the image's id, pulling it when missing, with the host's login for its registry
   * when one was kept. Progress is reported per layer, as `docker pull` shows it.
   */
  async ensureImage(docker: Docker, ref: string, field: string, onLine?: (line: Message) => void, hostId = 'local'): Promise<string> {
    const present = await inspectImage(docker, ref);
    if (present) return present;
    const registry = registryOf(ref);
    const auth = await this.credentials?.(ref, hostId);
    onLine?.(auth ? msg('image.pullingAs', { image: ref, user: auth.username }) : msg('image.pulling', { image: ref }));
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
    if (!id) throw SwitchyardError.because('IMAGE_MISSING', 'vanished', { image: ref }, { field });
    return id;
  }
}

/** Docker's answer to a failed pull, as something a person can act on. */
export function pullError(ref: string, registry: string, withLogin: boolean, field: string, err: unknown): SwitchyardError {
  const said = ((err as { json?: { message?: string } }).json?.message ?? (err as Error).message ?? String(err)).trim();
  const denied = /no basic auth credentials|unauthorized|authentication required|denied|incorrect username or password|401/i.test(said);
  const opts = { field, detail: said, cause: err };
  // Docker Hub answers a name it does not have as it answers a private one: say both, once.
  if (/repository does not exist or may require/i.test(said) && !withLogin) return SwitchyardError.because('IMAGE_MISSING', 'absentOrPrivate', { image: ref, registry }, opts);
  if (denied) return SwitchyardError.because('IMAGE_PULL_DENIED', withLogin ? 'loginRefused' : 'loginNeeded', { image: ref, registry }, opts);
  const missing = /not found|manifest unknown|does not exist|no such image/i.test(said);
  return SwitchyardError.because('IMAGE_MISSING', missing ? 'absent' : 'unreachable', { image: ref, registry }, opts);
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
    private readonly say: (line: Message) => void,
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

  private line(): Message {
    const all = [...this.layers.values()];
    const current = all.reduce((a, l) => a + l.current, 0);
    const total = all.reduce((a, l) => a + l.total, 0);
    const layers = { image: this.ref, done: { count: all.filter((l) => l.done).length }, layers: { count: all.length } };
    return total ? msg('image.pullBytes', { ...layers, current: { bytes: current }, total: { bytes: total } }) : msg('image.pullLayers', layers);
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

/**
 * The tagged images an engine has, newest first, without those Switchyard builds itself (the
 * demo backend, apps built from a folder): what an image field can offer without a pull.
 */
export async function localImages(docker: Docker): Promise<LocalImage[]> {
  const list = await docker.listImages();
  const out: LocalImage[] = [];
  for (const image of list.sort((a, b) => b.Created - a.Created)) {
    for (const ref of image.RepoTags ?? []) {
      if (ref === '<none>:<none>' || builtHere(ref.slice(0, ref.lastIndexOf(':')))) continue;
      out.push({ ref, size: image.Size, created: new Date(image.Created * 1000).toISOString() });
    }
  }
  return out;
}

/** Repositories Switchyard builds into: the demo backend, apps built from a folder (and their releases). */
const builtHere = (repo: string) => repo === DEMO_IMAGE_REPO || repo.startsWith(`${PREFIX}-app/`);
