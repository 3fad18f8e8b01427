/**
 * What the installers are made from: the icons (every size, remade from the one drawing), the
 * electron-builder configuration in package.json, and the licenses list's reading of packages.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HASH_FILE, ICNS_TYPES, ICO_SIZES, PNG_SIZES, TRAY_ICONS, sourceHash, templateSvg, trayPng } from '../../../resources/packaging/icons';
import { packageDirOf, productionPackageDirs, webUrlOf } from '../../../resources/packaging/licenses';

const root = path.resolve(import.meta.dirname, '../../..');
const resources = path.join(root, 'resources');
const icons = path.join(resources, 'icons');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  productName: string;
  desktopName: string;
  homepage?: string;
  author?: { name?: string; email?: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  build: Record<string, unknown> & {
    files: string[];
    linux: { target: string[]; icon: string; category: string; executableName: string; maintainer?: string };
    mac: { target: string[]; icon: string };
    win: { target: string[]; icon: string };
  };
};

const PNG_SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
function pngSize(data: Buffer): [number, number] {
  expect(data.subarray(0, 8)).toEqual(PNG_SIGNATURE);
  return [data.readUInt32BE(16), data.readUInt32BE(20)];
}

describe('the app icon', () => {
  it('was remade from the drawing as it is now (run `npm run icons` after changing resources/icon.svg)', () => {
    const svg = fs.readFileSync(path.join(resources, 'icon.svg'), 'utf8');
    expect(fs.readFileSync(path.join(icons, HASH_FILE), 'utf8').trim()).toBe(sourceHash(svg));
  });

  it('comes in every size a Linux desktop asks for, as NxN.png', () => {
    for (const size of PNG_SIZES) expect(pngSize(fs.readFileSync(path.join(icons, `${size}x${size}.png`)))).toEqual([size, size]);
  });

  it('is a Windows .ico holding 16 to 256 pixels', () => {
    const ico = fs.readFileSync(path.join(icons, 'icon.ico'));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
    const count = ico.readUInt16LE(4);
    const sizes: number[] = [];
    for (let i = 0; i < count; i++) {
      const e = 6 + 16 * i;
      const side = ico.readUInt8(e) || 256;
      const [length, offset] = [ico.readUInt32LE(e + 8), ico.readUInt32LE(e + 12)];
      expect(pngSize(ico.subarray(offset, offset + length))).toEqual([side, side]);
      sizes.push(side);
    }
    expect(sizes).toEqual([...ICO_SIZES]);
  });

  it('is a macOS .icns with every size up to 1024 pixels', () => {
    const icns = fs.readFileSync(path.join(icons, 'icon.icns'));
    expect(icns.toString('latin1', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const found: [string, number][] = [];
    for (let at = 8; at < icns.length;) {
      const type = icns.toString('latin1', at, at + 4);
      const length = icns.readUInt32BE(at + 4);
      const [w, h] = pngSize(icns.subarray(at + 8, at + length));
      expect(w).toBe(h);
      found.push([type, w]);
      at += length;
    }
    expect(found).toEqual(ICNS_TYPES.map(([t, s]) => [t, s]));
  });
});

describe('the tray icon', () => {
  const svg = fs.readFileSync(path.join(resources, 'icon.svg'), 'utf8');

  it('is the app’s mark as drawn now, at the sizes the shell loads (run `npm run icons` after changing the drawing)', () => {
    for (const [file, size, template] of TRAY_ICONS) {
      const png = fs.readFileSync(path.join(resources, file));
      expect(pngSize(png), file).toEqual([size, size]);
      expect(png.equals(trayPng(svg, size, template)), `${file} is not made from resources/icon.svg`).toBe(true);
    }
  });

  it('is, for macOS’s menu bar, the mark alone in black: no tile, no colour', () => {
    const template = templateSvg(svg);
    expect(template).not.toMatch(/<rect|url\(#|#ffffff|#[0-9a-f]{6}(?<!#000000)/i);
    expect(template.match(/<path /g)).toHaveLength(4);
    expect(template.match(/<circle /g)).toHaveLength(4);
  });

  it('is what the shell shows: the template on macOS, the tile elsewhere', async () => {
    const { trayIconPath } = await import('../../../electron/main/background');
    expect(path.basename(trayIconPath(root, 'darwin'))).toBe('trayTemplate.png');
    expect(path.basename(trayIconPath(root, 'linux'))).toBe('tray.png');
    expect(path.basename(trayIconPath(root, 'win32'))).toBe('tray.png');
    for (const [file] of TRAY_ICONS) expect(fs.existsSync(path.join(resources, file)), file).toBe(true);
  });
});

describe('the installers’ configuration', () => {
  it('names the app, takes the version from package.json, and builds AppImage, deb, dmg and NSIS', () => {
    expect(pkg.build).toMatchObject({ appId: 'io.switchyard.desktop', productName: 'Switchyard' });
    expect(pkg.build).not.toHaveProperty('extraMetadata.version');
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(pkg.build.linux.target).toEqual(['AppImage', 'deb']);
    expect(pkg.build.mac.target).toEqual(['dmg']);
    expect(pkg.build.win.target).toEqual(['nsis']);
  });

  it('points at icons that exist, and gives Linux a menu category and a desktop entry name', () => {
    expect(fs.statSync(path.join(root, pkg.build.linux.icon)).isDirectory()).toBe(true);
    expect(fs.existsSync(path.join(root, pkg.build.mac.icon))).toBe(true);
    expect(fs.existsSync(path.join(root, pkg.build.win.icon))).toBe(true);
    expect(pkg.build.linux.category).toBe('Development');
    expect(pkg.desktopName).toBe(`${pkg.build.linux.executableName}.desktop`);
  });

  it('gives the deb what electron-builder and Debian ask for: a maintainer as "Name <e-mail>", and a homepage', () => {
    // electron-builder stops a deb without them; its Maintainer field is linux.maintainer, else the author.
    const maintainer = pkg.build.linux.maintainer ?? (pkg.author?.email ? `${pkg.author.name} <${pkg.author.email}>` : undefined);
    expect(maintainer).toMatch(/^[^<>@]+ <[^<>@\s]+@[^<>@\s]+\.[a-z]{2,}>$/);
    expect(pkg.author).toMatchObject({ name: expect.any(String), email: expect.stringMatching(/^[^@\s]+@[^@\s]+\.[a-z]{2,}$/) });
    expect(pkg.homepage).toMatch(/^https:\/\/\S+$/);
  });

  it('packs the build, docker/ and resources/ beside package.json, where the core looks for them (appRoot)', () => {
    expect(pkg.build.files).toEqual(expect.arrayContaining(['package.json', 'out/**/*', 'docker/**/*', 'resources/**/*']));
  });

  it('keeps the libraries the renderer compiles in out of the shipped dependencies', () => {
    for (const bundled of ['vue', 'naive-ui', 'pinia', 'vue-i18n', 'uplot']) {
      expect(pkg.dependencies).not.toHaveProperty(bundled);
      expect(pkg.devDependencies).toHaveProperty(bundled);
    }
  });
});

describe('reading packages for the licenses list', () => {
  it('walks the production tree only', () => {
    const names = new Set(productionPackageDirs(root).map((d) => path.relative(path.join(root, 'node_modules'), d)));
    for (const dep of Object.keys(pkg.dependencies)) expect(names).toContain(dep);
    for (const dev of ['vitest', 'electron-builder', 'vue', 'eslint']) expect(names).not.toContain(dev);
  });

  it('finds the package a bundled module comes from', () => {
    expect(packageDirOf('/w/node_modules/naive-ui/es/button/src/Button.mjs')).toBe('/w/node_modules/naive-ui');
    expect(packageDirOf('/w/node_modules/@vue/shared/dist/shared.esm-bundler.js')).toBe('/w/node_modules/@vue/shared');
    expect(packageDirOf('/w/node_modules/a/node_modules/b/index.js?commonjs-proxy')).toBe('/w/node_modules/a/node_modules/b');
    expect(packageDirOf('C:\\w\\node_modules\\zod\\index.js')).toBe('C:/w/node_modules/zod');
    expect(packageDirOf('/w/renderer/App.vue')).toBeUndefined();
    expect(packageDirOf('\0virtual:switchyard/licenses')).toBeUndefined();
  });

  it('turns the ways package.json names a repository into web addresses', () => {
    expect(webUrlOf({ repository: 'github:apocas/dockerode' })).toBe('https://github.com/apocas/dockerode');
    expect(webUrlOf({ repository: 'mscdex/ssh2' })).toBe('https://github.com/mscdex/ssh2');
    expect(webUrlOf({ repository: { url: 'git+https://github.com/websockets/ws.git' } })).toBe('https://github.com/websockets/ws');
    expect(webUrlOf({ repository: { url: 'git://github.com/tj/commander.js.git' } })).toBe('https://github.com/tj/commander.js');
    expect(webUrlOf({ repository: { url: 'git+ssh://git@github.com/npm/write-file-atomic.git' } })).toBe('https://github.com/npm/write-file-atomic');
    expect(webUrlOf({ repository: 'gitlab:a/b' })).toBe('https://gitlab.com/a/b');
    expect(webUrlOf({ homepage: 'https://zod.dev' })).toBe('https://zod.dev');
    expect(webUrlOf({})).toBeUndefined();
  });
});
