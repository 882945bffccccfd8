import { caller } from '../core/auth.ts';
import { created, http } from '../core/http.ts';
import { BUSINESS_METRICS } from '../core/metric-names.ts';
import { countMetric } from '../core/metrics.ts';
import { parseInput } from '../core/validation.ts';
import { conversationPath, sendMessageBody } from './model.ts';
import { sendMessage } from './sending-store.ts';

/**
 * POST /conversations/{conversationId}/messages: a repeated `clientMessageId` answers the first
 * message again (`idempotent-replayed: true`), so a retry from a flaky phone never duplicates.
 */
export const handler = http(
  async (event) => {
    const who = caller(event);
    const { conversationId } = parseInput(conversationPath, event.pathParameters ?? {}, 'path');
    const input = parseInput(sendMessageBody, event.jsonBody, 'body');
    const { message, replayed } = await sendMessage(who, conversationId, input);
    if (!replayed) countMetric(BUSINESS_METRICS.MessageSent);
    return created(message, replayed ? { 'idempotent-replayed': 'true' } : {});
  },
  // 4000 characters written as \uXXXX escapes (as some JSON encoders do) are 24 KB.
  { jsonBody: true, maxBodyBytes: 32 * 1024 },
);
