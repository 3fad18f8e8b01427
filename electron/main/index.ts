/**
 * The Electron shell: app lifecycle, the window, the menu and the IPC transport. All the
 * work happens in electron/core, which runs the same way under the CLI and headless mode.
 */
import path from 'node:path';
import { app, BrowserWindow, Menu, nativeImage, Notification, safeStorage, session, Tray, type MenuItemConstructorOptions } from 'electron';
import { createCore, type Core } from '../core/core';
import { safeStorageCipher } from '../core/secrets/ciphers';
import { createBackground, trayIconPath, wantsBackground, type Background } from './background';
import { serveIpc } from './ipc';
import { defaultAutostart } from './login-item';
import { watchCertificates } from './notifications';
import { watchBackends } from './backend-notifications';
import { followPreferences, notificationLocale } from './preferences';
import { appPage, createMainWindow, harden } from './window';

const APP_NAME = 'Switchyard';

app.setName(APP_NAME);
// Electron settles userData from package.json's lower-case name before this code runs, so
// setName alone would leave it at …/switchyard. The CLI's default data folder is …/Switchyard.
app.setPath('userData', path.join(app.getPath('appData'), APP_NAME));

function buildMenu(): Menu {
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' } as const] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}

function start(): void {
  const here = import.meta.dirname;
  const page = appPage(app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL, path.join(here, '../renderer/index.html'));
  const preload = path.join(here, '../preload/index.cjs');
  const stateFile = path.join(app.getPath('userData'), 'window-state.json');
  // Linux shows the window's own icon in task switchers (the installed .desktop entry names the
  // app's); resources/ is in the package, beside package.json (see trayIcon below).
  const windowIcon = process.platform === 'linux' ? path.join(app.getAppPath(), 'resources', 'icons', '256x256.png') : undefined;
  let mainWindow: BrowserWindow | null = null;
  let core: Core | null = null;
  let stopCertificateWatch: (() => void) | null = null;
  let stopPreferenceWatches: (() => void) | null = null;
  let background: Background | null = null;

  const openWindow = (): void => {
    if (!mainWindow || mainWindow.isDestroyed()) {
      mainWindow = createMainWindow({ page, preload, stateFile, icon: windowIcon });
      mainWindow.on('closed', () => (mainWindow = null));
      return;
    }
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  };
  // Through the background controller once it runs, so the tray knows the window is back.
  const showWindow = (): void => (background ? background.showWindow() : openWindow());

  // resources/ sits beside package.json: the project folder, or app.asar once packaged.
  const trayIcon = () => {
    const file = trayIconPath(app.getAppPath());
    const icon = nativeImage.createFromPath(file);
    if (icon.isEmpty()) console.error(`The tray icon is missing: ${file}`);
    return icon;
  };

  app.on('web-contents-created', (_event, contents) => harden(contents, page));
  // A login launch while Switchyard already runs (it was opened by hand) changes nothing.
  app.on('second-instance', (_event, argv) => {
    if (app.isReady() && !wantsBackground(argv)) showWindow();
  });

  app
    .whenReady()
    .then(() => {
      // The page asks for nothing (camera, notifications, …); refuse anything that asks anyway.
      session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
      Menu.setApplicationMenu(buildMenu());
      // `||`, as the CLI does: an empty SWITCHYARD_DATA_DIR means unset, not the current folder.
      const dataDir = path.resolve(process.env.SWITCHYARD_DATA_DIR || app.getPath('userData'));
      // Secrets go through the OS keychain; on Linux without one Electron would fall back to a
      // fixed password, so the core keeps its own key file instead.
      const keychain = safeStorage.isEncryptionAvailable() && (process.platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text');
      core = createCore({ dataDir, appRoot: app.getAppPath(), secretCipher: keychain ? safeStorageCipher(safeStorage) : undefined, renewals: true, watchContainers: true, watchStore: true });
      serveIpc(core, page);
      const notify = (title: string, body: string) => {
        if (!Notification.isSupported()) return;
        const note = new Notification({ title, body });
        note.on('click', showWindow);
        note.show();
      };
      const preferences = followPreferences(core);
      stopCertificateWatch = watchCertificates(core, {
        notify,
        locale: () => notificationLocale(preferences.current(), app.getLocale()),
        enabled: () => preferences.current().notifications.certificates,
      });
      const stopBackendWatch = watchBackends(core, { notify, preferences, systemLocale: () => app.getLocale() });
      stopPreferenceWatches = () => {
        stopBackendWatch();
        preferences.stop();
      };
      // The window, or with `--background` the tray only (see background.ts).
      background = createBackground({
        core,
        app,
        createTray: () => new Tray(trayIcon()),
        buildMenu: (items) => Menu.buildFromTemplate(items),
        openWindow,
        autostart: defaultAutostart(),
      });
      return background.start();
    })
    .catch((err: Error) => {
      console.error(`Switchyard could not start: ${err.stack ?? err.message}`);
      app.exit(1);
    });

  // macOS keeps the app running without windows; the dock icon brings one back.
  app.on('activate', () => {
    if (app.isReady() && BrowserWindow.getAllWindows().length === 0) showWindow();
  });
  // Renewals run in this process: with HTTPS on somewhere it stays, in the tray; otherwise it
  // quits (macOS: stays in the dock) as any app does.
  app.on('window-all-closed', () => {
    if (background) void background.windowsClosed();
    else if (process.platform !== 'darwin') app.quit();
  });

  // Close the core's Docker connections once before exiting; quit resumes when that is done.
  let closing: Promise<void> | null = null;
  app.on('before-quit', (event) => {
    stopCertificateWatch?.();
    stopCertificateWatch = null;
    stopPreferenceWatches?.();
    stopPreferenceWatches = null;
    background?.stop();
    background = null;
    if (!core) return;
    event.preventDefault();
    closing ??= core
      .close()
      .catch((err: Error) => console.error(`Closing the core failed: ${err.message}`))
      .finally(() => {
        core = null;
        app.quit();
      });
  });
}

// A second launch only hands over to the running instance (which shows its window), since
// two processes would fight over one store.
if (app.requestSingleInstanceLock()) {
  start();
} else {
  app.quit();
}
