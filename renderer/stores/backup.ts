import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { BackupCreateRequest, BackupRestoreRequest, BackupSummary, RestorePreview, RestoreResult } from '../../shared/backup';
import { invoke } from '../api/client';
import { useHostsStore } from './hosts';
import { useRegistriesStore } from './registries';

/**
 * Backups of the data folder and their restores. Passphrases go to the core with the call and
 * are never kept here; a preview is shown before a restore is asked for.
 */
export const useBackupStore = defineStore('backup', () => {
  const lastBackup = ref<BackupSummary | null>(null);
  const preview = ref<RestorePreview | null>(null);
  const lastRestore = ref<RestoreResult | null>(null);

  async function create(req: BackupCreateRequest): Promise<BackupSummary> {
    lastBackup.value = await invoke('backup:create', req);
    return lastBackup.value;
  }

  /** What a restore would do now; nothing is changed. */
  async function previewRestore(req: BackupRestoreRequest): Promise<RestorePreview> {
    preview.value = null;
    preview.value = await invoke('backup:preview', req);
    return preview.value;
  }

  async function restore(req: BackupRestoreRequest): Promise<RestoreResult> {
    const result = await invoke('backup:restore', req);
    lastRestore.value = result;
    preview.value = null;
    // Environments follow by their own events; hosts and logins are read again.
    await Promise.all([useHostsStore().load(), useRegistriesStore().load()]);
    return result;
  }

  function clearPreview(): void {
    preview.value = null;
  }

  return { lastBackup, preview, lastRestore, create, previewRestore, restore, clearPreview };
});
