import type { ServerHealth } from '../../../shared/contract';

export type StatRow = Record<string, string>;

/** Parses `show stat` CSV by column name (the header line starts with `# `). */
export function parseStatCsv(text: string): StatRow[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const headerLine = lines.find((l) => l.startsWith('# '));
  if (!headerLine) return [];
  const header = headerLine.slice(2).split(',');
  return lines
    .filter((l) => !l.startsWith('#'))
    .map((line) => {
      const cells = line.split(',');
      const row: StatRow = {};
      header.forEach((col, i) => {
        if (col) row[col] = cells[i] ?? '';
      });
      return row;
    });
}

/**
 * Only the rows `keep` accepts (by proxy and server name, HAProxy's first two columns), and in
 * them only `columns` ('' where HAProxy has no such column): for reads made every second, where
 * an object of every column of every row would cost more than the read itself.
 */
export function pickStatRows<C extends string>(text: string, columns: readonly C[], keep: (pxname: string, svname: string) => boolean): Record<C, string>[] {
  const start = text.indexOf('# ');
  if (start < 0) return [];
  const headerEnd = text.indexOf('\n', start);
  const header = text.slice(start + 2, headerEnd < 0 ? text.length : headerEnd).split(',');
  const at = columns.map((c) => header.indexOf(c));
  const rows: Record<C, string>[] = [];
  let pos = headerEnd < 0 ? text.length : headerEnd + 1;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const first = text.indexOf(',', pos);
    const second = first < 0 ? -1 : text.indexOf(',', first + 1);
    if (text[pos] !== '#' && second > 0 && second < end && keep(text.slice(pos, first), text.slice(first + 1, second))) {
      const cells = text.slice(pos, end).split(',');
      const row = {} as Record<C, string>;
      columns.forEach((c, i) => (row[c] = at[i] >= 0 ? (cells[at[i]] ?? '') : ''));
      rows.push(row);
    }
    pos = end + 1;
  }
  return rows;
}

/** HAProxy's status text (`UP`, `UP 1/3`, `DOWN 1/2`, `MAINT (resolution)`, `no check`, …) reduced to a word. */
export function healthOf(status: string): ServerHealth {
  const s = status.trim().toUpperCase();
  if (s.startsWith('MAINT')) return 'MAINT';
  if (s.startsWith('DRAIN')) return 'DRAIN';
  if (s.startsWith('NOLB')) return 'NOLB';
  if (s.startsWith('NO CHECK')) return 'NO_CHECK';
  // "UP 1/3" is UP and going down; "DOWN 1/2" is DOWN and coming back.
  if (s.startsWith('UP')) return 'UP';
  if (s.startsWith('DOWN')) return 'DOWN';
  return 'UNKNOWN';
}
