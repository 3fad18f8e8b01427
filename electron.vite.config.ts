import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';
import { licensesPlugin, recordBundledPackages } from './resources/packaging/licenses';

const root = import.meta.dirname;
/** Packages main and preload inline (built first), for the licenses the renderer lists. */
const inlined = new Set<string>();

export default defineConfig({
  main: {
    plugins: [recordBundledPackages(inlined)],
    build: {
      outDir: resolve(root, 'out/main'),
      lib: { entry: resolve(root, 'electron/main/index.ts') },
      // Everything in package.json's dependencies stays a runtime require (electron-vite's
      // default). dockerode pulls in ssh2 and its optional native cpu-features, which must
      // be loaded from node_modules at run time, never inlined.
      externalizeDeps: { include: ['dockerode', 'ssh2', 'cpu-features'] },
    },
  },
  preload: {
    plugins: [recordBundledPackages(inlined)],
    build: {
      outDir: resolve(root, 'out/preload'),
      lib: { entry: resolve(root, 'electron/preload/index.ts') },
      // A sandboxed preload can require only 'electron' and a few built-ins, so the shared
      // contract and zod have to be inlined; and it cannot be an ES module, hence CommonJS.
      externalizeDeps: false,
      rolldownOptions: {
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    // Only 127.0.0.1, and so the page's CSP ('self' + ws://127.0.0.1:*) also covers HMR.
    server: { host: '127.0.0.1' },
    build: {
      outDir: resolve(root, 'out/renderer'),
      // electron-vite leaves the renderer unminified; the page is also served to browsers.
      minify: true,
      rolldownOptions: { input: resolve(root, 'renderer/index.html') },
    },
    define: {
      // vue-i18n's compile-time flags: composition API only, no devtools hooks in production.
      __VUE_I18N_FULL_INSTALL__: 'false',
      __VUE_I18N_LEGACY_API__: 'false',
      __INTLIFY_PROD_DEVTOOLS__: 'false',
    },
    // The About view's list of bundled packages and their licenses, read at build time.
    plugins: [vue(), licensesPlugin(root, inlined)],
  },
});
