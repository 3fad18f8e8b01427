/**
 * Changes to the stored model, pushed as events whoever made them (this process, or another on
 * the same data folder such as the CLI).
 */
import type { SshHost } from './hosts';
import type { Environment } from './model';

/** What changed in the store (this process's change or another's, the CLI's for one). */
export interface EnvironmentChange {
  change: 'created' | 'updated' | 'removed';
  name: string;
  /** As saved now; absent once removed. */
  environment?: Environment;
}

export interface HostChange {
  change: 'created' | 'updated' | 'removed';
  id: string;
  /** As saved now; absent once removed. */
  host?: SshHost;
}
