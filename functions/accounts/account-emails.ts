import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { table } from '../core/db.ts';
import { derivedKey } from '../core/derived-keys.ts';
import { newId } from '../core/ids.ts';
import { accountEmailKey } from './keys.ts';

/*
 * The account emails (a code to confirm an address, a notice to the old address of an email
 * change) as outbox items (`ACCOUNT-EMAIL#<id>`), written in the same transaction as the code
 * they carry, and sent by the notifications stream consumer: no request waits on email. The
 * code itself is sealed (AES-256-GCM under a derived key), because the table and its stream
 * must never hold a usable code: the code item keeps only its HMAC.
 */

/** `entity` of the outbox items; the notifications consumer's filter names it. */
export const ACCOUNT_EMAIL_ENTITY = 'account-email';

/** Which email; `none`: written on the path where nothing is sent, so both paths do the same work. */
export type AccountEmailKind =
  | 'verify-email'
  | 'password-reset'
  | 'email-change'
  | 'email-change-notice'
  | 'none';

/** An account email as the consumer reads it, the code unsealed. */
export interface AccountEmail {
  readonly id: string;
  readonly kind: Exclude<AccountEmailKind, 'none'>;
  readonly to: string;
  readonly userId: string;
  readonly code?: string;
}

/** A user id no account has (ids are ULIDs): the decoy path's reads and outbox items use it. */
export const NO_ACCOUNT = '00000000000000000000000000';

/** Outbox items are sent within seconds; a day covers a consumer outage before TTL removes them. */
const OUTBOX_TTL_SECONDS = 24 * 3600;

async function seal(id: string, code: string): Promise<string> {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await derivedKey('email-outbox'), iv);
  cipher.setAAD(Buffer.from(id));
  const sealed = Buffer.concat([cipher.update(code, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

async function unseal(id: string, value: string): Promise<string> {
  const bytes = Buffer.from(value, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', await derivedKey('email-outbox'), bytes.subarray(0, 12));
  decipher.setAAD(Buffer.from(id));
  decipher.setAuthTag(bytes.subarray(12, 28));
  return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
}

/** The transaction item that queues one account email (kind `none`: queues nothing that is sent). */
export async function accountEmailPut(input: {
  kind: AccountEmailKind;
  to: string;
  userId: string;
  code?: string;
}) {
  const id = newId();
  const item = {
    // Where no account has the address, the items of the decoy path share one partition
    // (bounded by the /auth/ throttle, far below a partition's 1,000 writes a second).
    ...accountEmailKey(input.userId || NO_ACCOUNT, id),
    entity: ACCOUNT_EMAIL_ENTITY,
    id,
    kind: input.kind,
    to: input.kind === 'none' ? '' : input.to,
    userId: input.userId,
    // Sealed on both paths (a decoy code where nothing is sent): the same work either way.
    sealedCode: await seal(id, input.code ?? '000000'),
    expiresAtEpoch: Math.floor(Date.now() / 1000) + OUTBOX_TTL_SECONDS,
  };
  return { Put: { TableName: table().tableName, Item: item } };
}

/** The account email an outbox item (a stream image) asks for; undefined for kind `none` or another entity. */
export async function openAccountEmail(image: Record<string, unknown>): Promise<AccountEmail | undefined> {
  if (image.entity !== ACCOUNT_EMAIL_ENTITY || image.kind === 'none') return undefined;
  const { id, kind, to, userId, sealedCode } = image as Record<string, string>;
  if (!id || !kind || !to || !userId) return undefined;
  const code = kind === 'email-change-notice' || !sealedCode ? undefined : await unseal(id, sealedCode);
  return { id, kind: kind as AccountEmail['kind'], to, userId, ...(code ? { code } : {}) };
}
