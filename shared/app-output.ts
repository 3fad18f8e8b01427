/** A replica's own output (stdout and stderr, in the order Docker kept it), as it is written. */
export interface AppOutput {
  environment: string;
  server: string;
  /** Whole lines, oldest first, without their line breaks; `at` is when Docker got each (its clock, ISO 8601 to the nanosecond). */
  lines: OutputLine[];
}

/** One line of output. */
export interface OutputLine {
  at: string;
  text: string;
}

/**
 * The lines of a follow that a tail read after subscribing did not have (`until`: the tail's last
 * line's `at`): a line written between the two arrives both ways, and is shown once.
 */
export function newSince(until: string | undefined, lines: readonly OutputLine[]): OutputLine[] {
  return until === undefined ? [...lines] : lines.filter((l) => l.at > until);
}
