/**
 * The window's locks, with Electron replaced by fakes (it cannot run on the test machines): no
 * new windows, no navigating away from the app, web links handed to the system browser, and the
 * sandboxed settings every window is made with.
 */
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebContents } from 'electron';

const fakes = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => void;

  /** A fake of Electron's WebContents: keeps the handlers the code under test installs. */
  class FakeWebContentsForTests {
    openHandler: ((details: { url: string }) => { action: string }) | null = null;
    readonly listeners = new Map<string, Listener[]>();
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
      this.openHandler = handler;
    }
    on(event: string, listener: Listener): this {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
      return this;
    }
    /** Fires `event` as Chromium would, and says whether a listener refused it. */
    attempt(event: string, url?: string): boolean {
      let prevented = false;
      const e = { url, preventDefault: () => (prevented = true) };
      for (const l of this.listeners.get(event) ?? []) l(e);
      return prevented;
    }
  }

  /** A fake of Electron's BrowserWindow: records what it was made with and what it loaded. */
  class FakeBrowserWindowForTests {
    static made: FakeBrowserWindowForTests[] = [];
    readonly webContents = new FakeWebContentsForTests();
    readonly onceListeners = new Map<string, Listener>();
    loaded: { file?: string; url?: string } = {};
    shown = false;
    constructor(readonly options: Record<string, unknown>) {
      FakeBrowserWindowForTests.made.push(this);
    }
    on(): this {
      return this;
    }
    once(event: string, listener: Listener): this {
      this.onceListeners.set(event, listener);
      return this;
    }
    show(): void {
      this.shown = true;
    }
    maximize(): void {}
    loadFile(file: string): Promise<void> {
      this.loaded = { file };
      return Promise.resolve();
    }
    loadURL(url: string): Promise<void> {
      this.loaded = { url };
      return Promise.resolve();
    }
  }

  return { FakeWebContentsForTests, FakeBrowserWindowForTests, openExternal: vi.fn(async (_url: string) => undefined) };
});

vi.mock('electron', () => ({
  BrowserWindow: fakes.FakeBrowserWindowForTests,
  shell: { openExternal: fakes.openExternal },
  nativeTheme: { shouldUseDarkColors: false },
  screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
}));

const { appPage, createMainWindow, harden } = await import('../../../electron/main/window');

const indexHtml = path.join(os.tmpdir(), 'switchyard-app', 'out', 'renderer', 'index.html');
const ownFile = pathToFileURL(indexHtml).href;

function hardened(page = appPage(undefined, indexHtml)) {
  const contents = new fakes.FakeWebContentsForTests();
  harden(contents as unknown as WebContents, page);
  return contents;
}

beforeEach(() => {
  fakes.openExternal.mockClear();
  fakes.FakeBrowserWindowForTests.made = [];
});

describe('new windows', () => {
  it('are never opened; http and https links go to the system browser instead', () => {
    const contents = hardened();
    expect(contents.openHandler!({ url: 'https://docs.docker.com/engine/install/' })).toEqual({ action: 'deny' });
    expect(contents.openHandler!({ url: 'http://localhost:8080/' })).toEqual({ action: 'deny' });
    expect(fakes.openExternal.mock.calls.map((c) => c[0])).toEqual(['https://docs.docker.com/engine/install/', 'http://localhost:8080/']);
  });

  it('other schemes are refused without being handed to the system', () => {
    const contents = hardened();
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://server/share', 'vscode://file/x', 'not a url']) {
      expect(contents.openHandler!({ url })).toEqual({ action: 'deny' });
    }
    expect(fakes.openExternal).not.toHaveBeenCalled();
  });
});

describe('navigation', () => {
  it('stays on the app page: its own file (with a hash or query) is allowed, anything else refused', () => {
    const contents = hardened();
    expect(contents.attempt('will-navigate', `${ownFile}#/settings`)).toBe(false);
    expect(contents.attempt('will-navigate', `${ownFile}?token=x`)).toBe(false);
    expect(contents.attempt('will-navigate', 'https://example.com/')).toBe(true);
    expect(contents.attempt('will-navigate', pathToFileURL(path.join(path.dirname(indexHtml), 'other.html')).href)).toBe(true);
    expect(contents.attempt('will-navigate', 'file:///etc/passwd')).toBe(true);
    // A link followed in place does not reach the browser either: only new-window requests do.
    expect(fakes.openExternal).not.toHaveBeenCalled();
  });

  it('refuses redirects away from the app and any <webview>', () => {
    const contents = hardened();
    expect(contents.attempt('will-redirect', 'https://evil.example/')).toBe(true);
    expect(contents.attempt('will-redirect', ownFile)).toBe(false);
    expect(contents.attempt('will-attach-webview')).toBe(true);
  });

  it('while developing, the dev server is the app: same origin allowed, any other refused', () => {
    const contents = hardened(appPage('http://127.0.0.1:5173/', indexHtml));
    expect(contents.attempt('will-navigate', 'http://127.0.0.1:5173/#/hosts')).toBe(false);
    expect(contents.attempt('will-navigate', 'http://127.0.0.1:5174/')).toBe(true);
    expect(contents.attempt('will-navigate', ownFile)).toBe(true);
  });
});

describe('the main window', () => {
  it('is sandboxed, isolated and without Node, loads the built page and shows when painted', async () => {
    const stateFile = path.join(os.tmpdir(), `switchyard-window-${process.pid}-none.json`);
    createMainWindow({ page: appPage(undefined, indexHtml), preload: '/app/out/preload/index.cjs', stateFile, icon: '/app/resources/icons/256x256.png' });
    const win = fakes.FakeBrowserWindowForTests.made[0];
    expect(win.options.webPreferences).toMatchObject({ preload: '/app/out/preload/index.cjs', contextIsolation: true, nodeIntegration: false, sandbox: true, webSecurity: true });
    expect(win.options).toMatchObject({ title: 'Switchyard', show: false, icon: '/app/resources/icons/256x256.png' });
    await Promise.resolve();
    expect(win.loaded).toEqual({ file: path.normalize(indexHtml) });
    expect(win.shown).toBe(false);
    win.onceListeners.get('ready-to-show')!();
    expect(win.shown).toBe(true);
  });

  it('takes no icon of its own where the system uses the app’s', () => {
    createMainWindow({ page: appPage(undefined, indexHtml), preload: '/p.cjs', stateFile: path.join(os.tmpdir(), 'switchyard-window-none.json') });
    expect(fakes.FakeBrowserWindowForTests.made[0].options).not.toHaveProperty('icon');
  });
});
