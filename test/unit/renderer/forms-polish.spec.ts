/**
 * What a new user stumbled on in the forms and their words: the save bar out of sight, hints hidden
 * in cut-off placeholders, naive-ui's own "Please Input", English left in the French window, two
 * buttons with one name, and a blank panel after an update.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { reactive } from 'vue';
import type { VueWrapper } from '@vue/test-utils';
import { NConfigProvider } from 'naive-ui';
import { LOCAL_HOST } from '../../../shared/model';
import App from '../../../renderer/App.vue';
import AppFields from '../../../renderer/components/AppFields.vue';
import BackupRestore from '../../../renderer/components/BackupRestore.vue';
import EnvironmentForm from '../../../renderer/components/EnvironmentForm.vue';
import TrafficPanel from '../../../renderer/components/TrafficPanel.vue';
import HostsView from '../../../renderer/views/HostsView.vue';
import NewEnvironmentView from '../../../renderer/views/NewEnvironmentView.vue';
import { chooseBackends, formFrom } from '../../../renderer/lib/environment-form';
import { lazyView } from '../../../renderer/lib/preload-retry';
import { i18n } from '../../../renderer/i18n';
import en from '../../../renderer/i18n/en';
import fr from '../../../renderer/i18n/fr';
import { FakeTransport, flush, freshApp, mountInApp, settle, unmountAll } from './fake-transport';

let fake: FakeTransport;
beforeEach(() => {
  localStorage.clear();
  fake = freshApp();
  fake.handle('hosts:list', () => [LOCAL_HOST]).handle('registries:list', () => []);
});
afterEach(() => {
  unmountAll();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/** naive-ui's placeholder for a field given none, in either language. */
const DEFAULT_PLACEHOLDERS = ['Please Input', 'Saisir'];

/** Every placeholder the page shows or would show once its field is emptied. */
function placeholders(w: VueWrapper): string[] {
  const attrs = w.findAll('input, textarea').map((el) => el.attributes('placeholder') ?? '');
  const drawn = w.findAll('.n-input__placeholder').map((el) => el.text());
  return [...attrs, ...drawn];
}

/** Stands in for the browser's IntersectionObserver: the test says where the observed element is. */
function fakeIntersections() {
  const seen: { callback: IntersectionObserverCallback; target?: Element }[] = [];
  class FakeIntersectionObserver {
    constructor(readonly callback: IntersectionObserverCallback) {}
    observe(target: Element): void {
      seen.push({ callback: this.callback, target });
    }
    disconnect(): void {}
    unobserve(): void {}
    takeRecords(): IntersectionObserverEntry[] {
      return [];
    }
  }
  vi.stubGlobal('IntersectionObserver', FakeIntersectionObserver);
  /** The observed place's box: its top and bottom against a window 768 px high. */
  return (top: number, bottom: number) => {
    for (const { callback, target } of seen) {
      const rect = { top, bottom, height: bottom - top, left: 40, right: 980, width: 940, x: 40, y: top } as DOMRect;
      target!.getBoundingClientRect = () => rect;
      const entry = { boundingClientRect: rect, rootBounds: { top: 0, bottom: 768 } as DOMRect, isIntersecting: top < 768, target } as unknown as IntersectionObserverEntry;
      callback([entry], {} as IntersectionObserver);
    }
  };
}

describe('the environment form’s actions', () => {
  it('stay in sight while the settings have unsaved changes: the bar floats along the window’s bottom until its place scrolls in', async () => {
    const placeAt = fakeIntersections();
    const w = mountInApp(EnvironmentForm, { initial: formFrom({ name: 'lab' }), mode: 'edit' });
    await settle();
    const bar = () => w.find('[data-test=form-actions]');
    // Nothing to save: the bar waits at the end of the form.
    placeAt(1400, 1454);
    await flush();
    expect(bar().attributes('data-pinned')).toBe('false');
    expect(bar().classes()).not.toContain('floating');

    await w.find('[data-test=field-retries] input').setValue('5');
    await w.find('[data-test=field-retries] input').trigger('blur');
    await flush();
    expect(bar().attributes('data-pinned')).toBe('true');
    expect(bar().classes()).toContain('floating');
    expect(bar().attributes('style')).toContain('left: 40px');
    expect(bar().attributes('style')).toContain('width: 940px');
    expect(bar().text()).toContain('Save and deploy');

    // Scrolled down to the end of the form: the bar sits in its place again.
    placeAt(600, 654);
    await flush();
    expect(bar().classes()).not.toContain('floating');
  });

  it('on a new environment, everything is unsaved: Create and deploy stays in sight from the start', async () => {
    const placeAt = fakeIntersections();
    const w = mountInApp(EnvironmentForm, { initial: formFrom({ name: 'lab' }), mode: 'create' }, 'fr');
    await settle();
    placeAt(1500, 1554);
    await flush();
    const bar = w.find('[data-test=form-actions]');
    expect(bar.attributes('data-pinned')).toBe('true');
    expect(bar.classes()).toContain('floating');
    expect(bar.text()).toContain('Créer et déployer');
  });
});

describe('the server list’s Max. connections', () => {
  it('says what an empty limit means on each row, in both languages', async () => {
    const initial = formFrom({
      name: 'lab',
      servers: [
        { name: 'back1', kind: 'demo', weight: 100, state: 'ready' },
        { name: 'ext', kind: 'external', address: '10.0.0.5', port: 80, weight: 100, state: 'ready' },
      ],
    });
    const w = mountInApp(EnvironmentForm, { initial, mode: 'create' });
    await settle();
    const limits = () => w.findAll('[data-test=server-maxconn] input').map((i) => i.attributes('placeholder'));
    expect(limits()).toEqual(['8 (default)', 'no limit']);
    unmountAll();

    const wf = mountInApp(EnvironmentForm, { initial, mode: 'create' }, 'fr');
    await settle();
    expect(wf.findAll('[data-test=server-maxconn] input').map((i) => i.attributes('placeholder'))).toEqual(['8 (par défaut)', 'sans limite']);
  });
});

describe('the new environment’s intro and the demo image', () => {
  it('follow the backends chosen: the lab’s defaults for the demo, the app’s for your app, and no demo image without a demo backend', async () => {
    fake.handle('environments:list', () => []).handle('clusters:info', ({ host }) => ({ host, state: 'inactive', manager: false, nodes: [], problems: [] }));
    const w = mountInApp(NewEnvironmentView);
    await settle();
    const intro = () => w.find('[data-test=new-hint]').text();
    const demoImage = () => w.find('[data-test=field-demoBaseImage]').exists();
    expect(intro()).toContain('the classic HAProxy lab: two demo backends');
    expect(demoImage()).toBe(true);

    await w.find('[data-test=backends-app] input').setValue(true);
    await settle();
    expect(intro()).toContain('Your app runs as replicas behind an HAProxy load balancer');
    expect(intro()).not.toContain('demo backends');
    expect(demoImage()).toBe(false);

    await w.find('[data-test=backends-demo] input').setValue(true);
    await settle();
    expect(intro()).toContain('two demo backends');
    expect(demoImage()).toBe(true);
  });

  it('hides the demo image when the lab’s servers are all external, and shows it again, wrong, rather than block the save on a hidden field', async () => {
    const initial = formFrom({ name: 'lab', servers: [{ name: 'ext', kind: 'external', address: '10.0.0.5', port: 80, weight: 100, state: 'ready' }] });
    const wrong = formFrom({ name: 'lab', servers: [{ name: 'ext', kind: 'external', address: '10.0.0.5', port: 80, weight: 100, state: 'ready' }] });
    wrong.images.demoBase = 'Not An Image';
    const w = mountInApp(EnvironmentForm, { initial, mode: 'create' }, 'fr');
    await settle();
    expect(w.find('[data-test=field-demoBaseImage]').exists()).toBe(false);
    unmountAll();

    const submits: unknown[] = [];
    const w2 = mountInApp(EnvironmentForm, { initial: wrong, mode: 'create', onSubmit: (...a: unknown[]) => submits.push(a) }, 'fr');
    await settle();
    expect(w2.find('[data-test=field-demoBaseImage]').exists()).toBe(true);
    await w2.find('[data-test=submit]').trigger('click');
    await settle();
    expect(submits).toEqual([]);
    expect(w2.find('[data-field="images.demoBase"]').text()).toContain('Une référence d’image Docker');
  });
});

describe('placeholders that say something', () => {
  it('the app’s fields: none falls back to naive-ui’s “Please Input”, and what empty limits mean is written under them', async () => {
    const form = reactive(formFrom({ name: 'shop' }));
    chooseBackends(form, 'app');
    form.app.port = null;
    form.replicas.count = null;
    form.replicas.prefix = '';
    form.healthCheck.path = '';
    form.app.vars.push({ key: 1, name: '', value: '', secret: false, replacing: false });
    const w = mountInApp(AppFields, { form, fb: (path: string) => ({ 'data-field': path }) }, 'fr');
    await settle();
    const shown = placeholders(w);
    for (const p of DEFAULT_PLACEHOLDERS) expect(shown).not.toContain(p);
    expect(w.find('[data-test=app-command] textarea').attributes('placeholder')).toBe('celle de l’image');
    expect(w.find('[data-test=app-memory] input').attributes('placeholder')).toBe('sans limite');
    // The explanation is read under each limit, not cut off in its placeholder.
    for (const f of ['app.memoryMb', 'app.cpus']) expect(w.find(`[data-field="${f}"] .n-form-item-feedback`).text()).toBe('Par réplique ; vide : sans limite.');
  });

  it('a problem on a limit takes the place of its help', async () => {
    const form = reactive(formFrom({ name: 'shop' }));
    chooseBackends(form, 'app');
    const fb = (path: string) => (path === 'app.memoryMb' ? { 'data-field': path, validationStatus: 'error', feedback: 'Doit valoir au moins 6.' } : { 'data-field': path });
    const w = mountInApp(AppFields, { form, fb }, 'fr');
    await settle();
    expect(w.find('[data-field="app.memoryMb"] .n-form-item-feedback').text()).toBe('Doit valoir au moins 6.');
    expect(w.find('[data-field="app.cpus"] .n-form-item-feedback').text()).toBe('Par réplique ; vide : sans limite.');
  });

  it('the backup and restore forms: explicit placeholders, and the restore’s “Mode” in French', async () => {
    const w = mountInApp(BackupRestore, {}, 'fr');
    await settle();
    const shown = placeholders(w);
    for (const p of DEFAULT_PLACEHOLDERS) expect(shown).not.toContain(p);
    expect(w.find('[data-test=backup-passphrase] input').attributes('placeholder')).toBe('aucune : secrets laissés de côté');
    expect(w.find('[data-test=restore-passphrase] input').attributes('placeholder')).toBe('celle de sa création, s’il en a une');
    const restoreLabels = w
      .find('[data-test=restore-form]')
      .findAll('.n-form-item-label')
      .map((l) => l.text());
    expect(restoreLabels).toContain('Mode');
    expect(restoreLabels).not.toContain('Comment');
  });

  it('the traffic form: a short rate placeholder with its meaning under it, plain mode names, and Keep cookies beside the path', async () => {
    const w = mountInApp(TrafficPanel, { environment: 'lab', servers: ['back1', 'back2'] }, 'fr');
    await settle();
    for (const p of DEFAULT_PLACEHOLDERS) expect(placeholders(w)).not.toContain(p);
    expect(w.find('[data-test=traffic-by-requests]').text()).toBe('Nombre de requêtes');
    expect(w.find('[data-test=traffic-by-duration]').text()).toBe('Durée');
    expect(w.find('[data-test=traffic-rate] input').attributes('placeholder')).toBe('aucun');
    const rateItem = w.findAll('.n-form-item').find((i) => i.find('[data-test=traffic-rate]').exists())!;
    expect(rateItem.find('.n-form-item-feedback').text()).toBe('Tous clients confondus ; vide : aussi vite que le répartiteur répond.');
    // One field, Path, holds the switch: no row of its own.
    const pathItem = w.findAll('.n-form-item').find((i) => i.find('[data-test=traffic-path]').exists())!;
    expect(pathItem.find('.n-form-item-label').text()).toBe('Chemin');
    expect(pathItem.find('[data-test=traffic-keep-cookies]').exists()).toBe(true);
    expect(pathItem.text()).toContain('Garder les cookies');

    i18n.global.locale.value = 'en';
    await flush();
    expect(w.find('[data-test=traffic-by-requests]').text()).toBe('Number of requests');
    expect(w.find('[data-test=traffic-by-duration]').text()).toBe('Duration');
  });
});

describe('the French window', () => {
  it('names the form’s sections and switches in French', async () => {
    const w = mountInApp(EnvironmentForm, { initial: formFrom({ name: 'lab' }), mode: 'create' }, 'fr');
    await settle();
    const text = w.text();
    expect(text).toContain('Redistribution (redispatch)');
    expect(text).toContain('Serveurs backend');
    expect(text).not.toMatch(/\bRedispatch\b/);
    expect(w.findAll('[data-test=server-kind]').map((s) => s.text())).toEqual(['Backend de démo', 'Backend de démo']);
  });

  it('leaves no plain English word where a French one is expected', () => {
    const frenchOf = {
      'form.redispatch': [en.form.redispatch, fr.form.redispatch],
      'apps.backends': [en.apps.backends, fr.apps.backends],
      'servers.title': [en.servers.title, fr.servers.title],
      'environments.columns.backends': [en.environments.columns.backends, fr.environments.columns.backends],
      'tasks.steps.backends': [en.tasks.steps.backends, fr.tasks.steps.backends],
      'logs.server': [en.logs.server, fr.logs.server],
      'hosts.kind.local': [en.hosts.kind.local, fr.hosts.kind.local],
    };
    for (const [key, [english, french]] of Object.entries(frenchOf)) expect(french, key).not.toBe(english);
    expect(fr.https.stagingFirst).toBe('Essayer d’abord l’environnement de test de Let’s Encrypt');
    expect(fr.https.directories['letsencrypt-staging']).not.toMatch(/staging/);
  });
});

describe('naive-ui’s own words', () => {
  beforeEach(() => {
    fake
      .handle('system:info', () => ({
        version: '0.1.0',
        dataDir: '/home/ana/.config/Switchyard',
        installation: { installation: '6f1c2c9e-3d0b-4d55-9d1e-0c6a1f1b2a10', by: 'ana@laptop' },
        os: 'linux',
        docker: { reachable: true, endpoint: 'unix:///var/run/docker.sock', version: '27.3.1' },
      }))
      .handle('tasks:list', () => [])
      .handle('stats:settings', () => ({ intervalMs: 1000 }))
      // The list never comes: its spinner stays.
      .handle('environments:list', () => new Promise(() => undefined));
  });

  it('follow the language chosen: locale and dates, and the spinners’ names', async () => {
    localStorage.setItem('switchyard.settings', JSON.stringify({ locale: 'fr' }));
    const w = mountInApp(App, {}, 'fr');
    await settle();
    const provider = w.findComponent(NConfigProvider);
    expect(provider.props('locale')?.name).toBe('fr-FR');
    expect(provider.props('dateLocale')?.name).toBe('fr-FR');
    const spinners = () => [...document.body.querySelectorAll('.n-base-loading')].map((s) => s.getAttribute('aria-label'));
    expect(spinners().length).toBeGreaterThan(0);
    expect(new Set(spinners())).toEqual(new Set(['Chargement…']));

    await w.find('[data-test=language-en] input').setValue(true);
    await settle();
    expect(provider.props('locale')?.name).toBe('en-US');
    expect(provider.props('dateLocale')?.name).toBe('en-US');
    expect(new Set(spinners())).toEqual(new Set(['Loading…']));
  });

  it('a message appears at the top right, clear of the page’s title and address', async () => {
    const w = mountInApp(App);
    await settle();
    const messages = w.findAllComponents({ name: 'MessageProvider' });
    expect(messages.map((m) => m.props('placement'))).toContain('top-right');
  });
});

describe('the Hosts view', () => {
  it('names its two refresh buttons apart, and the environments on a host read as a link', async () => {
    fake.handle('clusters:info', ({ host }) => ({ host, state: 'inactive', manager: false, nodes: [], problems: [] }));
    const w = mountInApp(HostsView);
    await settle();
    const names = w.findAll('button').map((b) => b.text());
    expect(names.filter((n) => n === 'Refresh')).toHaveLength(1);
    expect(w.find('[data-test=cluster-refresh]').text()).toBe('Refresh cluster');
    const show = w.find('[data-test=show-found]');
    expect(show.text()).toBe('Environments on this host →');
    // In the link colour, with no button frame around it.
    expect(show.classes()).toContain('n-button--primary-type');
    expect(show.attributes('style')).toMatch(/--n-text-color: #18a058;/);
    expect(show.attributes('style')).toMatch(/--n-border: none;/);
  });

  it('in French: the tag and the buttons', async () => {
    fake.handle('clusters:info', ({ host }) => ({ host, state: 'inactive', manager: false, nodes: [], problems: [] }));
    const w = mountInApp(HostsView, {}, 'fr');
    await settle();
    expect(w.find('[data-host=local] .n-tag').text()).toBe('en local');
    expect(w.find('[data-test=cluster-refresh]').text()).toBe('Actualiser la grappe');
    expect(w.find('[data-test=show-found]').text()).toBe('Environnements de cet hôte →');
  });
});

describe('a view whose code is gone', () => {
  /** A window opened before an update asks for a file the new build has replaced. */
  const stale = () => Promise.reject(new TypeError('Failed to fetch dynamically imported module: http://127.0.0.1:19231/assets/HostsView-0ld.js'));

  it('says Switchyard was updated and offers a reload, instead of a blank panel', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const reload = vi.spyOn(window.location, 'reload').mockImplementation(() => undefined);
    const View = lazyView(stale);
    const w = mountInApp(View);
    await settle();
    const notice = w.find('[data-test=reload-notice]');
    expect(notice.exists()).toBe(true);
    expect(notice.text()).toContain('Switchyard was updated — reload');
    await notice.find('[data-test=reload]').trigger('click');
    expect(reload).toHaveBeenCalledTimes(1);
  });

  it('in French', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const View = lazyView(stale);
    const w = mountInApp(View, {}, 'fr');
    await settle();
    expect(w.find('[data-test=reload-notice]').text()).toContain('Switchyard a été mis à jour — rechargez');
    expect(w.find('[data-test=reload]').text()).toBe('Recharger');
  });
});
