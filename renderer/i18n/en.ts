/** English, the reference: every other language must have exactly these keys. */
const en = {
  app: {
    name: 'Switchyard',
    tagline: 'Load-balanced environments on your Docker engine',
  },
  environments: {
    title: 'Environments',
    count: 'No environments | One environment | {n} environments',
    reload: 'Refresh',
    loading: 'Loading environments…',
    empty: 'No environments yet',
    emptyHint: 'An environment is an HAProxy load balancer in front of a few backend servers.',
    loadFailed: 'Could not load the environments',
    columns: {
      name: 'Name',
      port: 'HTTP port',
      balance: 'Algorithm',
      servers: 'Servers',
    },
  },
  balance: {
    roundrobin: 'Round robin',
    leastconn: 'Least connections',
    source: 'Source IP hash',
    random: 'Random',
    first: 'First available',
  },
};

export type Messages = typeof en;
export default en;
