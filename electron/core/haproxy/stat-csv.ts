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
