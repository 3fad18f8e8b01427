import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Task } from '../../shared/contract';
import type { CertificateStatus, HttpsSettingsInput } from '../../shared/https';
import { invoke, onReconnect, subscribe } from '../api/client';
import { toUiError, type UiError } from '../lib/errors';
import { useEnvironmentsStore } from './environments';
import { useTasksStore } from './tasks';

/**
 * Where each environment's certificate stands (valid until, next renewal, last error), kept
 * current by the core's `certificates:status` events, and the one-click HTTPS actions.
 */
export const useCertificatesStore = defineStore('certificates', () => {
  const envs = useEnvironmentsStore();
  const tasks = useTasksStore();
  /** `null`: asked, and there is no certificate yet. */
  const statuses = ref<Record<string, CertificateStatus | null>>({});
  const errors = ref<Record<string, UiError>>({});

  async function load(environment: string): Promise<CertificateStatus | null | undefined> {
    try {
      const s = await invoke('certificates:status', { environment });
      statuses.value[environment] = s;
      delete errors.value[environment];
      return s;
    } catch (err) {
      errors.value[environment] = toUiError(err);
      return undefined;
    }
  }

  /** Statuses of every environment with HTTPS switched on. */
  async function loadAll(): Promise<void> {
    await Promise.all(envs.environments.filter((e) => e.https?.enabled).map((e) => load(e.name)));
  }

  /** Saves the settings (the core checks them, naming the field at fault) without ordering. */
  async function save(environment: string, https: HttpsSettingsInput): Promise<void> {
    await envs.update(environment, { https });
  }

  /**
   * One click: saves the settings with HTTPS on, then orders and installs the certificate as
   * a task (prepare → preflight → order → challenge → finalize → install → verify).
   */
  async function enable(environment: string, https: HttpsSettingsInput): Promise<string> {
    await save(environment, { ...https, enabled: true });
    return renew(environment);
  }

  /** Orders a certificate now; resolves with the task's id. */
  async function renew(environment: string): Promise<string> {
    const { taskId } = await invoke('certificates:order', { environment });
    return taskId;
  }

  /** Turns HTTPS off in the settings; the next deploy removes the HTTPS listener. */
  async function disable(environment: string, https: HttpsSettingsInput): Promise<void> {
    await save(environment, { ...https, enabled: false });
  }

  subscribe('certificates:status', {}, (s) => (statuses.value[s.environment] = s));
  // A certificate task that ends has changed the status (or its last error): read it back.
  tasks.onFinished((t: Task) => {
    if (t.kind === 'certificate' || (t.kind === 'destroy' && t.state === 'succeeded')) void load(t.target);
  });
  onReconnect(() => void loadAll());

  return { statuses, errors, load, loadAll, save, enable, renew, disable };
});
