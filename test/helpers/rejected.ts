import { LocatedErrors } from '../../src/errors/located-error';

/** The located problems `fn` throws; fails the test when it throws nothing or something else. */
export function problems(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (e instanceof LocatedErrors) return e.errors;
    throw e;
  }
  throw new Error('expected the config to be rejected');
}
