import fc from 'fast-check';
import { decodeTime } from 'ulid';
import { describe, expect, it } from 'vitest';
import { newId, ULID_PATTERN } from '../../functions/core/ids.ts';

describe('newId', () => {
  // First, while no later timestamp has been used in this module: ids carry the time they were made at.
  it('encodes the given creation time in its first 10 characters', () => {
    const at = Date.now() + 60_000;
    expect(decodeTime(newId(at))).toBe(at);
  });

  it('returns a 26-character Crockford base32 ULID', () => {
    const id = newId();
    expect(id).toMatch(ULID_PATTERN);
    expect(id).toHaveLength(26);
  });

  it('never repeats, even for ids made in the same millisecond', () => {
    const at = Date.now() + 120_000;
    const ids = Array.from({ length: 1000 }, () => newId(at));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('sorts ids generated in sequence in generation order, even when the clock goes backwards (property)', () => {
    const base = Date.now();
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5_000, max: 5_000 }), { minLength: 2, maxLength: 200 }),
        (offsets) => {
          const ids = offsets.map((offset) => newId(base + offset));
          expect([...ids].sort()).toEqual(ids);
          expect(new Set(ids).size).toBe(ids.length);
          for (const id of ids) expect(id).toMatch(ULID_PATTERN);
        },
      ),
    );
  });
});

describe('ULID_PATTERN', () => {
  it('rejects lower case, ambiguous letters (I, L, O, U) and wrong lengths', () => {
    expect(ULID_PATTERN.test('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe(true);
    expect(ULID_PATTERN.test('01arz3ndektsv4rrffq69g5fav')).toBe(false);
    for (const letter of ['I', 'L', 'O', 'U']) {
      expect(ULID_PATTERN.test(`01ARZ3NDEKTSV4RRFFQ69G5FA${letter}`)).toBe(false);
    }
    expect(ULID_PATTERN.test('01ARZ3NDEKTSV4RRFFQ69G5FA')).toBe(false);
    expect(ULID_PATTERN.test('01ARZ3NDEKTSV4RRFFQ69G5FAVV')).toBe(false);
    expect(ULID_PATTERN.test('01ARZ3NDEKTSV4RRFFQ69G5FAV\n')).toBe(false);
  });
});
