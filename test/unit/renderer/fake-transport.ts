/**
 * A fake transport for component and store tests: answers calls from handlers the test gives,
 * records every call and subscription, and emits events on demand, to the page only when it
 * holds a matching subscription (as the core does). It stands in for the core; it is not one.
 */
import { defineComponent, h, type Component } from 'vue';
import { mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { NDialogProvider, NMessageProvider } from 'naive-ui';
import { eventMatches, type ChannelName, type EventArgumentOf, type EventName, type EventPayload, type RequestOf, type ResponseOf } from '../../../shared/contract';
import { Environment, EnvironmentInput } from '../../../shared/model';
import type { Envelope, ErrorInfo } from '../../../shared/errors';
import type { ConnectionState, Transport, TransportSubscription } from '../../../renderer/api/transport';
import { useTransport } from '../../../renderer/api/client';
import { i18n } from '../../../renderer/i18n';

type Handler<C extends ChannelName> = (payload: RequestOf<C>) => ResponseOf<C> | Promise<ResponseOf<C>> | { error: ErrorInfo };

export class FakeTransport implements Transport {
  readonly kind = 'fake';
  readonly calls: { channel: ChannelName; payload: unknown }[] = [];
  state: ConnectionState = 'open';
  private readonly handlers = new Map<ChannelName, Handler<ChannelName>>();
  private readonly listeners = new Set<(event: EventName, payload: unknown) => void>();
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  /** Every subscription asked for, given back or not. */
  readonly subscribeCalls: { event: EventName; argument: unknown }[] = [];
  /** The subscriptions the page holds now, as the core would count them. */
  private readonly held = new Map<string, { event: EventName; argument: unknown }>();
  private readonly refusals = new Map<EventName, ErrorInfo>();
  private nextSubscription = 1;

  handle<C extends ChannelName>(channel: C, handler: Handler<C>): this {
    this.handlers.set(channel, handler as unknown as Handler<ChannelName>);
    return this;
  }

  async invoke(channel: ChannelName, payload: unknown): Promise<Envelope<unknown>> {
    this.calls.push({ channel, payload });
    const handler = this.handlers.get(channel);
    if (!handler) return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `fake: no handler for ${channel}` } };
    const out = await handler(payload as never);
    if (out && typeof out === 'object' && 'error' in out && out.error && typeof out.error === 'object' && 'code' in out.error) {
      return { ok: false, error: out.error as ErrorInfo };
    }
    return { ok: true, result: out };
  }

  subscribe(event: EventName, argument: unknown): TransportSubscription {
    this.subscribeCalls.push({ event, argument });
    const refusal = this.refusals.get(event);
    if (refusal) return { ready: Promise.resolve({ ok: false, error: refusal }), dispose: () => undefined };
    const id = `s${this.nextSubscription++}`;
    this.held.set(id, { event, argument });
    return { ready: Promise.resolve({ ok: true, result: { subscription: id } }), dispose: () => void this.held.delete(id) };
  }

  onEvent(listener: (event: EventName, payload: unknown) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Refuses every subscription to `event` from now on, as the core refuses another Switchyard's environment. */
  refuse(event: EventName, error: ErrorInfo): this {
    this.refusals.set(event, error);
    return this;
  }

  /** The arguments of the subscriptions to `event` the page holds now. */
  subscribed<E extends EventName>(event: E): EventArgumentOf<E>[] {
    return [...this.held.values()].filter((h) => h.event === event).map((h) => h.argument as EventArgumentOf<E>);
  }

  onState(listener: (s: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** What the core would send: the event reaches the page only if one of its subscriptions matches it. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    if (![...this.held.values()].some((h) => h.event === event && eventMatches(event, h.argument, payload))) return;
    for (const l of this.listeners) l(event, payload);
  }

  setState(s: ConnectionState): void {
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }

  callsTo(channel: ChannelName): unknown[] {
    return this.calls.filter((c) => c.channel === channel).map((c) => c.payload);
  }
}

let pinia: Pinia;
const mounted: VueWrapper[] = [];

/** A fresh Pinia and a fresh fake transport, wired in as the app's. */
export function freshApp(): FakeTransport {
  pinia = createPinia();
  setActivePinia(pinia);
  const fake = new FakeTransport();
  useTransport(fake);
  return fake;
}

/** Mounts a component inside the providers the app has (messages, dialogs), with i18n. */
export function mountInApp(component: Component, props: Record<string, unknown> = {}, locale: 'en' | 'fr' = 'en') {
  const Host = defineComponent({
    setup: () => () => h(NMessageProvider, null, () => h(NDialogProvider, null, () => h(component, props))),
  });
  i18n.global.locale.value = locale;
  const wrapper = mount(Host, { global: { plugins: [pinia, i18n] }, attachTo: document.body });
  mounted.push(wrapper);
  return wrapper;
}

/** For an `afterEach`: unmounts what the test mounted and clears what dialogs left in the page. */
export function unmountAll(): void {
  for (const w of mounted.splice(0)) w.unmount();
  document.body.innerHTML = '';
}

const STAMP = '2026-01-01T00:00:00.000Z';

/** A saved environment as the core returns it: the schema's defaults (the tutorial lab) plus `over`. */
export function labEnvironment(over: Partial<EnvironmentInput> & { name?: string } = {}): Environment {
  return Environment.parse({ ...EnvironmentInput.parse({ name: 'lab', ...over }), createdAt: STAMP, updatedAt: STAMP });
}

export const flush = () => new Promise((r) => setTimeout(r, 0));

/** A few turns of the event loop: enough for a chain of awaited fake calls and re-renders. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await flush();
}
