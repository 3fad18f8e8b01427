/**
 * One open-source package shipped inside Switchyard, as the About view lists it: made at build
 * time from the packages' own package.json and license files (resources/packaging/licenses.ts).
 */
export interface LicenseEntry {
  name: string;
  version: string;
  /** The SPDX expression the package declares (`MIT`, `(MIT OR Apache-2.0)`), or `UNKNOWN`. */
  license: string;
  /** Its source repository or home page, as a web address. */
  url?: string;
  /** The text of its license file (LICENSE, COPYING, …), which many licenses ask to ship along. */
  text?: string;
}
