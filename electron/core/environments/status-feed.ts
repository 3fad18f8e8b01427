import type { EnvironmentStatus } from '../../../shared/contract';

export interface StatusFeedDeps {
  /** The environments in the store now. */
  names(): Promise<string[]>;
  /** Reads an environment's status (Docker and the runtime API). */
  status(name: string): Promise<EnvironmentStatus>;
  /** Keeps the stats poller reading the environment's load balancer until the returned function is called. */
  pollHealth(name: string): () => void;
  emit(status: EnvironmentStatus): void;
  onError?(err: unknown, name: string): void;
}

export interface StatusFeedOptions {
  /** Triggers closer together than this are read once (a deploy is a burst of container events). */
  settleMs?: number;
}

interface Tracked {
  stopPolling: () => void;
  /** The status last sent, as JSON: what the next one is compared with. */
  last?: string;
  timer?: NodeJS.Timeout;
  reading: boolean;
  again: boolean;
}

/**
 * `environments:status` events: an environment's status is read again when something says it
 * may have changed (a container event, a health change the stats poller saw, a task that ended,
 * a change to its settings) and sent when it differs from the last one sent. Only environments
 * someone subscribed to are followed: `*` (the list) or one name (its view). Nothing here runs
 * on a timer of its own: the poller already reads the load balancers it follows once a second.
 */
export class StatusFeed {
  private readonly scopes = new Set<string>();
  private readonly tracked = new Map<string, Tracked>();
  private readonly settleMs: number;
  private closed = false;
  /** Scope changes are applied one at a time, in order. */
  private syncing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: StatusFeedDeps,
    opts: StatusFeedOptions = {},
  ) {
    this.settleMs = opts.settleMs ?? 100;
  }

  /** Follows `scope` (an environment's name, or `*` for every one) until the returned function is called. */
  async watch(scope: string): Promise<() => void> {
    this.scopes.add(scope);
    await this.sync();
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.scopes.delete(scope);
      void this.sync();
    };
  }

  /** Something about `name` may have changed: read its status soon, if it is followed. */
  changed(name: string): void {
    const t = this.tracked.get(name);
    if (!t || this.closed) return;
    if (t.timer) return;
    t.timer = setTimeout(() => {
      t.timer = undefined;
      void this.read(name, t);
    }, this.settleMs);
    t.timer.unref();
  }

  /** The store's list changed (an environment created or removed): follow what `*` now covers. */
  listChanged(): void {
    // A new environment's first status is news to the list as well.
    if (this.scopes.has('*')) void this.sync().then((added) => added.forEach((name) => this.changed(name)));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.scopes.clear();
    for (const [name, t] of this.tracked) this.untrack(name, t);
  }

  /** Follows what the scopes cover now; resolves with the environments it started following. */
  private sync(): Promise<string[]> {
    const run = this.syncing.then(async () => {
      const added: string[] = [];
      if (this.closed) return added;
      const names = this.scopes.has('*') ? await this.deps.names().catch(() => [...this.tracked.keys()]) : [];
      const want = new Set([...names, ...[...this.scopes].filter((s) => s !== '*')]);
      for (const name of want) {
        if (this.tracked.has(name)) continue;
        this.tracked.set(name, { stopPolling: this.deps.pollHealth(name), reading: false, again: false });
        added.push(name);
      }
      for (const [name, t] of this.tracked) if (!want.has(name)) this.untrack(name, t);
      return added;
    });
    this.syncing = run.catch(() => undefined);
    return run;
  }

  private untrack(name: string, t: Tracked): void {
    clearTimeout(t.timer);
    t.stopPolling();
    this.tracked.delete(name);
  }

  private async read(name: string, t: Tracked): Promise<void> {
    if (t.reading) {
      // One read at a time; a trigger during it means one more read after it.
      t.again = true;
      return;
    }
    t.reading = true;
    try {
      const status = await this.deps.status(name);
      const json = JSON.stringify(status);
      if (this.tracked.get(name) === t && json !== t.last) {
        t.last = json;
        this.deps.emit(status);
      }
    } catch (err) {
      // The status call reports what is wrong to whoever asks; the feed waits for the next trigger.
      this.deps.onError?.(err, name);
    } finally {
      t.reading = false;
      if (t.again && this.tracked.get(name) === t) {
        t.again = false;
        this.changed(name);
      }
    }
  }
}
