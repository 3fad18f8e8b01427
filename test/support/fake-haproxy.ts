/**
 * A fake of one HAProxy master process, as the core sees it through the runtime API and the
 * published HTTP port: the servers of the `servers` backend read from its config, their admin
 * states, weights and addresses, and answers worded as HAProxy 2.6 words them. There are no
 * health checks: a server is UP while the container its address names runs (the fake engine
 * says so). The release slots of the `releases` backend behave as HAProxy 2.6's do: a slot
 * leaving maintenance reads UP, with its last check's status, until its next check (the fake
 * checks right after each `show stat`).
 * Behaviour that needs real HAProxy (reload under load, cookies, checks) is for the
 * integration tests.
 */

export type FakeAdminState = 'ready' | 'drain' | 'maint';

export interface FakeHaproxyServer {
  name: string;
  /** `host:port` as the config names it. */
  address: string;
  weight: number;
  /** The weight the config gave: a static algorithm accepts no other. */
  initialWeight: number;
  admin: FakeAdminState;
  /** `set server … health down`, until `health up` or the container starts again. */
  forcedDown: boolean;
  hits: number;
  /** A slot of a `server-template` (on a cluster): its address is the task Docker's DNS gave it, `0.0.0.0:port` while none. */
  slot?: boolean;
  /** A release slot (backend `releases`): whether it left maintenance since its last check, and that check's status. */
  probe?: { unchecked: boolean; lastCheck: string };
}

/** What the process asks of the engine it runs on. */
export interface FakeHaproxyHost {
  /** Whether the container (or the external host) a server's address names answers. */
  serverUp(address: string): boolean;
  /** An answer forced for a command (a refusal as HAProxy words one), if the test set one. */
  forcedAnswer(command: string): string | undefined;
}

/** HAProxy's admin-state bits in a server-state file (SRV_ADMF_FMAINT, SRV_ADMF_FDRAIN). */
const ADMF_FMAINT = 0x01;
const ADMF_FDRAIN = 0x08;

/** Algorithms HAProxy treats as static: a weight other than the configured one is refused. */
const STATIC_ALGORITHMS = new Set(['static-rr', 'source']);

const STAT_COLUMNS = [
  'pxname',
  'svname',
  'qcur',
  'qmax',
  'scur',
  'smax',
  'slim',
  'stot',
  'bin',
  'bout',
  'dreq',
  'dresp',
  'ereq',
  'econ',
  'eresp',
  'wretr',
  'wredis',
  'status',
  'weight',
  'act',
  'bck',
  'chkfail',
  'chkdown',
  'lastchg',
  'downtime',
  'qlimit',
  'pid',
  'iid',
  'sid',
  'throttle',
  'lbtot',
  'tracked',
  'type',
  'rate',
  'rate_lim',
  'rate_max',
  'check_status',
  'check_code',
  'check_duration',
  'hrsp_1xx',
  'hrsp_2xx',
  'hrsp_3xx',
  'hrsp_4xx',
  'hrsp_5xx',
  'hrsp_other',
  'hanafail',
  'req_rate',
  'req_rate_max',
  'req_tot',
  'addr',
];

const STATE_HEADER =
  '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';

let nextPid = 100;

export class FakeHaproxy {
  pid = nextPid++;
  /** Every runtime API command this process received, in order. */
  readonly received: string[] = [];
  servers: FakeHaproxyServer[] = [];
  /** The release slots (backend `releases`), when the config has them. */
  probes: FakeHaproxyServer[] = [];
  balance = 'roundrobin';
  /** 503s answered because no server took traffic: counted on the backend and front end only, as HAProxy does. */
  unavailable = 0;
  private turn = 0;

  constructor(
    public config: string,
    serverState: string | undefined,
    private readonly host: FakeHaproxyHost,
  ) {
    this.load(config, serverState);
  }

  /** USR2: a new worker with the config now in the file, loading the states the core saved. */
  reload(config: string, serverState: string | undefined): void {
    this.pid = nextPid++;
    this.load(config, serverState);
  }

  /** Answers one runtime API command as HAProxy does (nothing at all when it agrees). */
  answer(command: string): string {
    this.received.push(command);
    const forced = this.host.forcedAnswer(command);
    if (forced !== undefined) return forced;
    if (command === 'show info') return this.info();
    if (command === 'show stat' || command.startsWith('show stat ')) return this.stat();
    if (command === 'show servers state' || command.startsWith('show servers state ')) return this.serverState();
    const set = /^set server (\S+)\/(\S+) (state|weight|health) (\S+)$/.exec(command);
    if (set) return this.setServer(set[1], set[2], set[3], set[4]);
    const addr = /^set server (\S+)\/(\S+) addr (\S+)(?: port (\d+))?$/.exec(command);
    if (addr) return this.setAddress(addr[1], addr[2], addr[3], addr[4]);
    return `Unknown command: '${command.split(' ')[0]}'\n`;
  }

  /** One HTTP request to the front end: round robin over the servers that take traffic. */
  http(): { status: number; server?: string; body: string } {
    const ready = this.servers.filter((s) => s.admin === 'ready' && this.isUp(s) && s.weight > 0);
    if (!ready.length) {
      this.unavailable++;
      return { status: 503, body: '<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n' };
    }
    const s = ready[this.turn++ % ready.length];
    s.hits++;
    return { status: 200, server: s.name, body: `<html><body>Hello from Backend: ${s.name}</body></html>\n` };
  }

  server(name: string): FakeHaproxyServer | undefined {
    return this.servers.find((s) => s.name === name);
  }

  /** Docker's DNS gives a template slot a task's address (`10.0.1.5`), or takes it away (undefined), as the resolvers follow it. */
  resolve(slot: string, ip: string | undefined): void {
    const s = this.server(slot);
    if (!s?.slot) throw new Error(`fake haproxy: no template slot ${slot}`);
    s.address = `${ip ?? '0.0.0.0'}:${s.address.split(':').pop()}`;
  }

  private isUp(s: FakeHaproxyServer): boolean {
    if (s.probe) return this.host.serverUp(s.address);
    if (s.slot && s.address.startsWith('0.0.0.0:')) return false;
    return !s.forcedDown && this.host.serverUp(s.address);
  }

  private load(config: string, serverState: string | undefined): void {
    this.config = config;
    const before = new Map(this.servers.map((s) => [s.name, s]));
    const section = backendSection(config);
    this.balance = section.find((l) => l.startsWith('balance '))?.split(/\s+/)[1] ?? 'roundrobin';
    this.servers = section
      .filter((l) => l.startsWith('server ') || l.startsWith('server-template '))
      .flatMap((line) => {
        const words = line.split(/\s+/);
        const w = words.indexOf('weight');
        const weight = w > 0 ? Number(words[w + 1]) : 1;
        const admin: FakeAdminState = words.includes('disabled') ? 'maint' : 'ready';
        if (words[0] === 'server') return [{ name: words[1], address: words[2], weight, initialWeight: weight, admin, forcedDown: false, hits: before.get(words[1])?.hits ?? 0 }];
        // `server-template web 1-8 tasks.sy-shop-web:80`: web1 … web8, without an address until DNS gives one.
        const [first, last] = words[2].includes('-') ? words[2].split('-').map(Number) : [1, Number(words[2])];
        const port = words[3].split(':').pop();
        return Array.from({ length: last - first + 1 }, (_, i) => {
          const name = `${words[1]}${first + i}`;
          const kept = before.get(name);
          return { name, address: kept?.slot ? kept.address : `0.0.0.0:${port}`, weight, initialWeight: weight, admin, forcedDown: false, hits: kept?.hits ?? 0, slot: true };
        });
      });
    this.probes = backendSection(config, 'releases')
      .filter((l) => l.startsWith('server '))
      .map((line) => {
        const words = line.split(/\s+/);
        return { name: words[1], address: words[2], weight: 1, initialWeight: 1, admin: 'maint' as const, forcedDown: false, hits: 0, probe: { unchecked: false, lastCheck: 'INI' } };
      });
    for (const row of parseServerState(serverState)) {
      const s = this.server(row.name);
      if (!s) continue;
      s.weight = row.weight;
      // The config's `disabled` still wins: it is how a deploy puts a server in maintenance.
      if (s.admin !== 'maint') s.admin = row.admin & ADMF_FMAINT ? 'maint' : row.admin & ADMF_FDRAIN ? 'drain' : 'ready';
    }
  }

  /** A server of a backend this process has, or HAProxy's refusal. */
  private find(backend: string, name: string): FakeHaproxyServer | string {
    const list = backend === 'servers' ? this.servers : backend === 'releases' && this.probes.length ? this.probes : undefined;
    if (!list) return 'No such backend.\n';
    return list.find((s) => s.name === name) ?? 'No such server.\n';
  }

  private setAddress(backend: string, name: string, ip: string, port: string | undefined): string {
    const s = this.find(backend, name);
    if (typeof s === 'string') return s;
    const [oldIp, oldPort] = s.address.split(':');
    s.address = `${ip}:${port ?? oldPort}`;
    const ipPart = oldIp === ip ? 'no need to change the addr' : `IP changed from '${oldIp}' to '${ip}'`;
    const portPart = port === undefined ? '' : port === oldPort ? ', no need to change the port' : `, port changed from '${oldPort}' to '${port}'`;
    return `${ipPart}${portPart} by 'stats socket command'\n`;
  }

  private setServer(backend: string, name: string, what: string, value: string): string {
    const s = this.find(backend, name);
    if (typeof s === 'string') return s;
    if (what === 'state') {
      if (value !== 'ready' && value !== 'drain' && value !== 'maint') return "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n";
      // HAProxy 2.6: a server leaving maintenance is UP, its last check's status shown, until its next check.
      if (s.probe && s.admin === 'maint' && value !== 'maint') s.probe.unchecked = true;
      s.admin = value;
      return '';
    }
    if (what === 'health') {
      if (value !== 'up' && value !== 'down' && value !== 'stopping') return "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n";
      s.forcedDown = value !== 'up';
      return '';
    }
    const weight = Number(value);
    if (!/^\d+$/.test(value) || weight > 256) return 'Absolute weight can only be between 0 and 256 inclusive.\n';
    if (STATIC_ALGORITHMS.has(this.balance) && weight !== s.initialWeight && weight !== 0) {
      return "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n";
    }
    s.weight = weight;
    return '';
  }

  private info(): string {
    return ['Name: HAProxy', 'Version: 2.6.12-fake', 'Release_date: 2023/03/28', 'Nbthread: 1', `Pid: ${this.pid}`, 'Uptime_sec: 1', ''].join('\n') + '\n';
  }

  private statusOf(s: FakeHaproxyServer): string {
    if (s.admin === 'maint') return 'MAINT';
    if (s.slot && s.address.startsWith('0.0.0.0:')) return 'MAINT (resolution)';
    if (!this.isUp(s)) return 'DOWN';
    return s.admin === 'drain' ? 'DRAIN' : 'UP';
  }

  private stat(): string {
    const row = (cells: Record<string, string | number>) => STAT_COLUMNS.map((c) => String(cells[c] ?? '')).join(',') + ',';
    const hits = this.servers.reduce((n, s) => n + s.hits, 0);
    const up = this.servers.some((s) => s.admin !== 'maint' && this.isUp(s));
    const lines = [
      `# ${STAT_COLUMNS.join(',')},`,
      row({ pxname: 'web', svname: 'FRONTEND', scur: 0, stot: hits + this.unavailable, status: 'OPEN', pid: 1, type: 0, req_tot: hits + this.unavailable, hrsp_2xx: hits, hrsp_5xx: this.unavailable }),
      ...this.servers.map((s, i) => {
        const status = this.statusOf(s);
        const check = status === 'DOWN' ? 'L4CON' : 'L4OK';
        return row({
          pxname: 'servers',
          svname: s.name,
          scur: 0,
          stot: s.hits,
          status,
          weight: s.weight,
          act: 1,
          bck: 0,
          pid: 1,
          sid: i + 1,
          type: 2,
          check_status: check,
          check_duration: 0,
          lastchg: 1,
          hrsp_2xx: s.hits,
          req_tot: s.hits,
          addr: s.slot ? s.address : '',
        });
      }),
      ...this.probes.map((s, i) => {
        const status = s.admin === 'maint' ? 'MAINT' : s.probe!.unchecked ? 'UP' : this.isUp(s) ? 'UP' : 'DOWN';
        return row({ pxname: 'releases', svname: s.name, status, weight: 1, act: 1, bck: 0, pid: 1, sid: i + 1, type: 2, check_status: s.probe!.lastCheck, check_duration: 0, lastchg: 1 });
      }),
      row({
        pxname: 'servers',
        svname: 'BACKEND',
        stot: hits + this.unavailable,
        status: up ? 'UP' : 'DOWN',
        weight: this.servers.reduce((n, s) => n + s.weight, 0),
        pid: 1,
        type: 1,
        req_tot: hits + this.unavailable,
        hrsp_2xx: hits,
        hrsp_5xx: this.unavailable,
      }),
    ];
    // Then every slot out of maintenance runs a check.
    for (const p of this.probes) {
      if (p.admin === 'maint') continue;
      p.probe = { unchecked: false, lastCheck: this.isUp(p) ? 'L7OK' : 'L4CON' };
    }
    return lines.join('\n') + '\n\n';
  }

  private serverState(): string {
    const rows = this.servers.map((s, i) => {
      const admin = s.admin === 'maint' ? ADMF_FMAINT : s.admin === 'drain' ? ADMF_FDRAIN : 0;
      const [host, port] = s.address.split(':');
      return `3 servers ${i + 1} ${s.name} 172.31.0.${i + 2} ${this.isUp(s) ? 2 : 0} ${admin} ${s.weight} ${s.initialWeight} 1 6 3 4 6 0 0 0 ${host} ${port ?? 0} - 0 0 - - 0`;
    });
    return ['1', STATE_HEADER, ...rows, ''].join('\n');
  }
}

/** The indented lines of a backend (`servers` unless said otherwise), trimmed. */
function backendSection(config: string, backend = 'servers'): string[] {
  const lines = config.split('\n');
  const start = lines.findIndex((l) => l.trim() === `backend ${backend}`);
  if (start < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.trim() && !/^\s/.test(l)) break;
    if (l.trim()) out.push(l.trim());
  }
  return out;
}

function parseServerState(text: string | undefined): { name: string; admin: number; weight: number }[] {
  if (!text) return [];
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => l.split(' '))
    .map((f) => ({ name: f[3], admin: Number(f[6]) || 0, weight: Number(f[7]) }));
}

/** What `haproxy -c` says of a config; undefined when it is valid. Tests may replace it on the engine. */
export function fakeHaproxyCheck(config: string | undefined, file: string): string | undefined {
  if (config === undefined) return `[ALERT]    (1) : Cannot open configuration file/directory ${file} : No such file or directory\n`;
  const alerts: string[] = [];
  const known = new Set(['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'random', 'uri', 'url_param']);
  config.split('\n').forEach((line, i) => {
    const m = /^\s*balance\s+(\S+)/.exec(line);
    if (m && !known.has(m[1])) alerts.push(`[ALERT]    (1) : config : parsing [${file}:${i + 1}] : unknown balance algorithm '${m[1]}'.`);
  });
  if (!/^global$/m.test(config)) alerts.push(`[ALERT]    (1) : config : parsing [${file}] : no 'global' section.`);
  if (!alerts.length) return undefined;
  return [...alerts, '[ALERT]    (1) : config : Fatal errors found in configuration.', ''].join('\n');
}
