/**
 * Starting Switchyard at login, in the background. Windows and macOS have this built in
 * (Electron's login items). Electron has no login items on Linux, so there it is an XDG
 * autostart entry (~/.config/autostart/switchyard.desktop), which GNOME, KDE, Xfce and most
 * other desktops read at login: Linux users get the same checkbox instead of none. Nothing
 * here imports 'electron', so it runs (and is tested) in plain Node.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The argument a login launch carries: start with the tray only, no window. */
export const BACKGROUND_FLAG = '--background';

export interface LoginItem {
  isEnabled(): boolean;
  setEnabled(on: boolean): void;
}

/** The part of Electron's `app` that login items use. */
export interface LoginItemApp {
  getLoginItemSettings(options?: { args?: string[] }): { openAtLogin: boolean };
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void;
}

/** Windows and macOS. macOS ignores `args`; the shell asks `wasOpenedAtLogin` there instead. */
export function electronLoginItem(app: LoginItemApp): LoginItem {
  const args = [BACKGROUND_FLAG];
  return {
    // Windows tells whether *this* entry is registered only when asked with the same arguments.
    isEnabled: () => app.getLoginItemSettings({ args }).openAtLogin,
    setEnabled: (on) => app.setLoginItemSettings({ openAtLogin: on, args }),
  };
}

export interface AutostartOptions {
  /** The XDG autostart folder, usually ~/.config/autostart. */
  dir: string;
  /** The command that starts this app (the flag is added to it). */
  command: string[];
}

/** Where this user's autostart entries live, and how to start this installed app again. */
export function defaultAutostart(env: NodeJS.ProcessEnv = process.env, execPath = process.execPath): AutostartOptions {
  // The XDG spec: an unset, empty or relative XDG_CONFIG_HOME means ~/.config.
  const configHome = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  // An AppImage runs from a mount that changes each launch: only its own file's path lasts.
  return { dir: path.join(configHome, 'autostart'), command: [env.APPIMAGE || execPath] };
}

export const AUTOSTART_FILE = 'switchyard.desktop';

/** Linux: the autostart entry exists (and the user has not disabled it in their desktop's settings). */
export function xdgAutostartItem({ dir, command }: AutostartOptions): LoginItem {
  const file = path.join(dir, AUTOSTART_FILE);
  return {
    isEnabled: () => {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        return false;
      }
      // Desktops' startup settings switch an entry off with one of these rather than deleting it.
      return !/^Hidden\s*=\s*true\s*$/m.test(text) && !/^X-GNOME-Autostart-enabled\s*=\s*false\s*$/m.test(text);
    },
    setEnabled: (on) => {
      if (!on) {
        fs.rmSync(file, { force: true });
        return;
      }
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(file, desktopEntry([...command, BACKGROUND_FLAG]));
    },
  };
}

function desktopEntry(exec: string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Switchyard',
    'Comment=Renews HTTPS certificates in the background',
    `Exec=${exec.map(execArg).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/**
 * One argument of an Exec line, per the Desktop Entry spec: quoted when it holds a reserved
 * character, with `"`, `` ` ``, `$` and `\` escaped inside the quotes and `%` doubled (field
 * codes); then the file's string escaping doubles every backslash once more.
 */
export function execArg(arg: string): string {
  const escaped = arg.replace(/%/g, '%%');
  const quoted = /[\s"'\\><~|&;$*?#()`]/.test(escaped) ? `"${escaped.replace(/["`$\\]/g, '\\$&')}"` : escaped;
  return quoted.replace(/\\/g, '\\\\');
}
