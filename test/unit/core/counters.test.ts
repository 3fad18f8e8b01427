import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MonotonicCounters } from '../../../electron/core/stats/counters';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sy-counters-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('hit totals', () => {
  it('never go backwards when HAProxy starts a new process (a reload)', async () => {
    const c = new MonotonicCounters(dir);
    await c.load();
    c.process('lab', '8');
    expect(c.total('lab', 'back1', 10)).toBe(10);
    expect(c.total('lab', 'back1', 25)).toBe(25);
    c.process('lab', '9');
    // The new process had already counted 30 before we looked: still added, not mistaken for 25+5.
    expect(c.total('lab', 'back1', 30)).toBe(55);
    expect(c.total('lab', 'back1', 31)).toBe(56);
  });

  it('treat a drop within the same process id as a restart too', async () => {
    const c = new MonotonicCounters(dir);
    await c.load();
    c.process('lab', '8');
    c.total('lab', 'back1', 40);
    expect(c.total('lab', 'back1', 3)).toBe(43);
  });

  it('survive an app restart', async () => {
    const a = new MonotonicCounters(dir);
    await a.load();
    a.process('lab', '8');
    a.total('lab', 'back1', 12);
    a.process('lab', '9');
    a.total('lab', 'back1', 5);
    await a.save();
    const b = new MonotonicCounters(dir);
    await b.load();
    b.process('lab', '9');
    expect(b.total('lab', 'back1', 7)).toBe(19);
    b.process('lab', '10');
    expect(b.total('lab', 'back1', 1)).toBe(20);
  });

  it('keep environments apart and forget a destroyed one', async () => {
    const c = new MonotonicCounters(dir);
    await c.load();
    c.process('a', '1');
    c.process('b', '1');
    c.total('a', 'x', 5);
    c.total('b', 'x', 7);
    c.process('a', '2');
    expect(c.total('a', 'x', 0)).toBe(5);
    expect(c.total('b', 'x', 7)).toBe(7);
    c.forget('a');
    c.process('a', '3');
    expect(c.total('a', 'x', 2)).toBe(2);
  });
});
