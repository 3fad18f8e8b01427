import { eventMatches, events, isEventName, subscriptionScope, type EventName, type EventPayload, type SubscriptionRef } from '../../shared/contract';
import { SwitchyardError, toErrorInfo, type Envelope } from '../../shared/errors';
import { parseOrThrow } from '../../shared/model';

/**
 * Starts what an event needs for one scope (an environment, or `*` for all) and returns what
 * stops it. It may refuse by throwing (OWNED_ELSEWHERE, NOT_FOUND): the subscription is then
 * refused and nothing is counted.
 */
export type EventSource = (scope: string) => Promise<() => void> | (() => void);

/** Who holds subscriptions: a window, a socket, the CLI. Its subscriptions go when it goes. */
export type ClientId = string;

interface Held {
  event: EventName;
  argument: unknown;
  scope: string;
}

interface Running {
  count: number;
  /** The source starting (or started): what stops it. */
  stop: Promise<(() => void) | undefined>;
}

/**
 * The one count of who listens to what, for every transport. An event reaches a client only if
 * one of its subscriptions matches the payload; the work behind an event (polling a load
 * balancer, following a log) starts with the first subscription of a scope and stops with the
 * last, whichever windows or sockets held them.
 */
export class Subscriptions {
  private readonly clients = new Map<ClientId, Map<string, Held>>();
  private readonly running = new Map<string, Running>();
  private nextId = 1;

  constructor(private readonly sources: Partial<Record<EventName, EventSource>> = {}) {}

  /** Checks the event and its argument (the contract's schema), starts its source if it is the first. */
  async subscribe(client: ClientId, event: string, argument: unknown): Promise<Envelope<SubscriptionRef>> {
    try {
      if (!isEventName(event)) throw new SwitchyardError('UNKNOWN_CHANNEL', `Unknown event "${event}"`, { field: 'event' });
      const parsed = parseOrThrow(events[event].argument, argument ?? {});
      const scope = subscriptionScope(parsed);
      await this.hold(event, scope);
      const id = `s${this.nextId++}`;
      let mine = this.clients.get(client);
      if (!mine) this.clients.set(client, (mine = new Map()));
      mine.set(id, { event, argument: parsed, scope });
      return { ok: true, result: { subscription: id } };
    } catch (err) {
      return { ok: false, error: toErrorInfo(err) };
    }
  }

  /** Gives one subscription back; unknown ids (given back already) are ignored. */
  dispose(client: ClientId, id: string): void {
    const mine = this.clients.get(client);
    const held = mine?.get(id);
    if (!mine || !held) return;
    mine.delete(id);
    if (!mine.size) this.clients.delete(client);
    this.letGo(held.event, held.scope);
  }

  /** Gives back everything a client held: its window closed, its socket dropped. */
  release(client: ClientId): void {
    const mine = this.clients.get(client);
    if (!mine) return;
    this.clients.delete(client);
    for (const held of mine.values()) this.letGo(held.event, held.scope);
  }

  /** Whether `client` subscribed to something that hears this payload. */
  wants<E extends EventName>(client: ClientId, event: E, payload: EventPayload<E>): boolean {
    for (const held of this.clients.get(client)?.values() ?? []) {
      if (held.event === event && eventMatches(event, held.argument, payload)) return true;
    }
    return false;
  }

  /** The clients a payload goes to, each once. */
  recipients<E extends EventName>(event: E, payload: EventPayload<E>): ClientId[] {
    const out: ClientId[] = [];
    for (const client of this.clients.keys()) if (this.wants(client, event, payload)) out.push(client);
    return out;
  }

  /** How many subscriptions hold `event` for `scope` now, over every client (for tests and benchmarks). */
  count(event: EventName, scope = '*'): number {
    return this.running.get(`${event}\n${scope}`)?.count ?? 0;
  }

  /** Stops every source (the core is closing). */
  async close(): Promise<void> {
    const running = [...this.running.values()];
    this.running.clear();
    this.clients.clear();
    for (const r of running) (await r.stop.catch(() => undefined))?.();
  }

  private async hold(event: EventName, scope: string): Promise<void> {
    const key = `${event}\n${scope}`;
    const source = this.sources[event];
    let r = this.running.get(key);
    if (r) {
      r.count++;
      try {
        // A second subscriber while the first one's start is under way shares its outcome.
        await r.stop;
      } catch (err) {
        r.count--;
        throw err;
      }
      return;
    }
    r = { count: 1, stop: source ? Promise.resolve().then(() => source(scope)) : Promise.resolve(undefined) };
    this.running.set(key, r);
    const mine = r;
    try {
      await mine.stop;
    } catch (err) {
      if (this.running.get(key) === mine) this.running.delete(key);
      throw err;
    }
  }

  private letGo(event: EventName, scope: string): void {
    const key = `${event}\n${scope}`;
    const r = this.running.get(key);
    if (!r || --r.count > 0) return;
    this.running.delete(key);
    // Stops once started, even if that start is still under way.
    void r.stop.then(
      (stop) => stop?.(),
      () => undefined,
    );
  }
}
