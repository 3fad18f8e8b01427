import path from 'node:path';
import tar from 'tar-stream';
import { containerInspect, imageInspect, listContainers, listNetworks, listVolumes, networkInspect, volumeInfo } from './fake-engine-json';
import { FakeEngineError, normalizeRef, type FakeCreateBody, type FakeEngineState } from './fake-engine-state';

/**
 * The Docker Engine API endpoints the core calls, answered from the fake engine's state: the
 * routes of fake-docker-engine.ts (which adds the event stream, faults and holds). Paths are
 * given without the `/v1.xx` prefix.
 */

export type Reply = { status: number; json?: unknown; body?: Buffer | string; type?: string; headers?: Record<string, string> };

const json = (status: number, body: unknown): Reply => ({ status, json: body });
const empty = (status = 204): Reply => ({ status });

/** Docker's stream framing without a TTY: 8-byte header (stream 1 = stdout), then the bytes. */
export function frame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = 1;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function untar(body: Buffer): Promise<{ name: string; content: string }[]> {
  const extract = tar.extract();
  const files: { name: string; content: string }[] = [];
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      if (header.type === 'file') files.push({ name: header.name, content: Buffer.concat(chunks).toString('utf8') });
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    extract.end(body);
  });
  return files;
}

async function tarOne(name: string, content: string): Promise<Buffer> {
  return tarMany([[name, content]]);
}

async function tarMany(files: [string, string][]): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of files) pack.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function answer(s: FakeEngineState, method: string, route: string, q: URLSearchParams, body: Buffer): Promise<Reply> {
  const bodyJson = () => (body.length ? JSON.parse(body.toString('utf8')) : {});
  const at = (pattern: RegExp) => pattern.exec(route);
  let m: RegExpExecArray | null;

  if (method === 'GET' && route === '/_ping') return { status: 200, body: 'OK', type: 'text/plain' };
  if (method === 'GET' && route === '/version') return json(200, { Version: '26.1.0-fake', ApiVersion: '1.45', MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64' });

  // containers
  if (method === 'GET' && route === '/containers/json') return json(200, listContainers(s, q));
  if (method === 'POST' && route === '/containers/create') {
    const c = s.create(q.get('name') ?? undefined, bodyJson() as FakeCreateBody);
    return json(201, { Id: c.id, Warnings: [] });
  }
  if ((m = at(/^\/containers\/([^/]+)\/json$/)) && method === 'GET') return json(200, containerInspect(s, s.container(m[1])));
  if ((m = at(/^\/containers\/([^/]+)\/start$/)) && method === 'POST') return (s.start(m[1]), empty());
  if ((m = at(/^\/containers\/([^/]+)\/stop$/)) && method === 'POST') return (s.stop(m[1]), empty());
  if ((m = at(/^\/containers\/([^/]+)\/kill$/)) && method === 'POST') return (s.kill(m[1], q.get('signal') ?? undefined), empty());
  if ((m = at(/^\/containers\/([^/]+)\/rename$/)) && method === 'POST') return (s.rename(m[1], q.get('name') ?? ''), empty());
  if ((m = at(/^\/containers\/([^/]+)\/wait$/)) && method === 'POST') return json(200, { StatusCode: await s.wait(m[1]), Error: null });
  if ((m = at(/^\/containers\/([^/]+)$/)) && method === 'DELETE') return (s.remove(m[1], q.get('force') === 'true' || q.get('force') === '1'), empty());
  if ((m = at(/^\/containers\/([^/]+)\/logs$/)) && method === 'GET') {
    const lines = s
      .container(m[1])
      .log.split(/(?<=\n)/)
      .filter(Boolean);
    const tail = q.get('tail');
    const shown = tail && tail !== 'all' ? lines.slice(-Number(tail)) : lines;
    return { status: 200, body: Buffer.concat(shown.map(frame)), type: 'application/vnd.docker.multiplexed-stream' };
  }
  if ((m = at(/^\/containers\/([^/]+)\/archive$/))) {
    const c = s.container(m[1]);
    const file = q.get('path') ?? '/';
    if (method === 'GET' || method === 'HEAD') {
      const content = s.readFile(c, file);
      const dir = content === undefined ? s.filesUnder(c, file) : undefined;
      if (dir) {
        // A directory comes as its entries, named after it ("haproxy/server-state").
        const base = path.posix.basename(file);
        return { status: 200, body: await tarMany([...dir].map(([name, text]) => [`${base}/${name}`, text])), type: 'application/x-tar' };
      }
      if (content === undefined) throw new FakeEngineError(404, `Could not find the file ${file} in container ${m[1]}`);
      const stat = Buffer.from(JSON.stringify({ name: path.posix.basename(file), size: Buffer.byteLength(content), mode: 0o644, mtime: new Date(0).toISOString(), linkTarget: '' })).toString('base64');
      return { status: 200, body: method === 'HEAD' ? '' : await tarOne(path.posix.basename(file), content), type: 'application/x-tar', headers: { 'x-docker-container-path-stat': stat } };
    }
    if (method === 'PUT') {
      for (const f of await untar(body)) s.writeFile(c, path.posix.join(file, f.name), f.content);
      return empty(200);
    }
  }
  if ((m = at(/^\/containers\/([^/]+)\/exec$/)) && method === 'POST') {
    const exec = s.createExec(m[1], (bodyJson() as { Cmd: string[] }).Cmd);
    return json(201, { Id: exec.id });
  }

  // execs (a start without hijack gets the frames as the body)
  if ((m = at(/^\/exec\/([^/]+)\/start$/)) && method === 'POST') {
    return { status: 200, body: frame(s.runExec(m[1]).output), type: 'application/vnd.docker.raw-stream' };
  }
  if ((m = at(/^\/exec\/([^/]+)\/json$/)) && method === 'GET') {
    const exec = s.exec(m[1]);
    return json(200, { ID: exec.id, Running: false, ExitCode: exec.exitCode ?? null, ContainerID: exec.containerId, ProcessConfig: { entrypoint: exec.cmd[0], arguments: exec.cmd.slice(1) } });
  }

  // networks
  if (method === 'GET' && route === '/networks') return json(200, listNetworks(s, q));
  if (method === 'POST' && route === '/networks/create') {
    const b = bodyJson() as { Name: string; Driver?: string; Internal?: boolean; Labels?: Record<string, string> };
    return json(201, { Id: s.createNetwork(b.Name, { driver: b.Driver, internal: b.Internal, labels: b.Labels }).id, Warning: '' });
  }
  if ((m = at(/^\/networks\/([^/]+)\/connect$/)) && method === 'POST') {
    const b = bodyJson() as { Container: string; EndpointConfig?: { Aliases?: string[] } };
    return (s.connect(m[1], b.Container, b.EndpointConfig?.Aliases), empty(200));
  }
  if ((m = at(/^\/networks\/([^/]+)$/)) && method === 'GET') return json(200, networkInspect(s, s.network(m[1])));
  if ((m = at(/^\/networks\/([^/]+)$/)) && method === 'DELETE') return (s.removeNetwork(m[1]), empty());

  // volumes
  if (method === 'GET' && route === '/volumes') return json(200, listVolumes(s, q));
  if (method === 'POST' && route === '/volumes/create') {
    const b = bodyJson() as { Name: string; Labels?: Record<string, string> };
    return json(201, volumeInfo(s.createVolume(b.Name, b.Labels ?? {})));
  }
  if ((m = at(/^\/volumes\/([^/]+)$/)) && method === 'GET') return json(200, volumeInfo(s.volume(m[1])));
  if ((m = at(/^\/volumes\/([^/]+)$/)) && method === 'DELETE') return (s.removeVolume(m[1]), empty());

  // images (names may hold slashes); every fake image was made at the same instant, the order they were added in
  if (method === 'GET' && route === '/images/json') {
    return json(
      200,
      [...s.images.values()].map((i, n) => ({ Id: i.id, RepoTags: i.tags.length ? i.tags : ['<none>:<none>'], Created: 1_700_000_000 + n, Size: 1_000_000, Labels: i.labels })),
    );
  }
  if ((m = at(/^\/images\/(.+)\/json$/)) && method === 'GET') return json(200, imageInspect(s.image(m[1])));
  if (method === 'POST' && route === '/images/create') {
    const ref = `${q.get('fromImage')}:${q.get('tag') ?? 'latest'}`;
    const image = s.pull(ref);
    const lines = [
      { status: `Pulling from ${ref.split(':')[0]}`, id: q.get('tag') },
      { status: 'Pull complete', id: 'f4k3l4y3r' },
      { status: `Digest: ${image.id}` },
      { status: `Status: Downloaded newer image for ${ref}` },
    ];
    return { status: 200, body: lines.map((l) => JSON.stringify(l)).join('\r\n') + '\r\n', type: 'application/json' };
  }
  if (method === 'POST' && route === '/build') return build(s, q, body);

  throw new FakeEngineError(404, `page not found: ${method} ${route}`);
}

/** A build succeeds when its base image is on the engine; like Docker, a failure arrives inside the stream. */
async function build(s: FakeEngineState, q: URLSearchParams, context: Buffer): Promise<Reply> {
  const files = await untar(context);
  const dockerfile = files.find((f) => f.name === (q.get('dockerfile') ?? 'Dockerfile'))?.content ?? '';
  const args: Record<string, string> = JSON.parse(q.get('buildargs') ?? '{}');
  for (const m of dockerfile.matchAll(/^ARG\s+(\w+)=(\S+)/gm)) args[m[1]] ??= m[2];
  const from = /^FROM\s+(\S+)/m.exec(dockerfile)?.[1]?.replace(/\$\{(\w+)\}/g, (_, k: string) => args[k] ?? '') ?? '';
  const lines: object[] = [{ stream: `Step 1/4 : FROM ${from}\n` }];
  if (!from || !s.findImage(from)) {
    const message = `pull access denied for ${from.split(':')[0]}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`;
    lines.push({ errorDetail: { message }, error: message });
  } else {
    const labels: Record<string, string> = JSON.parse(q.get('labels') ?? '{}');
    const image = s.addImage(q.get('t') ?? `sha256:${Date.now()}`, labels);
    lines.push({ stream: ` ---> ${image.id.slice(7, 19)}\n` }, { aux: { ID: image.id } }, { stream: `Successfully built ${image.id.slice(7, 19)}\n` });
    if (q.get('t')) lines.push({ stream: `Successfully tagged ${normalizeRef(q.get('t')!)}\n` });
  }
  return { status: 200, body: lines.map((l) => JSON.stringify(l)).join('\r\n') + '\r\n', type: 'application/json' };
}
