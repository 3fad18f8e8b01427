import tls from 'node:tls';
import path from 'node:path';
import type { TaskStarted } from '../../../shared/contract';
import { SwitchyardError } from '../../../shared/errors';
import { msg, type Message } from '../../../shared/messages';
import { httpsSetUp, parseOrderableSettings, type CertificateStatus, type OrderableHttpsSettings } from '../../../shared/https';
import type { Environment } from '../../../shared/model';
import { ACCOUNTS_FILE, AcmeAccounts, type SecretBox } from '../acme/account';
import type { CertificateSummary } from '../acme/certificate';
import { HaproxyMapResponder } from '../acme/challenge';
import { orderCertificate, type OrderPhase } from '../acme/order';
import { resolverAt } from '../acme/preflight';
import { RenewalScheduler } from '../acme/scheduler';
import type { EventBus } from '../events';
import type { RuntimeApi } from '../haproxy/runtime-api';
import { tarOf } from '../targets/docker-util';
import type { Target } from '../targets/target';
import type { TaskContext, TaskManager } from '../tasks/task-manager';
import { currentConfig } from './haproxy-container';
import { HAPROXY_ACME_MAP, HAPROXY_CERT_FILE, HAPROXY_STATE_DIR, names } from './naming';
import type { EnvironmentService } from './service';

/** The `haproxy` user of the official image: the key file is readable by it alone. */
const HAPROXY_UID = 99;
const PROGRESS: Record<OrderPhase, number> = { preflight: 15, order: 30, challenge: 45, finalize: 65 };

export interface HttpsOptions {
  dataDir: string;
  secrets: SecretBox;
  /** DNS servers for the preflight's look-ups (default: the system's). */
  dnsServers?: string[];
}

/**
 * One-click HTTPS: orders a certificate over ACME with HAProxy itself answering the HTTP-01
 * challenge, installs it without a dropped request (runtime API `set ssl cert` + `commit`
 * once HTTPS is on; a validated reload the first time), checks it with a real TLS handshake,
 * and renews it on schedule.
 */
export class HttpsService {
  readonly scheduler: RenewalScheduler;
  private readonly accounts: AcmeAccounts;
  private readonly issued = new Map<string, CertificateSummary>();

  constructor(
    private readonly envs: EnvironmentService,
    private readonly tasks: TaskManager,
    private readonly events: EventBus,
    private readonly opts: HttpsOptions,
  ) {
    this.accounts = new AcmeAccounts(path.join(opts.dataDir, ACCOUNTS_FILE), opts.secrets);
    this.scheduler = new RenewalScheduler({
      stateFile: path.join(opts.dataDir, 'certificates.json'),
      renew: (env) => this.renewNow(env),
      onStatus: (s) => this.events.emit('certificates:status', s),
    });
  }

  async order(environment: string): Promise<TaskStarted> {
    const env = await this.envs.get(environment);
    const settings = this.settingsOf(env);
    const task = await this.envs.exclusive(env.name, 'certificate', (ctx) => this.issue(env, settings, ctx));
    return { taskId: task.id };
  }

  async status(environment: string): Promise<CertificateStatus | null> {
    await this.envs.get(environment);
    // A one-shot process (the CLI) has not read the saved statuses yet.
    await this.scheduler.tracked();
    return this.scheduler.statuses().find((s) => s.environment === environment) ?? null;
  }

  /** Renews only while HTTPS is on: stops when it is switched off (or its settings removed), resumes when back on. */
  async settingsChanged(env: Environment): Promise<void> {
    if (env.https?.enabled) await this.scheduler.resume(env.name);
    else await this.scheduler.pause(env.name);
  }

  /** Forgets `environment`'s certificate once it is gone: the environment was destroyed or removed. */
  async forget(environment: string): Promise<void> {
    this.issued.delete(environment);
    await this.scheduler.untrack(environment);
  }

  /**
   * Starts renewing, after catching up with what changed while the scheduler was not running
   * (a CLI command, or state saved before removals were forgotten).
   */
  async startRenewals(): Promise<void> {
    // An unreadable store forgets nothing: better a failed renewal than a lost certificate.
    const envs = await this.envs.list().catch(() => undefined);
    if (envs) {
      for (const id of await this.scheduler.tracked()) {
        const env = envs.find((e) => e.name === id);
        if (env) await this.settingsChanged(env);
        else await this.forget(id);
      }
    }
    await this.scheduler.start();
  }

  private settingsOf(env: Environment): OrderableHttpsSettings {
    // Settings that only keep the HTTPS port name nothing to certify yet.
    if (!httpsSetUp(env.https)) throw SwitchyardError.because('VALIDATION', 'httpsNotSetUp', {}, { field: 'https' });
    const settings = parseOrderableSettings(env.https);
    if (!settings.enabled) throw SwitchyardError.because('VALIDATION', 'httpsOff', {}, { field: 'https.enabled' });
    return settings;
  }

  private async renewNow(environment: string): Promise<CertificateSummary> {
    const { taskId } = await this.order(environment);
    const end = await this.tasks.whenDone(taskId);
    if (end.state !== 'succeeded') throw SwitchyardError.fromInfo(end.error ?? { code: 'INTERNAL', message: end.message });
    return this.issued.get(environment)!;
  }

  private async issue(env: Environment, settings: OrderableHttpsSettings, ctx: TaskContext): Promise<Message> {
    ctx.step('prepare', 5, msg('https.prepare'));
    // The load balancer must carry the challenge rule and publish the HTTPS port: a deploy
    // does exactly that. Its plan says first whether anything is to be done: the usual case
    // once the environment keeps its HTTPS port, and on every renewal.
    const plan = await this.envs.plan(env.name).catch(() => undefined);
    if (!plan?.unchanged) await this.envs.deployWithin(env, quiet(ctx), { trigger: { kind: 'https' } });
    const target = await this.envs.target(env);
    const api = await this.envs.runtimeApi(env);
    if (!api) throw SwitchyardError.because('RUNTIME_API', 'notRunning', { env: env.name });

    const cert = await orderCertificate({
      settings,
      accounts: this.accounts,
      responder: new HaproxyMapResponder(api, HAPROXY_ACME_MAP),
      // The CA connects to its own port (80 for Let's Encrypt), whatever the environment listens on.
      preflight: { listenPort: env.httpPort, resolve: resolverAt(this.opts.dnsServers) },
      onProgress: (p) => ctx.step(p.phase, PROGRESS[p.phase], p.message),
      signal: ctx.signal,
    });

    ctx.step('install', 80, msg('https.install'));
    await this.install(env, target, api, cert.combinedPem, ctx);

    ctx.step('verify', 92, msg('https.verify', { port: settings.httpsPort }));
    const served = await servedSerial(target, settings.httpsPort, settings.domains[0]);
    if (served !== withoutLeadingZeros(cert.summary.serial)) {
      throw new SwitchyardError('INTERNAL', `The load balancer serves certificate ${served}, not the new one (${cert.summary.serial})`);
    }
    await this.scheduler.track(env.name, settings.domains, cert.summary);
    this.issued.set(env.name, cert.summary);
    return msg('https.done', { domains: settings.domains.join(', '), serial: cert.summary.serial, until: { date: cert.summary.notAfter } });
  }

  /**
   * The key file is written where HAProxy reads it (for its next start); when HTTPS already
   * runs, the live certificate is swapped through the runtime API, otherwise a validated
   * reload adds the HTTPS listener.
   */
  private async install(env: Environment, target: Target, api: RuntimeApi, pem: string, ctx: TaskContext): Promise<void> {
    const lb = target.docker.getContainer(names.haproxy(env.name));
    const running = (await currentConfig(lb)) ?? '';
    await lb.putArchive(await tarOf([{ name: 'certs/site.pem', content: pem, mode: 0o600, uid: HAPROXY_UID, gid: HAPROXY_UID }]), { path: HAPROXY_STATE_DIR });
    if (running.includes(`ssl crt ${HAPROXY_CERT_FILE}`)) {
      const set = await api.execute(`set ssl cert ${HAPROXY_CERT_FILE}`, pem);
      if (!/Transaction (created|updated)/i.test(set)) throw new SwitchyardError('RUNTIME_API', `HAProxy refused the new certificate: ${set.trim()}`);
      const commit = await api.execute(`commit ssl cert ${HAPROXY_CERT_FILE}`);
      if (!/Success/i.test(commit)) throw new SwitchyardError('RUNTIME_API', `HAProxy could not switch to the new certificate: ${commit.trim()}`);
      return;
    }
    await this.envs.deployWithin(env, quiet(ctx), { trigger: { kind: 'https' } });
  }
}

/** A task context for a deploy run inside another task: its steps become notes. */
function quiet(ctx: TaskContext): TaskContext {
  return {
    ...ctx,
    step: (name, _p, text) => ctx.note(msg('task.nested', { step: { step: name }, text })),
    progress: (_p, text) => ctx.note(text),
  };
}

/**
 * Serials are compared as numbers: the summary keeps the whole first byte ("0d20…"), as
 * browsers show it, and a serial whose first digit is 0 (one in 16) must still match itself.
 */
const withoutLeadingZeros = (serial: string) => serial.toLowerCase().replace(/^0+/, '');

/** The serial of the certificate a TLS client gets for `servername` (lower-case hex, no leading zeros). */
function servedSerial(target: Target, port: number, servername: string): Promise<string> {
  return target.connectLoopback(port).then(
    (socket) =>
      new Promise<string>((resolve, reject) => {
        // Trust is checked by serial against what was just issued, not against a CA store.
        const conn = tls.connect({ socket, servername, rejectUnauthorized: false }, () => {
          const serial = conn.getPeerCertificate().serialNumber ?? '';
          conn.end();
          resolve(withoutLeadingZeros(serial));
        });
        conn.setTimeout(5000, () => conn.destroy(new Error('TLS handshake timed out')));
        conn.on('error', (e) => reject(new SwitchyardError('INTERNAL', `No TLS handshake on port ${port}: ${e.message}`)));
      }),
  );
}
