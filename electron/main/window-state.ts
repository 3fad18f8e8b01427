import fs from 'node:fs';
import path from 'node:path';
import { screen, type BrowserWindow, type Rectangle } from 'electron';

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const MIN_WIDTH = 720;
export const MIN_HEIGHT = 480;
const DEFAULT_STATE: WindowState = { width: 1100, height: 720, maximized: false };
/** How much of the window must lie on a screen for the saved position to be reused. */
const MIN_VISIBLE = 64;

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 100_000;
}

function visibleOnSomeDisplay(r: Rectangle): boolean {
  return screen.getAllDisplays().some(({ workArea: a }) => {
    const w = Math.min(r.x + r.width, a.x + a.width) - Math.max(r.x, a.x);
    const h = Math.min(r.y + r.height, a.y + a.height) - Math.max(r.y, a.y);
    return w >= MIN_VISIBLE && h >= MIN_VISIBLE;
  });
}

/**
 * The last bounds saved in `file`, or defaults. A missing or damaged file, or a position on a
 * screen that is no longer attached, falls back quietly: it is only a convenience.
 */
export function loadWindowState(file: string): WindowState {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return { ...DEFAULT_STATE };
  }
  if (typeof raw !== 'object' || raw === null) return { ...DEFAULT_STATE };
  const state: WindowState = {
    width: isInt(raw.width) ? Math.max(raw.width, MIN_WIDTH) : DEFAULT_STATE.width,
    height: isInt(raw.height) ? Math.max(raw.height, MIN_HEIGHT) : DEFAULT_STATE.height,
    maximized: raw.maximized === true,
  };
  if (isInt(raw.x) && isInt(raw.y) && visibleOnSomeDisplay({ x: raw.x, y: raw.y, width: state.width, height: state.height })) {
    state.x = raw.x;
    state.y = raw.y;
  }
  return state;
}

/** Saves the window's bounds to `file` when it closes. */
export function trackWindowState(win: BrowserWindow, file: string): void {
  win.on('close', () => {
    // The normal bounds, so a maximized window comes back maximized over its old size.
    const { x, y, width, height } = win.getNormalBounds();
    const state: WindowState = { x, y, width, height, maximized: win.isMaximized() };
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(state) + '\n');
      // Rename so a crash mid-write never leaves half a file behind.
      fs.renameSync(tmp, file);
    } catch (err) {
      // Losing the window's size must never stand in the way of closing it.
      console.warn(`Could not save the window's bounds to ${file}: ${(err as Error).message}`);
    }
  });
}
