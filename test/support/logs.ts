import { type MockInstance, vi } from 'vitest';
import { logger } from '../../functions/core/logger.ts';

/**
 * Keeps handler logs out of the test output; returns the spies so tests can assert on them.
 * Each call starts them afresh (spying on a spied method returns the same spy, calls and all).
 */
export function quietLogger(): { info: MockInstance; warn: MockInstance; error: MockInstance } {
  return {
    info: vi
      .spyOn(logger, 'info')
      .mockClear()
      .mockImplementation(() => undefined),
    warn: vi
      .spyOn(logger, 'warn')
      .mockClear()
      .mockImplementation(() => undefined),
    error: vi
      .spyOn(logger, 'error')
      .mockClear()
      .mockImplementation(() => undefined),
  };
}
