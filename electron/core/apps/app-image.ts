import { promises as fs } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { App } from '../../../shared/apps';
import { SwitchyardError } from '../../../shared/errors';
import { msg, type Message } from '../../../shared/messages';
import type { ImageService } from '../environments/images';
import { LABEL_APP, LABEL_ENV, PREFIX } from '../environments/naming';
import { dockerError, followProgress, isNotFound } from '../targets/docker-util';

/** The tag an environment's built app gets on its host: rebuilt on each deploy, from Docker's cache when nothing changed. */
export const appImageTag = (env: string) => `${PREFIX}-app/${env}:latest`;

/**
 * Takes away the tags Switchyard gave an environment's app images on a host (the build's
 * `latest`, one per release): an image no other tag names is then deleted, and its disk space
 * freed. An image a container still runs stays (Docker refuses); one the user tagged too keeps
 * the user's tag.
 */
export async function removeAppImages(docker: Docker, envName: string): Promise<void> {
  const repo = `${PREFIX}-app/${envName}`;
  const images = await docker.listImages({ filters: { reference: [repo] } });
  const tags = images.flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith(`${repo}:`));
  for (const tag of tags) {
    await docker
      .getImage(tag)
      .remove()
      .catch(() => undefined);
  }
}

/**
 * The image an environment's app runs: pulled (with the host's registry login) for an image
 * source, or built on the host's engine from the folder for a build source — the folder goes
 * to the engine as the build context through the Docker API, so a remote host builds it the
 * same way. Resolves with the image id, which decides whether replicas are recreated.
 */
export async function ensureAppImage(docker: Docker, images: ImageService, envName: string, app: App, hostId: string, onLine: (line: Message) => void): Promise<{ ref: string; id: string }> {
  if (app.source.kind === 'image') {
    const id = await images.ensureImage(docker, app.source.image, 'app.source.image', onLine, hostId);
    return { ref: app.source.image, id };
  }
  const { context, dockerfile } = app.source;
  const entries = await fs.readdir(context).catch((err: NodeJS.ErrnoException) => {
    const opts = { field: 'app.source.context' };
    if (err.code === 'ENOENT') throw SwitchyardError.because('VALIDATION', 'contextMissing', { context }, opts);
    if (err.code === 'ENOTDIR') throw SwitchyardError.because('VALIDATION', 'contextIsFile', { context }, opts);
    throw SwitchyardError.because('VALIDATION', 'contextUnreadable', { context, said: err.message }, opts);
  });
  const found = await fs.stat(path.join(context, dockerfile)).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!found) {
    throw SwitchyardError.because('VALIDATION', 'noDockerfile', { context, dockerfile }, { field: 'app.source.dockerfile' });
  }
  const tag = appImageTag(envName);
  onLine(msg('image.building', { tag, base: context }));
  // The last "Step n/m : …" line: the failing instruction, named in the error.
  let step = '';
  try {
    const stream = await docker.buildImage(
      { context, src: entries },
      {
        t: tag,
        dockerfile,
        labels: { [LABEL_APP]: 'switchyard', [LABEL_ENV]: envName },
        rm: true,
        forcerm: true,
      },
    );
    await followProgress(docker, stream, (e) => {
      for (const line of (e.stream ?? '').split('\n').map((l) => l.trimEnd())) {
        if (!line) continue;
        if (/^Step \d+\/\d+ : /.test(line)) step = line;
        onLine(msg('image.output', { line }));
      }
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET') throw dockerError(err, `building ${tag}`);
    const said = ((err as { json?: { message?: string } }).json?.message ?? (err as Error).message).trim();
    const opts = { field: 'app.source', detail: said, cause: err };
    if (!step) throw SwitchyardError.because('IMAGE_BUILD_FAILED', 'app', { context }, opts);
    throw SwitchyardError.because('IMAGE_BUILD_FAILED', 'appAt', { context, step: step.replace(/^Step (\d+\/\d+) : /, '$1: ') }, opts);
  }
  try {
    return { ref: tag, id: (await docker.getImage(tag).inspect()).Id };
  } catch (err) {
    if (isNotFound(err)) throw SwitchyardError.because('IMAGE_BUILD_FAILED', 'appVanished', { tag }, { field: 'app.source' });
    throw dockerError(err, `looking for ${tag}`);
  }
}
