/** The IPC channels between preload and main; every contract channel, subscription and event rides on them. */
export const IPC_INVOKE = 'switchyard:invoke';
export const IPC_EVENT = 'switchyard:event';
/** A window subscribes (answered with an envelope) and gives a subscription back (no answer). */
export const IPC_SUBSCRIBE = 'switchyard:subscribe';
export const IPC_UNSUBSCRIBE = 'switchyard:unsubscribe';
