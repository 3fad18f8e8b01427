/**
 * A fake 2D canvas for component tests: happy-dom has no canvas drawing (getContext gives null)
 * and no Path2D, and uPlot draws its lines with both. Every drawing call does nothing; what a
 * chart shows in words (its legend, its text alternative) is real DOM and is what tests read.
 * Importing this module installs it.
 */

/** An object on which every method exists and does nothing, and every property can be set. */
function inert(extra: Record<string, unknown> = {}): object {
  const values: Record<string | symbol, unknown> = { ...extra };
  return new Proxy(values, {
    get: (target, key) => (key in target ? target[key] : () => ({ width: 0 })),
    set: (target, key, value) => {
      target[key] = value;
      return true;
    },
  });
}

class FakePath2D {
  constructor() {
    return inert() as FakePath2D;
  }
}

const g = globalThis as unknown as { Path2D?: unknown; HTMLCanvasElement: { prototype: { getContext: unknown } } };
g.Path2D ??= FakePath2D;
g.HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement) {
  return inert({ canvas: this });
};
