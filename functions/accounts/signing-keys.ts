import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  randomUUID,
} from 'node:crypto';

/** One RSA signing key as stored in the signing-key secret (private JWK). */
export interface StoredSigningKey {
  readonly kid: string;
  readonly createdAt: string;
  /** When it started signing (absent for a key that never signed, and in sets written before rotation existed). */
  readonly activatedAt?: string;
  readonly privateJwk: JsonWebKey;
}

/**
 * The signing-key secret's value: the first of `keys` signs; every key's public half is
 * published in the JWKS, the `next` key's too. So a key is published before it signs (API
 * Gateway caches our JWKS for up to an hour and refetches on an unknown `kid`, and our JWKS
 * function caches the secret for minutes) and stays published after it stopped signing, until
 * the tokens it signed have expired. Rotation (`rotateSigningKeySet`) moves the keys along.
 */
export interface SigningKeySet {
  readonly keys: readonly StoredSigningKey[];
  /** The key the next rotation makes the signing one; published already. */
  readonly next?: StoredSigningKey;
}

/**
 * How long a staged key must have been published before it may sign, and a retired key stay
 * published after it stopped: the authorizer's JWKS cache (up to an hour), our secret cache
 * and the 15-minute access-token lifetime, with room to spare.
 */
export const KEY_PUBLICATION_MARGIN_MS = 2 * 60 * 60 * 1000;

/** A new RSA-2048 key: RS256 is what API Gateway's JWT authorizer verifies. */
export function generateSigningKey(now = new Date()): StoredSigningKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    kid: randomUUID(),
    createdAt: now.toISOString(),
    privateJwk: privateKey.export({ format: 'jwk' }),
  };
}

/** The secret value for a fresh key set: one key that signs and the next one, already published. */
export function newSigningKeySetValue(now = new Date()): string {
  const current = { ...generateSigningKey(now), activatedAt: now.toISOString() };
  return JSON.stringify({ keys: [current], next: generateSigningKey(now) } satisfies SigningKeySet);
}

/**
 * One rotation step: the staged `next` key starts signing, the key that signed until now stays
 * published (tokens it signed are still valid for up to 15 minutes, and warm functions sign with
 * it until their cached secret expires), older keys are dropped, and a new `next` is staged.
 * Refused (throws) when it would be unsafe: the staged key published for less than the margin
 * (a JWKS cache may not have it yet), or the current key signing for less than the margin (the
 * key it replaced would be dropped while tokens it signed may still be in use). Rotating on a
 * schedule of days keeps both far apart; two manual rotations in a row are what this stops.
 */
export function rotateSigningKeySet(set: SigningKeySet, now = new Date()): SigningKeySet {
  const [current] = set.keys;
  if (!current) throw new Error('The signing-key set holds no key to rotate.');
  const age = (iso: string | undefined) => (iso ? now.getTime() - Date.parse(iso) : Number.POSITIVE_INFINITY);
  if (!set.next) {
    // A set written before staging existed: stage a key now; the next rotation promotes it.
    return { keys: set.keys, next: generateSigningKey(now) };
  }
  if (age(set.next.createdAt) < KEY_PUBLICATION_MARGIN_MS) {
    throw new Error(
      `Rotation refused: the next key (${set.next.kid}) was published ${minutes(age(set.next.createdAt))} min ago; ` +
        `it must be published for ${minutes(KEY_PUBLICATION_MARGIN_MS)} min before it signs, so every JWKS cache has it.`,
    );
  }
  if (set.keys.length > 1 && age(current.activatedAt) < KEY_PUBLICATION_MARGIN_MS) {
    throw new Error(
      `Rotation refused: the current key (${current.kid}) has signed for ${minutes(age(current.activatedAt))} min; ` +
        `the key it replaced must stay published for ${minutes(KEY_PUBLICATION_MARGIN_MS)} min.`,
    );
  }
  return {
    keys: [{ ...set.next, activatedAt: now.toISOString() }, current],
    next: generateSigningKey(now),
  };
}

const minutes = (ms: number) => Math.floor(ms / 60_000);

export function parseSigningKeySet(value: string): SigningKeySet {
  const parsed = JSON.parse(value) as Partial<SigningKeySet>;
  if (!Array.isArray(parsed.keys) || parsed.keys.length === 0) {
    throw new Error('The signing-key secret holds no keys.');
  }
  for (const key of [...parsed.keys, ...(parsed.next ? [parsed.next] : [])]) {
    if (typeof key.kid !== 'string' || key.privateJwk?.kty !== 'RSA')
      throw new Error('Malformed signing key.');
  }
  return parsed as SigningKeySet;
}

/** Public JWKs of every key in the set, the staged next one included, for `/.well-known/jwks.json`. */
export function publicJwks(set: SigningKeySet): JsonWebKey[] {
  return [...set.keys, ...(set.next ? [set.next] : [])].map((key) => {
    const jwk = createPublicKey(createPrivateKey({ key: key.privateJwk, format: 'jwk' })).export({
      format: 'jwk',
    });
    return { ...jwk, kid: key.kid, alg: 'RS256', use: 'sig' };
  });
}
