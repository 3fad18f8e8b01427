/**
 * Modules the build makes up (electron.vite.config.ts). Kept as a script (no top-level import)
 * so the declarations stay ambient.
 */

/** Every package shipped with the app and its license, read from node_modules at build time. */
declare module 'virtual:switchyard/licenses' {
  const licenses: import('../shared/licenses').LicenseEntry[];
  export default licenses;
}
