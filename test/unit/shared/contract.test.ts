import { describe, expect, expectTypeOf, it } from 'vitest';
import { channelNames, type RequestOf, type ResponseOf, type EventPayload, type Task, type EnvironmentStatus, type TaskStarted, type Footprint, type Forgotten } from '../../../shared/contract';
import type { Environment } from '../../../shared/model';
import { createDispatcher, type Handlers } from '../../../electron/core/api';
import {
  eventMatches,
  eventNames,
  type ChannelName,
  type EnvironmentChange,
  type EventArgumentOf,
  type EventName,
  type HostChange,
  type Subscribe,
  type SubscriptionRef,
} from '../../../shared/contract';
import type { LogLines, StatsHistory, StatsSnapshot } from '../../../shared/live';
import type { Core } from '../../../electron/core/core';

describe('contract', () => {
  it('locks the request and response types of the main channels', () => {
    expectTypeOf<RequestOf<'environments:deploy'>>().toEqualTypeOf<{ environment: string }>();
    expectTypeOf<ResponseOf<'environments:deploy'>>().toEqualTypeOf<TaskStarted>();
    expectTypeOf<ResponseOf<'environments:create'>>().toEqualTypeOf<Environment>();
    expectTypeOf<ResponseOf<'environments:status'>>().toEqualTypeOf<EnvironmentStatus>();
    expectTypeOf<RequestOf<'servers:stop'>>().toEqualTypeOf<{ environment: string; server: string }>();
    expectTypeOf<EventPayload<'tasks:updated'>>().toEqualTypeOf<Task>();
    expectTypeOf<RequestOf<'stats:history'>>().toEqualTypeOf<{ environment: string }>();
    expectTypeOf<ResponseOf<'stats:history'>>().toEqualTypeOf<StatsHistory>();
  });

  it('locks the forget channels: what may remain on the host, by name', () => {
    expectTypeOf<RequestOf<'environments:forget'>>().toEqualTypeOf<{ environment: string }>();
    expectTypeOf<ResponseOf<'environments:forget'>>().toEqualTypeOf<Forgotten>();
    expectTypeOf<ResponseOf<'environments:footprint'>>().toEqualTypeOf<Footprint>();
    expectTypeOf<RequestOf<'hosts:forget'>>().toEqualTypeOf<{ id: string }>();
    expectTypeOf<ResponseOf<'hosts:forget'>>().toEqualTypeOf<Forgotten>();
    expectTypeOf<ResponseOf<'hosts:footprint'>>().toEqualTypeOf<Footprint[]>();
    expectTypeOf<Forgotten['left']>().toEqualTypeOf<Footprint[]>();
  });

  it('names every channel domain:verb', () => {
    for (const name of channelNames) expect(name).toMatch(/^[a-z]+:[a-z]+$/);
  });

  it('the dispatcher validates before any handler runs and answers in an envelope', async () => {
    let called = 0;
    const handlers = Object.fromEntries(channelNames.map((c) => [c, () => (called++, 'ran')])) as unknown as Handlers;
    const invoke = createDispatcher(handlers);
    expect(await invoke('environments:get', { environment: 'lab' })).toEqual({ ok: true, result: 'ran' });
    expect(await invoke('environments:get', { environment: 'bad\nname' })).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'environment' } });
    expect(await invoke('environments:get', { environment: 'lab', extra: 1 })).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'extra' } });
    expect(await invoke('nope:nope', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    expect(called).toBe(1);
  });
});

describe('the environment a request is about', () => {
  it('is `environment` in every request; `name`, the older key of environments:* and exports, is still taken for it', async () => {
    const seen: unknown[] = [];
    const handlers = Object.fromEntries(channelNames.map((c) => [c, (r: unknown) => (seen.push(r), 'ran')])) as unknown as Handlers;
    const invoke = createDispatcher(handlers);
    expect(await invoke('environments:deploy', { environment: 'lab' })).toEqual({ ok: true, result: 'ran' });
    expect(await invoke('environments:deploy', { name: 'lab' })).toEqual({ ok: true, result: 'ran' });
    expect(await invoke('environments:update', { name: 'lab', patch: { retries: 2 } })).toEqual({ ok: true, result: 'ran' });
    expect(await invoke('environments:export', { environment: 'lab', format: 'compose', dir: '/tmp/x' })).toEqual({ ok: true, result: 'ran' });
    expect(seen).toEqual([{ environment: 'lab' }, { environment: 'lab' }, { environment: 'lab', patch: { retries: 2 } }, { environment: 'lab', format: 'compose', dir: '/tmp/x', zip: true }]);

    expect(await invoke('environments:deploy', {})).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'environment', message: 'environment: must be text' } });
    expect(await invoke('environments:deploy', { environment: 'lab', name: 'shop' })).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'name' } });
    expect(await invoke('environments:adopt', { environment: 'Bad', host: 'local' })).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'environment' } });
    expect(seen).toHaveLength(4);
  });
});

describe('events and subscriptions', () => {
  it('has no watch/unwatch channels any more: stats and logs are subscriptions', () => {
    expectTypeOf<Extract<ChannelName, 'stats:watch' | 'stats:unwatch' | 'logs:watch' | 'logs:unwatch'>>().toBeNever();
    expect(channelNames).not.toContain('stats:watch');
    expect(channelNames).not.toContain('logs:watch');
  });

  it('locks what a subscription names: one environment for what costs polling, any for the rest', () => {
    expectTypeOf<EventArgumentOf<'stats:snapshot'>>().toEqualTypeOf<{ environment: string }>();
    expectTypeOf<EventArgumentOf<'stats:health'>>().toEqualTypeOf<{ environment: string }>();
    expectTypeOf<EventArgumentOf<'logs:lines'>>().toEqualTypeOf<{ environment: string }>();
    expectTypeOf<EventArgumentOf<'environments:status'>>().toEqualTypeOf<{ environment?: string | undefined }>();
    expectTypeOf<EventArgumentOf<'environments:changed'>>().toEqualTypeOf<{ environment?: string | undefined }>();
    expectTypeOf<EventArgumentOf<'certificates:status'>>().toEqualTypeOf<{ environment?: string | undefined }>();
    // Nothing to name: an empty object, and nothing else.
    expectTypeOf<EventArgumentOf<'tasks:updated'>>().toEqualTypeOf<Record<string, never>>();
    expectTypeOf<EventArgumentOf<'hosts:changed'>>().toEqualTypeOf<Record<string, never>>();
  });

  it('locks the payloads of the pushed events', () => {
    expectTypeOf<EventPayload<'stats:snapshot'>>().toEqualTypeOf<StatsSnapshot>();
    expectTypeOf<EventPayload<'logs:lines'>>().toEqualTypeOf<LogLines>();
    expectTypeOf<EventPayload<'environments:status'>>().toEqualTypeOf<EnvironmentStatus>();
    expectTypeOf<EventPayload<'environments:changed'>>().toEqualTypeOf<EnvironmentChange>();
    expectTypeOf<EventPayload<'hosts:changed'>>().toEqualTypeOf<HostChange>();
    expectTypeOf<EnvironmentChange['change']>().toEqualTypeOf<'created' | 'updated' | 'removed'>();
    expectTypeOf<EnvironmentChange['environment']>().toEqualTypeOf<Environment | undefined>();
    expect(eventNames).toEqual(expect.arrayContaining(['tasks:updated', 'stats:snapshot', 'stats:health', 'logs:lines', 'environments:changed', 'environments:status', 'hosts:changed']));
  });

  it('locks subscribe(event, argument, listener) → dispose, on both sides of every transport', () => {
    // The contract's shape and the core's in-process one agree on it (the renderer's client is locked in
    // test/unit/renderer/stores.spec.ts, under the web tsconfig).
    type Listen<Result> = <E extends EventName>(event: E, argument: EventArgumentOf<E>, listener: (payload: EventPayload<E>) => void) => Result;
    expectTypeOf<Subscribe>().toEqualTypeOf<Listen<() => void>>();
    expectTypeOf<Core['subscribe']>().toEqualTypeOf<Listen<Promise<() => void>>>();
    expectTypeOf<SubscriptionRef>().toEqualTypeOf<{ subscription: string }>();
  });

  it('a subscription naming an environment hears that one only; one without hears all', () => {
    const s = (environment: string) => ({ name: environment, state: 'running' as const, containers: [], servers: [], haproxy: { reachable: true, configInSync: true } });
    expect(eventMatches('environments:status', { environment: 'lab' }, s('lab'))).toBe(true);
    expect(eventMatches('environments:status', { environment: 'lab' }, s('shop'))).toBe(false);
    expect(eventMatches('environments:status', {}, s('shop'))).toBe(true);
    expect(eventMatches('logs:lines', { environment: 'lab' }, { environment: 'shop', entries: [] })).toBe(false);
  });
});
