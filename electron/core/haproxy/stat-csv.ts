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
  // The wanted cells in the order they come in a line, so each line is walked once, and only
  // as far as the last wanted cell (HAProxy's lines have about a hundred).
  const wanted = columns.map((c) => ({ c, index: header.indexOf(c) })).sort((a, b) => a.index - b.index);
  const rows: Record<C, string>[] = [];
  let pos = headerEnd < 0 ? text.length : headerEnd + 1;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const first = text.indexOf(',', pos);
    const second = first < 0 ? -1 : text.indexOf(',', first + 1);
    if (text[pos] !== '#' && second > 0 && second < end && keep(text.slice(pos, first), text.slice(first + 1, second))) {
      const row = {} as Record<C, string>;
      let cell = 0;
      let from = pos;
      for (const w of wanted) {
        if (w.index < 0) {
          row[w.c] = '';
          continue;
        }
        while (cell < w.index && from <= end) {
          const comma = text.indexOf(',', from);
          from = comma < 0 || comma > end ? end + 1 : comma + 1;
          cell++;
        }
        if (from > end) {
          row[w.c] = '';
          continue;
        }
        const comma = text.indexOf(',', from);
        row[w.c] = text.slice(from, comma < 0 || comma > end ? end : comma);
      }
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
