/**
 * An environment's recent traffic as a bounded list of samples. The core keeps one per
 * environment it polls (so a view opened later shows the last hour), and the window keeps its
 * own copy, loaded from `stats:history` and then fed the sample each live snapshot carries:
 * both go through `appendSample`, so both hold the same samples.
 *
 * The bound: the last five minutes at one sample per second at most, the rest of the hour at
 * one per ten seconds, nothing older than an hour. That is at most 301 + 331 samples, capped at
 * MAX_SAMPLES, whatever the poll interval (200 ms to 60 s) and however long the app runs. Why
 * these: the one- and five-minute windows are drawn at the detail they were polled at (one
 * second, by default), while an hour drawn on a chart a few hundred pixels wide shows no more
 * than a few hundred points anyway; and with two servers a full hour is about 70 KB of JSON,
 * which a window that opens gets in one message.
 */
import { responseClasses, type StatsSample } from './live';

/** How far back a history goes. */
export const HISTORY_MS = 3_600_000;
/** The recent part kept at full detail. */
export const FINE_MS = 300_000;
/** At most one sample per this many ms in the recent part… */
export const FINE_STEP_MS = 1_000;
/** …and per this many ms before it. */
export const COARSE_STEP_MS = 10_000;
/** The most samples a history holds. */
export const MAX_SAMPLES = FINE_MS / FINE_STEP_MS + HISTORY_MS / COARSE_STEP_MS;

/** The slot of `step` ms a sample ends in: two touching samples in one slot become one. */
const slot = (s: StatsSample, step: number) => Math.floor((s.to - 1) / step);

/** A sample of its own: merging edits the sample merged into, never one a caller still holds. */
export function copySample(s: StatsSample): StatsSample {
  return { from: s.from, to: s.to, servers: { ...s.servers }, responses: { ...s.responses } };
}

/** Adds `next` (which follows `into` without a gap) to `into`. */
function merge(into: StatsSample, next: StatsSample): void {
  into.to = next.to;
  for (const [name, n] of Object.entries(next.servers)) into.servers[name] = (into.servers[name] ?? 0) + n;
  for (const c of responseClasses) into.responses[c] += next.responses[c];
}

/**
 * Appends a sample to a history (oldest first), merging and dropping so the history stays within
 * its bound. A sample that ends no later than the last one is already in it (a history loaded
 * after the snapshot that carried it was heard) and is ignored.
 */
export function appendSample(samples: StatsSample[], next: StatsSample): void {
  const last = samples.at(-1);
  if (last && next.to <= last.to) return;
  if (last && next.from === last.to && slot(last, FINE_STEP_MS) === slot(next, FINE_STEP_MS)) merge(last, next);
  else samples.push(copySample(next));
  compact(samples, next.to);
}

/** Drops what is older than an hour, and merges what is older than five minutes into ten-second slots. */
function compact(samples: StatsSample[], newest: number): void {
  const fineFrom = newest - FINE_MS;
  let first = 0;
  while (first < samples.length && samples[first].to <= newest - HISTORY_MS) first++;
  let kept = 0;
  for (let i = first; i < samples.length; i++) {
    const s = samples[i];
    const prev = kept > 0 ? samples[kept - 1] : undefined;
    if (prev && s.to <= fineFrom && s.from === prev.to && slot(prev, COARSE_STEP_MS) === slot(s, COARSE_STEP_MS)) merge(prev, s);
    else samples[kept++] = s;
  }
  samples.length = kept;
  // Only a clock that jumped could leave more: the newest are the ones worth keeping.
  if (samples.length > MAX_SAMPLES) samples.splice(0, samples.length - MAX_SAMPLES);
}
