import type { AccessLogEntry } from '../../../shared/live';

const MONTHS: Record<string, string> = {
  Jan: '01',
  Feb: '02',
  Mar: '03',
  Apr: '04',
  May: '05',
  Jun: '06',
  Jul: '07',
  Aug: '08',
  Sep: '09',
  Oct: '10',
  Nov: '11',
  Dec: '12',
};

// HAProxy's httplog format: client:port [date] frontend backend/server Tr/Tw/Tc/Tr/Ta status bytes
// cookies termination-state conns queues {headers} "request".
const HTTPLOG =
  /^(\S+):(\d+) \[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}:\d{2}:\d{2})\.(\d{3})\] (\S+) ([^/\s]+)\/(\S+) (-?\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+)\/\+?(-?\d+) (-?\d+) \+?(\d+) \S+ \S+ (\S{4}) \S+ \S+ (?:\{[^}]*\} )*"(.*)"$/;

/** One line of HAProxy's httplog output, or undefined for anything else (notices, warnings). */
export function parseAccessLine(line: string): AccessLogEntry | undefined {
  const m = HTTPLOG.exec(line.trimEnd());
  if (!m) return undefined;
  const month = MONTHS[m[4]];
  if (!month) return undefined;
  return {
    at: `${m[5]}-${month}-${m[3]}T${m[6]}.${m[7]}Z`,
    client: m[1],
    frontend: m[8],
    backend: m[9],
    server: m[10],
    status: Number(m[16]),
    bytes: Number(m[17]),
    timers: { tr: Number(m[11]), tw: Number(m[12]), tc: Number(m[13]), tr2: Number(m[14]), ta: Number(m[15]) },
    terminationState: m[18],
    request: m[19],
    raw: line.trimEnd(),
  };
}

/** A fixed-size buffer of the latest entries. */
export class RingBuffer<T> {
  private items: T[] = [];
  constructor(private readonly size: number) {}

  push(...values: T[]): void {
    this.items.push(...values);
    if (this.items.length > this.size) this.items.splice(0, this.items.length - this.size);
  }

  latest(n: number): T[] {
    return this.items.slice(-n);
  }

  get length(): number {
    return this.items.length;
  }
}
