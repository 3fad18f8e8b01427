import { SwitchyardError } from '../../shared/errors';

/** The SwitchyardError a promise rejects with; anything else (or no failure) fails the test. */
export async function failure(p: Promise<unknown>): Promise<SwitchyardError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SwitchyardError) return err;
    throw err;
  }
  throw new Error('did not fail');
}
