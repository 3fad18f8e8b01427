import { useI18n } from 'vue-i18n';

/**
 * An environment field's path as the core names it (`httpPort`, `patch.servers.1.port`,
 * `https.httpsPort`), reduced to the path the forms use: an edit's refusals start with `patch.`.
 */
export function formPath(field: string): string {
  return field.replace(/^patch\./, '');
}

/** The form label of each field path; servers' fields are worded per row. */
const LABELS: Record<string, string> = {
  name: 'form.name',
  host: 'form.host',
  httpPort: 'form.httpPort',
  balance: 'form.balance',
  'sticky.cookieName': 'form.cookieName',
  retries: 'form.retries',
  'healthCheck.path': 'form.checkPath',
  'healthCheck.expectStatus': 'form.expectStatus',
  'healthCheck.interval': 'form.interval',
  'healthCheck.rise': 'form.rise',
  'healthCheck.fall': 'form.fall',
  'timeouts.connect': 'form.connectTimeout',
  'timeouts.client': 'form.clientTimeout',
  'timeouts.server': 'form.serverTimeout',
  'images.haproxy': 'form.haproxyImage',
  'images.demoBase': 'form.demoBaseImage',
  app: 'apps.choice.app',
  'app.source': 'apps.source',
  'app.source.image': 'apps.image',
  'app.source.context': 'apps.context',
  'app.source.dockerfile': 'apps.dockerfile',
  'app.port': 'apps.port',
  'replicas.count': 'apps.replicas',
  'replicas.prefix': 'apps.prefix',
  cluster: 'envCluster.form.run',
  'cluster.replicas': 'envCluster.form.replicas',
  'cluster.slots': 'envCluster.form.slots',
  'cluster.constraints': 'envCluster.form.constraints',
  'cluster.spread': 'envCluster.form.spread',
  'cluster.lbNode': 'envCluster.form.lbNode',
  servers: 'form.sections.servers',
  https: 'env.tabs.https',
  'https.httpsPort': 'https.httpsPort',
  'https.domains': 'https.domains',
  'https.email': 'https.email',
  'https.directory': 'https.directory',
  'https.termsAccepted': 'https.terms',
  dir: 'export.dir',
  advertiseAddress: 'clusters.advertise',
  manager: 'clusters.managerHost',
  node: 'clusters.columns.node',
  force: 'clusters.force',
};

const SERVER_FIELDS: Record<string, string> = {
  name: 'form.servers.name',
  kind: 'form.servers.kind',
  address: 'form.servers.address',
  port: 'form.servers.port',
  weight: 'form.servers.weight',
  maxconn: 'form.servers.maxconn',
};

/** A field's name as the form shows it ("HTTP port", "Server 2: Port"); a path it has no words for stays as it is. */
export function useFieldLabel() {
  const { t } = useI18n();
  return (field: string): string => {
    const path = formPath(field);
    const server = /^servers\.(\d+)\.(\w+)$/.exec(path);
    if (server && SERVER_FIELDS[server[2]]) return t('form.serverField', { n: Number(server[1]) + 1, field: t(SERVER_FIELDS[server[2]]) });
    const variable = /^app\.vars\.(\d+)\.(name|value)$/.exec(path);
    if (variable) return t('apps.varField', { n: Number(variable[1]) + 1, field: t(variable[2] === 'name' ? 'apps.varName' : 'apps.varValue') });
    const constraint = /^cluster\.constraints\.(\d+)$/.exec(path);
    if (constraint) return t('envCluster.form.constraint', { n: Number(constraint[1]) + 1 });
    const key = LABELS[path] ?? LABELS[path.replace(/\.\d+$/, '')];
    return key ? t(key) : path;
  };
}
