import { type MockInstance, vi } from 'vitest';
import { logger } from '../../functions/core/logger.ts';

/** Keeps handler logs out of the test output; returns the spies so tests can assert on them. */
export function quietLogger(): { info: MockInstance; warn: MockInstance; error: MockInstance } {
  return {
    info: vi.spyOn(logger, 'info').mockImplementation(() => undefined),
    warn: vi.spyOn(logger, 'warn').mockImplementation(() => undefined),
    error: vi.spyOn(logger, 'error').mockImplementation(() => undefined),
  };
}
