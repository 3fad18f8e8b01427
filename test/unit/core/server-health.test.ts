import { describe, expect, it } from 'vitest';
import type { RuntimeApi } from '../../../electron/core/haproxy/runtime-api';
import { markServerDown, passedCheck, takeServerOut } from '../../../electron/core/haproxy/server-health';
import type { StatRow } from '../../../electron/core/haproxy/stat-csv';

/** A fake runtime API: records commands, answers `answer`, and reports `inFlight` sessions per `show stat`. */
class FakeRuntimeApi {
  readonly commands: string[] = [];
  constructor(
    private readonly answer = '',
    private readonly inFlight: number[] = [0],
  ) {}
  async execute(command: string): Promise<string> {
    this.commands.push(command);
    return this.answer;
  }
  async showStat(): Promise<StatRow[]> {
    this.commands.push('show stat');
    const scur = this.inFlight.length > 1 ? this.inFlight.shift()! : this.inFlight[0];
    return [
      { pxname: 'servers', svname: 'back1', scur: String(scur) },
      { pxname: 'servers', svname: 'back2', scur: '7' },
    ];
  }
  get api(): RuntimeApi {
    return this as unknown as RuntimeApi;
  }
}

describe('taking a server out through the runtime API', () => {
  it('marks it DOWN with its health, not its admin state', async () => {
    const fake = new FakeRuntimeApi();
    await markServerDown(fake.api, 'back1');
    expect(fake.commands).toEqual(['set server servers/back1 health down']);
  });

  it('says so when HAProxy refuses', async () => {
    const fake = new FakeRuntimeApi('No such server.\n');
    await expect(markServerDown(fake.api, 'back9')).rejects.toMatchObject({ code: 'RUNTIME_API', message: expect.stringContaining('No such server.') });
  });

  it('before a stop: DOWN first, then waits for its requests in flight to finish', async () => {
    const fake = new FakeRuntimeApi('', [2, 1, 0]);
    expect(await takeServerOut(fake.api, 'back1')).toEqual({ inFlight: 0 });
    expect(fake.commands).toEqual(['set server servers/back1 health down', 'show stat', 'show stat', 'show stat']);
  });

  it('does not wait past its grace for a request that never ends', async () => {
    const fake = new FakeRuntimeApi('', [1]);
    const t0 = Date.now();
    expect(await takeServerOut(fake.api, 'back1', 100)).toEqual({ inFlight: 1 });
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe('whether an UP comes from a passing check', () => {
  // Rows as HAProxy 2.6.12 gave them for a server with `rise 2 fall 3` (and `fall 1`), read from a real process.
  it('an UP read right after maintenance (health at rise, the last check’s status shown) is not one', () => {
    expect(passedCheck({ check_status: 'L7OK', check_health: '2', check_rise: '2', check_fall: '3' })).toBe(false);
  });

  it('an UP after a check passed since is one', () => {
    expect(passedCheck({ check_status: 'L7OK', check_health: '4', check_rise: '2', check_fall: '3' })).toBe(true);
    expect(passedCheck({ check_status: '* L7OK', check_health: '3', check_rise: '2', check_fall: '3' })).toBe(true);
  });

  it('a failed or unstarted check is not one', () => {
    expect(passedCheck({ check_status: 'L4CON', check_health: '0', check_rise: '2', check_fall: '3' })).toBe(false);
    expect(passedCheck({ check_status: 'INI', check_health: '2', check_rise: '2', check_fall: '3' })).toBe(false);
  });

  it('with fall 1, or without the health columns, a passing status is all there is to go by', () => {
    expect(passedCheck({ check_status: 'L7OK', check_health: '1', check_rise: '1', check_fall: '1' })).toBe(true);
    expect(passedCheck({ check_status: 'L4OK' })).toBe(true);
  });
});
