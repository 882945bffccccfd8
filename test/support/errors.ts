/**
 * The error `run` throws, which must be a `type`; any other error is rethrown, and a run that
 * throws nothing fails with `what` (e.g. the arguments that were accepted).
 */
export function thrown<E extends Error>(
  type: new (...args: never[]) => E,
  run: () => unknown,
  what: string,
): E {
  try {
    run();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`${what} was accepted`);
}
