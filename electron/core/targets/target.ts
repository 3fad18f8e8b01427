import type { Socket } from 'node:net';
import type Docker from 'dockerode';

/**
 * Where environments run: a Docker engine plus a way to reach ports that are published on
 * that engine's host loopback (the runtime API is published there and nowhere else).
 */
export interface Target {
  readonly hostId: string;
  readonly docker: Docker;
  /** The host name a user's browser uses for ports published on this target. */
  readonly publicHost: string;
  /** A TCP connection to `port` on the target host's loopback interface. */
  connectLoopback(port: number): Promise<Socket>;
  /** Whether `port` can be bound on the target host right now (false: something holds it). */
  isPortFree(port: number): Promise<boolean>;
  close(): Promise<void>;
}
