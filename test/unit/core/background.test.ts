import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Envelope } from '../../../shared/errors';
import type { CertificateStatus } from '../../../shared/https';
import { EventBus } from '../../../electron/core/events';
import { createBackground, trayIconPath, wantsBackground, type Background, type TrayMenuItem } from '../../../electron/main/background';
import { AUTOSTART_FILE, defaultAutostart, execArg } from '../../../electron/main/login-item';

const root = path.resolve(import.meta.dirname, '../../..');

/** A fake core for tests: the real event bus, and `environments:list` answered from `https`. */
class FakeCoreForTests {
  readonly events = new EventBus();
  /** Environment name → whether HTTPS is on. */
  readonly https = new Map<string, boolean>();
  listFails = false;

  invoke = async (channel: string): Promise<Envelope<unknown>> => {
    if (channel !== 'environments:list') return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: channel } };
    if (this.listFails) return { ok: false, error: { code: 'STORE_LOCKED', message: 'The store is locked by another Switchyard process' } };
    return { ok: true, result: [...this.https].map(([name, enabled]) => ({ name, https: { enabled } })) };
  };

  statusEvent(environment: string): void {
    const status: CertificateStatus = { environment, domains: [`${environment}.example.com`], failures: 0 } as CertificateStatus;
    this.events.emit('certificates:status', status);
  }
}

/** A fake of Electron's `app`: login items kept in memory, as Windows would match them (by args). */
class FakeAppForTests {
  isPackaged = true;
  locale = 'en-US';
  quits = 0;
  wasOpenedAtLogin = false;
  loginItem: { openAtLogin: boolean; args: string[] } = { openAtLogin: false, args: [] };
  readonly setLoginItemCalls: { openAtLogin: boolean; args?: string[] }[] = [];

  getLocale = () => this.locale;
  quit = () => void this.quits++;
  getLoginItemSettings = (options?: { args?: string[] }) => ({
    openAtLogin: this.loginItem.openAtLogin && JSON.stringify(options?.args ?? []) === JSON.stringify(this.loginItem.args),
    wasOpenedAtLogin: this.wasOpenedAtLogin,
  });
  setLoginItemSettings = (settings: { openAtLogin: boolean; args?: string[] }) => {
    this.setLoginItemCalls.push(settings);
    this.loginItem = { openAtLogin: settings.openAtLogin, args: settings.args ?? [] };
  };
}

/** A fake of Electron's Menu: just the items it was built from. */
class FakeMenuForTests {
  constructor(readonly items: TrayMenuItem[]) {}

  labels(): string[] {
    return this.items.filter((i) => i.type !== 'separator').map((i) => i.label ?? '');
  }

  click(label: string): void {
    const item = this.items.find((i) => i.label === label);
    if (!item?.click) throw new Error(`no menu item "${label}" in ${JSON.stringify(this.labels())}`);
    item.click();
  }
}

/** A fake of Electron's Tray: remembers its tooltip, menu and click listener. */
class FakeTrayForTests {
  tooltip = '';
  menu: FakeMenuForTests | null = null;
  destroyed = false;
  onClick: (() => void) | null = null;

  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: FakeMenuForTests): void {
    this.menu = menu;
  }
  on(_event: 'click', listener: () => void): this {
    this.onClick = listener;
    return this;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

interface Rig {
  core: FakeCoreForTests;
  app: FakeAppForTests;
  trays: FakeTrayForTests[];
  windowsOpened: number;
  background: Background;
  /** The tray on screen, if any. */
  tray(): FakeTrayForTests | undefined;
}

let rigs: Rig[] = [];
let tmpDirs: string[] = [];
afterEach(() => {
  for (const r of rigs) r.background.stop();
  rigs = [];
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
  tmpDirs = [];
});

interface RigOptions {
  https?: Record<string, boolean>;
  argv?: string[];
  platform?: NodeJS.Platform;
  locale?: string;
  autostartDir?: string;
  packaged?: boolean;
  openedAtLogin?: boolean;
}

function rig(opts: RigOptions = {}): Rig {
  const core = new FakeCoreForTests();
  for (const [name, on] of Object.entries(opts.https ?? {})) core.https.set(name, on);
  const app = new FakeAppForTests();
  if (opts.locale) app.locale = opts.locale;
  app.isPackaged = opts.packaged ?? true;
  app.wasOpenedAtLogin = opts.openedAtLogin ?? false;
  const r: Rig = {
    core,
    app,
    trays: [],
    windowsOpened: 0,
    background: undefined as unknown as Background,
    tray: () => r.trays.find((t) => !t.destroyed),
  };
  r.background = createBackground({
    core,
    app,
    createTray: () => {
      const t = new FakeTrayForTests();
      r.trays.push(t);
      return t;
    },
    buildMenu: (items) => new FakeMenuForTests(items),
    openWindow: () => void r.windowsOpened++,
    platform: opts.platform ?? 'win32',
    argv: ['/opt/Switchyard/switchyard', ...(opts.argv ?? [])],
    autostart: opts.autostartDir ? { dir: opts.autostartDir, command: ['/opt/Switchyard/switchyard'] } : undefined,
  });
  rigs.push(r);
  return r;
}

/** Status events are answered after an `environments:list`: let those promises run. */
const settle = () => new Promise((done) => setTimeout(done, 5));

function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-autostart-'));
  tmpDirs.push(dir);
  return dir;
}

describe('running in the background', () => {
  it('keeps running in the tray when the window closes while an environment has HTTPS on', async () => {
    const r = rig({ https: { lab: true, demo: false } });
    await r.background.start();
    expect(r.windowsOpened).toBe(1);
    expect(r.tray()).toBeUndefined();

    await r.background.windowsClosed();
    expect(r.app.quits).toBe(0);
    expect(r.tray()?.tooltip).toBe('Switchyard — renewing certificates in the background');
    expect(r.tray()?.menu?.labels()).toEqual(['Open Switchyard', 'Start at login (renews certificates in the background)', 'Quit Switchyard']);
  });

  it('quits when the window closes and no environment has HTTPS on', async () => {
    const r = rig({ https: { demo: false } });
    await r.background.start();
    await r.background.windowsClosed();
    expect(r.app.quits).toBe(1);
    expect(r.trays).toEqual([]);
  });

  it('speaks French in the tray when the system is French', async () => {
    const r = rig({ https: { lab: true }, locale: 'fr-FR' });
    await r.background.start();
    await r.background.windowsClosed();
    expect(r.tray()?.tooltip).toBe('Switchyard — renouvellement des certificats en arrière-plan');
    expect(r.tray()?.menu?.labels()).toEqual(['Ouvrir Switchyard', "Lancer à l'ouverture de session (renouvelle les certificats en arrière-plan)", 'Quitter Switchyard']);
  });

  it('"Start at login" registers the app with --background, and unregisters it', async () => {
    const r = rig({ https: { lab: true } });
    await r.background.start();
    await r.background.windowsClosed();
    const loginLabel = 'Start at login (renews certificates in the background)';
    expect(r.tray()?.menu?.items.find((i) => i.label === loginLabel)?.checked).toBe(false);

    r.tray()!.menu!.click(loginLabel);
    expect(r.app.setLoginItemCalls).toEqual([{ openAtLogin: true, args: ['--background'] }]);
    // The menu shows what the system now says.
    expect(r.tray()?.menu?.items.find((i) => i.label === loginLabel)?.checked).toBe(true);

    r.tray()!.menu!.click(loginLabel);
    expect(r.app.setLoginItemCalls.at(-1)).toEqual({ openAtLogin: false, args: ['--background'] });
    expect(r.tray()?.menu?.items.find((i) => i.label === loginLabel)?.checked).toBe(false);
  });

  it('started with --background and HTTPS on, shows the tray and no window', async () => {
    const r = rig({ https: { lab: true }, argv: ['--background'] });
    await r.background.start();
    expect(r.windowsOpened).toBe(0);
    expect(r.app.quits).toBe(0);
    expect(r.tray()).toBeDefined();
  });

  it('started with --background and nothing to renew, quits without a window', async () => {
    const r = rig({ https: { demo: false }, argv: ['--background'] });
    await r.background.start();
    expect(r.windowsOpened).toBe(0);
    expect(r.app.quits).toBe(1);
    expect(r.trays).toEqual([]);
  });

  it('once HTTPS is switched off everywhere, the next window close quits', async () => {
    const r = rig({ https: { lab: true } });
    await r.background.start();
    // The core reports the switch with a status event; it lists the environments again.
    r.core.https.set('lab', false);
    r.core.statusEvent('lab');
    await settle();
    expect(r.app.quits).toBe(0);

    await r.background.windowsClosed();
    expect(r.app.quits).toBe(1);
    expect(r.trays).toEqual([]);
  });

  it('in the tray, quits once HTTPS goes off everywhere', async () => {
    const r = rig({ https: { lab: true }, argv: ['--background'] });
    await r.background.start();
    expect(r.tray()).toBeDefined();

    r.core.https.set('lab', false);
    r.core.statusEvent('lab');
    await settle();
    expect(r.app.quits).toBe(1);
    expect(r.tray()).toBeUndefined();
  });

  it('"Open Switchyard" brings the window back and the tray goes; it returns when the window closes', async () => {
    const r = rig({ https: { lab: true }, argv: ['--background'] });
    await r.background.start();
    r.tray()!.menu!.click('Open Switchyard');
    expect(r.windowsOpened).toBe(1);
    expect(r.tray()).toBeUndefined();

    await r.background.windowsClosed();
    expect(r.tray()).toBeDefined();
    // On Windows and Linux a click on the icon opens the window too.
    r.tray()!.onClick!();
    expect(r.windowsOpened).toBe(2);
    expect(r.tray()).toBeUndefined();
  });

  it('"Quit Switchyard" quits and removes the tray', async () => {
    const r = rig({ https: { lab: true } });
    await r.background.start();
    await r.background.windowsClosed();
    r.tray()!.menu!.click('Quit Switchyard');
    expect(r.app.quits).toBe(1);
    expect(r.tray()).toBeUndefined();
  });

  it('keeps the last answer when the environments cannot be read', async () => {
    const r = rig({ https: { lab: true } });
    await r.background.start();
    r.core.listFails = true;
    await r.background.windowsClosed();
    expect(r.app.quits).toBe(0);
    expect(r.tray()).toBeDefined();
  });

  it('on macOS, a closed window with nothing to renew leaves the app in the dock, as before', async () => {
    const r = rig({ https: { demo: false }, platform: 'darwin' });
    await r.background.start();
    await r.background.windowsClosed();
    expect(r.app.quits).toBe(0);
    expect(r.trays).toEqual([]);
  });

  it('on macOS, a login launch (which carries no arguments there) shows no window', async () => {
    const r = rig({ https: { lab: true }, platform: 'darwin', openedAtLogin: true });
    await r.background.start();
    expect(r.windowsOpened).toBe(0);
    expect(r.tray()).toBeDefined();
    // macOS opens the tray's menu on click: no click handler of ours.
    expect(r.tray()?.onClick).toBeNull();
  });

  it('a development run offers no "Start at login"', async () => {
    const r = rig({ https: { lab: true }, packaged: false });
    await r.background.start();
    await r.background.windowsClosed();
    expect(r.tray()?.menu?.labels()).toEqual(['Open Switchyard', 'Quit Switchyard']);
  });

  it('a second launch asks for the tray only when it carries --background', () => {
    expect(wantsBackground(['/opt/Switchyard/switchyard', '--background'])).toBe(true);
    expect(wantsBackground(['/opt/Switchyard/switchyard'])).toBe(false);
  });
});

describe('starting at login on Linux', () => {
  it('writes an XDG autostart entry that starts the app with --background, and removes it', async () => {
    const dir = path.join(tmpDir(), 'autostart');
    const r = rig({ https: { lab: true }, platform: 'linux', autostartDir: dir });
    await r.background.start();
    await r.background.windowsClosed();
    const loginLabel = 'Start at login (renews certificates in the background)';

    r.tray()!.menu!.click(loginLabel);
    const entry = fs.readFileSync(path.join(dir, AUTOSTART_FILE), 'utf8');
    expect(entry).toContain('[Desktop Entry]\nType=Application\nName=Switchyard\n');
    expect(entry).toMatch(/^Exec=\/opt\/Switchyard\/switchyard --background$/m);
    expect(r.tray()?.menu?.items.find((i) => i.label === loginLabel)?.checked).toBe(true);
    // Electron's login items do nothing on Linux: they are not used there.
    expect(r.app.setLoginItemCalls).toEqual([]);

    r.tray()!.menu!.click(loginLabel);
    expect(fs.existsSync(path.join(dir, AUTOSTART_FILE))).toBe(false);
    expect(r.tray()?.menu?.items.find((i) => i.label === loginLabel)?.checked).toBe(false);
  });

  it('an entry the desktop switched off shows unchecked', async () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, AUTOSTART_FILE), '[Desktop Entry]\nType=Application\nExec=switchyard --background\nX-GNOME-Autostart-enabled=false\n');
    const r = rig({ https: { lab: true }, platform: 'linux', autostartDir: dir, argv: ['--background'] });
    await r.background.start();
    const item = r.tray()?.menu?.items.find((i) => i.type === 'checkbox');
    expect(item?.checked).toBe(false);
  });

  it('quotes an Exec argument with spaces or special characters as the Desktop Entry spec says', () => {
    expect(execArg('/opt/Switchyard/switchyard')).toBe('/opt/Switchyard/switchyard');
    expect(execArg('/home/ana/My Apps/Switchyard.AppImage')).toBe('"/home/ana/My Apps/Switchyard.AppImage"');
    expect(execArg('/home/ana/100%/switchyard')).toBe('/home/ana/100%%/switchyard');
    // `$` is escaped inside the quotes, and that backslash is itself escaped by the file's rules.
    expect(execArg('/home/$USER/switchyard')).toBe('"/home/\\\\$USER/switchyard"');
  });

  it('finds the autostart folder and the command to run, an AppImage by its own path', () => {
    const home = os.homedir();
    expect(defaultAutostart({}, '/opt/Switchyard/switchyard')).toEqual({ dir: path.join(home, '.config', 'autostart'), command: ['/opt/Switchyard/switchyard'] });
    expect(defaultAutostart({ XDG_CONFIG_HOME: '/srv/conf' }, '/x').dir).toBe('/srv/conf/autostart');
    expect(defaultAutostart({ XDG_CONFIG_HOME: 'relative' }, '/x').dir).toBe(path.join(home, '.config', 'autostart'));
    expect(defaultAutostart({ APPIMAGE: '/home/ana/Switchyard.AppImage' }, '/tmp/.mount_abc/switchyard').command).toEqual(['/home/ana/Switchyard.AppImage']);
  });
});

describe('the tray icon', () => {
  const pngSize = (file: string) => {
    const data = fs.readFileSync(file);
    expect(data.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    return [data.readUInt32BE(16), data.readUInt32BE(20)];
  };

  it('ships with the app, with a double-size image for high-density screens', () => {
    const icon = trayIconPath(root, 'linux');
    expect(icon).toBe(path.join(root, 'resources', 'tray.png'));
    expect(pngSize(icon)).toEqual([32, 32]);
    expect(pngSize(icon.replace(/\.png$/, '@2x.png'))).toEqual([64, 64]);
  });

  it('is a template image on macOS, sized for the menu bar', () => {
    const icon = trayIconPath(root, 'darwin');
    expect(path.basename(icon)).toBe('trayTemplate.png');
    expect(pngSize(icon)).toEqual([16, 16]);
    expect(pngSize(icon.replace(/\.png$/, '@2x.png'))).toEqual([32, 32]);
  });
});

describe('the tray when things go wrong', () => {
  it('once stopped (the app is quitting), the tray is gone and later certificate news changes nothing', async () => {
    const r = rig({ https: { lab: true } });
    await r.background.start();
    await r.background.windowsClosed();
    expect(r.tray()).toBeDefined();

    r.background.stop();
    expect(r.tray()).toBeUndefined();
    r.core.https.set('lab', false);
    r.core.statusEvent('lab');
    await settle();
    expect(r.app.quits).toBe(0);
    expect(r.trays.filter((t) => !t.destroyed)).toEqual([]);
  });

  it('a tray that cannot be made does not stop the renewals: the app stays, and a launch brings the window back', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const r = rig({ https: { lab: true } });
    let failures = 0;
    const background = createBackground({
      core: r.core,
      app: r.app,
      createTray: () => {
        failures++;
        throw new Error('no system tray on this desktop');
      },
      buildMenu: (items) => new FakeMenuForTests(items),
      openWindow: () => void r.windowsOpened++,
      platform: 'linux',
      argv: ['/opt/Switchyard/switchyard'],
    });
    rigs.push({ ...r, background });
    await background.start();
    await background.windowsClosed();
    expect(failures).toBe(1);
    expect(r.app.quits).toBe(0);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('no system tray on this desktop'));

    // What the shell does when Switchyard is launched again (second-instance).
    background.showWindow();
    expect(r.windowsOpened).toBe(2);
    errors.mockRestore();
  });

  it('a refused change of "Start at login" is reported, and the checkbox shows what the system says', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const r = rig({ https: { lab: true } });
    r.app.setLoginItemSettings = () => {
      throw new Error('denied by policy');
    };
    await r.background.start();
    await r.background.windowsClosed();
    const loginLabel = 'Start at login (renews certificates in the background)';
    r.tray()!.menu!.click(loginLabel);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('denied by policy'));
    expect(r.tray()?.menu?.items.find((i) => i.label === loginLabel)?.checked).toBe(false);
    errors.mockRestore();
  });

  it('starting twice opens one window', async () => {
    const r = rig({ https: {} });
    await Promise.all([r.background.start(), r.background.start()]);
    expect(r.windowsOpened).toBe(1);
  });

  it('nothing opens a window once the app is quitting', async () => {
    const r = rig({ https: { lab: true } });
    await r.background.start();
    await r.background.windowsClosed();
    r.tray()!.menu!.click('Quit Switchyard');
    r.background.showWindow();
    expect(r.windowsOpened).toBe(1);
    expect(r.trays.filter((t) => !t.destroyed)).toEqual([]);
  });

  it('an installed Linux app with no autostart folder to write to offers no "Start at login"', async () => {
    const r = rig({ https: { lab: true }, platform: 'linux' });
    await r.background.start();
    await r.background.windowsClosed();
    expect(r.tray()?.menu?.labels()).toEqual(['Open Switchyard', 'Quit Switchyard']);
  });
});
