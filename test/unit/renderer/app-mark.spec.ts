/**
 * The window's header shows the app's mark: the drawing every icon is made from
 * (resources/icon.svg), not a drawing of its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import App from '../../../renderer/App.vue';
import { FakeTransport, freshApp, mountInApp, settle, unmountAll } from './fake-transport';

const root = path.resolve(import.meta.dirname, '../../..');
/** What an SVG draws: each shape with its geometry and paint, in order. */
function shapes(svg: string): string[] {
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const geometry = ['d', 'x', 'y', 'width', 'height', 'rx', 'cx', 'cy', 'r'];
  return [...doc.querySelectorAll('rect, path, circle')].map((el) => {
    const paint = (name: string) => el.getAttribute(name) ?? el.closest(`[${name}]`)?.getAttribute(name) ?? '';
    return [el.tagName.toLowerCase(), ...geometry.map((a) => el.getAttribute(a) ?? ''), paint('fill'), paint('stroke'), paint('stroke-width')].join(' ');
  });
}

let fake: FakeTransport;
beforeEach(() => {
  fake = freshApp();
  fake
    .handle('system:info', () => ({
      version: '0.1.0',
      dataDir: '/home/ana/.config/Switchyard',
      installation: { installation: '6f1c2c9e-3d0b-4d55-9d1e-0c6a1f1b2a10', by: 'ana@laptop' },
      os: 'linux',
      docker: { reachable: true, endpoint: 'unix:///var/run/docker.sock', version: '27.3.1' },
    }))
    .handle('tasks:list', () => [])
    .handle('stats:settings', () => ({ intervalMs: 1000 }))
    .handle('environments:list', () => [])
    .handle('hosts:list', () => []);
});
afterEach(unmountAll);

describe('the header', () => {
  it('shows the app’s mark from resources/icon.svg beside the name, and no other drawing', async () => {
    const w = mountInApp(App);
    await settle();
    const brand = w.find('.brand');
    expect(brand.text()).toBe('Switchyard');
    const mark = brand.find('[data-test=app-mark]');
    expect(mark.element.tagName).toBe('IMG');
    // Decorative: the name beside it says what it is.
    expect(mark.attributes('alt')).toBe('');
    const src = mark.attributes('src')!;
    const drawing = fs.readFileSync(path.join(root, 'resources/icon.svg'), 'utf8');
    // The build inlines the small file as a data: URL (its spaces and quotes rewritten), or serves it.
    const shown = src.startsWith('data:') ? decodeURIComponent(src.slice(src.indexOf(',') + 1)) : fs.readFileSync(path.join(root, src.replace(/^\//, '')), 'utf8');
    expect(shapes(shown)).toEqual(shapes(drawing));
    expect(shapes(drawing)).toHaveLength(9); // the tile, four lines and four dots
    expect(brand.find('svg').exists()).toBe(false);
  });
});
