/**
 * Tasks: the long-running work (deploy, destroy, certificates, adoption, app tests, releases) a
 * call starts and answers at once with a task id; `tasks:updated` carries each change.
 */
import type { ErrorInfo } from './errors';
import type { MessageCode, MessageParams } from './messages';

export const taskKinds = ['deploy', 'destroy', 'traffic', 'certificate', 'adopt', 'app-test', 'release'] as const;
export type TaskKind = (typeof taskKinds)[number];
export const taskStates = ['running', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskState = (typeof taskStates)[number];

export interface TaskStep {
  /** Stable identifier (`images`, `network`, `backends`, `config`, `haproxy`, `verify`, …). */
  name: string;
  state: 'running' | 'done' | 'failed' | 'skipped';
  /** In English, for the CLI and logs; the window words `code` + `params` in its language. */
  message?: string;
  /** The message's stable code (shared/messages.ts); absent when the message has none. */
  code?: MessageCode;
  params?: MessageParams;
  startedAt: string;
  endedAt?: string;
}

export interface Task {
  id: string;
  kind: TaskKind;
  /** What the task acts on, e.g. the environment's name. */
  target: string;
  state: TaskState;
  /** The step under way (or the last one). */
  step: string;
  /** 0 to 100. */
  progress: number;
  /** The latest note, then the result, in English (what the CLI prints). */
  message: string;
  /** `message` as a stable code and its parameters, for the window to word in its language. */
  code?: MessageCode;
  params?: MessageParams;
  steps: TaskStep[];
  error?: ErrorInfo;
  createdAt: string;
  endedAt?: string;
}

export interface TaskStarted {
  taskId: string;
}
