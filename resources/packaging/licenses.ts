/**
 * The licenses of what Switchyard ships, read from each package's own package.json and license
 * file: the production dependency tree (package.json's `dependencies`, followed through
 * node_modules the way Node resolves them: what the desktop package carries), the packages
 * whose code the build compiles into out/ (the renderer's Vue, naive-ui, … are devDependencies,
 * bundled), and the Electron runtime.
 *
 * Written here rather than taken from a license-listing tool: those list an installed tree, not
 * what a bundler inlined, which only the build itself knows; the walk is some sixty lines and
 * adds nothing to install. The build turns the list into a module the About view loads when
 * opened (`virtual:switchyard/licenses`), and into out/renderer/licenses.json for people to read.
 *
 * `npx tsx resources/packaging/licenses.ts` prints the production tree's part.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin, Rolldown } from 'vite';
import type { LicenseEntry } from '../../shared/licenses';

export const LICENSES_MODULE = 'virtual:switchyard/licenses';

interface PackageJson {
  name?: string;
  version?: string;
  license?: string | { type?: string };
  licenses?: { type?: string }[];
  repository?: string | { url?: string };
  homepage?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const readJson = (file: string): PackageJson => JSON.parse(fs.readFileSync(file, 'utf8')) as PackageJson;

/**
 * The folder `name` resolves to when required from `fromDir`, as Node finds it: the nearest
 * node_modules going up, but never above the project.
 */
function resolvePackage(name: string, fromDir: string, root: string): string | undefined {
  for (let dir = fromDir; dir.startsWith(root); dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    }
    if (dir === root) break;
  }
  return undefined;
}

/** The folders of every installed production package, each once. */
export function productionPackageDirs(root: string): string[] {
  const seen = new Set<string>();
  const visit = (pkgDir: string, pkg: PackageJson, isRoot: boolean): void => {
    const required = Object.keys({ ...pkg.dependencies });
    // Optional dependencies are often for other platforms (esbuild's, cpu-features): only the
    // installed ones ship. Peer dependencies are installed by npm and shipped alike.
    const optional = [...Object.keys({ ...pkg.optionalDependencies }), ...Object.keys({ ...pkg.peerDependencies })];
    for (const [names, mustExist] of [
      [required, true],
      [optional, false],
    ] as const) {
      for (const name of names) {
        const dir = resolvePackage(name, pkgDir, root);
        if (!dir) {
          if (mustExist) throw new Error(`${isRoot ? 'package.json' : (pkg.name ?? pkgDir)} depends on ${name}, which is not installed: run npm ci`);
          continue;
        }
        const real = fs.realpathSync(dir);
        if (seen.has(real)) continue;
        seen.add(real);
        visit(dir, readJson(path.join(dir, 'package.json')), false);
      }
    }
  };
  visit(root, readJson(path.join(root, 'package.json')), true);
  return [...seen];
}

function licenseOf(pkg: PackageJson): string {
  if (typeof pkg.license === 'string' && pkg.license.trim()) return pkg.license.trim();
  if (pkg.license && typeof pkg.license === 'object' && pkg.license.type) return pkg.license.type;
  // The old `licenses` array: several licenses the user may choose from.
  const types = (pkg.licenses ?? []).map((l) => l.type).filter((t): t is string => Boolean(t));
  if (types.length === 1) return types[0];
  if (types.length > 1) return `(${types.join(' OR ')})`;
  return 'UNKNOWN';
}

/** A repository as written in package.json (`github:a/b`, `git+ssh://git@host/a/b.git`, …) as a web address. */
export function webUrlOf(pkg: Pick<PackageJson, 'repository' | 'homepage'>): string | undefined {
  const raw = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  if (raw) {
    const hosts: Record<string, string> = { github: 'github.com', gitlab: 'gitlab.com', bitbucket: 'bitbucket.org' };
    const short = /^(?:(github|gitlab|bitbucket):)?([\w.-]+\/[\w.-]+)$/.exec(raw);
    if (short) return `https://${hosts[short[1] ?? 'github']}/${short[2].replace(/\.git$/, '')}`;
    const scp = /^(?:git\+ssh:\/\/)?git@([^:/]+)[:/](.+?)(?:\.git)?$/.exec(raw);
    if (scp) return `https://${scp[1]}/${scp[2]}`;
    const url = /^(?:git\+)?(?:https?|git|ssh):\/\/(?:[^@/]+@)?([^/]+)\/(.+?)(?:\.git)?(?:#.*)?$/.exec(raw);
    if (url) return `https://${url[1]}/${url[2]}`;
  }
  if (pkg.homepage && /^https?:\/\//.test(pkg.homepage)) return pkg.homepage;
  return undefined;
}

/** The license file's text, and a NOTICE file's after it (Apache-2.0 asks for both). */
function licenseText(dir: string): string | undefined {
  const files = fs.readdirSync(dir).sort();
  const pick = (re: RegExp) => files.find((f) => re.test(f) && fs.statSync(path.join(dir, f)).isFile());
  const texts = [pick(/^(licen[cs]e|copying)([.\-_].*)?$/i), pick(/^notice([.\-_].*)?$/i)]
    .filter((f): f is string => Boolean(f))
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8').trim());
  return texts.length ? texts.join('\n\n') : undefined;
}

function entryOf(dir: string): LicenseEntry {
  const pkg = readJson(path.join(dir, 'package.json'));
  const entry: LicenseEntry = { name: pkg.name ?? path.basename(dir), version: pkg.version ?? '', license: licenseOf(pkg) };
  const url = webUrlOf(pkg);
  if (url) entry.url = url;
  const text = licenseText(dir);
  if (text) entry.text = text;
  return entry;
}

/**
 * Every shipped package's license, sorted by name: the production dependency tree (what the
 * desktop package carries in node_modules), the packages whose code a build put into its
 * bundles (`bundled`: package folders), and the Electron runtime when it is installed (the
 * desktop app carries it, with Chromium's notices beside it in LICENSES.chromium.html).
 */
export function collectLicenses(root: string, bundled: Iterable<string> = []): LicenseEntry[] {
  const dirs = [...productionPackageDirs(root), ...bundled];
  const electron = path.join(root, 'node_modules', 'electron');
  if (fs.existsSync(path.join(electron, 'package.json'))) dirs.push(electron);
  const unique = new Map<string, LicenseEntry>();
  for (const dir of dirs) {
    const e = entryOf(dir);
    unique.set(`${e.name}@${e.version}`, e);
  }
  return [...unique.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

/** The package folder a bundled module comes from (`…/node_modules/@scope/name`), if any. */
export function packageDirOf(moduleId: string): string | undefined {
  const file = moduleId.split('?')[0].replace(/\\/g, '/');
  if (file.startsWith('\0')) return undefined;
  const marker = '/node_modules/';
  const at = file.lastIndexOf(marker);
  if (at < 0) return undefined;
  const [first, second] = file.slice(at + marker.length).split('/');
  return file.slice(0, at + marker.length) + (first.startsWith('@') ? `${first}/${second}` : first);
}

/** Adds to `into` the package folders whose code ended up in this build's chunks. */
function gather(bundle: Rolldown.OutputBundle, into: Set<string>): void {
  for (const out of Object.values(bundle)) {
    if (out.type !== 'chunk') continue;
    for (const [id, m] of Object.entries(out.modules)) {
      // Tree-shaken away entirely: nothing of it ships.
      if (m.renderedLength === 0) continue;
      const dir = packageDirOf(id);
      if (dir) into.add(dir);
    }
  }
}

/**
 * For the main and preload builds: notes the packages they inline (the preload inlines zod, say)
 * into `into`, for the renderer's list. electron-vite builds main, preload, then the renderer.
 */
export function recordBundledPackages(into: Set<string>): Plugin {
  return {
    name: 'switchyard-bundled-packages',
    generateBundle(_options, bundle) {
      gather(bundle, into);
    },
  };
}

/** Stands in the built chunk for the list, which is known only once the whole bundle is. */
const PLACEHOLDER = 'SWITCHYARD_LICENSES_PLACEHOLDER';

/**
 * Gives the renderer `virtual:switchyard/licenses`: in a build, every package shipped (the
 * production tree, and what this bundle and `inlinedElsewhere` inline: the renderer's own
 * libraries are devDependencies, compiled in); also written to licenses.json beside the page.
 * The dev server and tests get the production tree alone.
 */
export function licensesPlugin(root: string, inlinedElsewhere: Set<string> = new Set()): Plugin {
  const resolved = `\0${LICENSES_MODULE}`;
  let building = false;
  return {
    name: 'switchyard-licenses',
    configResolved(config) {
      building = config.command === 'build';
    },
    resolveId: (id) => (id === LICENSES_MODULE ? resolved : undefined),
    load(id) {
      if (id !== resolved) return undefined;
      return building ? `export default ${JSON.stringify(PLACEHOLDER)};` : `export default ${JSON.stringify(collectLicenses(root))};`;
    },
    generateBundle(_options, bundle) {
      const bundled = new Set(inlinedElsewhere);
      gather(bundle, bundled);
      const licenses = collectLicenses(root, bundled);
      // The minifier may have turned the placeholder's quotes into backticks.
      const placeholder = new RegExp(`(["'\`])${PLACEHOLDER}\\1`);
      for (const out of Object.values(bundle)) {
        if (out.type === 'chunk' && placeholder.test(out.code)) out.code = out.code.replace(placeholder, () => JSON.stringify(licenses));
      }
      this.emitFile({ type: 'asset', fileName: 'licenses.json', source: `${JSON.stringify(licenses, null, 2)}\n` });
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  for (const e of collectLicenses(root)) console.log(`${e.name}@${e.version}\t${e.license}${e.text ? '' : '\t(no license file)'}`);
}
