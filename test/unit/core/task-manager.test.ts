import { describe, expect, it } from 'vitest';
import type { Task } from '../../../shared/contract';
import { SwitchyardError } from '../../../shared/errors';
import { EventBus } from '../../../electron/core/events';
import { TaskManager } from '../../../electron/core/tasks/task-manager';

function setup() {
  const events = new EventBus();
  const seen: Task[] = [];
  events.on('tasks:updated', (t) => seen.push(t));
  const cleared: string[][] = [];
  events.on('tasks:cleared', ({ ids }) => cleared.push(ids));
  return { tasks: new TaskManager(events), seen, cleared };
}

describe('tasks', () => {
  it('returns at once, then reports each step with growing progress and ends succeeded', async () => {
    const { tasks, seen } = setup();
    const t = tasks.start('deploy', 'lab', async (ctx) => {
      ctx.step('images', 10, 'Checking images');
      ctx.step('haproxy', 70, 'Starting');
      return 'done';
    });
    expect(t.state).toBe('running');
    const end = await tasks.whenDone(t.id);
    expect(end.state).toBe('succeeded');
    expect(end.progress).toBe(100);
    expect(end.steps.map((s) => [s.name, s.state])).toEqual([
      ['images', 'done'],
      ['haproxy', 'done'],
    ]);
    const progress = seen.map((s) => s.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('marks the failing step and carries the error', async () => {
    const { tasks } = setup();
    const t = tasks.start('deploy', 'lab', async (ctx) => {
      ctx.step('ports', 20, 'Checking');
      throw new SwitchyardError('PORT_IN_USE', 'Port 80 is taken', { field: 'httpPort' });
    });
    const end = await tasks.whenDone(t.id);
    expect(end.state).toBe('failed');
    expect(end.error).toEqual({ code: 'PORT_IN_USE', message: 'Port 80 is taken', field: 'httpPort' });
    expect(end.steps[0].state).toBe('failed');
  });

  it('can be cancelled between steps', async () => {
    const { tasks } = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = tasks.start('deploy', 'lab', async (ctx) => {
      ctx.step('images', 10, 'Waiting');
      await gate;
      ctx.checkCancelled();
      ctx.step('haproxy', 70, 'never');
      return 'done';
    });
    await new Promise((r) => setImmediate(r));
    tasks.cancel(t.id);
    release();
    const end = await tasks.whenDone(t.id);
    expect(end.state).toBe('cancelled');
    expect(end.steps.map((s) => s.name)).toEqual(['images']);
  });

  it('clears the tasks that ended and keeps the one still running', async () => {
    const { tasks, cleared } = setup();
    const ok = tasks.start('deploy', 'lab', async () => 'done');
    const bad = tasks.start('destroy', 'shop', async () => {
      throw new SwitchyardError('PORT_IN_USE', 'Port 80 is taken');
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const busy = tasks.start('traffic', 'lab', async () => {
      await gate;
      return 'sent';
    });
    await tasks.whenDone(ok.id);
    await tasks.whenDone(bad.id);

    expect(tasks.clear()).toBe(2);
    expect(tasks.list().map((t) => t.id)).toEqual([busy.id]);
    expect(() => tasks.get(ok.id)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    // Every window hears which went.
    expect(cleared).toEqual([[ok.id, bad.id]]);
    expect(tasks.clear()).toBe(0);
    expect(cleared).toHaveLength(1);

    release();
    expect((await tasks.whenDone(busy.id)).state).toBe('succeeded');
  });

  it('answers NOT_FOUND for an unknown id', () => {
    const { tasks } = setup();
    expect(() => tasks.get('nope')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});
