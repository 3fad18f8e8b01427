/** The report of "Test the app", check by check, as the window and the CLI show it: the first failed check says what to fix. */
export interface AppTestReport {
  ok: boolean;
  image: string;
  /** The container was created and started. */
  started: boolean;
  /** It was still running after the settle time. */
  stayedUp: boolean;
  /** Something answered HTTP on the container port. */
  listening: boolean;
  /** The health check's answer, when the environment checks over HTTP. */
  health?: { path: string; expected: number; status?: number; ok: boolean };
  failed?: 'start' | 'crash' | 'port' | 'health';
  exitCode?: number;
  /** The container's last lines of output (stdout and stderr). */
  logs: string;
}
