import { describe, expect, it } from 'vitest';
import { healthOf, parseStatCsv } from '../../../electron/core/haproxy/stat-csv';

describe('show stat parsing', () => {
  it('reads rows by column name, whatever the column order', () => {
    const csv = '# svname,pxname,status,weight,\nFRONTEND,web,OPEN,,\nback1,servers,UP 1/3,100,\nback2,servers,MAINT (resolution),100,\n\n';
    const rows = parseStatCsv(csv);
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatchObject({ pxname: 'servers', svname: 'back1', status: 'UP 1/3', weight: '100' });
  });

  it.each([
    ['UP', 'UP'],
    ['UP 1/3', 'UP'],
    ['DOWN', 'DOWN'],
    ['DOWN 1/2', 'DOWN'],
    ['MAINT', 'MAINT'],
    ['MAINT (resolution)', 'MAINT'],
    ['MAINT (via servers/back1)', 'MAINT'],
    ['DRAIN', 'DRAIN'],
    ['NOLB', 'NOLB'],
    ['no check', 'NO_CHECK'],
    ['', 'UNKNOWN'],
  ])('reduces "%s" to %s', (status, health) => {
    expect(healthOf(status)).toBe(health);
  });
});
