import { InvalidArgumentError, Option, type Command } from 'commander';
import { isIPv4, nodeRoles, type ClusterInfo, type ClusterNode, type NodeRole } from '../../shared/clusters';
import { SwitchyardError } from '../../shared/errors';
import { ask, type CliTools } from './cli-tools';

/** An IPv4 address option; anything else is a command-line error (exit 2). */
function ipv4Option(value: string): string {
  if (!isIPv4(value)) throw new InvalidArgumentError(`"${value}" is not an IPv4 address (such as 10.0.0.5, without a port).`);
  return value;
}

/** The role column: the leading manager reads `leader`. */
function roleWord(n: ClusterNode): string {
  return n.leader ? 'leader' : n.role;
}

/** One line per node under a header; columns padded to their widest value, two spaces apart. */
export function nodesTable(nodes: ClusterNode[]): string[] {
  const header = ['ID', 'HOSTNAME', 'ROLE', 'STATE', 'AVAILABILITY', 'ADDRESS', 'ENGINE', 'TASKS', 'HOST'];
  const rows = nodes.map((n) => [n.id.slice(0, 12), n.hostname || '-', roleWord(n), n.state, n.availability, n.address || '-', n.engineVersion || '-', String(n.tasks), n.host ?? '-']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}

/** A host that does not manage a cluster, as the error the channels give for it. */
function notAManager(info: ClusterInfo): SwitchyardError {
  if (info.state === 'inactive') return SwitchyardError.because('NOT_A_CLUSTER', 'inactive', { host: info.host }, { field: 'host' });
  if (info.state === 'active') return SwitchyardError.because('NOT_A_CLUSTER', 'worker', { host: info.host, manager: info.managerAddress ?? '?' }, { field: 'host' });
  return SwitchyardError.because('NOT_A_CLUSTER', 'unavailable', { host: info.host, state: info.state }, { field: 'host' });
}

/** Docker Swarm clusters: start one, add a host, take one out, list nodes; drain and activate nodes. */
export function addClusterCommands(program: Command, tools: CliTools): void {
  const { getCore, out, globalArgs } = tools;
  const problems = (info: ClusterInfo) => info.problems.forEach((p) => process.stderr.write(`warning: ${p.message}\n`));
  const cluster = program.command('cluster').description('Docker Swarm clusters of your hosts: init, join, leave, nodes');

  cluster
    .command('init')
    .description("Start a Docker Swarm cluster with the host's engine as its first manager")
    .argument('<host>', 'the host id (local for this computer)')
    .option('--advertise-addr <ip>', 'the IPv4 address the other nodes reach it at (default: an SSH host’s address; Docker’s choice for local)', ipv4Option)
    .action(async (host: string, o: { advertiseAddr?: string }) => {
      const info = await ask(getCore(), 'clusters:init', { host, ...(o.advertiseAddr ? { advertiseAddress: o.advertiseAddr } : {}) });
      out(`started a cluster on ${host}: its manager is node ${(info.nodeId ?? '').slice(0, 12)} at ${info.managerAddress ?? '?'}`);
      out(`add a host with: switchyard${globalArgs()} cluster join <host> --manager ${host}`);
    });

  cluster
    .command('join')
    .description('Add a host to the cluster another host manages (as a worker by default)')
    .argument('<host>', 'the host that joins')
    .requiredOption('--manager <host>', 'a host whose engine manages the cluster')
    .addOption(new Option('--role <role>', 'the role it joins as').choices(nodeRoles).default('worker'))
    .option('--advertise-addr <ip>', 'the IPv4 address the other nodes reach it at (default: its SSH address)', ipv4Option)
    .action(async (host: string, o: { manager: string; role: NodeRole; advertiseAddr?: string }) => {
      const info = await ask(getCore(), 'clusters:join', { host, manager: o.manager, role: o.role, ...(o.advertiseAddr ? { advertiseAddress: o.advertiseAddr } : {}) });
      out(`${host} joined the cluster of ${o.manager} as a ${o.role}`);
      nodesTable(info.nodes).forEach((l) => out(l));
      problems(info);
    });

  cluster
    .command('leave')
    .description('Take a host out of its cluster (refused while environments are placed on it, or for a manager Docker keeps, unless --force)')
    .argument('<host>')
    .option('--force', 'leave even so')
    .action(async (host: string, o: { force?: boolean }) => {
      await ask(getCore(), 'clusters:leave', { host, force: o.force === true });
      out(`${host} left its cluster`);
    });

  cluster
    .command('nodes')
    .description('List the nodes of the cluster a host manages: ID, HOSTNAME, ROLE, STATE, AVAILABILITY, ADDRESS, ENGINE, TASKS, HOST')
    .argument('<host>', 'a host whose engine manages the cluster')
    .option('--json', 'print the nodes as JSON')
    .action(async (host: string, o: { json?: boolean }) => {
      const info = await ask(getCore(), 'clusters:info', { host });
      if (!info.manager) throw notAManager(info);
      if (o.json) out(JSON.stringify(info.nodes, null, 2));
      else nodesTable(info.nodes).forEach((l) => out(l));
      problems(info);
    });

  const node = program.command('node').description('Nodes of a cluster: drain (its tasks move elsewhere) or activate');
  for (const [verb, availability, done] of [
    ['drain', 'drain', 'drained'],
    ['activate', 'active', 'activated'],
  ] as const) {
    node
      .command(verb)
      .description(verb === 'drain' ? 'Drain a node: the cluster moves its tasks to the other nodes and places none there' : 'Activate a node: the cluster places tasks on it again')
      .argument('<host>', 'a host whose engine manages the cluster')
      .argument('<node>', "the node's hostname or id")
      .action(async (host: string, ref: string) => {
        const n = await ask(getCore(), 'nodes:availability', { host, node: ref, availability });
        out(`${done} ${n.hostname} (${n.id.slice(0, 12)})`);
      });
  }
}
