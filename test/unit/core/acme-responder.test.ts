import { describe, expect, it } from 'vitest';
import { HaproxyMapResponder } from '../../../electron/core/acme/challenge';
import type { RuntimeApi } from '../../../electron/core/haproxy/runtime-api';

/** Stands in for HAProxy's runtime API: records commands and answers like HAProxy 2.6 does. */
function fakeRuntimeApi(answer: (cmd: string) => string = () => '\n'): { api: RuntimeApi; commands: string[] } {
  const commands: string[] = [];
  const api = {
    execute: async (cmd: string) => {
      commands.push(cmd);
      return answer(cmd);
    },
  } as unknown as RuntimeApi;
  return { api, commands };
}

const MAP = '/usr/local/etc/haproxy/acme.map';

describe('the HAProxy map responder', () => {
  it('publishes an answer with `add map` (clearing a stale one first) and withdraws it with `del map`', async () => {
    const { api, commands } = fakeRuntimeApi((c) => (c.startsWith('del') ? 'Key not found.\n\n' : '\n'));
    const r = new HaproxyMapResponder(api, MAP);
    await r.add('tok_EN-1', 'tok_EN-1.thumb-PRINT_x');
    await r.remove('tok_EN-1');
    expect(commands).toEqual([`del map ${MAP} tok_EN-1`, `add map ${MAP} tok_EN-1 tok_EN-1.thumb-PRINT_x`, `del map ${MAP} tok_EN-1`]);
  });

  it('never lets a value add words to the command', async () => {
    const { api, commands } = fakeRuntimeApi();
    const r = new HaproxyMapResponder(api, MAP);
    await expect(r.add('tok', 'x; shutdown sessions')).rejects.toThrow('characters a challenge never uses');
    await expect(r.add('tok\nadd map', 'x')).rejects.toThrow('characters a challenge never uses');
    expect(commands).toEqual([]);
    expect(() => new HaproxyMapResponder(api, '/etc/acme map')).toThrow('Unsafe ACME map path');
  });

  it('says so when HAProxy has no such map (a config without the ACME rule)', async () => {
    const { api } = fakeRuntimeApi((c) => (c.startsWith('add') ? 'Unknown map identifier. Please use #<id> or <file>.\n\n' : '\n'));
    const err = await new HaproxyMapResponder(api, MAP).add('tok', 'tok.k').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RUNTIME_API' });
    expect((err as Error).message).toContain(`HAProxy has no map ${MAP}`);
  });
});
