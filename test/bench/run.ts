/**
 * Runs the benchmarks and prints their figures (never asserts a time).
 *   npm run bench              full sizes
 *   npm run bench -- --smoke   small sizes, as CI runs them
 */
import { benchAcme } from './acme.bench';
import { GOAL_REPLICAS, benchApps } from './apps.bench';
import { benchClusters } from './clusters.bench';
import { benchDeploy } from './deploy.bench';
import { benchFailover } from './failover.bench';
import { benchLive } from './live.bench';
import { benchReleases } from './releases.bench';
import { benchSsh } from './ssh.bench';
import { benchUi } from './ui.bench';

const smoke = process.argv.includes('--smoke');

// Three runs even at smoke size: one run of a few hundred milliseconds swings ±20 % on a small machine.
await benchDeploy(smoke ? 3 : 5);
console.log();
await benchLive(smoke);
console.log();
await benchFailover(smoke);
console.log();
await benchSsh(smoke ? 5 : 100, smoke ? 1 : 3);
console.log();
await benchAcme(smoke);
console.log();
await benchUi(smoke);
console.log();
await benchApps(smoke ? 2 : GOAL_REPLICAS, smoke ? 1 : 3);
console.log();
await benchReleases(smoke);
console.log();
await benchClusters(smoke);
