import { GetCommand, type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, setFields, table, transactWrite, updateItem } from '../core/db.ts';
import { Conflict, NotFound } from '../core/domain-errors.ts';
import { newId } from '../core/ids.ts';
import { OPEN_ACCOUNT } from './erasure-fence.ts';
import { emailKey, profileKey } from './keys.ts';
import type { Account, PublicProfile, Role } from './model.ts';
import type { PasswordHash } from './passwords.ts';

/** One item of a TransactWriteItems call, as the document client takes it. */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

import { newRefreshToken, sessionPut } from './sessions-store.ts';

/*
 * The account: its profile (`USER#<id>` / `PROFILE`, what others see of it is the public
 * profile) and its login identity (`EMAIL#<email>`, the password hash).
 */

/** `entity` of a profile item; stream consumers of profile changes filter on it. */
export const PROFILE_ENTITY = 'profile';

interface ProfileItem {
  id: string;
  email: string;
  displayName: string;
  bio: string;
  role: Role;
  emailVerified: boolean;
  createdAt: string;
  updatedAt: string;
}

interface IdentityItem {
  userId: string;
  password: PasswordHash;
}

export function toAccount(item: ProfileItem | Record<string, unknown>): Account {
  const { id, email, displayName, bio, role, emailVerified, createdAt } = item as unknown as ProfileItem;
  // Accounts made before verification existed have no flag: unverified.
  return { id, email, displayName, bio, role, emailVerified: emailVerified === true, createdAt };
}

/**
 * Creates an account, its login identity and a first session in one transaction. The
 * identity item keyed by email is written only if absent, so two registrations of one
 * email cannot both succeed (409), whatever the timing. `extraWrites(id)` adds items of the
 * new account to the same transaction (the verification code and its email).
 */
export async function createAccount(
  input: {
    email: string;
    displayName: string;
    password: PasswordHash;
    role: Role;
    emailVerified?: boolean;
  },
  extraWrites: (userId: string) => Promise<TransactItem[]> = async () => [],
): Promise<{ account: Account; refreshToken: string }> {
  const { tableName } = table();
  const id = newId();
  const now = new Date().toISOString();
  const profile: ProfileItem = {
    id,
    email: input.email,
    displayName: input.displayName,
    bio: '',
    role: input.role,
    emailVerified: input.emailVerified ?? false,
    createdAt: now,
    updatedAt: now,
  };
  const familyId = newId();
  const refresh = newRefreshToken(id, familyId);
  try {
    await transactWrite({
      TransactItems: [
        {
          Put: {
            TableName: tableName,
            Item: {
              ...emailKey(input.email),
              entity: 'identity',
              userId: id,
              password: input.password,
            } satisfies IdentityItem & Record<string, unknown>,
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        { Put: { TableName: tableName, Item: { ...profileKey(id), entity: PROFILE_ENTITY, ...profile } } },
        sessionPut(id, familyId, refresh.hash),
        ...(await extraWrites(id)),
      ],
    });
  } catch (error) {
    if (isConditionFailure(error, 0)) throw new Conflict('An account with this email already exists.');
    throw error;
  }
  return { account: toAccount(profile), refreshToken: refresh.token };
}

/** The login identity of an email: user id and password hash. One GetItem. */
export async function findIdentity(email: string): Promise<IdentityItem | undefined> {
  const { client, tableName } = table();
  const out = await client.send(new GetCommand({ TableName: tableName, Key: emailKey(email) }));
  return out.Item
    ? { userId: String(out.Item.userId), password: out.Item.password as PasswordHash }
    : undefined;
}

export async function updatePasswordHash(email: string, password: PasswordHash): Promise<void> {
  const { client, tableName } = table();
  await client.send(
    new UpdateCommand({
      TableName: tableName,
      Key: emailKey(email),
      UpdateExpression: 'SET password = :password',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':password': password },
    }),
  );
}

export async function getAccount(userId: string): Promise<Account | undefined> {
  const { client, tableName } = table();
  const out = await client.send(new GetCommand({ TableName: tableName, Key: profileKey(userId) }));
  return out.Item ? toAccount(out.Item) : undefined;
}

/** A public profile and when it last changed (`updatedAt` orders snapshots other domains keep of it). */
export interface ProfileSnapshot {
  readonly profile: PublicProfile;
  readonly updatedAt: string;
}

/**
 * The public profile in a profile item (as stored, or a stream image of it), or undefined when
 * the item is not a profile: what stream consumers of profile changes read.
 */
export function profileSnapshotFromItem(item: Record<string, unknown>): ProfileSnapshot | undefined {
  if (item.entity !== PROFILE_ENTITY) return undefined;
  const { id, displayName, bio, createdAt, updatedAt } = item as unknown as ProfileItem;
  return { profile: { id, displayName, bio, createdAt }, updatedAt };
}

/** The public profile with its `updatedAt`, for a snapshot that must never be overwritten by an older one. */
export async function getProfileSnapshot(userId: string): Promise<ProfileSnapshot | undefined> {
  const { client, tableName } = table();
  // Consistent: a snapshot taken right after a change must already show it.
  const out = await client.send(
    new GetCommand({ TableName: tableName, Key: profileKey(userId), ConsistentRead: true }),
  );
  return out.Item ? profileSnapshotFromItem(out.Item) : undefined;
}

export async function getPublicProfile(userId: string): Promise<PublicProfile | undefined> {
  return (await getProfileSnapshot(userId))?.profile;
}

export async function updateProfile(
  userId: string,
  changes: { displayName?: string; bio?: string },
): Promise<Account> {
  const { tableName } = table();
  const { sets, names, values } = setFields({ ...changes, updatedAt: new Date().toISOString() });
  try {
    // Retried on transaction conflicts: orders, sessions and messages check this item in theirs.
    const out = await updateItem({
      TableName: tableName,
      Key: profileKey(userId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: OPEN_ACCOUNT,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    });
    return toAccount(out.Attributes ?? {});
  } catch (error) {
    if (isConditionFailure(error)) throw new NotFound('This account no longer exists.');
    throw error;
  }
}
