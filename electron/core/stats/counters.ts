import { promises as fs } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';

interface Counter {
  /** The last raw value HAProxy gave. */
  raw: number;
  /** What earlier HAProxy processes had counted before they were replaced. */
  offset: number;
}

interface Saved {
  version: 1;
  /** environment → HAProxy process id the raw values came from. */
  pids: Record<string, string>;
  counters: Record<string, Counter>;
}

/**
 * HAProxy's counters start again at zero in every new process (a reload, a restart). These
 * keep totals that never go backwards: when the process changes, what the old one counted
 * becomes an offset. Kept in the data folder so totals also survive an app restart.
 */
export class MonotonicCounters {
  private data: Saved = { version: 1, pids: {}, counters: {} };
  private loaded = false;
  private dirty = false;
  private saving: Promise<void> = Promise.resolve();
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'stats-counters.json');
  }

  async load(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    try {
      const parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as Saved;
      if (parsed.version === 1 && parsed.counters && parsed.pids) this.data = parsed;
    } catch {
      // Missing or unreadable: totals start from what HAProxy has now.
    }
  }

  /**
   * Records that `env`'s numbers now come from HAProxy process `pid`. A different process than
   * last time means its counters restarted: every counter of the environment moves its last
   * raw value into its offset.
   */
  process(env: string, pid: string): void {
    const prev = this.data.pids[env];
    if (prev === pid) return;
    this.data.pids[env] = pid;
    this.dirty = true;
    if (prev === undefined) return;
    const prefix = `${env}\u0000`;
    for (const [key, c] of Object.entries(this.data.counters)) {
      if (key.startsWith(prefix)) {
        c.offset += c.raw;
        c.raw = 0;
      }
    }
  }

  /** The never-decreasing total for a raw HAProxy counter. */
  total(env: string, key: string, raw: number): number {
    const id = `${env}\u0000${key}`;
    let c = this.data.counters[id];
    if (!c) c = this.data.counters[id] = { raw: 0, offset: 0 };
    // A drop within one process id can only be a restart we did not see (the same pid again).
    if (raw < c.raw) c.offset += c.raw;
    if (raw !== c.raw) this.dirty = true;
    c.raw = raw;
    return c.offset + raw;
  }

  /** Forgets an environment (destroyed). */
  forget(env: string): void {
    const prefix = `${env}\u0000`;
    for (const key of Object.keys(this.data.counters)) if (key.startsWith(prefix)) delete this.data.counters[key];
    delete this.data.pids[env];
    this.dirty = true;
  }

  /** Writes the totals if they changed; callers throttle. */
  save(): Promise<void> {
    if (!this.dirty) return this.saving;
    this.dirty = false;
    const text = JSON.stringify(this.data);
    this.saving = this.saving
      .then(() => fs.mkdir(path.dirname(this.file), { recursive: true }))
      .then(() => writeFileAtomic(this.file, text))
      .catch(() => {
        this.dirty = true;
      });
    return this.saving;
  }
}
