import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployer, type DeployOptions, type DeployTimings } from '../../electron/core/environments/deployer';
import { ImageService } from '../../electron/core/environments/images';
import type { Owner } from '../../electron/core/environments/naming';
import type { TaskContext } from '../../electron/core/tasks/task-manager';
import { Environment, EnvironmentInput, parseOrThrow, type Environment as Env } from '../../shared/model';
import { FakeDockerEngine } from './fake-docker-engine';
import { FakeTarget } from './fake-target';

/**
 * What the unit tests of deploys, teardown, status and live changes share: a fake engine with
 * the images a deploy needs, a fake target on it, two installations, and environments made
 * with the model's own defaults. Nothing here touches a real engine.
 */

/** Honest names: these images exist only in the fake engine. */
export const FAKE_IMAGES = { haproxy: 'fake/haproxy:2.6', demoBase: 'fake/busybox:1.35' };

export const ME: Owner = { installation: '11111111-1111-4111-8111-111111111111', by: 'me@laptop' };
export const OTHER: Owner = { installation: '22222222-2222-4222-8222-222222222222', by: 'them@desktop' };

/** Nothing in the fake takes time: a wait that runs out means it would never have come. */
export const FAST: DeployTimings = { readyMs: 300, httpMs: 300, drainMs: 0, appHealthMs: 300 };

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface FakeLab {
  engine: FakeDockerEngine;
  target: FakeTarget;
  images: ImageService;
  /** A deployer acting as `who` (this installation by default). */
  deployer(who?: Owner): Deployer;
  /** Deploys as `who`; resolves with the task context it reported to. */
  deploy(env: Env, opts?: { as?: Owner; how?: DeployOptions }): Promise<RecordingContext>;
  close(): Promise<void>;
}

export async function startFakeLab(): Promise<FakeLab> {
  const engine = await FakeDockerEngine.start();
  engine.addImage(FAKE_IMAGES.haproxy);
  engine.addImage(FAKE_IMAGES.demoBase);
  const target = new FakeTarget(engine);
  const images = new ImageService(path.join(appRoot, 'docker', 'demo-backend'));
  const deployer = (who: Owner = ME) => new Deployer(target, images, who, () => new Date('2026-01-01T00:00:00Z'), FAST);
  return {
    engine,
    target,
    images,
    deployer,
    async deploy(env, opts = {}) {
      const ctx = recordingContext();
      await deployer(opts.as).deploy(env, ctx, opts.how);
      return ctx;
    },
    async close() {
      await target.close();
      await engine.close();
    },
  };
}

/** An environment as the store would hold it: the model's defaults (the tutorial lab), on the fake images. */
export function fakeEnvironment(name: string, input: Omit<Partial<EnvironmentInput>, 'name'> = {}): Env {
  const parsed = parseOrThrow(EnvironmentInput, { httpPort: 18080, images: FAKE_IMAGES, ...input, name });
  const stamp = '2026-01-01T00:00:00.000Z';
  return parseOrThrow(Environment, { ...parsed, createdAt: stamp, updatedAt: stamp });
}

export interface RecordingContext extends TaskContext {
  /** The step names, in order. */
  readonly steps: string[];
}

/** A task context that records the steps and is never cancelled (the task manager is not under test). */
export function recordingContext(): RecordingContext {
  const steps: string[] = [];
  return {
    steps,
    signal: new AbortController().signal,
    step: (name: string) => void steps.push(name),
    note: () => undefined,
    progress: () => undefined,
    checkCancelled: () => undefined,
  };
}
