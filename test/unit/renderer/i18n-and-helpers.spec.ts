import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCodes, errorReasonKeys } from '../../../shared/errors';
import { messageCodes, messageTemplates } from '../../../shared/messages';
import { balanceAlgorithms, serverStates } from '../../../shared/model';
import { containerActions, loadBalancerActions, taskKinds, taskStates, type ServerHealth } from '../../../shared/contract';
import type { DisplayState } from '../../../renderer/stores/environments';
import en from '../../../renderer/i18n/en';
import fr from '../../../renderer/i18n/fr';
import { pickLocale } from '../../../renderer/i18n';
import { diffLines, hunks } from '../../../renderer/lib/diff';
import { hashOf, parseHash } from '../../../renderer/stores/nav';
import { failedStylesheet, reloadStylesheet, retryFailedPreloads, type PreloadErrorEvent } from '../../../renderer/lib/preload-retry';

type Tree = { [k: string]: string | Tree };

function leaves(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of leaves(v, key)) out.set(kk, vv);
  }
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : /\.(vue|ts)$/.test(f) ? [p] : [];
  });
}

const enKeys = leaves(en as unknown as Tree);
const frKeys = leaves(fr as unknown as Tree);
const rendererDir = path.resolve(import.meta.dirname, '../../../renderer');

describe('translations', () => {
  it('French has every English key, none empty, with the same placeholders', () => {
    expect([...frKeys.keys()].sort()).toEqual([...enKeys.keys()].sort());
    for (const [key, text] of enKeys) {
      expect(text.trim(), key).not.toBe('');
      const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(placeholders(frKeys.get(key)!), key).toEqual(placeholders(text));
      // A plural in one language is a plural in the other.
      expect(frKeys.get(key)!.split(' | ').length, key).toBe(text.split(' | ').length);
    }
  });

  it('every key the code spells out exists', () => {
    const missing: string[] = [];
    for (const file of filesUnder(rendererDir)) {
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/\bt\('([a-zA-Z0-9_.-]+)'/g)) if (!enKeys.has(m[1])) missing.push(`${path.basename(file)}: ${m[1]}`);
    }
    expect(missing).toEqual([]);
  });

  it('every value the core can send has words: error codes, algorithms, server modes, task kinds and states', () => {
    for (const code of errorCodes) expect(enKeys.has(`errors.${code}`), code).toBe(true);
    for (const b of balanceAlgorithms) expect(enKeys.has(`balance.${b}`), b).toBe(true);
    for (const s of serverStates) expect(enKeys.has(`servers.modes.${s}`), s).toBe(true);
    for (const k of taskKinds) expect(enKeys.has(`tasks.kinds.${k}`), k).toBe(true);
    for (const s of taskStates) expect(enKeys.has(`tasks.states.${s}`), s).toBe(true);
    const displayStates: DisplayState[] = ['running', 'partly-down', 'stopped', 'failed', 'not-deployed', 'deploying', 'destroying', 'unknown'];
    for (const s of displayStates) expect(enKeys.has(`state.${s}`), s).toBe(true);
    const healths: ServerHealth[] = ['UP', 'DOWN', 'MAINT', 'DRAIN', 'NOLB', 'NO_CHECK', 'UNKNOWN'];
    for (const h of healths) expect(enKeys.has(`health.${h}`), h).toBe(true);
    for (const step of ['images', 'ports', 'network', 'config', 'backends', 'haproxy', 'cleanup', 'verify']) expect(enKeys.has(`tasks.steps.${step}`), step).toBe(true);
  });

  it('every message code and error case the core can send has words, with the parameters the core gives', () => {
    const names = (s: string) => [...new Set([...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();
    for (const code of messageCodes) {
      expect(enKeys.has(`messages.${code}`), code).toBe(true);
      // Same placeholders as the core's English: a parameter is never missing, nor left unused.
      expect(names(enKeys.get(`messages.${code}`)!), code).toEqual(names(messageTemplates[code]));
      expect(enKeys.get(`messages.${code}`)!.split(' | ').length, code).toBe(messageTemplates[code].split(' | ').length);
    }
    for (const r of errorReasonKeys) {
      const key = `errors.reasons.${r.code}.${r.reason}`;
      expect(enKeys.has(key), key).toBe(true);
      for (const p of names(enKeys.get(key)!)) expect(r.params, `${key}: {${p}}`).toContain(p);
    }
    for (const a of loadBalancerActions) expect(enKeys.has(`env.plan.haproxy.${a}`), a).toBe(true);
    for (const a of containerActions) expect(enKeys.has(`env.plan.actions.${a}`), a).toBe(true);
    for (const step of ['prepare', 'install', 'containers', 'networks', 'volumes', 'sending', 'claim']) expect(enKeys.has(`tasks.steps.${step}`), step).toBe(true);
  });

  it('picks the first preferred language it has', () => {
    expect(pickLocale(['de-DE', 'fr-CA', 'en'])).toBe('fr');
    expect(pickLocale(['es'])).toBe('en');
  });
});

describe('config diff', () => {
  it('finds the changed lines with their numbers', () => {
    const before = 'global\n  maxconn 100\ndefaults\n  retries 3\n';
    const after = 'global\n  maxconn 200\ndefaults\n  retries 3\n  option redispatch\n';
    const lines = diffLines(before, after);
    expect(lines.filter((l) => l.kind !== 'same')).toEqual([
      { kind: 'removed', text: '  maxconn 100', oldNo: 2 },
      { kind: 'added', text: '  maxconn 200', newNo: 2 },
      { kind: 'added', text: '  option redispatch', newNo: 5 },
    ]);
  });

  it('keeps a little context around changes and counts what it leaves out', () => {
    const a = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    const b = a.slice();
    b[20] = 'changed';
    const h = hunks(diffLines(a.join('\n'), b.join('\n')), 2);
    expect(h).toHaveLength(1);
    expect(h[0].skippedBefore).toBe(18);
    expect(h[0].lines.map((l) => l.kind)).toEqual(['same', 'same', 'removed', 'added', 'same', 'same']);
  });
});

describe('navigation', () => {
  it('reads and writes the hash', () => {
    expect(parseHash('#/environments/lab/traffic')).toEqual({ name: 'environment', environment: 'lab', tab: 'traffic' });
    expect(parseHash('#/nonsense')).toEqual({ name: 'environments' });
    expect(hashOf({ name: 'environment', environment: 'lab' })).toBe('#/environments/lab');
    expect(parseHash(hashOf({ name: 'settings' }))).toEqual({ name: 'settings' });
    expect(parseHash(hashOf({ name: 'hosts' }))).toEqual({ name: 'hosts' });
    expect(hashOf({ name: 'new', host: 'vps-1' })).toBe('#/new/vps-1');
    expect(parseHash('#/new/vps-1')).toEqual({ name: 'new', host: 'vps-1' });
    expect(parseHash('#/new')).toEqual({ name: 'new' });
  });
});

describe('a stylesheet that failed to preload', () => {
  it('is fetched again and the view goes on rendering', () => {
    retryFailedPreloads(window);
    const event = new Event('vite:preloadError', { cancelable: true }) as PreloadErrorEvent;
    event.payload = new Error('Unable to preload CSS for http://127.0.0.1:5000/assets/TaskCard-1.css');
    window.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    expect(failedStylesheet(new Error('Unable to preload CSS for /assets/a.css'))).toBe('/assets/a.css');
    expect(failedStylesheet(new Error('Failed to fetch dynamically imported module: /assets/a.js'))).toBeUndefined();
  });

  it('gives up after three more tries', () => {
    const waits: number[] = [];
    const head = document.head;
    const before = head.querySelectorAll('link[data-retry]').length;
    reloadStylesheet(document, '/assets/missing.css', 0, (ms, fn) => {
      waits.push(ms);
      fn();
      // Each attempt fails at once here.
      head.querySelector('link[data-retry]:last-of-type')?.dispatchEvent(new Event('error'));
    });
    expect(waits).toEqual([250, 1000, 3000]);
    expect(head.querySelectorAll('link[data-retry]').length).toBe(before);
  });
});
