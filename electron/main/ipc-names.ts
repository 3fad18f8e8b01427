/** The two IPC channels between preload and main; every contract channel and event rides on them. */
export const IPC_INVOKE = 'switchyard:invoke';
export const IPC_EVENT = 'switchyard:event';
