import { describe, expect, it } from 'vitest';
import { planDeploy, type ContainerFact, type PlanInput } from '../../../electron/core/environments/deploy-plan';

/** A lab of two demo backends, as the plan sees it: hashes stand for what each container is created from. */
const CONFIG = 'global\n  maxconn 100\nbackend servers\n  balance roundrobin\n';
const backends = [
  { server: 'back1', specHash: 'b1' },
  { server: 'back2', specHash: 'b2' },
];
const lb = (over: Partial<ContainerFact> = {}): ContainerFact => ({ name: 'sy-lab-haproxy', role: 'haproxy', spec: 'lb', state: 'running', ...over });
const backend = (server: string, over: Partial<ContainerFact> = {}): ContainerFact => ({
  name: `sy-lab-${server}`,
  role: 'backend',
  server,
  spec: server === 'back1' ? 'b1' : server === 'back2' ? 'b2' : 'other',
  state: 'running',
  ...over,
});
const deployed = (over: Partial<PlanInput> = {}): PlanInput => ({
  environment: 'lab',
  haproxy: { specHash: 'lb', config: CONFIG },
  backends,
  existing: [lb(), backend('back1'), backend('back2')],
  runningConfig: CONFIG,
  ...over,
});
const actions = (p: ReturnType<typeof planDeploy>) => Object.fromEntries(p.containers.map((c) => [c.name, c.action]));

describe('the deploy plan (pure)', () => {
  it('creates everything when nothing exists, with no running config to diff against', () => {
    const plan = planDeploy(deployed({ existing: [], runningConfig: undefined }));
    expect(plan.haproxy).toEqual({ name: 'sy-lab-haproxy', action: 'create' });
    expect(actions(plan)).toEqual({ 'sy-lab-back1': 'create', 'sy-lab-back2': 'create' });
    expect(plan.config).toEqual({ running: null, next: CONFIG });
    expect(plan.unchanged).toBe(false);
  });

  it('changes nothing when what runs is what the model wants', () => {
    const plan = planDeploy(deployed());
    expect(plan.haproxy.action).toBe('unchanged');
    expect(actions(plan)).toEqual({ 'sy-lab-back1': 'unchanged', 'sy-lab-back2': 'unchanged' });
    expect(plan.config).toEqual({ running: CONFIG, next: CONFIG });
    expect(plan.unchanged).toBe(true);
  });

  it('reloads a running load balancer whose config differs (a new balance), touching no backend', () => {
    const next = CONFIG.replace('roundrobin', 'leastconn');
    const plan = planDeploy(deployed({ haproxy: { specHash: 'lb', config: next } }));
    expect(plan.haproxy.action).toBe('reload');
    expect(actions(plan)).toEqual({ 'sy-lab-back1': 'unchanged', 'sy-lab-back2': 'unchanged' });
    expect(plan.config).toEqual({ running: CONFIG, next });
    expect(plan.unchanged).toBe(false);
  });

  it('restarts a stopped one whose config differs, and just starts one whose config is right', () => {
    const stopped = { existing: [lb({ state: 'exited' }), backend('back1'), backend('back2')] };
    expect(planDeploy(deployed({ ...stopped, haproxy: { specHash: 'lb', config: `${CONFIG}#\n` } })).haproxy.action).toBe('restart');
    expect(planDeploy(deployed(stopped)).haproxy.action).toBe('start');
  });

  it('recreates the load balancer for a new image or ports (its spec hash), and a backend whose image changed', () => {
    const plan = planDeploy(deployed({ haproxy: { specHash: 'lb-new-image', config: CONFIG }, backends: [{ server: 'back1', specHash: 'b1-new' }, backends[1]] }));
    expect(plan.haproxy.action).toBe('recreate');
    expect(actions(plan)).toEqual({ 'sy-lab-back1': 'recreate', 'sy-lab-back2': 'unchanged' });
  });

  it('starts a stopped backend that is otherwise right', () => {
    const plan = planDeploy(deployed({ existing: [lb(), backend('back1', { state: 'exited' }), backend('back2')] }));
    expect(actions(plan)['sy-lab-back1']).toBe('start');
  });

  it('removes a backend the model no longer has, and what an interrupted deploy left behind', () => {
    const plan = planDeploy(
      deployed({
        backends: [backends[0]],
        existing: [lb(), backend('back1'), backend('back2'), { name: 'sy-lab-haproxy-next', role: 'haproxy', state: 'created' }, { name: 'abc', role: 'config-check', state: 'exited' }],
        haproxy: { specHash: 'lb', config: `${CONFIG}  server back1 back1:80\n` },
      }),
    );
    expect(plan.haproxy.action).toBe('reload');
    expect(plan.containers).toEqual([
      { name: 'sy-lab-back1', role: 'backend', server: 'back1', action: 'unchanged' },
      { name: 'sy-lab-back2', role: 'backend', server: 'back2', action: 'remove' },
      { name: 'sy-lab-haproxy-next', role: 'leftover', action: 'remove' },
      { name: 'abc', role: 'leftover', action: 'remove' },
    ]);
  });

  it('is not "unchanged" while an image is still to be pulled or built', () => {
    expect(planDeploy(deployed({ images: [{ ref: 'haproxy:lts', role: 'haproxy', present: false }] })).unchanged).toBe(false);
  });
});
