import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { ConfigurationError, type EnvCheck, requireEnv } from '../core/config.ts';

/** The cost of a scrypt hash: CPU/memory cost N (a power of 2), block size r, parallelism p, key bytes. */
export interface ScryptParameters {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly keyLength: number;
}

/**
 * A stored password hash. It is self-describing: the parameters it was made with are stored
 * beside the salt and key (one DynamoDB map, the format since the first release), so any hash
 * verifies whatever the environment's parameters are now, and a sign-in rehashes one whose
 * parameters differ from them (`needsRehash`).
 */
export interface PasswordHash extends ScryptParameters {
  readonly algorithm: 'scrypt';
  readonly salt: string;
  readonly hash: string;
}

/**
 * The OWASP Password Storage Cheat Sheet's scrypt parameters (N=2^17, r=8, p=1): what every
 * deployed environment uses (lib/config/environments.ts). They need 128 MiB (128 * N * r bytes)
 * outside the V8 heap, well within the 1.5 GB of the functions that hash.
 */
export const OWASP_SCRYPT: ScryptParameters = { N: 2 ** 17, r: 8, p: 1, keyLength: 32 };

/** The variable that carries the environment's parameters to the functions that hash passwords. */
export const SCRYPT_PARAMETERS_VARIABLE = 'PASSWORD_SCRYPT_PARAMETERS';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

/** The variable's text for a set of parameters: `N=131072,r=8,p=1,keyLength=32`. */
export const formatScryptParameters = ({ N, r, p, keyLength }: ScryptParameters): string =>
  `N=${N},r=${r},p=${p},keyLength=${keyLength}`;

/** Bounds a sane configuration stays in: at least 2^10 and at most 2^20 (1 GiB at r=8). */
function problemOf({ N, r, p, keyLength }: ScryptParameters): string | undefined {
  const isInt = (value: number, min: number, max: number) =>
    Number.isInteger(value) && value >= min && value <= max;
  if (!isInt(N, 2 ** 10, 2 ** 20) || (N & (N - 1)) !== 0) return 'N must be a power of 2 from 2^10 to 2^20';
  if (!isInt(r, 1, 32)) return 'r must be an integer from 1 to 32';
  if (!isInt(p, 1, 16)) return 'p must be an integer from 1 to 16';
  if (!isInt(keyLength, 16, 64)) return 'keyLength must be an integer from 16 to 64';
  return undefined;
}

/** Reads `N=...,r=...,p=...,keyLength=...`; throws a `ConfigurationError` saying what is wrong. */
export function parseScryptParameters(text: string): ScryptParameters {
  const fields = new Map(
    text.split(',').map((part) => {
      const [name = '', value = ''] = part.split('=').map((s) => s.trim());
      return [name, value === '' ? Number.NaN : Number(value)] as const;
    }),
  );
  const names = ['N', 'r', 'p', 'keyLength'] as const;
  const unknown = [...fields.keys()].filter((name) => !(names as readonly string[]).includes(name));
  const params = {
    N: fields.get('N'),
    r: fields.get('r'),
    p: fields.get('p'),
    keyLength: fields.get('keyLength'),
  };
  const problem =
    unknown.length > 0 || names.some((name) => params[name] === undefined)
      ? 'expected N=<n>,r=<r>,p=<p>,keyLength=<bytes>'
      : problemOf(params as ScryptParameters);
  if (problem) throw new ConfigurationError(`${SCRYPT_PARAMETERS_VARIABLE} is '${text}': ${problem}.`);
  return params as ScryptParameters;
}

/** `declareEnv` check of the variable, for the handlers that hash. */
export const scryptParametersCheck: EnvCheck = (value) => {
  try {
    parseScryptParameters(value);
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^.*?: /, 'expected scrypt parameters: ');
  }
};

let configured: { text: string; params: ScryptParameters } | undefined;

/**
 * The environment's parameters, parsed once per execution environment (the handlers declare the
 * variable, so a bad value already failed the cold start). Re-read only if the variable changes,
 * which happens in tests, never in Lambda.
 */
export function environmentScryptParameters(): ScryptParameters {
  const text = requireEnv(SCRYPT_PARAMETERS_VARIABLE);
  if (configured?.text !== text) configured = { text, params: parseScryptParameters(text) };
  return configured.params;
}

function derive(password: string, salt: Buffer, params: ScryptParameters): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    // scrypt needs 128 * N * r bytes (plus 128 * r * p); Node refuses above 32 MiB unless told.
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, params.keyLength, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** Hashes with the given parameters, by default the environment's. */
export async function hashPassword(
  password: string,
  params: ScryptParameters = environmentScryptParameters(),
): Promise<PasswordHash> {
  const { N, r, p, keyLength } = params;
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return {
    algorithm: 'scrypt',
    N,
    r,
    p,
    keyLength,
    salt: salt.toString('base64'),
    hash: key.toString('base64'),
  };
}

/** Constant-time check of a password against a stored hash, with the parameters stored in it. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64');
  const key = await derive(password, Buffer.from(stored.salt, 'base64'), stored);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * Whether a stored hash was made with other parameters than `current` (the environment's): a
 * deployed environment upgrades hashes made before a raise (or by a local seed) as users sign
 * in; the configuration is the policy, so a hash is rehashed to it either way.
 */
export function needsRehash(
  stored: PasswordHash,
  current: ScryptParameters = environmentScryptParameters(),
): boolean {
  return (
    stored.N !== current.N ||
    stored.r !== current.r ||
    stored.p !== current.p ||
    stored.keyLength !== current.keyLength
  );
}

// A fixed hash to verify against when the email is unknown, so "no such user" costs the same
// time as "wrong password" and response times do not reveal which emails exist. Made with the
// environment's parameters, as a real user's hash is.
let decoy: { params: ScryptParameters; hash: Promise<PasswordHash> } | undefined;
export function decoyHash(): Promise<PasswordHash> {
  const params = environmentScryptParameters();
  if (decoy?.params !== params)
    decoy = { params, hash: hashPassword(randomBytes(16).toString('hex'), params) };
  return decoy.hash;
}
