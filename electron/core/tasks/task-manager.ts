import { randomUUID } from 'node:crypto';
import type { Task, TaskKind, TaskStep } from '../../../shared/contract';
import { SwitchyardError, toErrorInfo } from '../../../shared/errors';
import { english, type Message } from '../../../shared/messages';
import type { EventBus } from '../events';

/**
 * What a task says: a coded message (the window words it in its language, the CLI prints its
 * English), or plain text, which every language then shows as it is.
 */
export type TaskText = Message | string;

export interface TaskContext {
  readonly signal: AbortSignal;
  /** Starts a named step (ending the previous one) at a progress percentage. */
  step(name: string, progress: number, text: TaskText): void;
  /** Updates the current step's message without moving on. */
  note(text: TaskText): void;
  /** Moves the progress within the current step. */
  progress(percent: number, text: TaskText): void;
  /** Throws CANCELLED if the task was cancelled; call between steps. */
  checkCancelled(): void;
}

const KEEP_FINISHED = 200;

/** Sets `message` (English) and, for a coded text, `code` and `params` beside it, on a task or a step. */
function say(into: { message?: string; code?: Message['code']; params?: Message['params'] }, text: TaskText): void {
  if (typeof text === 'string') {
    into.message = text;
    delete into.code;
    delete into.params;
    return;
  }
  into.message = english(text);
  into.code = text.code;
  if (text.params) into.params = text.params;
  else delete into.params;
}

/**
 * Long work (deploy, destroy, …) runs as tasks: the call returns an id at once, progress goes
 * out as `tasks:updated` events, and a task can be cancelled between steps.
 */
export class TaskManager {
  private readonly tasks = new Map<string, Task>();
  private readonly controllers = new Map<string, AbortController>();

  constructor(
    private readonly events: EventBus,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(): Task[] {
    return [...this.tasks.values()].map((t) => structuredClone(t));
  }

  get(id: string): Task {
    const t = this.tasks.get(id);
    if (!t) throw new SwitchyardError('NOT_FOUND', `No task with id ${id}`, { field: 'id' });
    return structuredClone(t);
  }

  cancel(id: string): Task {
    const t = this.get(id);
    this.controllers.get(id)?.abort();
    return t;
  }

  /** Forgets every task that has ended (running ones stay), and says which (`tasks:cleared`); how many went. */
  clear(): number {
    const ids: string[] = [];
    for (const [id, t] of this.tasks) {
      if (t.state === 'running') continue;
      this.tasks.delete(id);
      ids.push(id);
    }
    if (ids.length) this.events.emit('tasks:cleared', { ids });
    return ids.length;
  }

  /** The running task of `kind`s acting on `target`, if any. */
  running(target: string): Task | undefined {
    return [...this.tasks.values()].find((t) => t.target === target && t.state === 'running');
  }

  /** Waits for a task to finish and returns its final state. */
  whenDone(id: string): Promise<Task> {
    return new Promise((resolve) => {
      const check = (t: Task) => {
        if (t.id === id && t.state !== 'running') {
          off();
          resolve(structuredClone(t));
        }
      };
      const off = this.events.on('tasks:updated', check);
      const current = this.tasks.get(id);
      if (current) check(current);
    });
  }

  start(kind: TaskKind, target: string, run: (ctx: TaskContext) => Promise<TaskText>): Task {
    const id = randomUUID();
    const stamp = () => this.now().toISOString();
    const task: Task = { id, kind, target, state: 'running', step: 'start', progress: 0, message: '', steps: [], createdAt: stamp() };
    const controller = new AbortController();
    this.tasks.set(id, task);
    this.controllers.set(id, controller);
    const publish = () => this.events.emit('tasks:updated', structuredClone(task));
    const current = (): TaskStep | undefined => task.steps[task.steps.length - 1];

    const ctx: TaskContext = {
      signal: controller.signal,
      step: (name, progress, text) => {
        const prev = current();
        if (prev && prev.state === 'running') {
          prev.state = 'done';
          prev.endedAt = stamp();
        }
        const step: TaskStep = { name, state: 'running', startedAt: stamp() };
        say(step, text);
        task.steps.push(step);
        task.step = name;
        task.progress = Math.max(task.progress, Math.min(100, Math.round(progress)));
        say(task, text);
        publish();
      },
      note: (text) => {
        const s = current();
        if (s) say(s, text);
        say(task, text);
        publish();
      },
      progress: (percent, text) => {
        task.progress = Math.max(task.progress, Math.min(100, Math.round(percent)));
        ctx.note(text);
      },
      checkCancelled: () => {
        if (controller.signal.aborted) throw SwitchyardError.because('CANCELLED', 'task', { kind, target });
      },
    };

    publish();
    // Runs after the caller has the id, so it can subscribe before the first step.
    setImmediate(() => {
      run(ctx).then(
        (result) => {
          const s = current();
          if (s && s.state === 'running') {
            s.state = 'done';
            s.endedAt = stamp();
          }
          task.state = 'succeeded';
          task.progress = 100;
          say(task, result);
          task.endedAt = stamp();
          this.finish(id);
          publish();
        },
        (err: unknown) => {
          const info = toErrorInfo(err);
          const s = current();
          if (s && s.state === 'running') {
            s.state = 'failed';
            s.endedAt = stamp();
          }
          task.state = info.code === 'CANCELLED' ? 'cancelled' : 'failed';
          task.error = info;
          // The error carries its own words (code, reason, params); the message is its English.
          say(task, info.message);
          task.endedAt = stamp();
          this.finish(id);
          publish();
        },
      );
    });
    return structuredClone(task);
  }

  private finish(id: string): void {
    this.controllers.delete(id);
    const finished = [...this.tasks.values()].filter((t) => t.state !== 'running');
    for (const t of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.tasks.delete(t.id);
  }
}
