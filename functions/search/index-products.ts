import { logger } from '../core/logger.ts';
import { PoisonRecordError, streamHandler } from '../core/stream.ts';
import { sameDocument, searchDocumentOf } from './documents.ts';
import { appendChange } from './index-store.ts';

/**
 * DynamoDB Streams consumer that logs every change of a product that search can see (created,
 * removed, or changed in a field search holds: a stock change that stays in stock is skipped)
 * to the search change log, which search function instances read within a second.
 */
export const handler = streamHandler(async (change) => {
  const before = change.oldImage ? searchDocumentOf(change.oldImage) : undefined;
  const after = change.newImage ? searchDocumentOf(change.newImage) : undefined;
  if (change.newImage && !after)
    throw new PoisonRecordError('A product image that is not a well-formed product.');
  if (change.eventName === 'MODIFY' && sameDocument(before, after)) return;
  const id = after?.id ?? before?.id;
  if (!id) throw new PoisonRecordError('A product change without a product id.');
  await appendChange({ id, sequence: change.sequenceNumber, ...(after ? { doc: after } : {}) });
  logger.debug('search change logged', { productId: id, removed: !after });
});
