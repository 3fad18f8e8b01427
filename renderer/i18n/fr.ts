import type { Messages } from './en';

const fr: Messages = {
  app: {
    name: 'Switchyard',
    tagline: 'Des environnements répartis en charge sur votre moteur Docker',
  },
  environments: {
    title: 'Environnements',
    count: 'Aucun environnement | Un environnement | {n} environnements',
    reload: 'Actualiser',
    loading: 'Chargement des environnements…',
    empty: 'Aucun environnement pour l’instant',
    emptyHint: 'Un environnement, c’est un répartiteur de charge HAProxy devant quelques serveurs backend.',
    loadFailed: 'Impossible de charger les environnements',
    columns: {
      name: 'Nom',
      port: 'Port HTTP',
      balance: 'Algorithme',
      servers: 'Serveurs',
    },
  },
  balance: {
    roundrobin: 'Tourniquet (round robin)',
    leastconn: 'Moins de connexions',
    source: 'Hachage de l’IP source',
    random: 'Aléatoire',
    first: 'Premier disponible',
  },
};

export default fr;
