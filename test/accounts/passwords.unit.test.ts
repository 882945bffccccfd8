import { afterEach, describe, expect, it } from 'vitest';
import {
  decoyHash,
  environmentScryptParameters,
  formatScryptParameters,
  hashPassword,
  needsRehash,
  OWASP_SCRYPT,
  type PasswordHash,
  parseScryptParameters,
  SCRYPT_PARAMETERS_VARIABLE,
  scryptParametersCheck,
  verifyPassword,
} from '../../functions/accounts/passwords.ts';

const CHEAP = { N: 2 ** 10, r: 8, p: 1, keyLength: 32 } as const;

/**
 * A hash in the stored format as the first release wrote it (a map with the parameters beside
 * salt and key), made once with N=2^12 for the password below: it must verify forever.
 */
const STORED_BEFORE: PasswordHash = {
  algorithm: 'scrypt',
  N: 4096,
  r: 8,
  p: 1,
  keyLength: 32,
  salt: 'AAECAwQFBgcICQoLDA0ODw==',
  hash: '0kAJcZMDMoI6NHVug+mGyKwmdluLX9KqpubH8OLxecs=',
};
const STORED_PASSWORD = 'correct horse battery staple';

describe('password hashes', () => {
  const saved = process.env[SCRYPT_PARAMETERS_VARIABLE];
  afterEach(() => {
    if (saved === undefined) delete process.env[SCRYPT_PARAMETERS_VARIABLE];
    else process.env[SCRYPT_PARAMETERS_VARIABLE] = saved;
  });

  it('store the parameters they were made with, and verify by them', async () => {
    const stored = await hashPassword('a long enough password', CHEAP);
    expect(stored).toMatchObject({ algorithm: 'scrypt', ...CHEAP });
    expect(Buffer.from(stored.salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(stored.hash, 'base64')).toHaveLength(32);
    expect(await verifyPassword('a long enough password', stored)).toBe(true);
    expect(await verifyPassword('a long enough passworD', stored)).toBe(false);
  });

  it('verify a hash stored in the format of earlier releases', async () => {
    expect(await verifyPassword(STORED_PASSWORD, STORED_BEFORE)).toBe(true);
    expect(await verifyPassword('wrong', STORED_BEFORE)).toBe(false);
  });

  it('hash at the OWASP cost within the memory Node allows it (maxmem)', async () => {
    const stored = await hashPassword('a long enough password', OWASP_SCRYPT);
    expect(stored).toMatchObject({ N: 2 ** 17, r: 8, p: 1 });
    expect(await verifyPassword('a long enough password', stored)).toBe(true);
  });

  it('hash with the environment’s parameters by default, read from the variable', async () => {
    process.env[SCRYPT_PARAMETERS_VARIABLE] = 'N=2048,r=4,p=2,keyLength=24';
    expect(environmentScryptParameters()).toEqual({ N: 2048, r: 4, p: 2, keyLength: 24 });
    expect(await hashPassword('a long enough password')).toMatchObject({
      N: 2048,
      r: 4,
      p: 2,
      keyLength: 24,
    });
    expect(await decoyHash()).toMatchObject({ N: 2048, r: 4, p: 2 });
  });

  it('need a rehash when any parameter differs from the environment’s', () => {
    const stored = { ...STORED_BEFORE };
    expect(needsRehash(stored, { N: 4096, r: 8, p: 1, keyLength: 32 })).toBe(false);
    expect(needsRehash(stored, OWASP_SCRYPT)).toBe(true);
    expect(needsRehash({ ...stored, N: 2 ** 17 }, { N: 4096, r: 8, p: 1, keyLength: 32 })).toBe(true);
    expect(needsRehash(stored, { N: 4096, r: 8, p: 1, keyLength: 64 })).toBe(true);
  });
});

describe('scrypt parameters in the environment', () => {
  it('round-trip through the variable’s text', () => {
    expect(formatScryptParameters(OWASP_SCRYPT)).toBe('N=131072,r=8,p=1,keyLength=32');
    expect(parseScryptParameters(formatScryptParameters(OWASP_SCRYPT))).toEqual(OWASP_SCRYPT);
  });

  it.each([
    ['', /expected N=<n>,r=<r>,p=<p>,keyLength=<bytes>/],
    ['N=131072,r=8,p=1', /expected N=/],
    ['N=131072,r=8,p=1,keyLength=32,x=1', /expected N=/],
    ['N=100000,r=8,p=1,keyLength=32', /N must be a power of 2/],
    ['N=512,r=8,p=1,keyLength=32', /N must be a power of 2 from 2\^10/],
    ['N=131072,r=0,p=1,keyLength=32', /r must be/],
    ['N=131072,r=8,p=one,keyLength=32', /p must be/],
    ['N=131072,r=8,p=1,keyLength=8', /keyLength must be/],
  ])('refuse %j with a message naming the variable', (text, message) => {
    expect(() => parseScryptParameters(text)).toThrow(message);
    expect(() => parseScryptParameters(text)).toThrow(SCRYPT_PARAMETERS_VARIABLE);
    expect(scryptParametersCheck(text)).toMatch(/^expected scrypt parameters: /);
  });

  it('pass the cold-start check when well formed', () => {
    expect(scryptParametersCheck('N=16384,r=8,p=1,keyLength=32')).toBeUndefined();
  });
});
