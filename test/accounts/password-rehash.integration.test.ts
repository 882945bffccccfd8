import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handler as login } from '../../functions/accounts/create-session.ts';
import {
  formatScryptParameters,
  hashPassword,
  OWASP_SCRYPT,
  SCRYPT_PARAMETERS_VARIABLE,
} from '../../functions/accounts/passwords.ts';
import { createAccount, findIdentity } from '../../functions/accounts/profile-store.ts';
import { SEED_PASSWORD_HASHING } from '../../lib/demo/seed.ts';
import { httpEvent, lambdaContext } from '../support/events.ts';
import { useFreshTable } from '../support/table.ts';

const PASSWORD = 'a perfectly long password';
let counter = 0;
const email = () => `rehash${++counter}-${Date.now()}@example.com`;
const signIn = (address: string) =>
  login(httpEvent('POST /auth/login', { body: { email: address, password: PASSWORD } }), lambdaContext());

describe('sign-in against DynamoDB Local with the environment’s scrypt parameters', () => {
  let local: string | undefined;
  beforeAll(async () => {
    await useFreshTable();
    local = process.env[SCRYPT_PARAMETERS_VARIABLE];
  });
  afterEach(() => {
    process.env[SCRYPT_PARAMETERS_VARIABLE] = local;
  });

  it('upgrades a seeded (local-cost) hash to OWASP’s parameters where those are configured', async () => {
    const address = email();
    const seeded = await hashPassword(PASSWORD, SEED_PASSWORD_HASHING);
    await createAccount({ email: address, displayName: 'Seeded', role: 'customer', password: seeded });
    process.env[SCRYPT_PARAMETERS_VARIABLE] = formatScryptParameters(OWASP_SCRYPT);
    expect((await signIn(address)).statusCode).toBe(200);
    const upgraded = (await findIdentity(address))?.password;
    expect(upgraded).toMatchObject({ algorithm: 'scrypt', ...OWASP_SCRYPT });
    expect(upgraded?.salt).not.toBe(seeded.salt);
    // The upgraded hash signs in, and is not rewritten again.
    expect((await signIn(address)).statusCode).toBe(200);
    expect((await findIdentity(address))?.password).toEqual(upgraded);
  });

  it('leaves a hash alone when it already has the environment’s parameters', async () => {
    const address = email();
    const current = await hashPassword(PASSWORD);
    await createAccount({ email: address, displayName: 'Current', role: 'customer', password: current });
    expect((await signIn(address)).statusCode).toBe(200);
    expect((await findIdentity(address))?.password).toEqual(current);
  });

  it('does not rehash on a wrong password', async () => {
    const address = email();
    const old = await hashPassword(PASSWORD, { ...SEED_PASSWORD_HASHING, N: 2 ** 12 });
    await createAccount({ email: address, displayName: 'Old', role: 'customer', password: old });
    const res = await login(
      httpEvent('POST /auth/login', { body: { email: address, password: 'not the password at all' } }),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(401);
    expect((await findIdentity(address))?.password).toEqual(old);
  });
});
