import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  deleteKeys,
  getBothInPartition,
  isConditionFailure,
  queryAll,
  setFields,
  table,
  transactWrite,
  updateItem,
} from '../core/db.ts';
import { Conflict, NotAuthenticated, NotFound, PreconditionFailed } from '../core/domain-errors.ts';
import { newId } from '../core/ids.ts';
import {
  emailKey,
  loginAttemptsKey,
  preferencesKey,
  profileKey,
  SESSION_PREFIX,
  sessionKey,
  userPartition,
} from './keys.ts';
import {
  type Account,
  DEFAULT_PREFERENCES,
  type Preferences,
  type PublicProfile,
  type Role,
} from './model.ts';
import type { PasswordHash } from './passwords.ts';

/** `entity` of a profile item; stream consumers of profile changes filter on it. */
export const PROFILE_ENTITY = 'profile';

export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
export const LOGIN_WINDOW_SECONDS = 15 * 60;
export const MAX_FAILED_LOGINS = 5;
/** How many rotated-out token hashes a session remembers for reuse detection. */
const REMEMBERED_HASHES = 100;

interface ProfileItem {
  id: string;
  email: string;
  displayName: string;
  bio: string;
  role: Role;
  createdAt: string;
  updatedAt: string;
}

interface IdentityItem {
  userId: string;
  password: PasswordHash;
}

interface SessionItem {
  familyId: string;
  currentHash: string;
  previousHashes: string[];
  revoked: boolean;
  createdAt: string;
  expiresAtEpoch: number;
}

const nowEpoch = () => Math.floor(Date.now() / 1000);
const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

function toAccount(item: ProfileItem | Record<string, unknown>): Account {
  const { id, email, displayName, bio, role, createdAt } = item as unknown as ProfileItem;
  return { id, email, displayName, bio, role, createdAt };
}

/** A refresh token: opaque to clients; it names its session so a lookup is one GetItem. */
function newRefreshToken(userId: string, familyId: string): { token: string; hash: string } {
  const token = `${userId}.${familyId}.${randomBytes(32).toString('base64url')}`;
  return { token, hash: sha256(token) };
}

function parseRefreshToken(token: string): { userId: string; familyId: string } {
  const [userId, familyId, secret, ...rest] = token.split('.');
  if (!userId || !familyId || !secret || rest.length > 0)
    throw new NotAuthenticated('The refresh token is not valid.');
  return { userId, familyId };
}

function sessionPut(userId: string, familyId: string, hash: string) {
  const item: SessionItem & { pk: string; sk: string; entity: string } = {
    ...sessionKey(userId, familyId),
    entity: 'session',
    familyId,
    currentHash: hash,
    previousHashes: [],
    revoked: false,
    createdAt: new Date().toISOString(),
    expiresAtEpoch: nowEpoch() + REFRESH_TOKEN_TTL_SECONDS,
  };
  return { Put: { TableName: table().tableName, Item: item } };
}

/**
 * Creates an account, its login identity and a first session in one transaction. The
 * identity item keyed by email is written only if absent, so two registrations of one
 * email cannot both succeed (409), whatever the timing.
 */
export async function createAccount(input: {
  email: string;
  displayName: string;
  password: PasswordHash;
  role: Role;
}): Promise<{ account: Account; refreshToken: string }> {
  const { tableName } = table();
  const id = newId();
  const now = new Date().toISOString();
  const profile: ProfileItem = {
    id,
    email: input.email,
    displayName: input.displayName,
    bio: '',
    role: input.role,
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

/** While an account is being erased its profile carries this attribute (the erasure's start time). */
const ERASING = 'erasing';
const OPEN_ACCOUNT = `attribute_exists(pk) AND attribute_not_exists(${ERASING})`;

/**
 * A transaction item that holds only while the user's account exists and is not being erased:
 * every domain that writes something about a user puts it into that write's transaction (an
 * order, a session, a conversation with the user, a block, the purchase summary), so nothing
 * new is written once `beginErasure` has marked the profile, and what was written before the
 * mark is already in the table for the erasure's consistent reads to find. With `updatedAt` it
 * also holds only while the profile is unchanged since that snapshot; the old item then comes
 * back with the cancellation (`isOpenProfile` tells a changed profile from a closing account).
 */
export function profileExists(userId: string, updatedAt?: string) {
  return {
    ConditionCheck: {
      TableName: table().tableName,
      Key: profileKey(userId),
      ...(updatedAt === undefined
        ? { ConditionExpression: OPEN_ACCOUNT }
        : {
            ConditionExpression: `${OPEN_ACCOUNT} AND updatedAt = :updatedAt`,
            ExpressionAttributeValues: { ':updatedAt': updatedAt },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
          }),
    },
  };
}

/** Whether a profile item (e.g. returned with a cancelled `profileExists`) is of an open account. */
export const isOpenProfile = (item: Record<string, unknown> | undefined): boolean =>
  item !== undefined && item[ERASING] === undefined;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Writes `items` in one transaction whose item 0 is `profileExists(userId)`: for writes whose
 * only question about the account is whether it is still open. False, with nothing written,
 * when it is gone or being erased (each caller decides what that means: a 404, no session).
 * Any other failure is thrown as is, for the caller to read its own conditions: their
 * cancellation reasons are at 1, 2, ... in the order of `items`.
 */
export async function writeWhileAccountOpen(
  userId: string,
  items: readonly TransactItem[],
): Promise<boolean> {
  try {
    await transactWrite({ TransactItems: [profileExists(userId), ...items] });
    return true;
  } catch (error) {
    if (isConditionFailure(error, 0)) return false;
    throw error;
  }
}

/**
 * The first step of an account's erasure: marks the profile, so that every later write about
 * the user fails its `profileExists` check. The mark and those transactions are serialized on
 * the profile item: a write either committed before the mark (and the erasure's reads, which
 * come after it, find it) or fails. Idempotent; an account already gone stays gone.
 */
export async function beginErasure(userId: string): Promise<void> {
  try {
    await updateItem({
      TableName: table().tableName,
      Key: profileKey(userId),
      UpdateExpression: `SET #erasing = if_not_exists(#erasing, :now)`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#erasing': ERASING },
      ExpressionAttributeValues: { ':now': new Date().toISOString() },
    });
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
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

/**
 * Starts a new session (token family) for a user; returns its first refresh token, or undefined
 * when the account is gone or being erased (a sign-in racing the erasure must not leave a
 * session behind it, nor get tokens for it).
 */
export async function createSession(userId: string): Promise<string | undefined> {
  const familyId = newId();
  const refresh = newRefreshToken(userId, familyId);
  const written = await writeWhileAccountOpen(userId, [sessionPut(userId, familyId, refresh.hash)]);
  return written ? refresh.token : undefined;
}

async function revokeFamily(userId: string, familyId: string): Promise<void> {
  const { client, tableName } = table();
  try {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: sessionKey(userId, familyId),
        UpdateExpression: 'SET revoked = :true',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':true': true },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/**
 * Exchanges a refresh token for a new one. The presented token must be its session's
 * current one; a rotated-out token means it was stolen or replayed, so the whole session is
 * revoked (the latest token dies too). The swap is conditional on the current hash, so two
 * racing refreshes with one token cannot both win.
 */
export async function rotateSession(token: string): Promise<{ userId: string; refreshToken: string }> {
  const { userId, familyId } = parseRefreshToken(token);
  const { client, tableName } = table();
  const out = await client.send(
    new GetCommand({ TableName: tableName, Key: sessionKey(userId, familyId), ConsistentRead: true }),
  );
  const session = out.Item as SessionItem | undefined;
  const hash = sha256(token);
  if (!session || session.revoked || session.expiresAtEpoch <= nowEpoch())
    throw new NotAuthenticated('The refresh token is not valid.');
  if (!safeEqual(session.currentHash, hash)) {
    if (session.previousHashes.includes(hash)) await revokeFamily(userId, familyId);
    throw new NotAuthenticated('The refresh token is not valid.');
  }
  const next = newRefreshToken(userId, familyId);
  try {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: sessionKey(userId, familyId),
        UpdateExpression: 'SET currentHash = :next, previousHashes = :previous, expiresAtEpoch = :expires',
        ConditionExpression: 'currentHash = :current AND revoked = :false',
        ExpressionAttributeValues: {
          ':next': next.hash,
          ':current': hash,
          ':false': false,
          ':previous': [...session.previousHashes, hash].slice(-REMEMBERED_HASHES),
          ':expires': nowEpoch() + REFRESH_TOKEN_TTL_SECONDS,
        },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // Someone else rotated this very token first: a replay, handled like any reuse.
    await revokeFamily(userId, familyId);
    throw new NotAuthenticated('The refresh token is not valid.');
  }
  return { userId, refreshToken: next.token };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Logout: revokes the token's session if the token belongs to it; unknown tokens are ignored. */
export async function revokeSession(token: string): Promise<void> {
  const { userId, familyId } = parseRefreshToken(token);
  const { client, tableName } = table();
  const out = await client.send(new GetCommand({ TableName: tableName, Key: sessionKey(userId, familyId) }));
  const session = out.Item as SessionItem | undefined;
  const hash = sha256(token);
  if (session && (safeEqual(session.currentHash, hash) || session.previousHashes.includes(hash))) {
    await revokeFamily(userId, familyId);
  }
}

function userItems(userId: string): Promise<Record<string, unknown>[]> {
  return queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': userPartition(userId) },
    ConsistentRead: true,
  });
}

/** Revokes every session of a user (password change). */
export async function revokeAllSessions(userId: string): Promise<void> {
  const sessions = (await userItems(userId)).filter((item) => String(item.sk).startsWith(SESSION_PREFIX));
  await Promise.all(
    sessions.map((s) => revokeFamily(userId, String((s as unknown as SessionItem).familyId))),
  );
}

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

/** All data this domain stores for a user, secrets left out (no hashes, no tokens). */
export async function exportAccountData(userId: string): Promise<Record<string, unknown>> {
  const items = await userItems(userId);
  const profile = items.find((i) => i.sk === profileKey(userId).sk);
  const prefs = items.find((i) => i.sk === preferencesKey(userId).sk);
  const sessions = items
    .filter((i) => String(i.sk).startsWith(SESSION_PREFIX))
    .map((i) => {
      const s = i as unknown as SessionItem;
      return {
        id: s.familyId,
        createdAt: s.createdAt,
        revoked: s.revoked,
        expiresAt: new Date(s.expiresAtEpoch * 1000).toISOString(),
      };
    });
  return {
    account: profile ? toAccount(profile) : null,
    preferences: prefs ? (await getPreferences(userId)).preferences : null,
    sessions,
  };
}

/** Erases every item this domain stores for a user: the USER# partition, identity and login counter. */
export async function eraseAccountData(userId: string): Promise<void> {
  const items = await userItems(userId);
  const email = items.find((i) => i.sk === profileKey(userId).sk)?.email;
  const keys = items.map((i) => ({ pk: String(i.pk), sk: String(i.sk) }));
  if (typeof email === 'string') keys.push(emailKey(email), loginAttemptsKey(email));
  await deleteKeys(keys);
}

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
