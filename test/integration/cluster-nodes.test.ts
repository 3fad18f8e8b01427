/**
 * The test cluster itself (test/support/cluster/nodes.sh), seen from outside the product: two of
 * its engines form a Swarm through the Docker API, a service spreads over both, its tasks answer
 * over the overlay network, and each node's sshd leads `docker` to that node's own engine.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaveSwarm, NODES, nodeDocker, requireNodes, sshCliEnv } from '../support/cluster';
import { TEST_IMAGES, uniqueName, until } from '../support/lab';

const run = promisify(execFile);
const { swn1, swn2 } = NODES;
const manager = nodeDocker(swn1);
const worker = nodeDocker(swn2);

interface TaskInfo {
  NodeID: string;
  Status: { State: string };
  DesiredState: string;
  NetworksAttachments?: { Network: { Spec: { Name: string } }; Addresses: string[] }[];
}

describe('test cluster nodes', () => {
  beforeAll(async () => {
    await requireNodes();
    await leaveSwarm(swn1);
    await leaveSwarm(swn2);
  });

  afterAll(async () => {
    await leaveSwarm(swn2).catch(() => undefined);
    await leaveSwarm(swn1).catch(() => undefined);
  });

  it('reaches each node engine over its own sshd', async () => {
    const { ID } = (await worker.info()) as { ID: string };
    const { stdout } = await run('docker', ['-H', `ssh://root@${swn2.address}`, 'info', '--format', '{{.ID}}'], { env: sshCliEnv(), timeout: 30_000 });
    expect(stdout.trim()).toBe(ID);
    const local = (await nodeDocker(swn1).info()) as { ID: string };
    expect(local.ID).not.toBe(ID);
  });

  it('forms a two-node swarm whose service spreads over both nodes and answers over the overlay', async () => {
    await manager.swarmInit({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: `${swn1.address}:2377` });
    const swarm = (await manager.swarmInspect()) as { JoinTokens: { Worker: string } };
    await worker.swarmJoin({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: `${swn2.address}:2377`, RemoteAddrs: [`${swn1.address}:2377`], JoinToken: swarm.JoinTokens.Worker });
    const nodes = (await manager.listNodes()) as { ID: string; Status: { State: string } }[];
    expect(nodes.filter((n) => n.Status.State === 'ready')).toHaveLength(2);

    const net = uniqueName('net');
    const svc = uniqueName('web');
    await manager.createNetwork({ Name: net, Driver: 'overlay', Attachable: true });
    await manager.createService({
      Name: svc,
      TaskTemplate: {
        ContainerSpec: {
          Image: TEST_IMAGES.demoBase,
          Command: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www'],
          // httpd as pid 1 ignores SIGTERM: do not wait 10 s for it on removal.
          StopSignal: 'SIGKILL',
        },
        Networks: [{ Target: net }],
        // One task per node: a worker that cannot run it leaves a task pending and the test fails.
        Placement: { MaxReplicas: 1 },
      },
      Mode: { Replicated: { Replicas: 2 } },
      EndpointSpec: { Mode: 'dnsrr' },
    });

    const tasks = await until(
      'two running tasks',
      async () => {
        const all = (await manager.listTasks({ filters: { service: [svc], 'desired-state': ['running'] } })) as TaskInfo[];
        const running = all.filter((t) => t.Status.State === 'running');
        return running.length === 2 && running;
      },
      45_000,
      250,
    );
    expect(new Set(tasks.map((t) => t.NodeID)).size).toBe(2);

    // A client on the manager reaches both tasks (one of them on the other node, over VXLAN).
    // nc, not wget: Debian's busybox-static wget segfaults.
    const addresses = tasks.map((t) => t.NetworksAttachments!.find((a) => a.Network.Spec.Name === net)!.Addresses[0].split('/')[0]);
    const script = addresses.map((a) => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${a} 80`).join(' && ');
    const client = await manager.createContainer({
      Image: TEST_IMAGES.demoBase,
      Cmd: ['sh', '-c', script],
      HostConfig: { NetworkMode: net, AutoRemove: false },
    });
    try {
      await client.start();
      const { StatusCode } = (await client.wait()) as { StatusCode: number };
      const out = (await client.logs({ stdout: true, stderr: true })).toString('latin1');
      expect(StatusCode, out).toBe(0);
      expect(out.match(/HTTP\/1\.1 200 OK/g), out).toHaveLength(2);
    } finally {
      await client.remove({ force: true });
    }

    await manager.getService(svc).remove();
    await until('the service tasks to go', async () => ((await worker.listContainers({ all: true })) as unknown[]).length === 0, 30_000, 250);
    await manager.getNetwork(net).remove();
  });
});
