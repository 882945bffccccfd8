import { declareEnv, positiveNumber, whenSet } from '../core/config.ts';
import { isConditionFailure, table, transactWrite } from '../core/db.ts';
import { Conflict, InvalidInput, NotFound } from '../core/domain-errors.ts';
import { accountEmailPut, NO_ACCOUNT } from './account-emails.ts';
import { codePut, invalidCode, newCode, takeCodeTry } from './codes-store.ts';
import { emailKey, profileKey } from './keys.ts';
import type { Account } from './model.ts';
import type { PasswordHash } from './passwords.ts';
import { findIdentity, getAccount, type TransactItem } from './profile-store.ts';
import { type RateLimit, takeRequest } from './rate-limits-store.ts';

/*
 * The flows that prove a mailbox with a one-time code: verifying the address of an account,
 * resetting a forgotten password, moving an account to a new address. Requests answer the same
 * whether or not an account exists, doing the same reads and writes on both paths.
 */

/** Codes one email address may be sent in an hour and in a day (what bounds code guessing, docs/security.md). */
export const CODE_REQUEST_LIMITS = { addressPerHour: 5, addressPerDay: 10 } as const;

// Per environment (lib/config `codeRequestsPerIpHour`); registration, which never limits, does without.
declareEnv('CODE_REQUESTS_PER_IP_HOUR', positiveNumber, whenSet('CODE_REQUESTS_PER_IP_HOUR'));
const DEFAULT_PER_IP_HOUR = 100;

function codeLimits(email: string, sourceIp: string): RateLimit[] {
  const perIp = Number(process.env.CODE_REQUESTS_PER_IP_HOUR ?? DEFAULT_PER_IP_HOUR);
  return [
    {
      scope: 'code-email-hour',
      subject: email,
      windowSeconds: 3600,
      max: CODE_REQUEST_LIMITS.addressPerHour,
    },
    {
      scope: 'code-email-day',
      subject: email,
      windowSeconds: 86_400,
      max: CODE_REQUEST_LIMITS.addressPerDay,
    },
    { scope: 'code-ip-hour', subject: sourceIp, windowSeconds: 3600, max: perIp },
  ];
}

/** The transaction items of a new code for an email address and the email carrying it. */
async function codeWrites(
  purpose: 'verify-email' | 'password-reset',
  email: string,
  account: Pick<Account, 'id' | 'emailVerified'> | undefined,
): Promise<TransactItem[]> {
  const code = newCode();
  const userId = account?.id ?? '';
  const send = account !== undefined && (purpose === 'password-reset' || !account.emailVerified);
  return [
    await codePut(purpose, email, code, { userId: send ? userId : '' }),
    await accountEmailPut({ kind: send ? purpose : 'none', to: email, userId, code }),
  ];
}

/** The writes that send a new account its verification code (in the registration's transaction). */
export function verificationCodeWrites(email: string, userId: string): Promise<TransactItem[]> {
  return codeWrites('verify-email', email, { id: userId, emailVerified: false });
}

/**
 * Sends a code to an address for `purpose` if an account has it (and, to verify, has not proved
 * it yet); otherwise does the same work and sends nothing. `TooManyRequests` past the limits.
 */
export async function requestEmailCode(
  purpose: 'verify-email' | 'password-reset',
  email: string,
  sourceIp: string,
): Promise<void> {
  await takeRequest(codeLimits(email, sourceIp), 'codes were asked for');
  const identity = await findIdentity(email);
  const account = await getAccount(identity?.userId ?? NO_ACCOUNT);
  await transactWrite({ TransactItems: await codeWrites(purpose, email, account) });
}

/** Runs a code's effect with its consumption; a failed condition (code used meanwhile, account changed) is `invalidCode`. */
async function consumeWith(consume: TransactItem, effects: TransactItem[]): Promise<void> {
  try {
    await transactWrite({ TransactItems: [consume, ...effects] });
  } catch (error) {
    if (isConditionFailure(error)) throw invalidCode();
    throw error;
  }
}

const markVerified = (userId: string, email: string): TransactItem => ({
  Update: {
    TableName: tableName(),
    Key: profileKey(userId),
    UpdateExpression: 'SET emailVerified = :true, updatedAt = :now',
    // Still the address the code went to (not changed since).
    ConditionExpression: 'attribute_exists(pk) AND email = :email',
    ExpressionAttributeValues: { ':true': true, ':now': new Date().toISOString(), ':email': email },
  },
});

/** Marks the account of `email` verified with the code sent to it. */
export async function confirmEmailVerification(email: string, code: string): Promise<void> {
  const { payload, consume } = await takeCodeTry('verify-email', email, code);
  if (!payload.userId) throw invalidCode();
  await consumeWith(consume, [markVerified(payload.userId, email)]);
}

/**
 * Sets a new password with the code sent to `email` (which proves the mailbox, so the address
 * counts as verified too). Returns the user id, whose sessions the caller then revokes.
 */
export async function resetPassword(email: string, code: string, password: PasswordHash): Promise<string> {
  const { payload, consume } = await takeCodeTry('password-reset', email, code);
  const { userId } = payload;
  if (!userId) throw invalidCode();
  await consumeWith(consume, [
    {
      Update: {
        TableName: tableName(),
        Key: emailKey(email),
        UpdateExpression: 'SET password = :password',
        // The address still belongs to that account (not moved away since the code was sent).
        ConditionExpression: 'userId = :userId',
        ExpressionAttributeValues: { ':password': password, ':userId': userId },
      },
    },
    markVerified(userId, email),
  ]);
  return userId;
}

/**
 * Starts moving an account to `newEmail` (the caller checked the password): a code to the new
 * address, a notice to the old one. Whether the new address is taken is not told here (that
 * would let any account probe addresses); the confirmation finds out.
 */
export async function requestEmailChange(
  account: Account,
  newEmail: string,
  sourceIp: string,
): Promise<void> {
  if (newEmail === account.email) {
    throw new InvalidInput('That is already the account’s address.', [
      { path: 'body.newEmail', message: 'Must differ from the current address.' },
    ]);
  }
  await takeRequest(codeLimits(newEmail, sourceIp), 'codes were asked for');
  const code = newCode();
  await transactWrite({
    TransactItems: [
      await codePut('email-change', account.id, code, { newEmail }),
      await accountEmailPut({ kind: 'email-change', to: newEmail, userId: account.id, code }),
      await accountEmailPut({ kind: 'email-change-notice', to: account.email, userId: account.id }),
    ],
  });
}

/**
 * Moves the account to the address its code was sent to, in one transaction with the code:
 * the old identity item goes, the new one is written only if absent, so of two accounts racing
 * for one address exactly one gets it (the other: `Conflict`, its code still valid).
 */
export async function confirmEmailChange(userId: string, code: string): Promise<Account> {
  const { payload, consume } = await takeCodeTry('email-change', userId, code);
  const { newEmail } = payload;
  const account = await getAccount(userId);
  const identity = account && (await findIdentity(account.email));
  if (!account || !identity || !newEmail) throw new NotFound('This account no longer exists.');
  const now = new Date().toISOString();
  try {
    await transactWrite({
      TransactItems: [
        consume,
        {
          Delete: {
            TableName: tableName(),
            Key: emailKey(account.email),
            ConditionExpression: 'userId = :userId',
            ExpressionAttributeValues: { ':userId': userId },
          },
        },
        {
          Put: {
            TableName: tableName(),
            Item: { ...emailKey(newEmail), entity: 'identity', userId, password: identity.password },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: tableName(),
            Key: profileKey(userId),
            UpdateExpression: 'SET email = :new, emailVerified = :true, updatedAt = :now',
            ConditionExpression: 'email = :old',
            ExpressionAttributeValues: {
              ':new': newEmail,
              ':old': account.email,
              ':true': true,
              ':now': now,
            },
          },
        },
      ],
    });
  } catch (error) {
    if (isConditionFailure(error, 2)) throw new Conflict('Another account has this email address now.');
    if (isConditionFailure(error, 0)) throw invalidCode();
    if (isConditionFailure(error)) throw new Conflict('The account changed meanwhile. Try again.');
    throw error;
  }
  return { ...account, email: newEmail, emailVerified: true };
}

function tableName(): string {
  return table().tableName;
}
