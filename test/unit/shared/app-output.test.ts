import { describe, expect, expectTypeOf, it } from 'vitest';
import { newSince, type AppOutput } from '../../../shared/app-output';
import { eventMatches, subscriptionScope, type EventArgumentOf, type EventPayload } from '../../../shared/contract';

const out = (environment: string, server: string, ...texts: string[]): AppOutput => ({
  environment,
  server,
  lines: texts.map((text, i) => ({ at: `2026-01-01T00:00:0${i}.000000000Z`, text })),
});

describe("a replica's output, as the contract carries it", () => {
  it('a subscription names one server of one environment, and hears that one only', () => {
    expectTypeOf<EventArgumentOf<'apps:output'>>().toEqualTypeOf<{ environment: string; server: string }>();
    expectTypeOf<EventPayload<'apps:output'>>().toEqualTypeOf<AppOutput>();
    expect(eventMatches('apps:output', { environment: 'shop', server: 'back1' }, out('shop', 'back1', 'GET /'))).toBe(true);
    expect(eventMatches('apps:output', { environment: 'shop', server: 'back1' }, out('shop', 'back2', 'GET /'))).toBe(false);
    expect(eventMatches('apps:output', { environment: 'shop', server: 'back1' }, out('lab', 'back1', 'GET /'))).toBe(false);
    // Servers of one environment are followed apart; the other events keep their environment's scope.
    expect(subscriptionScope({ environment: 'shop', server: 'back1' })).toBe('shop/back1');
    expect(subscriptionScope({ environment: 'shop' })).toBe('shop');
    expect(subscriptionScope({})).toBe('*');
  });

  it('a line both in the tail read after subscribing and in the follow is shown once', () => {
    const heard = out('shop', 'back1', 'a', 'b', 'c').lines;
    expect(newSince(heard[1].at, heard).map((l) => l.text)).toEqual(['c']);
    expect(newSince(undefined, heard).map((l) => l.text)).toEqual(['a', 'b', 'c']);
    expect(newSince('2026-01-01T00:00:09.000000000Z', heard)).toEqual([]);
  });
});
