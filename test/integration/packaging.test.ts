/**
 * The desktop package as users get it, checked where Electron cannot be downloaded: the real
 * electron-builder, with package.json's configuration, packs the app folder (`--dir`, the step
 * every installer is made from) around a stand-in for Electron's binary, and the test reads the
 * app.asar it wrote. Nothing is fetched: the stand-in replaces Electron's zip, the icons are
 * ready-made (no icon tool), and native modules are not rebuilt. electron-builder validates the
 * whole configuration against its schema first (the macOS, Windows, NSIS and deb sections too).
 *
 * What this cannot check here: the AppImage, deb, dmg and NSIS steps themselves (their tools are
 * downloaded), signing, and the app starting inside real Electron.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as asar from '@electron/asar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LicenseEntry } from '../../shared/licenses';
import { productionPackageDirs } from '../../resources/packaging/licenses';

const root = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

let work: string;
let appDir: string;
let archive: string;
/** Every path in app.asar, without the leading slash. */
let files: string[];
let inArchive: Set<string>;

const read = (file: string): string => asar.extractFile(archive, file).toString('utf8');
/** The packages under node_modules in the archive, by name. */
const packagesIn = (): Set<string> => new Set(files.filter((f) => /^node_modules\/(@[^/]+\/)?[^/]+\/package\.json$/.test(f)).map((f) => f.slice('node_modules/'.length, -'/package.json'.length)));

beforeAll(() => {
  // `npm test` builds first; a run of this file alone builds what is missing.
  const built = ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html', 'out/renderer/licenses.json'];
  if (!built.every((f) => fs.existsSync(path.join(root, f)))) {
    const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build failed');
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-package-'));
  // What electron-builder copies in place of Electron's unpacked zip. Clearly not Electron: a
  // script with the binary's name that says so and fails.
  const standIn = path.join(work, 'electron-stand-in');
  fs.mkdirSync(standIn);
  fs.writeFileSync(path.join(standIn, 'electron'), '#!/bin/sh\necho "stand-in for the Electron binary (packaging test)" >&2\nexit 1\n', { mode: 0o755 });
  fs.writeFileSync(path.join(standIn, 'STAND-IN.txt'), 'Not Electron: a placeholder so electron-builder can pack the app folder offline.\n');

  const out = path.join(work, 'dist');
  const r = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules/electron-builder/cli.js'), '--linux', 'dir', '--publish', 'never', `-c.electronDist=${standIn}`, `-c.directories.output=${out}`],
    { cwd: root, encoding: 'utf8', timeout: 240_000, env: { ...process.env, CI: 'true' } },
  );
  if (r.status !== 0) throw new Error(`electron-builder failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  appDir = path.join(out, 'linux-unpacked');
  archive = path.join(appDir, 'resources', 'app.asar');
  files = asar.listPackage(archive, { isPack: false }).map((f) => f.replace(/\\/g, '/').replace(/^\//, ''));
  inArchive = new Set(files);
}, 300_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the packaged app folder', () => {
  it('has the program under its Linux name (here the stand-in) and the app archive', () => {
    expect(fs.readFileSync(path.join(appDir, 'switchyard'), 'utf8')).toContain('stand-in for the Electron binary');
    expect(fs.existsSync(archive)).toBe(true);
    // Nothing native was unpacked beside it: no module of ours needs a rebuilt binary.
    expect(fs.existsSync(path.join(appDir, 'resources', 'app.asar.unpacked'))).toBe(false);
  });

  it('holds the built main, preload and renderer, and package.json with this version', () => {
    for (const f of ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html', 'out/renderer/licenses.json']) expect(inArchive, f).toContain(f);
    expect(files.some((f) => /^out\/renderer\/assets\/index-[\w-]+\.js$/.test(f))).toBe(true);
    const shipped = JSON.parse(read('package.json')) as { name: string; version: string; main: string };
    expect(shipped).toMatchObject({ name: pkg.name, version: pkg.version, main: 'out/main/index.js' });
    expect(read('out/main/index.js')).toBe(fs.readFileSync(path.join(root, 'out/main/index.js'), 'utf8'));
  });

  it('holds docker/ and resources/ beside package.json, where the core and the tray look (appRoot)', () => {
    for (const f of fs.readdirSync(path.join(root, 'docker/demo-backend'))) {
      expect(read(`docker/demo-backend/${f}`)).toBe(fs.readFileSync(path.join(root, 'docker/demo-backend', f), 'utf8'));
    }
    for (const f of ['resources/tray.png', 'resources/tray@2x.png', 'resources/trayTemplate.png', 'resources/trayTemplate@2x.png', 'resources/icons/256x256.png']) {
      expect(inArchive, f).toContain(f);
    }
  });

  it('has every package the built main loads, and the production dependencies', () => {
    const main = read('out/main/index.js');
    // Import statements at the start of a line, and dynamic imports: not the words "from" or
    // "import" at the end of a sentence in a string.
    const statements = [...main.matchAll(/^import\s+(?:[\w$*{}\s,]+\s+from\s+)?"([^".][^"]*)";?$/gm)].map((m) => m[1]);
    const dynamic = [...main.matchAll(/\bimport\(\s*"([^".][^"]*)"\s*\)/g)].map((m) => m[1]);
    const imported = new Set([...statements, ...dynamic].filter((s) => !s.startsWith('node:') && s !== 'electron'));
    expect(imported.size).toBeGreaterThan(3);
    const packages = packagesIn();
    for (const spec of imported) {
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      expect(packages, `out/main/index.js imports ${spec}`).toContain(name);
    }
    // tsx runs the CLI from source; the desktop app does not carry it (see package.json's files).
    for (const dep of Object.keys(pkg.dependencies).filter((d) => d !== 'tsx')) expect(packages, dep).toContain(dep);
  });

  it('carries no dev dependency, no test, no source, no build script and no native binary built for Node', () => {
    const production = new Set(productionPackageDirs(root).map((d) => path.relative(path.join(root, 'node_modules'), d).replace(/\\/g, '/')));
    const packages = packagesIn();
    for (const dev of Object.keys(pkg.devDependencies).filter((d) => !production.has(d))) expect(packages, dev).not.toContain(dev);
    const ours = files.filter((f) => !f.startsWith('node_modules/'));
    expect(ours.filter((f) => /^(test|electron|renderer|shared|resources\/packaging)(\/|$)/.test(f))).toEqual([]);
    expect(ours.filter((f) => /\.(test|spec)\.[cm]?[jt]s$|\.ts$|\.vue$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.node'))).toEqual([]);
  });

  it('lists the license of every package it carries, in the file the About view is built from', () => {
    const licenses = JSON.parse(read('out/renderer/licenses.json')) as LicenseEntry[];
    const listed = new Set(licenses.map((l) => l.name));
    const unlisted = [...packagesIn()].filter((p) => !listed.has(p));
    expect(unlisted).toEqual([]);
    // And what the renderer compiles in, which is not in node_modules at all.
    for (const bundled of ['vue', 'naive-ui', 'pinia', 'vue-i18n', 'uplot', 'electron']) expect(listed, bundled).toContain(bundled);
    expect(licenses.find((l) => l.name === 'vue')).toMatchObject({ license: 'MIT', text: expect.stringContaining('MIT') });
  });
});
