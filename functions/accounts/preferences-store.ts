import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getBothInPartition, isConditionFailure, table } from '../core/db.ts';
import { Conflict, NotFound, PreconditionFailed } from '../core/domain-errors.ts';
import { writeWhileAccountOpen } from './erasure-fence.ts';
import { preferencesKey, SESSION_PREFIX } from './keys.ts';
import { DEFAULT_PREFERENCES, type Preferences } from './model.ts';

/* A user's saved preferences (`USER#<id>` / `PREFERENCES`), versioned for `If-Match`. */

export interface StoredPreferences {
  readonly preferences: Preferences;
  /** 0 when never saved. */
  readonly version: number;
}

function storedPreferences(item: Record<string, unknown> | undefined): StoredPreferences {
  if (!item) return { preferences: DEFAULT_PREFERENCES, version: 0 };
  const { language, currency, theme, marketingEmails, favoriteCategories, version } = item as Preferences & {
    version: number;
  };
  return { preferences: { language, currency, theme, marketingEmails, favoriteCategories }, version };
}

export async function getPreferences(userId: string): Promise<StoredPreferences> {
  const { client, tableName } = table();
  const out = await client.send(new GetCommand({ TableName: tableName, Key: preferencesKey(userId) }));
  return storedPreferences(out.Item);
}

/**
 * The preferences and another domain's item of the user's partition in ONE Query: `sk` must
 * sort after `PREFERENCES` (the range between holds only the small profile item besides).
 */
export async function getPreferencesWith(
  userId: string,
  sk: string,
): Promise<{ preferences: Preferences; item: Record<string, unknown> | undefined }> {
  const { pk, sk: preferencesSk } = preferencesKey(userId);
  // Sessions sort after the range, so it never reads them (there can be many).
  if (sk >= SESSION_PREFIX) throw new Error(`getPreferencesWith: ${sk} must sort before ${SESSION_PREFIX}.`);
  const { from, to } = await getBothInPartition(pk, preferencesSk, sk);
  return { preferences: storedPreferences(from).preferences, item: to };
}

/**
 * Saves preferences; with `expectedVersion`, only if nobody saved since (else 412). The write
 * is conditional on the account existing, so a token that outlives its erased account cannot
 * write data back (404).
 */
export async function putPreferences(
  userId: string,
  preferences: Preferences,
  expectedVersion?: number,
): Promise<StoredPreferences> {
  const { tableName } = table();
  const current = expectedVersion ?? (await getPreferences(userId)).version;
  const version = current + 1;
  let written: boolean;
  try {
    written = await writeWhileAccountOpen(userId, [
      {
        Put: {
          TableName: tableName,
          Item: {
            ...preferencesKey(userId),
            entity: 'preferences',
            ...preferences,
            version,
            updatedAt: new Date().toISOString(),
          },
          ConditionExpression: current === 0 ? 'attribute_not_exists(pk)' : 'version = :expected',
          ExpressionAttributeValues: current === 0 ? undefined : { ':expected': current },
        },
      },
    ]);
  } catch (error) {
    // Item 1 is the preferences: saved by someone else since `current` was read.
    if (!isConditionFailure(error, 1)) throw error;
    if (expectedVersion !== undefined) {
      throw new PreconditionFailed('The preferences changed since you read them. Read them again.');
    }
    throw new Conflict('The preferences were changed concurrently. Try again.');
  }
  if (!written) throw new NotFound('This account no longer exists.');
  return { preferences, version };
}

/**
 * Turns non-essential mail off (one-click unsubscribe): idempotent, needs no version. Never
 * saved preferences already have it off (the default), so nothing is written for them.
 */
export async function turnOffMarketingEmails(userId: string): Promise<void> {
  const { client, tableName } = table();
  try {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: preferencesKey(userId),
        UpdateExpression: 'SET marketingEmails = :false, updatedAt = :now ADD version :one',
        ConditionExpression: 'attribute_exists(pk) AND marketingEmails = :true',
        ExpressionAttributeValues: {
          ':false': false,
          ':true': true,
          ':one': 1,
          ':now': new Date().toISOString(),
        },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}
