import { describe, expect, it } from 'vitest';
import {
  KEY_PUBLICATION_MARGIN_MS,
  newSigningKeySetValue,
  parseSigningKeySet,
  publicJwks,
  rotateSigningKeySet,
} from '../../functions/accounts/signing-keys.ts';

const hoursAgo = (hours: number, from = new Date()) => new Date(from.getTime() - hours * 3600_000);

describe('signing key sets', () => {
  it('start with a signing key and the next key, both published in the JWKS', () => {
    const set = parseSigningKeySet(newSigningKeySetValue());
    expect(set.keys).toHaveLength(1);
    expect(set.next).toBeDefined();
    expect(publicJwks(set).map((jwk) => jwk.kid)).toEqual([set.keys[0]?.kid, set.next?.kid]);
    expect(JSON.stringify(publicJwks(set))).not.toContain('"d":');
  });

  it('rotate: the staged key signs, the replaced key stays published, older keys go, a new key is staged', () => {
    const now = new Date();
    const first = parseSigningKeySet(newSigningKeySetValue(hoursAgo(72, now)));
    const second = rotateSigningKeySet(first, hoursAgo(48, now));
    expect(second.keys.map((key) => key.kid)).toEqual([first.next?.kid, first.keys[0]?.kid]);
    expect(second.keys[0]?.activatedAt).toBe(hoursAgo(48, now).toISOString());
    const third = rotateSigningKeySet(second, now);
    expect(third.keys.map((key) => key.kid)).toEqual([second.next?.kid, second.keys[0]?.kid]);
    expect(third.next?.kid).not.toBe(second.next?.kid);
    expect(publicJwks(third)).toHaveLength(3);
  });

  it('refuse to promote a key published for less than the margin (a JWKS cache may not have it yet)', () => {
    const now = new Date();
    const fresh = parseSigningKeySet(
      newSigningKeySetValue(new Date(now.getTime() - KEY_PUBLICATION_MARGIN_MS + 60_000)),
    );
    expect(() => rotateSigningKeySet(fresh, now)).toThrow(
      /Rotation refused: the next key .* was published 119 min ago/,
    );
  });

  it('refuse to drop a key that stopped signing less than the margin ago (its tokens may be in use)', () => {
    const now = new Date();
    const rotated = rotateSigningKeySet(
      parseSigningKeySet(newSigningKeySetValue(hoursAgo(72, now))),
      hoursAgo(1, now),
    );
    const staged = {
      ...rotated,
      next: {
        ...(rotated.next as NonNullable<typeof rotated.next>),
        createdAt: hoursAgo(3, now).toISOString(),
      },
    };
    expect(() => rotateSigningKeySet(staged, now)).toThrow(/the current key .* has signed for 60 min/);
  });

  it('stage a next key, without promoting anything, in a set written before staging existed', () => {
    const old = parseSigningKeySet(newSigningKeySetValue());
    const legacy = { keys: old.keys };
    const rotated = rotateSigningKeySet(legacy);
    expect(rotated.keys).toEqual(old.keys);
    expect(rotated.next).toBeDefined();
  });
});
