import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { expandFor, type App } from '../../../shared/apps';
import type { Environment } from '../../../shared/model';
import { httpStatus } from '../environments/deployer';
import { logsOf } from '../environments/haproxy-container';
import { PREFIX, labelsFor, type Owner } from '../environments/naming';
import { dockerError } from '../targets/docker-util';
import type { Target } from '../targets/target';
import type { AppTestReport } from '../../../shared/app-test-report';

export type { AppTestReport };

export interface AppTestOptions {
  /** How long the app must stay up after starting. */
  settleMs?: number;
  /** How long it may take to answer on its port. */
  listenMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One throwaway container from the app's settings, on the environment's host, published on the
 * host's loopback only: did it start, stay up, answer on its port, answer the health path as
 * expected? Removed afterwards whatever happens. Runs as replica "test" (index 1) for
 * `{{server}}` / `{{index}}`.
 */
export async function testApp(target: Target, env: Environment, app: App, image: string, secretValues: Record<string, string>, owner: Owner, opts: AppTestOptions = {}): Promise<AppTestReport> {
  const docker = target.docker;
  const port = `${app.port}/tcp`;
  const report: AppTestReport = { ok: false, image, started: false, stayedUp: false, listening: false, logs: '' };
  let container: Docker.Container | undefined;
  try {
    container = await docker.createContainer({
      name: `${PREFIX}-${env.name}-apptest-${randomBytes(3).toString('hex')}`,
      Image: image,
      Env: [...app.env.map((v) => `${v.name}=${expandFor(v.value, 'test', 1)}`), ...Object.entries(secretValues).map(([k, v]) => `${k}=${v}`)],
      ...(app.command ? { Cmd: app.command } : {}),
      Labels: labelsFor(owner, env.name, 'app-test'),
      ExposedPorts: { [port]: {} },
      HostConfig: {
        PortBindings: { [port]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
        ...(app.memoryMb ? { Memory: app.memoryMb * 1024 * 1024 } : {}),
        ...(app.cpus ? { NanoCpus: Math.round(app.cpus * 1e9) } : {}),
      },
    });
    try {
      await container.start();
      report.started = true;
    } catch (err) {
      report.failed = 'start';
      report.logs = `${(err as { json?: { message?: string } }).json?.message ?? (err as Error).message}`;
      return report;
    }
    // A crash at start usually comes within the first second or two.
    const settleUntil = Date.now() + (opts.settleMs ?? 2000);
    while (Date.now() < settleUntil) {
      const state = (await container.inspect()).State;
      if (!state.Running) {
        report.failed = 'crash';
        report.exitCode = state.ExitCode;
        return report;
      }
      await sleep(200);
    }
    report.stayedUp = true;
    const info = await container.inspect();
    const hostPort = Number(info.NetworkSettings.Ports?.[port]?.[0]?.HostPort);
    // Docker's proxy accepts the connection even when nothing listens inside: only an HTTP
    // answer proves the app listens on that port.
    const listenUntil = Date.now() + (opts.listenMs ?? 10_000);
    while (Date.now() < listenUntil && !report.listening) {
      if (await httpStatus(target, hostPort, '/').catch(() => undefined)) report.listening = true;
      else await sleep(250);
    }
    if (!report.listening) {
      report.failed = 'port';
      return report;
    }
    if (env.healthCheck.type === 'http') {
      const status = await httpStatus(target, hostPort, env.healthCheck.path).catch(() => undefined);
      const ok = status === env.healthCheck.expectStatus;
      report.health = { path: env.healthCheck.path, expected: env.healthCheck.expectStatus, status, ok };
      if (!ok) {
        report.failed = 'health';
        return report;
      }
    }
    report.ok = true;
    return report;
  } catch (err) {
    throw dockerError(err, `testing the app of ${env.name}`);
  } finally {
    if (container) {
      if (!report.logs) report.logs = lastLines(await logsOf(container).catch(() => ''), 20);
      await container.remove({ force: true }).catch(() => undefined);
    }
  }
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
