/**
 * What Switchyard has on a host, seen from outside a running environment: by name (what to clean
 * up after forgetting an environment or a host) or by labels (environments found there).
 */
import type { InstallationRef } from './system';

/**
 * What Switchyard creates on a host for one environment, by name: what may remain there when
 * the environment is forgotten without the host being reached.
 */
export interface Footprint {
  environment: string;
  /** The id of the host it is placed on. */
  host: string;
  /** Every container, network and volume of it carries this label (`docker ps -a --filter label=…`). */
  label: string;
  containers: string[];
  networks: string[];
  volumes: string[];
}

export interface Forgotten {
  forgotten: true;
  /** What may remain on the host, one entry per environment forgotten. */
  left: Footprint[];
}

/** An environment found on a host, deployed by this or another Switchyard. */
export interface FoundEnvironment {
  name: string;
  /** This installation's store has an environment of that name on the host. */
  known: boolean;
  /** This installation manages it there (its own, or one it may claim: made before installations had ids). */
  managedHere: boolean;
  /** Who manages it, when the host says so. */
  owner?: InstallationRef;
  containers: number;
  running: number;
  httpPort?: number;
  /** Settings to adopt it with exist: this store's, or those its manager left on the host. */
  adoptable: boolean;
}
