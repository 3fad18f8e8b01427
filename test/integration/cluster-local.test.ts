/**
 * A cluster whose manager is Switchyard's own machine (its local engine), driven from the CLI as a
 * user on that machine would: the CLI runs in a test node's network namespace with that node's
 * engine as its local one (test/support/cluster). cluster-envs.test.ts does the same through SSH
 * hosts; here the same environment works on the local engine alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODES, leaveSwarm, requireNodes } from '../support/cluster';
import { cliOnNode } from '../support/cli';
import { TEST_IMAGES, freePort, uniqueName, until } from '../support/lab';
import { startLoad } from '../support/load';

// Its own node: the stack export test also uses swn3, one file after the other.
const node = NODES.swn3;

describe('a cluster managed by the local engine, from the CLI', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sy-cluster-local-'));
  const name = uniqueName('lc');
  let port: number;
  const sy = (...args: string[]) => cliOnNode(node, dataDir, args);

  beforeAll(async () => {
    await requireNodes();
    await leaveSwarm(node);
    port = await freePort();
  });

  afterAll(async () => {
    await sy('env', 'destroy', name);
    await leaveSwarm(node).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }, 180_000);

  it('starts a cluster on the local engine, places an environment on it, serves, scales and reports its tasks', async () => {
    const init = await sy('cluster', 'init', 'local', '--advertise-addr', node.address);
    expect(init.code, init.stderr).toBe(0);
    const created = await sy(
      'env',
      'create',
      name,
      '--host',
      'local',
      '--replicas',
      '2',
      '--slots',
      '6',
      '--port',
      String(port),
      '--haproxy-image',
      TEST_IMAGES.haproxy,
      '--demo-base',
      TEST_IMAGES.demoBase,
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`on the cluster of local: 2 tasks`);
    const deployed = await sy('env', 'deploy', name);
    expect(deployed.code, deployed.stderr + deployed.stdout).toBe(0);
    expect(deployed.stdout).toMatch(/created service sy-.*-web \(2 tasks\)/);

    // The machine's published port answers from both tasks.
    const load = startLoad(port, 4, 60_000, node.address);
    await until('answers from 2 tasks', async () => Object.keys(load.progress.byBackend).length >= 2);
    const first = await load.stop();
    expect(first.failed, first.errors.join('; ')).toBe(0);

    const scaled = await sy('env', 'scale', name, '3');
    expect(scaled.code, scaled.stderr + scaled.stdout).toBe(0);
    expect(scaled.stdout).toContain('scaled service');
    const status = await until(
      '3 slots UP',
      async () => {
        const s = await sy('env', 'status', name);
        return (s.stdout.match(/^server web\d+\tUP/gm) ?? []).length === 3 && s;
      },
      60_000,
      500,
    );
    expect(status.stdout).toMatch(/cluster of local: service sy-.*-web, 3\/3 tasks running/);
    expect(status.stdout).toMatch(new RegExp(`^node ${node.name}\\tready\\tactive\\t3 tasks$`, 'm'));
    expect(status.stdout).toMatch(/^server web\d+\tUP[^\n]*\tsy-.*-web\.\d+\tswn3$/m);

    // A slot set on its own: drained in HAProxy, the others keep serving.
    const slot = /^server (web\d+)\tUP/m.exec(status.stdout)![1];
    const drained = await sy('server', 'set', name, slot, '--state', 'drain');
    expect(drained.code, drained.stderr + drained.stdout).toBe(0);
    const after = await sy('env', 'status', name);
    expect(after.stdout).toMatch(new RegExp(`^server ${slot}\\tDRAIN`, 'm'));
  });
});
