/**
 * The stats poller's cheap reads: a kept runtime API connection in interactive mode, against a
 * fake runtime API (a TCP server that answers like HAProxy's `prompt` mode; not HAProxy), and the
 * CSV reader that keeps only the rows and columns the poller shows.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeApi } from '../../../electron/core/haproxy/runtime-api';
import { parseStatCsv, pickStatRows } from '../../../electron/core/haproxy/stat-csv';

/** Answers `prompt` and other lines like HAProxy's CLI in interactive mode; `pid` names the process a connection reached. */
class FakeRuntimeApi {
  readonly server: net.Server;
  connections = 0;
  lines: string[] = [];
  silent = false;
  pid = 7;
  constructor() {
    this.server = net.createServer((socket) => {
      this.connections++;
      const pid = this.pid;
      let rest = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          this.lines.push(line);
          if (this.silent) continue;
          const answers = line.split(';').map((cmd) => (cmd === 'prompt' ? '' : cmd === 'show info' ? `Name: HAProxy\nPid: ${pid}\n` : `answer to ${cmd}\n`));
          // HAProxy ends each answer with a new line and the prompt; sent in two pieces, as TCP may deliver it.
          const text = `${answers.join('')}\n> `;
          socket.write(text.slice(0, 3));
          setTimeout(() => socket.write(text.slice(3)), 1);
        }
      });
    });
  }
  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }
}

let fake: FakeRuntimeApi | undefined;
afterEach(async () => {
  fake?.server.close();
  fake = undefined;
});

async function sessionOn(opts: { maxAgeMs?: number; timeoutMs?: number; now?: () => number } = {}) {
  fake = new FakeRuntimeApi();
  const port = await fake.listen();
  const api = new RuntimeApi(() => Promise.resolve(net.connect(port, '127.0.0.1')), 'lab', opts.timeoutMs ?? 3000);
  return api.session(opts);
}

describe('a kept runtime API connection', () => {
  it('answers command after command on one connection; what runs once per connection runs once', async () => {
    const session = await sessionOn();
    expect(await session.execute('show stat', 'show info')).toBe('Name: HAProxy\nPid: 7\nanswer to show stat\n\n');
    expect(await session.execute('show stat', 'show info')).toBe('answer to show stat\n\n');
    expect(await Promise.all([session.execute('a'), session.execute('b')])).toEqual(['answer to a\n\n', 'answer to b\n\n']);
    expect(fake!.connections).toBe(1);
    expect(fake!.lines).toEqual(['prompt', 'show info;show stat', 'show stat', 'a', 'b']);
    session.close();
  });

  it('is renewed when it is old, or when told (a reload), after the command under way', async () => {
    let now = 0;
    const session = await sessionOn({ maxAgeMs: 10_000, now: () => now });
    await session.execute('show stat', 'show info');
    now = 10_000;
    fake!.pid = 8;
    expect(await session.execute('show stat', 'show info')).toContain('Pid: 8');
    const sent = fake!.lines.length;
    const under = session.execute('show stat', 'show info');
    while (fake!.lines.length === sent) await new Promise((r) => setTimeout(r, 1));
    session.renew();
    expect(await under).toBe('answer to show stat\n\n');
    fake!.pid = 9;
    expect(await session.execute('show stat', 'show info')).toContain('Pid: 9');
    expect(fake!.connections).toBe(3);
    session.close();
  });

  it('a runtime API that does not answer times out, and the next command tries a new connection', async () => {
    const session = await sessionOn({ timeoutMs: 100 });
    await session.execute('show info');
    fake!.silent = true;
    await expect(session.execute('show stat')).rejects.toMatchObject({ code: 'TIMEOUT' });
    fake!.silent = false;
    expect(await session.execute('show stat')).toBe('answer to show stat\n\n');
    expect(fake!.connections).toBe(2);
    session.close();
  });

  it('a closed connection fails what waits on it with RUNTIME_API', async () => {
    const session = await sessionOn();
    await session.execute('show info');
    fake!.silent = true;
    const waiting = session.execute('show stat');
    await new Promise((r) => setTimeout(r, 20));
    session.close();
    await expect(waiting).rejects.toMatchObject({ code: 'RUNTIME_API' });
  });
});

describe('picking stat rows', () => {
  const header = '# pxname,svname,qcur,scur,status,weight,lastchg,check_status,req_rate,req_tot,';
  const text = [
    header,
    'web,FRONTEND,,3,OPEN,,,,12,400,',
    'servers,back1,0,1,UP,100,30,L7OK,,200,',
    'servers,back2,0,2,DOWN 1/2,50,4,L4CON,,199,',
    'servers,BACKEND,0,3,UP,150,30,,,399,',
    'runtime-api,FRONTEND,,1,OPEN,,,,0,7,',
    '',
    '',
  ].join('\n');
  const keep = (px: string, sv: string) => (px === 'web' && sv === 'FRONTEND') || (px === 'servers' && sv !== 'BACKEND');

  it('keeps the rows asked for, with the columns asked for, as the full parser reads them', () => {
    const cols = ['svname', 'status', 'weight', 'req_tot', 'check_status', 'scur'] as const;
    const picked = pickStatRows(text, cols, keep);
    const full = parseStatCsv(text).filter((r) => keep(r.pxname, r.svname));
    expect(picked).toEqual(full.map((r) => Object.fromEntries(cols.map((c) => [c, r[c]]))));
    expect(picked.map((r) => [r.svname, r.status, r.req_tot])).toEqual([
      ['FRONTEND', 'OPEN', '400'],
      ['back1', 'UP', '200'],
      ['back2', 'DOWN 1/2', '199'],
    ]);
  });

  it('gives an empty cell for a column HAProxy does not have, and nothing for a text without a header', () => {
    expect(pickStatRows(text, ['svname', 'hrsp_5xx'] as const, keep)[1]).toEqual({ svname: 'back1', hrsp_5xx: '' });
    expect(pickStatRows('Unknown command\n', ['svname'] as const, () => true)).toEqual([]);
  });
});
