/**
 * What the first-run screen says when this computer's Docker does not answer: which problem it
 * is, and the steps that fix it on the operating system the core runs on. Step texts are i18n
 * keys under `dockerSetup.steps`; commands are shell and stay as they are in every language.
 */
import type { SystemInfo, SystemOs } from '../../shared/contract';

/** Not installed / installed but not running / running but this user may not use it / anything else. */
export type DockerSetupKind = 'missing' | 'stopped' | 'denied' | 'other';

export function dockerSetupKind(docker: SystemInfo['docker']): DockerSetupKind | null {
  if (docker.reachable) return null;
  switch (docker.problem) {
    // No socket: not installed when we could tell Docker's programs are absent, else not started.
    case 'missing-socket':
      return docker.installed === false ? 'missing' : 'stopped';
    case 'connection-refused':
      return 'stopped';
    case 'permission-denied':
      return 'denied';
    default:
      return 'other';
  }
}

export interface SetupStep {
  /** Key under `dockerSetup.steps`. */
  text: string;
  /** A command to run, shown as it is. */
  command?: string;
  /** A page with more (Docker's own install guide), opened in the system browser. */
  link?: string;
}

const GUIDES = {
  linux: 'https://docs.docker.com/engine/install/',
  darwin: 'https://docs.docker.com/desktop/setup/install/mac-install/',
  win32: 'https://docs.docker.com/desktop/setup/install/windows-install/',
};

const linuxStart: SetupStep = { text: 'linuxStart', command: 'sudo systemctl enable --now docker' };
const linuxGroup: SetupStep = { text: 'linuxGroup', command: 'sudo usermod -aG docker $USER' };
const macOpen: SetupStep = { text: 'macOpen' };
const macSocket: SetupStep = { text: 'macSocket' };
const winOpen: SetupStep = { text: 'winOpen' };
const otherHost: SetupStep = { text: 'dockerHost' };

const STEPS: Record<SystemOs, Record<DockerSetupKind, SetupStep[]>> = {
  linux: {
    missing: [{ text: 'linuxInstall', command: 'sudo apt install docker.io' }, { text: 'linuxGuide', link: GUIDES.linux }, linuxStart, linuxGroup, { text: 'linuxRelogin' }],
    stopped: [linuxStart, { text: 'linuxLog', command: 'journalctl -u docker --no-pager -n 50' }],
    denied: [linuxGroup, { text: 'linuxRelogin' }],
    other: [otherHost],
  },
  darwin: {
    missing: [{ text: 'macInstall', link: GUIDES.darwin }, macOpen],
    stopped: [macOpen, macSocket],
    denied: [{ text: 'macRestart' }, macSocket],
    other: [otherHost],
  },
  win32: {
    missing: [{ text: 'winInstall', link: GUIDES.win32 }, winOpen],
    stopped: [winOpen],
    denied: [{ text: 'winGroup', command: 'net localgroup docker-users "%USERNAME%" /add' }, { text: 'winRelogin' }],
    other: [otherHost],
  },
  other: {
    missing: [{ text: 'otherInstall', link: GUIDES.linux }],
    stopped: [{ text: 'otherStart' }, otherHost],
    denied: [{ text: 'otherDenied' }],
    other: [otherHost],
  },
};

/** The steps for this computer; `endpoint` is where the engine was looked for (DOCKER_HOST). */
export function dockerSetupSteps(os: SystemOs, kind: DockerSetupKind, endpoint?: string): SetupStep[] {
  // DOCKER_HOST names an engine on another machine: nothing to install or start here.
  if (endpoint && !/^(unix|npipe):\/\//.test(endpoint)) return [{ text: 'remoteEngine' }];
  return STEPS[os][kind];
}
