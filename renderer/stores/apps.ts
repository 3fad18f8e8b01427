import { defineStore } from 'pinia';
import { ref } from 'vue';
import { newSince, type OutputLine } from '../../shared/app-output';
import type { AppTestReport } from '../../shared/app-test-report';
import type { Task } from '../../shared/contract';
import { SwitchyardError } from '../../shared/errors';
import { invoke, subscribe } from '../api/client';
import { toUiError, type UiError } from '../lib/errors';
import { useTasksStore } from './tasks';

/** Lines of a replica's output kept in the window: enough to scroll back, bounded for a chatty app. */
export const OUTPUT_LINES_KEPT = 1000;
/** Lines read back when the output panel opens. */
const OUTPUT_TAIL = 200;

/** The last "Test the app" of an environment: its task, then its report (or why there is none). */
export interface AppTestRun {
  taskId: string;
  task?: Task;
  report?: AppTestReport;
  error?: UiError;
}

/** Where a replica's output is kept: one environment's one server. */
export const outputKey = (environment: string, server: string) => `${environment}/${server}`;

/** The user's own app: "Test the app" and its report, and the replicas' own output followed live. */
export const useAppsStore = defineStore('apps', () => {
  const tasks = useTasksStore();
  const tests = ref<Record<string, AppTestRun>>({});
  const outputs = ref<Record<string, string[]>>({});
  const outputErrors = ref<Record<string, UiError>>({});

  /** Tries the environment's saved app in a throwaway container; the report arrives when the task ends. */
  async function test(environment: string): Promise<AppTestRun> {
    const { taskId } = await invoke('apps:test', { environment });
    const run: AppTestRun = { taskId };
    tests.value[environment] = run;
    const task = await tasks.whenDone(taskId);
    const now = tests.value[environment];
    // Another test started meanwhile: this one's result is stale.
    if (now?.taskId !== taskId) return run;
    now.task = task;
    try {
      now.report = await invoke('apps:report', { id: taskId });
    } catch (err) {
      // No report: the test stopped before trying the app (a build or a pull failed); the task says why.
      if (!(err instanceof SwitchyardError && err.code === 'NOT_FOUND')) now.error = toUiError(err);
    }
    if (!now.report && task.error) now.error ??= task.error;
    return now;
  }

  function append(key: string, more: string[]): void {
    const all = (outputs.value[key] ?? []).concat(more);
    outputs.value[key] = all.length > OUTPUT_LINES_KEPT ? all.slice(all.length - OUTPUT_LINES_KEPT) : all;
  }

  /**
   * Follows a replica's output (the core follows it while anyone subscribes): its last lines
   * first, then lines as they come. Returns the function that stops; `ready` settles once the
   * last lines are in.
   */
  function watchOutput(environment: string, server: string): { (): void; ready: Promise<void> } {
    const key = outputKey(environment, server);
    // Until the last lines are read, what the follow hears waits; then only what they do not have.
    let held: OutputLine[] | undefined = [];
    let until: string | undefined;
    const sub = subscribe('apps:output', { environment, server }, (o) => {
      if (held) held.push(...o.lines);
      else
        append(
          key,
          newSince(until, o.lines).map((l) => l.text),
        );
    });
    const ready = sub.ready
      .then(async () => {
        try {
          const tail = await invoke('apps:logs', { environment, server, lines: OUTPUT_TAIL });
          until = tail.until;
          outputs.value[key] = tail.lines;
          delete outputErrors.value[key];
        } catch (err) {
          // Not deployed yet: its output comes once it is.
          outputs.value[key] = [];
          outputErrors.value[key] = toUiError(err);
        }
        append(
          key,
          newSince(until, held ?? []).map((l) => l.text),
        );
        held = undefined;
      })
      .catch((err: unknown) => void (outputErrors.value[key] = toUiError(err)));
    return Object.assign(() => sub(), { ready });
  }

  function clearOutput(environment: string, server: string): void {
    outputs.value[outputKey(environment, server)] = [];
  }

  return { tests, outputs, outputErrors, test, watchOutput, clearOutput };
});
