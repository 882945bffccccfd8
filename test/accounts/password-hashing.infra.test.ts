import { describe, expect, it } from 'vitest';
import {
  formatScryptParameters,
  OWASP_SCRYPT,
  parseScryptParameters,
  SCRYPT_PARAMETERS_VARIABLE,
} from '../../functions/accounts/passwords.ts';
import { environmentConfig } from '../../lib/config/environments.ts';
import { environmentOf, functionLogicalId, resourcesOfType, synthesizeShop } from '../infra/shop-app.ts';

/** The functions that hash passwords (register, sign-in with rehash, change password). */
const HASHING = ['AccountsRegisterAccount', 'AccountsCreateSession', 'AccountsChangePassword'] as const;

describe.each(['prod', 'staging', 'dev', 'local'] as const)('password hashing in %s', (name) => {
  const shop = () => synthesizeShop(name);
  const expected = name === 'local' ? { ...OWASP_SCRYPT, N: 2 ** 14 } : OWASP_SCRYPT;

  it(`gives every function that hashes ${name === 'local' ? 'the cheap local' : 'OWASP’s'} scrypt parameters`, () => {
    expect(environmentConfig(name).passwordHashing).toEqual(expected);
    for (const id of HASHING) {
      const variables = environmentOf(shop().http, functionLogicalId(shop(), id));
      expect(variables[SCRYPT_PARAMETERS_VARIABLE], id).toBe(formatScryptParameters(expected));
      expect(parseScryptParameters(String(variables[SCRYPT_PARAMETERS_VARIABLE]))).toEqual(expected);
    }
  });

  it('gives them the memory scrypt needs (128 * N * r bytes) and Lambda’s own timeouts', () => {
    const functions = resourcesOfType(shop().http, 'AWS::Lambda::Function');
    for (const id of HASHING) {
      const props = functions[functionLogicalId(shop(), id)]?.Properties ?? {};
      expect(Number(props.MemorySize) * 2 ** 20, id).toBeGreaterThan(2 * 128 * expected.N * expected.r);
      // The timeout in the template is the real one Lambda enforces (the local runtime reads it too).
      expect(props.Timeout, id).toBe(10);
    }
    for (const [logicalId, fn] of Object.entries(functions)) {
      expect(Number(fn.Properties?.Timeout), logicalId).toBeGreaterThan(0);
      expect(Number(fn.Properties?.Timeout), logicalId).toBeLessThanOrEqual(900);
    }
  });
});
