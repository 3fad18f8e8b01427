import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import { SwitchyardError } from '../../../shared/errors';
import type { HostCheckResult, SshHost } from '../../../shared/hosts';
import { english, msg, type Message } from '../../../shared/messages';
import { LOCAL_HOST } from '../../../shared/model';
import HostsView from '../../../renderer/views/HostsView.vue';
import EnvironmentForm from '../../../renderer/components/EnvironmentForm.vue';
import { formFrom } from '../../../renderer/lib/environment-form';
import { NSelect } from 'naive-ui';
import { FakeTransport, freshApp, mountInApp, settle, unmountAll } from './fake-transport';

const FP_NEW = 'SHA256:Lq4Z+MP3sNz/c1jh1tMyjIrRZKQIonBujtFet9n3qlw';
const FP_OLD = 'SHA256:AAAZ+MP3sNz/c1jh1tMyjIrRZKQIonBujtFet9n3qlw';
const vps = (over: Partial<SshHost> = {}): SshHost => ({
  kind: 'ssh',
  id: 'vps',
  name: 'vps',
  address: '203.0.113.10',
  port: 22,
  user: 'deploy',
  auth: { method: 'password', passwordRef: 'ref-0123456789' },
  ...over,
});
const passing = (): HostCheckResult[] => [
  { check: 'reachable', ok: true, message: 'The SSH server of vps answers' },
  { check: 'host-key', ok: true, message: 'The host key matches the trusted one' },
  { check: 'authenticated', ok: true, message: 'Logged in as deploy' },
  { check: 'docker', ok: true, message: 'Docker 20.10.24 (API 1.41)' },
  { check: 'docker-access', ok: true, message: 'deploy may use Docker' },
  { check: 'architecture', ok: true, message: 'x86_64 (amd64)' },
  { check: 'disk', ok: true, message: '12.0 GB free' },
];
const keyProblem = (kind: 'unknown' | 'changed'): HostCheckResult[] => [
  { check: 'reachable', ok: true, message: 'The SSH server of vps answers' },
  {
    check: 'host-key',
    ok: false,
    message: 'not trusted',
    detail: kind === 'unknown' ? 'host-key-unknown' : 'host-key-changed',
    // The key crosses as typed fields: the window reads them, not the detail.
    hostKey: { kind, presented: { algorithm: 'ssh-ed25519', fingerprint: FP_NEW }, ...(kind === 'changed' ? { expected: FP_OLD } : {}) },
  },
  ...['authenticated', 'docker', 'docker-access', 'architecture', 'disk'].map((c) => ({ check: c as HostCheckResult['check'], ok: false, message: 'Not checked', skipped: true as const })),
];

let fake: FakeTransport;
let wrapper: VueWrapper | undefined;
beforeEach(() => {
  fake = freshApp();
});
afterEach(unmountAll);

async function fill(w: VueWrapper, field: string, value: string): Promise<void> {
  await w.find(`[data-test=${field}] input`).setValue(value);
}

describe('HostsView', () => {
  it('adds a host, shows the fingerprint to compare, trusts it, and shows every check passing', async () => {
    let stored: SshHost | undefined;
    let trusted = false;
    fake
      .handle('hosts:list', () => [LOCAL_HOST, ...(stored ? [stored] : [])])
      .handle('hosts:add', (input) => (stored = vps({ name: input.name, id: input.name, address: input.address, user: input.user })))
      .handle('hosts:check', () => (trusted ? passing() : keyProblem('unknown')))
      .handle('hosts:trust', ({ hostKey }) => {
        trusted = true;
        return (stored = { ...stored!, hostKey });
      });
    wrapper = mountInApp(HostsView);
    await settle();
    expect(wrapper.findAll('[data-test=host-card]')).toHaveLength(1); // this computer

    await wrapper.find('[data-test=add-host]').trigger('click');
    await fill(wrapper, 'host-name', 'vps');
    await fill(wrapper, 'host-address', '203.0.113.10');
    await fill(wrapper, 'host-user', 'deploy');
    await wrapper.find('[data-test=host-method-password] input').setValue(true);
    await settle();
    await fill(wrapper, 'host-password', 's3cret pass');
    await wrapper.find('[data-test=host-form]').trigger('submit');
    await settle();

    expect(fake.callsTo('hosts:add')).toEqual([{ name: 'vps', address: '203.0.113.10', port: 22, user: 'deploy', auth: { method: 'password', password: 's3cret pass' } }]);
    const question = wrapper.find('[data-test=host-key-question]');
    expect(question.attributes('data-kind')).toBe('unknown');
    expect(question.find('[data-test=presented-fingerprint]').text()).toBe(FP_NEW);
    expect(question.text()).toContain('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub');

    await question.find('[data-test=host-trust]').trigger('click');
    await settle();
    expect(fake.callsTo('hosts:trust')).toEqual([{ id: 'vps', hostKey: { fingerprint: FP_NEW, algorithm: 'ssh-ed25519' } }]);
    expect(wrapper.find('[data-test=host-key-question]').exists()).toBe(false);
    expect(wrapper.find('[data-test=host-fingerprint]').text()).toContain(FP_NEW);
    const lines = wrapper.findAll('[data-test=host-checks] li');
    expect(lines.map((l) => l.attributes('data-ok'))).toEqual(Array(7).fill('true'));
    expect(wrapper.find('[data-test=host-ready]').exists()).toBe(true);
  });

  it('puts form problems on their fields in the user’s language, and sends nothing', async () => {
    fake.handle('hosts:list', () => [LOCAL_HOST]);
    wrapper = mountInApp(HostsView, {}, 'fr');
    await settle();
    await wrapper.find('[data-test=add-host]').trigger('click');
    await fill(wrapper, 'host-name', 'local');
    await fill(wrapper, 'host-address', 'bad host');
    await fill(wrapper, 'host-keyPath', 'relative/id_ed25519');
    await wrapper.find('[data-test=host-form]').trigger('submit');
    await settle();
    const text = wrapper.find('[data-test=host-form]').text();
    expect(text).toContain('« local » désigne cet ordinateur');
    expect(text).toContain('Un nom d’hôte ou une adresse IPv4, sans port.');
    expect(text).toContain('Le chemin absolu d’un fichier de clé privée');
    expect(text).toContain('Obligatoire.'); // the user, left empty
    expect(fake.callsTo('hosts:add')).toEqual([]);
  });

  it('shows the core’s refusal on the field it names', async () => {
    fake.handle('hosts:list', () => [LOCAL_HOST, vps()]).handle('hosts:add', () => ({ error: { code: 'ALREADY_EXISTS', message: 'A host named "vps" already exists', field: 'name' } }));
    wrapper = mountInApp(HostsView);
    await settle();
    await wrapper.find('[data-test=add-host]').trigger('click');
    await fill(wrapper, 'host-name', 'vps');
    await fill(wrapper, 'host-address', 'example.org');
    await fill(wrapper, 'host-user', 'deploy');
    await wrapper.find('[data-test=host-method-agent] input').setValue(true);
    await settle();
    await wrapper.find('[data-test=host-form]').trigger('submit');
    await settle();
    expect(wrapper.find('[data-test=host-form]').text()).toContain('A host named "vps" already exists');
    expect(wrapper.find('[data-test=host-form]').exists()).toBe(true); // still open, input kept
  });

  it('in French, puts the core’s refusal on its field in French', async () => {
    const taken = SwitchyardError.because('ALREADY_EXISTS', 'host', { host: 'vps' }, { field: 'name' }).toInfo();
    fake.handle('hosts:list', () => [LOCAL_HOST, vps()]).handle('hosts:add', () => ({ error: taken }));
    wrapper = mountInApp(HostsView, {}, 'fr');
    await settle();
    await wrapper.find('[data-test=add-host]').trigger('click');
    await fill(wrapper, 'host-name', 'vps');
    await fill(wrapper, 'host-address', 'example.org');
    await fill(wrapper, 'host-user', 'deploy');
    await wrapper.find('[data-test=host-method-agent] input').setValue(true);
    await settle();
    await wrapper.find('[data-test=host-form]').trigger('submit');
    await settle();
    const form = wrapper.find('[data-test=host-form]').text();
    expect(form).toContain('Un hôte nommé vps existe déjà.');
    expect(form).not.toContain('already exists');
  });

  it('a changed host key is shown in red with both fingerprints, and trusting it asks first', async () => {
    fake
      .handle('hosts:list', () => [LOCAL_HOST, vps({ hostKey: { algorithm: 'ssh-ed25519', fingerprint: FP_OLD } })])
      .handle('hosts:check', () => keyProblem('changed'))
      .handle('hosts:trust', ({ hostKey }) => vps({ hostKey }));
    wrapper = mountInApp(HostsView);
    await settle();
    await wrapper.find('[data-host=vps] [data-test=host-check]').trigger('click');
    await settle();
    const question = wrapper.find('[data-test=host-key-question]');
    expect(question.attributes('data-kind')).toBe('changed');
    expect(question.text()).toContain(FP_OLD);
    expect(question.text()).toContain(FP_NEW);
    expect(question.text()).toContain('Nothing was sent to it');
    await question.find('[data-test=host-trust]').trigger('click');
    await settle();
    expect(fake.callsTo('hosts:trust')).toEqual([]); // not before the confirmation
    const confirm = [...document.body.querySelectorAll('.n-dialog button')].find((b) => b.textContent?.includes('Trust the new key')) as HTMLButtonElement;
    expect(document.body.textContent).toContain(`its key is ${FP_NEW}`);
    confirm.click();
    await settle();
    expect(fake.callsTo('hosts:trust')).toEqual([{ id: 'vps', hostKey: { fingerprint: FP_NEW, algorithm: 'ssh-ed25519' } }]);
  });

  it('changes a host’s credentials: only the way to log in is asked, the new password goes once to the core, then the checks run', async () => {
    const SECRET = 'n3w-pa55word';
    fake
      .handle('hosts:list', () => [LOCAL_HOST, vps({ hostKey: { algorithm: 'ssh-ed25519', fingerprint: FP_NEW } })])
      .handle('hosts:credentials', ({ id, auth }) =>
        vps({ id, hostKey: { algorithm: 'ssh-ed25519', fingerprint: FP_NEW }, auth: auth.method === 'password' ? { method: 'password', passwordRef: 'ref-new-000000' } : { method: 'agent' } }),
      )
      .handle('hosts:check', () => passing());
    wrapper = mountInApp(HostsView);
    await settle();
    await wrapper.find('[data-host=vps] [data-test=host-credentials]').trigger('click');
    await settle();
    const form = wrapper.find('[data-host=vps] [data-test=host-form]');
    expect(form.find('[data-test=host-name]').exists()).toBe(false);
    expect(form.find('[data-test=host-credentials-hint]').text()).toContain('deploy@203.0.113.10');
    await form.find('[data-test=host-password] input').setValue(SECRET);
    await form.find('[data-test=host-submit]').trigger('click');
    await settle();
    expect(fake.callsTo('hosts:credentials')).toEqual([{ id: 'vps', auth: { method: 'password', password: SECRET } }]);
    expect(fake.callsTo('hosts:check').length).toBeGreaterThan(0);
    expect(wrapper.find('[data-host=vps] [data-test=host-form]').exists()).toBe(false);
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it('names the failed check and marks the ones after it as not checked', async () => {
    fake
      .handle('hosts:list', () => [LOCAL_HOST, vps({ hostKey: { algorithm: 'ssh-ed25519', fingerprint: FP_NEW } })])
      .handle('hosts:check', () => [
        { check: 'reachable', ok: true, message: 'The SSH server of vps answers' },
        { check: 'host-key', ok: true, message: 'The host key matches the trusted one' },
        { check: 'authenticated', ok: true, message: 'Logged in as deploy' },
        { check: 'docker', ok: true, message: 'Docker is installed' },
        { check: 'docker-access', ok: false, message: 'Run "sudo usermod -aG docker deploy" on vps', detail: 'docker-permission-denied', code: 'DOCKER_ACCESS_DENIED' },
        { check: 'architecture', ok: true, message: 'x86_64' },
        { check: 'disk', ok: true, message: '12 GB free' },
      ]);
    wrapper = mountInApp(HostsView, {}, 'fr');
    await settle();
    await wrapper.find('[data-host=vps] [data-test=host-check]').trigger('click');
    await settle();
    const bad = wrapper.find('[data-test=host-checks] li[data-check=docker-access]');
    expect(bad.attributes('data-ok')).toBe('false');
    expect(bad.text()).toContain('Accès à Docker');
    expect(bad.text()).toContain('sudo usermod -aG docker deploy');
    expect(bad.find('[data-test=check-code]').text()).toBe('Cet utilisateur n’a pas le droit d’utiliser Docker sur l’hôte.');
    expect(wrapper.find('[data-test=host-ready]').exists()).toBe(false);
  });

  it('in French, says what each check found and what to do, from the codes the core sends', async () => {
    // As the core words them: a message code for a passed check, an error case for a failed one.
    const passed = (check: HostCheckResult['check'], text: Message): HostCheckResult => ({ check, ok: true, message: english(text), text });
    const failed = (check: HostCheckResult['check'], e: SwitchyardError, extra: Partial<HostCheckResult> = {}): HostCheckResult => ({
      check,
      ok: false,
      message: e.message,
      code: e.code,
      reason: e.reason,
      params: e.params,
      ...extra,
    });
    fake
      .handle('hosts:list', () => [LOCAL_HOST, vps({ hostKey: { algorithm: 'ssh-ed25519', fingerprint: FP_NEW } })])
      .handle('hosts:check', () => [
        passed('reachable', msg('check.sshAnswers', { host: 'vps' })),
        passed('host-key', msg('check.keyMatchesFingerprint', { fingerprint: FP_NEW })),
        passed('authenticated', msg('check.loggedIn', { user: 'deploy' })),
        passed('docker', msg('check.dockerInstalledAt', { cli: '/usr/bin/docker' })),
        failed('docker-access', SwitchyardError.because('DOCKER_ACCESS_DENIED', 'notInGroup', { user: 'deploy', host: 'vps' }), { detail: 'docker-permission-denied' }),
        failed('architecture', SwitchyardError.because('HOST_NOT_READY', 'architecture', { arch: 'mips' })),
        failed('disk', SwitchyardError.because('HOST_NOT_READY', 'diskLow', { space: msg('check.diskFreeDocker', { free: { decimal: 1.5 }, mount: '/', dockerDir: '/var/lib/docker' }) })),
        { ...failed('port', SwitchyardError.because('PORT_IN_USE', 'host', { port: 8080, host: 'vps' })), port: 8080 },
      ]);
    wrapper = mountInApp(HostsView, {}, 'fr');
    await settle();
    await wrapper.find('[data-host=vps] [data-test=host-check]').trigger('click');
    await settle();
    const line = (check: string) => wrapper!.find(`[data-test=host-checks] li[data-check=${check}]`).text();
    expect(line('reachable')).toContain('Le serveur SSH de vps répond');
    expect(line('host-key')).toContain(`La clé de l’hôte est celle qui a été approuvée (${FP_NEW})`);
    expect(line('authenticated')).toContain('Connecté en tant que deploy');
    expect(line('docker')).toContain('Docker est installé (/usr/bin/docker)');
    expect(line('docker-access')).toContain('L’utilisateur deploy ne peut pas utiliser Docker sur vps : il n’est pas dans le groupe docker. Lancez « sudo usermod -aG docker deploy » sur vps');
    expect(line('architecture')).toContain('mips : l’image officielle de HAProxy n’est pas publiée pour cette architecture');
    expect(line('disk')).toContain('Seulement 1,5 Go libres sur / (les données de Docker sont dans /var/lib/docker) : libérez au moins 2 Go');
    expect(line('port')).toContain('Le port 8080 est pris sur vps');
    const all = wrapper.find('[data-test=host-checks]').text();
    for (const englishWords of ['answers', 'Logged in', 'is installed', 'may not use', 'free on', 'is in use']) expect(all).not.toContain(englishWords);
  });
});

const hostSelect = (w: VueWrapper) => w.findAllComponents(NSelect).find((c) => c.attributes('data-test') === 'field-host')!;

describe('EnvironmentForm host choice', () => {
  it('offers this computer and the SSH hosts, and sends the chosen one', async () => {
    fake.handle('hosts:list', () => [LOCAL_HOST, vps()]);
    let submitted: unknown;
    wrapper = mountInApp(EnvironmentForm, { initial: formFrom({ name: 'lab' }), mode: 'create', onSubmit: (input: unknown) => (submitted = input) });
    await settle();
    expect(fake.callsTo('hosts:list')).toHaveLength(1);
    const select = hostSelect(wrapper);
    expect(select.props('options')).toEqual([
      { value: 'local', label: 'This computer' },
      { value: 'vps', label: 'vps (deploy@203.0.113.10)' },
    ]);
    select.vm.$emit('update:value', 'vps');
    await settle();
    await wrapper.find('[data-test=environment-form]').trigger('submit');
    await settle();
    expect(submitted).toMatchObject({ name: 'lab', host: 'vps' });
  });

  it('keeps the host fixed when editing', async () => {
    fake.handle('hosts:list', () => [LOCAL_HOST, vps()]);
    wrapper = mountInApp(EnvironmentForm, { initial: formFrom({ name: 'lab', host: 'vps' }), mode: 'edit' });
    await settle();
    expect(hostSelect(wrapper).props('disabled')).toBe(true);
    expect(wrapper.find('[data-test=field-host]').text()).toContain('vps (deploy@203.0.113.10)');
  });
});
