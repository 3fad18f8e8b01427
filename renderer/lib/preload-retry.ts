import { defineAsyncComponent, type AsyncComponentLoader, type Component } from 'vue';
import ReloadNotice from '../components/ReloadNotice.vue';

/**
 * A view's code and styles load when it first opens. A request can fail on the way even though
 * the file is there (with `switchyard serve`, Chromium drops requests in flight when Docker
 * adds or removes a network interface on the same machine). Vite then reports a
 * `vite:preloadError`; unhandled, the view never renders. Here a stylesheet that failed is
 * fetched again a few times and the view goes on rendering meanwhile. A view whose script does not
 * load (a window left open across an update asks for files the new build has replaced) says so
 * and offers a reload, rather than leaving its place blank.
 */
const RETRY_DELAYS_MS = [250, 1000, 3000];

export interface PreloadErrorEvent extends Event {
  payload?: unknown;
}

/** The stylesheet URL of a "Unable to preload CSS for <url>" error, if that is what it is. */
export function failedStylesheet(payload: unknown): string | undefined {
  const message = payload instanceof Error ? payload.message : String(payload ?? '');
  const url = /Unable to preload CSS for (\S+)/.exec(message)?.[1];
  return url && /\.css(\?|$)/.test(url) ? url : undefined;
}

/** Adds `<link rel=stylesheet>` for `url` again, up to three more times while it keeps failing. */
export function reloadStylesheet(doc: Document, url: string, attempt = 0, wait: (ms: number, fn: () => void) => void = (ms, fn) => void setTimeout(fn, ms)): void {
  if (attempt >= RETRY_DELAYS_MS.length) return;
  wait(RETRY_DELAYS_MS[attempt], () => {
    const link = doc.createElement('link');
    link.rel = 'stylesheet';
    link.href = url;
    link.dataset.retry = String(attempt + 1);
    link.addEventListener('error', () => {
      link.remove();
      reloadStylesheet(doc, url, attempt + 1, wait);
    });
    doc.head.appendChild(link);
  });
}

/** Handles Vite's preload failures for the page: styles are fetched again, the view still renders. */
export function retryFailedPreloads(win: Window): void {
  win.addEventListener('vite:preloadError', (event: Event) => {
    const url = failedStylesheet((event as PreloadErrorEvent).payload);
    if (!url) return; // a script that failed: let the error surface
    event.preventDefault();
    reloadStylesheet(win.document, url);
  });
}

/** A view loaded when first shown; if its code cannot be loaded, a notice asking for a reload stands in its place. */
export function lazyView<T extends Component>(loader: AsyncComponentLoader<T>): T {
  return defineAsyncComponent({ loader, errorComponent: ReloadNotice });
}
