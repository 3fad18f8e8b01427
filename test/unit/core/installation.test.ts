import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { INSTALLATION_FILE, loadInstallation } from '../../../electron/core/store/installation';
import { ownerFromLabels } from '../../../electron/core/environments/ownership';
import { LABEL_INSTALLATION, LABEL_OWNER, LABEL_ROLE } from '../../../electron/core/environments/naming';

describe('installation identity', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'sy-inst-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('is created once per data folder and read back the same', async () => {
    const dir = fresh();
    const first = await loadInstallation(dir);
    expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.user.length).toBeGreaterThan(0);
    expect(await loadInstallation(dir)).toEqual(first);
    expect((await loadInstallation(fresh())).id).not.toBe(first.id);
  });

  it('processes starting together on a new folder agree on one id', async () => {
    const dir = fresh();
    const all = await Promise.all(Array.from({ length: 8 }, () => loadInstallation(dir)));
    expect(new Set(all.map((i) => i.id)).size).toBe(1);
    expect(JSON.parse(readFileSync(path.join(dir, INSTALLATION_FILE), 'utf8')).id).toBe(all[0].id);
  });

  it('a damaged file is reported and never replaced by a new identity', async () => {
    const dir = fresh();
    const file = path.join(dir, INSTALLATION_FILE);
    writeFileSync(file, '{"id": "not an id"');
    await expect(loadInstallation(dir)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    expect(readFileSync(file, 'utf8')).toBe('{"id": "not an id"');
  });
});

describe('who manages an environment, from its labels', () => {
  const mine = { [LABEL_INSTALLATION]: 'aaaa', [LABEL_OWNER]: 'ann@laptop' };
  const theirs = { [LABEL_INSTALLATION]: 'bbbb', [LABEL_OWNER]: 'bob@desk' };

  it('nothing on the engine: no one', () => {
    expect(ownerFromLabels([])).toEqual({ kind: 'none' });
  });

  it('resources without an installation label are unclaimed (made before installations had ids)', () => {
    expect(ownerFromLabels([{ [LABEL_ROLE]: 'haproxy' }, { [LABEL_ROLE]: 'backend' }])).toEqual({ kind: 'unclaimed' });
  });

  it("the load balancer's label wins over the others'", () => {
    const claim = ownerFromLabels([
      { ...theirs, [LABEL_ROLE]: 'backend' },
      { ...mine, [LABEL_ROLE]: 'haproxy' },
    ]);
    expect(claim).toEqual({ kind: 'owned', source: 'labels', owner: { installation: 'aaaa', by: 'ann@laptop' } });
  });

  it('any labelled resource names the owner when the load balancer is gone', () => {
    const claim = ownerFromLabels([{ [LABEL_ROLE]: 'backends' }, { ...theirs, [LABEL_ROLE]: 'state' }]);
    expect(claim).toMatchObject({ kind: 'owned', owner: { installation: 'bbbb', by: 'bob@desk' } });
  });
});
