import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { RequestOf, ResponseOf } from '../../../shared/contract';
import type { ExportResult } from '../../../shared/exports';
import YAML from 'yaml';
import { Environment, EnvironmentInput, parseOrThrow, type EnvironmentInput as EnvInput } from '../../../shared/model';
import { composeBundle } from '../../../electron/core/export/compose';
import { stackBundle } from '../../../electron/core/export/stack';
import { jpsBundle } from '../../../electron/core/export/jps';
import { JpsManifest } from '../../../electron/core/export/jps-schema';
import { parseSections, printSections } from '../../../electron/core/export/export-config';
import { ExportService } from '../../../electron/core/export/export-service';
import type { ExportBundle, ExportFacts } from '../../../electron/core/export/export-model';
import { renderConfig } from '../../../electron/core/haproxy/render';
import { exportLines } from '../../../electron/headless/cli-export';
import { AppSecrets } from '../../../electron/core/apps/app-secrets';
import { FileSecretStore } from '../../../electron/core/secrets/secret-store';
import { localKeyCipher } from '../../../electron/core/secrets/ciphers';
import { haproxyCheck, unexpectedWarnings } from '../../support/haproxy-check';
import { readTree, readZip } from '../../support/export-check';
import { appRoot } from '../../support/lab';
import { startFakeServices, refusal, type FakeServices } from '../../support/fake-services';

const stamp = '2026-01-01T00:00:00.000Z';
const envOf = (input: EnvInput) => parseOrThrow(Environment, { ...parseOrThrow(EnvironmentInput, input), createdAt: stamp, updatedAt: stamp });
const facts: ExportFacts = { demoImage: 'switchyard/demo-backend:0123456789ab', appImage: 'sy-app/shop:latest', demoFolder: '/opt/switchyard/docker/demo-backend' };
const text = (b: ExportBundle, p: string) => {
  const f = b.files.find((x) => x.path === p);
  if (!f) throw new Error(`no ${p} in ${b.files.map((x) => x.path).join(', ')}`);
  return f.content;
};
type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- parsed YAML, checked field by field
const yamlOf = (b: ExportBundle, p: string) => YAML.parse(text(b, p)) as Yaml;
const section = (cfg: string, title: string) => parseSections(cfg).sections.find((s) => s.title === title)?.body ?? [];
const serverAddresses = (cfg: string) => section(cfg, 'backend servers').flatMap((l) => /^server (\S+) (\S+):\d+/.exec(l)?.slice(1, 3) ?? []);

/** The tutorial's app: three replicas saying their name, a secret, a `$` in a value, an external server beside them. */
const shop = (source: EnvInput['app'] extends infer A ? (A extends { source: infer S } ? S : never) : never = { kind: 'image', image: 'registry.example.com/shop:1.4' }) =>
  envOf({
    name: 'shop',
    httpPort: 18081,
    app: {
      source,
      env: [
        { name: 'BACKEND_NAME', value: '{{server}}' },
        { name: 'PRICE', value: 'a$b' },
      ],
      secrets: [{ name: 'API_TOKEN', ref: 'sealed-ref-1' }],
      memoryMb: 128,
      cpus: 0.5,
    },
    servers: [
      { name: 'app1', kind: 'app' },
      { name: 'app2', kind: 'app' },
      { name: 'app3', kind: 'app' },
      { name: 'legacy', kind: 'external', address: 'legacy.example.com', port: 8080 },
    ],
  });

/** haproxy -c on a config whose certificate and state files are somewhere this machine has them. */
let scratch: string;
let pem: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'sy-export-unit-'));
  const key = path.join(scratch, 'key.pem');
  const crt = path.join(scratch, 'crt.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=lab.example.com', '-days', '2', '-keyout', key, '-out', crt], { stdio: 'ignore' });
  pem = path.join(scratch, 'site.pem');
  writeFileSync(pem, readFileSync(crt, 'utf8') + readFileSync(key, 'utf8'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
async function expectValid(cfg: string, certFile?: string) {
  const res = await haproxyCheck(certFile ? cfg.replaceAll(certFile, pem) : cfg);
  expect(res.code, res.output).toBe(0);
  expect(unexpectedWarnings(res.output)).toEqual([]);
}

describe('the export channel', () => {
  it('takes an environment, a format and an absolute folder; answers what was written', () => {
    expectTypeOf<RequestOf<'environments:export'>>().toEqualTypeOf<{ environment: string; format: 'compose' | 'stack' | 'jps'; dir: string; zip?: boolean | undefined }>();
    expectTypeOf<ResponseOf<'environments:export'>>().toEqualTypeOf<ExportResult>();
  });
});

describe('the config an export carries', () => {
  it('is read and written back exactly as the renderer lays it out', () => {
    const cfg = renderConfig(shop(), { backendSubnets: ['172.30.0.0/16'], adminClients: ['172.31.0.1'] });
    const { head, sections } = parseSections(cfg);
    expect(printSections(head, sections)).toBe(cfg);
  });
});

describe('compose export', () => {
  it('runs the lab as Switchyard does: the config addresses each backend by a name its service answers to', async () => {
    const b = composeBundle(envOf({ name: 'lab', httpPort: 18080, images: { haproxy: 'haproxy:2.6', demoBase: 'busybox:1.37' } }), facts);
    const compose = yamlOf(b, 'compose.yaml');
    const cfg = text(b, 'haproxy/haproxy.cfg');
    expect(Object.keys(compose.services)).toEqual(['haproxy', 'back1', 'back2']);
    expect(compose.services.haproxy).toMatchObject({
      image: 'haproxy:2.6',
      ports: ['18080:8080'],
      networks: ['edge', 'backends'],
      volumes: ['./haproxy:/usr/local/etc/haproxy:ro', 'haproxy-state:/var/lib/haproxy'],
    });
    expect(compose.networks.backends).toEqual({ internal: true });
    const addresses = serverAddresses(cfg);
    expect(addresses).toEqual(['back1', 'sy-lab-back1', 'back2', 'sy-lab-back2']);
    for (const server of ['back1', 'back2']) {
      expect(compose.services[server]).toMatchObject({
        build: { context: './demo-backend', args: { BASE_IMAGE: 'busybox:1.37' } },
        image: facts.demoImage,
        environment: { BACKEND_NAME: server, PORT: '80' },
        networks: { backends: { aliases: [`sy-lab-${server}`] } },
      });
    }
    // The tutorial's behaviour, unchanged; Switchyard's runtime API and release slots, gone.
    expect(section(cfg, 'backend servers')).toContain('cookie SERVERID insert indirect nocache');
    expect(section(cfg, 'defaults')).toContain('option redispatch 1');
    expect(cfg).not.toMatch(/runtime-api|bind :9999|backend releases|defaults admin/);
    await expectValid(cfg);
    expect(b.folders).toEqual([{ path: 'demo-backend', from: facts.demoFolder }]);
    expect(b.secrets).toEqual([]);
    expect(b.files.map((f) => f.path)).not.toContain('.env');
    const readme = text(b, 'README.md');
    expect(readme).toContain('docker compose up -d');
    expect(readme).toMatch(/What Switchyard adds[\s\S]*Live toggles[\s\S]*Zero-downtime releases[\s\S]*Certificate renewals/);
  });

  it('writes each app replica with its own name, secrets as ${NAME} from an empty .env, and keeps external servers', async () => {
    const b = composeBundle(shop({ kind: 'build', context: '/home/me/shop', dockerfile: 'docker/Dockerfile' }), facts);
    const compose = yamlOf(b, 'compose.yaml');
    expect(Object.keys(compose.services)).toEqual(['haproxy', 'app1', 'app2', 'app3']);
    expect(compose.services.app2).toMatchObject({
      build: { context: './app', dockerfile: 'docker/Dockerfile' },
      image: facts.appImage,
      environment: { BACKEND_NAME: 'app2', PRICE: 'a$$b', API_TOKEN: '${API_TOKEN}' },
      mem_limit: '128m',
      cpus: 0.5,
      networks: { backends: { aliases: ['sy-shop-app2'] } },
    });
    expect(text(b, '.env')).toMatch(/^API_TOKEN=$/m);
    expect(b.files.find((f) => f.path === '.env')?.mode).toBe(0o600);
    expect(b).toMatchObject({ secrets: ['API_TOKEN'], secretsFile: '.env', folders: [{ path: 'app', from: '/home/me/shop' }] });
    const cfg = text(b, 'haproxy/haproxy.cfg');
    expect(section(cfg, 'backend servers')).toContain('server legacy legacy.example.com:8080 cookie legacy weight 100');
    expect(serverAddresses(cfg)).toEqual(['app1', 'sy-shop-app1', 'app2', 'sy-shop-app2', 'app3', 'sy-shop-app3', 'legacy', 'legacy.example.com']);
    expect(cfg).not.toContain('backend releases');
    for (const f of b.files) expect(f.content, f.path).not.toContain('sealed-ref-1');
    await expectValid(cfg);
  });

  it('with HTTPS on, listens with the certificate file the README says where to put, and no ACME map', async () => {
    const b = composeBundle(envOf({ name: 'lab', https: { enabled: true, domains: ['lab.example.com'], email: 'ops@example.com', termsAccepted: true, httpsPort: 18443, hsts: true } }), facts);
    const cfg = text(b, 'haproxy/haproxy.cfg');
    const fe = section(cfg, 'frontend web');
    expect(fe).toContain('bind :8443 ssl crt /usr/local/etc/haproxy/certs/site.pem');
    expect(fe.some((l) => l.includes('redirect code 301'))).toBe(true);
    expect(cfg).not.toContain('map(');
    expect(yamlOf(b, 'compose.yaml').services.haproxy.ports).toEqual(['8080:8080', '18443:8443']);
    expect(text(b, 'README.md')).toContain('haproxy/certs/site.pem');
    await expectValid(cfg, '/usr/local/etc/haproxy/certs/site.pem');
  });
});

describe('stack export', () => {
  it('runs the demo backends as one replicated service HAProxy finds through Swarm DNS', async () => {
    const b = stackBundle(envOf({ name: 'lab', httpPort: 18080 }), facts);
    const stack = yamlOf(b, 'stack.yaml');
    expect(stack.version).toBe('3.8');
    expect(stack.services.haproxy).toMatchObject({
      ports: [{ target: 8080, published: 18080, protocol: 'tcp', mode: 'host' }],
      configs: [{ source: 'haproxy_cfg', target: '/usr/local/etc/haproxy/haproxy.cfg' }],
      deploy: { replicas: 1 },
    });
    expect(stack.configs).toEqual({ haproxy_cfg: { file: './haproxy/haproxy.cfg' } });
    expect(stack.networks.backends).toEqual({ driver: 'overlay', internal: true });
    expect(stack.services.demo).toMatchObject({
      image: facts.demoImage,
      environment: { BACKEND_NAME: 'back{{.Task.Slot}}', PORT: '80' },
      deploy: { replicas: 2, endpoint_mode: 'dnsrr', update_config: { parallelism: 1, order: 'start-first' } },
    });
    expect(stack.services.demo.healthcheck.test).toEqual(['CMD', 'busybox', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:80/health']);
    const cfg = text(b, 'haproxy/haproxy.cfg');
    const backend = section(cfg, 'backend servers');
    expect(backend).toContain('server-template back 1-4 tasks.demo:80 weight 100 maxconn 8 check resolvers docker init-addr none');
    expect(backend).toContain('cookie SERVERID insert indirect nocache dynamic');
    expect(backend.some((l) => /^dynamic-cookie-key [0-9a-f]{24}$/.test(l))).toBe(true);
    expect(backend.some((l) => l.startsWith('server '))).toBe(false);
    expect(section(cfg, 'resolvers docker')).toContain('nameserver dns 127.0.0.11:53');
    await expectValid(cfg);
    expect(text(b, 'README.md')).toContain('docker stack deploy -c stack.yaml --resolve-image never lab');
  });

  it('runs the app as one service, each task named by its slot; no health check it cannot know; external servers kept', async () => {
    const b = stackBundle(shop(), facts);
    const stack = yamlOf(b, 'stack.yaml');
    expect(stack.services.app).toMatchObject({
      image: 'registry.example.com/shop:1.4',
      environment: { BACKEND_NAME: 'app{{.Task.Slot}}', PRICE: 'a$$b', API_TOKEN: '${API_TOKEN}' },
      deploy: { replicas: 3, endpoint_mode: 'dnsrr', resources: { limits: { cpus: '0.5', memory: '128M' } } },
    });
    expect(stack.services.app.healthcheck).toBeUndefined();
    const backend = section(text(b, 'haproxy/haproxy.cfg'), 'backend servers');
    expect(backend).toContain('server-template app 1-6 tasks.app:80 weight 100 check resolvers docker init-addr none');
    expect(backend).toContain('server legacy legacy.example.com:8080 cookie legacy weight 100');
    expect(text(b, '.env')).toMatch(/^API_TOKEN=$/m);
    expect(text(b, '.env')).toContain('set -a; . ./.env; set +a');
    await expectValid(text(b, 'haproxy/haproxy.cfg'));
  });

  it('puts the certificate in a Swarm secret, never in the export', async () => {
    const b = stackBundle(envOf({ name: 'lab', https: { enabled: true, domains: ['lab.example.com'], email: 'ops@example.com', termsAccepted: true } }), facts);
    const stack = yamlOf(b, 'stack.yaml');
    expect(stack.secrets).toEqual({ site_pem: { file: './certs/site.pem' } });
    expect(stack.services.haproxy.ports.map((p: { published: number }) => p.published)).toEqual([8080, 8443]);
    const cfg = text(b, 'haproxy/haproxy.cfg');
    expect(section(cfg, 'frontend web')).toContain('bind :8443 ssl crt /run/secrets/site.pem');
    expect(b.files.map((f) => f.path)).not.toContain('certs/site.pem');
    await expectValid(cfg, '/run/secrets/site.pem');
  });
});

describe('JPS export', () => {
  /** The config an install action writes, its placeholders filled as the platform would. */
  const installed = (body: string) => body.replace(/\$\{nodes\.[a-z0-9_]+(?:\.first|\[\d+\])\.intIP\}/g, '10.0.0.7').replaceAll('${settings.domain}', 'lab.example.com');
  const writeBody = (m: Yaml, action: string) => m.actions[action][0].writeFile[0].body as string;

  it('is a manifest the documented schema accepts: nodes, domain and e-mail fields, a certbot step', async () => {
    const b = jpsBundle(envOf({ name: 'lab' }), facts);
    const m = yamlOf(b, 'manifest.jps');
    expect(JpsManifest.safeParse(m).error).toBeUndefined();
    expect(m).toMatchObject({ type: 'install', name: 'Switchyard lab' });
    expect(m.nodes.map((n: Yaml) => [n.nodeGroup, n.count])).toEqual([
      ['bl', 1],
      ['back1', 1],
      ['back2', 1],
      ['certbot', 1],
    ]);
    expect(m.nodes[0]).toMatchObject({ image: 'haproxy:lts', extip: true, volumes: ['/usr/local/etc/haproxy', '/var/lib/haproxy'] });
    expect(m.nodes[1].env).toEqual({ BACKEND_NAME: 'back1' });
    expect(m.settings.fields.map((f: Yaml) => f.name)).toEqual(['domain', 'email']);
    expect(m.onInstall).toEqual(['configure', { "if ('${settings.domain}')": ['certificate', 'configureHttps'] }]);
    expect(m.actions.certificate[0]['cmd [certbot]'][0]).toMatch(/^certbot certonly --standalone .*-d '\$\{settings\.domain\}'/);
    const http = writeBody(m, 'configure');
    expect(section(http, 'frontend web')).toEqual(['bind :80', 'use_backend acme if { path_beg /.well-known/acme-challenge/ }', 'default_backend servers']);
    // The challenge is never redirected to HTTPS, and still reaches certbot once HTTPS is on.
    expect(section(writeBody(m, 'configureHttps'), 'frontend web').at(-2)).toBe('use_backend acme if { path_beg /.well-known/acme-challenge/ }');
    expect(section(http, 'backend servers')).toContain('server back1 ${nodes.back1.first.intIP}:80 cookie back1 weight 100 maxconn 8');
    expect(section(http, 'backend acme')).toEqual(['server certbot ${nodes.certbot.first.intIP}:80']);
    await expectValid(installed(http));
    const https = writeBody(m, 'configureHttps');
    expect(section(https, 'frontend web')).toContain('bind :443 ssl crt /etc/letsencrypt/combined.pem');
    await expectValid(installed(https), '/etc/letsencrypt/combined.pem');
  });

  it('asks for the app’s secret values in the install form; replicas that name themselves get a layer each', () => {
    const named = yamlOf(jpsBundle(shop(), facts), 'manifest.jps');
    expect(JpsManifest.safeParse(named).error).toBeUndefined();
    expect(named.settings.fields.find((f: Yaml) => f.name === 'API_TOKEN')).toMatchObject({ inputType: 'password', required: true });
    expect(named.nodes.filter((n: Yaml) => /^app/.test(n.nodeGroup)).map((n: Yaml) => [n.nodeGroup, n.count, n.env.BACKEND_NAME, n.env.API_TOKEN])).toEqual([
      ['app1', 1, 'app1', '${settings.API_TOKEN}'],
      ['app2', 1, 'app2', '${settings.API_TOKEN}'],
      ['app3', 1, 'app3', '${settings.API_TOKEN}'],
    ]);
    const same: Environment = { ...shop(), app: { ...shop().app!, env: [{ name: 'MODE', value: 'prod' }] } };
    const m = yamlOf(jpsBundle(same, facts), 'manifest.jps');
    expect(m.nodes.find((n: Yaml) => n.nodeGroup === 'app')).toMatchObject({ count: 3, image: 'registry.example.com/shop:1.4', env: { MODE: 'prod', API_TOKEN: '${settings.API_TOKEN}' } });
    expect(section(writeBody(m, 'configure'), 'backend servers')).toContain('server app3 ${nodes.app[2].intIP}:80 cookie app3 weight 100');
  });

  it('the schema refuses what the platform would: no image or node type, a misspelt key, no name, no nodes, a wrong type', () => {
    const ok = { type: 'install', name: 'x', nodes: [{ nodeGroup: 'bl', image: 'haproxy:lts' }] };
    expect(JpsManifest.safeParse(ok).success).toBe(true);
    expect(JpsManifest.safeParse({ ...ok, nodes: [{ nodeGroup: 'bl' }] }).success).toBe(false);
    expect(JpsManifest.safeParse({ ...ok, nodes: [{ nodegroup: 'bl', image: 'x' }] }).success).toBe(false);
    expect(JpsManifest.safeParse({ type: 'install', nodes: ok.nodes }).success).toBe(false);
    expect(JpsManifest.safeParse({ type: 'install', name: 'x' }).success).toBe(false);
    expect(JpsManifest.safeParse({ ...ok, nodes: [{ image: 'x', count: '2' }] }).success).toBe(false);
    expect(JpsManifest.safeParse({ ...ok, settings: { fields: [{ name: 'domain', required: 'yes' }] } }).success).toBe(false);
  });
});

describe('an environment placed on a cluster', () => {
  it('is written out as its replicas for compose, and as one service of that many tasks for a stack', () => {
    const clustered = { ...envOf({ name: 'web', servers: [{ name: 'web', kind: 'demo' }] }), cluster: { replicas: 3, slots: 8, constraints: [] } } as Environment;
    expect(Object.keys(yamlOf(composeBundle(clustered, facts), 'compose.yaml').services)).toEqual(['haproxy', 'web1', 'web2', 'web3']);
    const stack = stackBundle(clustered, facts);
    expect(yamlOf(stack, 'stack.yaml').services.demo.deploy.replicas).toBe(3);
    expect(section(text(stack, 'haproxy/haproxy.cfg'), 'backend servers')).toContain('server-template web 1-6 tasks.demo:80 weight 100 maxconn 8 check resolvers docker init-addr none');
  });
});

describe('the export service', () => {
  let s: FakeServices;
  let secrets: FileSecretStore;
  let exporter: ExportService;
  let out: string;
  const secretValue = `sekrit-${randomBytes(8).toString('hex')}`;
  beforeAll(async () => {
    s = await startFakeServices();
    secrets = new FileSecretStore(s.dataDir, () => localKeyCipher(s.dataDir, {}));
    // The environment service as the core wires it: secret values sealed as soon as they are given.
    const { EnvironmentService } = await import('../../../electron/core/environments/service');
    const envs = new EnvironmentService(
      s.store,
      s.tasks,
      s.lab.images,
      () => s.lab.target,
      async () => ({ id: 'x', user: 'me', machine: 'laptop', createdAt: stamp }),
      undefined,
      new AppSecrets(secrets),
    );
    await envs.create({
      name: 'shop',
      httpPort: 18180,
      images: { haproxy: 'fake/haproxy:2.6', demoBase: 'fake/busybox:1.35' },
      app: { source: { kind: 'image', image: 'fake/app:1' }, env: [{ name: 'BACKEND_NAME', value: '{{server}}' }], secrets: [{ name: 'API_TOKEN', value: secretValue }] },
      servers: [
        { name: 'app1', kind: 'app' },
        { name: 'app2', kind: 'app' },
        { name: 'back1', kind: 'demo' },
      ],
    });
    exporter = new ExportService({ environment: (n) => envs.get(n), demoImage: async (base) => (await s.lab.images.demoImage(base)).tag, demoFolder: path.join(appRoot, 'docker', 'demo-backend') });
    out = mkdtempSync(path.join(os.tmpdir(), 'sy-export-out-'));
    const ref = (await envs.get('shop')).app!.secrets[0].ref;
    // The seed took: the value is in the secret store, and only there.
    expect(await secrets.get(ref)).toBe(secretValue);
  });
  afterAll(async () => {
    await s.close();
    rmSync(out, { recursive: true, force: true });
  });

  it.each(['compose', 'stack', 'jps'] as const)('writes %s with no secret value in any file, in the folder or the zip', async (format) => {
    const dir = path.join(out, `shop-${format}`);
    const r = await exporter.export({ environment: 'shop', format, dir });
    expect(r).toMatchObject({ environment: 'shop', format, dir, zip: `${dir}.zip`, secrets: ['API_TOKEN'] });
    const tree = readTree(dir);
    expect([...tree.keys()].sort()).toEqual([...r.files].sort());
    const zip = readZip(`${dir}.zip`);
    expect(zip.map((e) => e.name).sort()).toEqual(r.files.map((f) => `shop-${format}/${f}`).sort());
    for (const [file, bytes] of [...tree, ...zip.map((e) => [e.name, e.data] as const)]) expect(bytes.includes(secretValue), file).toBe(false);
    if (format !== 'jps') {
      expect(readFileSync(path.join(dir, '.env'), 'utf8')).toMatch(/^API_TOKEN=$/m);
      // The demo backend's entrypoint stays executable, in the folder and in the zip.
      expect(statSync(path.join(dir, 'demo-backend/entrypoint.sh')).mode & 0o111).not.toBe(0);
      expect(zip.find((e) => e.name.endsWith('demo-backend/entrypoint.sh'))!.mode & 0o111).not.toBe(0);
    }
    // Nothing but the folder and its zip was left beside it.
    expect(
      readdirSync(out)
        .filter((n) => n.includes(`shop-${format}`))
        .sort(),
    ).toEqual([`shop-${format}`, `shop-${format}.zip`]);
  });

  it('refuses a folder that is not empty, a file, a missing parent, a zip in the way and a relative path, naming dir; nothing is written', async () => {
    const full = path.join(out, 'full');
    mkdirSync(full);
    writeFileSync(path.join(full, 'keep.txt'), 'mine');
    const file = path.join(out, 'a-file');
    writeFileSync(file, 'x');
    writeFileSync(path.join(out, 'taken.zip'), 'not mine');
    const cases: [string, string][] = [
      [full, 'exportDirNotEmpty'],
      [file, 'exportDirIsFile'],
      [path.join(out, 'no', 'such', 'place'), 'exportNoParent'],
      [path.join(out, 'taken'), 'exportZipExists'],
    ];
    const before = readdirSync(out).sort();
    for (const [dir, reason] of cases) {
      expect(await refusal(exporter.export({ environment: 'shop', format: 'compose', dir })), dir).toMatchObject({ code: 'VALIDATION', field: 'dir', reason });
    }
    expect(await refusal(exporter.export({ environment: 'shop', format: 'compose', dir: 'relative/dir' }))).toMatchObject({ code: 'VALIDATION', field: 'dir' });
    expect(readdirSync(out).sort()).toEqual(before);
    expect(readdirSync(full)).toEqual(['keep.txt']);
    expect(readFileSync(path.join(out, 'taken.zip'), 'utf8')).toBe('not mine');
  });

  it('takes an empty folder; without a zip, writes the folder only', async () => {
    const dir = path.join(out, 'empty');
    mkdirSync(dir);
    const r = await exporter.export({ environment: 'shop', format: 'stack', dir, zip: false });
    expect(r.zip).toBeUndefined();
    expect(r.files).toContain('stack.yaml');
    expect(existsSync(`${dir}.zip`)).toBe(false);
  });

  it('copies a build folder into an export made inside it, without copying the export into itself', async () => {
    const context = path.join(out, 'inside-app');
    mkdirSync(path.join(context, '.git'), { recursive: true });
    writeFileSync(path.join(context, 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(path.join(context, '.git', 'HEAD'), 'ref: x\n');
    await s.create('inside', { httpPort: 18181, app: { source: { kind: 'build', context } }, servers: [{ name: 'app1', kind: 'app' }] });
    const inside = new ExportService({ environment: (n) => s.envs.get(n), demoImage: async () => 'x', demoFolder: path.join(appRoot, 'docker', 'demo-backend') });
    const r = await inside.export({ environment: 'inside', format: 'compose', dir: path.join(context, 'export') });
    expect(r.files.filter((f) => f.startsWith('app/'))).toEqual(['app/Dockerfile']);
  });

  it('a build folder that is gone fails on its field, leaving nothing behind', async () => {
    await s.create('gone', { httpPort: 18182, app: { source: { kind: 'build', context: path.join(out, 'no-such-app') } }, servers: [{ name: 'app1', kind: 'app' }] });
    const gone = new ExportService({ environment: (n) => s.envs.get(n), demoImage: async () => 'x', demoFolder: path.join(appRoot, 'docker', 'demo-backend') });
    const before = readdirSync(out).sort();
    expect(await refusal(gone.export({ environment: 'gone', format: 'compose', dir: path.join(out, 'gone') }))).toMatchObject({
      code: 'VALIDATION',
      field: 'app.source.context',
      reason: 'contextMissing',
    });
    expect(readdirSync(out).sort()).toEqual(before);
  });

  it('the CLI says what it wrote, where the secrets go and what to run next', () => {
    const lines = exportLines({
      environment: 'shop',
      format: 'compose',
      dir: '/tmp/shop export',
      files: ['.env', 'compose.yaml'],
      zip: '/tmp/shop export.zip',
      secrets: ['API_TOKEN'],
      secretsFile: '.env',
      run: 'docker compose up -d',
    });
    expect(lines).toEqual([
      'exported shop as a Docker Compose project into /tmp/shop export',
      '  .env',
      '  compose.yaml',
      'zip: /tmp/shop export.zip',
      'secrets to fill in .env: API_TOKEN',
      "next: cd '/tmp/shop export' && docker compose up -d",
    ]);
  });
});
