import { declareEnv } from '../core/config.ts';
import { created, http } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { verificationCodeWrites } from './email-codes.ts';
import { registerBody } from './model.ts';
import { hashPassword, SCRYPT_PARAMETERS_VARIABLE, scryptParametersCheck } from './passwords.ts';
import { createAccount } from './profile-store.ts';
import { sessionResponse } from './tokens.ts';

// The environment's scrypt cost, checked at cold start (passwords.ts reads it).
declareEnv(SCRYPT_PARAMETERS_VARIABLE, scryptParametersCheck);

/** POST /auth/register: a new customer account, signed in; a code to verify the address goes out by email. */
export const handler = http(
  async (event) => {
    const { email, password, displayName } = parseInput(registerBody, event.jsonBody, 'body');
    const { account, refreshToken } = await createAccount(
      { email, displayName, role: 'customer', password: await hashPassword(password) },
      (userId) => verificationCodeWrites(email, userId),
    );
    return created(await sessionResponse(account, refreshToken), { 'cache-control': 'no-store' });
  },
  { jsonBody: true },
);
