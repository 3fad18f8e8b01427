/**
 * Makes every app icon from the one drawing, resources/icon.svg: the PNG sizes Linux desktops
 * pick from (resources/icons/NxN.png), Windows' icon.ico and macOS's icon.icns, and the tray's
 * (resources/tray*.png).
 *
 * The results are committed. electron-builder uses .ico, .icns and a folder of NxN.png as
 * they are, and would otherwise download a conversion tool of its own at packaging time; and
 * `npm run dist` then needs no SVG renderer on the packaging machine. `npm run icons` remakes
 * them after the drawing changes; `source.sha256` records which drawing they were made from,
 * and a test fails when it no longer matches.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';

/** Every size a desktop may ask for, up to macOS's 512 pt at 2x. */
export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024] as const;
/** Windows shows 16–48 in lists and the taskbar, 256 in large icon views; NSIS wants 256 too. */
export const ICO_SIZES = [16, 24, 32, 48, 64, 256] as const;
/** icns element types that hold PNG data, with their pixel size (the @2x types hold the doubled image). */
export const ICNS_TYPES: readonly (readonly [string, number])[] = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
  ['ic11', 32],
  ['ic12', 64],
  ['ic13', 256],
  ['ic14', 512],
];

/**
 * The tray's images, in resources/ where the shell loads them (Electron picks @2x on HiDPI
 * screens): the tile elsewhere, and on macOS a template, the mark alone in black, which the
 * menu bar tints itself.
 */
export const TRAY_ICONS: readonly (readonly [file: string, size: number, template: boolean])[] = [
  ['tray.png', 32, false],
  ['tray@2x.png', 64, false],
  ['trayTemplate.png', 16, true],
  ['trayTemplate@2x.png', 32, true],
];
/** The square around the mark's lines and dots, so the template fills the menu bar's height. */
const TEMPLATE_VIEWBOX = '133 162 700 700';

export const ICON_SOURCE = 'icon.svg';
export const ICONS_DIR = 'icons';
export const HASH_FILE = 'source.sha256';

/** The drawing's fingerprint, with the sizes made from it: a new size also calls for a remake. */
export function sourceHash(svg: string): string {
  // Line endings normalised, so a Windows checkout of the same drawing matches.
  const drawing = svg.replace(/\r\n/g, '\n');
  return createHash('sha256').update(JSON.stringify({ drawing, PNG_SIZES, ICO_SIZES, ICNS_TYPES, TRAY_ICONS, TEMPLATE_VIEWBOX })).digest('hex');
}

/** The mark without its tile, black on transparent, framed tight: what a macOS template image is. */
export function templateSvg(svg: string): string {
  return svg
    .replace(/<defs>[\s\S]*?<\/defs>/, '')
    .replace(/<rect\b[^>]*\/>/, '')
    .replace(/#ffffff/gi, '#000000')
    .replace(/viewBox="[^"]*"/, `viewBox="${TEMPLATE_VIEWBOX}"`);
}

/** A tray image as the shell loads it, from the drawing. */
export function trayPng(svg: string, size: number, template: boolean): Buffer {
  return renderPng(template ? templateSvg(svg) : svg, size);
}

export function renderPng(svg: string, size: number): Buffer {
  return new Resvg(svg, { fitTo: { mode: 'width', value: size }, font: { loadSystemFonts: false } }).render().asPng();
}

/** A Windows .ico holding PNG images (read by Windows Vista and later, and by NSIS). */
export function icoOf(images: { size: number; png: Buffer }[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // 1: an icon (2 would be a cursor)
  header.writeUInt16LE(images.length, 4);
  const entries: Buffer[] = [];
  let offset = 6 + 16 * images.length;
  for (const { size, png } of images) {
    const e = Buffer.alloc(16);
    // One byte per side: 0 stands for 256.
    e.writeUInt8(size >= 256 ? 0 : size, 0);
    e.writeUInt8(size >= 256 ? 0 : size, 1);
    e.writeUInt8(0, 2); // no palette
    e.writeUInt8(0, 3);
    e.writeUInt16LE(1, 4); // colour planes
    e.writeUInt16LE(32, 6); // bits per pixel
    e.writeUInt32LE(png.length, 8);
    e.writeUInt32LE(offset, 12);
    offset += png.length;
    entries.push(e);
  }
  return Buffer.concat([header, ...entries, ...images.map((i) => i.png)]);
}

/** A macOS .icns: a big-endian length-prefixed list of typed elements, here all PNG data. */
export function icnsOf(elements: { type: string; png: Buffer }[]): Buffer {
  const parts = elements.map(({ type, png }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(8 + png.length, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + parts.reduce((n, p) => n + p.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

/** Renders every icon from `resourcesDir`/icon.svg into `resourcesDir`/icons; returns the files written. */
export function makeIcons(resourcesDir: string): string[] {
  const svg = fs.readFileSync(path.join(resourcesDir, ICON_SOURCE), 'utf8');
  const out = path.join(resourcesDir, ICONS_DIR);
  fs.mkdirSync(out, { recursive: true });
  const png = new Map<number, Buffer>();
  const pngOf = (size: number): Buffer => {
    let image = png.get(size);
    if (!image) png.set(size, (image = renderPng(svg, size)));
    return image;
  };
  const written: string[] = [];
  const write = (name: string, data: Buffer | string): void => {
    const file = path.join(out, name);
    fs.writeFileSync(file, data);
    written.push(file);
  };
  // NxN.png is the name electron-builder reads a Linux icon set by (hicolor/NxN/apps/…).
  for (const size of PNG_SIZES) write(`${size}x${size}.png`, pngOf(size));
  write('icon.ico', icoOf(ICO_SIZES.map((size) => ({ size, png: pngOf(size) }))));
  write('icon.icns', icnsOf(ICNS_TYPES.map(([type, size]) => ({ type, png: pngOf(size) }))));
  for (const [file, size, template] of TRAY_ICONS) {
    const target = path.join(resourcesDir, file);
    fs.writeFileSync(target, template ? trayPng(svg, size, true) : pngOf(size));
    written.push(target);
  }
  write(HASH_FILE, `${sourceHash(svg)}\n`);
  return written;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const resources = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  for (const file of makeIcons(resources)) console.log(path.relative(process.cwd(), file));
}
