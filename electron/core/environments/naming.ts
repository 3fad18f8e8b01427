/**
 * Names and labels of everything Switchyard creates in Docker. Labels are how actual state is
 * read back (and how destroy finds exactly what belongs to one environment and nothing else).
 */
export const LABEL_APP = 'io.switchyard.app';
export const LABEL_ENV = 'io.switchyard.environment';
export const LABEL_ROLE = 'io.switchyard.role';
export const LABEL_SERVER = 'io.switchyard.server';
/** Hash of what the container was created from; a different hash means "recreate". */
export const LABEL_SPEC = 'io.switchyard.spec';
/** The installation (one data folder) that created the resource, and who ran it (`user@machine`). */
export const LABEL_INSTALLATION = 'io.switchyard.installation';
export const LABEL_OWNER = 'io.switchyard.owner';
/** On the per-environment lock container only (not an environment label: destroy must not sweep it away). */
export const LABEL_LOCK = 'io.switchyard.lock';

export const PREFIX = 'sy';

/** Ports inside the HAProxy container (fixed; the host side is the user's choice). */
export const HAPROXY_HTTP_PORT = 8080;
export const HAPROXY_ADMIN_PORT = 9999;
export const HAPROXY_CONFIG_DIR = '/usr/local/etc/haproxy';
export const HAPROXY_CONFIG_FILE = `${HAPROXY_CONFIG_DIR}/haproxy.cfg`;
/** Owned by the `haproxy` user in the official image, so the socket can be created there. */
export const HAPROXY_STATE_DIR = '/var/lib/haproxy';
export const HAPROXY_ADMIN_SOCKET = `${HAPROXY_STATE_DIR}/admin.sock`;
export const HAPROXY_SERVER_STATE = `${HAPROXY_STATE_DIR}/server-state`;
/** Which installation manages the environment now, and the settings it deployed (for an adopter). */
export const HAPROXY_DEED_NAME = 'owner.json';
export const HAPROXY_DEED = `${HAPROXY_STATE_DIR}/${HAPROXY_DEED_NAME}`;
/** HTTP-01 answers, filled and emptied through the runtime API (`add map` / `del map`). */
export const HAPROXY_ACME_MAP = `${HAPROXY_STATE_DIR}/acme.map`;
export const HAPROXY_HTTPS_PORT = 8443;
export const HAPROXY_CERT_DIR = `${HAPROXY_STATE_DIR}/certs`;
/** Key + certificate + chain, as HAProxy's `crt` reads it. */
export const HAPROXY_CERT_FILE = `${HAPROXY_CERT_DIR}/site.pem`;
export const DEMO_BACKEND_PORT = 80;
/** The backend section of haproxy.cfg that holds the servers. */
export const BACKEND_NAME = 'servers';
export const FRONTEND_NAME = 'web';
/** A backend no frontend uses: slots where a release tries new containers (render.ts). */
export const PROBE_BACKEND_NAME = 'releases';

/**
 * Carries the load balancers' published ports. One for all environments: Docker's default
 * address pools hold only about thirty bridge networks, so a network per environment each
 * way would cap a machine at fifteen environments.
 */
export const EDGE_NETWORK = `${PREFIX}-edge`;

export const names = {
  haproxy: (env: string) => `${PREFIX}-${env}-haproxy`,
  backend: (env: string, server: string) => `${PREFIX}-${env}-${server}`,
  /** A release's new container for a server while it is tried, and the old one kept while the rollout runs (`_` is never in a server name, so these never clash with one). */
  nextBackend: (env: string, server: string) => `${PREFIX}-${env}-${server}_next`,
  prevBackend: (env: string, server: string) => `${PREFIX}-${env}-${server}_prev`,
  /** Backends and HAProxy; internal, so backends reach nothing else. */
  backendNetwork: (env: string) => `${PREFIX}-${env}-backends`,
  stateVolume: (env: string) => `${PREFIX}-${env}-haproxy-state`,
  /** On a cluster: the overlay network the load balancer and the tasks share (attachable, so checks can join it). */
  overlayNetwork: (env: string) => `${PREFIX}-${env}-overlay`,
  /** On a cluster: the load balancer's config folder, a volume on its node that outlives its task. */
  configVolume: (env: string) => `${PREFIX}-${env}-haproxy-config`,
  /** Exists only while a deploy or destroy of the environment runs, from any installation. */
  lock: (env: string) => `${PREFIX}-${env}-lock`,
};

/** An installation as resources name it: its id and `user@machine`. */
export interface Owner {
  installation: string;
  by: string;
}

export const ownerLabels = (owner: Owner): Record<string, string> => ({ [LABEL_INSTALLATION]: owner.installation, [LABEL_OWNER]: owner.by });

export function labelsFor(owner: Owner, env: string, role: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL_APP]: 'switchyard', [LABEL_ENV]: env, [LABEL_ROLE]: role, ...ownerLabels(owner), ...extra };
}

export const envFilter = (env: string) => ({ label: [`${LABEL_ENV}=${env}`] });
