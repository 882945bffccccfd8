/*
 * Key templates of the items functions/core keeps for every domain, the only place they are
 * spelled: a caller's idempotency records, in one partition per caller (the keys are scoped to
 * the caller anyway, and account erasure finds them all with one Query). The scope names the
 * operation (`create-order`, `pay-order`: each domain's keys.ts holds its own). See
 * docs/access-patterns.md.
 */

export const idempotencyPartition = (userId: string) => `IDEMPOTENCY#${userId}`;

export const idempotencyRecordKey = (scope: string, userId: string, key: string) => ({
  pk: idempotencyPartition(userId),
  sk: `${scope}#${key}`,
});
