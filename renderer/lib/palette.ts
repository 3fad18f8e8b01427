/** Distinct colours that read on both light and dark backgrounds; server i keeps colour i everywhere. */
const COLORS = ['#2080f0', '#f0a020', '#8a5cf5', '#18a0a8', '#e0508a', '#c09a00', '#8d6e63', '#5c6bc0', '#26a69a', '#ab47bc'];

export function serverColor(i: number): string {
  return COLORS[i % COLORS.length];
}
