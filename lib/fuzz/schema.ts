import fc from 'fast-check';

/** A JSON Schema (2020-12, as zod emits it into the OpenAPI document). */
export type JsonSchema = Record<string, unknown>;

/**
 * Values seen in the API's own answers, by property name (`id`, `productId`, `nextCursor`,
 * `refreshToken`, ...). Generated values of a field with that name come from here part of the
 * time, so requests reach past "not found" into the handlers' real work.
 */
export type ValuePool = ReadonlyMap<string, readonly string[]>;

/** Strings that break naive code: traversal, injection shapes, encodings, control and bidi characters. */
export const EVIL_STRINGS: readonly string[] = [
  '../',
  '../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%2e%2e',
  '%2e%2e%2f',
  '%00',
  '.',
  '..',
  "' OR 1=1 --",
  '" OR ""="',
  '{"$ne":null}',
  '{"$gt":""}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style lookup, literally.
  '${jndi:ldap://x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  'USER#01KDVDNA00AA3S80T672BC3QYS',
  'PRODUCT#',
  '#',
  'a\u0000b',
  '\u0000',
  '\ud800',
  'x\udfffy',
  '\u202eevil\u202c',
  '\u200f\u05e9\u05dc\u05d5\u05dd',
  '\ufeff',
  '\u{1f4a9}\u{1f469}\u200d\u{1f469}\u200d\u{1f467}',
  'e\u0301\u0301\u0301',
  '\r\nSet-Cookie: x=1',
  ' ',
  '',
  'null',
  'undefined',
  '-1',
  '1e309',
  'NaN',
  '0x10',
  '01kdvdna00aa3s80t672bc3qys',
  '01KDVDNA00AA3S80T672BC3QY',
  '01KDVDNA00AA3S80T672BC3QYSS',
  'ZZZZZZZZZZZZZZZZZZZZZZZZZZ',
];

/** A long string: over every field limit, under the 10 MB payload limit. */
const hugeString = fc
  .tuple(
    fc.constantFrom('a', '\u{1f600}', '\u0000', 'é', '\ud800'),
    fc.constantFrom(300, 5_000, 20_000, 70_000),
  )
  .map(([unit, length]) => unit.repeat(length));

/** Any string, including lone surrogates, NUL, bidi controls and long ones. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...EVIL_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: hugeString },
);

/** Any JSON value, with nasty strings and some deep nesting. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2),
  nastyString,
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.integer({ min: 50, max: 400 }).map((depth) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`)),
);

/** Resolves `$ref`s to `#/components/...` of the document. */
export class SchemaResolver {
  private readonly components: JsonSchema;

  constructor(components: JsonSchema) {
    this.components = components;
  }

  resolve(schema: JsonSchema): JsonSchema {
    let current = schema;
    for (let hops = 0; typeof current.$ref === 'string' && hops < 10; hops++) {
      const parts = (current.$ref as string).replace(/^#\/components\//, '').split('/');
      let target: unknown = this.components;
      for (const part of parts) target = (target as JsonSchema | undefined)?.[part];
      current = (target as JsonSchema | undefined) ?? {};
    }
    // `allOf` (zod's intersections, refinements of a $ref) merged shallowly: enough to generate from.
    if (Array.isArray(current.allOf)) {
      const merged: JsonSchema = { ...current, allOf: undefined };
      for (const part of current.allOf as JsonSchema[]) {
        const resolved = this.resolve(part);
        Object.assign(merged, resolved, {
          properties: { ...(merged.properties as JsonSchema), ...(resolved.properties as JsonSchema) },
          required: [...((merged.required as string[]) ?? []), ...((resolved.required as string[]) ?? [])],
        });
      }
      return merged;
    }
    return current;
  }
}

const typeOf = (schema: JsonSchema): string | undefined =>
  Array.isArray(schema.type) ? (schema.type[0] as string) : (schema.type as string | undefined);

/** Values of the pool for a field name: `productId` takes `productId`s, then any `id` seen. */
export function pooled(pool: ValuePool, name: string): readonly string[] {
  const own = pool.get(name) ?? [];
  if (own.length > 0) return own;
  return /Id$/.test(name) ? (pool.get('id') ?? []) : [];
}

function stringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Math.max(min, 40);
  const fits = (value: string) => value.length >= min && value.length <= max;
  const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern) : undefined;
  if (schema.format === 'email') {
    return fc.emailAddress().filter((value) => fits(value) && (!pattern || pattern.test(value)));
  }
  if (schema.format === 'date-time') {
    return fc
      .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((date) => date.toISOString());
  }
  if (pattern) return fc.stringMatching(pattern).filter(fits);
  return fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, min + 40) }).filter(fits);
}

/**
 * Values that validate against `schema` (what the API should accept, field by field), mixed
 * with values the API handed out for fields of the same `name` (ids, cursors, tokens).
 */
export function validValue(
  schema: JsonSchema,
  resolver: SchemaResolver,
  pool: ValuePool,
  name = '',
): fc.Arbitrary<unknown> {
  const s = resolver.resolve(schema);
  const fromPool = pooled(pool, name);
  const own = validOwnValue(s, resolver, pool, name);
  return fromPool.length > 0
    ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...fromPool) }, { weight: 1, arbitrary: own })
    : own;
}

function validOwnValue(
  s: JsonSchema,
  resolver: SchemaResolver,
  pool: ValuePool,
  name: string,
): fc.Arbitrary<unknown> {
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum) && s.enum.length > 0) return fc.constantFrom(...(s.enum as unknown[]));
  const variants = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(variants) && variants.length > 0) {
    return fc.oneof(...variants.map((variant) => validValue(variant, resolver, pool, name)));
  }
  switch (typeOf(s)) {
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((s.required ?? []) as string[]);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, property] of Object.entries(properties)) {
        record[key] = validValue(property, resolver, pool, key);
      }
      return fc.record(record, {
        requiredKeys: Object.keys(properties).filter((key) => required.has(key)),
      });
    }
    case 'array': {
      const minLength = typeof s.minItems === 'number' ? s.minItems : 0;
      const maxLength = Math.min(typeof s.maxItems === 'number' ? s.maxItems : 5, minLength + 5);
      return fc.array(validValue((s.items ?? {}) as JsonSchema, resolver, pool, name), {
        minLength,
        maxLength,
      });
    }
    case 'string':
      return stringArbitrary(s);
    case 'integer':
    case 'number': {
      const min = typeof s.minimum === 'number' ? s.minimum : -1_000_000;
      const max = typeof s.maximum === 'number' ? s.maximum : 1_000_000;
      return typeOf(s) === 'integer'
        ? fc.integer({
            min: Math.max(min, Number.MIN_SAFE_INTEGER),
            max: Math.min(max, Number.MAX_SAFE_INTEGER),
          })
        : fc.double({ min, max, noNaN: true });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return anyJson;
  }
}

/** Spellings of numbers that are not plain decimal digits (`0x10` is 16 to `Number()`). */
export const LENIENT_INTEGERS: readonly string[] = ['0x10', '1e1', '010', ' 10 ', '+5', '-0', '1_0'];

/** Values that do NOT validate against `schema`: the wrong type, out of range, too long, off pattern. */
export function invalidValue(schema: JsonSchema, resolver: SchemaResolver): fc.Arbitrary<unknown> {
  const s = resolver.resolve(schema);
  const wrongTypes: unknown[] = [null, true, 0, -1, 'text', [], {}, [1, 'a'], { $ne: null }];
  const options: fc.Arbitrary<unknown>[] = [
    fc.constantFrom(...wrongTypes.filter((value) => jsonType(value) !== typeOf(s))),
  ];
  switch (typeOf(s)) {
    case 'string': {
      options.push(nastyString);
      if (typeof s.maxLength === 'number') options.push(fc.constant('x'.repeat(s.maxLength + 1)));
      if (typeof s.minLength === 'number' && s.minLength > 0)
        options.push(fc.constant('x'.repeat(s.minLength - 1)));
      break;
    }
    case 'integer':
    case 'number': {
      // Strings `Number()` reads as numbers: in a query, all but plain digits must be refused.
      const edges: unknown[] = [1.5, 1e308, -1e308, 2 ** 53, -(2 ** 53), '12', 'NaN', ...LENIENT_INTEGERS];
      if (typeof s.minimum === 'number') edges.push(s.minimum - 1);
      if (typeof s.maximum === 'number') edges.push(s.maximum + 1);
      options.push(fc.constantFrom(...edges));
      break;
    }
    case 'array':
      options.push(fc.array(anyJson, { minLength: 0, maxLength: 3 }));
      if (typeof s.maxItems === 'number') {
        options.push(fc.constant(Array.from({ length: (s.maxItems as number) + 1 }, () => ({}))));
      }
      break;
    default:
      options.push(anyJson);
  }
  return fc.oneof(...options);
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/**
 * A valid object of `schema`, then broken in one way: a field of the wrong type or out of
 * range, a required field missing, an unknown field added (`isAdmin`, `__proto__`, ...).
 */
export function brokenObject(
  schema: JsonSchema,
  resolver: SchemaResolver,
  pool: ValuePool,
): fc.Arbitrary<unknown> {
  const s = resolver.resolve(schema);
  const properties = Object.entries((s.properties ?? {}) as Record<string, JsonSchema>);
  const required = (s.required ?? []) as string[];
  const base = validValue(s, resolver, pool) as fc.Arbitrary<Record<string, unknown>>;
  const mutations: fc.Arbitrary<(value: Record<string, unknown>) => unknown>[] = [
    fc
      .tuple(
        fc.constantFrom(
          'isAdmin',
          'role',
          'scope',
          'userId',
          'pk',
          'sk',
          '__proto__',
          'constructor',
          'x'.repeat(300),
          '\u0000',
        ),
        anyJson,
      )
      // defineProperty, so `__proto__` becomes a field of the JSON, not the object's prototype.
      .map(([key, extra]) => (value) => {
        const copy = { ...value };
        Object.defineProperty(copy, key, {
          value: extra,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        return copy;
      }),
  ];
  if (properties.length > 0) {
    mutations.push(
      fc
        .constantFrom(...properties)
        .chain(([key, property]) => invalidValue(property, resolver).map((bad) => ({ key, bad, property })))
        .map(({ key, bad, property }) => (value) => {
          // A nested object or array gets its break one level down half the time.
          const nested = resolver.resolve(property);
          if (
            typeOf(nested) === 'array' &&
            Array.isArray(value[key]) &&
            (value[key] as unknown[]).length > 0
          ) {
            const items = [...(value[key] as unknown[])];
            items[0] = bad;
            return { ...value, [key]: items };
          }
          return { ...value, [key]: bad };
        }),
    );
  }
  if (required.length > 0) {
    mutations.push(
      fc.constantFrom(...required).map((key) => (value) => {
        const { [key]: _dropped, ...rest } = value;
        return rest;
      }),
    );
  }
  return fc
    .tuple(base, fc.oneof(...mutations))
    .map(([value, mutate]) =>
      value !== null && typeof value === 'object' && !Array.isArray(value) ? mutate(value) : value,
    );
}
