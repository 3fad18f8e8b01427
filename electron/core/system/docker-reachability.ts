/**
 * Why this computer's Docker engine does not answer, in terms a person can act on: the window's
 * first-run screen turns the reason and the operating system into the steps to take (install
 * Docker, start it, or join the group that may use it).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DockerProblem, SystemOs } from '../../../shared/contract';

/** The reason behind a failed call to the engine, read from the socket's error code. */
export function dockerProblemOf(err: unknown): DockerProblem {
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    // No socket file (Linux, macOS) or no named pipe (Windows): nothing listens there.
    case 'ENOENT':
      return 'missing-socket';
    // The socket file is there but nobody listens (a daemon that stopped or crashed), or
    // nothing answers on DOCKER_HOST's port.
    case 'ECONNREFUSED':
      return 'connection-refused';
    // The socket belongs to root and the docker group (Linux), or the pipe's ACL leaves this
    // user out (Windows: the docker-users group).
    case 'EACCES':
    case 'EPERM':
      return 'permission-denied';
    default:
      return 'other';
  }
}

export function systemOs(platform: NodeJS.Platform = process.platform): SystemOs {
  return platform === 'linux' || platform === 'darwin' || platform === 'win32' ? platform : 'other';
}

/** Where the engine is looked for, written as DOCKER_HOST would be. */
export function dockerEndpoint(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  if (env.DOCKER_HOST) return env.DOCKER_HOST;
  return platform === 'win32' ? 'npipe:////./pipe/docker_engine' : 'unix:///var/run/docker.sock';
}

/**
 * Whether Docker's programs are on this computer, so "no socket" can be told apart as "not
 * installed" or "not running". Undefined when it cannot say: DOCKER_HOST names an engine
 * somewhere else, or the operating system is one we have no places to look in.
 */
export function dockerInstalled(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, exists: (file: string) => boolean = existsSync): boolean | undefined {
  if (env.DOCKER_HOST && !/^(unix|npipe):\/\//.test(env.DOCKER_HOST)) return undefined;
  const onPath = (names: string[], pathSep: string, join: (dir: string, name: string) => string): string[] =>
    (env.PATH ?? env.Path ?? '')
      .split(pathSep)
      .filter(Boolean)
      .flatMap((dir) => names.map((name) => join(dir, name)));
  let candidates: string[];
  if (platform === 'linux') {
    // The engine's daemon (distribution packages, docker-ce), Docker Desktop for Linux, or the
    // snap. The CLI alone is not enough: it is often installed to reach a remote engine.
    candidates = ['/usr/bin/dockerd', '/usr/sbin/dockerd', '/usr/local/bin/dockerd', '/snap/bin/docker', '/opt/docker-desktop', ...onPath(['dockerd'], ':', path.posix.join)];
  } else if (platform === 'darwin') {
    // Apps launched from the Finder get a bare PATH, so the usual places are named outright.
    const home = env.HOME ?? os.homedir();
    candidates = ['/Applications/Docker.app', path.posix.join(home, 'Applications', 'Docker.app'), '/usr/local/bin/docker', '/opt/homebrew/bin/docker', ...onPath(['docker'], ':', path.posix.join)];
  } else if (platform === 'win32') {
    const programFiles = env.ProgramFiles ?? env.PROGRAMFILES ?? 'C:\\Program Files';
    candidates = [path.win32.join(programFiles, 'Docker', 'Docker', 'Docker Desktop.exe'), ...onPath(['docker.exe'], ';', path.win32.join)];
  } else {
    return undefined;
  }
  return candidates.some((file) => {
    try {
      return exists(file);
    } catch {
      return false;
    }
  });
}
