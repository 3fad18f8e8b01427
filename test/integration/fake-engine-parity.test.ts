import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesIn, putFile, readFile, tarOf } from '../../electron/core/targets/docker-util';
import { FakeDockerEngine } from '../support/fake-docker-engine';
import { TEST_IMAGES, docker, freePort, uniqueName } from '../support/lab';

/**
 * The unit tests trust the fake engine to answer as Docker does. This runs one script of the
 * calls the core makes against the real engine and against the fake, and compares what each
 * answered (a status code, or what came back), so the fake cannot drift from Docker unnoticed.
 */
describe('the fake engine answers like the real one', () => {
  const base = uniqueName('parity');
  const LABEL = 'io.switchyard.test-parity';
  let fake: FakeDockerEngine;

  beforeAll(async () => {
    fake = await FakeDockerEngine.start();
    fake.addImage(TEST_IMAGES.demoBase);
  });

  afterAll(async () => {
    await fake?.close();
    const filters = { label: [`${LABEL}=${base}`] };
    for (const c of await docker.listContainers({ all: true, filters }))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    for (const n of await docker.listNetworks({ filters }))
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
    for (const v of (await docker.listVolumes({ filters })).Volumes ?? [])
      await docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined);
  });

  /** Runs the script on one engine; each step answers `ok`, what it read, or the HTTP status it failed with. */
  async function script(d: Docker, port: number): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        const v = await fn();
        out[what] = v === undefined || (typeof v === 'object' && !Array.isArray(v)) ? 'ok' : v;
      } catch (err) {
        out[what] = (err as { statusCode?: number }).statusCode ?? (err as Error).message;
      }
    };
    const labels = { [LABEL]: base, 'io.switchyard.role': 'backend' };
    const name = `${base}-a`;
    const volume = `${base}-vol`;
    const net = `${base}-net`;
    const create = (n: string, hostPort?: number) =>
      d.createContainer({
        name: n,
        Image: TEST_IMAGES.demoBase,
        Cmd: ['sleep', '300'],
        Labels: labels,
        ...(hostPort
          ? { ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostPort: String(hostPort) }] }, Mounts: [{ Type: 'volume', Source: volume, Target: '/data' }] } }
          : {}),
      });
    const a = () => d.getContainer(name);

    await step('inspect a missing container', () => d.getContainer(`${base}-none`).inspect());
    await step('inspect a missing image', () => d.getImage(`${base}/none:0`).inspect());
    await step('create', () => create(name, port));
    await step('create the same name', () => create(name));
    await step('exec in a created container', () => a().exec({ Cmd: ['true'] }));
    await step('start', () => a().start());
    await step('start again', () => a().start());
    await step('list by label', async () => (await d.listContainers({ filters: { label: [`${LABEL}=${base}`] } })).length);
    await step('list by two labels', async () => (await d.listContainers({ filters: { label: [`${LABEL}=${base}`, 'io.switchyard.role=haproxy'] } })).length);
    await step('list by published port', async () => (await d.listContainers({ filters: { publish: [String(port)] } })).map((c) => c.Names[0]));
    await step('list exited', async () => (await d.listContainers({ all: true, filters: { label: [`${LABEL}=${base}`], status: ['exited'] } })).length);
    await step('list by name', async () => (await d.listContainers({ all: true, filters: { name: [`^/${name}$`] } })).length);
    await step('a second container on the same host port', async () => {
      const b = await create(`${base}-b`, port);
      try {
        await b.start();
      } catch (err) {
        // The words the deployer recognises a port conflict by.
        const said = (err as { json?: { message?: string } }).json?.message ?? '';
        return `${(err as { statusCode?: number }).statusCode} ${/port is already allocated/.test(said)}`;
      } finally {
        await b.remove({ force: true });
      }
    });
    await step('read a missing file', async () => (await readFile(a(), '/data/missing')) ?? 'missing');
    await step('write then read a file in a volume', async () => {
      await putFile(a(), '/data', 'note.txt', 'hello');
      return readFile(a(), '/data/note.txt');
    });
    await step('list the files of a directory, and of a missing one', async () => [...(await filesIn(a(), '/data'))].sort().concat([...(await filesIn(a(), '/nowhere'))]));
    await step('write files in two places with one archive at the root', async () => {
      await a().putArchive(
        await tarOf([
          { name: 'data/one.txt', content: '1' },
          { name: 'tmp/two.txt', content: '2' },
        ]),
        { path: '/' },
      );
      return `${await readFile(a(), '/data/one.txt')} ${await readFile(a(), '/tmp/two.txt')}`;
    });
    await step('remove a volume in use', () => d.getVolume(volume).remove());
    await step('remove while running', () => a().remove());
    await step('rename to a taken name', async () => {
      const b = await create(`${base}-c`);
      try {
        await a().rename({ name: `${base}-c` });
      } finally {
        await b.remove({ force: true });
      }
    });
    await step('stop', () => a().stop({ t: 1 }));
    await step('stop again', () => a().stop({ t: 1 }));
    await step('kill a stopped container', () => a().kill());
    await step('exec in a stopped container', () => a().exec({ Cmd: ['true'] }));
    await step('wait for a stopped container', async () => ((await a().wait()) as { StatusCode: number }).StatusCode === undefined);
    await step('remove with force', () => a().remove({ force: true }));
    await step('remove again', () => a().remove({ force: true }));
    await step('create a volume', () => d.createVolume({ Name: volume, Labels: { [LABEL]: base } }));
    await step('create the same volume', () => d.createVolume({ Name: volume, Labels: { [LABEL]: base } }));
    await step('list volumes by label', async () => ((await d.listVolumes({ filters: { label: [`${LABEL}=${base}`] } })).Volumes ?? []).map((v) => v.Name));
    await step('remove the volume', () => d.getVolume(volume).remove());
    await step('inspect a missing volume', () => d.getVolume(volume).inspect());
    await step('create a network', () => d.createNetwork({ Name: net, Driver: 'bridge', Internal: true, CheckDuplicate: true, Labels: { [LABEL]: base } }));
    await step('create the same network', () => d.createNetwork({ Name: net, Driver: 'bridge', Internal: true, CheckDuplicate: true, Labels: { [LABEL]: base } }));
    await step('list networks by label', async () => (await d.listNetworks({ filters: { label: [`${LABEL}=${base}`] } })).map((n) => n.Name));
    await step('inspect the network: internal, with a subnet and a gateway', async () => {
      const n = await d.getNetwork(net).inspect();
      return `${n.Internal} ${Boolean(n.IPAM?.Config?.[0]?.Subnet)} ${Boolean(n.IPAM?.Config?.[0]?.Gateway)}`;
    });
    // The load balancer is made on an internal network, started, then joined to one with a
    // gateway: its ports are published by the join, and a port held elsewhere fails the join.
    const edge = `${base}-edge`;
    const onInternal = (n: string) =>
      d.createContainer({
        name: n,
        Image: TEST_IMAGES.demoBase,
        Cmd: ['sleep', '300'],
        Labels: labels,
        ExposedPorts: { '80/tcp': {} },
        HostConfig: { NetworkMode: net, PortBindings: { '80/tcp': [{ HostPort: String(port) }] } },
      });
    const published = async () => (await d.listContainers({ filters: { publish: [String(port)] } })).map((c) => c.Names[0]);
    const networksOf = async (n: string) => Object.keys((await d.getContainer(n).inspect()).NetworkSettings.Networks).sort();
    await step('create a network with a gateway', () => d.createNetwork({ Name: edge, Driver: 'bridge', CheckDuplicate: true, Labels: { [LABEL]: base } }));
    await step('start on an internal network: nothing published', async () => {
      await onInternal(`${base}-lb`);
      await d.getContainer(`${base}-lb`).start();
      return published();
    });
    await step('join a network with a gateway: published', async () => {
      await d.getNetwork(edge).connect({ Container: `${base}-lb` });
      return [...(await published()), ...(await networksOf(`${base}-lb`))];
    });
    await step('another joins with the same host port: refused, not joined', async () => {
      await onInternal(`${base}-lb2`);
      await d.getContainer(`${base}-lb2`).start();
      const said = await d
        .getNetwork(edge)
        .connect({ Container: `${base}-lb2` })
        .then(
          () => 'joined',
          (err: { json?: { message?: string } }) => String(/port is already allocated/.test(err.json?.message ?? '')),
        );
      return [said, ...(await networksOf(`${base}-lb2`)), ...(await published())];
    });
    await step('remove them', async () => {
      for (const n of [`${base}-lb`, `${base}-lb2`]) await d.getContainer(n).remove({ force: true });
      await d.getNetwork(edge).remove();
    });
    await step('remove the network', () => d.getNetwork(net).remove());
    await step('inspect a missing network', () => d.getNetwork(net).inspect());
    return out;
  }

  it('gives the same answers to the same script', async () => {
    const port = await freePort();
    const real = await script(docker, port);
    const faked = await script(fake.docker(), port);
    console.log('real engine:', JSON.stringify(real, null, 1));
    expect(faked).toEqual(real);
  });
});
