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
  readonly privateJwk: JsonWebKey;
}

/**
 * The signing-key secret's value: the first key signs; every key's public half is published
 * in the JWKS, so a rotated-out key keeps verifying tokens until they expire.
 */
export interface SigningKeySet {
  readonly keys: readonly StoredSigningKey[];
}

/** A new RSA-2048 key: RS256 is what API Gateway's JWT authorizer verifies. */
export function generateSigningKey(now = new Date()): StoredSigningKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    kid: randomUUID(),
    createdAt: now.toISOString(),
    privateJwk: privateKey.export({ format: 'jwk' }),
  };
}

/** The secret value for a fresh key set with one key. */
export function newSigningKeySetValue(): string {
  return JSON.stringify({ keys: [generateSigningKey()] } satisfies SigningKeySet);
}

export function parseSigningKeySet(value: string): SigningKeySet {
  const parsed = JSON.parse(value) as Partial<SigningKeySet>;
  if (!Array.isArray(parsed.keys) || parsed.keys.length === 0) {
    throw new Error('The signing-key secret holds no keys.');
  }
  for (const key of parsed.keys) {
    if (typeof key.kid !== 'string' || key.privateJwk?.kty !== 'RSA')
      throw new Error('Malformed signing key.');
  }
  return parsed as SigningKeySet;
}

/** Public JWKs of every key in the set, for `/.well-known/jwks.json`. */
export function publicJwks(set: SigningKeySet): JsonWebKey[] {
  return set.keys.map((key) => {
    const jwk = createPublicKey(createPrivateKey({ key: key.privateJwk, format: 'jwk' })).export({
      format: 'jwk',
    });
    return { ...jwk, kid: key.kid, alg: 'RS256', use: 'sig' };
  });
}
