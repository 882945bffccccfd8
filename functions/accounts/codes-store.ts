import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { ReturnValue } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, table } from '../core/db.ts';
import { derivedKey } from '../core/derived-keys.ts';
import { RuleViolation } from '../core/domain-errors.ts';
import { type CodePurpose, codeKey } from './keys.ts';

/*
 * One-time codes (`CODE#<purpose>#<subject>`): 6 random digits that prove a mailbox, stored
 * only as an HMAC, single use, valid 15 minutes, dead after 5 wrong tries, and replaced by the
 * next code of the same purpose and subject. See docs/security.md for the arithmetic.
 */

export const CODE_TTL_SECONDS = 15 * 60;
export const MAX_CODE_TRIES = 5;
const nowEpoch = () => Math.floor(Date.now() / 1000);

/** What the code of a purpose carries to its confirmation (the user id, the new address). */
export type CodePayload = Readonly<Record<string, string>>;

/** A uniformly random code of 6 digits (`randomInt` draws without modulo bias). */
export const newCode = (): string => String(randomInt(0, 1_000_000)).padStart(6, '0');

/**
 * HMAC-SHA256 under a derived server key, over purpose, subject and code. Not a slow hash: a
 * 6-digit code has only 10^6 values, so scrypt would only make a leaked table cost minutes to
 * search instead of seconds, while costing every request; a keyed hash makes a leaked table
 * alone useless (the key is in Secrets Manager, not in the table).
 */
async function codeHash(purpose: CodePurpose, subject: string, code: string): Promise<string> {
  return createHmac('sha256', await derivedKey('one-time-codes'))
    .update(`${purpose}\n${subject}\n${code}`)
    .digest('base64url');
}

export const invalidCode = (): RuleViolation =>
  new RuleViolation(
    'invalid-code',
    'The code is wrong, expired or used up. Ask for a new one if this keeps happening.',
    { errors: [{ path: 'body.code', message: 'Invalid code.' }] },
  );

/**
 * The transaction item that stores a new code for a subject, replacing (and so killing) any
 * earlier one; it goes in the same transaction as the email that carries it.
 */
export async function codePut(purpose: CodePurpose, subject: string, code: string, payload: CodePayload) {
  return {
    Put: {
      TableName: table().tableName,
      Item: {
        ...codeKey(purpose, subject),
        entity: 'code',
        codeHash: await codeHash(purpose, subject, code),
        tries: 0,
        payload,
        expiresAtEpoch: nowEpoch() + CODE_TTL_SECONDS,
      },
    },
  };
}

/**
 * Checks a code. Each check first takes one of the code's tries in a conditional write, BEFORE
 * comparing, so parallel guesses cannot share a try: at most 5 comparisons per code, ever. A
 * right code returns its payload and `consume`, the conditional Delete that the caller puts in
 * the transaction of its effect: code and effect go together or not at all, and of two
 * confirmations racing with the right code exactly one deletes it (the other's transaction
 * fails on it: `invalidCode`). Anything else is `invalidCode` (422), saying nothing more.
 */
export async function takeCodeTry(
  purpose: CodePurpose,
  subject: string,
  code: string,
): Promise<{ payload: CodePayload; consume: ReturnType<typeof codeDelete> }> {
  const { client, tableName } = table();
  let item: Record<string, unknown> | undefined;
  try {
    const out = await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: codeKey(purpose, subject),
        UpdateExpression: 'ADD tries :one',
        ConditionExpression: 'attribute_exists(pk) AND tries < :max AND expiresAtEpoch > :now',
        ExpressionAttributeValues: { ':one': 1, ':max': MAX_CODE_TRIES, ':now': nowEpoch() },
        ReturnValues: ReturnValue.ALL_NEW,
      }),
    );
    item = out.Attributes;
  } catch (error) {
    if (isConditionFailure(error)) throw invalidCode();
    throw error;
  }
  const stored = Buffer.from(String(item?.codeHash ?? ''));
  const given = Buffer.from(await codeHash(purpose, subject, code));
  if (stored.length !== given.length || !timingSafeEqual(stored, given)) throw invalidCode();
  return {
    payload: (item?.payload ?? {}) as CodePayload,
    consume: codeDelete(purpose, subject, stored.toString()),
  };
}

/** Deletes the code only if it is still this one (not used, not replaced meanwhile). */
function codeDelete(purpose: CodePurpose, subject: string, hash: string) {
  return {
    Delete: {
      TableName: table().tableName,
      Key: codeKey(purpose, subject),
      ConditionExpression: 'codeHash = :hash',
      ExpressionAttributeValues: { ':hash': hash },
    },
  };
}
