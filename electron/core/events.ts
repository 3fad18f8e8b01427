import { EventEmitter } from 'node:events';
import type { EventName, EventPayload } from '../../shared/contract';

export type Listener<E extends EventName> = (payload: EventPayload<E>) => void;

/** Core's typed events; transports forward them to every subscribed window or socket. */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    this.emitter.emit(name, payload);
  }

  on<E extends EventName>(name: E, listener: Listener<E>): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}
