import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, queryAll, table } from '../core/db.ts';
import { NotAuthenticated } from '../core/domain-errors.ts';
import { newId } from '../core/ids.ts';
import { writeWhileAccountOpen } from './erasure-fence.ts';
import { SESSION_PREFIX, sessionKey, userPartition } from './keys.ts';

/*
 * Sessions: one refresh-token family per sign-in (`USER#<id>` / `SESSION#<familyId>`), rotated
 * on every refresh with reuse detection that revokes the whole family.
 */

export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

/** How many rotated-out token hashes a session remembers for reuse detection. */
const REMEMBERED_HASHES = 100;

export interface SessionItem {
  familyId: string;
  currentHash: string;
  previousHashes: string[];
  revoked: boolean;
  createdAt: string;
  expiresAtEpoch: number;
}

export const nowEpoch = () => Math.floor(Date.now() / 1000);

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/** A refresh token: opaque to clients; it names its session so a lookup is one GetItem. */
export function newRefreshToken(userId: string, familyId: string): { token: string; hash: string } {
  const token = `${userId}.${familyId}.${randomBytes(32).toString('base64url')}`;
  return { token, hash: sha256(token) };
}

function parseRefreshToken(token: string): { userId: string; familyId: string } {
  const [userId, familyId, secret, ...rest] = token.split('.');
  if (!userId || !familyId || !secret || rest.length > 0)
    throw new NotAuthenticated('The refresh token is not valid.');
  return { userId, familyId };
}

export function sessionPut(userId: string, familyId: string, hash: string) {
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

/** Every item of the user's partition (profile, preferences, sessions...), read consistently. */
export function userItems(userId: string): Promise<Record<string, unknown>[]> {
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
