import type { InvokeOutcome } from '../lambda/outcome.ts';
import { isObject } from './mapping-config.ts';
import type { Entry } from './records.ts';

/** How Lambda reads a function's answer to a batch. */
export type Verdict =
  | { kind: 'success' }
  | { kind: 'partial'; index: number; identifier: string }
  | { kind: 'failure'; reason: string };

/** Part of a batch being delivered: a bisected half, or what is left after a partial failure. */
export interface Segment {
  entries: Entry[];
  retries: number;
  invokes: number;
  last: InvokeOutcome | undefined;
}

const MAX_BACKOFF_MS = 5000;

/** The wait before retry number `retries`: doubling from the poll interval, at most 5 s. */
export function backoffMs(retries: number, pollIntervalMs: number): number {
  return Math.min(pollIntervalMs * 2 ** (retries - 1), MAX_BACKOFF_MS);
}

/** The wait after a failed read of the stream. */
export function readErrorBackoffMs(pollIntervalMs: number): number {
  return Math.min(pollIntervalMs * 4, MAX_BACKOFF_MS);
}

/**
 * How many records at the head of a segment are past `MaximumRecordAgeInSeconds` (everything up
 * to the last expired one: records are in write order).
 */
export function expiredCount(entries: readonly Entry[], now: number, maxRecordAgeMs: number): number {
  let expired = 0;
  entries.forEach((entry, index) => {
    if (now - entry.writtenMs > maxRecordAgeMs) expired = index + 1;
  });
  return expired;
}

/** A segment split in two halves (`BisectBatchOnFunctionError`); splitting does not count as a retry. */
export function bisect(segment: Segment): [Segment, Segment] {
  const half = Math.ceil(segment.entries.length / 2);
  return [
    { ...segment, entries: segment.entries.slice(0, half) },
    { ...segment, entries: segment.entries.slice(half) },
  ];
}

/** How Lambda reads a function's answer to a stream batch. */
export function verdictOf(
  outcome: InvokeOutcome,
  entries: readonly Entry[],
  reportBatchItemFailures: boolean,
): Verdict {
  if (!outcome.ok)
    return { kind: 'failure', reason: `${outcome.error.errorType}: ${outcome.error.errorMessage}` };
  if (!reportBatchItemFailures) return { kind: 'success' };
  const result = outcome.result;
  // An empty or null response, or an empty or null list, is a complete success.
  if (!isObject(result)) return { kind: 'success' };
  const failures = result.batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'failure', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  let lowest: { index: number; identifier: string } | undefined;
  for (const failure of failures) {
    const identifier = isObject(failure) ? failure.itemIdentifier : undefined;
    // An empty, null or misnamed identifier fails the whole batch.
    if (typeof identifier !== 'string' || identifier === '') {
      return { kind: 'failure', reason: `batchItemFailures has an item without an itemIdentifier` };
    }
    const index = entries.findIndex((entry) => entry.sequenceNumber === identifier);
    if (index < 0) {
      return {
        kind: 'failure',
        reason: `batchItemFailures names ${JSON.stringify(identifier)}, not a sequence number of this batch`,
      };
    }
    if (!lowest || index < lowest.index) lowest = { index, identifier };
  }
  return { kind: 'partial', ...(lowest as { index: number; identifier: string }) };
}
