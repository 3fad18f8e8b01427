/**
 * Settings → Backup and restore, against the fake transport: the passphrase typed twice, the
 * preview table before a restore, the confirmation, and refusals on their fields, in English and French.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import type { BackupSummary, RestorePreview } from '../../../shared/backup';
import type { ErrorInfo } from '../../../shared/errors';
import { LOCAL_HOST } from '../../../shared/model';
import BackupRestore from '../../../renderer/components/BackupRestore.vue';
import { FakeTransport, flush, freshApp, mountInApp, settle, unmountAll } from './fake-transport';

let fake: FakeTransport;
beforeEach(() => {
  fake = freshApp()
    .handle('hosts:list', () => [LOCAL_HOST])
    .handle('registries:list', () => []);
});
afterEach(() => unmountAll());

async function type(w: VueWrapper, selector: string, value: string): Promise<void> {
  await w.find(`${selector} input`).setValue(value);
  await flush();
}
const inputValues = () => [...document.querySelectorAll('input')].map((i) => (i as HTMLInputElement).value);

const counts = { environments: 2, hosts: 1, registries: 1, releases: 3, configs: 4, acmeAccounts: 1, certificates: 1, secrets: 4 };
const summary: BackupSummary = { file: '/home/ana/sy.backup', format: 1, createdAt: '2026-02-01T10:00:00.000Z', bytes: 4096, encrypted: true, counts, secretsLeftOut: 0 };
const preview = (over: Partial<RestorePreview> = {}): RestorePreview => ({
  file: '/home/ana/sy.backup',
  mode: 'merge',
  dataDir: '/home/ana/.config/Switchyard',
  backup: { format: 1, createdAt: '2026-02-01T10:00:00.000Z', app: '0.1.0', from: { installation: 'aaaaaaaa-1', by: 'ana@laptop' }, encrypted: false, counts: { ...counts, secrets: 0 } },
  fromThisInstallation: false,
  items: [
    { kind: 'environment', name: 'shop', action: 'add', releases: 3, configs: 4, certificate: false },
    { kind: 'environment', name: 'mine', action: 'keep' },
    { kind: 'host', name: 'vps-1', action: 'replace' },
    { kind: 'acme-account', name: 'ops@example.com', directory: 'https://acme.example/dir', action: 'skip' },
  ],
  missingSecrets: [
    { kind: 'host-password', host: 'vps-1' },
    { kind: 'app-variable', environment: 'shop', variable: 'API_TOKEN' },
  ],
  ...over,
});

describe('backup', () => {
  it('asks for the passphrase twice, sends it with the call only, and shows what the file holds', async () => {
    fake.handle('backup:create', () => summary);
    const w = mountInApp(BackupRestore);
    await type(w, '[data-test=backup-file]', 'relative.backup');
    await type(w, '[data-test=backup-passphrase]', 'long enough words');
    await type(w, '[data-test=backup-passphrase-again]', 'long enough wordz');
    await w.find('[data-test=backup-create]').trigger('click');
    await settle();
    expect(fake.callsTo('backup:create')).toEqual([]);
    expect(w.find('[data-test=backup-form] [data-field=file]').text()).toContain('The absolute path of a file');
    expect(w.find('[data-test=backup-form] [data-field=again]').text()).toContain('The two passphrases differ.');

    await type(w, '[data-test=backup-file]', '/home/ana/sy.backup');
    await type(w, '[data-test=backup-passphrase-again]', 'long enough words');
    await w.find('[data-test=backup-create]').trigger('click');
    await settle();
    expect(fake.callsTo('backup:create')).toEqual([{ file: '/home/ana/sy.backup', passphrase: 'long enough words' }]);
    expect(inputValues()).not.toContain('long enough words');
    const shown = w.find('[data-test=backup-summary]').text();
    expect(shown).toContain('Environments 2');
    expect(shown).toContain('Config versions 4');
    expect(w.find('[data-test=backup-secrets]').text()).toBe('Secrets: 4, encrypted with the passphrase.');
  });

  it('a refusal of the core shows on the field it names, in French', async () => {
    fake.handle('backup:create', (r) => ({
      error: { code: 'VALIDATION', message: `file: ${r.file} already exists and is not a Switchyard backup: choose another file`, field: 'file', reason: 'backupExists', params: { file: r.file } },
    }));
    const w = mountInApp(BackupRestore, {}, 'fr');
    await type(w, '[data-test=backup-file]', '/home/ana/notes.txt');
    await w.find('[data-test=backup-create]').trigger('click');
    await settle();
    expect(w.find('[data-test=backup-form] [data-field=file]').text()).toContain('/home/ana/notes.txt existe déjà et n’est pas une sauvegarde de Switchyard');
  });
});

describe('restore', () => {
  it('previews first (added, replaced, kept, left out, and the secrets that will be missing), then restores after a confirmation', async () => {
    fake.handle('backup:preview', () => preview()).handle('backup:restore', () => ({ ...preview(), restored: true as const }));
    const w = mountInApp(BackupRestore);
    await type(w, '[data-test=restore-file]', '/home/ana/sy.backup');
    expect(w.find('[data-test=restore-apply]').exists()).toBe(false);
    await w.find('[data-test=restore-preview]').trigger('click');
    await settle();
    expect(fake.callsTo('backup:preview')).toEqual([{ file: '/home/ana/sy.backup', mode: 'merge' }]);
    const rows = w.findAll('[data-test=restore-item]').map((r) => r.findAll('td').map((td) => td.text()));
    expect(rows).toEqual([
      ['Added', 'Environment', 'shop', 'releases: 3, config versions: 4'],
      ['Kept', 'Environment', 'mine', ''],
      ['Replaced', 'Host', 'vps-1', ''],
      ['Left out', 'ACME account', 'ops@example.com', 'https://acme.example/dir · its key is not in the backup'],
    ]);
    expect(w.findAll('[data-test=restore-missing-item]').map((i) => i.text())).toEqual(['Host vps-1: its SSH password', 'Environment shop: variable API_TOKEN']);
    expect(w.find('[data-test=restore-other-installation]').text()).toContain('ana@laptop');
    expect(fake.callsTo('backup:restore')).toEqual([]);

    await w.find('[data-test=restore-apply]').trigger('click');
    await flush();
    expect(document.body.querySelector('.n-dialog')?.textContent).toContain('Added: 1. Replaced: 1.');
    (document.querySelector('[data-test=confirm-restore]') as HTMLElement).click();
    await settle();
    expect(fake.callsTo('backup:restore')).toEqual([{ file: '/home/ana/sy.backup', mode: 'merge' }]);
    // The page reads the hosts and logins again: a restore changed them.
    expect(fake.callsTo('hosts:list').length).toBeGreaterThan(0);
    expect(w.find('[data-test=restore-preview-table]').exists()).toBe(false);
  });

  it('a wrong passphrase or a replace into a folder with data: said on that field; changing the form drops the preview', async () => {
    const refused = (error: ErrorInfo) => ({ error });
    fake.handle('backup:preview', (r) =>
      r.mode === 'replace'
        ? refused({ code: 'VALIDATION', message: 'mode: …', field: 'mode', reason: 'restoreNotEmpty', params: { environments: 2, hosts: 1, registries: 0 } })
        : r.passphrase === 'right one'
          ? preview()
          : refused({ code: 'VALIDATION', message: 'passphrase: …', field: 'passphrase', reason: 'backupWrongPassphrase', params: { file: r.file } }),
    );
    const w = mountInApp(BackupRestore, {}, 'fr');
    await type(w, '[data-test=restore-file]', '/home/ana/sy.backup');
    await type(w, '[data-test=restore-passphrase]', 'wrong one');
    await w.find('[data-test=restore-preview]').trigger('click');
    await settle();
    expect(w.find('[data-test=restore-form] [data-field=passphrase]').text()).toContain('Ce n’est pas la phrase secrète avec laquelle /home/ana/sy.backup a été fait.');

    await type(w, '[data-test=restore-passphrase]', 'right one');
    await w.find('[data-test=restore-preview]').trigger('click');
    await settle();
    expect(w.find('[data-test=restore-preview-table]').exists()).toBe(true);
    expect(w.findAll('[data-test=restore-item]')[0].text()).toContain('Ajouté');

    await w.findAll('[data-test=restore-mode] input')[1].setValue(true);
    await settle();
    expect(w.find('[data-test=restore-preview-table]').exists()).toBe(false);
    await w.find('[data-test=restore-preview]').trigger('click');
    await settle();
    expect(w.find('[data-test=restore-form] [data-field=mode]').text()).toContain('Ce dossier de données n’est pas vide (environnements : 2, hôtes : 1');
  });
});
