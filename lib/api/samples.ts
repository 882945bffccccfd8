/**
 * Examples for the OpenAPI document, made from the JSON Schemas themselves so that every
 * operation has one (routes added later included) and they cannot drift from the schemas: a
 * unit test validates each against its schema. Field names pick realistic values where a bare
 * type would say little ("email" -> an address, "paymentMethod" -> a test card).
 */
type JsonObject = Record<string, unknown>;

const ULID = '01KDVDNA00AA3S80T672BC3QYS';

/** Values by property name: what an app developer would type into "try it". */
const BY_NAME: Record<string, unknown> = {
  email: 'ada@example.com',
  password: 'correct horse battery staple',
  currentPassword: 'correct horse battery staple',
  newPassword: 'a much longer new passphrase',
  displayName: 'Ada',
  bio: 'Buys books about engines.',
  name: 'Espresso cup',
  description: 'Porcelain, 90 ml.',
  subject: 'Where is my parcel?',
  body: 'Hello! Is this still available?',
  clientMessageId: 'msg-7f3a2c',
  paymentMethod: 'pm_card_visa',
  providerPaymentId: 'pi_sim_5d41402abc4b2a76b9719d91',
  clientSecret: 'pi_sim_5d41402abc4b2a76b9719d91_secret_7d793037a0760186574b0282',
  code: '042917',
  newEmail: 'ada.lovelace@example.com',
  token: `${ULID}.1798761600.q2k1V7u3b7lXgq7Xc1nQ4w`,
  currency: 'EUR',
  language: 'en-GB',
  asset: 'docs.js',
  price: 1250,
  total: 2500,
  stock: 25,
  quantity: 2,
  refreshToken: `${ULID}.${ULID}.q2k1V7u3b7lXgq7Xc1nQ4w`,
  accessToken: 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImtleS0xIn0.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl',
  'idempotency-key': '5f0c7f5e-2f4b-4d8e-9a55-0f2d2b8f3c1a',
  cursor: undefined,
  nextCursor: null,
  at: '2026-01-15T09:30:00.000Z',
};

const DATE = '2026-01-15T09:30:00.000Z';

function fromPattern(pattern: string): string | undefined {
  if (pattern.includes('0-9A-HJKMNP-TV-Z')) return ULID;
  if (pattern === '^[A-Z]{3}$') return 'EUR';
  if (pattern.includes('\\d{1,15}')) return '"3"';
  return undefined;
}

function stringExample(schema: JsonObject, name: string): string {
  const byName = BY_NAME[name];
  if (typeof byName === 'string') return byName;
  if (schema.format === 'date-time') return DATE;
  if (schema.format === 'email') return 'ada@example.com';
  if (typeof schema.pattern === 'string') {
    const sample = fromPattern(schema.pattern);
    if (sample) return sample;
  }
  if (/id$/i.test(name)) return ULID;
  if (/At$/.test(name)) return DATE;
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  return 'text'.padEnd(Math.max(min, 4), 'x');
}

function numberExample(schema: JsonObject): number {
  const min = typeof schema.minimum === 'number' ? schema.minimum : 0;
  const max = typeof schema.maximum === 'number' ? schema.maximum : Number.MAX_SAFE_INTEGER;
  return Math.min(Math.max(min, 1), max);
}

/** A value that validates against `schema` (a JSON Schema as zod emits it); `name` is its property name. */
export function exampleOf(schema: JsonObject, name = ''): unknown {
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const variants = (schema.anyOf ?? schema.oneOf) as JsonObject[] | undefined;
  if (Array.isArray(variants)) {
    // Prefer the non-null branch of a nullable, unless the name says it is usually null.
    const chosen = BY_NAME[name] === null ? variants.find((v) => v.type === 'null') : undefined;
    return exampleOf(chosen ?? variants.find((v) => v.type !== 'null') ?? variants[0] ?? {}, name);
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonObject>;
      const required = new Set((schema.required ?? []) as string[]);
      const value: JsonObject = {};
      for (const [key, property] of Object.entries(properties)) {
        if (!required.has(key) && BY_NAME[key] === undefined && key in BY_NAME) continue;
        if (!required.has(key) && !(key in BY_NAME)) continue;
        value[key] = exampleOf(property, key);
      }
      return value;
    }
    case 'array': {
      const min = typeof schema.minItems === 'number' ? schema.minItems : 1;
      const item = (schema.items ?? {}) as JsonObject;
      return Array.from({ length: Math.max(min, 1) }, () => exampleOf(item, name));
    }
    case 'string':
      return stringExample(schema, name);
    case 'integer':
    case 'number':
      return typeof BY_NAME[name] === 'number' ? BY_NAME[name] : numberExample(schema);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return BY_NAME[name] ?? null;
  }
}
