import type { TaskStarted } from '../../../shared/contract';
import { SwitchyardError } from '../../../shared/errors';
import { msg } from '../../../shared/messages';
import { names } from '../environments/naming';
import type { EnvironmentService } from '../environments/service';
import { dockerError, isNotFound } from '../targets/docker-util';
import type { ImageService } from '../environments/images';
import type { TaskManager } from '../tasks/task-manager';
import { ensureAppImage } from './app-image';
import type { AppSecrets } from './app-secrets';
import { testApp, type AppTestOptions, type AppTestReport } from './app-test';
import { stampedLines, type ReplicaOutput } from './replica-output';

/** Which check the app failed, as the error a person reads; the whole log is the detail. */
function testFailure(report: AppTestReport): SwitchyardError {
  const lines = report.logs.split('\n').slice(-3).join(' | ');
  const opts = { field: report.failed === 'port' ? 'app.port' : report.failed === 'health' ? 'healthCheck.path' : 'app', detail: report.logs };
  switch (report.failed) {
    case 'crash':
      return SwitchyardError.because('APP_TEST_FAILED', 'crash', { exitCode: report.exitCode ?? '?', lines }, opts);
    case 'port':
      return SwitchyardError.because('APP_TEST_FAILED', 'port', { lines }, opts);
    case 'health': {
      const { path = '/', status, expected = '' } = report.health ?? {};
      return status === undefined
        ? SwitchyardError.because('APP_TEST_FAILED', 'healthSilent', { path, expected, lines }, opts)
        : SwitchyardError.because('APP_TEST_FAILED', 'health', { path, status, expected, lines }, opts);
    }
    default:
      return SwitchyardError.because('APP_TEST_FAILED', 'start', { lines }, opts);
  }
}

/** The user's app before and around deploys: "Test the app" (a throwaway container, a report). */
export class AppService {
  private readonly reports = new Map<string, AppTestReport>();

  constructor(
    private readonly envs: EnvironmentService,
    private readonly images: ImageService,
    private readonly tasks: TaskManager,
    private readonly secrets: AppSecrets,
    private readonly output: ReplicaOutput,
    private readonly testOptions: AppTestOptions = {},
  ) {}

  /** A task: the image is pulled or built (its log in the task), then tried in a throwaway container. */
  async test(environment: string): Promise<TaskStarted> {
    const env = await this.envs.get(environment);
    const app = env.app;
    if (!app) throw SwitchyardError.because('VALIDATION', 'noApp', { env: env.name }, { field: 'app' });
    const target = await this.envs.target(env);
    const me = await this.envs.me();
    const task = this.tasks.start('app-test', env.name, async (ctx) => {
      ctx.step('images', 10, msg('deploy.images'));
      const image = await ensureAppImage(target.docker, this.images, env.name, app, target.hostId, (l) => ctx.note(l));
      ctx.step('app-test', 60, msg('app.testing', { port: app.port }));
      const report = await testApp(target, env, app, image.id, await this.secrets.open(app), me, this.testOptions);
      this.reports.set(task.id, report);
      if (!report.ok) throw testFailure(report);
      return msg('app.tested', { port: app.port });
    });
    return { taskId: task.id };
  }

  /** The last lines a replica (or demo backend) wrote to its stdout and stderr. */
  async logs(environment: string, server: string, lines: number): Promise<{ server: string; lines: string[]; until?: string }> {
    const { env, docker } = await this.replica(environment, server);
    const container = docker.getContainer(names.backend(env.name, server));
    try {
      // With Docker's timestamps: the last one says where a follow (`apps:output`) takes over.
      const read = stampedLines((await container.logs({ stdout: true, stderr: true, timestamps: true, tail: lines })) as unknown as Buffer);
      return { server, lines: read.map((l) => l.text), ...(read.length ? { until: read[read.length - 1].at } : {}) };
    } catch (err) {
      if (isNotFound(err)) throw SwitchyardError.because('NOT_FOUND', 'noContainer', { server, env: env.name }, { field: 'server' });
      throw dockerError(err, `reading the output of ${server}`);
    }
  }

  /**
   * Follows a replica's (or demo backend's) output as `apps:output` until the returned function
   * is called; `scope` is the subscription's `environment/server`. It outlives the container: a
   * replica restarted or replaced by a deploy goes on being followed.
   */
  async watchOutput(scope: string): Promise<() => void> {
    const [environment, server] = scope.split('/');
    const { env, docker } = await this.replica(environment, server ?? '');
    return this.output.follow(docker, env.name, server, names.backend(env.name, server));
  }

  /** A server Switchyard runs a container for, in an environment this installation manages. */
  private async replica(environment: string, server: string) {
    const env = await this.envs.get(environment);
    const s = env.servers.find((x) => x.name === server);
    if (!s) throw SwitchyardError.because('NOT_FOUND', 'server', { env: env.name, server }, { field: 'server' });
    if (s.kind === 'external') throw SwitchyardError.because('VALIDATION', 'externalServer', { server }, { field: 'server' });
    await this.envs.assertOwned(env);
    return { env, docker: (await this.envs.target(env)).docker };
  }

  report(taskId: string): AppTestReport {
    const r = this.reports.get(taskId);
    if (!r) throw new SwitchyardError('NOT_FOUND', `No app test with task id ${taskId} (it may still be running)`, { field: 'taskId' });
    return r;
  }
}
