import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, table } from '../core/db.ts';
import { TooManyRequests } from '../core/domain-errors.ts';
import { rateWindowKey } from './keys.ts';

/*
 * Fixed-window rate limits (`RATE#<scope>#<subject>` / `WINDOW#<start>`): a counter per window
 * taken by one conditional UpdateItem, so parallel requests cannot overshoot; TTL removes
 * past windows.
 */

export interface RateLimit {
  /** What is counted (`code-email`, `code-ip`). */
  readonly scope: string;
  /** For whom (an email address, a network address). */
  readonly subject: string;
  readonly windowSeconds: number;
  readonly max: number;
}

/** Takes one request from a window; 0 when allowed, else the seconds until the window ends. */
async function take(limit: RateLimit, now: number): Promise<number> {
  const start = now - (now % limit.windowSeconds);
  const end = start + limit.windowSeconds;
  try {
    await table().client.send(
      new UpdateCommand({
        TableName: table().tableName,
        Key: rateWindowKey(limit.scope, limit.subject, start),
        UpdateExpression: 'ADD requests :one SET expiresAtEpoch = :end',
        ConditionExpression: 'attribute_not_exists(pk) OR requests < :max',
        ExpressionAttributeValues: { ':one': 1, ':max': limit.max, ':end': end },
      }),
    );
    return 0;
  } catch (error) {
    if (isConditionFailure(error)) return Math.max(1, end - now);
    throw error;
  }
}

/** Takes one request from every limit; `TooManyRequests` (429, Retry-After) when any is used up. */
export async function takeRequest(limits: readonly RateLimit[], what: string): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const waits = await Promise.all(limits.map((limit) => take(limit, now)));
  const wait = Math.max(0, ...waits);
  if (wait > 0) throw new TooManyRequests(`Too many ${what}. Try again in ${wait} seconds.`, wait);
}
