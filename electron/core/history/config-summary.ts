import type { ConfigSettings, StoredConfigVersion } from '../../../shared/config-history';
import { msg, type Message } from '../../../shared/messages';

/** The same JSON whatever order an object's keys were written in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

type Loose = Partial<ConfigSettings>;
type ServerLike = { name: string };

function serverChanges(before: ServerLike[], after: ServerLike[]): Message[] {
  const old = new Map(before.map((s) => [s.name, s]));
  const now = new Map(after.map((s) => [s.name, s]));
  const added = after.filter((s) => !old.has(s.name)).map((s) => s.name);
  const removed = before.filter((s) => !now.has(s.name)).map((s) => s.name);
  const changed = after.filter((s) => old.has(s.name) && !same(old.get(s.name), s)).map((s) => s.name);
  const out: Message[] = [];
  if (added.length) out.push(msg('history.serversAdded', { names: added.join(', ') }));
  if (removed.length) out.push(msg('history.serversRemoved', { names: removed.join(', ') }));
  if (changed.length) out.push(msg('history.serversChanged', { names: changed.join(', ') }));
  return out;
}

/**
 * What `current` changed from `previous`, in one line: the settings that differ, named (the
 * balance algorithm and ports with their values, servers by name), or "configuration only" when
 * no setting did (new container addresses, a certificate installed). Settings are read loosely:
 * a version kept by an older Switchyard may lack a field.
 */
export function summaryOf(previous: StoredConfigVersion | undefined, current: StoredConfigVersion): Message {
  if (!previous) return msg(current.version === 1 ? 'history.first' : 'history.oldest');
  const a = previous.settings as Loose;
  const b = current.settings as Loose;
  const changes: Message[] = [];
  if (a.balance !== b.balance) changes.push(msg('history.balance', { from: String(a.balance ?? '?'), to: String(b.balance ?? '?') }));
  if (a.httpPort !== b.httpPort) changes.push(msg('history.port', { from: String(a.httpPort ?? '?'), to: String(b.httpPort ?? '?') }));
  changes.push(...serverChanges(a.servers ?? [], b.servers ?? []));
  if (a.sticky?.enabled !== b.sticky?.enabled) changes.push(msg(b.sticky?.enabled ? 'history.stickyOn' : 'history.stickyOff'));
  else if (!same(a.sticky, b.sticky)) changes.push(msg('history.sticky'));
  if (a.redispatch !== b.redispatch) changes.push(msg('history.redispatch', { to: msg(b.redispatch ? 'history.on' : 'history.off') }));
  if (a.retries !== b.retries) changes.push(msg('history.retries', { from: String(a.retries ?? '?'), to: String(b.retries ?? '?') }));
  if (!same(a.healthCheck, b.healthCheck)) changes.push(msg('history.healthCheck'));
  if (!same(a.timeouts, b.timeouts)) changes.push(msg('history.timeouts'));
  if (!same(a.images, b.images)) changes.push(msg('history.images'));
  const httpsA = a.https?.enabled === true;
  const httpsB = b.https?.enabled === true;
  if (httpsA !== httpsB) changes.push(msg(httpsB ? 'history.httpsOn' : 'history.httpsOff'));
  else if (!same(a.https, b.https)) changes.push(msg('history.https'));
  if (!same(a.app, b.app)) changes.push(msg('history.app'));
  if (!changes.length) changes.push(msg('history.configOnly'));
  return msg('history.changes', { changes });
}
