import os from 'node:os';
import path from 'node:path';

export const APP_DIR_NAME = 'Switchyard';

/**
 * Where the app keeps its data: `SWITCHYARD_DATA_DIR` when set, else the OS's per-user
 * application-data folder (the same folder Electron's `userData` points at), so that the
 * desktop app and the CLI share one store.
 */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.SWITCHYARD_DATA_DIR) return path.resolve(env.SWITCHYARD_DATA_DIR);
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_DIR_NAME);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_DIR_NAME);
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), APP_DIR_NAME);
}
