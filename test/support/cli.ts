import { execFile } from 'node:child_process';
import { CLI_BUNDLE } from './cli-bundle';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `switchyard` command (its sources bundled once per test run: cli-bundle.ts) on a data folder. `input` is
 * written to its standard input (a password for `--password-stdin`); without it stdin is closed.
 */
export function cli(dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI_BUNDLE, ...args], { env: { ...process.env, ...env, SWITCHYARD_DATA_DIR: dataDir }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

/**
 * Runs `switchyard` as if on one of the test cluster's machines (test/support/cluster): inside that
 * node's network namespace, its engine as the local one. Its loopback and published ports are then
 * that machine's, as for a user running Switchyard on a cluster manager.
 */
export function cliOnNode(node: { name: string; dockerHost: string }, dataDir: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'nsenter',
      [`--net=/var/run/netns/${node.name}`, process.execPath, CLI_BUNDLE, ...args],
      { env: { ...process.env, DOCKER_HOST: node.dockerHost, SWITCHYARD_DATA_DIR: dataDir }, timeout: 300_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}
