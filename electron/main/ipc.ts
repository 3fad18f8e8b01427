import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { eventNames, type EventName, type EventPayload } from '../../shared/contract';
import type { Envelope } from '../../shared/errors';
import type { Core } from '../core/core';
import { IPC_EVENT, IPC_INVOKE } from './ipc-names';
import type { AppPage } from './window';

/**
 * Only the main frame of one of our windows, showing our own page, may call the core: not an
 * iframe, not a page the window was somehow navigated to.
 */
function isTrustedSender(event: IpcMainInvokeEvent, page: AppPage): boolean {
  const frame = event.senderFrame;
  if (!frame || !BrowserWindow.fromWebContents(event.sender)) return false;
  const main = event.sender.mainFrame;
  if (frame.processId !== main.processId || frame.routingId !== main.routingId) return false;
  return page.owns(frame.url);
}

function broadcast<E extends EventName>(page: AppPage, name: E, payload: EventPayload<E>): void {
  for (const win of BrowserWindow.getAllWindows()) {
    const contents = win.webContents;
    if (!contents.isDestroyed() && page.owns(contents.getURL())) contents.send(IPC_EVENT, name, payload);
  }
}

/**
 * The Electron transport: one invoke channel into the core's dispatcher (which validates
 * every payload against the contract) and every core event out to our windows.
 * Returns a function that takes it all down again.
 */
export function serveIpc(core: Core, page: AppPage): () => void {
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
  const unsubscribe = eventNames.map((name) => core.events.on(name, (payload) => broadcast(page, name, payload)));
  return () => {
    ipcMain.removeHandler(IPC_INVOKE);
    for (const off of unsubscribe) off();
  };
}
