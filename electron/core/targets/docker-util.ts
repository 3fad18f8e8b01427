import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { SwitchyardError } from '../../../shared/errors';

export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 404;
}

/** Turns "cannot talk to Docker at all" into one clear error; anything else passes through. */
export function dockerError(err: unknown, doing: string): Error {
  if (err instanceof SwitchyardError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || code === 'ECONNRESET') {
    return SwitchyardError.because('DOCKER_UNAVAILABLE', code === 'EACCES' ? 'denied' : 'engine', { doing, errno: code }, { cause: err });
  }
  // Docker's own words are the detail: the window shows them apart, under its own sentence.
  const message = (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
  return SwitchyardError.because('INTERNAL', 'docker', { doing }, { detail: String(message), cause: err });
}

/** A tar archive holding one file, for `putArchive`. */
export async function tarOf(files: { name: string; content: string; mode?: number; uid?: number; gid?: number }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const f of files) pack.entry({ name: f.name, mode: f.mode ?? 0o644, uid: f.uid ?? 0, gid: f.gid ?? 0, mtime: new Date(0) }, f.content);
  pack.finalize();
  return streamToBuffer(pack);
}

export async function streamToBuffer(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

export async function putFile(container: Docker.Container, dir: string, name: string, content: string): Promise<void> {
  await container.putArchive(await tarOf([{ name, content }]), { path: dir });
}

/**
 * Reads the archive of `path` in a container, handing each entry (its tar header and its bytes)
 * to `onEntry`. False when the path does not exist.
 */
async function eachArchiveEntry(container: Docker.Container, path: string, onEntry: (header: tar.Header, content: Buffer) => void): Promise<boolean> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await container.getArchive({ path });
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
  const extract = tar.extract();
  extract.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => chunks.push(c as Buffer));
    body.on('end', () => {
      onEntry(header, Buffer.concat(chunks));
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    (stream as Readable).pipe(extract);
  });
  return true;
}

/** The names of the files directly in a container's directory (one archive read); none when it does not exist. */
export async function filesIn(container: Docker.Container, dir: string): Promise<Set<string>> {
  const names = new Set<string>();
  // Entries are named after the directory: "haproxy/server-state" for /var/lib/haproxy.
  await eachArchiveEntry(container, dir, (header) => {
    const rest = header.name.split('/').slice(1);
    if (header.type === 'file' && rest.length === 1) names.add(rest[0]);
  });
  return names;
}

/** A file's text from a container, or undefined when it does not exist. */
export async function readFile(container: Docker.Container, path: string): Promise<string | undefined> {
  let text: string | undefined;
  await eachArchiveEntry(container, path, (header, content) => {
    if (header.type === 'file' && text === undefined) text = content.toString('utf8');
  });
  return text;
}

/** Runs a command in a running container; returns its exit code and combined output. */
export async function execIn(docker: Docker, container: Docker.Container, cmd: string[]): Promise<{ exitCode: number; output: string }> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  docker.modem.demuxStream(stream, out, out);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
}

/** Follows a build or pull stream to its end; rejects with the engine's own error text. */
export function followProgress(docker: Docker, stream: NodeJS.ReadableStream, onEvent?: (e: { status?: string; stream?: string }) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: { error?: string; errorDetail?: { message?: string } }[]) => {
        if (err) return reject(err);
        const failed = output.find((o) => o.error || o.errorDetail);
        if (failed) return reject(new Error(failed.errorDetail?.message ?? failed.error));
        resolve();
      },
      onEvent,
    );
  });
}
