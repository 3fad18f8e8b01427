import { describe, expect, expectTypeOf, it } from 'vitest';
import type { DeployPlan, RequestOf, ResponseOf, Task, TaskStep } from '../../../shared/contract';
import { SwitchyardError, englishError, errorReasonKeys, isMachineDetail, toErrorInfo } from '../../../shared/errors';
import { english, messageCodes, messageTemplates, msg, type MessageCode, type MessageParams } from '../../../shared/messages';

const placeholders = (s: string) => new Set([...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));

describe('messages as codes: the English the CLI prints', () => {
  it('a deploy summary reads as it always did, its changes listed in order', () => {
    const changes = [
      msg('change.createdNetwork', { name: 'sy-lab-backends' }),
      msg('change.createdVolume', { name: 'sy-lab-haproxy-state' }),
      msg('change.created', { name: 'sy-lab-back1' }),
      msg('change.reloaded', { name: 'sy-lab-haproxy' }),
      msg('change.claimed'),
      msg('change.takenOver', { by: 'ana@laptop' }),
      msg('change.removed', { name: 'sy-lab-back3' }),
    ];
    expect(english(msg('deploy.up', { env: 'lab', url: 'http://localhost:8080/', status: 200, changes }))).toBe(
      'lab is up at http://localhost:8080/ (HTTP 200; created network sy-lab-backends, created volume sy-lab-haproxy-state, created sy-lab-back1, ' +
        'reloaded sy-lab-haproxy, claimed for this Switchyard, taken over from ana@laptop, removed sy-lab-back3)',
    );
    expect(english(msg('deploy.upUnchanged', { env: 'lab', url: 'http://localhost:8080/', status: 503 }))).toBe('lab is up at http://localhost:8080/ (HTTP 503; nothing to change)');
    expect(english(msg('deploy.haproxy', { action: msg('action.reload') }))).toBe('Load balancer: reload');
    expect(english(msg('deploy.ports', { port: 8080 }))).toBe('Checking that port 8080 is free');
  });

  it('a destroy summary counts in English plurals, zero included', () => {
    const done = (c: number, n: number, v: number) =>
      english(
        msg('destroy.done', {
          env: 'lab',
          containers: msg('count.containers', { n: { count: c } }),
          networks: msg('count.networks', { n: { count: n } }),
          volumes: msg('count.volumes', { n: { count: v } }),
        }),
      );
    expect(done(3, 1, 1)).toBe('lab destroyed: 3 containers, 1 network, 1 volume removed');
    expect(done(0, 0, 2)).toBe('lab destroyed: 0 containers, 0 networks, 2 volumes removed');
  });

  it('a traffic summary gives the raw milliseconds (the window picks the unit)', () => {
    const text = msg('traffic.done', {
      requests: { count: 73033 },
      elapsed: { ms: 90001 },
      failed: { count: 0 },
      split: [msg('traffic.served', { server: 'back1', n: { count: 36517 } }), msg('traffic.served', { server: 'back2', n: { count: 36516 } })],
      p50: { ms: 2.31 },
      p99: { ms: 11.5 },
    });
    expect(english(text)).toBe('73033 requests in 90001 ms: 0 failed; back1 36517, back2 36516; p50 2.31 ms, p99 11.5 ms');
    expect(english(msg('traffic.done', { ...text.params!, split: [msg('traffic.noneAnswered')] } as never))).toContain('; no server answered;');
  });

  it('sizes, dates, step names and nested messages print as the CLI always printed them', () => {
    expect(english(msg('image.pullBytes', { image: 'haproxy:lts', done: { count: 2 }, layers: { count: 5 }, current: { bytes: 1_234_567 }, total: { bytes: 34_500_000 } }))).toBe(
      'pulling haproxy:lts: 2 of 5 layers, 1.2 of 34.5 MB',
    );
    expect(english(msg('https.done', { domains: 'a.example, b.example', serial: '0d20', until: { date: '2027-01-01T00:00:00.000Z' } }))).toBe(
      'HTTPS on for a.example, b.example with certificate 0d20, valid until 2027-01-01T00:00:00.000Z',
    );
    expect(english(msg('task.nested', { step: { step: 'images' }, text: msg('deploy.images') }))).toBe('images: Checking images');
  });

  it('a code this build does not know reads as itself rather than failing', () => {
    expect(english({ code: 'deploy.fromTheFuture' as MessageCode })).toBe('deploy.fromTheFuture');
  });

  it('every template has well-formed plurals, chosen by n', () => {
    for (const code of messageCodes) {
      const forms = messageTemplates[code].split(' | ');
      if (forms.length > 1) expect(placeholders(messageTemplates[code]).has('n'), code).toBe(true);
    }
  });
});

describe('errors with a reason: the window words them, the CLI keeps its English', () => {
  it('keeps the messages the CLI printed before, Docker’s words included', () => {
    expect(SwitchyardError.because('PORT_IN_USE', 'container', { port: 8080, holder: 'web' }).message).toBe(
      'Port 8080 is already in use by the container web. Choose another HTTP port for this environment.',
    );
    expect(SwitchyardError.because('PORT_IN_USE', 'program', { port: 80 }).message).toBe('Port 80 is already in use by another program. Choose another HTTP port for this environment.');
    expect(SwitchyardError.because('PORT_IN_USE', 'environment', { port: 80, holder: 'shop' }).message).toBe('Port 80 is already used by the environment "shop" on the same host');
    const pull = SwitchyardError.because('IMAGE_MISSING', 'unreachable', { image: 'r.example/app:1', registry: 'r.example' }, { detail: 'dial tcp: i/o timeout' });
    expect(pull.message).toBe(
      'The image r.example/app:1 is not on the host and could not be pulled: r.example could not be reached or failed: dial tcp: i/o timeout. Pull or load r.example/app:1 on the host (docker pull r.example/app:1), check its name, or log in to r.example if it is private.',
    );
    expect(SwitchyardError.because('OWNED_ELSEWHERE', 'owned', { env: 'lab', installation: '1a2b3c4d', by: 'ana@laptop' }).message).toBe(
      '"lab" on this host is managed by another Switchyard (installation 1a2b3c4d, ana@laptop). Nothing was changed. Adopt it to take it over.',
    );
    expect(SwitchyardError.because('INTERNAL', 'docker', { doing: 'deploying lab' }, { detail: 'conflict: name in use' }).message).toBe('Docker failed while deploying lab: conflict: name in use');
  });

  it('crosses the boundary with its reason, params and detail, and comes back the same', () => {
    const err = SwitchyardError.because('PORT_IN_USE', 'container', { port: 8080, holder: 'web' }, { field: 'httpPort' });
    const info = toErrorInfo(err);
    expect(info).toEqual({ code: 'PORT_IN_USE', message: err.message, field: 'httpPort', reason: 'container', params: { port: 8080, holder: 'web' } });
    expect(SwitchyardError.fromInfo(info).toInfo()).toEqual(info);
    // An error without a reason crosses as before.
    expect(new SwitchyardError('BUSY', 'busy').toInfo()).toEqual({ code: 'BUSY', message: 'busy' });
  });

  it('the per-domain certificate checks, the CA’s refusals and the host lock print the English the CLI printed before', () => {
    const problems = {
      sentences: [
        msg('preflight.domain', { domain: 'a.example', problem: msg('preflight.noAddress'), fix: msg('preflight.fixDns', { domain: 'a.example' }) }),
        msg('preflight.domain', {
          domain: 'b.example',
          problem: msg('preflight.probe', { url: 'http://b.example/.well-known/acme-challenge/t', at: '203.0.113.7', problem: msg('preflight.timeout', { seconds: 5 }) }),
          fix: msg('preflight.fixFirewall', { port: 80 }),
        }),
      ],
    };
    expect(SwitchyardError.because('PREFLIGHT_FAILED', 'domains', { problems }).message).toBe(
      "a.example: the name does not resolve to any address. Add a DNS A (or AAAA) record for a.example pointing at this load balancer's public address. " +
        'b.example: http://b.example/.well-known/acme-challenge/t (at 203.0.113.7) did not answer within 5 s. ' +
        'Check that port 80 is open to the internet (firewall, router port forwarding) and reaches the load balancer.',
    );
    const refused = SwitchyardError.because('CA_ERROR', 'ca', { ca: "Let's Encrypt", what: msg('ca.account', { email: 'ana@example.com' }), cause: msg('cause.refused') });
    expect(refused.message).toBe("Let's Encrypt could not create an account for ana@example.com: connection refused");
    const said = SwitchyardError.because('CA_ERROR', 'ca', { ca: 'ca.internal', what: msg('ca.order', { domains: 'a.example' }), cause: msg('cause.said', { text: 'too many new orders' }) });
    expect(said.message).toBe('ca.internal refused an order for a.example: too many new orders');
    const lock = SwitchyardError.because('BUSY', 'hostLockSince', { installation: '1a2b3c4d', by: 'ana@laptop', env: 'lab', since: { date: '2026-01-01T10:00:00.000Z' }, container: 'sy-lab-lock' });
    expect(lock.message).toBe(
      'Another Switchyard (installation 1a2b3c4d, ana@laptop) is deploying or destroying "lab" on this host since 2026-01-01T10:00:00.000Z. ' +
        'Try again when it is done; if nothing runs there any more, remove the container sy-lab-lock.',
    );
    expect(english(msg('check.diskFree', { free: { decimal: 12 }, mount: '/' }))).toBe('12.0 GB free on /');
  });

  it('every case’s English uses only its declared params (and the detail)', () => {
    for (const r of errorReasonKeys) {
      for (const p of placeholders(r.english)) expect([...r.params, 'detail'], `${r.code}.${r.reason}: {${p}}`).toContain(p);
      const params: MessageParams = Object.fromEntries(r.params.map((p) => [p, `<${p}>`]));
      expect(englishError(r.code, r.reason, params, '<detail>')).not.toMatch(/\{\w+\}/);
    }
  });

  it('every case has English and names its params once; every message code has English', () => {
    expect(errorReasonKeys.length).toBeGreaterThan(0);
    for (const r of errorReasonKeys) {
      expect(r.english.trim(), `${r.code}.${r.reason}`).not.toBe('');
      expect(new Set(r.params).size, `${r.code}.${r.reason}`).toBe(r.params.length);
    }
    for (const code of messageCodes) expect(messageTemplates[code].trim(), code).not.toBe('');
  });

  it('a machine word in the detail is told from words for a person', () => {
    for (const word of ['ssh-auth-failed', 'ssh-unreachable ECONNREFUSED', 'host-key-unknown SHA256:abc ssh-ed25519', 'docker-permission-denied']) expect(isMachineDetail(word), word).toBe(true);
    for (const words of ['no basic auth credentials', 'Conflict. The container name is in use', 'directory https://acme.example/dir', 'a.example: DNS problem']) {
      expect(isMachineDetail(words), words).toBe(false);
    }
  });
});

describe('the contract', () => {
  it('carries a code and params beside every task and step message, and has environments:plan', () => {
    expectTypeOf<Task['code']>().toEqualTypeOf<MessageCode | undefined>();
    expectTypeOf<TaskStep['params']>().toEqualTypeOf<MessageParams | undefined>();
    expectTypeOf<RequestOf<'environments:plan'>>().toEqualTypeOf<{ environment: string }>();
    expectTypeOf<ResponseOf<'environments:plan'>>().toEqualTypeOf<DeployPlan>();
  });
});
