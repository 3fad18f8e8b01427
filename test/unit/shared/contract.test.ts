import { describe, expect, expectTypeOf, it } from 'vitest';
import { channelNames, channels, type RequestOf, type ResponseOf, type EventPayload, type Task, type EnvironmentStatus, type TaskStarted, type Footprint, type Forgotten } from '../../../shared/contract';
import type { Environment } from '../../../shared/model';
import { createDispatcher, type Handlers } from '../../../electron/core/api';

describe('contract', () => {
  it('locks the request and response types of the main channels', () => {
    expectTypeOf<RequestOf<'environments:deploy'>>().toEqualTypeOf<{ name: string }>();
    expectTypeOf<ResponseOf<'environments:deploy'>>().toEqualTypeOf<TaskStarted>();
    expectTypeOf<ResponseOf<'environments:create'>>().toEqualTypeOf<Environment>();
    expectTypeOf<ResponseOf<'environments:status'>>().toEqualTypeOf<EnvironmentStatus>();
    expectTypeOf<RequestOf<'servers:stop'>>().toEqualTypeOf<{ environment: string; server: string }>();
    expectTypeOf<EventPayload<'tasks:updated'>>().toEqualTypeOf<Task>();
  });

  it('locks the forget channels: what may remain on the host, by name', () => {
    expectTypeOf<RequestOf<'environments:forget'>>().toEqualTypeOf<{ name: string }>();
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
    expect(await invoke('environments:get', { name: 'lab' })).toEqual({ ok: true, result: 'ran' });
    expect(await invoke('environments:get', { name: 'bad\nname' })).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'name' } });
    expect(await invoke('environments:get', { name: 'lab', extra: 1 })).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'extra' } });
    expect(await invoke('nope:nope', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    expect(called).toBe(1);
    expect(Object.keys(channels)).toEqual(channelNames);
  });
});
