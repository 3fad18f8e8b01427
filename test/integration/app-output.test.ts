/**
 * A replica's own output, followed as it is written (`apps:output`, `switchyard app logs -f`),
 * with the real engine: stdout and stderr, one replica only, and on across a crash that Docker
 * restarts and a stop and start.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { names } from '../../electron/core/environments/naming';
import type { AppOutput } from '../../shared/app-output';
import { SwitchyardError } from '../../shared/errors';
import { CLI_BUNDLE } from '../support/cli-bundle';
import { TEST_IMAGES, docker, freePort, removeEnvironments, testCore, type TestCore, uniqueName, until } from '../support/lab';

/**
 * A web app that says when it starts, then writes a line to stdout and one to stderr every 200 ms;
 * it crashes (exit code 3) once /tmp/crash appears, and stops at once when asked to.
 */
const TICKING = [
  'sh',
  '-c',
  [
    "rm -f /tmp/crash; trap 'exit 0' TERM",
    'mkdir -p /www && echo ok > /www/health && echo hello > /www/index.html',
    'echo "$BACKEND_NAME starting"',
    'httpd -f -p 80 -h /www &',
    'i=0',
    'while [ ! -e /tmp/crash ]; do i=$((i+1)); echo "$BACKEND_NAME tick $i"; echo "$BACKEND_NAME warn $i" >&2; sleep 0.2; done',
    'echo "$BACKEND_NAME crashing" >&2',
    'exit 3',
  ].join('\n'),
];

/** Runs a command in a container, as `docker exec` does, and waits for it to end. */
async function execIn(container: string, cmd: string[]): Promise<void> {
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  await new Promise((resolve) => {
    stream.on('end', resolve);
    stream.resume();
  });
}

describe("following a replica's output", () => {
  const name = uniqueName('out');
  let t: TestCore;

  beforeAll(async () => {
    t = testCore();
    await t.call('environments:create', {
      name,
      httpPort: await freePort(),
      images: TEST_IMAGES,
      healthCheck: { interval: 500, rise: 1, fall: 2 },
      app: { source: { kind: 'image', image: TEST_IMAGES.demoBase }, command: TICKING, env: [{ name: 'BACKEND_NAME', value: '{{server}}' }] },
      servers: [
        { name: 'app1', kind: 'app' },
        { name: 'app2', kind: 'app' },
        { name: 'ext', kind: 'external', address: '127.0.0.1', port: 9 },
      ],
    });
    const task = await t.runTask('environments:deploy', name);
    expect(task.state, `${task.error?.code} ${task.message}`).toBe('succeeded');
  }, 120_000);

  afterAll(async () => {
    await removeEnvironments(name);
    await t?.close();
  });

  /** Subscribes as a window would; `heard` collects every line, `batches` every event. */
  async function follow(server: string) {
    const heard: string[] = [];
    const batches: AppOutput[] = [];
    const stop = await t.core.subscribe('apps:output', { environment: name, server }, (o) => {
      batches.push(o);
      heard.push(...o.lines.map((l) => l.text));
    });
    return { heard, batches, stop };
  }

  it('sends what one replica writes to stdout and stderr as it comes, and only that replica’s', async () => {
    const f = await follow('app1');
    try {
      await until('app1 writing to stdout and stderr', async () => f.heard.some((l) => /^app1 tick \d+$/.test(l)) && f.heard.some((l) => /^app1 warn \d+$/.test(l)), 15_000);
      expect(f.batches.every((b) => b.environment === name && b.server === 'app1')).toBe(true);
      expect(f.heard.filter((l) => l.startsWith('app2'))).toEqual([]);
      // Only news: what it wrote before the subscription (its first line) is `apps:logs`' business.
      expect(f.heard).not.toContain('app1 starting');
      const ticks = f.heard.filter((l) => l.includes(' tick ')).map((l) => Number(l.split(' ').pop()));
      expect(new Set(ticks).size).toBe(ticks.length);
      expect(ticks).toEqual([...ticks].sort((a, b) => a - b));
      const before = (await t.call('apps:logs', { environment: name, server: 'app1', lines: 5000 })).lines;
      // Its first line on stdout (stderr's lines are stamped apart, and may come first).
      expect(before.filter((l) => !l.includes(' warn '))[0]).toBe('app1 starting');
    } finally {
      f.stop();
    }
    expect(t.core.subscriptions.count('apps:output', `${name}/app1`)).toBe(0);
  });

  it('goes on when Docker restarts a replica that crashed (the card counts the restart), and after a stop and a start', async () => {
    const f = await follow('app2');
    try {
      await until('app2 ticking', async () => f.heard.some((l) => l.startsWith('app2 tick')), 15_000);
      // A crash, not a stop anyone asked for: Docker's restart policy starts it again.
      await execIn(names.backend(name, 'app2'), ['touch', '/tmp/crash']);
      await until(
        'app2 restarted by Docker, and its first lines followed',
        async () => f.heard.includes('app2 starting') && f.heard.lastIndexOf('app2 tick 1') > f.heard.indexOf('app2 starting'),
        30_000,
      );
      expect(f.heard.indexOf('app2 crashing')).toBeLessThan(f.heard.indexOf('app2 starting'));
      const status = await t.call('environments:status', { environment: name });
      const c = status.containers.find((x) => x.name === names.backend(name, 'app2'));
      expect(c).toMatchObject({ state: 'running', restartCount: 1, image: TEST_IMAGES.demoBase });
      expect(Date.now() - Date.parse(c!.startedAt!)).toBeLessThan(60_000);

      await t.call('servers:stop', { environment: name, server: 'app2' });
      const stoppedAt = f.heard.length;
      await t.call('servers:start', { environment: name, server: 'app2' });
      await until('app2 started again, and its first line followed', async () => f.heard.indexOf('app2 starting', stoppedAt) >= 0, 30_000);
      expect(f.heard.filter((l) => l === 'app2 starting')).toHaveLength(2);
    } finally {
      f.stop();
    }
  }, 90_000);

  it('refuses a server Switchyard runs no container for, and one the environment does not have', async () => {
    await expect(follow('ext')).rejects.toMatchObject({ code: 'VALIDATION', field: 'server' } satisfies Partial<SwitchyardError>);
    await expect(follow('nope')).rejects.toMatchObject({ code: 'NOT_FOUND', field: 'server' } satisfies Partial<SwitchyardError>);
    expect(t.core.subscriptions.count('apps:output', `${name}/ext`)).toBe(0);
  });

  it('switchyard app logs <env> <server> -f prints the last lines, then follows until Ctrl-C', async () => {
    // The CLI is another process on the same data folder, as beside the app.
    const child = spawn(process.execPath, [CLI_BUNDLE, 'app', 'logs', name, 'app1', '-n', '3', '-f'], {
      env: { ...process.env, SWITCHYARD_DATA_DIR: t.dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // More lines than the 3 asked for: the ones written after it started.
      await until('the CLI following app1', async () => out.split('\n').filter((l) => /^app1 tick \d+$/.test(l)).length >= 6, 30_000);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited, err).toBe(0);
    const ticks = out
      .split('\n')
      .filter((l) => /^app1 tick \d+$/.test(l))
      .map((l) => Number(l.split(' ').pop()));
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(out).not.toContain('app2');
  }, 60_000);
});
