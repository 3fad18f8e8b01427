/**
 * Settings → Desktop notifications: the two switches read and change the installation's
 * preferences (kept by the core, so the main process that shows notifications reads them), follow
 * a change made elsewhere, and the window tells the core its language.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPreferences, defaultPreferences, type Preferences, type PreferencesPatch } from '../../../shared/preferences';
import SettingsView from '../../../renderer/views/SettingsView.vue';
import { useSettingsStore } from '../../../renderer/stores/settings';
import { FakeTransport, freshApp, mountInApp, settle, unmountAll } from './fake-transport';

let fake: FakeTransport;
let prefs: Preferences;
beforeEach(() => {
  localStorage.clear();
  prefs = defaultPreferences();
  fake = freshApp();
  fake
    .handle('stats:settings', () => ({ intervalMs: 1000 }))
    .handle('preferences:get', () => prefs)
    .handle('preferences:set', (patch: PreferencesPatch) => (prefs = applyPreferences(prefs, patch as Parameters<typeof applyPreferences>[1])));
});
afterEach(unmountAll);

const switchOf = (w: ReturnType<typeof mountInApp>, kind: string) => w.find(`[data-test=settings-notify-${kind}]`);
const isOn = (w: ReturnType<typeof mountInApp>, kind: string) => switchOf(w, kind).attributes('aria-checked') === 'true';

describe('desktop notification settings', () => {
  it('shows both on by default, turns backend alerts off in the core, and leaves certificates on', async () => {
    const w = mountInApp(SettingsView);
    await settle();
    const section = w.find('[data-test=settings-notifications]').text();
    expect(section).toContain('Desktop notifications');
    expect(section).toContain('A server goes down (its health checks fail), or an environment has no server left.');
    expect([isOn(w, 'backends'), isOn(w, 'certificates')]).toEqual([true, true]);
    expect(switchOf(w, 'backends').attributes('aria-label')).toBe('Backends');

    await switchOf(w, 'backends').trigger('click');
    await settle();
    expect(fake.callsTo('preferences:set')).toContainEqual({ notifications: { backends: false } });
    expect(prefs.notifications).toEqual({ backends: false, certificates: true });
    expect([isOn(w, 'backends'), isOn(w, 'certificates')]).toEqual([false, true]);
  });

  it('follows a change made from the CLI or another window', async () => {
    const w = mountInApp(SettingsView);
    await settle();
    fake.emit('preferences:changed', { notifications: { backends: true, certificates: false } });
    await settle();
    expect([isOn(w, 'backends'), isOn(w, 'certificates')]).toEqual([true, false]);
  });

  it('in French', async () => {
    useSettingsStore().localePref = 'fr';
    const w = mountInApp(SettingsView, {}, 'fr');
    await settle();
    const section = w.find('[data-test=settings-notifications]').text();
    expect(section).toContain('Notifications du bureau');
    expect(section).toContain('Serveurs backend');
    expect(section).toContain('Certificats');
  });

  it('tells the core the language the window shows, so notifications speak it', async () => {
    const settings = useSettingsStore();
    await settings.applySaved();
    await settle();
    expect(prefs.locale).toBe('en');
    settings.localePref = 'fr';
    await settle();
    expect(prefs.locale).toBe('fr');
  });

  it('a window that opens in the language already kept writes nothing', async () => {
    prefs = { ...prefs, locale: 'en' };
    await useSettingsStore().applySaved();
    await settle();
    expect(fake.callsTo('preferences:get')).toHaveLength(1);
    expect(fake.callsTo('preferences:set')).toEqual([]);
  });

  it('builds the long license list only when asked', async () => {
    const w = mountInApp(SettingsView);
    await settle();
    expect(w.find('[data-test=licenses]').exists()).toBe(false);
    await w.find('[data-test=licenses-show]').trigger('click');
    await settle();
    expect(w.find('[data-test=licenses]').exists()).toBe(true);
  });
});
