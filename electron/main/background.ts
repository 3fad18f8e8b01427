/**
 * Keeps Switchyard running after its window closes while some environment has HTTPS on, so
 * the core's scheduler goes on renewing certificates; a tray icon says so and offers the way
 * back, the way out and starting at login. Electron itself comes in through `deps`, so this
 * runs (and is tested) in plain Node.
 *
 * The tray exists only while the app runs without a window: with the window open, the window
 * is the app, and a second icon would only be clutter.
 */
import path from 'node:path';
import type { Environment } from '../../shared/model';
import type { Core } from '../core/core';
import { BACKGROUND_FLAG, electronLoginItem, xdgAutostartItem, type AutostartOptions, type LoginItem, type LoginItemApp } from './login-item';

/** The part of Electron's `app` this uses. */
export interface BackgroundApp extends LoginItemApp {
  readonly isPackaged: boolean;
  getLocale(): string;
  getLoginItemSettings(options?: { args?: string[] }): { openAtLogin: boolean; wasOpenedAtLogin?: boolean };
  quit(): void;
}

/** A tray menu entry: the subset of Electron's MenuItemConstructorOptions used here. */
export interface TrayMenuItem {
  label?: string;
  type?: 'normal' | 'separator' | 'checkbox';
  checked?: boolean;
  click?: () => void;
}

/** The part of Electron's Tray used here; `M` is what `buildMenu` makes (Electron's Menu). */
export interface TrayLike<M> {
  setToolTip(text: string): void;
  setContextMenu(menu: M): void;
  on(event: 'click', listener: () => void): unknown;
  destroy(): void;
}

export interface BackgroundDeps<M> {
  core: Pick<Core, 'events' | 'invoke'>;
  app: BackgroundApp;
  createTray: () => TrayLike<M>;
  buildMenu: (items: TrayMenuItem[]) => M;
  /** Opens the main window, or brings it forward. */
  openWindow: () => void;
  platform?: NodeJS.Platform;
  argv?: readonly string[];
  /** Linux: where the autostart entry goes and the command it starts (see login-item.ts). */
  autostart?: AutostartOptions;
}

export interface Background {
  /**
   * Opens the window; or, when launched at login (`--background`), shows only the tray if some
   * environment has HTTPS on, and quits if none has: a login launch with nothing to renew has
   * nothing to do, and a window popping up at every login is what the user opted out of.
   */
  start(): Promise<void>;
  /** Opens the window (the tray goes away); the shell's own ways to open it come here too. */
  showWindow(): void;
  /** The last window closed: stay in the tray while some environment has HTTPS on, quit otherwise. */
  windowsClosed(): Promise<void>;
  stop(): void;
}

export function trayIconPath(appRoot: string, platform: NodeJS.Platform = process.platform): string {
  // macOS draws menu bar icons from a black-and-alpha "template" image, tinted for light and
  // dark menu bars (Electron recognises the name); elsewhere, the app's tile. Both are made
  // from resources/icon.svg (npm run icons).
  return path.join(appRoot, 'resources', platform === 'darwin' ? 'trayTemplate.png' : 'tray.png');
}

/** True when this launch (or a second launch's arguments) asks for the tray only. */
export const wantsBackground = (argv: readonly string[]): boolean => argv.includes(BACKGROUND_FLAG);

export function createBackground<M>(deps: BackgroundDeps<M>): Background {
  const platform = deps.platform ?? process.platform;
  const argv = deps.argv ?? process.argv;
  const loginItem = loginItemFor(deps.app, deps.autostart, platform);
  /** Some environment has HTTPS on, as last read from the core. */
  let renewing = false;
  let windowOpen = false;
  /** Whether the user has had the window in this run (macOS then keeps the app in the dock). */
  let windowEverShown = false;
  let started = false;
  let stopped = false;
  let quitting = false;
  let tray: TrayLike<M> | null = null;
  let offStatus: (() => void) | null = null;

  // One evaluation at a time, in arrival order: a late answer must not undo a newer one.
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (work: () => Promise<void> | void): Promise<void> => (queue = queue.then(work).catch((err: Error) => console.error(`Background renewals: ${err.message}`)));

  const refresh = async (): Promise<void> => {
    const res = await deps.core.invoke('environments:list', {});
    // Unreadable for once (a locked store, say): keep the last answer rather than guess.
    if (res.ok) renewing = (res.result as Environment[]).some((env) => env.https?.enabled === true);
  };

  /** Puts the app in the state that fits: window, tray, or gone. */
  const settle = (): void => {
    if (!started || stopped || quitting) return;
    if (windowOpen) return hideTray();
    if (renewing) return showTray();
    hideTray();
    // macOS apps stay in the dock when their windows close; one launched at login with nothing
    // to renew was never opened by the user, so it goes.
    if (platform !== 'darwin' || !windowEverShown) quit();
  };

  const reevaluate = (): Promise<void> =>
    enqueue(async () => {
      await refresh();
      settle();
    });

  const showWindow = (): void => {
    if (stopped || quitting) return;
    windowOpen = true;
    windowEverShown = true;
    hideTray();
    deps.openWindow();
  };

  const quit = (): void => {
    if (quitting) return;
    quitting = true;
    hideTray();
    deps.app.quit();
  };

  const toggleLoginItem = (): void => {
    if (!loginItem) return;
    try {
      loginItem.setEnabled(!loginItem.isEnabled());
    } catch (err) {
      console.error(`Could not change starting at login: ${(err as Error).message}`);
    }
    // Rebuilt from what the system now says, whatever the click did to the checkbox.
    tray?.setContextMenu(deps.buildMenu(menuItems()));
  };

  const loginItemEnabled = (): boolean => {
    try {
      return loginItem?.isEnabled() ?? false;
    } catch {
      return false;
    }
  };

  const menuItems = (): TrayMenuItem[] => {
    const t = texts(deps.app.getLocale());
    return [
      { label: t.open, click: showWindow },
      ...(loginItem ? [{ label: t.login, type: 'checkbox' as const, checked: loginItemEnabled(), click: toggleLoginItem }] : []),
      { type: 'separator' },
      { label: t.quit, click: quit },
    ];
  };

  function showTray(): void {
    if (tray) return;
    try {
      tray = deps.createTray();
    } catch (err) {
      // Still renewing; the window comes back by launching Switchyard again.
      console.error(`Could not show the tray icon: ${(err as Error).message}`);
      return;
    }
    tray.setToolTip(texts(deps.app.getLocale()).tooltip);
    tray.setContextMenu(deps.buildMenu(menuItems()));
    // macOS opens the menu on click; elsewhere a click on the icon is the quick way back.
    if (platform !== 'darwin') tray.on('click', showWindow);
  }

  function hideTray(): void {
    tray?.destroy();
    tray = null;
  }

  const launchedInBackground = (): boolean => {
    if (wantsBackground(argv)) return true;
    // macOS starts login items without their arguments, but says when it did.
    if (platform !== 'darwin') return false;
    try {
      return deps.app.getLoginItemSettings().wasOpenedAtLogin === true;
    } catch {
      return false;
    }
  };

  return {
    start: async () => {
      if (started) return;
      started = true;
      // The scheduler reports every renewal and every HTTPS switch; each may change the answer.
      offStatus = deps.core.events.on('certificates:status', () => void reevaluate());
      if (launchedInBackground()) return reevaluate();
      showWindow();
      await enqueue(refresh);
    },
    showWindow,
    windowsClosed: () => {
      windowOpen = false;
      return reevaluate();
    },
    stop: () => {
      stopped = true;
      offStatus?.();
      offStatus = null;
      hideTray();
    },
  };
}

/**
 * A development run is the bare Electron binary given a project folder: registered as a login
 * item it would start a bare Electron at login. Only an installed app offers the checkbox.
 */
function loginItemFor(app: BackgroundApp, autostart: AutostartOptions | undefined, platform: NodeJS.Platform): LoginItem | null {
  if (!app.isPackaged) return null;
  if (platform === 'win32' || platform === 'darwin') return electronLoginItem(app);
  return autostart ? xdgAutostartItem(autostart) : null;
}

interface Texts {
  open: string;
  login: string;
  quit: string;
  tooltip: string;
}

/** The tray's words, in French when the system is French and in English otherwise. */
export function texts(locale: string): Texts {
  return locale.toLowerCase().startsWith('fr')
    ? {
        open: 'Ouvrir Switchyard',
        login: "Lancer à l'ouverture de session (renouvelle les certificats en arrière-plan)",
        quit: 'Quitter Switchyard',
        tooltip: 'Switchyard — renouvellement des certificats en arrière-plan',
      }
    : {
        open: 'Open Switchyard',
        login: 'Start at login (renews certificates in the background)',
        quit: 'Quit Switchyard',
        tooltip: 'Switchyard — renewing certificates in the background',
      };
}
