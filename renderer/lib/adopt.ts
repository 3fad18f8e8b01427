import { useI18n } from 'vue-i18n';
import { useDialog, useMessage } from 'naive-ui';
import type { InstallationRef } from '../../shared/contract';
import { useEnvironmentsStore } from '../stores/environments';
import { toUiError, type UiError } from './errors';

/** The first eight characters of an installation id, as the core's messages show it. */
export const shortInstallation = (id: string) => id.slice(0, 8);

/**
 * Adopting takes an environment from another Switchyard: always behind a confirmation that names
 * who it is taken from and which settings will run.
 */
export function useAdopt(onError: (e: UiError) => void) {
  const { t } = useI18n();
  const dialog = useDialog();
  const message = useMessage();
  const envs = useEnvironmentsStore();
  return (name: string, host: string, owner: InstallationRef | undefined, known: boolean) => {
    dialog.warning({
      title: t('ownership.confirm.title', { name }),
      content: t('ownership.confirm.body', {
        name,
        by: owner ? `${owner.by} (${shortInstallation(owner.installation)})` : '—',
        settings: known ? t('ownership.confirm.ours') : t('ownership.confirm.theirs'),
      }),
      positiveText: t('ownership.confirm.confirm'),
      negativeText: t('common.cancel'),
      positiveButtonProps: { type: 'warning', ...({ 'data-test': 'confirm-adopt' } as object) },
      onPositiveClick: async () => {
        try {
          await envs.adopt(name, host);
          message.info(t('ownership.started', { name }));
        } catch (err) {
          onError(toUiError(err));
        }
      },
    });
  };
}
