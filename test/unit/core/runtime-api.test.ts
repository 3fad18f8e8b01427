import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeApi } from '../../../electron/core/haproxy/runtime-api';

// A stand-in for HAProxy's CLI (a real HAProxy is used by the integration tests): it records
// what it receives and answers like the CLI, closing after one command.
let server: net.Server | undefined;
afterEach(() => server?.close());

async function cli(answer: string): Promise<{ port: number; received: Promise<string> }> {
  let resolveReceived!: (s: string) => void;
  const received = new Promise<string>((r) => (resolveReceived = r));
  server = net.createServer((sock) => {
    let data = '';
    sock.on('data', (c) => {
      data += c.toString();
      if (data.endsWith('\n\n') || (!data.includes('<<') && data.endsWith('\n'))) {
        resolveReceived(data);
        sock.end(answer);
      }
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { port: (server!.address() as net.AddressInfo).port, received };
}

describe('runtime API client', () => {
  it('sends one command per connection and returns the answer', async () => {
    const { port, received } = await cli('Name: HAProxy\nVersion: 2.6.12\nPid: 8\n\n');
    const api = new RuntimeApi(() => Promise.resolve(net.connect(port, '127.0.0.1')), 'lab');
    expect(await api.showInfo()).toMatchObject({ Version: '2.6.12', Pid: '8' });
    expect(await received).toBe('show info\n');
  });

  it('sends payload commands with << and an empty line', async () => {
    const { port, received } = await cli('\n');
    const api = new RuntimeApi(() => Promise.resolve(net.connect(port, '127.0.0.1')), 'lab');
    await api.execute('add map #0', 'tok1 key1\ntok2 key2\n');
    expect(await received).toBe('add map #0 <<\ntok1 key1\ntok2 key2\n\n');
  });

  it('refuses a command with a line break (it would smuggle a second command)', async () => {
    const api = new RuntimeApi(() => Promise.reject(new Error('never called')), 'lab');
    await expect(api.execute('show info\nshutdown frontend web')).rejects.toThrow(/line break/);
  });
});
