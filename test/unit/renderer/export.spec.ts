import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NDropdown } from 'naive-ui';
import type { ExportResult } from '../../../shared/exports';
import EnvironmentView from '../../../renderer/views/EnvironmentView.vue';
import { FakeTransport, freshApp, labEnvironment, mountInApp, settle, unmountAll } from './fake-transport';

const running = { name: 'lab', state: 'running' as const, containers: [], servers: [], haproxy: { reachable: true, configInSync: true } };
const result: ExportResult = {
  environment: 'lab',
  format: 'stack',
  dir: '/home/me/lab-stack',
  files: ['.env', 'README.md', 'haproxy/haproxy.cfg', 'stack.yaml'],
  zip: '/home/me/lab-stack.zip',
  secrets: ['API_TOKEN'],
  secretsFile: '.env',
  run: 'docker stack deploy -c stack.yaml lab',
};
const dialog = () => document.body.querySelector('[data-test=export-dialog]') as HTMLElement | null;
const input = (test: string) => dialog()!.querySelector(`[data-test=${test}] input`) as HTMLInputElement;

let fake: FakeTransport;
beforeEach(() => {
  fake = freshApp()
    .handle('environments:list', () => [labEnvironment()])
    .handle('environments:render', () => ({ config: 'global\n' }))
    .handle('environments:status', () => running);
});
afterEach(unmountAll);

async function openExport(locale: 'en' | 'fr' = 'en') {
  const w = mountInApp(EnvironmentView, { name: 'lab' }, locale);
  await settle();
  w.findComponent(NDropdown).vm.$emit('select', 'export');
  await settle();
  expect(dialog()).not.toBeNull();
  return w;
}

async function fill(dir: string, format?: string) {
  if (format) (dialog()!.querySelector(`[data-test=export-format-${format}] input`) as HTMLInputElement).click();
  const field = input('export-dir');
  field.value = dir;
  field.dispatchEvent(new Event('input'));
  await settle();
  (dialog()!.querySelector('[data-test=export-submit]') as HTMLButtonElement).click();
  await settle();
}

describe('exporting an environment from its view', () => {
  it('sends the format and folder chosen, then lists what was written and where the secrets go', async () => {
    fake.handle('environments:export', () => result);
    await openExport();
    expect(dialog()!.textContent).toContain('Docker Compose project');
    expect(dialog()!.textContent).toContain('JPS manifest (Jelastic / Virtuozzo)');
    await fill('/home/me/lab-stack', 'stack');
    expect(fake.callsTo('environments:export')).toEqual([{ environment: 'lab', format: 'stack', dir: '/home/me/lab-stack', zip: true }]);
    const done = dialog()!.querySelector('[data-test=export-done]')!;
    expect(done.textContent).toContain('Exported to /home/me/lab-stack');
    expect([...done.querySelectorAll('[data-test=export-files] code')].map((c) => c.textContent)).toEqual(result.files);
    expect(done.querySelector('[data-test=export-zip]')!.textContent).toBe('Zip: /home/me/lab-stack.zip');
    expect(done.querySelector('[data-test=export-secrets]')!.textContent).toContain('Fill in the values of API_TOKEN in .env');
    expect(done.querySelector('[data-test=export-run]')!.textContent).toBe('docker stack deploy -c stack.yaml lab');
  });

  it('says a refused folder under the folder field, in the user’s language', async () => {
    fake.handle('environments:export', () => ({
      error: { code: 'VALIDATION', message: 'dir: /home/me/full is not empty', field: 'dir', reason: 'exportDirNotEmpty', params: { dir: '/home/me/full' } },
    }));
    await openExport('fr');
    expect(dialog()!.textContent).toContain('Projet Docker Compose');
    await fill('/home/me/full');
    expect(fake.callsTo('environments:export')).toEqual([{ environment: 'lab', format: 'compose', dir: '/home/me/full', zip: true }]);
    expect(dialog()!.textContent).toContain('Le dossier /home/me/full n’est pas vide');
    expect(dialog()!.querySelector('[data-test=export-done]')).toBeNull();
    expect(dialog()!.querySelector('[data-test=error]')).toBeNull();
  });
});
