/// <reference types="vite/client" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

/**
 * What electron/preload exposes as `window.switchyard`. Kept as a script (no top-level import)
 * so the declarations here stay global.
 */
interface SwitchyardBridge {
  invoke(channel: import('../shared/contract').ChannelName, payload: unknown): Promise<import('../shared/errors').Envelope<unknown>>;
  subscribe(event: import('../shared/contract').EventName, argument: unknown): Promise<import('../shared/errors').Envelope<import('../shared/contract').SubscriptionRef>>;
  unsubscribe(id: string): void;
  /** Every event the core sends this window: only what it subscribed to. */
  onEvent(listener: (event: import('../shared/contract').EventName, payload: unknown) => void): () => void;
}

interface Window {
  /** Present only inside the desktop app. */
  readonly switchyard?: SwitchyardBridge;
}
