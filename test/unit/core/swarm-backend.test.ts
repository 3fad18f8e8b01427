/**
 * A cluster environment's backend service: the spec Switchyard gives Swarm, the hash that decides
 * whether a deploy is an update, and how a service is created, updated, scaled or left alone,
 * against a fake engine that is a fake swarm's manager (fake-engine-services.ts).
 */
import { PassThrough, Readable } from 'node:stream';
import type Docker from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyBackendService,
  backendServiceSpec,
  backendSpecHash,
  distributeImage,
  serviceTasks,
  swarmValue,
  waitTasks,
  waitUpdate,
  type BackendImage,
} from '../../../electron/core/clusters/swarm-backend';
import { LABEL_ROLE, LABEL_SERVER, LABEL_SPEC } from '../../../electron/core/environments/naming';
import { SwitchyardError } from '../../../shared/errors';
import type { Message } from '../../../shared/messages';
import type { Environment } from '../../../shared/model';
import { clusterEnvironment, startFakeClusterLab, type FakeClusterLab } from '../../support/fake-cluster-lab';
import { ME, OTHER } from '../../support/fake-lab';

const image: BackendImage = { ref: 'sy-shop-app:r1', id: `sha256:${'a'.repeat(64)}` };
const SECRET = 'tok-9f8e7d-never-in-a-label';

/** An app on a cluster with everything a spec carries. */
const shop = (over: { app?: Record<string, unknown>; cluster?: Record<string, unknown> } = {}): Environment =>
  clusterEnvironment('shop', {
    servers: [{ name: 'web', kind: 'app' }],
    app: {
      source: { kind: 'image', image: 'shop/app:1' },
      port: 8080,
      env: [
        { name: 'BACKEND_NAME', value: '{{server}}' },
        { name: 'SHARD', value: 'shard-{{index}}-of-3' },
        { name: 'PLAIN', value: 'as it is' },
      ],
      secrets: [{ name: 'API_TOKEN', ref: 'secret-ref-1' }],
      command: ['serve', '--port', '8080'],
      memoryMb: 256,
      cpus: 0.5,
      ...over.app,
    },
    cluster: { replicas: 3, slots: 8, constraints: ['node.role==worker'], spread: 'node.labels.zone', ...over.cluster },
  });

/** The container part of a spec's task template (a service of Switchyard's always has one). */
const containerOf = (spec: Docker.CreateServiceOptions) => (spec.TaskTemplate as Docker.ContainerTaskSpec | undefined)?.ContainerSpec;
const hashOf = (env: Environment, img = image, refs = env.app?.secrets.map((s) => s.ref) ?? []) => backendSpecHash(env, img, refs);
const specOf = (env: Environment, img = image, secrets: Record<string, string> = { API_TOKEN: SECRET }) => backendServiceSpec(env, img, secrets, hashOf(env, img), ME);

/** The refusal a call ends with. */
async function refusal(p: Promise<unknown>): Promise<SwitchyardError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SwitchyardError);
  return err as SwitchyardError;
}

describe('the service spec', () => {
  it('is a replicated service on the overlay network, every task its own DNS record (dnsrr), updated start-first with rollback', () => {
    const spec = specOf(shop());
    expect(spec.Name).toBe('sy-shop-web');
    expect(spec.EndpointSpec).toEqual({ Mode: 'dnsrr' });
    expect(spec.TaskTemplate?.Networks).toEqual([{ Target: 'sy-shop-backends' }]);
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(spec.UpdateConfig).toMatchObject({ Order: 'start-first', FailureAction: 'rollback', Parallelism: 1 });
    expect(spec.RollbackConfig).toMatchObject({ Order: 'start-first' });
    expect(spec.TaskTemplate?.RestartPolicy).toMatchObject({ Condition: 'any' });
    expect(spec.Labels).toMatchObject({ [LABEL_SERVER]: 'web', [LABEL_SPEC]: hashOf(shop()), [LABEL_ROLE]: 'backend' });
    // Swarm's containers are the tasks' own, not containers a deploy on the load balancer's engine owns.
    expect(containerOf(spec)?.Labels).toMatchObject({ [LABEL_ROLE]: 'task', [LABEL_SERVER]: 'web' });
  });

  it('places tasks by the constraints and spreads them over the label', () => {
    const spec = specOf(shop());
    expect(spec.TaskTemplate?.Placement).toEqual({ Constraints: ['node.role==worker'], Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] });
    const free = specOf(shop({ cluster: { constraints: [], spread: undefined } }));
    expect(free.TaskTemplate?.Placement).toEqual({ Constraints: [] });
  });

  it("limits each task's memory and CPU as the app says, and runs the app's image, command and variables", () => {
    const spec = specOf(shop());
    expect(spec.TaskTemplate?.Resources?.Limits).toEqual({ MemoryBytes: 256 * 1024 * 1024, NanoCPUs: 500_000_000 });
    const c = containerOf(spec);
    expect(c?.Image).toBe('sy-shop-app:r1');
    expect(c?.Args).toEqual(['serve', '--port', '8080']);
    expect(c?.Env).toEqual(['BACKEND_NAME=web.{{.Task.Slot}}', 'SHARD=shard-{{.Task.Slot}}-of-3', 'PLAIN=as it is', `API_TOKEN=${SECRET}`]);
    const unlimited = specOf(shop({ app: { memoryMb: undefined, cpus: undefined, command: undefined } }));
    expect(unlimited.TaskTemplate?.Resources?.Limits).toEqual({});
    expect(containerOf(unlimited)).not.toHaveProperty('Args');
  });

  it('names a demo task after its slot and node', () => {
    const spec = specOf(clusterEnvironment('lab'));
    expect(containerOf(spec)?.Env).toEqual(['BACKEND_NAME=web.{{.Task.Slot}}@{{.Node.Hostname}}', 'PORT=80']);
  });

  it('turns the replica placeholders into Swarm templates, written with or without spaces as on one machine', () => {
    expect(swarmValue('{{server}}/{{index}}', 'web')).toBe('web.{{.Task.Slot}}/{{.Task.Slot}}');
    expect(swarmValue('{{ server }}-{{ index }}', 'web')).toBe('web.{{.Task.Slot}}-{{.Task.Slot}}');
    // Any other {{ is text, as on one machine: written as a template that prints it.
    expect(swarmValue('{{name}} of {{server}}', 'web')).toBe('{{"{{"}}name}} of web.{{.Task.Slot}}');
    expect(swarmValue('no placeholder {{other}}', 'web')).toBe('no placeholder {{"{{"}}other}}');
  });

  it('carries a secret value only as a variable of the tasks: not in a label, not in the hash', () => {
    const spec = specOf(shop());
    const text = JSON.stringify(spec);
    expect(text.split(SECRET).length - 1).toBe(1);
    expect(containerOf(spec)?.Env).toContain(`API_TOKEN=${SECRET}`);
    expect(JSON.stringify(spec.Labels)).not.toContain(SECRET);
    // The hash is made from the secret's reference: a new value is a new reference, so an update.
    const env = shop();
    expect(backendServiceSpec(env, image, { API_TOKEN: 'another value' }, hashOf(env), ME).Labels).toEqual(spec.Labels);
    expect(hashOf(env, image, ['secret-ref-2'])).not.toBe(hashOf(env));
  });
});

describe('the spec hash', () => {
  const base = hashOf(shop());

  it.each<[string, () => string]>([
    ['the image id (a tag rebuilt)', () => hashOf(shop(), { ...image, id: `sha256:${'b'.repeat(64)}` })],
    ['a variable', () => hashOf(shop({ app: { env: [{ name: 'BACKEND_NAME', value: 'x' }] } }))],
    ['the port', () => hashOf(shop({ app: { port: 9090 } }))],
    ['the command', () => hashOf(shop({ app: { command: ['serve'] } }))],
    ['the memory limit', () => hashOf(shop({ app: { memoryMb: 512 } }))],
    ['the CPU limit', () => hashOf(shop({ app: { cpus: 1 } }))],
    ['a constraint', () => hashOf(shop({ cluster: { constraints: ['node.role==manager'] } }))],
    ['the spread', () => hashOf(shop({ cluster: { spread: 'node.labels.rack' } }))],
  ])('changes with %s', (_what, changed) => {
    expect(changed()).not.toBe(base);
  });

  it.each<[string, () => string]>([
    ['the replicas (a scale)', () => hashOf(shop({ cluster: { replicas: 5 } }))],
    ['the slots', () => hashOf(shop({ cluster: { slots: 30 } }))],
    ['the image reference alone (a release tag of the same image)', () => hashOf(shop(), { ...image, ref: 'sy-shop-app:r7' })],
    ["the load balancer's node", () => hashOf(shop({ cluster: { lbNode: 'swn2' } }))],
    ['the server state and weight (set through HAProxy)', () => hashOf({ ...shop(), servers: [{ name: 'web', kind: 'app', state: 'maint', weight: 5 }] })],
    ['HAProxy settings', () => hashOf({ ...shop(), balance: 'leastconn', sticky: { enabled: false, cookieName: 'X' } })],
  ])('does not change with %s', (_what, same) => {
    expect(same()).toBe(base);
  });
});

describe('applying the service, against a fake swarm', () => {
  let lab: FakeClusterLab;
  beforeEach(async () => {
    lab = await startFakeClusterLab();
  });
  afterEach(async () => {
    await lab.close();
  });
  const updates = () => lab.swarm.changes.filter((c) => c.action === 'update');

  it('creates it when there is none, and says so to the undo list', async () => {
    const created: string[] = [];
    const { action, id } = await applyBackendService(lab.docker, specOf(shop()), (c) => created.push(c));
    expect(action).toBe('create');
    expect(created).toEqual([id]);
    const svc = lab.swarm.service('sy-shop-web');
    expect(svc.ID).toBe(id);
    expect(svc.Spec.Labels?.[LABEL_SPEC]).toBe(hashOf(shop()));
  });

  it('sends the spec only as the body of a create: no secret value in a header (X-Registry-Auth)', async () => {
    await applyBackendService(lab.docker, specOf(shop()));
    const [call] = lab.engine.calls('POST', /^\/services\/create$/);
    const sent = Object.values(call.headers ?? {}).map((v) => Buffer.from(String(v), 'base64').toString('utf8') + String(v));
    expect(sent.some((v) => v.includes(SECRET))).toBe(false);
  });

  it('leaves it alone when the spec and the replicas are the same', async () => {
    await applyBackendService(lab.docker, specOf(shop()));
    const before = structuredClone(lab.swarm.service('sy-shop-web'));
    const created: string[] = [];
    expect((await applyBackendService(lab.docker, specOf(shop()), (c) => created.push(c))).action).toBe('unchanged');
    expect(updates()).toEqual([]);
    expect(created).toEqual([]);
    expect(lab.swarm.service('sy-shop-web')).toEqual(before);
  });

  it('scales it when only the replicas changed, keeping the running spec as Swarm holds it (no task replaced)', async () => {
    await applyBackendService(lab.docker, specOf(shop()));
    // Swarm pins the image it resolved: a scale must not send the spec without it (that would replace every task).
    const running = lab.swarm.service('sy-shop-web');
    const pinned = `sy-shop-app:r1@sha256:${'c'.repeat(64)}`;
    (running.Spec.TaskTemplate as { ContainerSpec: { Image: string } }).ContainerSpec.Image = pinned;
    const version = running.Version.Index;

    const { action, id } = await applyBackendService(lab.docker, specOf(shop({ cluster: { replicas: 5 } })));
    expect(action).toBe('scale');
    expect(id).toBe(running.ID);
    expect(updates()).toHaveLength(1);
    expect(updates()[0].version).toBe(version);
    const now = lab.swarm.service('sy-shop-web');
    expect(now.Spec.Mode).toEqual({ Replicated: { Replicas: 5 } });
    expect(now.Spec.TaskTemplate?.ContainerSpec?.Image).toBe(pinned);
    expect(now.UpdateStatus).toBeUndefined();
  });

  it('updates it with the new spec when the hash changed, naming the version it read', async () => {
    await applyBackendService(lab.docker, specOf(shop()));
    const version = lab.swarm.service('sy-shop-web').Version.Index;
    const next = specOf(shop({ app: { memoryMb: 512 } }), { ref: 'sy-shop-app:r2', id: `sha256:${'d'.repeat(64)}` });
    const { action } = await applyBackendService(lab.docker, next);
    expect(action).toBe('update');
    expect(updates()).toHaveLength(1);
    expect(updates()[0].version).toBe(version);
    const svc = lab.swarm.service('sy-shop-web');
    expect(svc.Spec.Labels?.[LABEL_SPEC]).toBe(next.Labels?.[LABEL_SPEC]);
    expect(svc.Spec.TaskTemplate?.ContainerSpec?.Image).toBe('sy-shop-app:r2');
    expect(svc.PreviousSpec?.TaskTemplate?.ContainerSpec?.Image).toBe('sy-shop-app:r1');
  });

  it('does not put the spec (secret values included) in the request URL of an update', async () => {
    await applyBackendService(lab.docker, specOf(shop()));
    await applyBackendService(lab.docker, specOf(shop({ app: { memoryMb: 512 } })));
    const [call] = lab.engine.calls('POST', /^\/services\/[^/]+\/update$/);
    expect(call.query.get('version')).toMatch(/^\d+$/);
    expect(call.query.toString()).not.toContain(SECRET.slice(0, 10));
    expect([...call.query.keys()]).toEqual(['version']);
  });

  it('reads the service again and retries once when Swarm says the update is out of sequence', async () => {
    await applyBackendService(lab.docker, specOf(shop()));
    lab.swarm.conflicts = 1;
    const { action } = await applyBackendService(lab.docker, specOf(shop({ cluster: { replicas: 4 } })));
    expect(action).toBe('scale');
    expect(lab.swarm.refused).toHaveLength(1);
    // The retry names the version someone else's change left.
    expect(updates()[0].version).toBe(lab.swarm.service('sy-shop-web').Version.Index - 1);
    expect(updates()[0].version).toBeGreaterThan(lab.swarm.refused[0].version);
    expect(lab.swarm.service('sy-shop-web').Spec.Mode).toEqual({ Replicated: { Replicas: 4 } });
  });

  it("gives up after one retry, with Docker's words", async () => {
    await applyBackendService(lab.docker, specOf(shop()));
    lab.swarm.conflicts = 2;
    const err = await applyBackendService(lab.docker, specOf(shop({ cluster: { replicas: 4 } }))).catch((e: unknown) => e as Error);
    expect(String((err as Error).message)).toContain('update out of sequence');
    expect(lab.swarm.refused).toHaveLength(2);
    expect(updates()).toEqual([]);
  });

  it("refuses to change another installation's service of the same name (OWNED_ELSEWHERE), sending nothing", async () => {
    await applyBackendService(lab.docker, backendServiceSpec(shop(), image, {}, hashOf(shop()), OTHER));
    const before = structuredClone(lab.swarm.service('sy-shop-web'));
    const err = await applyBackendService(lab.docker, specOf(shop({ cluster: { replicas: 5 } }))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchyardError);
    expect((err as SwitchyardError).code).toBe('OWNED_ELSEWHERE');
    expect((err as SwitchyardError).message).toContain(OTHER.by);
    expect(updates()).toEqual([]);
    expect(lab.swarm.service('sy-shop-web')).toEqual(before);
  });

  it('finds its own service beside another whose name begins with it (Docker filters names by prefix)', async () => {
    const other = specOf(clusterEnvironment('shop-web', { servers: [{ name: 'api', kind: 'demo' }] }));
    expect(other.Name).toBe('sy-shop-web-api');
    await applyBackendService(lab.docker, other);
    await applyBackendService(lab.docker, specOf(shop()));
    expect((await applyBackendService(lab.docker, specOf(shop({ cluster: { replicas: 6 } })))).action).toBe('scale');
    expect(lab.swarm.service('sy-shop-web-api').Spec.Mode).toEqual({ Replicated: { Replicas: 2 } });
  });
});

describe('the tasks of a service', () => {
  let lab: FakeClusterLab;
  const env = shop();
  const network = 'sy-shop-backends';
  beforeEach(async () => {
    lab = await startFakeClusterLab();
    await applyBackendService(lab.docker, specOf(env));
  });
  afterEach(async () => {
    await lab.close();
  });

  it('are read with their address on the overlay network, their node, and how they ended', async () => {
    lab.swarm.task('sy-shop-web', { slot: 1, node: 'n1', state: 'running', address: '10.0.1.11' });
    lab.swarm.task('sy-shop-web', { slot: 2, node: 'n2', state: 'failed', desired: 'shutdown', err: 'task: non-zero exit (3)', exitCode: 3 });
    const tasks = await serviceTasks(lab.docker, 'sy-shop-web', network);
    expect(tasks.map((t) => ({ slot: t.slot, node: t.nodeId, state: t.state, desired: t.desired, address: t.address, exitCode: t.exitCode, error: t.error }))).toEqual([
      { slot: 1, node: 'n1', state: 'running', desired: 'running', address: '10.0.1.11', exitCode: undefined, error: undefined },
      { slot: 2, node: 'n2', state: 'failed', desired: 'shutdown', address: undefined, exitCode: 3, error: 'task: non-zero exit (3)' },
    ]);
  });

  it('are waited for until each replica runs with an address', async () => {
    lab.swarm.task('sy-shop-web', { slot: 1, node: 'n1', state: 'running', address: '10.0.1.11' });
    lab.swarm.task('sy-shop-web', { slot: 2, node: 'n2', state: 'running', address: '10.0.1.12' });
    const third = lab.swarm.task('sy-shop-web', { slot: 3, node: 'n3', state: 'starting' });
    setTimeout(() => {
      lab.swarm.change(third, { state: 'running' });
      third.NetworksAttachments = [{ Network: { Spec: { Name: network } }, Addresses: ['10.0.1.13/24'] }];
    }, 100);
    const running = await waitTasks(lab.docker, 'sy-shop-web', network, 3, 3000);
    expect(running.map((t) => t.address).sort()).toEqual(['10.0.1.11', '10.0.1.12', '10.0.1.13']);
  });

  it("fail with CLUSTER_FAILED naming Docker's reason when no node can take a task", async () => {
    lab.swarm.task('sy-shop-web', { slot: 1, node: 'n1', state: 'running', address: '10.0.1.11' });
    lab.swarm.task('sy-shop-web', { slot: 2, node: 'n2', state: 'running', address: '10.0.1.12' });
    const reason = 'no suitable node (scheduling constraints not satisfied on 3 nodes)';
    // Its creation time is the manager's clock, which need not agree with this one: the wait counts on its own.
    lab.swarm.task('sy-shop-web', { slot: 3, node: '', state: 'pending', err: reason, createdAt: new Date(Date.now() + 3_600_000).toISOString() });
    const started = Date.now();
    const err = await refusal(waitTasks(lab.docker, 'sy-shop-web', network, 3, 10_000, { pendingMs: 500 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err.code).toBe('CLUSTER_FAILED');
    expect(err.params).toMatchObject({ service: 'sy-shop-web', reason });
    expect(err.message).toContain(reason);
  });

  it('fail naming the reason a node refused a task (an image it does not have), while Swarm tries again', async () => {
    lab.swarm.task('sy-shop-web', { slot: 1, node: 'n1', state: 'running', address: '10.0.1.11' });
    lab.swarm.task('sy-shop-web', { slot: 2, node: 'n2', state: 'running', address: '10.0.1.12' });
    const reason = 'No such image: sy-shop-app:r1';
    lab.swarm.task('sy-shop-web', { slot: 3, node: 'n3', state: 'rejected', desired: 'shutdown', err: reason });
    lab.swarm.task('sy-shop-web', { slot: 3, node: '', state: 'pending' });
    const err = await refusal(waitTasks(lab.docker, 'sy-shop-web', network, 3, 10_000));
    expect(err.code).toBe('CLUSTER_FAILED');
    expect(err.message).toContain(reason);
  });

  it('leave aside the failures of tasks that were there before the deploy', async () => {
    lab.swarm.task('sy-shop-web', { slot: 1, node: 'n1', state: 'running', address: '10.0.1.11' });
    const old = lab.swarm.task('sy-shop-web', { slot: 2, node: 'n2', state: 'failed', desired: 'shutdown', err: 'an old crash' });
    lab.swarm.task('sy-shop-web', { slot: 2, node: '', state: 'pending' });
    // Known: the wait goes on (and here runs out of time) instead of blaming the old crash.
    const waited = await refusal(waitTasks(lab.docker, 'sy-shop-web', network, 2, 600, { known: new Set([old.ID]) }));
    expect(waited.reason).toBe('tasks');
    // Not known: that crash is the answer at once.
    const blamed = await refusal(waitTasks(lab.docker, 'sy-shop-web', network, 2, 600));
    expect(blamed.reason).toBe('task');
    expect(blamed.message).toContain('an old crash');
  });

  it('run out of time saying how many of the replicas run', async () => {
    lab.swarm.task('sy-shop-web', { slot: 1, node: 'n1', state: 'running', address: '10.0.1.11' });
    lab.swarm.task('sy-shop-web', { slot: 2, node: 'n2', state: 'preparing' });
    const err = await refusal(waitTasks(lab.docker, 'sy-shop-web', network, 2, 300));
    expect(err.code).toBe('CLUSTER_FAILED');
    expect(err.params).toMatchObject({ service: 'sy-shop-web', running: 1, replicas: 2 });
  });

  it("end an update when Swarm completed it, and fail naming Swarm's message when it rolled it back", async () => {
    const svc = lab.swarm.service('sy-shop-web');
    await waitUpdate(lab.docker, svc.ID, 1000);
    svc.UpdateStatus = { State: 'completed', Message: 'update completed' };
    await waitUpdate(lab.docker, svc.ID, 1000);
    svc.UpdateStatus = { State: 'rollback_completed', Message: 'update rolled back due to failure or early termination of task x' };
    const err = await refusal(waitUpdate(lab.docker, svc.ID, 1000));
    expect(err.code).toBe('CLUSTER_FAILED');
    expect(err.params).toMatchObject({ state: 'rollback_completed', message: 'update rolled back due to failure or early termination of task x' });
  });
});

describe('copying the image to the nodes', () => {
  /** A hand-made stand-in for dockerode, clearly a fake: only the image calls distributeImage makes. */
  function fakeImageDocker(has: string | undefined, loadAnswer = '{"stream":"Loaded image: sy-shop-app:r1\\n"}', others: Record<string, string> = {}) {
    const loads: string[] = [];
    const tags: string[] = [];
    // Names (and ids) to image ids: the image under the release's reference, and any other.
    const names: Record<string, string> = { ...others, ...(has ? { [image.ref]: has, [has]: has } : {}) };
    for (const id of Object.values(others)) names[id] = id;
    const docker = {
      getImage: (name: string) => ({
        inspect: async () => {
          if (!names[name]) throw Object.assign(new Error('(HTTP code 404) no such image'), { statusCode: 404 });
          return { Id: names[name] };
        },
        get: async () => Readable.from([Buffer.from('TAR')]),
        tag: async (t: { repo: string; tag: string }) => {
          tags.push(`${t.repo}:${t.tag}`);
        },
      }),
      loadImage: async (tar: NodeJS.ReadableStream) => {
        let text = '';
        for await (const c of tar) text += String(c);
        loads.push(text);
        const out = new PassThrough();
        out.end(loadAnswer);
        return out;
      },
    };
    return { docker: docker as unknown as Docker, loads, tags };
  }

  it('copies it to the nodes that lack it or have another image under the tag, and only those', async () => {
    const manager = fakeImageDocker(image.id);
    const same = fakeImageDocker(image.id);
    const none = fakeImageDocker(undefined);
    const stale = fakeImageDocker(`sha256:${'e'.repeat(64)}`);
    const lines: Message[] = [];
    await distributeImage(
      manager.docker,
      image.ref,
      image.id,
      [
        { name: 'swn2', docker: same.docker },
        { name: 'swn3', docker: none.docker },
        { name: 'swn4', docker: stale.docker },
      ],
      (l) => lines.push(l),
    );
    expect(same.loads).toEqual([]);
    expect(none.loads).toEqual(['TAR']);
    expect(stale.loads).toEqual(['TAR']);
    expect(lines.map((l) => l.params?.node)).toEqual(['swn3', 'swn4']);
  });

  it('names the image on a node that has it under another tag (an earlier release) instead of copying it', async () => {
    const node = fakeImageDocker(undefined, undefined, { 'sy-app/shop:r1': image.id });
    await distributeImage(fakeImageDocker(image.id).docker, image.ref, image.id, [{ name: 'swn2', docker: node.docker }]);
    expect(node.loads).toEqual([]);
    expect(node.tags).toEqual([image.ref.includes(':') ? image.ref : `${image.ref}:latest`]);
  });

  it('fails naming the node when its engine could not load the image', async () => {
    const node = fakeImageDocker(undefined, '{"errorDetail":{"message":"no space left on device"},"error":"no space left on device"}');
    const err = await refusal(distributeImage(fakeImageDocker(image.id).docker, image.ref, image.id, [{ name: 'swn3', docker: node.docker }]));
    expect(err.code).toBe('CLUSTER_FAILED');
    expect(err.message).toContain('swn3');
    expect(err.message).toContain('no space left on device');
  });
});
