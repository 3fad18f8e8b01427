import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterNode } from '../../../shared/clusters';
import { nodesTable } from '../../../electron/headless/cli-clusters';
import { cli } from '../../support/cli';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sy-cli-clusters-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const node = (over: Partial<ClusterNode>): ClusterNode => ({
  id: 'x'.repeat(25),
  hostname: 'swn1',
  role: 'manager',
  leader: false,
  state: 'ready',
  availability: 'active',
  address: '10.250.0.11',
  engineVersion: '20.10.24+dfsg1',
  cpus: 2,
  memoryBytes: 1,
  labels: {},
  tasks: 0,
  ...over,
});

describe('switchyard cluster nodes', () => {
  it('prints a stable table: 12-character ids, the leader as its role, - for a node no host reaches', () => {
    const lines = nodesTable([
      node({ id: 'abcdefghijkl0123456789abc', leader: true, host: 'local', tasks: 3 }),
      node({ id: 'mnopqrstuvwx0123456789abc', hostname: 'swn2', role: 'worker', address: '10.250.0.12', availability: 'drain', host: 'swn2' }),
      node({ id: 'zzzzzzzzzzzz0123456789abc', hostname: 'far-away-node', role: 'worker', state: 'down', address: '10.250.0.99' }),
    ]);
    expect(lines).toEqual([
      'ID            HOSTNAME       ROLE    STATE  AVAILABILITY  ADDRESS      ENGINE          TASKS  HOST',
      'abcdefghijkl  swn1           leader  ready  active        10.250.0.11  20.10.24+dfsg1  3      local',
      'mnopqrstuvwx  swn2           worker  ready  drain         10.250.0.12  20.10.24+dfsg1  0      swn2',
      'zzzzzzzzzzzz  far-away-node  worker  down   active        10.250.0.99  20.10.24+dfsg1  0      -',
    ]);
  });

  it('a wrong address or role is a command-line error (exit 2); nothing is asked of any engine', async () => {
    const cases = [
      ['cluster', 'init', 'local', '--advertise-addr', '10.0.0.300'],
      ['cluster', 'init', 'local', '--advertise-addr', '10.0.0.5:2377'],
      ['cluster', 'join', 'swn2', '--manager', 'local', '--role', 'boss'],
      ['cluster', 'join', 'swn2'],
      ['node', 'drain', 'local'],
    ];
    const results = await Promise.all(cases.map((args) => cli(dataDir, args, { DOCKER_HOST: 'unix:///nonexistent/docker.sock' })));
    results.forEach((r, i) => {
      expect(r.code, cases[i].join(' ')).toBe(2);
      expect(r.stdout, cases[i].join(' ')).toBe('');
    });
  }, 60_000);

  it('a host that is not known is refused naming host', async () => {
    const r = await cli(dataDir, ['cluster', 'join', 'nosuch', '--manager', 'local'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('field: host');
  });
});
