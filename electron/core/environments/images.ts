import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { SwitchyardError } from '../../../shared/errors';
import { dockerError, followProgress, isNotFound, tarOf } from '../targets/docker-util';
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
  constructor(private readonly demoContextDir: string) {}

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

  /** Returns the image's id, pulling it when missing. */
  async ensureImage(docker: Docker, ref: string, field: string, onLine?: (line: string) => void): Promise<string> {
    const present = await inspectImage(docker, ref);
    if (present) return present;
    onLine?.(`pulling ${ref}`);
    try {
      const stream = await docker.pull(ref);
      await followProgress(docker, stream);
    } catch (err) {
      if ((err as { code?: string }).code === 'ECONNREFUSED') throw dockerError(err, `pulling ${ref}`);
      const message = (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
      throw new SwitchyardError('IMAGE_MISSING', `The image ${ref} is not on the host and could not be pulled: ${message.trim()}`, { field, cause: err });
    }
    const id = await inspectImage(docker, ref);
    if (!id) throw new SwitchyardError('IMAGE_MISSING', `The image ${ref} was pulled but cannot be found`, { field });
    return id;
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
