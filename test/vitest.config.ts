import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';
import { licensesPlugin } from '../resources/packaging/licenses.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export default defineConfig({
  root,
  test: {
    reporters: ['default', path.join(root, 'test/support/summary-reporter.ts')],
    // The `switchyard` command the tests start, bundled from the sources under test.
    globalSetup: [path.join(root, 'test/support/cli-bundle.ts')],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', testTimeout: 20_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // One Docker engine and 2 cores: files run one after another, each cleans up by label.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        // The About view's licenses come from a module the build makes up, as in the app.
        plugins: [vue(), licensesPlugin(root)],
        define: {
          __VUE_I18N_FULL_INSTALL__: 'false',
          __VUE_I18N_LEGACY_API__: 'false',
          __INTLIFY_PROD_DEVTOOLS__: 'false',
        },
        test: {
          name: 'component',
          // *.spec.ts: the unit project already takes every *.test.ts under test/unit.
          include: ['test/unit/renderer/**/*.spec.ts'],
          environment: 'happy-dom',
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          // One Docker engine, one Chromium: files run one after another.
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
