import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  matchesFilterCriteria,
  validateFilterCriteria,
} from '../../../lib/local/dynamodb-streams/event-filter.ts';

/** A stream record in the shape Lambda delivers it (DynamoDB JSON images). */
const record = (newImage: Record<string, unknown>, overrides: Record<string, unknown> = {}) => ({
  eventID: '1',
  eventName: 'INSERT',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'us-east-1',
  dynamodb: {
    ApproximateCreationDateTime: 1_796_268_360,
    Keys: { pk: { S: 'ORDER#1' } },
    NewImage: { pk: { S: 'ORDER#1' }, ...newImage },
    SequenceNumber: '000000000000000000001',
    SizeBytes: 26,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
  eventSourceARN: 'arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/2026-01-01T00:00:00.000',
  ...overrides,
});

const filters = (...patterns: unknown[]) => ({
  Filters: patterns.map((pattern) => ({ Pattern: JSON.stringify(pattern) })),
});
const onNewImage = (attribute: string, typed: Record<string, unknown>) => ({
  dynamodb: { NewImage: { [attribute]: typed } },
});

describe('Lambda event filtering', () => {
  it('lets every record through when there are no filter criteria', () => {
    expect(matchesFilterCriteria(record({}), undefined)).toBe(true);
    expect(matchesFilterCriteria(record({}), { Filters: [] })).toBe(true);
  });

  it('matches literal values of the same JSON type, and ORs the filters', () => {
    const insertOrRemove = filters({ eventName: ['INSERT'] }, { eventName: ['REMOVE'] });
    expect(matchesFilterCriteria(record({}), insertOrRemove)).toBe(true);
    expect(matchesFilterCriteria(record({}, { eventName: 'REMOVE' }), insertOrRemove)).toBe(true);
    expect(matchesFilterCriteria(record({}, { eventName: 'MODIFY' }), insertOrRemove)).toBe(false);
    expect(
      matchesFilterCriteria(record({ kind: { S: 'order' } }), filters(onNewImage('kind', { S: ['order'] }))),
    ).toBe(true);
    expect(
      matchesFilterCriteria(record({ paid: { BOOL: true } }), filters(onNewImage('paid', { BOOL: [true] }))),
    ).toBe(true);
    expect(
      matchesFilterCriteria(
        record({ paid: { BOOL: true } }),
        filters(onNewImage('paid', { BOOL: ['true'] })),
      ),
    ).toBe(false);
    expect(
      matchesFilterCriteria(record({ gone: { NULL: true } }), filters(onNewImage('gone', { NULL: [true] }))),
    ).toBe(true);
    expect(matchesFilterCriteria({ value: null }, filters({ value: [null] }))).toBe(true);
    expect(matchesFilterCriteria({ value: 'null' }, filters({ value: [null] }))).toBe(false);
  });

  it('requires every key the pattern names, and needs the DynamoDB type key to reach a value', () => {
    const both = filters({ eventName: ['INSERT'], dynamodb: { NewImage: { kind: { S: ['order'] } } } });
    expect(matchesFilterCriteria(record({ kind: { S: 'order' } }), both)).toBe(true);
    expect(matchesFilterCriteria(record({ kind: { S: 'order' } }, { eventName: 'MODIFY' }), both)).toBe(
      false,
    );
    expect(matchesFilterCriteria(record({}), both)).toBe(false);
    // An attribute is an object ({"S": ...}), not a value: naming it without its type matches nothing.
    expect(
      matchesFilterCriteria(
        record({ kind: { S: 'order' } }),
        filters(onNewImage('kind', ['order'] as never)),
      ),
    ).toBe(false);
  });

  it('ignores keys of the record that the pattern does not name', () => {
    const pattern = filters({
      eventName: ['INSERT'],
      dynamodb: { Keys: { pk: { S: [{ prefix: 'ORDER#' }] } } },
    });
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string().filter((key) => !['eventName', 'dynamodb', '__proto__'].includes(key)),
          fc.jsonValue(),
        ),
        (extra) => {
          const base = record({});
          expect(matchesFilterCriteria({ ...extra, ...base }, pattern)).toBe(true);
          expect(matchesFilterCriteria({ ...extra, ...base, eventName: 'MODIFY' }, pattern)).toBe(false);
        },
      ),
    );
  });

  it('matches a literal string exactly, and nothing else', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (wanted, actual) => {
        expect(matchesFilterCriteria({ value: actual }, filters({ value: [wanted] }))).toBe(
          actual === wanted,
        );
      }),
    );
  });

  it('matches prefixes, suffixes and case-insensitive equality on strings', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (start, rest) => {
        const value = { value: start + rest };
        expect(matchesFilterCriteria(value, filters({ value: [{ prefix: start }] }))).toBe(true);
        expect(matchesFilterCriteria(value, filters({ value: [{ suffix: rest }] }))).toBe(true);
      }),
    );
    expect(matchesFilterCriteria({ value: 'ORDER#1' }, filters({ value: [{ prefix: 'USER#' }] }))).toBe(
      false,
    );
    expect(matchesFilterCriteria({ value: 'photo.PNG' }, filters({ value: [{ suffix: '.png' }] }))).toBe(
      false,
    );
    expect(
      matchesFilterCriteria(
        { value: 'photo.PNG' },
        filters({ value: [{ suffix: { 'equals-ignore-case': '.png' } }] }),
      ),
    ).toBe(true);
    expect(
      matchesFilterCriteria({ value: 'Paid' }, filters({ value: [{ 'equals-ignore-case': 'PAID' }] })),
    ).toBe(true);
    expect(matchesFilterCriteria({ value: 12 }, filters({ value: [{ prefix: '1' }] }))).toBe(false);
  });

  it('matches anything but the listed values, only when the value is there', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 4 }), fc.string(), (excluded, actual) => {
        expect(
          matchesFilterCriteria({ value: actual }, filters({ value: [{ 'anything-but': excluded }] })),
        ).toBe(!excluded.includes(actual));
      }),
    );
    expect(matchesFilterCriteria({ value: 'a' }, filters({ value: [{ 'anything-but': 'a' }] }))).toBe(false);
    expect(matchesFilterCriteria({}, filters({ value: [{ 'anything-but': 'a' }] }))).toBe(false);
    expect(
      matchesFilterCriteria({ value: 'tmp-1' }, filters({ value: [{ 'anything-but': { prefix: 'tmp-' } }] })),
    ).toBe(false);
    expect(
      matchesFilterCriteria({ value: 'keep' }, filters({ value: [{ 'anything-but': { prefix: 'tmp-' } }] })),
    ).toBe(true);
  });

  it('tells present leaves from absent ones with exists; an attribute object is not a leaf', () => {
    const withType = filters(onNewImage('email', { S: [{ exists: true }] }));
    expect(matchesFilterCriteria(record({ email: { S: 'a@b.c' } }), withType)).toBe(true);
    expect(matchesFilterCriteria(record({}), withType)).toBe(false);
    const absent = filters(onNewImage('email', [{ exists: false }] as never));
    expect(matchesFilterCriteria(record({}), absent)).toBe(true);
    // As AWS does: without the type key, exists looks at an object, which is no leaf.
    expect(matchesFilterCriteria(record({ email: { S: 'a@b.c' } }), absent)).toBe(true);
    expect(
      matchesFilterCriteria(
        record({ email: { S: 'a@b.c' } }),
        filters(onNewImage('email', [{ exists: true }] as never)),
      ),
    ).toBe(false);
    expect(matchesFilterCriteria({ value: null }, filters({ value: [{ exists: true }] }))).toBe(true);
  });

  it('compares JSON numbers with numeric ranges', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        (low, high, value) => {
          const range = filters({ value: [{ numeric: ['>', low, '<=', high] }] });
          expect(matchesFilterCriteria({ value }, range)).toBe(value > low && value <= high);
        },
      ),
    );
    const recent = filters({
      dynamodb: { ApproximateCreationDateTime: [{ numeric: ['>=', 1_700_000_000] }] },
    });
    expect(matchesFilterCriteria(record({}), recent)).toBe(true);
    expect(matchesFilterCriteria({ value: 300 }, filters({ value: [{ numeric: ['=', 300] }] }))).toBe(true);
  });

  it('never matches a numeric filter on DynamoDB numbers, which are strings in the record (as on AWS)', () => {
    const moreThanTen = filters(onNewImage('quantity', { N: [{ numeric: ['>', 10] }] }));
    expect(matchesFilterCriteria(record({ quantity: { N: '12' } }), moreThanTen)).toBe(false);
    expect(
      matchesFilterCriteria(
        record({ quantity: { N: '12' } }),
        filters(onNewImage('quantity', { N: ['12'] })),
      ),
    ).toBe(true);
    expect(
      matchesFilterCriteria(record({ quantity: { N: '12' } }), filters(onNewImage('quantity', { N: [12] }))),
    ).toBe(false);
  });

  it('matches a value in the record that is a list when any element matches', () => {
    const tagged = filters(onNewImage('tags', { SS: ['sale'] }));
    expect(matchesFilterCriteria(record({ tags: { SS: ['new', 'sale'] } }), tagged)).toBe(true);
    expect(matchesFilterCriteria(record({ tags: { SS: ['new'] } }), tagged)).toBe(false);
  });

  it('combines sub-patterns with $or', () => {
    const pattern = filters({
      $or: [{ eventName: ['REMOVE'] }, { dynamodb: { NewImage: { kind: { S: ['order'] } } } }],
    });
    expect(matchesFilterCriteria(record({ kind: { S: 'order' } }), pattern)).toBe(true);
    expect(matchesFilterCriteria(record({}, { eventName: 'REMOVE' }), pattern)).toBe(true);
    expect(matchesFilterCriteria(record({ kind: { S: 'user' } }), pattern)).toBe(false);
  });

  it('refuses invalid patterns with an error naming the pattern, as creating the mapping would', () => {
    const unknown = '{"dynamodb":{"NewImage":{"kind":{"S":[{"wildcard":"ord*"}]}}}}';
    expect(() => validateFilterCriteria({ Filters: [{ Pattern: unknown }] })).toThrow(
      `Invalid filter pattern definition ${unknown}: unknown operator "wildcard"`,
    );
    expect(() => matchesFilterCriteria(record({}), { Filters: [{ Pattern: unknown }] })).toThrow(/wildcard/);
    expect(() => validateFilterCriteria({ Filters: [{ Pattern: '{"eventName": "INSERT"}' }] })).toThrow(
      /must be an array of alternatives/,
    );
    expect(() => validateFilterCriteria({ Filters: [{ Pattern: 'not json' }] })).toThrow(/not valid JSON/);
    expect(() => validateFilterCriteria({ Filters: [{ Pattern: '["INSERT"]' }] })).toThrow(
      /must be a JSON object/,
    );
    expect(() => validateFilterCriteria(filters({ value: [{ numeric: ['>', 'ten'] }] }))).toThrow(/numeric/);
    expect(() => validateFilterCriteria(filters({ value: [{ numeric: ['<', 5, '<', 9] }] }))).toThrow(
      /range/,
    );
    expect(() => validateFilterCriteria(filters({ value: [{ exists: 'yes' }] }))).toThrow(/exists/);
    expect(() => validateFilterCriteria(filters({ value: [{ prefix: 'a', suffix: 'b' }] }))).toThrow(
      /exactly one/,
    );
  });
});
