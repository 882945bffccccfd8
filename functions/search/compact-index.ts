import { lambda } from '../core/lambda.ts';
import { logger } from '../core/logger.ts';
import { compactIndex } from './compaction.ts';

/**
 * Scheduled: folds the search change log into a new snapshot (or builds the first one from the
 * catalog), so a cold search function loads one snapshot and a short log.
 */
export const handler = lambda(async () => {
  const result = await compactIndex();
  logger.info('search index compacted', { ...result });
  return result;
});
