import net from 'node:net';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnection } from '../../../electron/core/targets/ssh-connection';
import { hostKeyOf } from '../../../electron/core/targets/ssh-errors';

/**
 * An in-process SSH server (ssh2's own) that answers a command at once: the channel's
 * confirmation, its output, exit status, end and close leave in one write, as a busy real
 * server's answer can reach the client in one read.
 */
describe('a command whose whole answer arrives in one read', () => {
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
  const parsed = ssh2.utils.parseKey(hostKey.private);
  if (parsed instanceof Error) throw parsed;
  const pinned = hostKeyOf(parsed.getPublicSSH());
  let server: ssh2.Server;
  let port = 0;

  beforeAll(async () => {
    server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
      const sock = (client as unknown as { _sock: net.Socket })._sock;
      client.on('authentication', (ctx) => (ctx.method === 'password' && ctx.password === 'pw' ? ctx.accept() : ctx.reject(['password'])));
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => {
          // Held back and sent together.
          sock.cork();
          const ch = acceptExec();
          const status = /exit (\d+)/.exec(info.command);
          ch.write(`ran ${info.command}\n`);
          ch.exit(status ? Number(status[1]) : 0);
          ch.end();
          process.nextTick(() => sock.uncork());
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads its exit status and output instead of calling the connection lost', async () => {
    const conn = new SshConnection({ hostId: 'box', address: '127.0.0.1', port, user: 'me', hostKey: pinned, credentials: async () => ({ method: 'password', password: 'pw' }) });
    try {
      for (let i = 0; i < 20; i++) {
        expect(await conn.exec('true')).toEqual({ code: 0, stdout: 'ran true\n', stderr: '' });
        expect((await conn.exec('exit 3')).code).toBe(3);
      }
    } finally {
      await conn.close();
    }
  });
});
