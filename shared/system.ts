/**
 * This installation and the computer the core runs on: its data folder, its id, and whether
 * the local Docker engine answers (and why not).
 */

/** An installation of Switchyard (one data folder), as resources on an engine name it. */
export interface InstallationRef {
  /** Its id (a UUID). */
  installation: string;
  /** Who created it: `user@machine`. */
  by: string;
}

/**
 * Why the local Docker engine did not answer: no socket or pipe to connect to (not installed, or
 * not started) / a socket nobody listens on (stopped) / this user may not use it / anything else.
 */
export const dockerProblems = ['missing-socket', 'connection-refused', 'permission-denied', 'other'] as const;
export type DockerProblem = (typeof dockerProblems)[number];
/** The operating system the core runs on: where Docker must be installed and started. */
export type SystemOs = 'linux' | 'darwin' | 'win32' | 'other';

export interface SystemInfo {
  version: string;
  dataDir: string;
  /** This installation: what its resources on every engine are labelled with. */
  installation: InstallationRef;
  os: SystemOs;
  docker: {
    reachable: boolean;
    version?: string;
    error?: string;
    /** Set when it is not reachable. */
    problem?: DockerProblem;
    /** Where the engine was looked for, as DOCKER_HOST is written. */
    endpoint?: string;
    /** Whether Docker is on this computer, when that can be told (a missing socket then means not installed, or not started). */
    installed?: boolean;
  };
}
