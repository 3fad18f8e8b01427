import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EnvironmentService } from '../../electron/core/environments/service';
import { LiveService } from '../../electron/core/environments/live';
import { EventBus } from '../../electron/core/events';
import type { Installation } from '../../electron/core/store/installation';
import { Store } from '../../electron/core/store/store';
import { TaskManager } from '../../electron/core/tasks/task-manager';
import type { Task } from '../../shared/contract';
import { SwitchyardError } from '../../shared/errors';
import { FAKE_IMAGES, ME, startFakeLab, type FakeLab } from './fake-lab';

/** This installation as its data folder would say, matching ME. */
export const ME_INSTALLATION: Installation = { id: ME.installation, user: 'me', machine: 'laptop', createdAt: '2026-01-01T00:00:00.000Z' };

/**
 * The environment and live services as the core wires them, on a real store in a temporary data
 * folder, over the fake engine and fake target (fake-lab.ts).
 */
export interface FakeServices {
  lab: FakeLab;
  dataDir: string;
  store: Store;
  tasks: TaskManager;
  events: EventBus;
  envs: EnvironmentService;
  live: LiveService;
  /** Creates `name` in the store, on the fake images. */
  create(name: string, input?: Record<string, unknown>): Promise<void>;
  /** Waits for a task to end. */
  done(task: Task | { taskId: string }): Promise<Task>;
  close(): Promise<void>;
}

export async function startFakeServices(): Promise<FakeServices> {
  const lab = await startFakeLab();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sy-fake-'));
  const store = new Store(dataDir);
  const events = new EventBus();
  const tasks = new TaskManager(events);
  const envs = new EnvironmentService(
    store,
    tasks,
    lab.images,
    () => lab.target,
    async () => ME_INSTALLATION,
  );
  const live = new LiveService(envs, tasks, events, dataDir);
  return {
    lab,
    dataDir,
    store,
    tasks,
    events,
    envs,
    live,
    async create(name, input = {}) {
      await envs.create({ name, httpPort: 18080, images: FAKE_IMAGES, ...input });
    },
    done: (task) => tasks.whenDone('taskId' in task ? task.taskId : task.id),
    async close() {
      await live.close();
      await lab.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The refusal a call ends with (undefined if it succeeds). */
export async function refusal(p: Promise<unknown>): Promise<SwitchyardError | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    if (!(err instanceof SwitchyardError)) throw err;
    return err;
  }
}
