import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestUser {
  name: string;
  /** An unencrypted ed25519 key that the user's authorized_keys accepts (key users only). */
  keyPath?: string;
  password?: string;
  inDockerGroup: boolean;
}

/** Fixed names, so repeated runs reuse the accounts instead of piling them up. */
export const TEST_USERS = { dockerKey: 'sytest-key', dockerPassword: 'sytest-pw', noDocker: 'sytest-nodocker' } as const;

/**
 * A real OpenSSH server (Debian's sshd) on 127.0.0.1 with a throwaway config, host key and
 * authorized_keys in a temp folder, and three system accounts: key + docker group, password
 * + docker group, key without docker. Needs root (useradd, sshd's privilege separation).
 */
export class TestSshd {
  readonly address = '127.0.0.1';
  port = 0;
  readonly dir: string;
  readonly users: { dockerKey: TestUser; dockerPassword: TestUser; noDocker: TestUser };
  /** An ed25519 key protected by `passphrase`, also accepted for the key users. */
  readonly encryptedKey: { keyPath: string; passphrase: string };
  private proc?: ChildProcess;
  private log = '';

  private constructor(dir: string) {
    this.dir = dir;
    const key = path.join(dir, 'client', 'id_ed25519');
    this.users = {
      dockerKey: { name: TEST_USERS.dockerKey, keyPath: key, inDockerGroup: true },
      dockerPassword: { name: TEST_USERS.dockerPassword, password: `pw-${randomBytes(9).toString('base64url')}`, inDockerGroup: true },
      noDocker: { name: TEST_USERS.noDocker, keyPath: key, inDockerGroup: false },
    };
    this.encryptedKey = { keyPath: path.join(dir, 'client', 'id_ed25519_enc'), passphrase: `correct horse ${randomBytes(4).toString('hex')}` };
  }

  static async start(): Promise<TestSshd> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-sshd-'));
    // sshd reads authorized_keys as the logging-in user: the folder must be reachable by them.
    chmodSync(dir, 0o755);
    const s = new TestSshd(dir);
    try {
      mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
      for (const d of ['client', 'host', 'authorized_keys']) mkdirSync(path.join(dir, d), { mode: 0o755 });
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'switchyard-test', '-f', s.users.dockerKey.keyPath!]);
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', s.encryptedKey.passphrase, '-C', 'switchyard-test-enc', '-f', s.encryptedKey.keyPath]);
      await s.newHostKey();
      await s.ensureUsers();
      s.port = await freeLoopbackPort();
      s.writeConfig();
      await s.launch();
      return s;
    } catch (err) {
      await s.stop();
      throw err;
    }
  }

  get hostKeyPath(): string {
    return path.join(this.dir, 'host', 'ssh_host_ed25519_key');
  }

  /** The server's host key fingerprint as `ssh-keygen -lf` prints it. */
  async hostFingerprint(): Promise<{ algorithm: string; fingerprint: string }> {
    const { stdout } = await run('ssh-keygen', ['-lf', `${this.hostKeyPath}.pub`]);
    const fingerprint = stdout.split(' ')[1];
    const algorithm = readFileSync(`${this.hostKeyPath}.pub`, 'utf8').split(' ')[0];
    return { algorithm, fingerprint };
  }

  /**
   * Restarts the server with a brand-new host key (a reinstalled server, or an impostor): its
   * sessions end with it. The listener is frozen first, so that no client (a status poll that
   * reconnects at once) gets a session with the old key between the sessions' end and the stop.
   */
  async swapHostKey(): Promise<void> {
    const proc = this.proc;
    if (proc?.pid && proc.exitCode === null && proc.signalCode === null) {
      process.kill(proc.pid, 'SIGSTOP');
      this.killSessions();
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGKILL');
      await exited;
      this.proc = undefined;
    }
    await this.newHostKey();
    await this.launch();
  }

  /**
   * Kills every SSH session (the per-connection processes under the listener), which closes
   * their TCP connections as a crash or a network drop would. Returns how many were killed.
   */
  killSessions(): number {
    return this.signalSessions('SIGKILL');
  }

  /**
   * Freezes every SSH session: their TCP connections stay open but nothing answers, as when
   * a network path silently dies. killSessions() ends them afterwards.
   */
  pauseSessions(): number {
    return this.signalSessions('SIGSTOP');
  }

  private signalSessions(signal: NodeJS.Signals): number {
    if (!this.proc?.pid) return 0;
    const victims = descendants(this.proc.pid);
    for (const pid of victims) {
      try {
        process.kill(pid, signal);
      } catch {
        /* already gone */
      }
    }
    return victims.length;
  }

  /** The command lines the sessions run now: what a test waits for before it acts on them. */
  commands(): string[] {
    if (!this.proc?.pid) return [];
    return descendants(this.proc.pid).map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      } catch {
        return '';
      }
    });
  }

  /** What sshd printed (-e), for failing tests. */
  get output(): string {
    return this.log;
  }

  async stop(): Promise<void> {
    this.killSessions();
    await this.halt();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async newHostKey(): Promise<void> {
    rmSync(this.hostKeyPath, { force: true });
    rmSync(`${this.hostKeyPath}.pub`, { force: true });
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'switchyard-test-host', '-f', this.hostKeyPath]);
  }

  private async ensureUsers(): Promise<void> {
    const pub = readFileSync(`${this.users.dockerKey.keyPath}.pub`, 'utf8') + readFileSync(`${this.encryptedKey.keyPath}.pub`, 'utf8');
    for (const u of Object.values(this.users)) {
      const exists = await run('id', ['-u', u.name]).then(
        () => true,
        () => false,
      );
      if (!exists) await run('useradd', ['--create-home', '--shell', '/bin/sh', u.name]);
      if (u.inDockerGroup) await run('usermod', ['-aG', 'docker', u.name]);
      else await run('gpasswd', ['-d', u.name, 'docker']).catch(() => undefined);
      if (u.password) await runWithInput('chpasswd', `${u.name}:${u.password}\n`);
      // Without PAM, sshd refuses accounts whose password is locked ("!"), even for keys.
      else await run('usermod', ['-p', '*', u.name]);
      if (u.keyPath) writeFileSync(path.join(this.dir, 'authorized_keys', u.name), pub, { mode: 0o644 });
    }
  }

  private writeConfig(): void {
    const cfg = [
      `Port ${this.port}`,
      `ListenAddress ${this.address}`,
      `HostKey ${this.hostKeyPath}`,
      `PidFile ${path.join(this.dir, 'sshd.pid')}`,
      'UsePAM no',
      // The temp folder lives under /tmp (world-writable), which StrictModes rejects.
      'StrictModes no',
      `AuthorizedKeysFile ${path.join(this.dir, 'authorized_keys', '%u')}`,
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      `AllowUsers ${Object.values(this.users)
        .map((u) => u.name)
        .join(' ')}`,
      'AllowTcpForwarding yes',
      'AllowStreamLocalForwarding yes',
      // The benchmark opens a hundred connections in a row.
      'MaxStartups 100:30:200',
      'LogLevel VERBOSE',
    ];
    writeFileSync(path.join(this.dir, 'sshd_config'), cfg.join('\n') + '\n');
  }

  private async launch(): Promise<void> {
    const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(this.dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    proc.stderr!.on('data', (b: Buffer) => {
      this.log = (this.log + b.toString('utf8')).slice(-20_000);
    });
    const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`sshd exited (${code}): ${this.log}`))));
    exited.catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await Promise.race([canConnect(this.address, this.port), exited])) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`sshd did not listen on ${this.port}: ${this.log}`);
  }

  private async halt(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  }
}

function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: parse after its last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      /* exited while we looked */
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, parent] of parentOf) {
      if (parent === pid) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return out;
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function runWithInput(cmd: string, input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, [], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} failed (${code}): ${err}`))));
    p.stdin.end(input);
  });
}
