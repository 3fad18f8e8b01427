import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, nativeTheme, shell, type WebContents } from 'electron';
import { loadWindowState, MIN_HEIGHT, MIN_WIDTH, trackWindowState } from './window-state';

/** Where the renderer comes from: the dev server while developing, the built index.html otherwise. */
export interface AppPage {
  load(win: BrowserWindow): Promise<void>;
  /** Whether `url` is the renderer's own page; anything else is a foreign site. */
  owns(url: string): boolean;
}

export function appPage(devServerUrl: string | undefined, indexHtml: string): AppPage {
  if (devServerUrl) {
    const origin = new URL(devServerUrl).origin;
    return {
      load: (win) => win.loadURL(devServerUrl),
      owns: (url) => parseUrl(url)?.origin === origin,
    };
  }
  const file = path.normalize(indexHtml);
  return {
    load: (win) => win.loadFile(file),
    owns: (url) => {
      const u = parseUrl(url);
      // Compared as paths, so a query or a hash on our own page still counts as ours.
      return u?.protocol === 'file:' && path.normalize(fileURLToPath(u)) === file;
    },
  };
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

function isWebUrl(url: string): boolean {
  const protocol = parseUrl(url)?.protocol;
  return protocol === 'https:' || protocol === 'http:';
}

/**
 * Locks down any web contents: no new windows (web links go to the user's browser instead),
 * no navigating away from our page, no <webview>.
 */
export function harden(contents: WebContents, page: AppPage): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (isWebUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event) => {
    if (!page.owns(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!page.owns(event.url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export interface MainWindowOptions {
  page: AppPage;
  preload: string;
  /** JSON file that keeps the window's bounds between runs. */
  stateFile: string;
  /** The window's own icon: Linux window managers show it, where macOS and Windows take the app's. */
  icon?: string;
}

export function createMainWindow({ page, preload, stateFile, icon }: MainWindowOptions): BrowserWindow {
  const state = loadWindowState(stateFile);
  const win = new BrowserWindow({
    x: state.x,
    y: state.y,
    width: state.width,
    height: state.height,
    minWidth: MIN_WIDTH,
    minHeight: MIN_HEIGHT,
    title: 'Switchyard',
    ...(icon ? { icon } : {}),
    show: false,
    // The theme's own background, so the window does not flash white before the page paints.
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#101014' : '#ffffff',
    webPreferences: {
      preload,
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      spellcheck: false,
    },
  });
  if (state.maximized) win.maximize();
  trackWindowState(win, stateFile);
  win.once('ready-to-show', () => win.show());
  page.load(win).catch((err: Error) => console.error(`Could not load the app page: ${err.message}`));
  return win;
}
