import { reactive } from 'vue';
import EnvironmentForm from '../../../renderer/components/EnvironmentForm.vue';
import { formFrom } from '../../../renderer/lib/environment-form';
import { mountInApp } from './fake-transport';

/**
 * The environment form as the New environment view mounts it, on the lab's defaults; the props
 * are reactive so a test can change one the way the parent view would. `submits` records each
 * submit (the input, and whether to deploy).
 */
export function mountEnvironmentForm(extra: Record<string, unknown> = {}, locale: 'en' | 'fr' = 'en') {
  const submits: [Record<string, unknown>, boolean][] = [];
  const props = reactive<Record<string, unknown>>({
    initial: formFrom({ name: 'lab' }),
    mode: 'create',
    onSubmit: (input: Record<string, unknown>, deploy: boolean) => submits.push([input, deploy]),
    ...extra,
  });
  const w = mountInApp(EnvironmentForm, props, locale);
  return { w, submits, props };
}
