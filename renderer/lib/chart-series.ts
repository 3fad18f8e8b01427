import { responseClasses, type ResponseClass, type StatsSample } from '../../shared/live';

/** The windows a user can look at, and what they span. */
export const chartWindows = ['1m', '5m', '1h'] as const;
export type ChartWindow = (typeof chartWindows)[number];
export const WINDOW_MS: Record<ChartWindow, number> = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000 };

/** One line of a time chart: its name in the legend, its colour and its values (null: no figure). */
export interface ChartLine {
  label: string;
  color: string;
  values: (number | null)[];
  /** Shade the area under it (a chart of one line). */
  fill?: boolean;
}

/** One window of an environment's samples, laid out for uPlot (x in seconds, a null where a line must break). */
export interface WindowSeries {
  /** Seconds since the epoch, ascending: the window's start, then each sample's end, and now. */
  times: number[];
  /** Hits per second per server, aligned with `times`. */
  perServer: Record<string, (number | null)[]>;
  /** Responses per second by class, aligned with `times`. */
  responses: Record<ResponseClass, (number | null)[]>;
  /** Requests each server answered in the window. */
  hits: Record<string, number>;
  /** Responses in the window, by class. */
  totals: Record<ResponseClass, number>;
  /** Stretches of the window with no figures after the first sample in it (ms since the epoch), oldest first. */
  gaps: { from: number; to: number }[];
  /** No sample falls in the window. */
  empty: boolean;
}

/**
 * Lays out the samples that end within `windowMs` before `now`. Each sample is drawn at its end,
 * at its rate (its count over its span); where one sample does not start where the one before
 * ended, a null point breaks the line, as it does from the last sample to `now` when polling
 * has stopped since. The window always spans its full width, data or not, so every chart of a
 * view lines up.
 */
export function windowSeries(samples: readonly StatsSample[], now: number, windowMs: number, servers: readonly string[]): WindowSeries {
  const start = now - windowMs;
  const out: WindowSeries = {
    times: [],
    perServer: Object.fromEntries(servers.map((s) => [s, []])),
    responses: { '2xx': [], '4xx': [], '5xx': [] },
    hits: Object.fromEntries(servers.map((s) => [s, 0])),
    totals: { '2xx': 0, '4xx': 0, '5xx': 0 },
    gaps: [],
    empty: true,
  };
  const push = (at: number, values: ((server: string) => number | null) | null, responses: ((c: ResponseClass) => number) | null) => {
    const x = at / 1000;
    // uPlot needs x strictly ascending.
    if (out.times.length && x <= out.times[out.times.length - 1]) return;
    out.times.push(x);
    for (const s of servers) out.perServer[s].push(values ? values(s) : null);
    for (const c of responseClasses) out.responses[c].push(responses ? responses(c) : null);
  };
  push(start, null, null);
  let last: StatsSample | undefined;
  for (const s of samples) {
    if (s.to <= start || s.to > now) continue;
    if (last && s.from > last.to) {
      out.gaps.push({ from: last.to, to: s.from });
      push(s.from, null, null);
    }
    const seconds = (s.to - s.from) / 1000;
    push(
      s.to,
      (name) => (s.servers[name] === undefined ? null : s.servers[name] / seconds),
      (c) => s.responses[c] / seconds,
    );
    for (const name of servers) out.hits[name] += s.servers[name] ?? 0;
    for (const c of responseClasses) out.totals[c] += s.responses[c];
    last = s;
  }
  out.empty = last === undefined;
  if (last && now > last.to) {
    out.gaps.push({ from: last.to, to: now });
  }
  push(now, null, null);
  return out;
}
