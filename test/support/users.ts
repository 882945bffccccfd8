import { randomUUID } from 'node:crypto';
import type { Account } from '../../functions/accounts/model.ts';
import type { PasswordHash } from '../../functions/accounts/passwords.ts';
import { createAccount } from '../../functions/accounts/profile-store.ts';

/** A stored hash no password matches: store tests need accounts, not sign-ins (scrypt is slow). */
const UNUSABLE_PASSWORD: PasswordHash = {
  algorithm: 'scrypt',
  N: 2 ** 14,
  r: 8,
  p: 1,
  keyLength: 32,
  salt: 'not-a-real-salt',
  hash: 'not-a-real-hash',
};

/** Creates an account (profile, identity, first session) through the accounts store; `label` makes failures readable. */
export async function aUser(label = 'user', role: Account['role'] = 'customer'): Promise<Account> {
  const { account } = await createAccount({
    email: `${label}-${randomUUID().slice(0, 8)}@example.com`,
    displayName: `${label} display`,
    password: UNUSABLE_PASSWORD,
    role,
  });
  return account;
}
