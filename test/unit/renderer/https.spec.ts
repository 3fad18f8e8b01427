import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import type { Task } from '../../../shared/contract';
import type { CertificateStatus, HttpsSettingsInput } from '../../../shared/https';
import { LOCAL_HOST, type Environment } from '../../../shared/model';
import HttpsPanel from '../../../renderer/components/HttpsPanel.vue';
import EnvironmentsView from '../../../renderer/views/EnvironmentsView.vue';
import { useEnvironmentsStore } from '../../../renderer/stores/environments';
import { FakeTransport, freshApp, labEnvironment, mountInApp, settle, unmountAll } from './fake-transport';

const DAY = 86_400_000;
const envOf = (https?: HttpsSettingsInput): Environment => labEnvironment(https ? { https } : {});
const settings: HttpsSettingsInput = { enabled: true, domains: ['www.example.com'], email: 'ops@example.com', termsAccepted: true };
const status = (over: Partial<CertificateStatus> = {}): CertificateStatus => ({
  environment: 'lab',
  domains: ['www.example.com'],
  serial: '0d202d0f067be612',
  notBefore: new Date(Date.now() - 10 * DAY).toISOString(),
  notAfter: new Date(Date.now() + 80 * DAY).toISOString(),
  issuer: 'R11',
  nextRenewalAt: new Date(Date.now() + 50 * DAY).toISOString(),
  failures: 0,
  ...over,
});
const at = new Date().toISOString();
const certTask = (over: Partial<Task>): Task => ({
  id: 't1',
  kind: 'certificate',
  target: 'lab',
  state: 'running',
  step: 'order',
  progress: 30,
  message: 'Asking the CA',
  steps: [
    { name: 'prepare', state: 'done', startedAt: at, endedAt: at },
    { name: 'preflight', state: 'done', startedAt: at, endedAt: at },
    { name: 'order', state: 'running', startedAt: at },
  ],
  createdAt: at,
  ...over,
});

let fake: FakeTransport;
let wrapper: VueWrapper | undefined;
beforeEach(() => {
  fake = freshApp();
});
afterEach(unmountAll);

describe('HttpsPanel', () => {
  it('refuses an HTTPS port equal to the HTTP port, and names every domain a certificate cannot hold; nothing is sent', async () => {
    fake.handle('certificates:status', () => null).handle('environments:status', () => ({ error: { code: 'NOT_FOUND', message: 'not deployed' } }));
    const env = envOf();
    wrapper = mountInApp(HttpsPanel, { env });
    await settle();
    await wrapper.find('[data-test=https-domains] textarea').setValue('www.example.com\nlocalhost\nexample..com');
    await wrapper.find('[data-test=https-email] input').setValue('ops@example.com');
    await wrapper.find('[data-test=https-port] input').setValue(String(env.httpPort));
    await wrapper.find('[data-test=https-terms]').trigger('click');
    await wrapper.find('[data-test=https-form]').trigger('submit');
    await settle();
    const text = wrapper.text();
    expect(text).toContain(`Must differ from the HTTP port (${env.httpPort})`);
    expect(text).toContain('These cannot be in a certificate: localhost, example..com.');
    expect(fake.callsTo('environments:update')).toEqual([]);
    // The e-mail field is the app's to check: no browser bubble in another language.
    expect(wrapper.find('[data-test=https-email] input').attributes('type')).toBe('text');
  });

  it('enables HTTPS in one click: saves the settings with HTTPS on, orders, and shows the steps as they go', async () => {
    let saved: unknown;
    let current: CertificateStatus | null = null;
    fake
      .handle('certificates:status', () => current)
      .handle('environments:update', ({ patch }) => {
        saved = patch;
        return envOf(patch.https as HttpsSettingsInput);
      })
      .handle('environments:render', () => ({ config: 'global\n' }))
      .handle('environments:status', () => ({ error: { code: 'NOT_FOUND', message: 'not deployed' } }))
      .handle('certificates:order', () => ({ taskId: 't1' }));
    wrapper = mountInApp(HttpsPanel, { env: envOf() });
    await settle();
    await wrapper.find('[data-test=https-domains] textarea').setValue('www.example.com\nexample.com');
    await wrapper.find('[data-test=https-email] input').setValue('ops@example.com');
    await wrapper.find('[data-test=https-terms]').trigger('click');
    await wrapper.find('[data-test=https-form]').trigger('submit');
    await settle();

    expect(saved).toEqual({
      https: {
        enabled: true,
        domains: ['www.example.com', 'example.com'],
        email: 'ops@example.com',
        directory: 'letsencrypt',
        termsAccepted: true,
        redirectHttp: true,
        hsts: false,
        stagingFirst: false,
        httpsPort: 8443,
      },
    });
    expect(fake.callsTo('certificates:order')).toEqual([{ environment: 'lab' }]);

    fake.emit('tasks:updated', certTask({}));
    await settle();
    const card = wrapper.find('[data-test=certificate-task][data-kind=certificate]');
    expect(card.attributes('data-state')).toBe('running');
    expect(card.text()).toContain('Preflight');
    expect(card.text()).toContain('Order');

    current = status();
    fake.emit('certificates:status', current);
    fake.emit('tasks:updated', certTask({ state: 'succeeded', progress: 100, message: 'HTTPS on for www.example.com' }));
    await settle();
    expect(wrapper.find('[data-test=certificate-done]').text()).toContain('checked with a real TLS handshake');
    expect(wrapper.find('[data-test=certificate-serial]').text()).toBe('0d202d0f067be612');
    expect(wrapper.find('[data-test=certificate-alert]').exists()).toBe(false);
  });

  it('says what is wrong in the user’s language, on each field, and sends nothing', async () => {
    fake.handle('certificates:status', () => null);
    wrapper = mountInApp(HttpsPanel, { env: envOf() }, 'fr');
    await settle();
    await wrapper.find('[data-test=https-domains] textarea').setValue('*.example.com');
    await wrapper.find('[data-test=https-email] input').setValue('not-an-email');
    await wrapper.find('[data-test=https-form]').trigger('submit');
    await settle();
    const text = wrapper.find('[data-test=https-form]').text();
    expect(text).toContain('« *.example.com » ne peut pas figurer dans un certificat');
    expect(text).toContain('Une adresse email.');
    expect(text).toContain('Les conditions de l’autorité de certification doivent être acceptées');
    expect(fake.callsTo('environments:update')).toEqual([]);
    expect(fake.callsTo('certificates:order')).toEqual([]);
  });

  it('shows the core’s refusal on the field it names', async () => {
    fake
      .handle('certificates:status', () => null)
      .handle('environments:render', () => ({ config: 'global\n' }))
      .handle('environments:update', () => ({ error: { code: 'VALIDATION', message: 'patch.https.email: must be an email address', field: 'patch.https.email' } }));
    wrapper = mountInApp(HttpsPanel, { env: envOf() });
    await settle();
    await wrapper.find('[data-test=https-domains] textarea').setValue('www.example.com');
    await wrapper.find('[data-test=https-email] input').setValue('ops@example.com');
    await wrapper.find('[data-test=https-terms]').trigger('click');
    await wrapper.find('[data-test=https-form]').trigger('submit');
    await settle();
    expect(wrapper.find('[data-test=https-email]').element.closest('.n-form-item')?.textContent).toContain('must be an email address');
    expect(fake.callsTo('certificates:order')).toEqual([]);
  });

  it('shows the certificate, warns when its renewal fails, and renews on request', async () => {
    fake
      .handle('certificates:status', () =>
        status({ notAfter: new Date(Date.now() + 5 * DAY).toISOString(), failures: 3, lastError: { code: 'CHALLENGE_FAILED', message: 'could not validate www.example.com' } }),
      )
      .handle('certificates:order', () => ({ taskId: 't2' }));
    wrapper = mountInApp(HttpsPanel, { env: envOf(settings) });
    await settle();
    const alert = wrapper.find('[data-test=certificate-alert]');
    expect(alert.attributes('data-kind')).toBe('renewal-failed');
    expect(alert.text()).toContain('3 attempts in a row');
    expect(alert.text()).toContain('could not validate www.example.com');
    expect(wrapper.find('[data-test=certificate]').text()).toContain('5 days left');
    expect(wrapper.find('[data-test=https-url-link]').text()).toBe('https://www.example.com:8443/');
    await wrapper.find('[data-test=https-renew]').trigger('click');
    await settle();
    expect(fake.callsTo('certificates:order')).toEqual([{ environment: 'lab' }]);
  });

  it('says when Switchyard stopped retrying because a login or token was refused, in French', async () => {
    fake.handle('certificates:status', () =>
      status({
        notAfter: new Date(Date.now() + 5 * DAY).toISOString(),
        failures: 1,
        stopped: true,
        nextRenewalAt: null,
        lastError: {
          code: 'REGISTRY_AUTH_FAILED',
          message: 'r.example refused the user name or password (token) of deployer: check them and log in again. Nothing was saved.',
          reason: 'refused',
          params: { registry: 'r.example', user: 'deployer' },
        },
      }),
    );
    wrapper = mountInApp(HttpsPanel, { env: envOf(settings) }, 'fr');
    await settle();
    const alert = wrapper.find('[data-test=certificate-alert]');
    expect(alert.text()).toContain('Switchyard a cessé de réessayer');
    expect(alert.text()).toContain('r.example a refusé l’identifiant ou le mot de passe (jeton) de deployer');
    expect(alert.text()).not.toContain('continue d’essayer');
    expect(wrapper.find('[data-test=certificate-next]').text()).toBe('non planifié');
  });

  it('turns HTTPS off only after a confirmation, keeping the settings', async () => {
    fake
      .handle('certificates:status', () => status())
      .handle('environments:render', () => ({ config: 'global\n' }))
      .handle('environments:status', () => ({ error: { code: 'NOT_FOUND', message: 'not deployed' } }))
      .handle('environments:update', ({ patch }) => envOf(patch.https as HttpsSettingsInput));
    wrapper = mountInApp(HttpsPanel, { env: envOf(settings) });
    await settle();
    await wrapper.find('[data-test=https-disable]').trigger('click');
    await settle();
    expect(fake.callsTo('environments:update')).toEqual([]);
    const confirm = [...document.body.querySelectorAll('.n-dialog button')].find((b) => b.textContent?.includes('Turn HTTPS off')) as HTMLButtonElement;
    confirm.click();
    await settle();
    expect(fake.callsTo('environments:update')).toEqual([{ environment: 'lab', patch: { https: expect.objectContaining({ enabled: false, domains: ['www.example.com'] }) } }]);
  });
});

describe('names saved after the certificate was issued', () => {
  it('asks for a new certificate when the saved names are not the ones it covers', async () => {
    fake.handle('certificates:status', () => status({ domains: ['www.example.com'] }));
    wrapper = mountInApp(HttpsPanel, { env: envOf({ ...settings, domains: ['www.example.com', 'shop.example.com'] }) });
    await settle();
    expect(wrapper.find('[data-test=names-changed]').text()).toContain('does not cover the domain names');
  });

  it('says nothing while they match', async () => {
    fake.handle('certificates:status', () => status());
    wrapper = mountInApp(HttpsPanel, { env: envOf(settings) });
    await settle();
    expect(wrapper.find('[data-test=names-changed]').exists()).toBe(false);
  });
});

describe('a failed certificate task', () => {
  it('shows its error and marks the domain it blamed', async () => {
    fake.handle('certificates:status', () => null);
    wrapper = mountInApp(HttpsPanel, { env: envOf(settings) });
    await settle();
    fake.emit(
      'tasks:updated',
      certTask({
        state: 'failed',
        error: { code: 'PREFLIGHT_FAILED', message: 'www.example.com: the name does not resolve', field: 'https.domains.0' },
      }),
    );
    await settle();
    expect(wrapper.find('[data-test=certificate-task]').attributes('data-state')).toBe('failed');
    expect(wrapper.find('[data-test=certificate-task]').text()).toContain('the name does not resolve');
    const item = wrapper.find('[data-test=https-domains]').element.closest('.n-form-item');
    expect(item?.textContent).toContain('The last attempt failed here (PREFLIGHT_FAILED)');
  });
});

describe('the environments list', () => {
  it('shows a certificate that is about to expire', async () => {
    fake
      .handle('environments:list', () => [envOf(settings)])
      .handle('environments:status', () => ({ error: { code: 'NOT_FOUND', message: 'not deployed' } }))
      .handle('hosts:list', () => [LOCAL_HOST])
      .handle('certificates:status', () => status({ notBefore: new Date(Date.now() - 85 * DAY).toISOString(), notAfter: new Date(Date.now() + 5 * DAY + 3_600_000).toISOString() }));
    useEnvironmentsStore();
    wrapper = mountInApp(EnvironmentsView, {}, 'fr');
    await settle();
    const tag = wrapper.find('[data-test=env-cert-alert]');
    expect(tag.attributes('data-kind')).toBe('expiring');
    expect(tag.text()).toBe('Expire dans 5 j');
  });
});

describe('the port the certificate authority validates on', () => {
  it('says in French why the preflight failed when port 80 does not reach the environment’s 8080, and what to do', async () => {
    fake.handle('certificates:status', () => null);
    wrapper = mountInApp(HttpsPanel, { env: envOf(settings) }, 'fr');
    await settle();
    expect(wrapper.find('[data-test=port-mismatch]').exists()).toBe(false);
    fake.emit(
      'tasks:updated',
      certTask({
        state: 'failed',
        error: {
          code: 'PREFLIGHT_FAILED',
          field: 'httpPort',
          message:
            "www.example.com: http://www.example.com/.well-known/acme-challenge/x (at 203.0.113.7) did not answer within 5 s. Let's Encrypt validates on port 80, but this environment's HTTP port is 8080: …",
        },
      }),
    );
    await settle();
    const hint = wrapper.find('[data-test=port-mismatch]');
    expect(hint.text()).toContain('Le port 80 ne mène pas à ce répartiteur');
    expect(hint.text()).toContain('Let’s Encrypt valide toujours sur le port 80, et le port HTTP de cet environnement est 8080');
    expect(hint.text()).toContain('redirigez le port 80 vers 8080');
    // The task card still carries the code's own translation and the core's words.
    expect(wrapper.find('[data-test=certificate-task]').text()).toContain('rien n’a été commandé');
  });

  it('gives no port hint for a failure that blames a domain', async () => {
    fake.handle('certificates:status', () => null);
    wrapper = mountInApp(HttpsPanel, { env: envOf(settings) }, 'fr');
    await settle();
    fake.emit('tasks:updated', certTask({ state: 'failed', error: { code: 'PREFLIGHT_FAILED', message: 'www.example.com: the name does not resolve', field: 'https.domains.0' } }));
    await settle();
    expect(wrapper.find('[data-test=certificate-task]').attributes('data-state')).toBe('failed');
    expect(wrapper.find('[data-test=port-mismatch]').exists()).toBe(false);
  });

  it('shows a custom directory’s challenge port, and saves the one typed', async () => {
    let saved: unknown;
    fake
      .handle('certificates:status', () => null)
      .handle('environments:update', ({ patch }) => {
        saved = patch;
        return envOf(patch.https as HttpsSettingsInput);
      });
    const directory = { url: 'https://127.0.0.1:14000/dir' };
    wrapper = mountInApp(HttpsPanel, { env: envOf({ ...settings, enabled: false, directory }) });
    await settle();
    const field = wrapper.find('[data-test=https-challenge-port] input');
    expect((field.element as HTMLInputElement).value).toBe('80');
    await field.setValue('0');
    await wrapper.find('[data-test=https-save]').trigger('click');
    await settle();
    expect(wrapper.find('[data-test=https-challenge-port]').element.closest('.n-form-item')?.textContent).toContain('Must be at least 1.');
    expect(fake.callsTo('environments:update')).toEqual([]);
    await field.setValue('5002');
    await wrapper.find('[data-test=https-save]').trigger('click');
    await settle();
    expect(saved).toMatchObject({ https: { directory: { ...directory, challengePort: 5002 } } });
  });
});
