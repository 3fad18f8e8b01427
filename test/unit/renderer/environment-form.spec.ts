import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reactive } from 'vue';
import type { VueWrapper } from '@vue/test-utils';
import EnvironmentForm from '../../../renderer/components/EnvironmentForm.vue';
import { formFrom, validateForm } from '../../../renderer/lib/environment-form';
import type { UiError } from '../../../renderer/lib/errors';
import { flush, freshApp, mountInApp, unmountAll } from './fake-transport';

let wrapper: VueWrapper | undefined;
beforeEach(() => void freshApp());
afterEach(unmountAll);

function mountForm(locale: 'en' | 'fr', extra: Record<string, unknown> = {}) {
  const submits: unknown[][] = [];
  // Reactive, so a test can change a prop the way the parent view would.
  const props = reactive<Record<string, unknown>>({ initial: formFrom({ name: 'lab' }), mode: 'create', onSubmit: (...a: unknown[]) => submits.push(a), ...extra });
  wrapper = mountInApp(EnvironmentForm, props, locale);
  return { w: wrapper, submits, props };
}

async function type(w: VueWrapper, testId: string, value: string): Promise<void> {
  const input = w.find(`[data-test=${testId}] input`);
  await input.setValue(value);
  await input.trigger('blur');
  await flush();
}

describe('the environment form', () => {
  it('starts as the tutorial lab', () => {
    const f = formFrom({ name: 'lab' });
    expect(f).toMatchObject({ httpPort: 8080, balance: 'roundrobin', sticky: { enabled: true, cookieName: 'SERVERID' }, redispatch: true, healthCheck: { type: 'http', path: '/health' } });
    expect(f.servers.map((s) => [s.name, s.kind])).toEqual([
      ['back1', 'demo'],
      ['back2', 'demo'],
    ]);
    expect(validateForm(f).problems).toEqual({});
  });

  it('checks with the shared schema and puts each problem on its field', () => {
    const f = formFrom({ name: 'lab' });
    f.name = 'Bad Name';
    f.httpPort = null;
    f.servers[1].name = 'back1';
    f.servers.push({ ...f.servers[0], key: 99, name: 'ext', kind: 'external', address: 'not valid', port: 70000 });
    const { input, problems } = validateForm(f);
    expect(input).toBeUndefined();
    expect(problems.name.key).toBe('format.name');
    expect(problems.httpPort.key).toBe('required');
    expect(problems['servers.1.name'].key).toBe('duplicateServer');
    expect(problems['servers.2.address'].key).toBe('format.address');
    expect(problems['servers.2.port']).toMatchObject({ key: 'max', params: { max: 65535 } });
  });

  it('says what is wrong inline, in French, as soon as a field changes', async () => {
    const { w } = mountForm('fr');
    expect(w.text()).not.toContain('1 à 24 caractères');
    await type(w, 'field-name', 'Pas Bon');
    expect(w.text()).toContain('1 à 24 caractères : lettres minuscules');
    await type(w, 'field-httpPort', '70000');
    expect(w.text()).toContain('Doit valoir au plus 65535.');
  });

  it('submits the values as an EnvironmentInput, images included', async () => {
    const { w, submits } = mountForm('en');
    await type(w, 'field-name', 'shop');
    await type(w, 'field-haproxyImage', 'switchyard-test/haproxy:2.6-debian');
    await w.find('[data-test=add-external]').trigger('click');
    await flush();
    const rows = w.findAll('[data-test=server-row]');
    expect(rows).toHaveLength(3);
    await rows[2].find('[data-test=server-address] input').setValue('10.0.0.5');
    await w.find('[data-test=submit-deploy]').trigger('click');
    await flush();
    expect(submits).toHaveLength(1);
    const [input, deploy] = submits[0] as [Record<string, unknown>, boolean];
    expect(deploy).toBe(true);
    expect(input).toMatchObject({ name: 'shop', images: { haproxy: 'switchyard-test/haproxy:2.6-debian', demoBase: 'busybox:1.37' } });
    expect(input.servers).toEqual([
      { name: 'back1', kind: 'demo', weight: 100, state: 'ready' },
      { name: 'back2', kind: 'demo', weight: 100, state: 'ready' },
      { name: 'back3', kind: 'external', address: '10.0.0.5', port: 80, weight: 100, state: 'ready' },
    ]);
  });

  it('keeps a server’s max. connections, empty meaning the default, and refuses a bad one on its field', async () => {
    const f = formFrom({
      name: 'lab',
      servers: [
        { name: 'back1', kind: 'demo', weight: 100, state: 'ready', maxconn: 4 },
        { name: 'ext', kind: 'external', address: '10.0.0.5', port: 80, weight: 100, state: 'ready' },
      ],
    });
    expect(validateForm(f).input?.servers).toEqual([
      { name: 'back1', kind: 'demo', weight: 100, state: 'ready', maxconn: 4 },
      { name: 'ext', kind: 'external', address: '10.0.0.5', port: 80, weight: 100, state: 'ready' },
    ]);
    f.servers[1].maxconn = 0;
    expect(validateForm(f).problems['servers.1.maxconn']).toMatchObject({ key: 'min', params: { min: 1 } });

    const { w, submits } = mountForm('fr');
    const rows = w.findAll('[data-test=server-row]');
    // Empty shows the demo backend's default, said to be one.
    expect(rows[0].find('[data-test=server-maxconn] input').attributes('placeholder')).toBe('8 (par défaut)');
    await rows[1].find('[data-test=server-maxconn] input').setValue('20');
    await rows[1].find('[data-test=server-maxconn] input').trigger('blur');
    await w.find('[data-test=submit]').trigger('click');
    await flush();
    const [input] = submits[0] as [{ servers: unknown[] }];
    expect(input.servers).toEqual([
      { name: 'back1', kind: 'demo', weight: 100, state: 'ready' },
      { name: 'back2', kind: 'demo', weight: 100, state: 'ready', maxconn: 20 },
    ]);
    expect(w.text()).toContain('Connexions max.');
  });

  it('in edit mode, previews the edited settings without saving them', async () => {
    const previews: unknown[] = [];
    const { w, submits } = mountForm('en', { mode: 'edit', initial: formFrom({ name: 'lab' }), onPreview: (input: unknown) => previews.push(input) });
    expect(w.find('[data-test=preview]').attributes('disabled')).toBeDefined(); // nothing edited yet
    await type(w, 'field-retries', '7');
    await w.find('[data-test=preview]').trigger('click');
    await flush();
    expect(previews).toHaveLength(1);
    expect(previews[0]).toMatchObject({ name: 'lab', retries: 7 });
    expect(submits).toEqual([]);
  });

  it('does not submit while a field is wrong, and says so', async () => {
    const { w, submits } = mountForm('en');
    await w.find('[data-test=server-remove]').trigger('click');
    await type(w, 'field-cookieName', 'has space');
    await w.find('[data-test=submit-deploy]').trigger('click');
    await flush();
    expect(submits).toHaveLength(0);
    expect(w.find('[data-test=form-invalid]').text()).toContain('Some fields need attention, starting with Cookie name.');
    expect(w.text()).toContain('1 to 64 letters, digits, _ or -.');
  });

  it('names the first field that needs attention, in the order the form shows them, and brings it into view', async () => {
    const scrolled: string[] = [];
    const scroll = Element.prototype.scrollIntoView;
    Element.prototype.scrollIntoView = function (this: Element) {
      scrolled.push((this as HTMLElement).dataset.field ?? '');
    };
    try {
      const { w, submits } = mountForm('fr');
      // The interval, then the last server's port above it (the advanced settings come after the
      // servers): the port comes first on the form.
      await type(w, 'field-interval', '');
      await w.find('[data-test=add-external]').trigger('click');
      await type(w, 'server-address', 'backend.example');
      await type(w, 'server-port', '70000');
      await w.find('[data-test=submit]').trigger('click');
      await flush();
      await flush();
      expect(submits).toHaveLength(0);
      expect(w.find('[data-test=form-invalid]').text()).toContain('Certains champs sont à corriger, à commencer par Serveur 3 : Port.');
      expect(scrolled).toEqual(['servers.2.port']);
      expect(document.activeElement?.closest('[data-field]')?.getAttribute('data-field')).toBe('servers.2.port');
      // Fixed: the next one is named, and "show it" goes there.
      await type(w, 'server-port', '8080');
      expect(w.find('[data-test=form-invalid]').text()).toContain('à commencer par Intervalle (ms).');
      await w.find('[data-test=form-invalid-goto]').trigger('click');
      await flush();
      expect(scrolled).toEqual(['servers.2.port', 'healthCheck.interval']);
    } finally {
      Element.prototype.scrollIntoView = scroll;
    }
  });

  it('refuses to go without servers, in the user’s language', async () => {
    const { w, submits } = mountForm('fr');
    for (const button of w.findAll('[data-test=server-remove]')) await button.trigger('click');
    await w.find('[data-test=submit-deploy]').trigger('click');
    await flush();
    expect(submits).toHaveLength(0);
    expect(w.text()).toContain('Au moins un serveur.');
    expect(validateForm({ ...formFrom({ name: 'lab' }), servers: [] }).problems.servers?.key).toBe('tooFewServers');
  });

  it("shows the core's refusal on the field it names, until that field changes", async () => {
    const serverError: UiError = { code: 'VALIDATION', message: 'httpPort: port 8080 is reserved', field: 'httpPort' };
    const { w, props } = mountForm('en');
    props.serverError = serverError;
    await flush();
    expect(w.find('[data-field=httpPort]').text()).toContain('port 8080 is reserved');
    await type(w, 'field-httpPort', '8081');
    expect(w.text()).not.toContain('port 8080 is reserved');
  });

  it('a port the core found taken is said on the HTTP port field, in French, naming who holds it', async () => {
    const { w, props } = mountForm('fr');
    props.serverError = {
      code: 'VALIDATION',
      message: 'Port 8080 is already used by the environment "shop" on the same host: choose another port',
      field: 'httpPort',
      reason: 'portEnvironment',
      params: { port: 8080, holder: 'shop' },
    } satisfies UiError;
    await flush();
    const field = w.find('[data-field=httpPort]');
    // Highlighted: the field's input in its error state.
    expect(field.find('.n-input--error-status').exists()).toBe(true);
    expect(field.text()).toContain('Le port 8080 est déjà pris par l’environnement shop sur le même hôte. Choisissez un autre port.');
    // An edit's refusal names `patch.httpPort`: the same field.
    props.serverError = { ...(props.serverError as UiError), field: 'patch.httpPort', params: { port: 8080, holder: 'web' } };
    await flush();
    expect(w.find('[data-field=httpPort]').text()).toContain('l’environnement web');
  });
});
