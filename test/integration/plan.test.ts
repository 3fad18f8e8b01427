import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployPlan, Task, TaskStep } from '../../shared/contract';
import { english, isMessageCode } from '../../shared/messages';
import { LABEL_ENV, names } from '../../electron/core/environments/naming';
import { TEST_IMAGES, deployLab, docker, freePort, removeEnvironments, testCore, uniqueName, type TestCore } from '../support/lab';

/** Every message of a task (steps, notes, result) carries a known code whose English is the message. */
function expectCoded(task: Task): void {
  for (const s of [task, ...task.steps] as (Task | TaskStep)[]) {
    expect(isMessageCode(s.code), `"${s.message}" has no known code (${s.code})`).toBe(true);
    expect(s.message).toBe(english({ code: s.code!, params: s.params }));
  }
}

const actions = (p: DeployPlan) => [p.haproxy.action, ...p.containers.map((c) => `${c.name}:${c.action}`)];

describe('environments:plan on a real lab', () => {
  const name = uniqueName('plan');
  let t: TestCore;
  const seen: Task[] = [];

  beforeAll(async () => {
    t = testCore();
    t.core.events.on('tasks:updated', (task) => task.target === name && seen.push(task));
    await deployLab(t, name);
  });

  afterAll(async () => {
    await removeEnvironments(name);
    await t?.close();
  });

  it('the first deploy said every step and its summary as codes, in the English the CLI prints', () => {
    const end = seen.at(-1)!;
    expect(end.state).toBe('succeeded');
    for (const update of seen) if (update.code) expect(update.message).toBe(english({ code: update.code, params: update.params }));
    expectCoded(end);
    expect(end.steps.map((s) => s.code)).toEqual(['deploy.images', 'deploy.ports', 'deploy.network', 'deploy.config', 'deploy.backends', 'deploy.haproxy', 'deploy.cleanup', 'deploy.verify']);
    expect(end.code).toBe('deploy.up');
    expect(end.message).toMatch(new RegExp(`^${name} is up at http://localhost:\\d+/ \\(HTTP \\d+; .*created ${names.haproxy(name)}`));
  });

  it('says "unchanged" everywhere right after a deploy, and the deploy agrees', async () => {
    const plan = await t.call('environments:plan', { environment: name });
    expect(plan.unchanged).toBe(true);
    expect(actions(plan)).toEqual(['unchanged', `${names.backend(name, 'back1')}:unchanged`, `${names.backend(name, 'back2')}:unchanged`]);
    expect(plan.images.every((i) => i.present)).toBe(true);
    expect(plan.config.running).toBe(plan.config.next);
    expect(plan.config.next).toBe((await t.call('environments:render', { environment: name })).config);

    const again = await t.runTask('environments:deploy', name);
    expect(again.code).toBe('deploy.upUnchanged');
    expect(again.message).toContain('nothing to change');
    expectCoded(again);
  });

  it('says reload after a balance change, with the config diff; the deploy then reloads', async () => {
    await t.call('environments:update', { environment: name, patch: { balance: 'leastconn' } });
    const plan = await t.call('environments:plan', { environment: name });
    expect(actions(plan)).toEqual(['reload', `${names.backend(name, 'back1')}:unchanged`, `${names.backend(name, 'back2')}:unchanged`]);
    expect(plan.config.running).toContain('balance roundrobin');
    expect(plan.config.next).toContain('balance leastconn');

    const task = await t.runTask('environments:deploy', name);
    expect(task.state).toBe('succeeded');
    expect(task.steps.find((s) => s.name === 'haproxy')).toMatchObject({ code: 'deploy.haproxy', params: { action: { code: 'action.reload' } } });
    expect(task.params?.changes).toEqual([{ code: 'change.reloaded', params: { name: names.haproxy(name) } }]);
    expect((await t.call('environments:plan', { environment: name })).unchanged).toBe(true);
  });

  it('is refused with OWNED_ELSEWHERE to another installation, as its deploy would be', async () => {
    const other = testCore();
    try {
      const lab = await t.call('environments:get', { environment: name });
      await other.call('environments:create', { name, httpPort: lab.httpPort, images: TEST_IMAGES });
      const refused = await other.core.invoke('environments:plan', { environment: name });
      const me = await t.call('system:info', {});
      expect(refused).toMatchObject({ ok: false, error: { code: 'OWNED_ELSEWHERE', reason: 'owned', params: { env: name, by: me.installation.by }, field: 'environment' } });
    } finally {
      await other.close();
    }
  });

  it('says recreate after an image change, and a removed backend goes', async () => {
    const lbBefore = await docker.getContainer(names.haproxy(name)).inspect();
    // The same image under another tag: a new reference is a new spec, so the container is replaced.
    const tag = `switchyard-test/haproxy:plan-${name}`;
    const [repo, version] = tag.split(':');
    await docker.getImage(TEST_IMAGES.haproxy).tag({ repo, tag: version });
    try {
      const env = await t.call('environments:get', { environment: name });
      await t.call('environments:update', { environment: name, patch: { images: { haproxy: tag }, servers: env.servers.slice(0, 1) } });
      const plan = await t.call('environments:plan', { environment: name });
      expect(actions(plan)).toEqual(['recreate', `${names.backend(name, 'back1')}:unchanged`, `${names.backend(name, 'back2')}:remove`]);

      const task = await t.runTask('environments:deploy', name);
      expect(task.state, JSON.stringify(task.error)).toBe('succeeded');
      expect(task.params?.changes).toEqual([
        { code: 'change.recreated', params: { name: names.haproxy(name) } },
        { code: 'change.removed', params: { name: names.backend(name, 'back2') } },
      ]);
      expectCoded(task);
      expect((await docker.getContainer(names.haproxy(name)).inspect()).Id).not.toBe(lbBefore.Id);
      expect((await t.call('environments:plan', { environment: name })).unchanged).toBe(true);
    } finally {
      await t.call('environments:update', { environment: name, patch: { images: { haproxy: TEST_IMAGES.haproxy } } }).catch(() => undefined);
      await removeEnvironments(name);
      await docker
        .getImage(tag)
        .remove()
        .catch(() => undefined);
    }
  });

  it('a refusal carries its case and params: the port and the container holding it', async () => {
    const other = uniqueName('plan-port');
    const port = await freePort();
    const holder = `${other}-holder`;
    // Labelled as the environment's, so the clean-up by label takes it too.
    const c = await docker.createContainer({
      name: holder,
      Image: TEST_IMAGES.demoBase,
      Cmd: ['sleep', '600'],
      Labels: { [LABEL_ENV]: other },
      HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
      ExposedPorts: { '80/tcp': {} },
    });
    try {
      // Saved first: with the container already there, the save itself would refuse the port.
      await t.call('environments:create', { name: other, httpPort: port, images: TEST_IMAGES });
      await c.start();
      const task = await t.runTask('environments:deploy', other);
      expect(task.state).toBe('failed');
      expect(task.error).toMatchObject({ code: 'PORT_IN_USE', reason: 'container', params: { port, holder }, field: 'httpPort' });
      expect(task.error!.message).toBe(`Port ${port} is already in use by the container ${holder}. Choose another HTTP port for this environment.`);
    } finally {
      await removeEnvironments(other);
    }
  });
});
