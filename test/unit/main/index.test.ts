/**
 * The shell's lifecycle, with Electron replaced by fakes (it cannot run on the test machines)
 * and the core by a fake that counts how it is closed: one instance at a time (a second launch
 * hands over and the first window comes forward), and quitting closes the core before the
 * process goes. The IPC transport is stubbed out here: it has tests of its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

const fakes = await vi.hoisted(async () => {
  // Hoisted above the imports, so it brings its own.
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { EventEmitter: Emitter } = await import('node:events');
  const tmp = mkdtempSync(path.join(tmpdir(), 'switchyard-shell-'));

  /** A fake of Electron's `app`: records quits, holds `whenReady` until the test says so. */
  class FakeAppForTests extends Emitter {
    lock = true;
    quits = 0;
    exits: number[] = [];
    ready = false;
    name = '';
    readonly paths: Record<string, string> = { appData: tmp };
    isPackaged = false;
    private readyNow: () => void = () => undefined;
    private readyPromise = Promise.resolve();

    reset(): void {
      this.removeAllListeners();
      this.lock = true;
      this.quits = 0;
      this.exits = [];
      this.ready = false;
      this.readyPromise = new Promise((resolve) => (this.readyNow = resolve));
    }
    becomeReady(): void {
      this.ready = true;
      this.readyNow();
    }
    whenReady = () => this.readyPromise;
    isReady = () => this.ready;
    requestSingleInstanceLock = () => this.lock;
    quit = () => void this.quits++;
    exit = (code: number) => void this.exits.push(code);
    setName = (name: string) => void (this.name = name);
    getPath = (name: string) => this.paths[name] ?? path.join(tmp, name);
    setPath = (name: string, value: string) => void (this.paths[name] = value);
    getAppPath = () => tmp;
    getLocale = () => 'en-US';
    getLoginItemSettings = () => ({ openAtLogin: false, wasOpenedAtLogin: false });
    setLoginItemSettings = () => undefined;
  }
  /** A fake of Electron's BrowserWindow, with the calls a hand-over makes. */
  class FakeBrowserWindowForTests extends Emitter {
    static all: FakeBrowserWindowForTests[] = [];
    static getAllWindows = () => FakeBrowserWindowForTests.all.filter((w) => !w.destroyed);
    readonly webContents = { setWindowOpenHandler: () => undefined, on: () => undefined };
    readonly calls: string[] = [];
    minimized = false;
    destroyed = false;
    constructor(readonly options: Record<string, unknown>) {
      super();
      FakeBrowserWindowForTests.all.push(this);
    }
    isDestroyed = () => this.destroyed;
    isMinimized = () => this.minimized;
    restore = () => void this.calls.push('restore');
    show = () => void this.calls.push('show');
    focus = () => void this.calls.push('focus');
    maximize = () => undefined;
    getNormalBounds = () => ({ x: 0, y: 0, width: 1100, height: 720 });
    isMaximized = () => false;
    loadFile = async () => undefined;
    loadURL = async () => undefined;
  }

  /** A fake core: no Docker, no store; `close` is counted and can be held open. */
  const core = {
    closes: 0,
    closeGate: Promise.resolve(),
    environments: [] as { name: string; https?: { enabled: boolean } }[],
  };

  return { tmp, app: new FakeAppForTests(), FakeBrowserWindowForTests, core };
});

vi.mock('electron', () => ({
  app: fakes.app,
  BrowserWindow: fakes.FakeBrowserWindowForTests,
  Menu: { buildFromTemplate: (items: unknown) => items, setApplicationMenu: () => undefined },
  Tray: class {
    setToolTip() {}
    setContextMenu() {}
    on() {}
    destroy() {}
  },
  nativeImage: { createFromPath: () => ({ isEmpty: () => false }) },
  Notification: Object.assign(class {}, { isSupported: () => false }),
  safeStorage: { isEncryptionAvailable: () => false, getSelectedStorageBackend: () => 'basic_text' },
  session: { defaultSession: { setPermissionRequestHandler: () => undefined } },
  shell: { openExternal: async () => undefined },
  nativeTheme: { shouldUseDarkColors: false },
  screen: { getAllDisplays: () => [] },
}));

vi.mock('../../../electron/core/core', async () => {
  const { EventBus } = await import('../../../electron/core/events');
  return {
    createCore: () => ({
      events: new EventBus(),
      invoke: async (channel: string) => (channel === 'environments:list' ? { ok: true, result: fakes.core.environments } : { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: channel } }),
      close: async () => {
        fakes.core.closes++;
        await fakes.core.closeGate;
      },
    }),
  };
});
// The transport is another file's business (and tested on its own); the notifications too.
vi.mock('../../../electron/main/ipc', () => ({ serveIpc: () => undefined }));
vi.mock('../../../electron/main/notifications', () => ({ watchCertificates: () => () => undefined }));
vi.mock('../../../electron/main/backend-notifications', () => ({ watchBackends: () => () => undefined }));

const settle = () => new Promise((done) => setTimeout(done, 10));

/** Loads the shell afresh, as a new process would, and lets it get as far as its first window. */
async function launch({ lock = true, ready = true } = {}): Promise<void> {
  fakes.app.lock = lock;
  vi.resetModules();
  await import('../../../electron/main/index');
  if (ready) {
    fakes.app.becomeReady();
    await settle();
  }
}

beforeEach(() => {
  fakes.app.reset();
  fakes.FakeBrowserWindowForTests.all = [];
  fakes.core.closes = 0;
  fakes.core.closeGate = Promise.resolve();
  fakes.core.environments = [];
  delete process.env.SWITCHYARD_DATA_DIR;
});

afterAll(() => fs.rmSync(fakes.tmp, { recursive: true, force: true }));

describe('one instance at a time', () => {
  it('a second launch hands over and quits at once: no window, no core of its own', async () => {
    await launch({ lock: false, ready: false });
    expect(fakes.app.quits).toBe(1);
    expect(fakes.app.listenerCount('second-instance')).toBe(0);
    fakes.app.becomeReady();
    await settle();
    expect(fakes.FakeBrowserWindowForTests.all).toEqual([]);
  });

  it('the first instance brings its window forward when another launch hands over', async () => {
    await launch();
    const [win] = fakes.FakeBrowserWindowForTests.all;
    expect(win).toBeDefined();
    win.minimized = true;
    fakes.app.emit('second-instance', {}, ['/opt/Switchyard/switchyard'], fakes.tmp);
    expect(win.calls).toEqual(['restore', 'show', 'focus']);
    expect(fakes.FakeBrowserWindowForTests.all).toHaveLength(1);
  });

  it('opens a new window on hand-over when the first one was closed (the app stayed in the tray)', async () => {
    fakes.core.environments = [{ name: 'lab', https: { enabled: true } }];
    await launch();
    const [first] = fakes.FakeBrowserWindowForTests.all;
    first.destroyed = true;
    first.emit('closed');
    fakes.app.emit('window-all-closed');
    await settle();
    expect(fakes.app.quits).toBe(0);

    fakes.app.emit('second-instance', {}, ['/opt/Switchyard/switchyard'], fakes.tmp);
    expect(fakes.FakeBrowserWindowForTests.getAllWindows()).toHaveLength(1);
    expect(fakes.FakeBrowserWindowForTests.all[1]).not.toBe(first);
  });

  it('a login launch (--background) while the app runs changes nothing', async () => {
    await launch();
    const [win] = fakes.FakeBrowserWindowForTests.all;
    fakes.app.emit('second-instance', {}, ['/opt/Switchyard/switchyard', '--background'], fakes.tmp);
    expect(win.calls).toEqual([]);
  });

  it('keeps its data in the folder the CLI uses by default (…/Switchyard)', async () => {
    await launch();
    expect(fakes.app.name).toBe('Switchyard');
    expect(fakes.app.getPath('userData')).toBe(path.join(fakes.tmp, 'Switchyard'));
  });
});

describe('quitting', () => {
  it('closes the core first, then quits; the quit that follows goes through', async () => {
    await launch();
    let release: () => void = () => undefined;
    fakes.core.closeGate = new Promise((resolve) => (release = resolve));

    const first = {
      prevented: false,
      preventDefault() {
        this.prevented = true;
      },
    };
    fakes.app.emit('before-quit', first);
    expect(first.prevented).toBe(true);
    expect(fakes.core.closes).toBe(1);
    // A second request while the core is closing waits for the same close.
    const again = {
      prevented: false,
      preventDefault() {
        this.prevented = true;
      },
    };
    fakes.app.emit('before-quit', again);
    expect(fakes.core.closes).toBe(1);
    expect(fakes.app.quits).toBe(0);

    release();
    await settle();
    expect(fakes.app.quits).toBe(1);
    const last = {
      prevented: false,
      preventDefault() {
        this.prevented = true;
      },
    };
    fakes.app.emit('before-quit', last);
    expect(last.prevented).toBe(false);
    expect(fakes.core.closes).toBe(1);
  });

  it('still quits when closing the core fails', async () => {
    await launch();
    fakes.core.closeGate = Promise.reject(new Error('engine gone'));
    fakes.core.closeGate.catch(() => undefined);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    fakes.app.emit('before-quit', { preventDefault: () => undefined });
    await settle();
    expect(fakes.app.quits).toBe(1);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('engine gone'));
    errors.mockRestore();
  });

  it('closing the window with nothing to renew quits the app (Linux, Windows)', async () => {
    await launch();
    fakes.app.emit('window-all-closed');
    await settle();
    expect(fakes.app.quits).toBe(1);
  });
});
