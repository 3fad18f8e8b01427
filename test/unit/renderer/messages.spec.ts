import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeployPlan, Task } from '../../../shared/contract';
import { SwitchyardError, errorReasonKeys } from '../../../shared/errors';
import { english, messageCodes, messageTemplates, msg, type Message } from '../../../shared/messages';
import en from '../../../renderer/i18n/en';
import fr from '../../../renderer/i18n/fr';
import ErrorAlert from '../../../renderer/components/ErrorAlert.vue';
import TaskCard from '../../../renderer/components/TaskCard.vue';
import EnvironmentView from '../../../renderer/views/EnvironmentView.vue';
import { FakeTransport, freshApp, labEnvironment, mountInApp, settle, unmountAll } from './fake-transport';

const stamp = '2026-01-01T00:00:00.000Z';
let fake: FakeTransport;
beforeEach(() => {
  fake = freshApp();
});
afterEach(unmountAll);

/** A task as the core sends it: each message's English beside its code and params. */
function coded(m: Message) {
  return { message: english(m), code: m.code, ...(m.params ? { params: m.params } : {}) };
}
function task(over: Partial<Task> = {}): Task {
  return { id: 't1', kind: 'deploy', target: 'lab', state: 'running', step: 'images', progress: 5, steps: [], createdAt: stamp, ...coded(msg('deploy.images')), ...over };
}

describe('core messages in the window’s language', () => {
  it('a French window shows a deploy’s steps in French, not the core’s English', () => {
    const w = mountInApp(
      TaskCard,
      {
        task: task({
          step: 'ports',
          ...coded(msg('deploy.ports', { port: 8080 })),
          steps: [
            { name: 'images', state: 'done', startedAt: stamp, endedAt: stamp, ...coded(msg('deploy.images')) },
            { name: 'ports', state: 'running', startedAt: stamp, ...coded(msg('deploy.ports', { port: 8080 })) },
          ],
        }),
      },
      'fr',
    );
    const steps = w.findAll('[data-test=step-message]').map((s) => s.text());
    expect(steps).toEqual(['Vérification des images', 'Vérification que le port 8080 est libre']);
    expect(w.find('[data-test=task-message]').text()).toContain('Vérification que le port 8080 est libre');
    expect(w.text()).not.toContain('Checking images');
  });

  it('a French traffic summary counts and times in French: 1 min 30 s, 73 033 requests', () => {
    const done = msg('traffic.done', {
      requests: { count: 73033 },
      elapsed: { ms: 90001 },
      failed: { count: 0 },
      split: [msg('traffic.served', { server: 'back1', n: { count: 36517 } }), msg('traffic.served', { server: 'back2', n: { count: 36516 } })],
      p50: { ms: 2.31 },
      p99: { ms: 11.5 },
    });
    const w = mountInApp(TaskCard, { task: task({ kind: 'traffic', state: 'succeeded', step: 'sending', progress: 100, ...coded(done) }) }, 'fr');
    const text = w
      .find('[data-test=task-message]')
      .text()
      .replace(/\u202f|\u00a0/g, ' ');
    expect(text).toContain('73 033 requêtes en 1 min 30 s');
    expect(text).toContain('back1 36 517, back2 36 516');
    expect(text).toContain('médiane 2,3 ms, 99e centile 11,5 ms');
    expect(text).not.toContain('90001');
  });

  it('a deploy summary in French, its answer and changes under Details; in English the same words as the CLI, split the same way', async () => {
    const up = msg('deploy.up', {
      env: 'lab',
      url: 'http://localhost:8080/',
      status: 200,
      changes: [msg('change.created', { name: 'sy-lab-back1' }), msg('change.reloaded', { name: 'sy-lab-haproxy' })],
    });
    const fr = mountInApp(TaskCard, { task: task({ state: 'succeeded', step: 'verify', progress: 100, ...coded(up) }) }, 'fr');
    expect(fr.find('[data-test=task-message]').text()).toBe('lab est en service à http://localhost:8080/');
    expect(fr.text()).not.toContain('sy-lab-back1');
    await fr.find('[data-test=task-details]').trigger('click');
    expect(fr.find('[data-test=task-deployed]').text()).toContain('Réponse : HTTP 200');
    expect(fr.findAll('[data-test=task-changes] li').map((li) => li.text())).toEqual(['sy-lab-back1 créé', 'sy-lab-haproxy rechargé']);
    unmountAll();
    const en = mountInApp(TaskCard, { task: task({ state: 'succeeded', step: 'verify', progress: 100, ...coded(up) }) }, 'en');
    expect(english(up)).toBe('lab is up at http://localhost:8080/ (HTTP 200; created sy-lab-back1, reloaded sy-lab-haproxy)');
    expect(en.find('[data-test=task-message]').text()).toBe('lab is up at http://localhost:8080/');
    await en.find('[data-test=task-details]').trigger('click');
    expect(en.findAll('[data-test=task-changes] li').map((li) => li.text())).toEqual(['created sy-lab-back1', 'reloaded sy-lab-haproxy']);
  });

  it('a destroy summary uses French plurals', () => {
    const done = msg('destroy.done', {
      env: 'lab',
      containers: msg('count.containers', { n: { count: 3 } }),
      networks: msg('count.networks', { n: { count: 1 } }),
      volumes: msg('count.volumes', { n: { count: 0 } }),
    });
    const w = mountInApp(TaskCard, { task: task({ kind: 'destroy', state: 'succeeded', step: 'volumes', ...coded(done) }) }, 'fr');
    expect(w.find('[data-test=task-message]').text()).toContain('lab détruit ; supprimés : 3 conteneurs, 1 réseau, 0 volume');
  });

  it('a code this window does not know (a newer core) shows the core’s English', () => {
    const w = mountInApp(
      TaskCard,
      {
        task: task({
          code: 'deploy.fromTheFuture' as never,
          message: 'Warming up the flux capacitor',
          steps: [{ name: 'warp', state: 'running', startedAt: stamp, code: 'x.y' as never, message: 'Engaging' }],
        }),
      },
      'fr',
    );
    expect(w.find('[data-test=task-message]').text()).toContain('Warming up the flux capacitor');
    expect(w.find('[data-test=step-message]').text()).toBe('Engaging');
  });
});

describe('errors in the window’s language', () => {
  it('a French PORT_IN_USE names the port and the container holding it', () => {
    const error = SwitchyardError.because('PORT_IN_USE', 'container', { port: 8080, holder: 'web-proxy' }, { field: 'httpPort' }).toInfo();
    const w = mountInApp(TaskCard, { task: task({ state: 'failed', step: 'ports', message: error.message, code: undefined, error }) }, 'fr');
    const alert = w.find('[data-test=error]');
    expect(alert.attributes('data-code')).toBe('PORT_IN_USE');
    expect(alert.find('[data-test=error-body]').text()).toBe('Le port 8080 est déjà pris par le conteneur web-proxy. Choisissez un autre port HTTP pour cet environnement.');
    expect(alert.text()).toContain('Ce port est déjà utilisé');
    expect(alert.text()).not.toContain('already in use');
  });

  it('Docker’s raw text shows once, under Details, never in the sentence', () => {
    const raw = 'Conflict. The container name "/sy-lab-back1" is already in use by container "3f2a"';
    const error = SwitchyardError.because('INTERNAL', 'docker', { doing: 'deploying lab' }, { detail: raw }).toInfo();
    expect(error.message).toContain(raw);
    const w = mountInApp(ErrorAlert, { error }, 'fr');
    expect(w.find('[data-test=error-body]').text()).toBe('Docker a refusé l’opération.');
    const details = w.find('[data-test=error-details]');
    expect(details.find('summary').text()).toBe('Détails');
    expect(details.find('pre').text()).toBe(raw);
    expect(w.text().split(raw).length - 1).toBe(1);
  });

  it('an error without a case this window knows shows the core’s words, and its detail only if they do not already quote it', () => {
    const w = mountInApp(ErrorAlert, { error: { code: 'INTERNAL', message: 'Docker failed: boom', detail: 'boom' } }, 'fr');
    expect(w.find('[data-test=error-body]').text()).toBe('Docker failed: boom');
    expect(w.find('[data-test=error-details]').exists()).toBe(false);
  });
});

describe('every case the core can send, in both languages', () => {
  type Tree = { [k: string]: string | Tree };
  const at = (tree: Tree, key: string): string | undefined => {
    const v = key.split('.').reduce<string | Tree | undefined>((t, k) => (t && typeof t === 'object' ? t[k] : undefined), tree);
    return typeof v === 'string' ? v : undefined;
  };
  const names = (s: string) => [...new Set([...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

  it('each error case has English and French words, with the same parameters, all of them the core’s', () => {
    const missing: string[] = [];
    for (const r of errorReasonKeys) {
      const key = `errors.reasons.${r.code}.${r.reason}`;
      const [enText, frText] = [at(en as unknown as Tree, key), at(fr as unknown as Tree, key)];
      if (enText === undefined || frText === undefined) {
        missing.push(`${key}: ${enText === undefined ? 'no English' : ''} ${frText === undefined ? 'no French' : ''}`.trim());
        continue;
      }
      expect(names(frText), key).toEqual(names(enText));
      for (const p of names(enText)) expect(r.params, `${key}: {${p}}`).toContain(p);
    }
    expect(missing).toEqual([]);
  });

  it('each message code has English and French words with the core’s parameters', () => {
    for (const code of messageCodes) {
      const key = `messages.${code}`;
      const [enText, frText] = [at(en as unknown as Tree, key), at(fr as unknown as Tree, key)];
      expect(enText, `${key} in English`).toBeDefined();
      expect(frText, `${key} in French`).toBeDefined();
      expect(names(frText!), key).toEqual(names(messageTemplates[code]));
      expect(names(enText!), key).toEqual(names(messageTemplates[code]));
    }
  });

  it('each error case reads in a French window as a whole French sentence: no placeholder left, not the core’s English', () => {
    for (const r of errorReasonKeys) {
      if (at(fr as unknown as Tree, `errors.reasons.${r.code}.${r.reason}`) === undefined) continue; // reported by the test above
      const params = Object.fromEntries(r.params.map((p) => [p, `«${p}»`]));
      const error = SwitchyardError.because(r.code, r.reason as never, params as never).toInfo();
      const w = mountInApp(ErrorAlert, { error }, 'fr');
      const body = w.find('[data-test=error-body]').text();
      expect(body, `${r.code}.${r.reason}`).not.toMatch(/\{\w+\}|undefined/);
      if (r.english !== '{problems}') expect(body, `${r.code}.${r.reason}`).not.toBe(error.message);
      unmountAll();
    }
  });
});

describe('certificates, hosts and locks in a French window', () => {
  it('a preflight that failed for two domains says what each showed and what to do, in French', () => {
    const problems = {
      sentences: [
        msg('preflight.domain', { domain: 'a.example', problem: msg('preflight.noAddress'), fix: msg('preflight.fixDns', { domain: 'a.example' }) }),
        msg('preflight.domain', {
          domain: 'b.example',
          problem: msg('preflight.probe', {
            url: 'http://b.example/.well-known/acme-challenge/t',
            at: '203.0.113.7',
            problem: msg('preflight.redirectTo', { status: 301, location: 'https://b.example/' }),
          }),
          fix: msg('preflight.fixRedirect'),
        }),
      ],
    };
    const error = SwitchyardError.because('PREFLIGHT_FAILED', 'domains', { problems }, { field: 'https.domains.0' }).toInfo();
    const w = mountInApp(ErrorAlert, { error }, 'fr');
    expect(w.find('[data-test=error-body]').text()).toBe(
      'a.example : le nom ne mène à aucune adresse. Ajoutez un enregistrement DNS A (ou AAAA) pour a.example qui pointe vers l’adresse publique de ce répartiteur. ' +
        'b.example : http://b.example/.well-known/acme-challenge/t (à 203.0.113.7) a répondu par une redirection (301 vers https://b.example/) au lieu du défi. ' +
        'Le répartiteur doit répondre à /.well-known/acme-challenge/ avant de rediriger HTTP vers HTTPS : redéployez l’environnement avec HTTPS activé.',
    );
    expect(w.text()).not.toContain('does not resolve');
  });

  it('a certificate authority’s refusal names it and the cause in French; its own words are quoted, the directory is in the details', () => {
    const down = SwitchyardError.because(
      'CA_ERROR',
      'ca',
      { ca: "Let's Encrypt", what: msg('ca.account', { email: 'ana@example.com' }), cause: msg('cause.untrusted') },
      { detail: 'directory https://acme-v02.api.letsencrypt.org/directory' },
    ).toInfo();
    const w = mountInApp(ErrorAlert, { error: down }, 'fr');
    expect(w.find('[data-test=error-body]').text()).toBe(
      "Let's Encrypt n’a pas pu créer de compte pour ana@example.com : son certificat TLS n’est pas reconnu (ajoutez le certificat de son autorité).",
    );
    expect(w.find('[data-test=error-details] pre').text()).toBe('directory https://acme-v02.api.letsencrypt.org/directory');
    unmountAll();

    const said = SwitchyardError.because('CA_ERROR', 'ca', { ca: 'ca.internal', what: msg('ca.order', { domains: 'a.example' }), cause: msg('cause.said', { text: 'rate limited' }) }).toInfo();
    expect(mountInApp(ErrorAlert, { error: said }, 'fr').find('[data-test=error-body]').text()).toBe('ca.internal a refusé la commande pour a.example : « rate limited ».');
  });

  it('a challenge the CA could not validate: the hint in French, what the CA said under Details', () => {
    const error = SwitchyardError.because(
      'CHALLENGE_FAILED',
      'validate',
      { ca: "Let's Encrypt", domains: 'www.example.com', hint: msg('challenge.dns', { domain: 'www.example.com' }) },
      { field: 'https.domains.0', detail: 'www.example.com: DNS problem: NXDOMAIN looking up A for www.example.com' },
    ).toInfo();
    const w = mountInApp(ErrorAlert, { error }, 'fr');
    expect(w.find('[data-test=error-body]').text()).toBe(
      "Let's Encrypt n’a pas pu valider www.example.com. Ajoutez un enregistrement DNS A (ou AAAA) pour www.example.com qui pointe vers ce répartiteur.",
    );
    expect(w.find('[data-test=error-details] pre').text()).toContain('NXDOMAIN');
  });

  it('another Switchyard holding the host lock: who, since when (in French dates), and what to do', () => {
    const error = SwitchyardError.because(
      'BUSY',
      'hostLockSince',
      { installation: '1a2b3c4d', by: 'ana@laptop', env: 'lab', since: { date: '2026-01-01T10:00:00.000Z' }, container: 'sy-lab-lock' },
      { field: 'name', detail: 'ana@laptop' },
    ).toInfo();
    const body = mountInApp(ErrorAlert, { error }, 'fr').find('[data-test=error-body]').text();
    expect(body).toContain('Un autre Switchyard (ana@laptop, installation 1a2b3c4d) déploie ou détruit lab sur cet hôte depuis le ');
    expect(body).toContain('1 janv. 2026');
    expect(body).toContain('supprimez le conteneur sy-lab-lock.');
    expect(body).not.toContain('2026-01-01T10');
  });

  it('SSH failures in French, without the machine word the window acts on shown as Details', () => {
    const auth = SwitchyardError.because('SSH_AUTH_FAILED', 'key', { keyPath: '/home/ana/.ssh/id_ed25519', user: 'deploy', host: 'vps-1' }, { field: 'auth', detail: 'ssh-auth-failed' }).toInfo();
    let w = mountInApp(ErrorAlert, { error: auth }, 'fr');
    expect(w.find('[data-test=error-body]').text()).toBe(
      'Le serveur a refusé la clé /home/ana/.ssh/id_ed25519 pour l’utilisateur deploy sur vps-1 : l’utilisateur n’existe pas là-bas, ou la clé publique correspondante n’est pas dans son ~/.ssh/authorized_keys.',
    );
    expect(w.find('[data-test=error-details]').exists()).toBe(false);
    expect(w.text()).not.toContain('ssh-auth-failed');
    unmountAll();

    const refused = SwitchyardError.because('HOST_UNREACHABLE', 'refused', { host: 'vps-1', where: '203.0.113.7:2222', port: 2222 }, { detail: 'ssh-unreachable ECONNREFUSED' }).toInfo();
    w = mountInApp(ErrorAlert, { error: refused }, 'fr');
    expect(w.find('[data-test=error-body]').text()).toContain('Impossible de se connecter à vps-1 (203.0.113.7:2222) : connexion refusée.');
    expect(w.find('[data-test=error-details]').exists()).toBe(false);
  });
});

describe('the deploy dialog', () => {
  const running = 'global\nbackend servers\n  balance roundrobin\n';
  const plan = (over: Partial<DeployPlan> = {}): DeployPlan => ({
    environment: 'lab',
    haproxy: { name: 'sy-lab-haproxy', action: 'reload' },
    containers: [
      { name: 'sy-lab-back1', role: 'backend', server: 'back1', action: 'unchanged' },
      { name: 'sy-lab-back2', role: 'backend', server: 'back2', action: 'recreate' },
      { name: 'sy-lab-back3', role: 'backend', server: 'back3', action: 'remove' },
    ],
    images: [{ ref: 'haproxy:lts', role: 'haproxy', present: true }],
    config: { running, next: running.replace('roundrobin', 'leastconn') },
    unchanged: false,
    ...over,
  });

  async function openDialog(answer: DeployPlan | { error: ReturnType<SwitchyardError['toInfo']> }, locale: 'en' | 'fr' = 'en') {
    fake
      .handle('environments:list', () => [labEnvironment()])
      .handle('environments:render', () => ({ config: running }))
      .handle('environments:status', () => ({ name: 'lab', state: 'running', containers: [], servers: [], haproxy: { reachable: true, configInSync: false } }))
      .handle('environments:plan', () => answer)
      .handle('environments:deploy', () => ({ taskId: 'd1' }));
    const w = mountInApp(EnvironmentView, { name: 'lab' }, locale);
    await settle();
    await w.find('[data-test=deploy]').trigger('click');
    await settle();
    return document.body.querySelector('[data-test=deploy-dialog]')!;
  }

  it('says what the deploy will do, from the core’s plan, with the config diff against what runs', async () => {
    const dialog = await openDialog(plan());
    expect(fake.callsTo('environments:plan')).toEqual([{ environment: 'lab' }]);
    expect(dialog.querySelector('[data-test=plan-haproxy]')!.getAttribute('data-action')).toBe('reload');
    expect(dialog.querySelector('[data-test=plan-haproxy]')!.textContent).toContain('reloads its configuration, without dropping a request');
    const rows = [...dialog.querySelectorAll('[data-test=plan-container]')].map((r) => [r.getAttribute('data-name'), r.getAttribute('data-action'), r.textContent!.replace(/\s+/g, ' ').trim()]);
    expect(rows).toEqual([
      ['sy-lab-back1', 'unchanged', 'Backend back1: unchanged'],
      ['sy-lab-back2', 'recreate', 'Backend back2: recreated'],
      ['sy-lab-back3', 'remove', 'Backend back3: removed'],
    ]);
    const diff = dialog.querySelector('[data-test=plan-diff]')!.textContent!;
    expect(diff).toContain('roundrobin');
    expect(diff).toContain('leastconn');

    (dialog.closest('.n-card')!.querySelector('[data-test=confirm-deploy]') as HTMLButtonElement).click();
    await settle();
    expect(fake.callsTo('environments:deploy')).toEqual([{ environment: 'lab' }]);
  });

  it('in French, says when nothing would change, and shows the whole config for a first deploy', async () => {
    const same = await openDialog(plan({ haproxy: { name: 'sy-lab-haproxy', action: 'unchanged' }, containers: [], config: { running, next: running }, unchanged: true }), 'fr');
    expect(same.querySelector('[data-test=plan-unchanged]')!.textContent).toContain('déployer ne change rien');
    expect(same.querySelector('[data-test=plan-haproxy]')!.textContent).toContain('Le répartiteur sy-lab-haproxy reste tel quel.');
    expect(same.querySelector('[data-test=plan-config-same]')).not.toBeNull();
    unmountAll();

    const first = await openDialog(
      plan({ haproxy: { name: 'sy-lab-haproxy', action: 'create' }, images: [{ ref: 'haproxy:lts', role: 'haproxy', present: false }], config: { running: null, next: running } }),
      'fr',
    );
    expect(first.querySelector('[data-test=plan-haproxy]')!.textContent).toContain('Le répartiteur sy-lab-haproxy est créé.');
    expect(first.querySelector('[data-test=plan-image]')!.textContent).toContain('L’image haproxy:lts est d’abord téléchargée.');
    expect(first.querySelector('[data-test=plan-config]')!.textContent).toBe(running);
  });

  it('shows why when the core refuses to plan (another Switchyard manages it), in French', async () => {
    const refused = SwitchyardError.because('OWNED_ELSEWHERE', 'owned', { env: 'lab', installation: '1a2b3c4d', by: 'ana@laptop' }, { field: 'name' }).toInfo();
    const dialog = await openDialog({ error: refused }, 'fr');
    expect(dialog.querySelector('[data-test=error]')!.textContent).toContain('lab est géré sur cet hôte par un autre Switchyard (ana@laptop, installation 1a2b3c4d)');
    expect(dialog.querySelector('[data-test=deploy-plan]')).toBeNull();
  });
});
