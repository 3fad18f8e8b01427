import { BrowserWindow, ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { eventNames, type EventName, type EventPayload, type SubscriptionRef } from '../../shared/contract';
import type { Envelope } from '../../shared/errors';
import type { Core } from '../core/core';
import { IPC_EVENT, IPC_INVOKE, IPC_SUBSCRIBE, IPC_UNSUBSCRIBE } from './ipc-names';
import type { AppPage } from './window';

/**
 * Only the main frame of one of our windows, showing our own page, may call the core: not an
 * iframe, not a page the window was somehow navigated to.
 */
function isTrustedSender(event: IpcMainInvokeEvent | IpcMainEvent, page: AppPage): boolean {
  const frame = event.senderFrame;
  if (!frame || !BrowserWindow.fromWebContents(event.sender)) return false;
  const main = event.sender.mainFrame;
  if (frame.processId !== main.processId || frame.routingId !== main.routingId) return false;
  return page.owns(frame.url);
}

/**
 * The Electron transport: one invoke channel into the core's dispatcher (which validates
 * every payload against the contract), subscriptions counted by the core per window, and each
 * event out to the windows subscribed to it. Returns a function that takes it all down again.
 */
export function serveIpc(core: Core, page: AppPage): () => void {
  // A window's subscriptions live as long as its page: closing the window, reloading it or its
  // renderer crashing gives them all back.
  const windows = new Map<string, WebContents>();
  /** Bumped each time a window's page goes: a subscription answered after that is given back. */
  const pages = new Map<string, number>();
  const clientOf = (contents: WebContents): string => {
    const client = `ipc:${contents.id}`;
    if (windows.has(client)) return client;
    windows.set(client, contents);
    pages.set(client, 0);
    const release = () => {
      pages.set(client, (pages.get(client) ?? 0) + 1);
      core.subscriptions.release(client);
    };
    contents.once('destroyed', () => {
      release();
      windows.delete(client);
      pages.delete(client);
    });
    contents.on('render-process-gone', release);
    contents.on('did-start-navigation', (details) => {
      if (details.isMainFrame && !details.isSameDocument) release();
    });
    return client;
  };

  const deliver = <E extends EventName>(name: E, payload: EventPayload<E>): void => {
    for (const client of core.subscriptions.recipients(name, payload)) {
      const contents = windows.get(client);
      if (contents && !contents.isDestroyed() && page.owns(contents.getURL())) contents.send(IPC_EVENT, name, payload);
    }
  };

  ipcMain.handle(IPC_INVOKE, async (event, channel: unknown, payload: unknown): Promise<Envelope<unknown>> => {
    if (!isTrustedSender(event, page)) {
      // A plain rejection: a frame we do not trust learns nothing about the core.
      throw new Error('Refused: this frame may not call Switchyard.');
    }
    if (typeof channel !== 'string') {
      return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: 'The channel name must be text.' } };
    }
    return core.invoke(channel, payload);
  });
  ipcMain.handle(IPC_SUBSCRIBE, async (event, name: unknown, argument: unknown): Promise<Envelope<SubscriptionRef>> => {
    if (!isTrustedSender(event, page)) throw new Error('Refused: this frame may not call Switchyard.');
    if (typeof name !== 'string') return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: 'The event name must be text.' } };
    const client = clientOf(event.sender);
    const before = pages.get(client);
    const answer = await core.subscriptions.subscribe(client, name, argument);
    if (answer.ok && pages.get(client) !== before) core.subscriptions.dispose(client, answer.result.subscription);
    return answer;
  });
  ipcMain.on(IPC_UNSUBSCRIBE, (event, id: unknown) => {
    if (!isTrustedSender(event, page) || typeof id !== 'string') return;
    core.subscriptions.dispose(clientOf(event.sender), id);
  });
  const unsubscribe = eventNames.map((name) => core.events.on(name, (payload) => deliver(name, payload)));
  return () => {
    ipcMain.removeHandler(IPC_INVOKE);
    ipcMain.removeHandler(IPC_SUBSCRIBE);
    ipcMain.removeAllListeners(IPC_UNSUBSCRIBE);
    for (const off of unsubscribe) off();
    for (const client of windows.keys()) core.subscriptions.release(client);
    windows.clear();
  };
}
