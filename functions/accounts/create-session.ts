import { declareEnv } from '../core/config.ts';
import { HttpError } from '../core/errors.ts';
import { http, ok } from '../core/http.ts';
import { BUSINESS_METRICS } from '../core/metric-names.ts';
import { countMetric } from '../core/metrics.ts';
import { parseInput } from '../core/validation.ts';
import { clearFailedLogins, reserveLoginAttempt } from './login-attempts-store.ts';
import { loginBody } from './model.ts';
import {
  decoyHash,
  hashPassword,
  needsRehash,
  SCRYPT_PARAMETERS_VARIABLE,
  scryptParametersCheck,
  verifyPassword,
} from './passwords.ts';
import { findIdentity, getAccount, updatePasswordHash } from './profile-store.ts';
import { createSession } from './sessions-store.ts';
import { sessionResponse } from './tokens.ts';

// The environment's scrypt cost, checked at cold start (passwords.ts reads it).
declareEnv(SCRYPT_PARAMETERS_VARIABLE, scryptParametersCheck);

const invalidCredentials = () =>
  new HttpError(401, 'invalid-credentials', 'Unauthorized', 'Email or password is wrong.');

/** POST /auth/login: unknown email and wrong password look the same, in body and in time. */
export const handler = http(
  async (event) => {
    const { email, password } = parseInput(loginBody, event.jsonBody, 'body');
    const retryAfter = await reserveLoginAttempt(email);
    if (retryAfter > 0) {
      countMetric(BUSINESS_METRICS.LoginThrottled);
      throw new HttpError(
        429,
        'too-many-attempts',
        'Too many attempts',
        'Too many failed sign-ins. Try again later.',
        {
          headers: { 'retry-after': String(retryAfter) },
        },
      );
    }
    const identity = await findIdentity(email);
    const valid = await verifyPassword(password, identity?.password ?? (await decoyHash()));
    const account = identity && valid ? await getAccount(identity.userId) : undefined;
    if (!identity || !account) throw invalidCredentials();
    if (needsRehash(identity.password)) await updatePasswordHash(email, await hashPassword(password));
    await clearFailedLogins(email);
    // No session when the account's erasure began after it was read: as if it were gone.
    const refreshToken = await createSession(account.id);
    if (!refreshToken) throw invalidCredentials();
    return ok(await sessionResponse(account, refreshToken), {
      'cache-control': 'no-store',
    });
  },
  { jsonBody: true },
);
