import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, table } from '../core/db.ts';
import { loginAttemptsKey } from './keys.ts';

/* The failed sign-ins of an email in the current window (`LOGIN#<email>`), which throttle guessing. */

const nowEpoch = () => Math.floor(Date.now() / 1000);

export const LOGIN_WINDOW_SECONDS = 15 * 60;

export const MAX_FAILED_LOGINS = 5;

/**
 * Takes one of the email's sign-in attempts in the current 15-minute window, BEFORE the
 * password is checked, so parallel guesses cannot all slip through between a check and a
 * count. Returns 0 when the attempt may proceed, else the seconds until the window ends.
 * A successful sign-in clears the window (`clearFailedLogins`).
 */
export async function reserveLoginAttempt(email: string): Promise<number> {
  const { client, tableName } = table();
  const now = nowEpoch();
  const floor = now - LOGIN_WINDOW_SECONDS;
  const takeInWindow = () =>
    client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: loginAttemptsKey(email),
        UpdateExpression: 'ADD failures :one',
        ConditionExpression: 'windowStartEpoch > :floor AND failures < :max',
        ExpressionAttributeValues: { ':one': 1, ':floor': floor, ':max': MAX_FAILED_LOGINS },
      }),
    );
  for (let round = 0; round < 2; round++) {
    try {
      await takeInWindow();
      return 0;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    try {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...loginAttemptsKey(email),
            failures: 1,
            windowStartEpoch: now,
            expiresAtEpoch: now + LOGIN_WINDOW_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR windowStartEpoch <= :floor',
          ExpressionAttributeValues: { ':floor': floor },
        }),
      );
      return 0;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    // The window is live: either it is full, or a concurrent attempt just opened it (retry once).
    const out = await client.send(
      new GetCommand({ TableName: tableName, Key: loginAttemptsKey(email), ConsistentRead: true }),
    );
    const item = out.Item as { failures?: number; windowStartEpoch?: number } | undefined;
    if ((item?.failures ?? 0) >= MAX_FAILED_LOGINS && item?.windowStartEpoch !== undefined) {
      return Math.max(1, item.windowStartEpoch + LOGIN_WINDOW_SECONDS - now);
    }
  }
  return 0;
}

export async function clearFailedLogins(email: string): Promise<void> {
  await table().client.send(
    new DeleteCommand({ TableName: table().tableName, Key: loginAttemptsKey(email) }),
  );
}
