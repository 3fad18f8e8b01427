/**
 * The environment form for a new user: what the tutorial lab needs in sight, the rest folded under
 * "Advanced settings" (opened by a problem in it), each algorithm saying what it does, and image
 * fields offering the images the chosen host already has.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reactive } from 'vue';
import type { DOMWrapper, VueWrapper } from '@vue/test-utils';
import type { LocalImage } from '../../../shared/contract';
import { LOCAL_HOST } from '../../../shared/model';
import AppFields from '../../../renderer/components/AppFields.vue';
import { chooseBackends, formFrom } from '../../../renderer/lib/environment-form';
import type { UiError } from '../../../renderer/lib/errors';
import { mountEnvironmentForm } from './form-mount';
import { FakeTransport, flush, freshApp, mountInApp, settle, unmountAll } from './fake-transport';

let fake: FakeTransport;
beforeEach(() => {
  fake = freshApp();
  fake.handle('hosts:list', () => [LOCAL_HOST, { id: 'vps-1', kind: 'ssh', name: 'vps-1', address: '203.0.113.7', port: 22, user: 'deploy', auth: { method: 'agent' } } as never]);
});
afterEach(unmountAll);

const mountForm = (locale: 'en' | 'fr' = 'en', extra: Record<string, unknown> = {}) => mountEnvironmentForm(extra, locale);

async function type(w: VueWrapper | DOMWrapper<Element>, testId: string, value: string): Promise<void> {
  const input = w.find(`[data-test=${testId}] input`);
  await input.setValue(value);
  await input.trigger('blur');
  await flush();
}

const body = (w: VueWrapper) => w.find('[data-test=advanced-body]');
const isOpen = (w: VueWrapper) => (body(w).element as HTMLElement).style.display !== 'none';
/** What an open suggestion list shows: it is drawn in the page's body, outside the form. */
const menuOptions = () => [...document.body.querySelectorAll('.n-auto-complete-menu [data-test=image-option]')].map((o) => o.querySelector('.image-ref')?.textContent);

describe('the advanced settings', () => {
  it('start folded, holding the health checks, timeouts, retries and images; the lab’s own settings stay in sight', async () => {
    const { w } = mountForm('en');
    await settle();
    expect(isOpen(w)).toBe(false);
    expect(w.find('[data-test=advanced-toggle]').attributes('aria-expanded')).toBe('false');
    expect(w.find('[data-test=advanced-settings]').text()).toContain('Advanced settings');
    expect(w.find('[data-test=advanced-settings]').text()).toContain('Health checks, timeouts, retries and images.');
    // The lab's defaults: nothing in it differs, and it does not say so.
    expect(w.find('[data-test=advanced-changed]').exists()).toBe(false);

    const folded = ['field-checkType', 'field-checkPath', 'field-interval', 'field-retries', 'field-haproxyImage', 'field-demoBaseImage'];
    for (const f of folded) expect(body(w).find(`[data-test=${f}]`).exists(), f).toBe(true);
    for (const p of ['healthCheck.expectStatus', 'healthCheck.rise', 'healthCheck.fall', 'timeouts.connect', 'timeouts.client', 'timeouts.server']) {
      expect(body(w).find(`[data-field="${p}"]`).exists(), p).toBe(true);
    }
    const inSight = ['field-name', 'field-host', 'field-httpPort', 'field-balance', 'field-sticky', 'field-cookieName', 'field-redispatch', 'field-backends', 'servers'];
    for (const f of inSight) {
      expect(w.find(`[data-test=${f}]`).exists(), f).toBe(true);
      expect(body(w).find(`[data-test=${f}]`).exists(), f).toBe(false);
    }

    await w.find('[data-test=advanced-toggle]').trigger('click');
    expect(isOpen(w)).toBe(true);
    expect(w.find('[data-test=advanced-toggle]').attributes('aria-expanded')).toBe('true');
    await w.find('[data-test=advanced-toggle]').trigger('click');
    expect(isOpen(w)).toBe(false);
  });

  it('with an app, its health path stays with the app, in sight', async () => {
    const initial = formFrom({ name: 'shop' });
    chooseBackends(initial, 'app');
    const { w } = mountForm('en', { initial });
    await settle();
    expect(w.find('[data-test=app-health-path]').exists()).toBe(true);
    expect(body(w).find('[data-test=app-health-path]').exists()).toBe(false);
    expect(body(w).find('[data-test=field-checkPath]').exists()).toBe(false);
  });

  it('closed, says how many of its settings differ from the defaults, in both languages', async () => {
    const initial = formFrom({ name: 'lab', retries: 5, images: { haproxy: 'switchyard-test/haproxy:2.6-debian', demoBase: 'busybox:1.37' } });
    const { w } = mountForm('en', { initial, mode: 'edit' });
    await settle();
    expect(isOpen(w)).toBe(false);
    expect(w.find('[data-test=advanced-changed]').text()).toBe('2 settings differ from the defaults');
    await w.find('[data-test=advanced-toggle]').trigger('click');
    await type(w, 'field-interval', '500');
    await w.find('[data-test=advanced-toggle]').trigger('click');
    expect(w.find('[data-test=advanced-changed]').text()).toBe('3 settings differ from the defaults');
    unmountAll();

    const fr = mountForm('fr', { initial: formFrom({ name: 'lab', retries: 5 }), mode: 'edit' }).w;
    await settle();
    expect(fr.find('[data-test=advanced-changed]').text()).toBe('1 réglage diffère des valeurs par défaut');
    expect(fr.find('[data-test=advanced-settings]').text()).toContain('Réglages avancés');
  });

  it('opens by itself when a save is refused on a field inside, and "Show it" brings that field into view', async () => {
    const scrolled: string[] = [];
    const scroll = Element.prototype.scrollIntoView;
    Element.prototype.scrollIntoView = function (this: Element) {
      scrolled.push((this as HTMLElement).dataset.field ?? '');
    };
    try {
      const { w, submits } = mountForm('fr');
      await settle();
      // Changed while open, then folded away: nothing is said until a save is tried.
      await w.find('[data-test=advanced-toggle]').trigger('click');
      await type(w, 'field-interval', '');
      await w.find('[data-test=advanced-toggle]').trigger('click');
      expect(isOpen(w)).toBe(false);

      await w.find('[data-test=submit]').trigger('click');
      await settle();
      expect(submits).toEqual([]);
      expect(isOpen(w)).toBe(true);
      expect(w.find('[data-test=form-invalid]').text()).toContain('à commencer par Intervalle (ms).');
      expect(w.find('[data-field="healthCheck.interval"]').text()).toContain('Obligatoire.');
      expect(scrolled).toEqual(['healthCheck.interval']);
      expect(document.activeElement?.closest('[data-field]')?.getAttribute('data-field')).toBe('healthCheck.interval');

      // Folded again by the user: "Show it" opens it to get there.
      await w.find('[data-test=advanced-toggle]').trigger('click');
      expect(isOpen(w)).toBe(false);
      await w.find('[data-test=form-invalid-goto]').trigger('click');
      await settle();
      expect(isOpen(w)).toBe(true);
      expect(scrolled).toEqual(['healthCheck.interval', 'healthCheck.interval']);
    } finally {
      Element.prototype.scrollIntoView = scroll;
    }
  });

  it('opens by itself when the core refuses a folded field, and shows the refusal there', async () => {
    const { w, props } = mountForm('en', { mode: 'edit' });
    await settle();
    expect(isOpen(w)).toBe(false);
    props.serverError = { code: 'IMAGE_MISSING', message: 'images.haproxy: the image haproxy:lts is not on the host', field: 'images.haproxy' } satisfies UiError;
    await settle();
    expect(isOpen(w)).toBe(true);
    const field = w.find('[data-field="images.haproxy"]');
    expect(field.find('.n-input--error-status').exists()).toBe(true);
    expect(field.find('.n-form-item-feedback').text()).toContain('the image haproxy:lts is not on the host');
  });
});

describe('the algorithm', () => {
  const descriptions = {
    en: {
      roundrobin: ['Round robin', 'Each server in turn, as often as its weight says.'],
      leastconn: ['Least connections', 'The server with the fewest connections: for long requests.'],
      source: ['Source IP hash', 'The same client IP always goes to the same server.'],
      random: ['Random', 'A server drawn at random, as often as its weight says.'],
      first: ['First available', 'The first server with room takes every request, up to its max. connections; the others wait in reserve.'],
    },
    fr: {
      roundrobin: ['Tourniquet (round robin)', 'Chaque serveur à son tour, aussi souvent que son poids le dit.'],
      leastconn: ['Moins de connexions', 'Le serveur qui a le moins de connexions : pour les requêtes longues.'],
      source: ['Hachage de l’IP source', 'Une même IP cliente va toujours au même serveur.'],
      random: ['Aléatoire', 'Un serveur tiré au hasard, aussi souvent que son poids le dit.'],
      first: ['Premier disponible', 'Le premier serveur qui a de la place prend toutes les requêtes, jusqu’à ses connexions max. ; les autres attendent en réserve.'],
    },
  } as const;

  for (const locale of ['en', 'fr'] as const) {
    it(`says what each one does under its name, and the chosen one's under the field (${locale})`, async () => {
      const { w, submits } = mountForm(locale);
      await settle();
      const help = () => w.find('[data-field=balance] .n-form-item-feedback').text();
      expect(help()).toBe(descriptions[locale].roundrobin[1]);

      await w.find('[data-test=field-balance] .n-base-selection').trigger('click');
      await settle();
      const options = [...document.body.querySelectorAll('[data-test=balance-option]')];
      expect(options.map((o) => [o.getAttribute('data-value'), o.querySelector('.balance-name')?.textContent, o.querySelector('.balance-hint')?.textContent])).toEqual(
        Object.entries(descriptions[locale]).map(([value, [name, hint]]) => [value, name, hint]),
      );

      (options.find((o) => o.getAttribute('data-value') === 'leastconn') as HTMLElement).click();
      await settle();
      expect(help()).toBe(descriptions[locale].leastconn[1]);
      // The field itself shows the name alone.
      expect(w.find('[data-test=field-balance] .n-base-selection').text()).toBe(descriptions[locale].leastconn[0]);
      await w.find('[data-test=submit]').trigger('click');
      await flush();
      expect(submits[0][0]).toMatchObject({ balance: 'leastconn' });
    });
  }
});

describe('image fields', () => {
  const image = (ref: string, size = 50e6): LocalImage => ({ ref, size, created: '2026-01-01T00:00:00.000Z' });
  /** Newest first, as the core lists them. */
  const vpsImages = [image('busybox:1.37', 4.4e6), image('switchyard-test/haproxy:2.6-debian', 62.5e6), image('nginx:1.27'), image('haproxy:2.8')];

  beforeEach(() => {
    fake.handle('images:list', ({ host }) => (host === 'vps-1' ? vpsImages : [image('local-only:1')]));
  });

  it("offer the chosen host's images when focused, haproxy ones first for HAProxy, then those matching what is typed", async () => {
    const { w, submits } = mountForm('en', { initial: formFrom({ name: 'lab', host: 'vps-1' }) });
    await settle();
    await w.find('[data-test=advanced-toggle]').trigger('click');
    const haproxy = w.find('[data-test=field-haproxyImage] input');
    await haproxy.trigger('focus');
    await settle();
    expect(fake.callsTo('images:list')).toEqual([{ host: 'vps-1' }]);
    // What the field holds comes first, said not to be on the host; then haproxy images, newest first.
    expect(menuOptions()).toEqual(['haproxy:lts', 'switchyard-test/haproxy:2.6-debian', 'haproxy:2.8', 'busybox:1.37', 'nginx:1.27']);
    const first = document.body.querySelector('.n-auto-complete-menu [data-test=image-option]')!;
    expect(first.getAttribute('data-local')).toBe('false');
    expect(first.textContent).toContain('not on this host: pulled at deploy');
    expect(document.body.querySelectorAll('.n-auto-complete-menu [data-test=image-option]')[1].textContent).toContain('62.5 MB');

    await haproxy.setValue('2.');
    await settle();
    expect(menuOptions()).toEqual(['switchyard-test/haproxy:2.6-debian', 'haproxy:2.8']);
    (document.body.querySelector('.n-auto-complete-menu .n-base-select-option') as HTMLElement).click();
    await settle();
    expect((haproxy.element as HTMLInputElement).value).toBe('switchyard-test/haproxy:2.6-debian');
    await haproxy.trigger('blur');

    // The demo's base: no preference, the newest first.
    const demo = w.find('[data-test=field-demoBaseImage] input');
    await demo.trigger('focus');
    await settle();
    expect(menuOptions()).toEqual(['busybox:1.37', 'switchyard-test/haproxy:2.6-debian', 'nginx:1.27', 'haproxy:2.8']);
    // Free text stays allowed.
    await demo.setValue('registry.example.com/base:1');
    await settle();
    expect(menuOptions()).toEqual([]);
    await demo.trigger('blur');
    await w.find('[data-test=submit]').trigger('click');
    await flush();
    expect(submits[0][0]).toMatchObject({ host: 'vps-1', images: { haproxy: 'switchyard-test/haproxy:2.6-debian', demoBase: 'registry.example.com/base:1' } });
  });

  it('ask the host chosen in the form, again at each focus', async () => {
    const { w, props } = mountForm('en', { mode: 'edit' });
    await settle();
    const haproxy = w.find('[data-test=field-haproxyImage] input');
    await haproxy.trigger('focus');
    await settle();
    expect(menuOptions()).toEqual(['haproxy:lts', 'local-only:1']);
    await haproxy.trigger('blur');
    // The form now on another host: its images.
    props.initial = formFrom({ name: 'lab', host: 'vps-1' });
    await settle();
    await haproxy.trigger('focus');
    await settle();
    expect(fake.callsTo('images:list')).toEqual([{ host: 'local' }, { host: 'vps-1' }]);
    expect(menuOptions()[1]).toBe('switchyard-test/haproxy:2.6-debian');
  });

  it('a host that cannot list its images offers none, and the field stays free text', async () => {
    fake.handle('images:list', () => ({ error: { code: 'DOCKER_UNAVAILABLE', message: 'Docker is not running' } }));
    const { w, submits } = mountForm('en');
    await settle();
    const haproxy = w.find('[data-test=field-haproxyImage] input');
    await haproxy.trigger('focus');
    await settle();
    expect(menuOptions()).toEqual([]);
    expect(w.find('[data-test=error]').exists()).toBe(false);
    await haproxy.setValue('haproxy:2.6');
    await haproxy.trigger('blur');
    await w.find('[data-test=submit]').trigger('click');
    await flush();
    expect(submits[0][0]).toMatchObject({ images: { haproxy: 'haproxy:2.6' } });
  });

  it("the app's image offers the form's host's images, newest first, matching what is typed", async () => {
    const form = reactive(formFrom({ name: 'shop', host: 'vps-1' }));
    chooseBackends(form, 'app');
    const w = mountInApp(AppFields, { form, fb: (path: string) => ({ 'data-field': path }) });
    await settle();
    const input = w.find('[data-test=app-image] input');
    await input.trigger('focus');
    await settle();
    expect(fake.callsTo('images:list')).toEqual([{ host: 'vps-1' }]);
    expect(menuOptions()).toEqual(vpsImages.map((i) => i.ref));
    await input.setValue('ngi');
    await settle();
    expect(menuOptions()).toEqual(['nginx:1.27']);
    (document.body.querySelector('.n-auto-complete-menu .n-base-select-option') as HTMLElement).click();
    await settle();
    expect(form.app.source.image).toBe('nginx:1.27');
  });
});
